/*
 * Helm's template engine: Go text/template with Sprig and Helm's functions over a value model
 * that mirrors the Go types Helm templates see.
 */
#ifndef CF_HELM_H
#define CF_HELM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cf/doc.h"

/* ---- values ------------------------------------------------------------------------------ */

/*
 * A value as a template sees it. Values are reference counted: every function below that returns
 * a cf_helm_val * hands the caller one new reference, released with cf_helm_val_unref. Containers
 * take over the reference of an item put into them. Lists and maps are shared by reference, as
 * Go's slices and maps are: `set` in a template changes the map every holder sees. A template can
 * build a cycle (`set $d "self" $d`); such a cycle is reclaimed when the render ends only if it is
 * unreachable from the root (see cf_helm_tmpl_exec).
 */
typedef struct cf_helm_val cf_helm_val;

typedef enum {
	CF_HELM_NIL,   /* Go nil (interface{} holding nothing) */
	CF_HELM_BOOL,
	CF_HELM_INT,   /* Go int or int64 (see cf_helm_val_type_name) */
	CF_HELM_UINT,  /* Go uint64 (semver's Major/Minor/Patch) */
	CF_HELM_FLOAT, /* Go float64: every number read from values.yaml or JSON */
	CF_HELM_STR,
	CF_HELM_LIST,  /* []interface{}, []string or []int */
	CF_HELM_MAP,   /* map[string]interface{} (or chartutil.Values); iterated in sorted key order */
	CF_HELM_OBJ,   /* a Go struct or pointer with fields and methods, supplied by the caller */
} cf_helm_kind;

/* Go element types a list can have, for typeOf and argument checks. */
typedef enum { CF_HELM_LIST_ANY, CF_HELM_LIST_STR, CF_HELM_LIST_INT } cf_helm_list_type;

/*
 * Objects: Go structs (.Capabilities, .Chart, .Files, certificates, semver versions). Fields are
 * given at creation in declaration order (Go prints structs in that order); methods go through
 * the type's callback.
 */
typedef struct cf_helm_obj_type {
	const char *type_name; /* Go type for typeOf/%T, e.g. "*chartutil.Capabilities" */
	int is_ptr;            /* kindOf "ptr" (else "struct"); printed with a leading '&' */
	/*
	 * Calls method name with args (borrowed). Returns 0 with *out a new reference, CF_ENOTFOUND
	 * when the type has no such method (fields are then tried), or another code with a message
	 * set through cf_error_set (surfaced as "error calling <name>: <message>").
	 */
	int (*method)(cf_helm_val **out, void *data, const char *name, cf_helm_val *const *args,
	              size_t nargs);
	/* 1 when the type has method name (it is then called instead of reading a field). */
	int (*has_method)(void *data, const char *name);
	/* Go's String() method when the type has one: a new malloc'ed string, NULL on OOM. */
	char *(*string)(void *data);
	/* 1 when String() has a pointer receiver on a struct value: only a template printing such
	 * a value reached through a field uses it; fmt (printf, quote, ...) prints the struct. */
	int ptr_string;
	void (*free)(void *data); /* releases data with the object; may be NULL */
} cf_helm_obj_type;

/* Constructors: 0 or CF_ENOMEM; *out is a new reference. */
int cf_helm_val_new_nil(cf_helm_val **out);
int cf_helm_val_new_bool(cf_helm_val **out, int b);
int cf_helm_val_new_int(cf_helm_val **out, int64_t i);   /* Go int (template literals, --set) */
int cf_helm_val_new_int64(cf_helm_val **out, int64_t i); /* Go int64 */
int cf_helm_val_new_float(cf_helm_val **out, double f);
int cf_helm_val_new_str(cf_helm_val **out, const char *s);
int cf_helm_val_new_strn(cf_helm_val **out, const char *s, size_t len);
int cf_helm_val_new_list(cf_helm_val **out, cf_helm_list_type type);
int cf_helm_val_new_map(cf_helm_val **out);
/* A map typed chartutil.Values (how Helm types .Values); behaves as a map otherwise. */
int cf_helm_val_new_values_map(cf_helm_val **out);
/*
 * An object of type with nfields fields named names[i] with values vals[i] (references taken, also
 * on error). data is owned by the object and released with type->free.
 */
int cf_helm_val_new_obj(cf_helm_val **out, const cf_helm_obj_type *type, void *data,
                        const char *const *names, cf_helm_val *const *vals, size_t nfields);

cf_helm_val *cf_helm_val_ref(cf_helm_val *v);  /* returns v with one more reference */
void cf_helm_val_unref(cf_helm_val *v);        /* NULL is a no-op */

cf_helm_kind cf_helm_val_kind(const cf_helm_val *v);
/* Go type name as typeOf prints it: "string", "float64", "[]interface {}", "<nil>", ... */
const char *cf_helm_val_type_name(const cf_helm_val *v);
int cf_helm_val_bool(const cf_helm_val *v);
int64_t cf_helm_val_int(const cf_helm_val *v);
double cf_helm_val_float(const cf_helm_val *v);
/* String bytes (borrowed, NUL-terminated) and length; NULL / 0 for non-strings. */
const char *cf_helm_val_str(const cf_helm_val *v, size_t *len);

