#ifndef ACCUEIL_CZLIB_SHIM_H
#define ACCUEIL_CZLIB_SHIM_H
#include <zlib.h>
#endif
