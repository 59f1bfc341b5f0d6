/*
 * vars: $(NAME) references resolved at the end of a build, in the fields kustomize's default
 * varReference configuration names (plus those of the kustomization's configurations).
 */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "fieldpath.h"
#include "internal.h"

typedef struct {
	char **names;
	cf_doc **values; /* copies of the referenced fields, taken before any substitution */
	size_t n;
} var_table;

/* One place kustomize looks for references: a kind (NULL: every kind) and a path. */
typedef struct {
	const char *kind;
	const char *path;
} var_field;

/* Kinds whose pod template sits at spec/template/spec. */
static const char *const template_kinds[] = {"DaemonSet", "Deployment", "Job", "ReplicaSet", "StatefulSet"};
/* Below a pod spec; kustomize leaves volumes/nfs/server of StatefulSets out (see the table). */
static const char *const pod_fields[] = {
	"containers/args", "containers/command", "containers/env/value", "containers/volumeMounts/mountPath",
	"initContainers/args", "initContainers/command", "initContainers/env/value",
	"initContainers/volumeMounts/mountPath",
};

/* The rest of kustomize v5.5's default varReference field specs. */
static const var_field other_fields[] = {
	{"CronJob", "spec/jobTemplate/spec/template/spec/volumes/nfs/server"},
	{"DaemonSet", "spec/template/spec/volumes/nfs/server"},
	{"Deployment", "spec/template/spec/volumes/nfs/server"},
	{"Deployment", "spec/template/metadata/annotations"},
	{"Job", "spec/template/spec/volumes/nfs/server"},
	{"ReplicaSet", "spec/template/spec/volumes/nfs/server"},
	{"StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server"},
	{"Pod", "spec/volumes/nfs/server"},
	{"Ingress", "spec/rules/host"},
	{"Ingress", "spec/tls/hosts"},
	{"Ingress", "spec/tls/secretName"},
	{"Service", "spec/ports/port"},
	{"Service", "spec/ports/targetPort"},
	{"PersistentVolume", "spec/nfs/server"},
	{NULL, "metadata/labels"},
	{NULL, "metadata/annotations"},
};

/* What a substitution walk needs: the table, and whether the field holds strings only. */
typedef struct {
	const var_table *t;
	int strings_only;
} subst_ctx;

static void table_free(var_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->names[i]);
		cf_doc_free(t->values[i]);
	}
	free(t->names);
	free(t->values);
}

static int find_target(kz_res **out, kz_resmap *m, const cf_doc *objref, const char *var)
{
	const char *kind = kz_scalar(cf_doc_get(objref, "kind"));
	const char *name = kz_scalar(cf_doc_get(objref, "name"));
	const char *api = kz_scalar(cf_doc_get(objref, "apiVersion"));
	const char *ns = kz_scalar(cf_doc_get(objref, "namespace"));
	kz_res *found = NULL;

	for (size_t i = 0; i < m->len; i++) {
		kz_res *r = m->items[i];
		int named = name && strcmp(name, kz_res_name(r)) == 0;
		for (size_t j = 0; !named && name && j < r->n_ids; j++)
			named = strcmp(r->ids[j].name, name) == 0;
		if (!named || (kind && strcmp(kind, kz_res_kind(r)) != 0))
			continue;
		if (api && *api && strcmp(api, kz_res_api_version(r)) != 0)
			continue;
		if (ns && *ns && strcmp(ns, kz_res_ns(r)) != 0)
			continue;
		if (found)
			return cf_error_set(CF_EINVALID, "var '%s' matches more than one resource", var);
		found = r;
	}
	if (!found)
		return cf_error_set(CF_ENOTFOUND, "var '%s' cannot be mapped to a field in the set of "
		                    "known resources", var);
	*out = found;
	return 0;
}

static int build_table(var_table *t, kz_resmap *m, const cf_doc *vars)
{
	size_t n = cf_doc_len(vars);
	int err = 0;

	t->names = calloc(n ? n : 1, sizeof(char *));
	t->values = calloc(n ? n : 1, sizeof(cf_doc *));
	if (!t->names || !t->values)
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && err == 0; i++) {
		const cf_doc *v = cf_doc_item(vars, i);
		const char *name = kz_scalar(cf_doc_get(v, "name"));
		const char *fp = kz_scalar(cf_doc_get_path(v, "fieldref", "fieldpath", NULL));
		kz_res *r = NULL;
		if (!name)
			return cf_error_set(CF_EINVALID, "a var needs a name");
		for (size_t j = 0; j < t->n; j++)
			if (strcmp(t->names[j], name) == 0)
				return cf_error_set(CF_EINVALID, "var '%s' already encountered", name);
		if ((err = find_target(&r, m, cf_doc_get(v, "objref"), name)) < 0)
			break;
		cf_doc *node = kz_path_get(r->obj, fp && *fp ? fp : "metadata.name");
		if (!kz_scalar(node) || cf_doc_type_of(node) == CF_DOC_NULL)
			return cf_error_set(CF_EINVALID, "field specified in var '%s' not found in "
			                    "corresponding resource", name);
		if (!(t->names[t->n] = strdup(name)) || cf_doc_clone(&t->values[t->n], node) < 0) {
			free(t->names[t->n]);
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
		t->n++;
	}
	return err;
}

/* The var named by the n bytes at name, or NULL. */
static const cf_doc *lookup(const var_table *t, const char *name, size_t n)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->names[i]) == n && strncmp(t->names[i], name, n) == 0)
			return t->values[i];
	return NULL;
}

