/* The namespace transformer: metadata.namespace on namespaced objects and the fields that follow it. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static int set_value(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	(void)node;
	return cf_doc_map_set_str(parent, key, (const char *)ctx);
}

/* RoleBinding subjects: kustomize's default sets the namespace of subjects named "default". */
static int fix_subjects(kz_res *r, const char *ns)
{
	cf_doc *subjects = cf_doc_get(r->obj, "subjects");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(subjects) && err == 0; i++) {
		cf_doc *s = cf_doc_item(subjects, i);
		const char *name = cf_doc_get_str(s, "name");
		if (cf_doc_type_of(s) == CF_DOC_MAP && name && strcmp(name, "default") == 0)
			err = cf_doc_map_set_str(s, "namespace", ns);
	}
	return err;
}

static int is_binding(const kz_res *r)
{
	const char *kind = kz_res_kind(r);
	return strncmp(kz_res_api_version(r), "rbac.authorization.k8s.io/", 26) == 0 &&
	       (strcmp(kind, "RoleBinding") == 0 || strcmp(kind, "ClusterRoleBinding") == 0);
}

static int namespace_one(kz_res *r, const char *ns)
{
	const char *kind = kz_res_kind(r), *api = kz_res_api_version(r);
	int err = 0;

	if (!kz_res_cluster_scoped(r))
		err = kz_res_set_ns(r, ns);
	else if (strcmp(kind, "Namespace") == 0 && strcmp(api, "v1") == 0)
		err = kz_res_set_name(r, ns);
	if (err < 0)
		return err;
	if (is_binding(r))
		return fix_subjects(r, ns);
	if (strcmp(kind, "APIService") == 0 && strncmp(api, "apiregistration.k8s.io/", 23) == 0)
		return kz_fieldspec_walk(r->obj, "spec/service/namespace", 1, 0, set_value, (void *)ns);
	if (strcmp(kind, "CustomResourceDefinition") == 0)
		return kz_fieldspec_walk(r->obj, "spec/conversion/webhook/clientConfig/service/namespace",
		                         0, 0, set_value, (void *)ns);
	return 0;
}

int kz_namespace_apply(kz_resmap *m, const char *ns)
{
	int err = 0;

	for (size_t i = 0; i < m->len && err == 0; i++)
		err = namespace_one(m->items[i], ns);
	size_t dup = 0;
	if (err == 0 && (err = kz_resmap_find_duplicate(m, &dup)) == 1) {
		char *id = kz_res_id_string(m->items[dup]);
		err = cf_error_set(CF_EEXISTS, "namespace transformation produces ID conflict: %s",
		                   id ? id : "");
		free(id);
	}
	return err;
}
