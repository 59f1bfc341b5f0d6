/*
 * The kustomize build engine: turns a kustomization directory into the list of Kubernetes objects
 * that `kubectl kustomize DIR` (kustomize v5.5) prints, offline and without global state.
 */
#ifndef CF_KUSTOMIZE_H
#define CF_KUSTOMIZE_H

#include <stddef.h>

#include "cf/doc.h"

/*
 * Build options; a zeroed struct (or NULL) gives kubectl kustomize's defaults with the limits in
 * brackets.
 *
 * Load rules. By default, as kustomize's LoadRestrictionsRootOnly: files named by a kustomization
 * (resources, patches, generator sources) must lie in or below that kustomization's directory,
 * while directories (bases, components) may be anywhere. When `root` is set, every path read is
 * instead confined to `root` (after resolving symlinks), and files may be anywhere inside it; this
 * is how the controller builds inside an unpacked artifact. Symlinks never lead out of the root.
 * Remote bases (URLs, git specs) and exec/external plugins are refused with CF_EUNSUPPORTED.
 */
typedef struct {
	const char *root;        /* confine every read below this directory (NULL: see above) */
	size_t max_depth;        /* nesting of kustomizations (bases, components) [50] */
	size_t max_file_bytes;   /* size of one file read [32 MiB] */
	size_t max_total_bytes;  /* bytes read in one build [512 MiB] */
	size_t max_resources;    /* objects in one build [100,000] */
} cf_kustomize_opts;

/*
 * Builds the kustomization in dir and writes the objects as "---"-separated YAML, byte for byte
 * as kubectl kustomize prints them, to a new NUL-terminated string *out_yaml (caller frees).
 * An empty result gives "". Errors (CF_EPARSE, CF_EINVALID, CF_ENOTFOUND, CF_EUNSAFE, CF_ELIMIT,
 * CF_EUNSUPPORTED, CF_EIO, CF_ENOMEM) leave a message naming the file, and the line where known,
 * in cf_error_last(); *out_yaml is written only on success.
 */
int cf_kustomize_build_dir(char **out_yaml, const char *dir, const cf_kustomize_opts *opts);

/*
 * Builds like cf_kustomize_build_dir but returns the objects as trees: *out_list is a CF_DOC_SEQ
 * of maps in output order (caller frees with cf_doc_free). The trees hold the values kustomize
 * would print (scalars re-resolved as the Go JSON round trip does).
 */
int cf_kustomize_build(cf_doc **out_list, const char *dir, const cf_kustomize_opts *opts);

/*
 * Serialises a list of objects (as returned by cf_kustomize_build) the way kubectl kustomize
 * prints them. Caller frees *out_yaml.
 */
int cf_kustomize_emit(char **out_yaml, const cf_doc *list);

#endif
