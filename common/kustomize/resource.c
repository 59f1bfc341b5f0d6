/* Resources being built (an object plus its id history) and the ordered list that holds them. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

int kz_res_new(kz_res **out, cf_doc *obj, const char *src)
{
	kz_res *r = calloc(1, sizeof(*r));
	if (!r) {
		cf_doc_free(obj);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	r->obj = obj;
	if (src && !(r->src = strdup(src))) {
		kz_res_free(r);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

void kz_res_free(kz_res *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_ids; i++) {
		free(r->ids[i].name);
		free(r->ids[i].ns);
	}
	free(r->ids);
	free(r->src);
	free(r->affixes);
	cf_doc_free(r->obj);
	free(r);
}

const char *kz_res_kind(const kz_res *r)
{
	const char *s = cf_doc_get_str(r->obj, "kind");
	return s ? s : "";
}

const char *kz_res_api_version(const kz_res *r)
{
	const char *s = cf_doc_get_str(r->obj, "apiVersion");
	return s ? s : "";
}

const char *kz_res_name(const kz_res *r)
{
	const char *s = cf_doc_get_str(cf_doc_get(r->obj, "metadata"), "name");
	return s ? s : "";
}

const char *kz_res_ns(const kz_res *r)
{
	const char *s = cf_doc_get_str(cf_doc_get(r->obj, "metadata"), "namespace");
	return s ? s : "";
}

static void split_gv(const char *api, char *group, char *version, size_t n)
{
	const char *slash = strchr(api, '/');
	if (slash) {
		size_t gl = (size_t)(slash - api);
		if (gl >= n)
			gl = n - 1;
		memcpy(group, api, gl);
		group[gl] = '\0';
		snprintf(version, n, "%s", slash + 1);
	} else {
		group[0] = '\0';
		snprintf(version, n, "%s", api);
	}
}

void kz_res_gv(const kz_res *r, char *group, char *version, size_t n)
{
	split_gv(kz_res_api_version(r), group, version, n);
}

static int remember_id(kz_res *r)
{
	kz_id *ids = realloc(r->ids, (r->n_ids + 1) * sizeof(*ids));
	if (!ids)
		return cf_error_set(CF_ENOMEM, "out of memory");
	r->ids = ids;
	ids[r->n_ids].name = strdup(kz_res_name(r));
	ids[r->n_ids].ns = strdup(kz_res_ns(r));
	if (!ids[r->n_ids].name || !ids[r->n_ids].ns) {
		free(ids[r->n_ids].name);
		free(ids[r->n_ids].ns);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	r->n_ids++;
	return 0;
}

int kz_res_set_name(kz_res *r, const char *name)
{
	cf_doc *meta = NULL;
	int err;

	if (strcmp(name, kz_res_name(r)) == 0)
		return 0;
	if ((err = remember_id(r)) < 0)
		return err;
	if ((err = kz_ensure_map(&meta, r->obj, "metadata")) < 0)
		return err;
	return cf_doc_map_set_str(meta, "name", name);
}

int kz_res_set_ns(kz_res *r, const char *ns)
{
	cf_doc *meta = NULL;
	int err;

	if (strcmp(ns, kz_res_ns(r)) == 0)
		return 0;
	if ((err = remember_id(r)) < 0)
		return err;
	if ((err = kz_ensure_map(&meta, r->obj, "metadata")) < 0)
		return err;
	return cf_doc_map_set_str(meta, "namespace", ns);
}

/* Cluster-scoped kinds by API group, as in kustomize's embedded schema. */
static const struct {
	const char *group;
	const char *kind;
} cluster_kinds[] = {
	{"", "Namespace"},
	{"", "Node"},
	{"", "PersistentVolume"},
	{"", "ComponentStatus"},
	{"rbac.authorization.k8s.io", "ClusterRole"},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding"},
	{"apiextensions.k8s.io", "CustomResourceDefinition"},
	{"storage.k8s.io", "StorageClass"},
	{"storage.k8s.io", "CSIDriver"},
	{"storage.k8s.io", "CSINode"},
	{"storage.k8s.io", "VolumeAttachment"},
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"},
	{"apiregistration.k8s.io", "APIService"},
	{"certificates.k8s.io", "CertificateSigningRequest"},
	{"flowcontrol.apiserver.k8s.io", "FlowSchema"},
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
	{"networking.k8s.io", "IngressClass"},
	{"policy", "PodSecurityPolicy"},
	{"scheduling.k8s.io", "PriorityClass"},
	{"node.k8s.io", "RuntimeClass"},
};