/* Replaces every $(NAME) of a known var in s and $$ by $; NULL when nothing changed. */
static char *expand(const var_table *t, const char *s)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = NULL;
	int changed = 0;

	if (!strchr(s, '$'))
		return NULL;
	if (!(out = malloc(cap)))
		return NULL;
	for (const char *p = s; *p;) {
		const char *val = NULL;
		size_t skip = 1;
		if (p[0] == '$' && p[1] == '$') {
			/* Kubernetes expansion: $$ escapes a literal $ */
			val = "$";
			skip = 2;
		} else if (p[0] == '$' && p[1] == '(') {
			const char *close = strchr(p + 2, ')');
			const cf_doc *v = close ? lookup(t, p + 2, (size_t)(close - p - 2)) : NULL;
			if (v) {
				val = kz_scalar(v);
				skip = (size_t)(close - p) + 1;
			}
		}
		size_t add = val ? strlen(val) : 1;
		if (len + add + 1 > cap) {
			cap = (len + add + 1) * 2;
			char *n = realloc(out, cap);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
		}
		if (val) {
			memcpy(out + len, val, add);
			changed = 1;
		} else {
			out[len] = *p;
		}
		len += add;
		p += skip;
	}
	out[len] = '\0';
	if (!changed) {
		free(out);
		return NULL;
	}
	return out;
}

/* A field that is exactly "$(NAME)" takes the var's value with its type (an int stays an int). */
static const cf_doc *whole_var(const var_table *t, const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || s[0] != '$' || s[1] != '(' || s[n - 1] != ')' || memchr(s + 2, ')', n - 3))
		return NULL;
	return lookup(t, s + 2, n - 3);
}

static int subst(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	const subst_ctx *sc = ctx;
	const cf_doc *typed;
	int err = 0;
	(void)parent;
	(void)key;

	if (!node)
		return 0;
	if (cf_doc_type_of(node) == CF_DOC_SEQ) {
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = subst(node, NULL, cf_doc_item(node, i), ctx);
		return err;
	}
	if (cf_doc_type_of(node) == CF_DOC_MAP) {
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = subst(node, NULL, cf_doc_value(node, i), ctx);
		return err;
	}
	if (cf_doc_type_of(node) != CF_DOC_STR)
		return 0;
	if (!sc->strings_only && (typed = whole_var(sc->t, cf_doc_text(node))) != NULL &&
	    cf_doc_type_of(typed) != CF_DOC_STR)
		return cf_doc_assign(node, typed);
	char *n = expand(sc->t, cf_doc_text(node));
	if (!n)
		return 0;
	err = cf_doc_set_str(node, n);
	free(n);
	return err;
}

/*
 * kustomize rewrites an object's own annotations as a string map when it strips its internal ones
 * before output, so a number substituted there comes out quoted; labels keep the number.
 */
static int walk(kz_res *r, const char *path, const var_table *t)
{
	subst_ctx sc = {t, strcmp(path, "metadata/annotations") == 0};
	return kz_fieldspec_walk(r->obj, path, 0, 0, subst, &sc);
}

static int walk_pod_fields(kz_res *r, const char *prefix, const var_table *t)
{
	int err = 0;

	for (size_t f = 0; f < sizeof(pod_fields) / sizeof(*pod_fields) && err == 0; f++) {
		char *path = kz_asprintf("%s%s", prefix, pod_fields[f]);
		if (!path)
			return cf_error_set(CF_ENOMEM, "out of memory");
		err = walk(r, path, t);
		free(path);
	}
	return err;
}

/* The default field specs that apply to r's kind. */
static int walk_defaults(kz_res *r, const var_table *t)
{
	const char *kind = kz_res_kind(r);
	int err = 0;

	for (size_t k = 0; k < sizeof(template_kinds) / sizeof(*template_kinds) && err == 0; k++)
		if (strcmp(kind, template_kinds[k]) == 0)
			err = walk_pod_fields(r, "spec/template/spec/", t);
	if (err == 0 && strcmp(kind, "CronJob") == 0)
		err = walk_pod_fields(r, "spec/jobTemplate/spec/template/spec/", t);
	if (err == 0 && strcmp(kind, "Pod") == 0)
		err = walk_pod_fields(r, "spec/", t);
	for (size_t i = 0; i < sizeof(other_fields) / sizeof(*other_fields) && err == 0; i++)
		if (!other_fields[i].kind || strcmp(other_fields[i].kind, kind) == 0)
			err = walk(r, other_fields[i].path, t);
	return err;
}

int kz_vars_resolve(kz_resmap *m, const cf_doc *vars, const cf_doc *var_refs)
{
	var_table t = {0};
	int err;

	if ((err = build_table(&t, m, vars)) < 0)
		goto done;
	for (size_t i = 0; i < m->len && err == 0; i++) {
		kz_res *r = m->items[i];
		err = walk_defaults(r, &t);
		for (size_t v = 0; v < cf_doc_len(var_refs) && err == 0; v++) {
			const cf_doc *fs = cf_doc_item(var_refs, v);
			const char *path = kz_scalar(cf_doc_get(fs, "path"));
			const char *kind = kz_scalar(cf_doc_get(fs, "kind"));
			if (path && (!kind || strcmp(kind, kz_res_kind(r)) == 0))
				err = walk(r, path, &t);
		}
	}
done:
	table_free(&t);
	return err;
}
