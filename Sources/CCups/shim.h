#ifndef ACCUEIL_CCUPS_SHIM_H
#define ACCUEIL_CCUPS_SHIM_H
/* Only cups.h: ppd.h pulls deprecated API. Debian 12 ships no cups.pc. */
#include <cups/cups.h>
#endif
