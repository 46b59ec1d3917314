#ifndef ACCUEIL_CPANGOCAIRO_SHIM_H
#define ACCUEIL_CPANGOCAIRO_SHIM_H
#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

/* Macros that Swift cannot call directly. */
static inline void accueil_g_object_unref(void *object) { g_object_unref(object); }
static inline int accueil_pango_scale(void) { return PANGO_SCALE; }
#endif
