/* Types and helpers shared by the kustomize module's files; not part of the public API. */
#ifndef CF_KUSTOMIZE_INTERNAL_H
#define CF_KUSTOMIZE_INTERNAL_H

#include <stddef.h>

#include "cf/doc.h"
#include "cf/kustomize.h"

/* ---- file access under the load rules (fsys.c) ------------------------------------------- */

typedef struct {
	char *root;            /* realpath of the confinement root, or NULL */
	size_t max_file_bytes;
	size_t max_total_bytes;
	size_t total_bytes;
} kz_fs;

int kz_fs_init(kz_fs *fs, const cf_kustomize_opts *opts);
void kz_fs_dispose(kz_fs *fs);

/*
 * Resolves rel against dir (both may name symlinks) to a real absolute path in *out (caller
 * frees). `confine` is the directory the result must lie in or below (NULL: only the fs root, if
 * any). CF_ENOTFOUND when missing, CF_EUNSAFE when outside.
 */
int kz_fs_resolve(char **out, kz_fs *fs, const char *dir, const char *rel, const char *confine);
int kz_fs_is_dir(const char *real_path);
/* Reads a resolved file whole (counted against the limits). *out is NUL-terminated. */
int kz_fs_read(char **out, size_t *out_len, kz_fs *fs, const char *real_path);

/* ---- resources ------------------------------------------------------------------------------ */

enum { KZ_BEHAVIOR_NONE = 0, KZ_BEHAVIOR_CREATE, KZ_BEHAVIOR_MERGE, KZ_BEHAVIOR_REPLACE };

typedef struct {
	char *name;
	char *ns;   /* "" when unset */
} kz_id;

typedef struct {
	cf_doc *obj;           /* owned map */
	kz_id *ids;            /* ids[0] the original; one entry per rename; the last is not current */
	size_t n_ids;
	int needs_hash;        /* generated, suffix hash pending */
	int behavior;          /* generated objects: KZ_BEHAVIOR_* */
	char *src;             /* file it came from (for messages), may be NULL */
	char *affixes;         /* prefixes and suffixes applied, in order ("p:a-|s:-b|"), or NULL */
	const char *gen_kind;  /* "ConfigMapGenerator" or "SecretGenerator" for generated objects */
} kz_res;

typedef struct {
	kz_res **items;
	size_t len, cap;
} kz_resmap;

int kz_res_new(kz_res **out, cf_doc *obj, const char *src);
void kz_res_free(kz_res *r);
const char *kz_res_kind(const kz_res *r);
const char *kz_res_name(const kz_res *r);
const char *kz_res_ns(const kz_res *r);        /* "" when unset */
const char *kz_res_api_version(const kz_res *r);
/* Group and version split from apiVersion into caller buffers of size n. */
void kz_res_gv(const kz_res *r, char *group, char *version, size_t n);
/* Sets metadata.name / metadata.namespace, remembering the previous id. */
int kz_res_set_name(kz_res *r, const char *name);
int kz_res_set_ns(kz_res *r, const char *ns);
/* True when the object kind is cluster-scoped in kustomize's built-in table. */
int kz_res_cluster_scoped(const kz_res *r);
int kz_kind_cluster_scoped(const char *api_version, const char *kind);
/* "Kind.version.group/name.ns" as kustomize prints ids in errors, into a new string. */
char *kz_res_id_string(const kz_res *r);
/* Same GVK, name and effective namespace. */
int kz_res_same_id(const kz_res *a, const kz_res *b);

void kz_resmap_init(kz_resmap *m);
void kz_resmap_dispose(kz_resmap *m);
/* Appends r (ownership taken, also on error); CF_EEXISTS when its current id is taken. */
int kz_resmap_add(kz_resmap *m, kz_res *r);
int kz_resmap_append(kz_resmap *m, kz_res *r);  /* no duplicate check */
void kz_resmap_remove(kz_resmap *m, size_t i);  /* frees it */
/* Moves every resource of src to the end of dst, checking ids; src is left empty. */
int kz_resmap_absorb(kz_resmap *dst, kz_resmap *src);
/* 1 with *dup the index of a resource whose id an earlier one has, 0 when all differ. */
int kz_resmap_find_duplicate(const kz_resmap *m, size_t *dup);

/* Parses a YAML stream of objects (a List's items are flattened) into m. */
int kz_resources_from_yaml(kz_resmap *m, const char *buf, size_t len, const char *file);

/* A name reference declared by a crds: file (crds.c). */
typedef struct {
	char *referral_kind;  /* kind of the object named */
	char *referrer_kind;  /* custom resource kind holding the reference */
	char *path;           /* field path in the referrer, ending in /name */
} kz_crd_ref;

/* ---- the build context --------------------------------------------------------------------- */

typedef struct {
	kz_fs fs;
	size_t max_depth;
	size_t max_resources;
	size_t depth;
	cf_doc *vars;   /* vars of every level, resolved once at the end */
	const char **stack;  /* directories being built, outermost first (cycle check) */
	size_t stack_len, stack_cap;
	kz_crd_ref *crd_refs;
	size_t n_crd_refs;
	cf_doc *var_refs;    /* varReference field specs from configurations */
} kz_ctx;


/* A loaded kustomization: its keys normalised to canonical case; see kustfile.c. */
typedef struct {
	char *dir;      /* real path of its directory */
	char *file;     /* real path of the file */
	cf_doc *k;      /* the kustomization map */
	int component;  /* kind: Component */
} kz_kust;

