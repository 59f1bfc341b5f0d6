/* Renders a loaded chart as `helm template` does: values, built-in objects, templates, output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CF_HELM_HAVE_SEMVER
#include "cf/semver.h"
#endif
#include "chart.h"
#include "internal.h"

typedef struct {
	char *name;          /* full template name, e.g. "parent/charts/sub/templates/x.yaml" */
	char *base_path;     /* "<chart path>/templates" */
	const chart_file *file;
	cf_helm_val *top;    /* borrowed: the chart's top-level object */
} tmpl_entry;

typedef struct {
	tmpl_entry *v;
	size_t n, cap;
	hbuf crds;
	int include_crds;
} render_ctx;

static int oom(void) { return cf_error_set(CF_ENOMEM, "out of memory"); }

static int put(cf_helm_val *m, const char *k, cf_helm_val *v)
{
	if (!v)
		return oom();
	return hv_map_set(m, k, strlen(k), v) < 0 ? oom() : 0;
}

static cf_helm_val *release_obj(const cf_helm_template_opts *o)
{
	cf_helm_val *r = hv_map();
	if (r) {
		if (put(r, "Name", hv_str(o->release_name ? o->release_name : "")) < 0 ||
		    put(r, "Namespace", hv_str(o->ns ? o->ns : "default")) < 0 ||
		    put(r, "IsUpgrade", hv_bool(o->is_upgrade)) < 0 ||
		    put(r, "IsInstall", hv_bool(!o->is_upgrade)) < 0 ||
		    put(r, "Revision", hv_int(o->revision > 0 ? o->revision : 1)) < 0 ||
		    put(r, "Service", hv_str("Helm")) < 0) {
			hv_unref(r);
			return NULL;
		}
	}
	return r;
}

static int is_partial(const char *name)
{
	const char *b = strrchr(name, '/');
	return (b ? b[1] : name[0]) == '_';
}

static int has_manifest_ext(const char *n)
{
	size_t l = strlen(n);
	return (l > 5 && !strcmp(n + l - 5, ".yaml")) || (l > 4 && !strcmp(n + l - 4, ".yml")) ||
	       (l > 5 && !strcmp(n + l - 5, ".json"));
}

static int add_entry(render_ctx *r, const char *path, const chart_file *f, cf_helm_val *top)
{
	tmpl_entry *e;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		tmpl_entry *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return oom();
		r->v = v;
		r->cap = cap;
	}
	e = &r->v[r->n];
	e->file = f;
	e->top = top;
	e->name = malloc(strlen(path) + strlen(f->name) + 2);
	e->base_path = malloc(strlen(path) + 11);
	if (!e->name || !e->base_path) {
		free(e->name);
		free(e->base_path);
		return oom();
	}
	sprintf(e->name, "%s/%s", path, f->name);
	sprintf(e->base_path, "%s/templates", path);
	r->n++;
	return 0;
}

