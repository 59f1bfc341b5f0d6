/*
 * Values of a chart tree: coalescing defaults under user values, globals, and the dependency
 * processing (conditions, tags, aliases, import-values) that Helm runs before rendering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "internal.h"

#ifdef CF_HELM_HAVE_SEMVER
#include "cf/semver.h"
#endif

static int is_map(const cf_helm_val *v) { return v && v->kind == CF_HELM_MAP; }
static int oom(void) { return cf_error_set(CF_ENOMEM, "out of memory"); }

cf_helm_val *chart_values_copy(const cf_helm_val *v) { return hv_deep_copy(v, 0); }

static int set_key(cf_helm_val *m, const char *k, cf_helm_val *v)
{
	if (!v)
		return oom();
	return hv_map_set(m, k, strlen(k), v) < 0 ? oom() : 0;
}

/*
 * dst has priority; keys only in src are copied in. With merge off, a nil in dst deletes the key
 * (how a user's null removes a default).
 */
static int coalesce_tables(cf_helm_val *dst, const cf_helm_val *src, int merge, int depth)
{
	int err = 0;
	if (depth > HV_MAX_DEPTH)
		return cf_error_set(CF_ELIMIT, "values nested too deeply");
	for (size_t i = 0; err == 0 && i < src->m.len; i++) {
		const char *k = src->m.pairs[i].key;
		cf_helm_val *sv = src->m.pairs[i].val, *dv = hv_map_get(dst, k, strlen(k));
		if (dv && !merge && hv_is_nil(dv))
			hv_map_del(dst, k, strlen(k));
		else if (!dv)
			err = set_key(dst, k, hv_deep_copy(sv, 0));
		else if (is_map(sv) && is_map(dv))
			err = coalesce_tables(dv, sv, merge, depth + 1);
	}
	return err;
}

static int has_dep(const cf_helm_chart *c, const char *key)
{
	for (size_t i = 0; i < c->ndeps; i++)
		if (!strcmp(c->deps[i]->name, key))
			return 1;
	return 0;
}

/* Chart defaults into v (coalesceValues). */
static int coalesce_values(const cf_helm_chart *c, cf_helm_val *v, int merge)
{
	const cf_helm_val *vc = c->values;
	int err = 0;
	for (size_t i = 0; err == 0 && i < vc->m.len; i++) {
		const char *k = vc->m.pairs[i].key;
		cf_helm_val *val = vc->m.pairs[i].val, *cur = hv_map_get(v, k, strlen(k));
		if (!cur)
			err = set_key(v, k, hv_deep_copy(val, 0));
		else if (hv_is_nil(cur) && !merge)
			hv_map_del(v, k, strlen(k));
		else if (is_map(cur) && is_map(val))
			err = coalesce_tables(cur, val, merge || has_dep(c, k), 0);
	}
	return err;
}

/* The parent's `global` map into the subchart's values, the parent's entries winning. */
static int coalesce_globals(cf_helm_val *dest, const cf_helm_val *src)
{
	cf_helm_val *dg = hv_map_get(dest, "global", 6), *sg = hv_map_get(src, "global", 6);
	int err = 0;
	if (dg && !is_map(dg))
		return 0;
	if (sg && !is_map(sg))
		return 0;
	if (!dg) {
		if ((err = set_key(dest, "global", hv_map())) < 0)
			return err;
		dg = hv_map_get(dest, "global", 6);
	}
	for (size_t i = 0; sg && err == 0 && i < sg->m.len; i++) {
		const char *k = sg->m.pairs[i].key;
		cf_helm_val *val = sg->m.pairs[i].val, *dv = hv_map_get(dg, k, strlen(k));
		if (is_map(val)) {
			cf_helm_val *vv = hv_deep_copy(val, 0);
			if (!vv)
				return oom();
			if (dv && !is_map(dv)) {
				hv_unref(vv);
				continue;
			}
			if (dv && (err = coalesce_tables(vv, dv, 1, 0)) < 0) {
				hv_unref(vv);
				return err;
			}
			err = set_key(dg, k, vv);
		} else if (!(dv && is_map(dv))) {
			err = set_key(dg, k, hv_ref(val));
		}
	}
	return err;
}

static int coalesce(const cf_helm_chart *c, cf_helm_val *dest, int merge, int depth);

static int coalesce_deps(const cf_helm_chart *c, cf_helm_val *dest, int merge, int depth)
{
	int err = 0;
	for (size_t i = 0; err == 0 && i < c->ndeps; i++) {
		const char *n = c->deps[i]->name;
		cf_helm_val *dv = hv_map_get(dest, n, strlen(n));
		if (!dv) {
			if ((err = set_key(dest, n, hv_map())) < 0)
				return err;
			dv = hv_map_get(dest, n, strlen(n));
		} else if (!is_map(dv)) {
			if (hv_is_nil(dv))
				continue;
			char *text = hv_strval(dv, NULL);
			err = cf_error_set(CF_EINVALID, "type mismatch on %s: %%!t(%s=%s)", n,
			                   hv_type_name(dv), text ? text : "");
			free(text);
			return err;
		}
		if ((err = coalesce_globals(dv, dest)) == 0)
			err = coalesce(c->deps[i], dv, merge, depth + 1);
	}
	return err;
}