int kz_kind_cluster_scoped(const char *api_version, const char *kind)
{
	char group[256], version[256];

	split_gv(api_version ? api_version : "", group, version, sizeof(group));
	for (size_t i = 0; i < sizeof(cluster_kinds) / sizeof(cluster_kinds[0]); i++)
		if (strcmp(cluster_kinds[i].kind, kind) == 0 && strcmp(cluster_kinds[i].group, group) == 0)
			return 1;
	return 0;
}

int kz_res_cluster_scoped(const kz_res *r)
{
	return kz_kind_cluster_scoped(kz_res_api_version(r), kz_res_kind(r));
}

char *kz_res_id_string(const kz_res *r)
{
	char group[256], version[256];
	const char *ns = kz_res_ns(r), *name = kz_res_name(r);

	kz_res_gv(r, group, version, sizeof(group));
	return kz_asprintf("%s.%s.%s/%s.%s", kz_res_kind(r), *version ? version : "[noVer]",
	                   *group ? group : "[noGrp]", name, *ns ? ns : "[noNs]");
}

void kz_resmap_init(kz_resmap *m)
{
	memset(m, 0, sizeof(*m));
}

void kz_resmap_dispose(kz_resmap *m)
{
	for (size_t i = 0; i < m->len; i++)
		kz_res_free(m->items[i]);
	free(m->items);
	memset(m, 0, sizeof(*m));
}

static const char *effective_ns(const kz_res *r)
{
	const char *ns = kz_res_ns(r);
	if (kz_res_cluster_scoped(r))
		return "_non_namespaceable_";
	return (*ns && strcmp(ns, "default") != 0) ? ns : "default";
}

int kz_res_same_id(const kz_res *a, const kz_res *b)
{
	return strcmp(kz_res_kind(a), kz_res_kind(b)) == 0 &&
	       strcmp(kz_res_api_version(a), kz_res_api_version(b)) == 0 &&
	       strcmp(kz_res_name(a), kz_res_name(b)) == 0 &&
	       strcmp(effective_ns(a), effective_ns(b)) == 0;
}

int kz_resmap_append(kz_resmap *m, kz_res *r)
{
	if (m->len == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		kz_res **items = realloc(m->items, cap * sizeof(*items));
		if (!items) {
			kz_res_free(r);
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
		m->items = items;
		m->cap = cap;
	}
	m->items[m->len++] = r;
	return 0;
}

int kz_resmap_add(kz_resmap *m, kz_res *r)
{
	for (size_t i = 0; i < m->len; i++) {
		if (kz_res_same_id(m->items[i], r)) {
			char *id = kz_res_id_string(r);
			int err = cf_error_set(CF_EEXISTS,
			                       "may not add resource with an already registered id: %s",
			                       id ? id : "?");
			free(id);
			kz_res_free(r);
			return err;
		}
	}
	return kz_resmap_append(m, r);
}

void kz_resmap_remove(kz_resmap *m, size_t i)
{
	kz_res_free(m->items[i]);
	memmove(m->items + i, m->items + i + 1, (m->len - i - 1) * sizeof(*m->items));
	m->len--;
}

/* The identity key of a resource: kind, apiVersion, name and effective namespace. */
static char *id_key(const kz_res *r)
{
	return kz_asprintf("%s|%s|%s|%s", kz_res_kind(r), kz_res_api_version(r), kz_res_name(r),
	                   effective_ns(r));
}

/* A set of id keys (open addressing), so checking n resources for duplicates is O(n). */
typedef struct {
	char **slots;
	size_t cap;
} id_set;

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void id_set_free(id_set *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
}

/* Inserts key (ownership taken); returns 1 when it was already there, 0 when added. */
static int id_set_insert(id_set *s, char *key)
{
	size_t i = (size_t)(fnv1a(key) & (s->cap - 1));
	while (s->slots[i]) {
		if (strcmp(s->slots[i], key) == 0) {
			free(key);
			return 1;
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->slots[i] = key;
	return 0;
}

int kz_resmap_find_duplicate(const kz_resmap *m, size_t *dup)
{
	id_set s = {0};
	int err = 0;

	s.cap = 16;
	while (s.cap < m->len * 2 + 16)
		s.cap *= 2;
	if (!(s.slots = calloc(s.cap, sizeof(*s.slots))))
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->len; i++) {
		char *key = id_key(m->items[i]);
		if (!key) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			break;
		}
		if (id_set_insert(&s, key)) {
			*dup = i;
			err = 1;
			break;
		}
	}
	id_set_free(&s);
	return err;
}

int kz_resmap_absorb(kz_resmap *dst, kz_resmap *src)
{
	size_t start = dst->len, dup = 0;
	int err = 0;

	for (size_t i = 0; i < src->len; i++) {
		kz_res *r = src->items[i];
		src->items[i] = NULL;
		if (err == 0)
			err = kz_resmap_append(dst, r);
		else
			kz_res_free(r);
	}
	src->len = 0;
	if (err < 0)
		return err;
	if ((err = kz_resmap_find_duplicate(dst, &dup)) == 1) {
		char *id = kz_res_id_string(dst->items[dup]);
		err = cf_error_set(CF_EEXISTS, "may not add resource with an already registered id: %s",
		                   id ? id : "?");
		free(id);
		/* leave dst as it was */
		while (dst->len > start)
			kz_resmap_remove(dst, dst->len - 1);
	}
	return err;
}

static int add_object(kz_resmap *m, cf_doc *obj, const char *file, int line);

/* A kind ending in "List" with items is flattened into its items, as kustomize does. */
static int add_list(kz_resmap *m, cf_doc *obj, const char *file)
{
	cf_doc *items = cf_doc_get(obj, "items");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(items) && err == 0; i++) {
		cf_doc *copy = NULL;
		if ((err = cf_doc_clone(&copy, cf_doc_item(items, i))) < 0)
			break;
		err = add_object(m, copy, file, cf_doc_line(cf_doc_item(items, i)));
	}
	cf_doc_free(obj);
	return err;
}