/* Builds the top-level object of chart c (and its subcharts'), collecting templates and CRDs. */
static int build(render_ctx *r, cf_helm_chart *c, const char *path, cf_helm_val *values,
                 cf_helm_val *caps, cf_helm_val *release, int is_root, cf_helm_val **out,
                 int depth)
{
	cf_helm_val *top = hv_map(), *subs = hv_map(), *v = NULL;
	int err = 0;

	if (depth > 64) {
		hv_unref(top);
		hv_unref(subs);
		return cf_error_set(CF_ELIMIT, "charts nested too deeply");
	}
	if (!top || !subs) {
		hv_unref(top);
		hv_unref(subs);
		return oom();
	}
	top->sub = 1;
	if ((err = chart_obj_chart(&v, c, is_root)) < 0 || (err = put(top, "Chart", v)) < 0 ||
	    (err = put(top, "Capabilities", hv_ref(caps))) < 0 ||
	    (err = put(top, "Release", hv_ref(release))) < 0 ||
	    (err = put(top, "Values", hv_ref(values))) < 0)
		goto done;
	v = NULL;
	if ((err = chart_obj_files(&v, c)) < 0 || (err = put(top, "Files", v)) < 0)
		goto done;
	for (size_t i = 0; err == 0 && i < c->files.n; i++)
		if (!strncmp(c->files.v[i].name, "crds/", 5) && has_manifest_ext(c->files.v[i].name) &&
		    r->include_crds)
			hbuf_printf(&r->crds, "---\n# Source: %s/%s\n%s\n", path, c->files.v[i].name,
			            c->files.v[i].data);
	for (size_t i = 0; err == 0 && i < c->templates.n; i++)
		if (!chart_is_library(c) || is_partial(c->templates.v[i].name))
			err = add_entry(r, path, &c->templates.v[i], top);
	for (size_t i = 0; err == 0 && i < c->ndeps; i++) {
		cf_helm_chart *d = c->deps[i];
		cf_helm_val *dv = hv_map_get(values, d->name, strlen(d->name)), *dtop = NULL;
		char *sub = malloc(strlen(path) + strlen(d->name) + 9);
		int own = !(dv && dv->kind == CF_HELM_MAP);
		if (own && !(dv = hv_map())) {
			free(sub);
			err = oom();
			break;
		}
		if (!sub) {
			err = oom();
		} else {
			sprintf(sub, "%s/charts/%s", path, d->name);
			if ((err = build(r, d, sub, dv, caps, release, 0, &dtop, depth + 1)) == 0)
				err = put(subs, d->name, dtop);
		}
		if (own)
			hv_unref(dv);
		free(sub);
	}
	if (err == 0) {
		err = put(top, "Subcharts", subs);
		subs = NULL;
	}
done:
	hv_unref(subs);
	if (err < 0) {
		hv_unref(top);
		return err;
	}
	*out = top;
	return 0;
}

static int slash_count(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* Helm's parse and render order: more path components first, then reverse lexical. */
static int by_render_order(const void *pa, const void *pb)
{
	const tmpl_entry *a = pa, *b = pb;
	int ca = slash_count(a->name), cb = slash_count(b->name);
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return -strcmp(a->name, b->name);
}

static const char *json_kind(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_LIST: return "array";
	case CF_HELM_BOOL: return "bool";
	case CF_HELM_STR: return "string";
	default: return "number";
	}
}

/* One -f file merged into user, with Helm's messages for unreadable or malformed files. */
static int load_values_file(cf_helm_val *user, const char *path)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_YAML11, .filename = path };
	cf_doc *d = NULL;
	cf_helm_val *v = NULL;
	FILE *f = fopen(path, "rb");
	int err;

	if (!f)
		return cf_error_set(CF_ENOTFOUND, "open %s: no such file or directory", path);
	fclose(f);
	if ((err = cf_doc_load_yaml_file(&d, path, &lo)) < 0) {
		char *m = err == CF_EPARSE ? chart_yaml_error(cf_error_last(), path) : NULL;
		if (m)
			err = cf_error_set(err, "failed to parse %s: error converting YAML to JSON: %s",
			                   path, m);
		else
			err = cf_error_wrap(err, "failed to parse %s: ", path);
		free(m);
		return err;
	}
	if (cf_doc_len(d) > 0 && cf_doc_type_of(cf_doc_item(d, 0)) != CF_DOC_NULL &&
	    (err = cf_helm_val_from_doc(&v, cf_doc_item(d, 0))) == 0) {
		if (v->kind != CF_HELM_MAP)
			err = cf_error_set(CF_EPARSE, "failed to parse %s: error unmarshaling JSON: while "
			                   "decoding JSON: json: cannot unmarshal %s into Go value of type "
			                   "map[string]interface {}", path, json_kind(v));
		else
			err = chart_merge_values(user, v);
	}
	hv_unref(v);
	cf_doc_free(d);
	return err;
}

