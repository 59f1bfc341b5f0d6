/* A kind's controller: event handlers that enqueue, workers that reconcile, and their metrics. */
#include "runtime_int.h"
#include "cf/error.h"
#include "cf/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char *const controller_labels[] = {"controller", NULL};

int rt_metrics_init(cf_runtime *rt)
{
	static const char *const total_labels[] = {"controller", "result", NULL};
	static const char *const obj_labels[] = {"kind", "name", "namespace", NULL};
	int err;

	if ((err = cf_metrics_register(&rt->m_total, rt->metrics, CF_METRIC_COUNTER,
				       "controller_runtime_reconcile_total",
				       "Total number of reconciliations per controller", total_labels,
				       NULL, 0)) < 0 ||
	    (err = cf_metrics_register(&rt->m_errors, rt->metrics, CF_METRIC_COUNTER,
				       "controller_runtime_reconcile_errors_total",
				       "Total number of reconciliation errors per controller",
				       controller_labels, NULL, 0)) < 0 ||
	    (err = cf_metrics_register(&rt->m_active, rt->metrics, CF_METRIC_GAUGE,
				       "controller_runtime_active_workers",
				       "Number of currently used workers per controller",
				       controller_labels, NULL, 0)) < 0 ||
	    (err = cf_metrics_register(&rt->m_max, rt->metrics, CF_METRIC_GAUGE,
				       "controller_runtime_max_concurrent_reconciles",
				       "Maximum number of concurrent reconciles per controller",
				       controller_labels, NULL, 0)) < 0 ||
	    (err = cf_metrics_register(&rt->m_duration, rt->metrics, CF_METRIC_HISTOGRAM,
				       "gotk_reconcile_duration_seconds",
				       "The duration in seconds of a GitOps Toolkit resource reconciliation.",
				       obj_labels, cf_metrics_flux_buckets,
				       CF_METRICS_FLUX_NBUCKETS)) < 0 ||
	    (err = cf_metrics_register(&rt->m_suspend, rt->metrics, CF_METRIC_GAUGE,
				       "gotk_suspend_status",
				       "The current suspend status of a GitOps Toolkit resource.",
				       obj_labels, NULL, 0)) < 0)
		return err;
	return 0;
}

/* ---- enqueueing ---- */

static const char *annotation(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "annotations"), name));
}

static json_int_t generation(const json_t *obj)
{
	return json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Flux's primary predicate: GenerationChangedPredicate or ReconcileRequestedPredicate. Status
 * writes do not bump metadata.generation, so a controller's own status patch does not loop.
 */
static int wants_update(const json_t *obj, const json_t *old)
{
	if (!old)
		return 1;
	return generation(obj) != generation(old) ||
	       !same_str(annotation(obj, CF_ANNOTATION_REQUESTED_AT),
			 annotation(old, CF_ANNOTATION_REQUESTED_AT));
}

static void on_primary(void *ctx, cf_informer_event ev, const char *key, const json_t *obj,
		       const json_t *old)
{
	rt_controller *c = ctx;

	if (ev == CF_INFORMER_UPDATE && !wants_update(obj, old))
		return;
	cf_queue_add(c->queue, key);
}

static void emit_key(void *ctx, const char *key)
{
	rt_controller *c = ctx;

	if (key && *key)
		cf_queue_add(c->queue, key);
}

static void on_secondary(void *ctx, cf_informer_event ev, const char *key, const json_t *obj,
			 const json_t *old)
{
	rt_watch *w = ctx;

	/* A resync repeats what the map already saw. */
	if (ev == CF_INFORMER_UPDATE && old == obj)
		return;
	w->def->map(w->ctrl->rt, obj, old, emit_key, w->ctrl);
}

/* ---- setup ---- */

static int add_watches(cf_runtime *rt, rt_controller *c)
{
	for (const cf_watch_def *w = c->kind->watches; w && w->kind; w++) {
		rt_informer *ri;
		rt_watch **nw = realloc(rt->watches, (rt->nwatches + 1) * sizeof(*nw));
		int err;

		if (!nw)
			return cf_error_set(CF_ENOMEM, "out of memory adding a watch");
		rt->watches = nw;
		/* Each binding has its own allocation: handlers keep a pointer to it. */
		if (!(rt->watches[rt->nwatches] = malloc(sizeof(rt_watch))))
			return cf_error_set(CF_ENOMEM, "out of memory adding a watch");
		*rt->watches[rt->nwatches] = (rt_watch){c, w};
		rt_watch *binding = rt->watches[rt->nwatches++];
		if ((err = rt_informer_get(&ri, rt, w->api_version, w->kind, w->label_selector, NULL)) < 0 ||
		    (err = cf_informer_add_handler(ri->inf, on_secondary, binding)) < 0)
			return err;
	}
	return 0;
}

int rt_controller_init(cf_runtime *rt, rt_controller *c, const cf_kind *kind)
{
	cf_queue_opts qo = {.base_delay_ms = rt->cfg.min_retry_delay_ms,
			    .max_delay_ms = rt->cfg.max_retry_delay_ms, .metrics = rt->metrics};
	int err;

	c->rt = rt;
	c->kind = kind;
	size_t i = 0;
	for (; kind->kind[i] && i + 1 < sizeof(c->name); i++)
		c->name[i] = (char)tolower((unsigned char)kind->kind[i]);
	c->name[i] = '\0';
	snprintf(c->api_version, sizeof(c->api_version), "%s/%s", kind->group, kind->versions[0]);
	qo.name = c->name;
	if ((err = cf_queue_new(&c->queue, &qo)) < 0)
		return err;
	if ((err = rt_informer_get(&c->primary, rt, c->api_version, kind->kind,
				   rt->cfg.watch_label_selector, kind->indexes)) < 0 ||
	    (err = cf_informer_add_handler(c->primary->inf, on_primary, c)) < 0)
		return err;
	return add_watches(rt, c);
}

/* ---- workers ---- */

static void new_reconcile_id(char *buf, size_t size)
{
	unsigned char b[16] = {0};

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, size,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* gotk_suspend_status follows spec.suspend of the cached object; gone objects lose the series. */
static void record_suspend(rt_controller *c, const char *ns, const char *name, const char *key)
{
	const char *labels[] = {c->kind->kind, name, ns, NULL};
	json_t *obj = NULL;

	if (cf_cache_get_json(cf_informer_cache(c->primary->inf), &obj, key) < 0) {
		cf_metric_remove(c->rt->m_suspend, labels);
		cf_metric_remove(c->rt->m_duration, labels);
		return;
	}
	int suspended = json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend"));
	cf_metric_set(c->rt->m_suspend, labels, suspended);
	json_decref(obj);
}

/* Maps the result to the queue the way controller-runtime does, and counts it. */
static void apply_result(rt_controller *c, const char *key, cf_result res)
{
	const char *result = "success";

	switch (res.type) {
	case CF_RESULT_ERROR:
		cf_queue_add_rate_limited(c->queue, key);
		cf_metric_add(c->rt->m_errors, (const char *[]){c->name, NULL}, 1);
		result = "error";
		break;
	case CF_RESULT_REQUEUE:
		if (res.after_ms > 0) {
			cf_queue_forget(c->queue, key);
			cf_queue_add_after(c->queue, key, res.after_ms);
			result = "requeue_after";
		} else {
			cf_queue_add_rate_limited(c->queue, key);
			result = "requeue";
		}
		break;
	case CF_RESULT_DONE:
		cf_queue_forget(c->queue, key);
		break;
	}
	cf_metric_add(c->rt->m_total, (const char *[]){c->name, result, NULL}, 1);
}

static void reconcile_one(rt_controller *c, const char *key)
{
	char ns[256] = "", id[40];
	const char *name = key, *slash = strchr(key, '/');
	struct timespec t0;

	if (slash && (size_t)(slash - key) < sizeof(ns)) {
		memcpy(ns, key, (size_t)(slash - key));
		ns[slash - key] = '\0';
		name = slash + 1;
	}
	new_reconcile_id(id, sizeof(id));
	cf_log_ctx log = {.controller = c->name, .group = c->kind->group, .kind = c->kind->kind,
			  .name = name, .namespace_ = ns, .reconcile_id = id};
	cf_request req = {.rt = c->rt, .kind = c->kind, .namespace_ = ns, .name = name, .key = key,
			  .log = &log, .service_ctx = c->rt->svc_ctx};
	cf_metric_add(c->rt->m_active, (const char *[]){c->name, NULL}, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cf_result res = c->kind->reconcile(&req);
	cf_metric_observe(c->rt->m_duration, (const char *[]){c->kind->kind, name, ns, NULL},
			  seconds_since(&t0));
	cf_metric_add(c->rt->m_active, (const char *[]){c->name, NULL}, -1);
	apply_result(c, key, res);
	record_suspend(c, ns, name, key);
}

static void *worker(void *arg)
{
	rt_controller *c = arg;
	char *key;

	while (cf_queue_get(c->queue, &key, -1) == 0) {
		reconcile_one(c, key);
		cf_queue_done(c->queue, key);
		free(key);
	}
	return NULL;
}

int rt_controller_start(rt_controller *c, int concurrent)
{
	if (concurrent < 1)
		concurrent = 1;
	if (!(c->workers = calloc((size_t)concurrent, sizeof(*c->workers))))
		return cf_error_set(CF_ENOMEM, "out of memory starting workers");
	cf_metric_set(c->rt->m_max, (const char *[]){c->name, NULL}, concurrent);
	cf_metric_set(c->rt->m_active, (const char *[]){c->name, NULL}, 0);
	for (; c->nworkers < concurrent; c->nworkers++)
		if (pthread_create(&c->workers[c->nworkers], NULL, worker, c) != 0)
			return cf_error_set(CF_ERROR, "cannot start a %s worker", c->name);
	cf_log_info(&(cf_log_ctx){.controller = c->name, .group = c->kind->group,
				  .kind = c->kind->kind},
		    "Starting workers (worker count %d)", concurrent);
	return 0;
}

int rt_controller_stop(rt_controller *c, int64_t timeout_ms)
{
	int err;

	if (!c->queue)
		return 0;
	cf_queue_shut_down(c->queue);
	if ((err = cf_queue_drain(c->queue, timeout_ms)) < 0)
		return err;
	for (int i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	c->nworkers = 0;
	return 0;
}

void rt_controller_free(rt_controller *c)
{
	cf_queue_free(c->queue);
	free(c->workers);
}
