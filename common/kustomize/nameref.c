/*
 * Name references: after renames (prefix, suffix, namespace, hash), every field that names
 * another object (volumes, envFrom, roleRef, serviceName, ...) is updated to the new name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

typedef struct {
	const char *kind;    /* referrer kind */
	const char *group;   /* referrer group, NULL: any */
	const char *path;
} ref_spec;

typedef struct {
	const char *kind;        /* the referenced kind */
	const char *group;       /* its group */
	const char *pod_paths;   /* paths below a pod spec, '|'-separated, or NULL */
	const ref_spec *extra;   /* other referrers */
} ref_rule;

#define END {NULL, NULL, NULL}

/* Where a pod spec sits in each workload kind (referrers of pod_paths). */
static const struct {
	const char *kind;
	const char *prefix;
	int skip_for_configmap_secret;
} pod_homes[] = {
	{"Pod", "spec/", 0},
	{"PodTemplate", "template/spec/", 0},
	{"Deployment", "spec/template/spec/", 0},
	{"ReplicaSet", "spec/template/spec/", 0},
	{"DaemonSet", "spec/template/spec/", 0},
	{"StatefulSet", "spec/template/spec/", 0},
	{"Job", "spec/template/spec/", 0},
	{"CronJob", "spec/jobTemplate/spec/template/spec/", 0},
	{"ReplicationController", "spec/template/spec/", 1},
};

static const ref_spec configmap_extra[] = {
	{"Role", NULL, "rules/resourceNames"},
	{"ClusterRole", NULL, "rules/resourceNames"},
	{"Ingress", NULL, "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"},
	END,
};
static const ref_spec secret_extra[] = {
	{"Ingress", NULL, "spec/tls/secretName"},
	{"Ingress", NULL, "metadata/annotations/ingress.kubernetes.io\\/auth-secret"},
	{"Ingress", NULL, "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"},
	{"Ingress", NULL, "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"},
	{"ServiceAccount", NULL, "imagePullSecrets/name"},
	{"StorageClass", NULL, "parameters/secretName"},
	{"StorageClass", NULL, "parameters/adminSecretName"},
	{"StorageClass", NULL, "parameters/userSecretName"},
	{"StorageClass", NULL, "parameters/secretRef"},
	{"Role", NULL, "rules/resourceNames"},
	{"ClusterRole", NULL, "rules/resourceNames"},
	{"Service", "serving.knative.dev", "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
	{"PersistentVolume", NULL, "spec/azureFile/secretName"},
	END,
};
static const ref_spec service_extra[] = {
	{"StatefulSet", "apps", "spec/serviceName"},
	{"Ingress", NULL, "spec/rules/http/paths/backend/serviceName"},
	{"Ingress", NULL, "spec/backend/serviceName"},
	{"Ingress", NULL, "spec/rules/http/paths/backend/service/name"},
	{"Ingress", NULL, "spec/defaultBackend/service/name"},
	{"APIService", "apiregistration.k8s.io", "spec/service/name"},
	{"ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "webhooks/clientConfig/service"},
	{"MutatingWebhookConfiguration", "admissionregistration.k8s.io", "webhooks/clientConfig/service"},
	{"HTTPRoute", NULL, "spec/rules/backendRefs/name"},
	END,
};
static const ref_spec role_extra[] = {
	{"RoleBinding", "rbac.authorization.k8s.io", "roleRef/name"},
	END,
};
static const ref_spec cluster_role_extra[] = {
	{"RoleBinding", "rbac.authorization.k8s.io", "roleRef/name"},
	{"ClusterRoleBinding", "rbac.authorization.k8s.io", "roleRef/name"},
	END,
};
static const ref_spec service_account_extra[] = {
	{"RoleBinding", "rbac.authorization.k8s.io", "subjects"},
	{"ClusterRoleBinding", "rbac.authorization.k8s.io", "subjects"},
	END,
};
static const ref_spec pv_extra[] = {
	{"PersistentVolumeClaim", NULL, "spec/volumeName"},
	{"ClusterRole", NULL, "rules/resourceNames"},
	END,
};
static const ref_spec storage_class_extra[] = {
	{"PersistentVolume", NULL, "spec/storageClassName"},
	{"PersistentVolumeClaim", NULL, "spec/storageClassName"},
	{"StatefulSet", NULL, "spec/volumeClaimTemplates/spec/storageClassName"},
	END,
};
static const ref_spec ingress_class_extra[] = {
	{"Ingress", NULL, "spec/ingressClassName"},
	END,
};
static const ref_spec scale_target[] = {
	{"HorizontalPodAutoscaler", NULL, "spec/scaleTargetRef/name"},
	END,
};
static const ref_spec none[] = {END};

static const ref_rule rules[] = {
	{"ConfigMap", "", "volumes/configMap/name|containers/env/valueFrom/configMapKeyRef/name|"
	 "initContainers/env/valueFrom/configMapKeyRef/name|containers/envFrom/configMapRef/name|"
	 "initContainers/envFrom/configMapRef/name|volumes/projected/sources/configMap/name",
	 configmap_extra},
	{"Secret", "", "volumes/secret/secretName|containers/env/valueFrom/secretKeyRef/name|"
	 "initContainers/env/valueFrom/secretKeyRef/name|containers/envFrom/secretRef/name|"
	 "initContainers/envFrom/secretRef/name|imagePullSecrets/name|"
	 "volumes/projected/sources/secret/name", secret_extra},
	{"Service", "", NULL, service_extra},
	{"Role", "rbac.authorization.k8s.io", NULL, role_extra},
	{"ClusterRole", "rbac.authorization.k8s.io", NULL, cluster_role_extra},
	{"ServiceAccount", "", "serviceAccountName", service_account_extra},
	{"PersistentVolumeClaim", "", "volumes/persistentVolumeClaim/claimName", none},
	{"PersistentVolume", "", NULL, pv_extra},
	{"StorageClass", "storage.k8s.io", NULL, storage_class_extra},
	{"PriorityClass", "scheduling.k8s.io", "priorityClassName", none},
	{"IngressClass", "networking.k8s.io", NULL, ingress_class_extra},
	{"Deployment", NULL, NULL, scale_target},
	{"ReplicationController", NULL, NULL, scale_target},
	{"ReplicaSet", NULL, NULL, scale_target},
	{"StatefulSet", NULL, NULL, scale_target},
};

/*
 * Renamed objects indexed by kind and former name, so each reference is resolved without a scan
 * of every object.
 */
typedef struct ref_entry {
	struct ref_entry *next;
	kz_res *r;
	char key[];   /* kind '/' former name */
} ref_entry;

typedef struct {
	ref_entry **buckets;
	size_t cap;
} ref_index;

static size_t key_hash(const char *kind, const char *name, size_t cap)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *s = kind; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h & (cap - 1));
}

