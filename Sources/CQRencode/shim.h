#ifndef ACCUEIL_CQRENCODE_SHIM_H
#define ACCUEIL_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif
