/*
 * The controller runtime: work queue, metrics, kstatus conditions, health/metrics HTTP servers,
 * informers with a cache, leader election, and cf_runtime_main() that runs a service's kind table.
 */
#ifndef CF_RUNTIME_H
#define CF_RUNTIME_H

#include "cf/kube.h"
#include "cf/log.h"

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

/*
 * Prometheus' ExponentialBucketsRange(min, max, count) into out[count]. Go's math.Pow may differ
 * from libm in the last bit, so for Flux's reconcile-duration buckets use cf_metrics_flux_buckets,
 * which holds the exact values Go computes for (0.01, 1800, 10).
 */
void cf_metrics_buckets_exp_range(double *out, double min, double max, size_t count);
#define CF_METRICS_FLUX_NBUCKETS 10
extern const double cf_metrics_flux_buckets[CF_METRICS_FLUX_NBUCKETS];

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

/* interval_ms moved uniformly within +/- percentage percent (capped at 100); <= 0 leaves it. */
int64_t cf_jitter_ms(int64_t interval_ms, int percentage);

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
 * status.lastHandledReconcileAt. Returns 1 when it was new (differs from the old value), 0 when
 * there was nothing to record, CF_ENOMEM on allocation failure.
 */
int cf_cond_handle_requested_at(json_t *obj);

/* RFC 3339 UTC seconds, e.g. "2026-01-02T03:04:05Z", into buf (>= 21 bytes). */
void cf_cond_format_time(char *buf, size_t size, time_t t);

/* ==== HTTP: /healthz, /readyz, /metrics (libmicrohttpd) ====================================== */

typedef struct cf_http cf_http;

/* Returns 1 when the process is ready (caches synced, not shutting down), else 0. */
typedef int (*cf_http_ready_fn)(void *ctx);

typedef struct {
	cf_metrics *metrics;      /* serve GET /metrics from this registry, or NULL */
	cf_http_ready_fn ready;   /* serve GET /healthz (always 200 "ok") and /readyz, or NULL */
	void *ready_ctx;
} cf_http_routes;

/*
 * Parses a Go-style listen address: ":8080" (all interfaces), "127.0.0.1:8080", "[::1]:8080",
 * "localhost:0". "0" (and "") means disabled, as in Flux: *port is then -1. CF_EINVALID otherwise.
 */
int cf_http_parse_addr(char *host, size_t host_size, int *port, const char *addr);

/*
 * Starts a server thread on addr with routes (copied). *out is NULL (and 0 is returned) when addr
 * disables the server. Other paths answer 404. CF_ENET when the address cannot be bound.
 */
int cf_http_start(cf_http **out, const char *addr, const cf_http_routes *routes);
/* The bound port (useful with port 0), or -1. */
int cf_http_port(const cf_http *h);
/* Stops the server and frees it. NULL is a no-op. */
void cf_http_stop(cf_http *h);

/* ==== flags ================================================================================== */

typedef enum {
	CF_FLAG_STRING,    /* target: const char * (points into argv or the default) */
	CF_FLAG_INT,       /* target: int */
	CF_FLAG_BOOL,      /* target: int; "--x", "--x=true", "--x=false" (not "--x false") */
	CF_FLAG_DURATION,  /* target: int64_t milliseconds (rounded); Go syntax "1m30s", "750ms" */
	CF_FLAG_DOUBLE,    /* target: double */
} cf_flag_type;

/*
 * One flag, pflag style: "--name=value" or "--name value". The target's value before parsing is
 * the default. Tables end with a {NULL} row.
 */
typedef struct {
	const char *name;
	cf_flag_type type;
	void *target;
	const char *usage;
} cf_flag;

/*
 * Parses argv[1..] against one or more tables (NULL-terminated array of tables). "--help" prints
 * usage to stderr and returns CF_ECANCELED. Unknown flags, bad values and positional arguments:
 * CF_EINVALID with a message naming the flag.
 */
int cf_flags_parse(int argc, char **argv, const cf_flag *const *tables);

/* ==== cache ================================================================================== */

/*
 * A thread-safe store of objects keyed by "namespace/name" ("name" for cluster-scoped kinds),
 * each kept as compact JSON text with managedFields stripped, plus secondary indexes: an index
 * function maps an object to zero or more values, and cf_cache_index_keys() answers "which keys
 * have this value". Informers fill caches; reconcilers read them.
 */
typedef struct cf_cache cf_cache;

