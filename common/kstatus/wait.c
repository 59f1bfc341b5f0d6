/* The kstatus wait both controllers run: poll a set of objects until all are Current, fail fast on a Failed one. */
#include "cf/kstatus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/error.h"
#include "cf/object.h"

#define DEFAULT_POLL_MS 1000
#define MAX_TIMEOUT_MS ((int64_t)100 * 365 * 24 * 3600 * 1000)

/* One object being waited for. */
typedef struct {
	const json_t *want; /* the given object (borrowed) */
	int job;            /* a batch Job */
	int ttl;            /* a Job with ttlSecondsAfterFinished: gone means finished */
	cf_kstatus status;  /* last seen; CF_KSTATUS_UNKNOWN before the first read */
	char msg[256];      /* kstatus's message, or the read error */
	int has_error;      /* msg is an error (read or decode), reported after the status as Flux does */
} waited;

/* Flux's Job reader claims the group "batch" and kind Job, whatever the version. */
static int is_job(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion"), *kind = cf_object_str(obj, "kind");

	return av && kind && strncmp(av, "batch/", 6) == 0 && !strchr(av + 6, '/') && strcmp(kind, "Job") == 0;
}

cf_kstatus cf_kstatus_read(const json_t *live, cf_kstatus_jobs jobs, char *msg, size_t size)
{
	return jobs == CF_KSTATUS_JOBS_COMPLETE && is_job(live) ? cf_kstatus_job(live, msg, size) :
								   cf_kstatus_compute(live, msg, size);
}

static void set_error(waited *w, const char *msg)
{
	w->status = CF_KSTATUS_UNKNOWN;
	w->has_error = 1;
	snprintf(w->msg, sizeof(w->msg), "%s", msg);
}

/* Reads one object and records its status: NotFound when gone, Unknown with the error when unreadable. */
static void poll_one(cf_kube *kube, waited *w, cf_kstatus_jobs jobs)
{
	const char *av = cf_object_str(w->want, "apiVersion"), *kind = cf_object_str(w->want, "kind");
	const char *name = cf_object_str(w->want, "metadata.name");
	cf_kube_resource res;
	json_t *live = NULL;
	int err;

	w->has_error = 0;
	if (!kind || !*kind || !name || !*name) {
		set_error(w, "object without kind or name");
		return;
	}
	/* No apiVersion is the core group, whose only version is v1. */
	av = av ? av : "v1";
	/* A kind the API server does not serve is kstatus's mapping error: Unknown, not NotFound. */
	if (cf_kube_resolve(kube, &res, av, kind) < 0) {
		set_error(w, cf_error_last());
		return;
	}
	err = cf_object_get(&live, kube, av, kind, cf_object_str(w->want, "metadata.namespace"), name);
	if (err == CF_ENOTFOUND) {
		w->status = w->ttl ? CF_KSTATUS_CURRENT : CF_KSTATUS_NOT_FOUND;
		snprintf(w->msg, sizeof(w->msg), "Resource not found");
	} else if (err < 0) {
		set_error(w, cf_error_last());
	} else {
		/* Unknown is what kstatus could not decode: the poller attaches that error too. */
		w->status = cf_kstatus_read(live, jobs, w->msg, sizeof(w->msg));
		w->has_error = w->status == CF_KSTATUS_UNKNOWN;
	}
	json_decref(live);
}

/* Flux's id of an object: "Kind/namespace/name", or "Kind/name" when cluster-scoped. */
static void object_id(char *buf, size_t size, const json_t *obj)
{
	const char *ns = cf_object_str(obj, "metadata.namespace"), *kind = cf_object_str(obj, "kind");
	const char *name = cf_object_str(obj, "metadata.name");

	snprintf(buf, size, "%s/%s%s%s", kind ? kind : "", ns && *ns ? ns : "", ns && *ns ? "/" : "", name ? name : "");
}

/* Appends "<id> status: 'S'" (": error" after it when there is one) to buf, and hands the message to the log. */
static void describe(char *buf, size_t size, size_t *used, const waited *w, const cf_kstatus_wait_opts *o)
{
	char id[768];
	int n;

	object_id(id, sizeof(id), w->want);
	if (o->log)
		o->log(o->log_ctx, id, w->status, w->msg);
	if (*used >= size)
		return;
	n = snprintf(buf + *used, size - *used, "%s%s status: '%s'%s%s", *used ? ", " : "", id,
		     cf_kstatus_name(w->status), w->has_error ? ": " : "", w->has_error ? w->msg : "");
	*used = n < 0 ? size : *used + (size_t)n;
}

/* Flux's error naming the Failed objects (only_failed) or every object not Current. */
static int wait_error(int code, const char *prefix, const waited *ws, size_t n, int only_failed,
		      const cf_kstatus_wait_opts *o)
{
	char list[4096];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (ws[i].status == CF_KSTATUS_CURRENT || (only_failed && ws[i].status != CF_KSTATUS_FAILED))
			continue;
		describe(list, sizeof(list), &used, &ws[i], o);
	}
	return cf_error_set(code, "%s: [%s]", prefix, list);
}

/* One poll of the objects; 1 when all are Current, -1 when one is Failed, else 0. */
static int poll_round(cf_kube *kube, waited *ws, size_t n, const cf_kstatus_wait_opts *o)
{
	int all = 1, failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (!(o->keep_current && ws[i].status == CF_KSTATUS_CURRENT))
			poll_one(kube, &ws[i], o->jobs);
		all &= ws[i].status == CF_KSTATUS_CURRENT;
		failed |= ws[i].status == CF_KSTATUS_FAILED;
	}
	return failed ? -1 : all;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* The objects to wait for, in order (calloc'd, freed by the caller). */
static waited *wait_list(const json_t *objects, size_t n)
{
	waited *ws = calloc(n + 1, sizeof(*ws));
	const json_t *obj;
	size_t i;

	if (!ws)
		return NULL;
	json_array_foreach (objects, i, obj) {
		ws[i].want = obj;
		ws[i].status = CF_KSTATUS_UNKNOWN;
		ws[i].job = is_job(obj);
		ws[i].ttl = ws[i].job && json_is_integer(json_object_get(json_object_get(obj, "spec"),
									 "ttlSecondsAfterFinished"));
	}
	return ws;
}

int cf_kstatus_wait(cf_kube *kube, const json_t *objects, const cf_kstatus_wait_opts *o)
{
	size_t n = json_array_size(objects);
	int64_t poll_ms, deadline, left;
	waited *ws;
	int err = 0, r;

	if (!o || !json_is_array(objects))
		return cf_error_set(CF_EINVALID, "kstatus wait: objects must be an array, options are required");
	poll_ms = o->poll_ms > 0 ? o->poll_ms : DEFAULT_POLL_MS;
	/* Capped so that the deadline cannot overflow: a century is as good as forever. */
	deadline = mono_ms() + (o->timeout_ms <= 0 ? 0 : o->timeout_ms < MAX_TIMEOUT_MS ? o->timeout_ms : MAX_TIMEOUT_MS);
	if (!(ws = wait_list(objects, n)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	while ((r = poll_round(kube, ws, n, o)) == 0 && (left = deadline - mono_ms()) > 0)
		sleep_ms(left < poll_ms ? left : poll_ms);
	if (r < 0)
		err = wait_error(CF_ERROR, "failed early due to stalled resources", ws, n, 1, o);
	else if (r == 0)
		err = wait_error(CF_ETIMEOUT, "timeout waiting for", ws, n, 0, o);
	free(ws);
	return err;
}