static int add_object(kz_resmap *m, cf_doc *obj, const char *file, int line)
{
	kz_res *r = NULL;
	int err;

	if (cf_doc_type_of(obj) == CF_DOC_NULL) {
		cf_doc_free(obj);
		return 0;
	}
	if (cf_doc_type_of(obj) != CF_DOC_MAP) {
		cf_doc_free(obj);
		return cf_error_set(CF_EINVALID, "%s:%d: missing Resource metadata", file, line);
	}
	const char *kind = cf_doc_get_str(obj, "kind");
	size_t kl = kind ? strlen(kind) : 0;
	if (kl >= 4 && strcmp(kind + kl - 4, "List") == 0 &&
	    cf_doc_type_of(cf_doc_get(obj, "items")) == CF_DOC_SEQ)
		return add_list(m, obj, file);
	if (cf_doc_type_of(cf_doc_get(obj, "metadata")) != CF_DOC_MAP || !kind) {
		cf_doc_free(obj);
		return cf_error_set(CF_EINVALID, "%s:%d: missing Resource metadata", file, line);
	}
	const char *name = cf_doc_get_str(cf_doc_get(obj, "metadata"), "name");
	if (!name || !*name) {
		err = cf_error_set(CF_EINVALID, "%s:%d: missing metadata.name in object of kind %s",
		                   file, line, kind);
		cf_doc_free(obj);
		return err;
	}
	if ((err = kz_res_new(&r, obj, file)) < 0)
		return err;
	return kz_resmap_append(m, r);
}

int kz_resources_from_yaml(kz_resmap *m, const char *buf, size_t len, const char *file)
{
	cf_doc *stream = NULL;
	cf_doc_load_opts lo = {.schema = CF_DOC_YAML12, .filename = file};
	kz_resmap local;
	int err;

	if ((err = cf_doc_load_yaml_stream(&stream, buf, len, &lo)) < 0)
		return cf_error_wrap(err, "MalformedYAMLError: ");
	kz_resmap_init(&local);
	for (size_t i = 0; i < cf_doc_len(stream) && err == 0; i++) {
		cf_doc *doc = NULL;
		if ((err = cf_doc_clone(&doc, cf_doc_item(stream, i))) == 0)
			err = add_object(&local, doc, file, cf_doc_line(cf_doc_item(stream, i)));
	}
	cf_doc_free(stream);
	if (err == 0)
		err = kz_resmap_absorb(m, &local);
	kz_resmap_dispose(&local);
	return err;
}