/* Called by an index function once per value the object has under that index. */
typedef void (*cf_emit_fn)(void *emit_ctx, const char *value);
/* Computes an object's values for one index; obj is the parsed object (borrowed). */
typedef void (*cf_index_fn)(const json_t *obj, cf_emit_fn emit, void *emit_ctx);

typedef struct {
	const char *name;  /* e.g. "sourceRef" */
	cf_index_fn fn;
} cf_index_def;

/* indexes: a table ending with a {NULL} row, or NULL. The table is borrowed for the cache's life. */
int cf_cache_new(cf_cache **out, const cf_index_def *indexes);
void cf_cache_free(cf_cache *c);

/* "namespace/name" (or "name") of a parsed object into buf. CF_EINVALID without metadata.name. */
int cf_cache_key(char *buf, size_t size, const json_t *obj);

/*
 * Stores obj (parsed; not kept) under its key, replacing an older version. managedFields are
 * dropped. *out_old (if not NULL) receives the previous JSON text (caller frees) or NULL.
 */
int cf_cache_put(cf_cache *c, const json_t *obj, char **out_old);
/* Removes key; *out_old as above. CF_ENOTFOUND when absent. */
int cf_cache_delete(cf_cache *c, const char *key, char **out_old);

/* A copy of the object's JSON (caller frees). CF_ENOTFOUND when absent. */
int cf_cache_get(cf_cache *c, char **out, const char *key);
/* The object parsed (caller json_decref()s). */
int cf_cache_get_json(cf_cache *c, json_t **out, const char *key);
/* The keys whose object has value under index (sorted; caller frees with cf_strv_free). */
int cf_cache_index_keys(cf_cache *c, char ***out, size_t *out_len, const char *index,
			const char *value);
/* Every key (sorted; caller frees with cf_strv_free). */
int cf_cache_keys(cf_cache *c, char ***out, size_t *out_len);
size_t cf_cache_len(cf_cache *c);
/* Bytes held: JSON text plus bookkeeping (for the memory budget). */
size_t cf_cache_bytes(cf_cache *c);

/* Frees a string vector returned by the cache. */
void cf_strv_free(char **v, size_t n);

/* ==== informers ============================================================================== */

/*
 * Keeps a cache in step with the API server for one kind: list, then watch from the list's
 * resourceVersion with bookmarks; relist on 410 Gone; reconnect with backoff (800ms doubling to
 * 30s); optional periodic resync (an update event per cached object). Runs on its own thread.
 */
typedef struct cf_informer cf_informer;

typedef enum { CF_INFORMER_ADD, CF_INFORMER_UPDATE, CF_INFORMER_DELETE } cf_informer_event;

/*
 * Called on the informer thread after the cache changed. obj is the new object (the last known
 * one for deletes); old is the previous version for updates, else NULL. Both are parsed and
 * borrowed for the call. A relist reports objects it already had as updates and objects that
 * disappeared as deletes; a resync reports every object as an update with old equal to obj.
 */
typedef void (*cf_informer_handler)(void *ctx, cf_informer_event ev, const char *key,
				    const json_t *obj, const json_t *old);

typedef struct {
	const char *api_version;      /* e.g. "source.toolkit.fluxcd.io/v1" */
	const char *kind;
	const char *namespace_;       /* NULL or "": all namespaces */
	const char *label_selector;   /* may be NULL */
	int64_t resync_ms;            /* 0: no resync */
	const cf_index_def *indexes;  /* borrowed, may be NULL */
	cf_kube_cancel *cancel;       /* shared stop token, or NULL for a private one */
} cf_informer_opts;

/* Creates a stopped informer. kube is borrowed. */
int cf_informer_new(cf_informer **out, cf_kube *kube, const cf_informer_opts *opts);
/* Adds an event handler (before cf_informer_start). */
int cf_informer_add_handler(cf_informer *inf, cf_informer_handler fn, void *ctx);
/* Starts the informer thread. */
int cf_informer_start(cf_informer *inf);
/* 1 once the first list has been stored in the cache. */
int cf_informer_synced(cf_informer *inf);
/* Waits until synced; 0, CF_ETIMEOUT, or CF_ECANCELED when stopped first. */
int cf_informer_wait_synced(cf_informer *inf, int64_t timeout_ms);
/* The cache (borrowed; lives as long as the informer). */
cf_cache *cf_informer_cache(cf_informer *inf);
/* The last resourceVersion seen (copied into buf; "" before the first list). */
void cf_informer_resource_version(cf_informer *inf, char *buf, size_t size);
/* How many times the informer listed (1 after the first sync; more after 410s or errors). */
unsigned cf_informer_list_count(cf_informer *inf);
/* Stops the thread (fires the cancel token) and waits for it; then frees. NULL is a no-op. */
void cf_informer_free(cf_informer *inf);

