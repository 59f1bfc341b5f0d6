/*
 * Server-side apply of a rendered release as helm-controller's field manager: objects go in Helm's
 * install order (the renderer sorted them, crds/ first), and CRDs must be Established before the
 * objects that may use them. Then the wait, as Flux's, until kstatus says every object is Current.
 */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kstatus.h"
#include "cf/log.h"

#define WAIT_POLL_US 300000

static int is_crd(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion");

	return strcmp(cf_object_str(obj, "kind"), "CustomResourceDefinition") == 0 && av &&
	       strncmp(av, "apiextensions.k8s.io/", 21) == 0;
}

static int established(cf_kube *kube, const char *name)
{
	json_t *crd = NULL;
	int ok;

	if (cf_object_get(&crd, kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, name) < 0)
		return 0;
	ok = cf_cond_has_status(crd, "Established", "True");
	json_decref(crd);
	return ok;
}

static int wait_crds(cf_kube *kube, const json_t *objects, size_t upto, int64_t timeout_ms)
{
	int64_t waited = 0;

	for (size_t i = 0; i < upto; i++) {
		const json_t *obj = json_array_get(objects, i);
		const char *name = cf_object_str(obj, "metadata.name");
		if (!is_crd(obj))
			continue;
		while (!established(kube, name)) {
			if (waited >= timeout_ms)
				return cf_error_set(CF_ETIMEOUT, "CustomResourceDefinition/%s is not established", name);
			usleep(WAIT_POLL_US);
			waited += WAIT_POLL_US / 1000;
		}
	}
	cf_kube_discovery_reset(kube);
	return 0;
}

static int apply_one(cf_kube *kube, const json_t *obj)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER, .force = 1};
	char *body = json_dumps(obj, JSON_COMPACT);
	int err;

	if (!body)
		return CF_ENOMEM;
	err = cf_kube_patch(kube, NULL, NULL, CF_KUBE_PATCH_APPLY, body, &wo);
	free(body);
	if (err < 0) {
		const char *ns = cf_object_str(obj, "metadata.namespace");
		return cf_error_wrap(err, "%s/%s%s%s apply failed: ", cf_object_str(obj, "kind"), ns ? ns : "", ns ? "/" : "",
				     cf_object_str(obj, "metadata.name"));
	}
	return 0;
}

int hc_apply(cf_kube *kube, const json_t *objects, int64_t timeout_ms)
{
	size_t i, crds = 0;
	int err;

	for (i = 0; i < json_array_size(objects); i++) {
		const json_t *obj = json_array_get(objects, i);
		if (crds && crds == i && (err = wait_crds(kube, objects, i, timeout_ms)) < 0)
			return err;
		if ((err = apply_one(kube, obj)) < 0)
			return err;
		if (is_crd(obj) && crds == i)
			crds = i + 1;
	}
	/* CRDs applied on their own (before rendering) are established before the render that uses them. */
	return crds && crds == json_array_size(objects) ? wait_crds(kube, objects, crds, timeout_ms) : 0;
}

/* One object of the release being waited for. */
typedef struct {
	const json_t *want;  /* the applied object (borrowed) */
	int job;             /* a batch Job */
	int ttl;             /* a Job with ttlSecondsAfterFinished: gone means done */
	cf_kstatus status;   /* last seen; CF_KSTATUS_UNKNOWN before the first read */
	char msg[256];       /* kstatus's message, or the read error */
	int read_failed;     /* msg is an API error, reported after the status as Flux does */
} waited;

/* obj's apiVersion starts with av_prefix and its kind is kind. */
static int is_kind(const json_t *obj, const char *av_prefix, const char *kind)
{
	const char *av = cf_object_str(obj, "apiVersion"), *k = cf_object_str(obj, "kind");

	return av && k && strncmp(av, av_prefix, strlen(av_prefix)) == 0 && strcmp(k, kind) == 0;
}

/* Flux (as Helm) does not wait for a paused apps/v1 Deployment: it will not roll out. */
static int skipped(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion");

	return av && strcmp(av, "apps/v1") == 0 && is_kind(obj, "apps/v1", "Deployment") &&
	       json_is_true(json_object_get(json_object_get(obj, "spec"), "paused"));
}

/* Reads one object and records its kstatus; wait_jobs picks Flux's Job reader for Jobs. */
static void poll_one(cf_kube *kube, waited *w, int wait_jobs)
{
	json_t *live = NULL;
	int err = cf_object_get(&live, kube, cf_object_str(w->want, "apiVersion"), cf_object_str(w->want, "kind"),
				cf_object_str(w->want, "metadata.namespace"), cf_object_str(w->want, "metadata.name"));

	w->read_failed = 0;
	if (err == CF_ENOTFOUND) {
		w->status = w->ttl ? CF_KSTATUS_CURRENT : CF_KSTATUS_NOT_FOUND;
		snprintf(w->msg, sizeof(w->msg), "Resource not found");
	} else if (err < 0) {
		w->status = CF_KSTATUS_UNKNOWN;
		w->read_failed = 1;
		snprintf(w->msg, sizeof(w->msg), "%s", cf_error_last());
	} else if (w->job && wait_jobs) {
		w->status = cf_kstatus_job(live, w->msg, sizeof(w->msg));
	} else {
		w->status = cf_kstatus_compute(live, w->msg, sizeof(w->msg));
	}
	json_decref(live);
}

