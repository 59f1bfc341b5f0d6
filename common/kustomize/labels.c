/* labels, commonLabels and commonAnnotations: which fields get the pairs, as kustomize's field specs. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

#define END {NULL, NULL, NULL, NULL, 0}

static const kz_fieldspec metadata_labels[] = {
	{NULL, NULL, NULL, "metadata/labels", 1},
	END,
};

/* Pod and job templates (labels or annotations: the last segment is filled in). */
static const kz_fieldspec templates[] = {
	{NULL, "v1", "ReplicationController", "spec/template/metadata", 1},
	{NULL, NULL, "Deployment", "spec/template/metadata", 1},
	{NULL, NULL, "ReplicaSet", "spec/template/metadata", 1},
	{NULL, NULL, "DaemonSet", "spec/template/metadata", 1},
	{"apps", NULL, "StatefulSet", "spec/template/metadata", 1},
	{"batch", NULL, "Job", "spec/template/metadata", 1},
	{"batch", NULL, "CronJob", "spec/jobTemplate/metadata", 1},
	{"batch", NULL, "CronJob", "spec/jobTemplate/spec/template/metadata", 1},
	END,
};

static const kz_fieldspec volume_claim_templates[] = {
	{"apps", NULL, "StatefulSet", "spec/volumeClaimTemplates/metadata/labels", 1},
	END,
};

#define AFF "spec/template/spec/affinity/"
static const kz_fieldspec selectors[] = {
	{NULL, "v1", "Service", "spec/selector", 1},
	{NULL, "v1", "ReplicationController", "spec/selector", 1},
	{NULL, NULL, "Deployment", "spec/selector/matchLabels", 1},
	{"apps", NULL, "Deployment", AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0},
	{"apps", NULL, "Deployment", AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0},
	{"apps", NULL, "Deployment", AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0},
	{"apps", NULL, "Deployment", AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0},
	{"apps", NULL, "Deployment", "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", 0},
	{NULL, NULL, "ReplicaSet", "spec/selector/matchLabels", 1},
	{NULL, NULL, "DaemonSet", "spec/selector/matchLabels", 1},
	{"apps", NULL, "StatefulSet", "spec/selector/matchLabels", 1},
	{"apps", NULL, "StatefulSet", AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0},
	{"apps", NULL, "StatefulSet", AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0},
	{"apps", NULL, "StatefulSet", AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0},
	{"apps", NULL, "StatefulSet", AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0},
	{"apps", NULL, "StatefulSet", "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", 0},
	{"batch", NULL, "Job", "spec/selector/matchLabels", 0},
	{"batch", NULL, "CronJob", "spec/jobTemplate/spec/selector/matchLabels", 0},
	{"policy", NULL, "PodDisruptionBudget", "spec/selector/matchLabels", 0},
	{"networking.k8s.io", NULL, "NetworkPolicy", "spec/podSelector/matchLabels", 0},
	{"networking.k8s.io", NULL, "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", 0},
	{"networking.k8s.io", NULL, "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", 0},
	END,
};

static int put_pairs(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	const cf_doc *pairs = ctx;
	int err = 0;

	if (!node || cf_doc_type_of(node) == CF_DOC_NULL) {
		if ((err = kz_ensure_map(&node, parent, key)) < 0)
			return err;
	}
	if (cf_doc_type_of(node) != CF_DOC_MAP)
		return cf_error_set(CF_EINVALID, "%s: expected a map to add labels or annotations", key);
	for (size_t i = 0; i < cf_doc_len(pairs) && err == 0; i++) {
		const char *v = kz_scalar(cf_doc_value(pairs, i));
		err = cf_doc_map_set_str(node, cf_doc_text(cf_doc_key(pairs, i)), v ? v : "");
	}
	return err;
}

/* Applies pairs at each matching spec; `leaf` completes template paths ("labels"). */
static int apply_specs(kz_res *r, const kz_fieldspec *specs, const char *leaf, const cf_doc *pairs)
{
	int err = 0;

	for (const kz_fieldspec *fs = specs; fs->path && err == 0; fs++) {
		if (!kz_fieldspec_matches(fs, r))
			continue;
		if (leaf) {
			char *path = kz_asprintf("%s/%s", fs->path, leaf);
			if (!path)
				return cf_error_set(CF_ENOMEM, "out of memory");
			err = kz_fieldspec_walk(r->obj, path, fs->create, 1, put_pairs, (void *)pairs);
			free(path);
		} else {
			err = kz_fieldspec_walk(r->obj, fs->path, fs->create, 1, put_pairs, (void *)pairs);
		}
	}
	return err;
}