static int load_user_values(cf_helm_val **out, const cf_helm_template_opts *o)
{
	cf_helm_val *user = hv_map();
	int err = 0;
	if (!user)
		return oom();
	for (size_t i = 0; err == 0 && i < o->n_value_files; i++)
		err = load_values_file(user, o->value_files[i]);
	for (size_t i = 0; err == 0 && i < o->n_set; i++)
		err = chart_strvals_parse(user, o->set[i], 0);
	for (size_t i = 0; err == 0 && i < o->n_set_string; i++)
		err = chart_strvals_parse(user, o->set_string[i], 1);
	if (err < 0) {
		hv_unref(user);
		return err;
	}
	*out = user;
	return 0;
}

static int parse_all(cf_helm_tmpl *set, render_ctx *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const tmpl_entry *e = &r->v[i];
		if (cf_helm_tmpl_parse(set, e->name, e->file->data, e->file->len) < 0) {
			char *msg = NULL;
			int code = cf_error_last_code();
			if (cf_helm_error_cleanup(&msg, e->name, cf_error_last(), 1) < 0)
				return code;
			cf_error_set(code, "%s", msg);
			free(msg);
			return code;
		}
	}
	return 0;
}

static int exec_one(cf_helm_tmpl *set, tmpl_entry *e, chart_rendered *res)
{
	cf_helm_opts opts = { .helm_strip = 1 };
	cf_helm_val *t = hv_map();
	char *full = NULL, *msg = NULL;
	size_t len;
	int err;

	if (!t)
		return oom();
	t->sub = 1;
	if ((err = put(t, "Name", hv_str(e->name))) < 0 ||
	    (err = put(t, "BasePath", hv_str(e->base_path))) < 0) {
		hv_unref(t);
		return err;
	}
	/* Set on the chart's shared top-level object before each file, as Helm does. */
	if ((err = put(e->top, "Template", t)) < 0)
		return err;
	opts.error_out = &full;
	if ((err = cf_helm_tmpl_exec(&res->content, &len, set, e->name, e->top, &opts)) < 0) {
		const char *m = full ? full : cf_error_last();
		if (cf_helm_error_cleanup(&msg, e->name, m, 0) == 0) {
			hv_error_long(err, msg);
			free(msg);
		}
		free(full);
		return err;
	}
	free(full);
	res->path = e->name;
	return 0;
}

static void ctx_free(render_ctx *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].base_path);
	}
	free(r->v);
	hbuf_free(&r->crds);
}

