/*
 * Turns rendered template files into the text `helm template` prints: documents split on
 * "---", hooks set apart, manifests stably sorted by kind in Helm's install order.
 */
#include <ctype.h>
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

static int list_add(manifest_list *l, const char *path, const char *s, size_t n, const char *kind)
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

static int classify(manifest_list *out, manifest_list *hooks, const char *path, const char *s,
                    size_t n)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_YAML11, .filename = path };
	cf_doc *d = NULL, *ann;
	const char *kind = NULL, *hook = NULL;
	int err;

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
	if (!hook) {
		err = list_add(out, path, s, n, kind);
	} else {
		/* A hook naming an unknown event is dropped. */
		int known = 1;
		for (const char *h = hook; *h && known;) {
			size_t len = strcspn(h, ",");
			const char *t = h;
			size_t tl = len;
			trim(&t, &tl);
			known = 0;
			for (size_t i = 0; i < sizeof(hook_events) / sizeof(hook_events[0]); i++)
				known |= strlen(hook_events[i]) == tl && !strncasecmp(hook_events[i], t, tl);
			h += len;
			if (*h)
				h++;
		}
		if (known)
			err = list_add(hooks, path, s, n, kind);
	}
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

static void print_list(hbuf *b, const manifest_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		hbuf_printf(b, "---\n# Source: %s\n%s\n", l->v[i].path, l->v[i].content);
}

int chart_manifests_print(char **out, size_t *out_len, chart_rendered *files, size_t n,
                          const char *crds, size_t crds_len)
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
	print_list(&b, &man);
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
	print_list(&res, &hooks);
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