/* User field specs of a labels entry: [{path, kind, group, version, create}]. */
static int apply_user_fields(kz_res *r, const cf_doc *fields, const cf_doc *pairs)
{
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(fields) && err == 0; i++) {
		const cf_doc *f = cf_doc_item(fields, i);
		kz_fieldspec fs = {
			.group = kz_scalar(cf_doc_get(f, "group")),
			.version = kz_scalar(cf_doc_get(f, "version")),
			.kind = kz_scalar(cf_doc_get(f, "kind")),
			.path = kz_scalar(cf_doc_get(f, "path")),
			.create = cf_doc_bool(cf_doc_get(f, "create")),
		};
		if (!fs.path || !kz_fieldspec_matches(&fs, r))
			continue;
		err = kz_fieldspec_walk(r->obj, fs.path, fs.create, 1, put_pairs, (void *)pairs);
	}
	return err;
}

typedef struct {
	int selectors, templates, vct;
	const cf_doc *fields;
	const cf_doc *config_fields;  /* commonLabels specs from configurations (with selectors) */
} label_scope;

static int label_all(kz_resmap *m, const cf_doc *pairs, const label_scope *s)
{
	int err = 0;

	if (cf_doc_type_of(pairs) != CF_DOC_MAP || cf_doc_len(pairs) == 0)
		return 0;
	for (size_t i = 0; i < m->len && err == 0; i++) {
		kz_res *r = m->items[i];
		if ((err = apply_specs(r, metadata_labels, NULL, pairs)) < 0)
			break;
		if ((s->selectors || s->templates) &&
		    (err = apply_specs(r, templates, "labels", pairs)) < 0)
			break;
		if ((s->selectors || s->vct) &&
		    (err = apply_specs(r, volume_claim_templates, NULL, pairs)) < 0)
			break;
		if (s->selectors && (err = apply_specs(r, selectors, NULL, pairs)) < 0)
			break;
		if (s->fields && (err = apply_user_fields(r, s->fields, pairs)) < 0)
			break;
		if (s->selectors && s->config_fields)
			err = apply_user_fields(r, s->config_fields, pairs);
	}
	return err;
}

int kz_labels_apply(kz_resmap *m, const kz_kust *k, const cf_doc *tconfig)
{
	cf_doc *labels = cf_doc_get(k->k, "labels");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(labels) && err == 0; i++) {
		const cf_doc *e = cf_doc_item(labels, i);
		label_scope s = {
			.selectors = cf_doc_bool(cf_doc_get(e, "includeSelectors")),
			.templates = cf_doc_bool(cf_doc_get(e, "includeTemplates")),
			.vct = cf_doc_bool(cf_doc_get(e, "includeVolumeClaimTemplates")),
			.fields = cf_doc_get(e, "fields"),
			.config_fields = cf_doc_get(tconfig, "commonLabels"),
		};
		err = label_all(m, cf_doc_get(e, "pairs"), &s);
	}
	if (err == 0) {
		label_scope common = {1, 1, 1, NULL, cf_doc_get(tconfig, "commonLabels")};
		err = label_all(m, cf_doc_get(k->k, "commonLabels"), &common);
	}
	return err;
}

int kz_annotations_apply(kz_resmap *m, const cf_doc *annotations, const cf_doc *tconfig)
{
	static const kz_fieldspec meta[] = {{NULL, NULL, NULL, "metadata/annotations", 1}, END};
	int err = 0;

	if (cf_doc_type_of(annotations) != CF_DOC_MAP || cf_doc_len(annotations) == 0)
		return 0;
	for (size_t i = 0; i < m->len && err == 0; i++) {
		if ((err = apply_specs(m->items[i], meta, NULL, annotations)) == 0)
			err = apply_specs(m->items[i], templates, "annotations", annotations);
		if (err == 0)
			err = apply_user_fields(m->items[i], cf_doc_get(tconfig, "commonAnnotations"),
			                        annotations);
	}
	return err;
}
