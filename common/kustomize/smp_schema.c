/*
 * The merge keys of built-in Kubernetes types that kustomize's strategic merge honours, as a
 * compiled-in table: which lists merge by which key, which primitive lists merge as sets, and
 * which fields lead into which type. Kinds not listed (custom resources) have no schema, so
 * every list in them is replaced.
 */
#include <string.h>

#include "smp.h"

typedef struct {
	const char *field;
	const char *type;      /* type of the field's value (or of list items), NULL: none known */
	const char *key;       /* merge key of an associative list */
	int primitive_merge;   /* a list of scalars merged as a set */
	const char *key2;      /* second x-kubernetes-list-map-keys entry, if any */
} field_def;

typedef struct {
	const char *name;
	const field_def *fields;
} type_def;

static const field_def object_meta[] = {
	{"finalizers", NULL, NULL, 1, NULL},
	{"ownerReferences", NULL, "uid", 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def container[] = {
	{"env", NULL, "name", 0, NULL},
	{"ports", NULL, "containerPort", 0, "protocol"},
	{"volumeMounts", NULL, "mountPath", 0, NULL},
	{"volumeDevices", NULL, "devicePath", 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def pod_spec[] = {
	{"containers", "Container", "name", 0, NULL},
	{"initContainers", "Container", "name", 0, NULL},
	{"ephemeralContainers", "Container", "name", 0, NULL},
	{"volumes", NULL, "name", 0, NULL},
	{"imagePullSecrets", NULL, "name", 0, NULL},
	{"hostAliases", NULL, "ip", 0, NULL},
	{"topologySpreadConstraints", NULL, "topologyKey", 0, "whenUnsatisfiable"},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def pod_template[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"spec", "PodSpec", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def templated_spec[] = {
	{"template", "PodTemplateSpec", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def job_template[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"spec", "TemplatedSpec", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def cronjob_spec[] = {
	{"jobTemplate", "JobTemplateSpec", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def service_spec[] = {
	{"ports", NULL, "port", 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
/* Root types: what metadata and spec are for each group of kinds. */
static const field_def root_plain[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def root_workload[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"spec", "TemplatedSpec", NULL, 0, NULL},
	{"status", "WorkloadStatus", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def root_cronjob[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"spec", "CronJobSpec", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def root_pod[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"spec", "PodSpec", NULL, 0, NULL},
	{"status", "WorkloadStatus", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def root_pod_template[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"template", "PodTemplateSpec", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def root_service[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"spec", "ServiceSpec", NULL, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def root_service_account[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"secrets", NULL, "name", 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def root_webhooks[] = {
	{"metadata", "ObjectMeta", NULL, 0, NULL},
	{"webhooks", NULL, "name", 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};
static const field_def workload_status[] = {
	{"conditions", NULL, "type", 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};

static const type_def types[] = {
	{"ObjectMeta", object_meta},
	{"Container", container},
	{"PodSpec", pod_spec},
	{"PodTemplateSpec", pod_template},
	{"TemplatedSpec", templated_spec},
	{"JobTemplateSpec", job_template},
	{"CronJobSpec", cronjob_spec},
	{"ServiceSpec", service_spec},
	{"WorkloadStatus", workload_status},
	{"root:plain", root_plain},
	{"root:workload", root_workload},
	{"root:cronjob", root_cronjob},
	{"root:pod", root_pod},
	{"root:podtemplate", root_pod_template},
	{"root:service", root_service},
	{"root:serviceaccount", root_service_account},
	{"root:webhooks", root_webhooks},
};

/* Built-in kinds by group; a kind is in the schema only under its own group. */
static const struct {
	const char *group;
	const char *kind;
	const char *root;
} kinds[] = {
	{"apps", "Deployment", "root:workload"},
	{"apps", "ReplicaSet", "root:workload"},
	{"apps", "DaemonSet", "root:workload"},
	{"apps", "StatefulSet", "root:workload"},
	{"extensions", "Deployment", "root:workload"},
	{"extensions", "ReplicaSet", "root:workload"},
	{"extensions", "DaemonSet", "root:workload"},
	{"batch", "Job", "root:workload"},
	{"batch", "CronJob", "root:cronjob"},
	{"", "ReplicationController", "root:workload"},
	{"", "Pod", "root:pod"},
	{"", "PodTemplate", "root:podtemplate"},
	{"", "Service", "root:service"},
	{"", "ServiceAccount", "root:serviceaccount"},
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration", "root:webhooks"},
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "root:webhooks"},
	{"", "ConfigMap", "root:plain"},
	{"", "Secret", "root:plain"},
	{"", "Namespace", "root:plain"},
	{"", "PersistentVolumeClaim", "root:plain"},
	{"", "PersistentVolume", "root:plain"},
	{"", "Endpoints", "root:plain"},
	{"", "LimitRange", "root:plain"},
	{"", "ResourceQuota", "root:plain"},
	{"", "Node", "root:plain"},
	{"rbac.authorization.k8s.io", "Role", "root:plain"},
	{"rbac.authorization.k8s.io", "ClusterRole", "root:plain"},
	{"rbac.authorization.k8s.io", "RoleBinding", "root:plain"},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding", "root:plain"},
	{"networking.k8s.io", "Ingress", "root:plain"},
	{"networking.k8s.io", "IngressClass", "root:plain"},
	{"networking.k8s.io", "NetworkPolicy", "root:plain"},
	{"policy", "PodDisruptionBudget", "root:plain"},
	{"autoscaling", "HorizontalPodAutoscaler", "root:plain"},
	{"storage.k8s.io", "StorageClass", "root:plain"},
	{"scheduling.k8s.io", "PriorityClass", "root:plain"},
	{"apiextensions.k8s.io", "CustomResourceDefinition", "root:plain"},
	{"apiregistration.k8s.io", "APIService", "root:plain"},
};

const void *smp_root_type(const char *api_version, const char *kind)
{
	const char *slash = strchr(api_version, '/');
	size_t gl = slash ? (size_t)(slash - api_version) : 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].kind, kind) != 0 || strlen(kinds[i].group) != gl ||
		    strncmp(kinds[i].group, api_version, gl) != 0)
			continue;
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			if (strcmp(types[t].name, kinds[i].root) == 0)
				return &types[t];
	}
	return NULL;
}

int smp_field(const void *type, const char *field, smp_field_info *out)
{
	const type_def *t = type;

	memset(out, 0, sizeof(*out));
	if (!t)
		return 0;
	for (const field_def *f = t->fields; f->field; f++) {
		if (strcmp(f->field, field) != 0)
			continue;
		out->key = f->key;
		out->key2 = f->key2;
		out->primitive_merge = f->primitive_merge;
		if (f->type)
			for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
				if (strcmp(types[i].name, f->type) == 0)
					out->type = &types[i];
		return 1;
	}
	return 0;
}