/* ==== leader election ======================================================================== */

/*
 * client-go's Lease lock: acquire when the Lease is free or its holder failed to renew within
 * leaseDuration (timed from when this process last saw the record change), renew every retry
 * period while leading, give up when renewals fail for renewDeadline, and on release clear
 * holderIdentity so a successor need not wait.
 */
typedef struct cf_leader cf_leader;

typedef struct {
	const char *namespace_;
	const char *name;             /* e.g. "kustomize-controller-leader-election" */
	const char *identity;         /* NULL: "<hostname>_<random hex>" */
	int64_t lease_duration_ms;    /* [35000] */
	int64_t renew_deadline_ms;    /* [30000] */
	int64_t retry_period_ms;      /* [5000] */
} cf_leader_opts;

int cf_leader_new(cf_leader **out, cf_kube *kube, const cf_leader_opts *opts);
/* Starts the election thread. */
int cf_leader_start(cf_leader *le);
/*
 * Waits until this process leads: 0, CF_ETIMEOUT (timeout_ms >= 0 passed) or CF_ECANCELED
 * (stopped first).
 */
int cf_leader_wait(cf_leader *le, int64_t timeout_ms);
/* 1 while leading. */
int cf_leader_is_leader(cf_leader *le);
/* 1 once leadership was held and then lost (renewals failed past the deadline). */
int cf_leader_lost(cf_leader *le);
/* The identity this process uses (borrowed). */
const char *cf_leader_identity(const cf_leader *le);
/* Stops the thread; releases the Lease when leading. Then frees. NULL is a no-op. */
void cf_leader_free(cf_leader *le);

/* ==== reconcile results ====================================================================== */

/*
 * What a reconcile returns; the runtime maps it to the queue as controller-runtime does:
 * done -> forget the failures; requeue -> forget and add after the delay (Flux's interval);
 * error -> add with the item's backoff (750ms doubling to 15m).
 */
typedef enum { CF_RESULT_DONE, CF_RESULT_REQUEUE, CF_RESULT_ERROR } cf_result_type;

typedef struct {
	cf_result_type type;
	int64_t after_ms;   /* CF_RESULT_REQUEUE only */
} cf_result;

static inline cf_result cf_result_done(void)
{
	return (cf_result){CF_RESULT_DONE, 0};
}

static inline cf_result cf_result_requeue(int64_t after_ms)
{
	return (cf_result){CF_RESULT_REQUEUE, after_ms};
}

static inline cf_result cf_result_error(void)
{
	return (cf_result){CF_RESULT_ERROR, 0};
}

/* ==== the kind table and the runtime ========================================================= */

typedef struct cf_runtime cf_runtime;
typedef struct cf_kind cf_kind;

/* One reconcile request: level-based, only namespace and name. Everything is borrowed. */
typedef struct {
	cf_runtime *rt;
	const cf_kind *kind;
	const char *namespace_;   /* "" for cluster-scoped kinds */
	const char *name;
	const char *key;          /* "namespace/name" */
	const cf_log_ctx *log;    /* controller, group, kind, name, namespace, reconcileID */
	void *service_ctx;        /* what cf_service.start returned */
} cf_request;

typedef cf_result (*cf_reconcile_fn)(const cf_request *req);

/*
 * Maps a changed object of a watched kind to primary keys to reconcile: call emit(emit_ctx,
 * "namespace/name") per key. Typically looks the object up in a primary index through
 * cf_runtime_cache(). obj is the new object (the last known one on delete); old is the previous
 * version on updates, else NULL, so a map can ignore changes it does not care about (Flux
 * enqueues consumers only when a source's artifact revision changed). Both borrowed.
 */
typedef void (*cf_map_fn)(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit,
			  void *emit_ctx);

/* A secondary kind whose changes enqueue primaries. Tables end with a {NULL} row. */
typedef struct {
	const char *api_version;
	const char *kind;
	cf_map_fn map;
	const char *label_selector;   /* e.g. "reconcile.fluxcd.io/watch=Enabled", or NULL */
} cf_watch_def;

/* A primary kind. Tables end with a row whose kind is NULL. */
struct cf_kind {
	const char *kind;                   /* "Kustomization" */
	const char *group;                  /* "kustomize.toolkit.fluxcd.io" */
	const char *const *versions;        /* served versions, preferred first; NULL-terminated */
	const char *plural;                 /* "kustomizations" */
	cf_reconcile_fn reconcile;
	const cf_index_def *indexes;        /* may be NULL */
	const cf_watch_def *watches;        /* may be NULL */
};