static int key_equal(const ref_entry *e, const char *kind, const char *name)
{
	size_t kl = strlen(kind);
	return strncmp(e->key, kind, kl) == 0 && e->key[kl] == '/' && strcmp(e->key + kl + 1, name) == 0;
}

static void index_free(ref_index *ix)
{
	for (size_t i = 0; i < ix->cap; i++)
		for (ref_entry *e = ix->buckets[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	free(ix->buckets);
}

static int index_add(ref_index *ix, kz_res *r, const char *name)
{
	const char *kind = kz_res_kind(r);
	size_t h = key_hash(kind, name, ix->cap);
	for (ref_entry *e = ix->buckets[h]; e; e = e->next)
		if (e->r == r && key_equal(e, kind, name))
			return 0;
	size_t kl = strlen(kind), nl = strlen(name);
	ref_entry *e = malloc(sizeof(*e) + kl + nl + 2);
	if (!e)
		return cf_error_set(CF_ENOMEM, "out of memory");
	memcpy(e->key, kind, kl);
	e->key[kl] = '/';
	memcpy(e->key + kl + 1, name, nl + 1);
	e->r = r;
	e->next = ix->buckets[h];
	ix->buckets[h] = e;
	return 0;
}

static int index_build(ref_index *ix, const kz_resmap *m)
{
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; i < m->len; i++)
		n += m->items[i]->n_ids;
	ix->cap = 16;
	while (ix->cap < n * 2)
		ix->cap *= 2;
	if (!(ix->buckets = calloc(ix->cap, sizeof(*ix->buckets))))
		return cf_error_set(CF_ENOMEM, "out of memory");
	/* in list order within each bucket chain: add in reverse */
	for (size_t i = m->len; i-- > 0 && err == 0;) {
		kz_res *r = m->items[i];
		for (size_t j = 0; j < r->n_ids && err == 0; j++)
			err = index_add(ix, r, r->ids[j].name);
	}
	return err;
}

typedef struct {
	kz_resmap *m;
	const ref_rule *rule;
	kz_res *referrer;
	const char *path;
	const ref_index *index;
} fix_ctx;

static const char *group_of(const kz_res *r, char *buf, size_t n)
{
	char version[256];
	kz_res_gv(r, buf, version, n);
	return buf;
}

static const char *eff(const char *ns)
{
	return (*ns && strcmp(ns, "default") != 0) ? ns : "default";
}

/*
 * Whether a {name, namespace} reference naming namespace ns may point to r: kustomize groups the
 * candidates by their (original, else current) namespace with "" counted as "default", so
 * "default" finds objects without a namespace and an explicit "" finds nothing.
 */
static int had_ns(const kz_res *r, const char *ns)
{
	if (!*ns)
		return 0;
	if (strcmp(eff(kz_res_ns(r)), ns) == 0)
		return 1;
	for (size_t i = 0; i < r->n_ids; i++)
		if (strcmp(eff(r->ids[i].ns), ns) == 0)
			return 1;
	return 0;
}

static int same_affixes(const kz_res *a, const kz_res *b)
{
	return strcmp(a->affixes ? a->affixes : "", b->affixes ? b->affixes : "") == 0;
}

/* How a reference limits its candidates by namespace. */
typedef enum {
	NS_REFERRER,   /* a bare name: the referrer's namespace (cluster-scoped: any) */
	NS_ANY,        /* a {name} map without namespace: any namespace */
	NS_GIVEN,      /* a {name, namespace} map: that namespace */
} ns_rule;

/*
 * The object a reference with this old name now points to; NULL when none or ambiguous. Only
 * renamed objects are candidates; ref_ns is used with NS_GIVEN.
 */
static kz_res *find_referral(fix_ctx *c, const char *old, ns_rule rule, const char *ref_ns,
                             const char *role_kind)
{
	char g[256];
	kz_res *found = NULL, *same = NULL;
	int referrer_cluster = kz_res_cluster_scoped(c->referrer), ambiguous = 0, same_ambiguous = 0;

	for (const ref_entry *e = c->index->buckets[key_hash(c->rule->kind, old, c->index->cap)]; e;
	     e = e->next) {
		kz_res *r = e->r;
		if (!key_equal(e, c->rule->kind, old))
			continue;
		if (c->rule->group && strcmp(group_of(r, g, sizeof(g)), c->rule->group) != 0)
			continue;
		if (role_kind && strcmp(role_kind, c->rule->kind) != 0)
			continue;
		if (rule == NS_GIVEN && !had_ns(r, ref_ns))
			continue;
		if (rule == NS_REFERRER && !referrer_cluster && !kz_res_cluster_scoped(r) &&
		    strcmp(eff(kz_res_ns(r)), eff(kz_res_ns(c->referrer))) != 0)
			continue;
		if (found && strcmp(kz_res_name(found), kz_res_name(r)) != 0)
			ambiguous = 1;
		found = r;
		/* several candidates: kustomize prefers the one renamed like the referrer */
		if (same_affixes(r, c->referrer)) {
			if (same && strcmp(kz_res_name(same), kz_res_name(r)) != 0)
				same_ambiguous = 1;
			same = r;
		}
	}
	if (!ambiguous)
		return found;
	return same_ambiguous ? NULL : same;
}

static int fix_scalar(fix_ctx *c, cf_doc *node, const char *role_kind)
{
	const char *old = cf_doc_type_of(node) == CF_DOC_STR ? cf_doc_text(node) : NULL;
	kz_res *to;

	if (!old)
		return 0;
	to = find_referral(c, old, NS_REFERRER, NULL, role_kind);
	if (!to || strcmp(kz_res_name(to), old) == 0)
		return 0;
	return cf_doc_set_str(node, kz_res_name(to));
}

/*
 * {name, namespace} maps: RoleBinding subjects (of any kind, as kustomize does not look at the
 * subject's kind) and webhook service references. A match takes the object's current name and,
 * when it has one, its current namespace, so a subject follows its ServiceAccount into the
 * namespace an overlay moved it to even when the name did not change.
 */
static int fix_named_map(fix_ctx *c, cf_doc *map)
{
	const char *name = cf_doc_get_str(map, "name");
	cf_doc *ns_node = cf_doc_get(map, "namespace");
	const char *ns = ns_node && cf_doc_type_of(ns_node) == CF_DOC_STR ? cf_doc_text(ns_node) : "";
	kz_res *to;
	int err;

	if (!name)
		return 0;
	to = find_referral(c, name, ns_node ? NS_GIVEN : NS_ANY, ns, NULL);
	if (!to)
		return 0;
	if (strcmp(kz_res_name(to), name) != 0 &&
	    (err = cf_doc_map_set_str(map, "name", kz_res_name(to))) < 0)
		return err;
	/* an empty namespace is a wildcard here: never let it replace "default" */
	if (*kz_res_ns(to) && (!ns_node || strcmp(ns, kz_res_ns(to)) != 0))
		return cf_doc_map_set_str(map, "namespace", kz_res_ns(to));
	return 0;
}

static int visit(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	fix_ctx *c = ctx;
	int err = 0;

	if (!node)
		return 0;
	if (strcmp(c->path, "subjects") == 0 || strcmp(key, "service") == 0) {
		if (cf_doc_type_of(node) == CF_DOC_SEQ) {
			for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++) {
				cf_doc *item = cf_doc_item(node, i);
				if (cf_doc_type_of(item) == CF_DOC_MAP)
					err = fix_named_map(c, item);
			}
			return err;
		}
		return cf_doc_type_of(node) == CF_DOC_MAP ? fix_named_map(c, node) : 0;
	}
	if (cf_doc_type_of(node) == CF_DOC_SEQ) {
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = fix_scalar(c, cf_doc_item(node, i), NULL);
		return err;
	}
	if (strcmp(key, "name") == 0 && strcmp(c->path, "roleRef/name") == 0)
		return fix_scalar(c, node, cf_doc_get_str(parent, "kind"));
	return fix_scalar(c, node, NULL);
}

