/*
 * The controller runtime: work queue, metrics, kstatus conditions, health/metrics HTTP servers,
 * informers with a cache, leader election, and cf_runtime_main() that runs a service's kind table.
 */
#ifndef CF_RUNTIME_H
#define CF_RUNTIME_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ==== metrics ================================================================================ */

/*
 * A Prometheus registry rendered in the text exposition format (version 0.0.4) the Go client
 * writes: families sorted by name, series sorted by label values, floats printed like Go's
 * strconv.FormatFloat(v, 'g', -1, 64). All functions are thread-safe.
 */
typedef struct cf_metrics cf_metrics;
typedef struct cf_metric cf_metric;

typedef enum { CF_METRIC_COUNTER, CF_METRIC_GAUGE, CF_METRIC_HISTOGRAM } cf_metric_type;

int cf_metrics_new(cf_metrics **out);
/* Frees the registry and every family registered in it. NULL is a no-op. */
void cf_metrics_free(cf_metrics *m);

/*
 * Registers a family. label_names is NULL-terminated (NULL for none). buckets (histograms only)
 * are upper bounds in increasing order; "+Inf" is implicit. Registering a name twice returns the
 * existing family when type and labels match (so two queues can share workqueue_depth), else
 * CF_EEXISTS. *out is borrowed from the registry.
 */
int cf_metrics_register(cf_metric **out, cf_metrics *m, cf_metric_type type, const char *name,
			const char *help, const char *const *label_names, const double *buckets,
			size_t nbuckets);

/* Counter/gauge += v. values has one entry per label name. 0, CF_EINVALID or CF_ENOMEM. */
int cf_metric_add(cf_metric *f, const char *const *values, double v);
/* Gauge = v. */
int cf_metric_set(cf_metric *f, const char *const *values, double v);
/* Histogram observation. */
int cf_metric_observe(cf_metric *f, const char *const *values, double v);
/* Drops one series (e.g. when its object is deleted). CF_ENOTFOUND when it does not exist. */
int cf_metric_remove(cf_metric *f, const char *const *values);
/* Reads a counter/gauge value or a histogram's count. CF_ENOTFOUND when the series is absent. */
int cf_metric_value(double *out, cf_metric *f, const char *const *values);

/* Renders every family. *out is NUL-terminated and owned by the caller. */
int cf_metrics_render(char **out, size_t *out_len, cf_metrics *m);

/* Prometheus' ExponentialBucketsRange(min, max, count) into out[count]; Flux uses (0.01, 1800, 10). */
void cf_metrics_buckets_exp_range(double *out, double min, double max, size_t count);

/* Formats v as Go's strconv.FormatFloat(v, 'g', -1, 64) (+Inf, -Inf, NaN as Prometheus writes). */
void cf_metrics_format_float(char *buf, size_t size, double v);

/* ==== work queue ============================================================================= */

/*
 * A rate-limited, delaying work queue with client-go's semantics. Items are "namespace/name" keys.
 * - An item added while it waits is not added twice.
 * - An item added while it is being processed is handed out again after cf_queue_done().
 * - cf_queue_add_after() waits first; the earliest of several pending delays wins.
 * - cf_queue_add_rate_limited() waits base * 2^failures (capped at max) and counts a failure;
 *   cf_queue_forget() resets the count on success.
 * Thread-safe; any number of workers may call cf_queue_get().
 */
typedef struct cf_queue cf_queue;

typedef struct {
	const char *name;        /* metrics label "name" (the controller name); may be NULL */
	int64_t base_delay_ms;   /* first retry delay [750, Flux's --min-retry-delay] */
	int64_t max_delay_ms;    /* retry cap [900000 = 15m, Flux's --max-retry-delay] */
	cf_metrics *metrics;     /* when set, workqueue_depth/adds_total/retries_total are kept */
} cf_queue_opts;

/* opts may be NULL for the defaults. Caller frees *out with cf_queue_free(). */
int cf_queue_new(cf_queue **out, const cf_queue_opts *opts);
/* Frees the queue. Call only after every worker has returned. NULL is a no-op. */
void cf_queue_free(cf_queue *q);

/* Makes key ready now. After shutdown adds are ignored (returns CF_ECANCELED). */
int cf_queue_add(cf_queue *q, const char *key);
/* Makes key ready after delay_ms (<= 0 means now). */
int cf_queue_add_after(cf_queue *q, const char *key, int64_t delay_ms);
/* Adds key after its next backoff delay and counts a failure. */
int cf_queue_add_rate_limited(cf_queue *q, const char *key);
/* The delay the next cf_queue_add_rate_limited(key) would use, without counting a failure. */
int64_t cf_queue_next_backoff_ms(cf_queue *q, const char *key);
/* Clears key's failure count (call after a successful reconcile). */
void cf_queue_forget(cf_queue *q, const char *key);
/* How many failures key has accumulated since its last cf_queue_forget(). */
unsigned cf_queue_num_requeues(cf_queue *q, const char *key);

