/*
 * Turns rendered template files into the text `helm template` prints: documents split on
 * "---", hooks set apart, manifests stably sorted by kind in Helm's install order.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chart.h"
#include "internal.h"

static const char *const install_order[] = {
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
};
#define N_ORDER (sizeof(install_order) / sizeof(install_order[0]))

static const char *const hook_events[] = {
	"pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade", "post-upgrade",
	"pre-rollback", "post-rollback", "test", "test-success",
};

typedef struct {
	const char *path;
	char *content;
	char *kind;
	size_t seq;
	int test;  /* a hook for `helm test` (event test or test-success) */
} manifest;

typedef struct {
	manifest *v;
	size_t n, cap;
} manifest_list;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

static int list_add(manifest_list *l, const char *path, const char *s, size_t n, const char *kind,
                    int test)
{
	manifest *m;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		manifest *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return cf_error_set(CF_ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	m = &l->v[l->n];
	m->path = path;
	m->content = strndup(s, n);
	m->kind = strdup(kind ? kind : "");
	m->seq = l->n;
	m->test = test;
	if (!m->content || !m->kind) {
		free(m->content);
		free(m->kind);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	l->n++;
	return 0;
}

static void list_free(manifest_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].content);
		free(l->v[i].kind);
	}
	free(l->v);
}

/* Finds the next separator (?:^|\s*\n)---\s* at or after from; *end is where it stops. */
static const char *next_sep(const char *s, size_t n, size_t from, size_t *end)
{
	for (size_t i = from; i < n; i++) {
		size_t j = i;
		if (i == 0 && n >= 3 && !strncmp(s, "---", 3)) {
			j = 3;
		} else {
			if (!is_space(s[i]) || s[i] == '\v')
				continue;
			while (j < n && is_space(s[j]) && s[j] != '\v')
				j++;
			if (j + 3 > n || strncmp(s + j, "---", 3) != 0 || s[j - 1] != '\n') {
				i = j - 1;
				continue;
			}
			j += 3;
		}
		while (j < n && is_space(s[j]) && s[j] != '\v')
			j++;
		*end = j;
		return s + i;
	}
	return NULL;
}

/* Files a document under manifests or hooks by its kind and helm.sh/hook annotation. */
static int file_under(manifest_list *out, manifest_list *hooks, const char *path, const char *s,
                     size_t n, const char *kind, const char *hook)
{
	/* A hook naming an unknown event is dropped. */
	int known = 1, test = 0;
	if (!hook)
		return list_add(out, path, s, n, kind, 0);
	for (const char *h = hook; *h && known;) {
		size_t len = strcspn(h, ",");
		const char *t = h;
		size_t tl = len;
		trim(&t, &tl);
		known = 0;
		for (size_t i = 0; i < sizeof(hook_events) / sizeof(hook_events[0]); i++)
			known |= strlen(hook_events[i]) == tl && !strncasecmp(hook_events[i], t, tl);
		test |= (tl == 4 && !strncasecmp(t, "test", 4)) ||
		        (tl == 12 && !strncasecmp(t, "test-success", 12));
		h += len;
		if (*h)
			h++;
	}
	return known ? list_add(hooks, path, s, n, kind, test) : 0;
}

