/* The replicas transformer: spec.replicas of the named workloads. */
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static const char *const kinds[] = {"Deployment", "ReplicationController", "ReplicaSet",
                                    "StatefulSet"};

static int has_name(const kz_res *r, const char *name)
{
	if (strcmp(kz_res_name(r), name) == 0)
		return 1;
	for (size_t i = 0; i < r->n_ids; i++)
		if (strcmp(r->ids[i].name, name) == 0)
			return 1;
	return 0;
}

int kz_replicas_apply(kz_resmap *m, const cf_doc *replicas)
{
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(replicas) && err == 0; i++) {
		const cf_doc *e = cf_doc_item(replicas, i);
		const char *name = kz_scalar(cf_doc_get(e, "name"));
		const cf_doc *count = cf_doc_get(e, "count");

		if (!name)
			continue;
		if (cf_doc_type_of(count) != CF_DOC_INT)
			return cf_error_set(CF_EINVALID, "replicas: count of '%s' must be an integer", name);
		for (size_t j = 0; j < m->len && err == 0; j++) {
			kz_res *r = m->items[j];
			int known = 0;
			for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
				known = known || strcmp(kz_res_kind(r), kinds[k]) == 0;
			if (!known || !has_name(r, name))
				continue;
			cf_doc *spec = NULL, *n = NULL;
			if ((err = kz_ensure_map(&spec, r->obj, "spec")) == 0 &&
			    (err = cf_doc_new_int(&n, cf_doc_int(count))) == 0)
				err = cf_doc_map_set(spec, "replicas", n);
		}
	}
	return err;
}