/* Items of a list, pairs of a map (in sorted key order), 0 otherwise. */
size_t cf_helm_val_len(const cf_helm_val *v);
cf_helm_val *cf_helm_list_item(const cf_helm_val *list, size_t i);       /* borrowed */
/* Appends item, taking its reference (also on error). */
int cf_helm_list_append(cf_helm_val *list, cf_helm_val *item);
const char *cf_helm_map_key(const cf_helm_val *map, size_t i);           /* borrowed */
cf_helm_val *cf_helm_map_value(const cf_helm_val *map, size_t i);        /* borrowed */
cf_helm_val *cf_helm_map_get(const cf_helm_val *map, const char *key);   /* borrowed or NULL */
/* Sets key to v, taking v's reference (also on error). */
int cf_helm_map_set(cf_helm_val *map, const char *key, cf_helm_val *v);

/*
 * Formats v as Go's fmt.Sprint does ("map[a:1 b:[x y]]", floats with %v). *out is malloc'ed.
 */
int cf_helm_val_format(char **out, const cf_helm_val *v);

/*
 * Converts a document node the way Helm reads values (sigs.k8s.io/yaml: YAML to JSON to
 * interface{}): every number becomes float64, maps map[string]interface{}, sequences
 * []interface{}, non-string keys their JSON text ("true", "1", "1.5"). Load the document with
 * CF_DOC_YAML11 to get go-yaml v2's typing. *out is a new reference. Errors: CF_EINVALID for
 * .inf/.nan (JSON cannot carry them; Helm fails the same way), CF_ELIMIT beyond 1000 levels.
 * Only built when the doc module is part of the tree.
 */
int cf_helm_val_from_doc(cf_helm_val **out, const cf_doc *doc);
/*
 * Converts a value to a document node as sigs.k8s.io/yaml.Marshal sees it after its JSON step:
 * whole float64 numbers become ints, objects become maps of their fields. Caller frees *out.
 */
int cf_helm_val_to_doc(cf_doc **out, const cf_helm_val *v);

/* ---- templates --------------------------------------------------------------------------- */

/*
 * A set of templates sharing one namespace, as Helm parses a chart and its subcharts into one
 * text/template. Not thread-safe: one render at a time per set.
 */
typedef struct cf_helm_tmpl cf_helm_tmpl;

int cf_helm_tmpl_new(cf_helm_tmpl **out);
void cf_helm_tmpl_free(cf_helm_tmpl *set);

/*
 * Parses text as the template `name` (usually a file path) and adds its `define`d templates to
 * the namespace. As in Go's Template.Parse, a later non-empty definition replaces an earlier one
 * and an empty body never replaces one; two definitions of a name in one text fail.
 * Errors: CF_EPARSE with Go's message ("template: <name>:<line>: <problem>"), CF_ELIMIT.
 */
int cf_helm_tmpl_parse(cf_helm_tmpl *set, const char *name, const char *text, size_t len);

/* 1 when the namespace holds a template called name. */
int cf_helm_tmpl_has(const cf_helm_tmpl *set, const char *name);

/* What a render may use from outside, and its limits. Zero fields take the defaults in []. */
typedef struct {
	/* `lookup apiVersion kind namespace name`: *out a new reference (a map). NULL: the empty
	 * map Helm returns under `helm template`. A negative return fails the render. */
	int (*lookup)(void *ctx, cf_helm_val **out, const char *api_version, const char *kind,
	              const char *ns, const char *name);
	void *lookup_ctx;
	/* Random bytes for rand*, uuidv4, gen* and encryptAES IVs [OpenSSL RAND_bytes]. */
	int (*random)(void *ctx, unsigned char *buf, size_t len);
	void *random_ctx;
	/* Current time for now/date/ago [time(2) and clock_gettime]. */
	struct timespec (*now)(void *ctx);
	void *now_ctx;
	/* When set, a failed exec stores its full message here (malloc'ed; cf_error_last() keeps
	 * at most 2 KiB of it, and nested include errors grow past that). */
	char **error_out;
	int strict;             /* missingkey=error, as `helm lint --strict` */
	int helm_strip;         /* replace "<no value>" in the output with "", as Helm's engine does */
	size_t max_steps;       /* nodes evaluated [10,000,000] */
	size_t max_output;      /* bytes of output of the whole render [64 MiB] */
	size_t max_depth;       /* nesting of template/include/tpl [1100; Helm stops one name at 1001] */
	size_t max_value_bytes; /* size of one string built by a function [64 MiB] */
	size_t max_alloc;       /* bytes of strings built by functions over the render [1 GiB] */
} cf_helm_opts;