/* Flags every controller shares, with Flux's names and defaults. */
typedef struct {
	const char *kubeconfig;             /* --kubeconfig */
	int concurrent;                     /* --concurrent [service default, else 4] */
	int watch_all_namespaces;           /* --watch-all-namespaces [true] */
	const char *namespace_;             /* $RUNTIME_NAMESPACE, else the kubeconfig's */
	const char *watch_label_selector;   /* --watch-label-selector */
	const char *metrics_addr;           /* --metrics-addr [":8080"]; "0" disables */
	const char *health_addr;            /* --health-addr [":9440"]; "0" disables */
	int enable_leader_election;         /* --enable-leader-election [false] */
	int64_t lease_duration_ms;          /* --leader-election-lease-duration [35s] */
	int64_t renew_deadline_ms;          /* --leader-election-renew-deadline [30s] */
	int64_t retry_period_ms;            /* --leader-election-retry-period [5s] */
	const char *log_level;              /* --log-level ["info"] */
	const char *log_encoding;           /* --log-encoding ["json"]; "console" is accepted, lines stay JSON */
	int64_t requeue_dependency_ms;      /* --requeue-dependency [30s] */
	int64_t min_retry_delay_ms;         /* --min-retry-delay [750ms] */
	int64_t max_retry_delay_ms;         /* --max-retry-delay [15m] */
	int64_t graceful_shutdown_ms;       /* --graceful-shutdown-timeout [service default, else 30s] */
	int interval_jitter_percentage;     /* --interval-jitter-percentage [5] */
	double kube_api_qps;                /* --kube-api-qps [50] */
	int kube_api_burst;                 /* --kube-api-burst [300] */
} cf_runtime_config;

/* What a service hands to cf_runtime_main(). */
typedef struct {
	const char *name;                   /* "kustomize-controller": Lease name prefix, Events */
	const cf_kind *kinds;               /* ends with a {NULL} row */
	const cf_flag *flags;               /* service flags, ends with {NULL}; may be NULL */
	int concurrent_default;             /* 0: 4 */
	int64_t graceful_shutdown_default_ms; /* 0: 30s */
	/* After flags and the client are ready, before informers start; *ctx reaches reconcilers. */
	int (*start)(cf_runtime *rt, void **ctx);
	/* After workers and informers have stopped. */
	void (*stop)(cf_runtime *rt, void *ctx);
} cf_service;

/*
 * Runs a controller process: parses flags, sets up logging, the Kubernetes client, metrics and
 * health servers, informers for every kind and watch, leader election, and `concurrent` workers
 * per kind. SIGTERM/SIGINT stop taking work, wait up to the graceful shutdown timeout for
 * in-flight reconciles, release the Lease and return 0 (use as `return cf_runtime_main(...)`).
 * Returns 1 on a start-up failure (logged), 2 for bad flags, 0 for --help.
 */
int cf_runtime_main(int argc, char **argv, const cf_service *service);

/* Accessors for reconcilers and map functions (all borrowed). */
cf_kube *cf_runtime_kube(cf_runtime *rt);
const cf_runtime_config *cf_runtime_config_of(cf_runtime *rt);
cf_metrics *cf_runtime_metrics(cf_runtime *rt);
/* The cache of a primary or watched kind, or NULL when the runtime does not watch it. */
cf_cache *cf_runtime_cache(cf_runtime *rt, const char *kind);
/* Enqueues a primary object by key (e.g. on a bus hint). CF_ENOTFOUND for an unknown kind. */
int cf_runtime_enqueue(cf_runtime *rt, const char *kind, const char *key);
/* Starts a graceful shutdown as SIGTERM would (e.g. from a fatal error in a service thread). */
void cf_runtime_request_stop(cf_runtime *rt);
/* 1 while this process leads (always 1 without --enable-leader-election), e.g. to serve artifacts. */
int cf_runtime_is_leader(cf_runtime *rt);
/*
 * interval_ms moved by a random amount within +/- --interval-jitter-percentage, as Flux requeues
 * objects on spec.interval so that many objects with one interval do not reconcile in lockstep.
 */
int64_t cf_runtime_jitter_ms(cf_runtime *rt, int64_t interval_ms);

/*
 * The Lease name Flux uses: "<service>-leader-election", plus "-<first 8 hex of
 * sha256(selector)>" when a watch label selector shards the controller.
 */
int cf_runtime_lease_name(char *buf, size_t size, const char *service, const char *selector);

#endif
