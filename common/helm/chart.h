/* Internals of the chart layer: a loaded chart tree and the steps that render it. */
#ifndef CF_HELM_CHART_H
#define CF_HELM_CHART_H

#include <stddef.h>

#include "cf/doc.h"
#include "cf/helm.h"

typedef struct {
	char *name; /* path inside the chart, '/'-separated */
	char *data;
	size_t len;
} chart_file;

typedef struct {
	chart_file *v;
	size_t n, cap;
} chart_files;

struct cf_helm_chart {
	char *name;             /* effective name (an alias replaces the Chart.yaml name) */
	cf_doc *meta;           /* Chart.yaml as loaded (YAML11) */
	cf_helm_val *values;    /* values.yaml defaults, a map */
	chart_files templates;  /* templates/... */
	chart_files files;      /* every other file (crds/ included), for .Files */
	char *schema;           /* values.schema.json (NUL-terminated) or NULL */
	size_t schema_len;
	struct cf_helm_chart **deps;
	size_t ndeps;
	struct cf_helm_chart *parent;
};

/* ---- chart_load.c ---- */
int chart_files_add(chart_files *fs, const char *name, const char *data, size_t len);
void chart_files_clear(chart_files *fs);
/* Builds a chart from a flat list of files (paths relative to the chart root). */
int chart_from_files(cf_helm_chart **out, chart_files *fs, const char *where);
int chart_clone(cf_helm_chart **out, const cf_helm_chart *c);
int chart_is_library(const cf_helm_chart *c);

/* ---- chart_meta.c ---- */
/* Rewrites the string fields of Chart.yaml (and of requirements.yaml's list) as Go strings. */
int chart_meta_normalize(cf_doc *meta);
/* chart.Metadata.Validate: CF_EINVALID with Helm's "validation: ..." message. */
int chart_meta_validate(const cf_doc *meta);

/* ---- chart_values.c ---- */
/* Coalesces chart defaults (and subcharts') into vals, as chartutil.CoalesceValues. */
int chart_coalesce(cf_helm_chart *c, cf_helm_val *vals);
/* Applies conditions, tags, aliases and import-values to the chart tree for user values. */
int chart_process_deps(cf_helm_chart *c, cf_helm_val *user);
/* Merges src over dst (src wins; maps merge recursively; nil in src deletes). dst changed. */
int chart_merge_values(cf_helm_val *dst, cf_helm_val *src);
cf_helm_val *chart_values_copy(const cf_helm_val *v);

/* ---- chart_schema.c ---- */
/*
 * Validates vals (coalesced values of c) against c's values.schema.json and its enabled
 * subcharts' schemas, as Helm does before rendering: CF_EINVALID with Helm's message ("values
 * don't meet the specifications of the schema(s) in the following chart(s):\n<chart>:\n- at
 * '/path': ..."), CF_EPARSE for a schema that is no JSON, CF_ELIMIT for $ref loops.
 */
int chart_schema_validate(const cf_helm_chart *c, const cf_helm_val *vals);

/* ---- chart_yaml_error.c ---- */
/* go-yaml's wording of a doc loader error for file filename (malloc'ed; NULL on OOM). */
char *chart_yaml_error(const char *msg, const char *filename);

/* ---- setvalues.c ---- */
/* Parses one --set (as_string 0) or --set-string (1) argument into vals. */
int chart_strvals_parse(cf_helm_val *vals, const char *s, int as_string);

/* ---- chart_objs.c ---- */
int chart_obj_chart(cf_helm_val **out, const cf_helm_chart *c, int is_root);
/* .Capabilities for kube_version (NULL: Helm's default) with extra API versions after the
 * default set, or instead of it when replace. CF_EINVALID with Helm's message for a kube
 * version it would not parse. */
int chart_obj_capabilities(cf_helm_val **out, const char *kube_version,
                           const char *const *extra_apis, size_t n_extra, int replace);
/* "v1.20.0" or the Version --kube-version gives (out of size bytes). */
int chart_kube_version(char *out, size_t size, const char *kube_version);
int chart_obj_files(cf_helm_val **out, const cf_helm_chart *c);

/* ---- manifest_head.c ---- */
/*
 * Reads a manifest's kind and helm.sh/hook annotation (*kind, *hook malloc'ed or NULL) without
 * building a tree: 1 when that settles it, 0 when the document needs the full loader (errors,
 * anchors, tags, merge keys, values YAML 1.1 would type), CF_ENOMEM.
 */
int manifest_head(const char *s, size_t n, char **kind, char **hook);

/* ---- manifest_sort.c ---- */
/* Splits rendered files into sorted manifests and hooks and prints them as helm template does. */
typedef struct {
	char *path;
	char *content;
} chart_rendered;
typedef struct {
	int no_hooks;                  /* --no-hooks: hooks not printed */
	int skip_tests;                /* --skip-tests: test hooks not printed */
} chart_print_opts;
int chart_manifests_print(char **out, size_t *out_len, chart_rendered *files, size_t n,
                          const char *crds, size_t crds_len, const chart_print_opts *po);
/*
 * --show-only: keeps from *out (replaced) the documents whose "# Source: <chart>/<path>" path
 * matches one of the globs, glob by glob, as helm template prints them; CF_ENOTFOUND with
 * "could not find template <glob> in chart" when a glob matches none.
 */
int chart_show_only(char **out, size_t *out_len, const char *const *globs, size_t n);

#endif