static int walk_path(fix_ctx *c, const char *path)
{
	c->path = path;
	return kz_fieldspec_walk(c->referrer->obj, path, 0, 0, visit, c);
}

static int fix_pod_paths(fix_ctx *c)
{
	const char *kind = kz_res_kind(c->referrer);
	int cm_or_secret = strcmp(c->rule->kind, "ConfigMap") == 0 ||
	                   strcmp(c->rule->kind, "Secret") == 0;
	int err = 0;

	for (size_t h = 0; h < sizeof(pod_homes) / sizeof(pod_homes[0]); h++) {
		if (strcmp(pod_homes[h].kind, kind) != 0)
			continue;
		if (cm_or_secret && pod_homes[h].skip_for_configmap_secret)
			continue;
		const char *p = c->rule->pod_paths;
		while (*p && err == 0) {
			const char *bar = strchr(p, '|');
			size_t len = bar ? (size_t)(bar - p) : strlen(p);
			char *full = kz_asprintf("%s%.*s", pod_homes[h].prefix, (int)len, p);
			if (!full)
				return cf_error_set(CF_ENOMEM, "out of memory");
			err = walk_path(c, full);
			free(full);
			p += len + (bar ? 1 : 0);
		}
	}
	return err;
}

/* References declared by crds: files (custom resource referrers). */
static int fix_crd_refs(kz_resmap *m, kz_res *referrer, const kz_ctx *ctx, const ref_index *ix)
{
	int err = 0;

	for (size_t i = 0; i < ctx->n_crd_refs && err == 0; i++) {
		const kz_crd_ref *cr = &ctx->crd_refs[i];
		ref_rule rule = {cr->referral_kind, NULL, NULL, none};
		fix_ctx c = {m, &rule, referrer, NULL, ix};
		if (!*cr->referrer_kind || strcmp(cr->referrer_kind, kz_res_kind(referrer)) == 0)
			err = walk_path(&c, cr->path);
	}
	return err;
}

