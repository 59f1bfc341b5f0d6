/* kyaml-style field paths used by replacements and vars (fieldpath.c). */
#ifndef CF_KUSTOMIZE_FIELDPATH_H
#define CF_KUSTOMIZE_FIELDPATH_H

#include "cf/doc.h"

/* fn gets the node's parent, its key (NULL inside a sequence) and the node (NULL: missing). */
typedef int (*kz_path_fn)(cf_doc *parent, const char *key, cf_doc *node, void *ctx);

int kz_path_walk(cf_doc *root, const char *path, int create, kz_path_fn fn, void *ctx);
/* First node at path, or NULL; borrowed. */
cf_doc *kz_path_get(cf_doc *root, const char *path);

#endif
