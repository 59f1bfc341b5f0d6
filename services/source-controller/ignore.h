/* The archive filter of a source (see ignore.c). */
#ifndef SC_IGNORE_H
#define SC_IGNORE_H

#include "cf/artifact.h"
#include "cf/glob.h"

/* Patterns from every .sourceignore under dir, then spec.ignore (may be NULL), over Flux's defaults. */
int sc_ignore_build(cf_glob_list **out, const char *dir, const char *spec_ignore);

/* A cf_artifact_filter over a cf_glob_list. */
cf_artifact_filter_result sc_ignore_filter(void *data, const char *relpath, int is_dir);

#endif