static int fix_referrer(kz_resmap *m, kz_res *referrer, const kz_ctx *ctx, const ref_index *ix)
{
	char g[256];
	int err = fix_crd_refs(m, referrer, ctx, ix);

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) && err == 0; i++) {
		fix_ctx c = {m, &rules[i], referrer, NULL, ix};
		if (rules[i].pod_paths && (err = fix_pod_paths(&c)) < 0)
			break;
		for (const ref_spec *s = rules[i].extra; s->kind && err == 0; s++) {
			if (strcmp(s->kind, kz_res_kind(referrer)) != 0)
				continue;
			if (s->group && strcmp(s->group, group_of(referrer, g, sizeof(g))) != 0)
				continue;
			err = walk_path(&c, s->path);
		}
	}
	return err;
}

int kz_nameref_fix(kz_resmap *m, const kz_ctx *ctx)
{
	int err = 0;
	int any = 0;

	for (size_t i = 0; i < m->len && !any; i++)
		any = m->items[i]->n_ids > 0;
	if (!any)
		return 0;
	ref_index ix = {0};
	if ((err = index_build(&ix, m)) == 0)
		for (size_t i = 0; i < m->len && err == 0; i++)
			err = fix_referrer(m, m->items[i], ctx, &ix);
	index_free(&ix);
	return err;
}