/*
 * Takes the next ready key into *key (caller frees) and marks it in processing. timeout_ms < 0
 * waits forever. Returns 0, CF_ETIMEOUT, or CF_ECANCELED once the queue is shut down (queued
 * work is then left alone: shutdown stops taking work).
 */
int cf_queue_get(cf_queue *q, char **key, int64_t timeout_ms);
/* Ends processing of key; if it was re-added meanwhile it becomes ready again. */
void cf_queue_done(cf_queue *q, const char *key);

/* Stops handing out work and wakes every waiting cf_queue_get(). Idempotent. */
void cf_queue_shut_down(cf_queue *q);
/* Waits until no key is in processing. 0, or CF_ETIMEOUT when timeout_ms passed first. */
int cf_queue_drain(cf_queue *q, int64_t timeout_ms);

/* Keys ready now (the workqueue_depth gauge), keys waiting for a delay, keys in processing. */
size_t cf_queue_len(cf_queue *q);
size_t cf_queue_waiting(cf_queue *q);
size_t cf_queue_processing(cf_queue *q);

/* Per-item exponential backoff: base * 2^failures, capped at max (overflow-safe). */
int64_t cf_backoff_delay_ms(int64_t base_ms, int64_t max_ms, unsigned failures);

/* ==== conditions (kstatus, Flux's pkg/runtime/conditions) ==================================== */

#define CF_COND_READY "Ready"
#define CF_COND_RECONCILING "Reconciling"
#define CF_COND_STALLED "Stalled"
#define CF_REASON_PROGRESSING "Progressing"
#define CF_REASON_PROGRESSING_WITH_RETRY "ProgressingWithRetry"
#define CF_REASON_SUCCEEDED "ReconciliationSucceeded"
#define CF_REASON_FAILED "ReconciliationFailed"
#define CF_ANNOTATION_REQUESTED_AT "reconcile.fluxcd.io/requestedAt"

/*
 * These work on a whole object (metadata + status) as a jansson tree, changing
 * status.conditions in place; `now` is the wall clock in seconds (time(NULL) in production).
 */

/* The condition object of that type (borrowed), or NULL. */
json_t *cf_cond_get(const json_t *obj, const char *type);
/* 1 if the condition exists with that status ("True", "False", "Unknown"), else 0. */
int cf_cond_has_status(const json_t *obj, const char *type, const char *status);

/*
 * Sets a condition as Flux's conditions.Set does: observedGeneration = metadata.generation;
 * lastTransitionTime changes when status, reason or message change (kept otherwise); the list is
 * sorted Stalled, Reconciling, Ready, then other types alphabetically. status.conditions is
 * created when missing. 0, CF_EINVALID (obj not an object) or CF_ENOMEM.
 */
int cf_cond_set(json_t *obj, const char *type, const char *status, const char *reason,
		const char *message, time_t now);
/* Removes the condition; absent is not an error. */
void cf_cond_delete(json_t *obj, const char *type);

/* Reconciling=True (reason, message) and no Stalled: call when a reconcile starts. */
int cf_cond_mark_reconciling(json_t *obj, const char *reason, const char *message, time_t now);
/* Stalled=True and Ready=False with the same reason and message, no Reconciling: terminal errors. */
int cf_cond_mark_stalled(json_t *obj, const char *reason, const char *message, time_t now);

/*
 * The end-of-reconcile summary Flux controllers apply before patching status:
 * - Ready=False while Reconciling exists: Reconciling's reason becomes ProgressingWithRetry;
 * - Ready=True: Reconciling and Stalled are removed;
 * - Ready=True or Stalled=True: status.observedGeneration = metadata.generation.
 */
int cf_cond_summarize(json_t *obj, time_t now);

/*
 * Copies the reconcile.fluxcd.io/requestedAt annotation, when present, into
 * status.lastHandledReconcileAt. Returns 1 when it was new (differs from the old value), else 0.
 */
int cf_cond_handle_requested_at(json_t *obj);

/* RFC 3339 UTC seconds, e.g. "2026-01-02T03:04:05Z", into buf (>= 21 bytes). */
void cf_cond_format_time(char *buf, size_t size, time_t t);

#endif