static int classify(manifest_list *out, manifest_list *hooks, const char *path, const char *s,
                    size_t n)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_YAML11, .filename = path };
	cf_doc *d = NULL, *ann;
	const char *kind = NULL, *hook = NULL;
	char *qkind = NULL, *qhook = NULL;
	int err;

	/* Most documents are plain: their kind and hook are read without building a tree. */
	if ((err = manifest_head(s, n, &qkind, &qhook)) != 0) {
		if (err > 0)
			err = file_under(out, hooks, path, s, n, qkind, qhook);
		free(qkind);
		free(qhook);
		return err < 0 ? cf_error_set(CF_ENOMEM, "out of memory") : 0;
	}
	if ((err = cf_doc_load_yaml(&d, s, n, &lo)) < 0) {
		char *m = chart_yaml_error(cf_error_last(), path);
		err = m ? cf_error_set(CF_EPARSE, "YAML parse error on %s: error converting YAML to "
		                       "JSON: %s", path, m) : CF_ENOMEM;
		free(m);
		return err;
	}
	if (cf_doc_type_of(d) != CF_DOC_MAP && cf_doc_type_of(d) != CF_DOC_NULL) {
		static const char *const json_names[] = {
			[CF_DOC_BOOL] = "bool", [CF_DOC_INT] = "number", [CF_DOC_FLOAT] = "number",
			[CF_DOC_STR] = "string", [CF_DOC_SEQ] = "array",
		};
		err = cf_error_set(CF_EPARSE, "YAML parse error on %s: error unmarshaling JSON: while "
		                   "decoding JSON: json: cannot unmarshal %s into Go value of type "
		                   "releaseutil.SimpleHead", path, json_names[cf_doc_type_of(d)]);
		cf_doc_free(d);
		return err;
	}
	if (cf_doc_type_of(d) == CF_DOC_MAP) {
		cf_doc *k = cf_doc_get(d, "kind");
		/* Scalars of any type read into the string field (sigs.k8s.io/yaml quotes them). */
		if (k && cf_doc_type_of(k) != CF_DOC_SEQ && cf_doc_type_of(k) != CF_DOC_MAP &&
		    cf_doc_type_of(k) != CF_DOC_NULL)
			kind = cf_doc_text(k);
		ann = cf_doc_get_path(d, "metadata", "annotations", NULL);
		if (ann && cf_doc_type_of(ann) == CF_DOC_MAP)
			hook = cf_doc_get_str(ann, "helm.sh/hook");
	}
	err = file_under(out, hooks, path, s, n, kind, hook);
	cf_doc_free(d);
	return err;
}

static int split_file(manifest_list *out, manifest_list *hooks, const char *path, const char *s,
                      size_t n)
{
	size_t pos = 0, end;
	int err = 0;
	trim(&s, &n);
	while (err == 0) {
		const char *sep = next_sep(s, n, pos, &end);
		size_t stop = sep ? (size_t)(sep - s) : n;
		const char *d = s + pos;
		size_t dl = stop - pos;
		if (dl > 0) {
			trim(&d, &dl);
			err = classify(out, hooks, path, d, dl);
		}
		if (!sep)
			break;
		pos = end;
		if (stop == 0 && end == 0)
			break;
	}
	return err;
}

static int kind_rank(const char *k)
{
	for (size_t i = 0; i < N_ORDER; i++)
		if (!strcmp(install_order[i], k))
			return (int)i;
	return -1;
}

