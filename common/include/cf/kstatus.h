/* kstatus: whether one live Kubernetes object is Current, as Flux's controllers decide when they wait. */
#ifndef CF_KSTATUS_H
#define CF_KSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cf/kube.h"

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

/* Which reader judges batch Jobs (apiVersion batch/<version>, kind Job) in a wait. */
typedef enum {
	CF_KSTATUS_JOBS_COMPLETE, /* Flux's Job reader (cf_kstatus_job): Current once complete */
	CF_KSTATUS_JOBS_KSTATUS,  /* kstatus's own rule (cf_kstatus_compute): Current once started */
} cf_kstatus_jobs;

/*
 * The status of one live object (borrowed) as a waiter with the given Job reader sees it:
 * cf_kstatus_job for a batch Job when jobs is CF_KSTATUS_JOBS_COMPLETE, else cf_kstatus_compute.
 * msg and the result as for those two.
 */
cf_kstatus cf_kstatus_read(const json_t *live, cf_kstatus_jobs jobs, char *msg, size_t size);

/*
 * Called by cf_kstatus_wait for each object its error names: id is Flux's "Kind/namespace/name"
 * ("Kind/name" when cluster-scoped), msg kstatus's message or the read error. All borrowed.
 */
typedef void (*cf_kstatus_log_fn)(void *ctx, const char *id, cf_kstatus status, const char *msg);

typedef struct {
	int64_t timeout_ms;    /* how long to wait; at least one round is always polled */
	int64_t poll_ms;       /* between rounds; 0 means 1000 */
	cf_kstatus_jobs jobs;  /* the reader for batch Jobs */
	int keep_current;      /* 1: an object once seen Current is not read again (helm-controller);
				  0: every object is read each round, as kstatus's poller does */
	cf_kstatus_log_fn log; /* optional */
	void *log_ctx;         /* passed to log */
} cf_kstatus_wait_opts;

/*
 * Waits as Flux's controllers do (fluxcd/pkg/ssa WaitForSet, fail-fast) until every object of
 * objects (a borrowed array of objects naming apiVersion, kind, metadata.name and, when
 * namespaced, metadata.namespace; no apiVersion is the core group "v1") is Current, reading each
 * one live every o->poll_ms. An object that is gone is NotFound, except a batch Job whose given
 * object has spec.ttlSecondsAfterFinished: it was cleaned up after finishing, so it is Current. An
 * object that cannot be read (API error, or without kind or name) is Unknown with the error.
 * Returns 0 when all are Current (also for an empty array), else with Flux's messages:
 *  - CF_ERROR "failed early due to stalled resources: [Kind/ns/name status: 'Failed', ...]" as
 *    soon as a round sees one Failed, naming the Failed ones;
 *  - CF_ETIMEOUT "timeout waiting for: [Kind/ns/name status: 'InProgress', ...]" once
 *    o->timeout_ms passed, naming every object not Current in order ('NotFound' when gone,
 *    "'Unknown': <error>" when unreadable or undecodable);
 *  - CF_ENOMEM, CF_EINVALID (objects not an array, o NULL).
 * o->log, if set, is called for each object the error names.
 */
int cf_kstatus_wait(cf_kube *kube, const json_t *objects, const cf_kstatus_wait_opts *o);

#endif