/*
 * Executes template `name` with root as `.` and `$`. On success *out is the malloc'ed output
 * (NUL-terminated, length in *out_len). Errors carry Go's message, e.g. `template: x.yaml:3:7:
 * executing "x.yaml" at <.Values.a.b>: nil pointer evaluating interface {}.b`: CF_ENOTFOUND when
 * name is not defined, CF_EINVALID for execution errors, CF_ELIMIT when a limit is hit. root is
 * borrowed (templates may change maps inside it, as in Helm); NULL means nil. opts may be NULL.
 * Output is Go's raw output unless opts->helm_strip. Maps that a template made part of a
 * reference cycle (`set $d "self" $d`) are emptied when the render ends so they can be freed.
 * Deviations from Go: {{template}} nesting stops at max_depth (Go allows 100000), "Local" time
 * is UTC and named zones other than UTC render in UTC, fromToml is not supported.
 */
int cf_helm_tmpl_exec(char **out, size_t *out_len, cf_helm_tmpl *set, const char *name,
                      cf_helm_val *root, const cf_helm_opts *opts);

/*
 * Rewrites a message from cf_helm_tmpl_parse (parse_error set) or cf_helm_tmpl_exec the way
 * Helm's engine reports it for file filename: "parse error at (<file>:<line>): <problem>", and
 * "execution error at (<file>:<line>:<col>): <message>" for `required` and `fail`; other
 * execution errors keep Go's text. *out is malloc'ed.
 */
int cf_helm_error_cleanup(char **out, const char *filename, const char *msg, int parse_error);

/* ---- charts ------------------------------------------------------------------------------ */

/* A loaded chart with its subcharts. */
typedef struct cf_helm_chart cf_helm_chart;

/*
 * Loads a chart from a directory (honouring .helmignore) or a .tgz archive, with the subcharts
 * under charts/ (directories or archives), and validates Chart.yaml as Helm does. Archives may
 * not hold absolute or ".." paths, and links in a directory may not leave it or loop
 * (CF_EUNSAFE); a chart is at most 100 MiB, an archived file 5 MiB, 100,000 entries
 * (CF_ELIMIT). Errors: CF_ENOTFOUND (no such path, no Chart.yaml), CF_EPARSE (bad YAML, not a
 * gzip archive), CF_EINVALID ("validation: ..."), all with Helm's message. Free *out with
 * cf_helm_chart_free.
 */
int cf_helm_chart_load(cf_helm_chart **out, const char *path);
void cf_helm_chart_free(cf_helm_chart *chart);
/* The chart's name (borrowed). */
const char *cf_helm_chart_name(const cf_helm_chart *chart);
/* 1 when Chart.yaml says `deprecated: true` (helm then warns "This chart is deprecated"). */
int cf_helm_chart_deprecated(const cf_helm_chart *chart);

/* What `helm template RELEASE CHART` takes. NULL arrays with n 0 are fine. */
typedef struct {
	const char *release_name;
	const char *ns;                   /* NULL: "default" */
	const char *const *value_files;   /* -f, in order (later files win) */
	size_t n_value_files;
	const char *const *set;           /* --set, in order */
	size_t n_set;
	const char *const *set_string;    /* --set-string, in order, after --set */
	size_t n_set_string;
	int include_crds;                 /* --include-crds */
	int skip_schema_validation;       /* --skip-schema-validation: values.schema.json ignored */
	int is_upgrade;                   /* --is-upgrade: .Release.IsUpgrade true, IsInstall false */
	int no_hooks;                     /* --no-hooks: hooks are not printed */
	int skip_tests;                   /* --skip-tests: test hooks are not printed */
	const char *kube_version;         /* --kube-version (NULL: v1.20.0, as helm template) */
	const char *const *api_versions;  /* --api-versions, added to the default set */
	size_t n_api_versions;
	/* 1: api_versions is the whole set, as helm install reads it from the cluster's discovery
	 * ("apps/v1" and "apps/v1/Deployment" entries), instead of additions to the defaults. */
	int api_versions_replace;
	/* .Release.Revision: the revision being written (1 on install, previous + 1 on upgrade).
	 * 0 or less: 1, as helm template renders. */
	int revision;
	const char *const *show_only;     /* --show-only: only manifests from matching templates */
	size_t n_show_only;
	/* Out, may be NULL: set to 1 when a failure came from rendering the templates or sorting
	 * their output (where helm adds "Use --debug flag to render out invalid YAML"). */
	int *render_failed;
	/* Out, may be NULL: on failure, the whole message (malloc'ed; cf_error_last() keeps at most
	 * 2 KiB of it, and schema reports and nested include errors grow past that). */
	char **error_out;
} cf_helm_template_opts;

/*
 * Renders chart as `helm template` prints it: values coalesced, dependencies processed
 * (conditions, tags, aliases, import-values), values checked against values.schema.json of the
 * chart and its enabled subcharts (CF_EINVALID with Helm's "values don't meet the
 * specifications of the schema(s) ..." report), Chart.yaml's kubeVersion checked against
 * opts->kube_version, every template rendered, manifests sorted in Helm's install order, hooks
 * after them (then --show-only's selection: CF_ENOTFOUND "could not find template ..."). The chart tree is changed by dependency processing:
 * load it again for another render. *out is malloc'ed. Errors carry Helm's message (template
 * errors "template: chart/templates/x.yaml:3:5: executing ...", "execution error at (...)").
 */
int cf_helm_chart_template(char **out, size_t *out_len, cf_helm_chart *chart,
                           const cf_helm_template_opts *opts);

#endif