int kz_kust_load(kz_kust *out, kz_ctx *ctx, const char *dir);
/* Checks field types as kustomize's JSON decoding does (kustschema.c). */
int kz_kust_check_types(const cf_doc *k);
void kz_kust_dispose(kz_kust *k);
int kz_crds_load(kz_ctx *ctx, const kz_kust *k);
void kz_crds_dispose(kz_ctx *ctx);
/* referrer_kind NULL: any kind. */
int kz_crds_add_ref(kz_ctx *ctx, const char *referral, const char *referrer, const char *path);
/* Loads a kustomization's configurations: files into *out, a map of field-spec lists by
 * section (commonLabels, commonAnnotations, images, ...); name and var references go to ctx. */
int kz_config_load(cf_doc **out, kz_ctx *ctx, const kz_kust *k);


/* Builds the kustomization in dir (a resolved directory) into m: steps 1-7 of kustomize. */
int kz_build_target(kz_resmap *m, kz_ctx *ctx, const char *dir, int as_component);
/* Runs a loaded kustomization's own steps onto m (resources, generators, components,
 * transformers). */
int kz_run_kustomization(kz_resmap *m, kz_ctx *ctx, const kz_kust *k);

/* ---- generators (generator.c, hash.c) ------------------------------------------------------- */

int kz_generate(kz_resmap *m, kz_ctx *ctx, const kz_kust *k);
/* Appends the content hash suffix to every resource that needs one. */
int kz_hash_suffix_all(kz_resmap *m);
/* kustomize's hash of a ConfigMap or Secret ("" name) into buf[11]. */
int kz_hash_object(char out[11], const cf_doc *obj);
int kz_base64(char **out, const unsigned char *data, size_t len);

/* ---- field specs (fieldspec.c) ------------------------------------------------------------- */

typedef struct {
	const char *group;    /* NULL: any */
	const char *version;
	const char *kind;
	const char *path;     /* "spec/template/metadata/labels"; "\/" escapes a slash */
	int create;
} kz_fieldspec;

/* Called for each node at the end of the path; parent is its map, key its field name. */
typedef int (*kz_field_fn)(cf_doc *parent, const char *key, cf_doc *node, void *ctx);

int kz_fieldspec_matches(const kz_fieldspec *fs, const kz_res *r);
/*
 * Walks path through maps, descending into every item of sequences on the way, and calls fn on
 * what it finds at the end. With create, missing maps on the way and the final node are created
 * (the final as a map when final_map, else fn gets node NULL to set a value).
 */
int kz_fieldspec_walk(cf_doc *obj, const char *path, int create, int final_map, kz_field_fn fn,
                      void *ctx);

/* ---- transformers ---------------------------------------------------------------------------- */

int kz_patches_apply(kz_resmap *m, kz_ctx *ctx, const kz_kust *k);
int kz_patches_json6902_legacy(kz_resmap *m, kz_ctx *ctx, const kz_kust *k);
int kz_patches_strategic_legacy(kz_resmap *m, kz_ctx *ctx, const kz_kust *k);
int kz_namespace_apply(kz_resmap *m, const char *ns);
int kz_names_apply(kz_resmap *m, const char *prefix, const char *suffix);
/* tconfig: the kustomization's configurations (kz_config_load), may be NULL. */
int kz_labels_apply(kz_resmap *m, const kz_kust *k, const cf_doc *tconfig);
int kz_annotations_apply(kz_resmap *m, const cf_doc *annotations, const cf_doc *tconfig);
int kz_images_apply(kz_resmap *m, const cf_doc *images, const cf_doc *tconfig);
int kz_replicas_apply(kz_resmap *m, const cf_doc *replicas);
int kz_replacements_apply(kz_resmap *m, kz_ctx *ctx, const kz_kust *k);
int kz_nameref_fix(kz_resmap *m, const kz_ctx *ctx);
int kz_vars_resolve(kz_resmap *m, const cf_doc *vars, const cf_doc *var_refs);
int kz_sort(kz_resmap *m, const cf_doc *sort_options);
/* buildMetadata options (managedByLabel, originAnnotations) relative to the built directory. */
int kz_build_metadata(kz_resmap *m, const cf_doc *options, const char *top_dir);

/* Strategic merge of patch into target (both maps of the same kind); smp.c. */
int kz_smp(cf_doc *target, const cf_doc *patch, const char *api_version, const char *kind);
/* Applies a JSON 6902 operation list to doc in place; json6902.c. */
int kz_json6902(cf_doc *doc, const cf_doc *ops);

/* ---- output (emit.c) ------------------------------------------------------------------------- */

/* The object as kubectl kustomize prints it: through Go's JSON round trip (timestamps become
 * RFC 3339 strings, numbers re-read), with the internal annotations removed. */
int kz_output_object(cf_doc **out, const cf_doc *obj);

/* ---- selectors (selector.c) ---------------------------------------------------------------- */

/* Does r match a kustomize Selector map (group/version/kind/name/namespace regexes, label and
 * annotation selectors)? Returns 1, 0, or a negative error for a bad selector. */
int kz_selector_match(const cf_doc *sel, const kz_res *r);
/* Anchored Go-style regex match ^(?:pattern)$; returns 1, 0 or negative. */
int kz_regex_match(const char *pattern, const char *s);
/* Kubernetes label-selector syntax against a labels map (may be NULL). */
int kz_label_selector_match(const char *sel, const cf_doc *labels);

/* ---- small helpers (util.c) ----------------------------------------------------------------- */

char *kz_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *kz_path_join(const char *a, const char *b);
/* Ensures a map at key (replacing a null). */
int kz_ensure_map(cf_doc **out, cf_doc *map, const char *key);
/* Scalar text of a node if it is a scalar (any type), else NULL. */
const char *kz_scalar(const cf_doc *node);

#endif
