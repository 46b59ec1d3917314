#ifndef ACCUEIL_CRSVG_SHIM_H
#define ACCUEIL_CRSVG_SHIM_H
#include <librsvg/rsvg.h>
static inline void accueil_rsvg_unref(void *object) { g_object_unref(object); }
static inline void accueil_g_error_free(GError *error) { if (error) g_error_free(error); }
#endif
