/* Output order: kustomize's legacy order (kinds first/last, then ids) or fifo, per sortOptions. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static const char *const default_first[] = {
	"Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
	"PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap",
	"Secret", "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume",
	"PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
};
static const char *const default_last[] = {
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
};

typedef struct {
	kz_res *r;
	long kind_rank;
	char *gvk;     /* group_version_kind with ~G/~V/~K for empty parts */
	char *rest;    /* namespace|name with ~X/~N for empty parts */
	size_t pos;
	int core_namespace;
} sort_key;

typedef struct {
	const char *const *first;
	size_t n_first;
	const char *const *last;
	size_t n_last;
	const char **owned_first, **owned_last;
} order;

static long kind_rank(const order *o, const char *kind)
{
	for (size_t i = 0; i < o->n_first; i++)
		if (strcmp(o->first[i], kind) == 0)
			return -(long)o->n_first + (long)i;
	for (size_t i = 0; i < o->n_last; i++)
		if (strcmp(o->last[i], kind) == 0)
			return 1 + (long)i;
	return 0;
}

static int cmp_keys(const void *pa, const void *pb)
{
	const sort_key *a = pa, *b = pb;
	int c;

	if (strcmp(a->gvk, b->gvk) != 0) {
		if (a->kind_rank != b->kind_rank)
			return a->kind_rank < b->kind_rank ? -1 : 1;
		/* kustomize puts the core Namespace ahead of same-named kinds of other groups */
		if (a->core_namespace != b->core_namespace)
			return a->core_namespace ? -1 : 1;
		return strcmp(a->gvk, b->gvk);
	}
	if ((c = strcmp(a->rest, b->rest)) != 0)
		return c;
	return a->pos < b->pos ? -1 : (a->pos > b->pos);
}

static const char **string_list(const cf_doc *seq, size_t *n)
{
	const char **out = calloc(cf_doc_len(seq) + 1, sizeof(*out));
	*n = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < cf_doc_len(seq); i++)
		if (kz_scalar(cf_doc_item(seq, i)))
			out[(*n)++] = kz_scalar(cf_doc_item(seq, i));
	return out;
}

static int make_order(order *o, const cf_doc *legacy)
{
	memset(o, 0, sizeof(*o));
	o->first = default_first;
	o->n_first = sizeof(default_first) / sizeof(default_first[0]);
	o->last = default_last;
	o->n_last = sizeof(default_last) / sizeof(default_last[0]);
	if (cf_doc_type_of(legacy) != CF_DOC_MAP)
		return 0;
	o->owned_first = string_list(cf_doc_get(legacy, "orderFirst"), &o->n_first);
	o->owned_last = string_list(cf_doc_get(legacy, "orderLast"), &o->n_last);
	if (!o->owned_first || !o->owned_last) {
		free(o->owned_first);
		free(o->owned_last);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	o->first = o->owned_first;
	o->last = o->owned_last;
	return 0;
}

int kz_sort(kz_resmap *m, const cf_doc *sort_options)
{
	const char *how = kz_scalar(cf_doc_get(sort_options, "order"));
	sort_key *keys = NULL;
	order o;
	int err = 0;

	if (how && strcmp(how, "fifo") == 0)
		return 0;
	if (how && *how && strcmp(how, "legacy") != 0)
		return cf_error_set(CF_EINVALID, "the field 'sortOptions.order' must be one of "
		                    "[fifo, legacy], got '%s'", how);
	if ((err = make_order(&o, cf_doc_get(sort_options, "legacySortOptions"))) < 0)
		return err;
	if (m->len && !(keys = calloc(m->len, sizeof(*keys)))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < m->len; i++) {
		kz_res *r = m->items[i];
		char g[256], v[256];
		const char *kind = kz_res_kind(r), *ns = kz_res_ns(r), *name = kz_res_name(r);
		kz_res_gv(r, g, v, sizeof(g));
		keys[i].r = r;
		keys[i].pos = i;
		keys[i].kind_rank = kind_rank(&o, kind);
		keys[i].core_namespace = strcmp(kind, "Namespace") == 0 && !*g;
		keys[i].gvk = kz_asprintf("%s_%s_%s", *g ? g : "~G", *v ? v : "~V", *kind ? kind : "~K");
		keys[i].rest = kz_asprintf("%s|%s", *ns ? ns : "~X", *name ? name : "~N");
		if (!keys[i].gvk || !keys[i].rest) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (m->len)
		qsort(keys, m->len, sizeof(*keys), cmp_keys);
	for (size_t i = 0; i < m->len; i++)
		m->items[i] = keys[i].r;
done:
	for (size_t i = 0; keys && i < m->len; i++) {
		free(keys[i].gvk);
		free(keys[i].rest);
	}
	free(keys);
	free(o.owned_first);
	free(o.owned_last);
	return err;
}