/* Flux's id of an object: "Kind/namespace/name", or "Kind/name" when cluster-scoped. */
static void object_id(char *buf, size_t size, const json_t *obj)
{
	const char *ns = cf_object_str(obj, "metadata.namespace");

	snprintf(buf, size, "%s/%s%s%s", cf_object_str(obj, "kind"), ns && *ns ? ns : "", ns && *ns ? "/" : "",
		 cf_object_str(obj, "metadata.name"));
}

/* Appends "<id> status: 'S'" (": error" after it when the read failed) to buf, and logs why. */
static void describe(char *buf, size_t size, size_t *used, const waited *w)
{
	char id[768];
	int n;

	object_id(id, sizeof(id), w->want);
	cf_log(CF_LOG_INFO, NULL, "%s is %s: %s", id, cf_kstatus_name(w->status), w->msg);
	if (*used >= size)
		return;
	n = snprintf(buf + *used, size - *used, "%s%s status: '%s'%s%s", *used ? ", " : "", id,
		     cf_kstatus_name(w->status), w->read_failed ? ": " : "", w->read_failed ? w->msg : "");
	*used = n < 0 ? size : *used + (size_t)n;
}

/* Flux's error for the objects with status only (any not Current when only_failed is 0). */
static int wait_error(int code, const char *prefix, const waited *ws, size_t n, int only_failed)
{
	char list[4096];
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		const waited *w = &ws[i];
		if (w->status == CF_KSTATUS_CURRENT || (only_failed && w->status != CF_KSTATUS_FAILED))
			continue;
		describe(list, sizeof(list), &used, w);
	}
	if (used == 0)
		list[0] = '\0';
	return cf_error_set(code, "%s: [%s]", prefix, list);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The release's objects to wait for, in order; *n gets how many. */
static waited *wait_list(const json_t *objects, size_t *n)
{
	waited *ws = calloc(json_array_size(objects) + 1, sizeof(*ws));
	const json_t *obj;
	size_t i;

	*n = 0;
	if (!ws)
		return NULL;
	json_array_foreach (objects, i, obj) {
		if (!cf_object_str(obj, "apiVersion") || !cf_object_str(obj, "kind") || !cf_object_str(obj, "metadata.name") ||
		    skipped(obj))
			continue;
		ws[*n].want = obj;
		ws[*n].status = CF_KSTATUS_UNKNOWN;
		ws[*n].job = is_kind(obj, "batch/", "Job");
		ws[*n].ttl = ws[*n].job &&
			     json_is_integer(json_object_get(json_object_get(obj, "spec"), "ttlSecondsAfterFinished"));
		(*n)++;
	}
	return ws;
}

/* Polls the objects not Current yet; 1 when all are Current, -1 when one is Failed, else 0. */
static int poll_round(cf_kube *kube, waited *ws, size_t n, int wait_jobs)
{
	int all = 1, failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (ws[i].status == CF_KSTATUS_CURRENT)
			continue;
		poll_one(kube, &ws[i], wait_jobs);
		all &= ws[i].status == CF_KSTATUS_CURRENT;
		failed |= ws[i].status == CF_KSTATUS_FAILED;
	}
	return failed ? -1 : all;
}

int hc_wait(cf_kube *kube, const json_t *objects, int64_t timeout_ms, int wait_jobs)
{
	int64_t deadline = mono_ms() + timeout_ms;
	size_t n;
	waited *ws = wait_list(objects, &n);
	int err = 0, r;

	if (!ws)
		return CF_ENOMEM;
	while ((r = poll_round(kube, ws, n, wait_jobs)) == 0) {
		if (mono_ms() >= deadline) {
			err = wait_error(CF_ETIMEOUT, "timeout waiting for", ws, n, 0);
			goto done;
		}
		usleep(WAIT_POLL_US);
	}
	if (r < 0)
		err = wait_error(CF_ERROR, "failed early due to stalled resources", ws, n, 1);
done:
	free(ws);
	return err;
}

int hc_crds_policy(cf_kube *kube, json_t *objects, size_t *n_crds, const char *policy)
{
	int skip = strcmp(policy, "Skip") == 0, create = strcmp(policy, "Create") == 0;

	if (!skip && !create && strcmp(policy, "CreateReplace") != 0)
		return cf_error_set(CF_EINVALID, "invalid CRD policy '%s'", policy);
	for (size_t i = *n_crds; i-- > 0;) {
		json_t *obj = json_array_get(objects, i), *live = NULL;
		int drop = skip;
		if (!obj)
			continue;
		if (create && cf_object_get(&live, kube, cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"), NULL,
					    cf_object_str(obj, "metadata.name")) == 0)
			drop = 1;
		json_decref(live);
		if (drop) {
			json_array_remove(objects, i);
			(*n_crds)--;
		} else
			hc_caps_invalidate(); /* the CRD is about to be applied: the next render sees it */
	}
	return 0;
}