static int coalesce(const cf_helm_chart *c, cf_helm_val *dest, int merge, int depth)
{
	int err;
	if (depth > 64)
		return cf_error_set(CF_ELIMIT, "charts nested too deeply");
	if ((err = coalesce_values(c, dest, merge)) < 0)
		return err;
	return coalesce_deps(c, dest, merge, depth);
}

int chart_coalesce(cf_helm_chart *c, cf_helm_val *vals) { return coalesce(c, vals, 0, 0); }

int chart_merge_values(cf_helm_val *dst, cf_helm_val *src)
{
	int err = 0;
	for (size_t i = 0; err == 0 && i < src->m.len; i++) {
		const char *k = src->m.pairs[i].key;
		cf_helm_val *sv = src->m.pairs[i].val, *dv = hv_map_get(dst, k, strlen(k));
		if (is_map(sv) && is_map(dv))
			err = chart_merge_values(dv, sv);
		else
			err = set_key(dst, k, hv_ref(sv));
	}
	return err;
}

/* ---- dependencies ---- */

static cf_doc *deps_of(const cf_helm_chart *c)
{
	cf_doc *d = cf_doc_get(c->meta, "dependencies");
	return d && cf_doc_type_of(d) == CF_DOC_SEQ ? d : NULL;
}

static const char *dep_str(const cf_doc *dep, const char *key)
{
	const char *s = cf_doc_get_str(dep, key);
	return s && *s ? s : NULL;
}

/* Looks up a dotted path ("a.b.c"); NULL when a step is missing. */
static cf_helm_val *path_value(cf_helm_val *v, const char *path)
{
	const char *p = path;
	while (v) {
		size_t n = strcspn(p, ".");
		if (!is_map(v))
			return NULL;
		v = hv_map_get(v, p, n);
		if (!p[n])
			return v;
		p += n + 1;
	}
	return NULL;
}

static int dep_enabled(const cf_doc *dep, cf_helm_val *cvals, const char *path)
{
	cf_helm_val *tags = hv_map_get(cvals, "tags", 4);
	cf_doc *tl = cf_doc_get(dep, "tags");
	const char *cond = dep_str(dep, "condition");
	int enabled = 1, has_true = 0, has_false = 0;
	char buf[2048];

	if (is_map(tags) && tl && cf_doc_type_of(tl) == CF_DOC_SEQ) {
		for (size_t i = 0; i < cf_doc_len(tl); i++) {
			const char *t = cf_doc_text(cf_doc_item(tl, i));
			cf_helm_val *b = t ? hv_map_get(tags, t, strlen(t)) : NULL;
			if (b && b->kind == CF_HELM_BOOL)
				*(b->b ? &has_true : &has_false) = 1;
		}
		enabled = !(!has_true && has_false);
	}
	while (cond && *cond) {
		size_t n = strcspn(cond, ",");
		const char *c = cond;
		while (n && (*c == ' ' || *c == '\t'))
			c++, n--;
		while (n && (c[n - 1] == ' ' || c[n - 1] == '\t'))
			n--;
		if (n > 0) {
			cf_helm_val *v;
			snprintf(buf, sizeof(buf), "%s%.*s", path, (int)n, c);
			v = path_value(cvals, buf);
			if (v && v->kind == CF_HELM_BOOL)
				return v->b;
		}
		cond += strcspn(cond, ",");
		if (*cond)
			cond++;
	}
	return enabled;
}

static void set_deps(cf_helm_chart *c, cf_helm_chart **v, size_t n)
{
	free(c->deps);
	c->deps = v;
	c->ndeps = n;
	for (size_t i = 0; i < n; i++)
		v[i]->parent = c;
}

/* chartutil.IsCompatibleRange: the chart's version satisfies the dependency's range. */
static int compatible(const cf_doc *req, const cf_helm_chart *d)
{
#ifdef CF_HELM_HAVE_SEMVER
	const char *range = cf_doc_get_str(req, "version");
	const char *ver = cf_doc_get_str(d->meta, "version");
	cf_semver_constraint *c = NULL;
	cf_semver *v = NULL;
	int ok = 0;

	if (ver && cf_semver_parse(&v, ver, 0) == 0 &&
	    cf_semver_constraint_parse(&c, range ? range : "") == 0)
		ok = cf_semver_constraint_check(c, v);
	cf_semver_constraint_free(c);
	cf_semver_free(v);
	return ok;
#else
	(void)req;
	(void)d;
	return 1;
#endif
}