/* Every dependency Chart.yaml lists must be present under charts/ (action.CheckDependencies). */
static int check_dependencies(const cf_helm_chart *c)
{
	cf_doc *reqs = cf_doc_get(c->meta, "dependencies");
	hbuf missing;
	size_t nmissing = 0;
	int err = 0;

	if (!reqs || cf_doc_type_of(reqs) != CF_DOC_SEQ)
		return 0;
	hbuf_init(&missing, 0);
	for (size_t i = 0; i < cf_doc_len(reqs); i++) {
		const char *name = cf_doc_get_str(cf_doc_item(reqs, i), "name");
		int found = 0;
		for (size_t j = 0; name && j < c->ndeps && !found; j++)
			found = !strcmp(c->deps[j]->name, name);
		if (!found)
			hbuf_printf(&missing, "%s%s", nmissing++ ? ", " : "", name ? name : "");
	}
	if (nmissing)
		err = cf_error_set(CF_ENOTFOUND, "An error occurred while checking for chart "
		                   "dependencies. You may need to run `helm dependency build` to fetch "
		                   "missing dependencies: found in Chart.yaml, but missing in charts/ "
		                   "directory: %s", missing.p ? missing.p : "");
	hbuf_free(&missing);
	return err;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* Chart.yaml's kubeVersion range against the assumed Kubernetes version, as Helm checks it. */
static int check_kube_version(const cf_helm_chart *chart, const char *kube_version)
{
	const char *range = cf_doc_get_str(chart->meta, "kubeVersion");
	char ver[96];
	int err, ok = 1;

	if (!range || !*range)
		return 0;
	if ((err = chart_kube_version(ver, sizeof(ver), kube_version)) < 0)
		return err;
#ifdef CF_HELM_HAVE_SEMVER
	{
		cf_semver_constraint *c = NULL;
		cf_semver *v = NULL;
		ok = cf_semver_constraint_parse(&c, range) == 0 && cf_semver_parse(&v, ver, 0) == 0 &&
		     cf_semver_constraint_check(c, v);
		cf_semver_constraint_free(c);
		cf_semver_free(v);
	}
#endif
	if (ok)
		return 0;
	return cf_error_set(CF_EINVALID, "chart requires kubeVersion: %s which is incompatible with "
	                    "Kubernetes %s", range, ver);
}

int cf_helm_chart_template(char **out, size_t *out_len, cf_helm_chart *chart,
                           const cf_helm_template_opts *opts)
{
	chart_print_opts po = {
		.no_hooks = opts->no_hooks, .skip_tests = opts->skip_tests,
	};
	render_ctx r = { .include_crds = opts->include_crds };
	cf_helm_val *user = NULL, *vals = NULL, *caps = NULL, *release = NULL, *top = NULL;
	cf_helm_tmpl *set = NULL;
	chart_rendered *files = NULL;
	size_t nfiles = 0;
	const char *type = cf_doc_get_str(chart->meta, "type");
	int err, rendering = 0;

	hbuf_init(&r.crds, 0);
	hv_error_long_clear();
	if (type && *type && strcmp(type, "application") != 0) {
		err = cf_error_set(CF_EINVALID, "%s charts are not installable", type);
		goto done;
	}
	if ((err = check_dependencies(chart)) < 0 || (err = load_user_values(&user, opts)) < 0 ||
	    (err = chart_process_deps(chart, user)) < 0)
		goto done;
	if (!(vals = hv_deep_copy(user, 0))) {
		err = oom();
		goto done;
	}
	vals->sub = 1;
	if ((err = chart_coalesce(chart, vals)) < 0 ||
	    (!opts->skip_schema_validation && (err = chart_schema_validate(chart, vals)) < 0) ||
	    (err = chart_obj_capabilities(&caps, opts->kube_version, opts->api_versions,
	                                  opts->n_api_versions, opts->api_versions_replace)) < 0)
		goto done;
	/* Helm checks kubeVersion while rendering, so its failure carries the --debug hint. */
	rendering = 1;
	if ((err = check_kube_version(chart, opts->kube_version)) < 0)
		goto done;
	rendering = 0;
	if (!(release = release_obj(opts))) {
		err = oom();
		goto done;
	}
	if ((err = build(&r, chart, chart->name, vals, caps, release, 1, &top, 0)) < 0)
		goto done;
	rendering = 1;
	if (r.n)
		qsort(r.v, r.n, sizeof(*r.v), by_render_order);
	if ((err = cf_helm_tmpl_new(&set)) < 0 || (err = parse_all(set, &r)) < 0)
		goto done;
	if (!(files = calloc(r.n + 1, sizeof(*files)))) {
		err = oom();
		goto done;
	}
	for (size_t i = 0; i < r.n; i++) {
		if (is_partial(r.v[i].name))
			continue;
		if ((err = exec_one(set, &r.v[i], &files[nfiles])) < 0)
			goto done;
		if (has_suffix(r.v[i].name, "NOTES.txt")) {
			free(files[nfiles].content);
			files[nfiles].content = NULL;
			continue;
		}
		nfiles++;
	}
	err = chart_manifests_print(out, out_len, files, nfiles, r.crds.p ? r.crds.p : "",
	                            r.crds.len, &po);
	if (err == 0 && opts->n_show_only) {
		rendering = 0; /* a --show-only miss is no render failure */
		err = chart_show_only(out, out_len, opts->show_only, opts->n_show_only);
	}
done:
	if (err < 0 && rendering && opts->render_failed)
		*opts->render_failed = 1;
	if (err < 0 && opts->error_out)
		*opts->error_out = hv_error_full();
	hv_error_long_clear();
	for (size_t i = 0; files && i < nfiles; i++)
		free(files[i].content);
	free(files);
	cf_helm_tmpl_free(set);
	hv_unref(top);
	hv_unref(caps);
	hv_unref(release);
	hv_unref(vals);
	hv_unref(user);
	ctx_free(&r);
	return err;
}