static int by_kind(const void *pa, const void *pb)
{
	const manifest *a = pa, *b = pb;
	int ra = kind_rank(a->kind), rb = kind_rank(b->kind);
	if (ra < 0 && rb < 0) {
		int c = strcmp(a->kind, b->kind);
		if (c)
			return c;
	} else if (ra < 0) {
		return 1;
	} else if (rb < 0) {
		return -1;
	} else if (ra != rb) {
		return ra < rb ? -1 : 1;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int by_path(const void *pa, const void *pb)
{
	return strcmp(((const chart_rendered *)pa)->path, ((const chart_rendered *)pb)->path);
}

static void print_list(hbuf *b, const manifest_list *l, int skip_tests)
{
	for (size_t i = 0; i < l->n; i++)
		if (!(skip_tests && l->v[i].test))
			hbuf_printf(b, "---\n# Source: %s\n%s\n", l->v[i].path, l->v[i].content);
}

int chart_manifests_print(char **out, size_t *out_len, chart_rendered *files, size_t n,
                          const char *crds, size_t crds_len, const chart_print_opts *po)
{
	manifest_list man = { 0 }, hooks = { 0 };
	hbuf b, res;
	int err = 0;

	if (n)
		qsort(files, n, sizeof(*files), by_path);
	for (size_t i = 0; err == 0 && i < n; i++) {
		const char *base = strrchr(files[i].path, '/');
		base = base ? base + 1 : files[i].path;
		if (base[0] == '_')
			continue;
		err = split_file(&man, &hooks, files[i].path, files[i].content, strlen(files[i].content));
	}
	if (err < 0)
		goto done;
	if (man.n)
		qsort(man.v, man.n, sizeof(manifest), by_kind);
	if (hooks.n)
		qsort(hooks.v, hooks.n, sizeof(manifest), by_kind);
	hbuf_init(&b, 0);
	hbuf_put(&b, crds, crds_len);
	print_list(&b, &man, 0);
	/* helm template prints the trimmed manifest, a newline, then each hook. */
	{
		const char *s = b.p ? b.p : "";
		size_t len = b.len;
		trim(&s, &len);
		hbuf_init(&res, 0);
		hbuf_put(&res, s, len);
		hbuf_putc(&res, '\n');
	}
	hbuf_free(&b);
	if (!po->no_hooks)
		print_list(&res, &hooks, po->skip_tests);
	if (res.err) {
		hbuf_free(&res);
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	*out = hbuf_take(&res, out_len);
done:
	list_free(&man);
	list_free(&hooks);
	return err;
}

/* The path the regexp "# Source: [^/]+/(.+)" captures in a document, or NULL (length in *n). */
static const char *source_path(const char *doc, size_t *n)
{
	for (const char *p = strstr(doc, "# Source: "); p; p = strstr(p + 1, "# Source: ")) {
		const char *name = p + 10, *slash = strchr(name, '/');
		if (!slash || slash == name || !slash[1] || slash[1] == '\n')
			continue;
		*n = strcspn(slash + 1, "\n");
		return slash + 1;
	}
	return NULL;
}

int chart_show_only(char **out, size_t *out_len, const char *const *globs, size_t n)
{
	const char *s = *out;
	size_t len = *out_len, pos = 0, end = 0;
	manifest_list docs = { 0 };
	hbuf res;
	int err = 0;

	/* releaseutil.SplitManifests: the trimmed text split on separators, each part trimmed. */
	trim(&s, &len);
	while (err == 0) {
		const char *sep = next_sep(s, len, pos, &end);
		const char *d = s + pos;
		size_t dl = (sep ? (size_t)(sep - s) : len) - pos;
		trim(&d, &dl);
		if (dl)
			err = list_add(&docs, "", d, dl, NULL, 0);
		if (!sep || end <= pos)
			break;
		pos = end;
	}
	hbuf_init(&res, 0);
	for (size_t g = 0; err == 0 && g < n; g++) {
		int found = 0;
		for (size_t i = 0; i < docs.n; i++) {
			size_t pl;
			const char *p = source_path(docs.v[i].content, &pl);
			char path[4096];
			if (!p || pl >= sizeof(path))
				continue;
			memcpy(path, p, pl);
			path[pl] = '\0';
			if (fnmatch(globs[g], path, FNM_PATHNAME) != 0)
				continue;
			hbuf_printf(&res, "---\n%s\n", docs.v[i].content);
			found = 1;
		}
		if (!found)
			err = cf_error_set(CF_ENOTFOUND, "could not find template %s in chart", globs[g]);
	}
	list_free(&docs);
	if (err == 0 && res.err)
		err = cf_error_set(CF_ENOMEM, "out of memory");
	if (err < 0) {
		hbuf_free(&res);
		return err;
	}
	free(*out);
	*out_len = 0;
	*out = res.p ? hbuf_take(&res, out_len) : strdup("");
	return *out ? 0 : cf_error_set(CF_ENOMEM, "out of memory");
}
