/* kstatus: whether one live Kubernetes object is Current, as Flux's controllers decide when they wait. */
#ifndef CF_KSTATUS_H
#define CF_KSTATUS_H

#include <stddef.h>

#include <jansson.h>

/* kstatus's statuses (sigs.k8s.io/cli-utils/pkg/kstatus/status), in this order (Current is 0). */
typedef enum {
	CF_KSTATUS_CURRENT,
	CF_KSTATUS_IN_PROGRESS,
	CF_KSTATUS_FAILED,
	CF_KSTATUS_TERMINATING,
	CF_KSTATUS_NOT_FOUND, /* for waiters whose read found nothing: no function here returns it */
	CF_KSTATUS_UNKNOWN,   /* the object is malformed in a way kstatus cannot read */
} cf_kstatus;

/*
 * kstatus's name of s: "Current", "InProgress", "Failed", "Terminating", "NotFound", "Unknown"
 * ("Unknown" for a value outside the enum). Returns a static string.
 */
const char *cf_kstatus_name(cf_kstatus s);

/*
 * kstatus's Compute for one live object as the API server returns it (live is borrowed): the
 * generic rules first (metadata.deletionTimestamp, metadata.generation against
 * status.observedGeneration, True Reconciling / Stalled conditions), then the rule of a built-in
 * kind (Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod, Job, PersistentVolumeClaim, Service,
 * PodDisruptionBudget, CustomResourceDefinition; ConfigMap, Secret and CronJob always Current),
 * then the Ready condition, else Current. Writes kstatus's message into msg, NUL-terminated and
 * truncated to size (nothing is written when size is 0). Never fails: what kstatus cannot decode
 * (live not an object, fields of the wrong type, malformed conditions) gives CF_KSTATUS_UNKNOWN
 * with a message of ours. A Pod unschedulable for 15 s or more is Failed: the result depends on
 * the clock for Pods only.
 */
cf_kstatus cf_kstatus_compute(const json_t *live, char *msg, size_t size);

/*
 * Flux's Job status reader (fluxcd/pkg/runtime/statusreaders), used for batch Jobs by
 * kustomize-controller's health checks and by helm-controller when it waits for Jobs: Current
 * only once a True Complete condition is seen (or spec.suspend is true), Failed on a True Failed
 * condition (the first of the two decides), else InProgress. None of Compute's generic rules
 * apply (a Job being deleted is judged by its conditions). msg and the result on malformed input
 * as for cf_kstatus_compute.
 */
cf_kstatus cf_kstatus_job(const json_t *live, char *msg, size_t size);

#endif