/* Matches charts/ to Chart.yaml dependencies, applying aliases (a copy per alias). */
static int resolve_aliases(cf_helm_chart *c)
{
	cf_doc *reqs = deps_of(c);
	size_t nreq = reqs ? cf_doc_len(reqs) : 0, n = 0;
	cf_helm_chart **out = calloc(c->ndeps + nreq + 1, sizeof(*out));
	int *used = calloc(c->ndeps + 1, sizeof(int));
	int err = 0;

	if (!out || !used) {
		free(out);
		free(used);
		return oom();
	}
	for (size_t i = 0; i < c->ndeps; i++) {
		int listed = 0;
		for (size_t j = 0; j < nreq && !listed; j++) {
			const char *rn = dep_str(cf_doc_item(reqs, j), "name");
			const char *orig = cf_doc_get_str(c->deps[i]->meta, "name");
			listed = rn && orig && !strcmp(rn, orig) &&
			         compatible(cf_doc_item(reqs, j), c->deps[i]);
		}
		if (!listed) {
			out[n++] = c->deps[i];
			used[i] = 1;
		}
	}
	for (size_t j = 0; err == 0 && j < nreq; j++) {
		cf_doc *r = cf_doc_item(reqs, j);
		const char *rn = dep_str(r, "name"), *alias = dep_str(r, "alias");
		for (size_t i = 0; rn && i < c->ndeps; i++) {
			cf_helm_chart *d = c->deps[i];
			const char *orig = cf_doc_get_str(d->meta, "name");
			if (!orig || strcmp(orig, rn) != 0 || !compatible(r, d))
				continue;
			if (!used[i]) {
				used[i] = 1;
			} else if ((err = chart_clone(&d, c->deps[i])) < 0) {
				break;
			}
			out[n++] = d;
			if (alias) {
				char *a = strdup(alias);
				if (!a) {
					err = oom();
					break;
				}
				free(d->name);
				d->name = a;
			}
			break;
		}
	}
	/* Charts listed but never picked (a second alias of a chart consumed its original). */
	for (size_t i = 0; i < c->ndeps; i++)
		if (!used[i])
			cf_helm_chart_free(c->deps[i]);
	free(used);
	set_deps(c, out, n);
	return err;
}

static const char *req_name(const cf_doc *r)
{
	return dep_str(r, "alias") ? dep_str(r, "alias") : dep_str(r, "name");
}

/*
 * Drops the charts whose dependency entry is disabled, and rewrites Chart.yaml's list as Helm
 * leaves it: enabled entries only, named by their alias.
 */
static int filter_disabled(cf_helm_chart *c, cf_doc *reqs, cf_helm_val *cvals, const char *path)
{
	size_t nreq = cf_doc_len(reqs), n = 0;
	char *off = calloc(nreq + 1, 1);
	cf_doc *kept = NULL;
	int err = 0;

	if (!off || cf_doc_new_seq(&kept) < 0) {
		free(off);
		return oom();
	}
	for (size_t j = 0; j < nreq; j++)
		off[j] = !dep_enabled(cf_doc_item(reqs, j), cvals, path);
	for (size_t i = 0; i < c->ndeps; i++) {
		cf_helm_chart *d = c->deps[i];
		int enabled = 1;
		for (size_t j = 0; j < nreq; j++) {
			const char *nm = req_name(cf_doc_item(reqs, j));
			if (off[j] && nm && !strcmp(nm, d->name))
				enabled = 0;
		}
		if (enabled)
			c->deps[n++] = d;
		else
			cf_helm_chart_free(d);
	}
	c->ndeps = n;
	for (size_t j = 0; err == 0 && j < nreq; j++) {
		cf_doc *r = cf_doc_item(reqs, j), *copy = NULL;
		const char *nm = req_name(r);
		int drop = 0;
		for (size_t k = 0; k < nreq; k++)
			drop |= off[k] && nm && req_name(cf_doc_item(reqs, k)) &&
			        !strcmp(nm, req_name(cf_doc_item(reqs, k)));
		if (drop)
			continue;
		if ((err = cf_doc_clone(&copy, r)) == 0 && nm && cf_doc_type_of(copy) == CF_DOC_MAP)
			err = cf_doc_map_set_str(copy, "name", nm);
		if (err == 0)
			err = cf_doc_seq_append(kept, copy);
		else
			cf_doc_free(copy);
	}
	free(off);
	if (err == 0)
		return cf_doc_map_set(c->meta, "dependencies", kept);
	cf_doc_free(kept);
	return err;
}

