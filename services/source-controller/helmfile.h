/* File and YAML reading shared by the chart code (chartpackage.c, helmignore.c, helmvalues.c). */
#ifndef SC_HELMFILE_H
#define SC_HELMFILE_H

#include <stddef.h>
#include <stdint.h>

#include "cf/doc.h"

/* Largest file a chart may hold unless told otherwise (Flux's --helm-chart-file-max-size). */
#define SC_HELM_DEFAULT_MAX_FILE (5ull << 20)

/*
 * Reads a regular file of at most max bytes into a new NUL-terminated buffer. CF_ENOTFOUND,
 * CF_ELIMIT (larger), CF_EIO, CF_ENOMEM.
 */
int sc_helm_read_file(char **out, size_t *len, const char *path, uint64_t max);

/* Loads one YAML document as Helm reads chart files (YAML 1.1, go-yaml v2). name is for messages. */
int sc_helm_load_yaml(cf_doc **out, const char *text, size_t len, const char *name);

#endif