static int process_enabled(cf_helm_chart *c, cf_helm_val *v, const char *path, int depth)
{
	cf_doc *reqs;
	cf_helm_val *cvals = NULL;
	int err;

	if (depth > 64)
		return cf_error_set(CF_ELIMIT, "charts nested too deeply");
	if (!(reqs = deps_of(c)))
		return 0;
	if ((err = resolve_aliases(c)) < 0)
		return err;
	if (!(cvals = hv_deep_copy(v, 0)))
		return oom();
	if ((err = coalesce(c, cvals, 0, 0)) < 0)
		goto done;
	if ((err = filter_disabled(c, reqs, cvals, path)) < 0)
		goto done;
	for (size_t i = 0; err == 0 && i < c->ndeps; i++) {
		char sub[2048];
		snprintf(sub, sizeof(sub), "%s%s.", path, c->deps[i]->name);
		err = process_enabled(c->deps[i], cvals, sub, depth + 1);
	}
done:
	hv_unref(cvals);
	return err;
}

/* Nests data under a dotted path ("a.b" -> {a: {b: data}}); "." is the root. */
static cf_helm_val *path_to_map(const char *path, cf_helm_val *data)
{
	const char *last;
	cf_helm_val *m;
	if (!strcmp(path, ".") || !*path)
		return hv_deep_copy(data, 0);
	last = strrchr(path, '.');
	if (!(m = hv_map()))
		return NULL;
	if (last) {
		char *head = strndup(path, (size_t)(last - path));
		cf_helm_val *inner = hv_map(), *outer;
		if (!head || !inner || hv_map_set(inner, last + 1, strlen(last + 1),
		                                   hv_deep_copy(data, 0)) < 0) {
			free(head);
			hv_unref(inner);
			hv_unref(m);
			return NULL;
		}
		hv_unref(m);
		outer = path_to_map(head, inner);
		free(head);
		hv_unref(inner);
		return outer;
	}
	if (hv_map_set(m, path, strlen(path), hv_deep_copy(data, 0)) < 0) {
		hv_unref(m);
		return NULL;
	}
	return m;
}

static int import_one(cf_helm_val *b, cf_helm_val *cvals, const char *dep, const char *child,
                      const char *parent)
{
	char buf[2048];
	cf_helm_val *t, *m;
	int err;
	snprintf(buf, sizeof(buf), "%s.%s", dep, child);
	if (!(t = path_value(cvals, buf)) || !is_map(t))
		return 0;
	if (!(m = path_to_map(parent, t)))
		return oom();
	err = coalesce_tables(b, m, 1, 0);
	hv_unref(m);
	return err;
}

static int process_imports(cf_helm_chart *c, int depth)
{
	cf_doc *reqs = deps_of(c);
	cf_helm_val *cvals = NULL, *b = NULL;
	int err = 0;

	if (depth > 64)
		return cf_error_set(CF_ELIMIT, "charts nested too deeply");
	for (size_t i = 0; err == 0 && i < c->ndeps; i++)
		err = process_imports(c->deps[i], depth + 1);
	if (err < 0 || !reqs)
		return err;
	if (!(cvals = hv_map()) || !(b = hv_map())) {
		err = oom();
		goto done;
	}
	if ((err = coalesce(c, cvals, 1, 0)) < 0)
		goto done;
	for (size_t j = 0; err == 0 && j < cf_doc_len(reqs); j++) {
		cf_doc *r = cf_doc_item(reqs, j), *iv = cf_doc_get(r, "import-values");
		const char *nm = dep_str(r, "alias") ? dep_str(r, "alias") : dep_str(r, "name");
		for (size_t k = 0; nm && iv && cf_doc_type_of(iv) == CF_DOC_SEQ && err == 0 &&
		                   k < cf_doc_len(iv); k++) {
			cf_doc *e = cf_doc_item(iv, k);
			if (cf_doc_type_of(e) == CF_DOC_STR) {
				char child[1024];
				snprintf(child, sizeof(child), "exports.%s", cf_doc_text(e));
				err = import_one(b, cvals, nm, child, ".");
			} else if (cf_doc_type_of(e) == CF_DOC_MAP && cf_doc_get_str(e, "child") &&
			           cf_doc_get_str(e, "parent")) {
				err = import_one(b, cvals, nm, cf_doc_get_str(e, "child"),
				                 cf_doc_get_str(e, "parent"));
			}
		}
	}
	/* The parent's own values win over what it imports. */
	if (err == 0 && (err = coalesce_tables(cvals, b, 1, 0)) == 0) {
		hv_unref(c->values);
		c->values = cvals;
		cvals = NULL;
	}
done:
	hv_unref(cvals);
	hv_unref(b);
	return err;
}

int chart_process_deps(cf_helm_chart *c, cf_helm_val *user)
{
	int err = process_enabled(c, user, "", 0);
	return err < 0 ? err : process_imports(c, 0);
}
