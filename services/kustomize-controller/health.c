/*
 * Health checks as Flux's kustomize-controller runs them (fluxcd/pkg/ssa WaitForSet, fail-fast):
 * every object's kstatus from the common module, with Flux's Job reader for batch Jobs.
 */
#include "kc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kstatus.h"
#include "cf/log.h"

#define POLL_US 1000000

/* One object named by a health check. */
typedef struct {
	const json_t *ref;     /* {apiVersion, kind, name, namespace} (borrowed) */
	cf_kstatus status;     /* last seen */
	char msg[256];         /* kstatus's message, or the read error */
	int has_error;         /* msg is an error (read or decode), reported after the status as Flux does */
} checked;

/*
 * kustomize-controller puts Flux's Job reader in front of kstatus's readers, so a Job is healthy
 * only once it completed. The reader claims the group "batch" and kind Job, whatever the version.
 */
static int is_job(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion"), *kind = cf_object_str(obj, "kind");

	return av && kind && strncmp(av, "batch/", 6) == 0 && !strchr(av + 6, '/') && strcmp(kind, "Job") == 0;
}

int kc_health_status(const json_t *obj, char *why, size_t why_size)
{
	return is_job(obj) ? cf_kstatus_job(obj, why, why_size) : cf_kstatus_compute(obj, why, why_size);
}

/* Reads one object and records its status: NotFound when it is gone, Unknown when the read failed. */
static void check_one(cf_kube *kube, checked *c)
{
	const char *av = cf_object_str(c->ref, "apiVersion"), *kind = cf_object_str(c->ref, "kind");
	const char *name = cf_object_str(c->ref, "name");
	json_t *live = NULL;
	int err;

	c->has_error = 0;
	if (!kind || !name) {
		c->status = CF_KSTATUS_UNKNOWN;
		c->has_error = 1;
		snprintf(c->msg, sizeof(c->msg), "health check without kind or name");
		return;
	}
	/* No apiVersion is the core group, whose only version is v1. */
	err = cf_object_get(&live, kube, av ? av : "v1", kind, cf_object_str(c->ref, "namespace"), name);
	if (err == CF_ENOTFOUND) {
		c->status = CF_KSTATUS_NOT_FOUND;
		snprintf(c->msg, sizeof(c->msg), "Resource not found");
	} else if (err < 0) {
		c->status = CF_KSTATUS_UNKNOWN;
		c->has_error = 1;
		snprintf(c->msg, sizeof(c->msg), "%s", cf_error_last());
	} else {
		/* Unknown is what kstatus could not decode: the poller attaches that error too. */
		c->status = kc_health_status(live, c->msg, sizeof(c->msg));
		c->has_error = c->status == CF_KSTATUS_UNKNOWN;
	}
	json_decref(live);
}

/* Appends Flux's "Kind/namespace/name status: 'S'" (": error" after a failed read) to buf. */
static void describe(char *buf, size_t size, size_t *used, const checked *c)
{
	const char *ns = cf_object_str(c->ref, "namespace"), *kind = cf_object_str(c->ref, "kind");
	const char *name = cf_object_str(c->ref, "name");
	int n;

	cf_log(CF_LOG_DEBUG, NULL, "health check: %s/%s%s%s is %s: %s", kind ? kind : "", ns && *ns ? ns : "",
	       ns && *ns ? "/" : "", name ? name : "", cf_kstatus_name(c->status), c->msg);
	if (*used >= size)
		return;
	n = snprintf(buf + *used, size - *used, "%s%s/%s%s%s status: '%s'%s%s", *used ? ", " : "", kind ? kind : "",
		     ns && *ns ? ns : "", ns && *ns ? "/" : "", name ? name : "", cf_kstatus_name(c->status),
		     c->has_error ? ": " : "", c->has_error ? c->msg : "");
	*used = n < 0 ? size : *used + (size_t)n;
}

/* Flux's error naming the Failed objects (only_failed) or every object not Current. */
static int wait_error(int code, const char *prefix, const checked *cs, size_t n, int only_failed)
{
	char list[4096];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (cs[i].status == CF_KSTATUS_CURRENT || (only_failed && cs[i].status != CF_KSTATUS_FAILED))
			continue;
		describe(list, sizeof(list), &used, &cs[i]);
	}
	return cf_error_set(code, "%s: [%s]", prefix, list);
}

/* Reads every object, as kstatus's poller does each interval; 1 when all are Current, -1 when one Failed. */
static int check_round(cf_kube *kube, checked *cs, size_t n)
{
	int all = 1, failed = 0;

	for (size_t i = 0; i < n; i++) {
		check_one(kube, &cs[i]);
		all &= cs[i].status == CF_KSTATUS_CURRENT;
		failed |= cs[i].status == CF_KSTATUS_FAILED;
	}
	return failed ? -1 : all;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kc_health_wait(cf_kube *kube, const json_t *refs, int64_t timeout_ms)
{
	size_t n = json_array_size(refs), i;
	checked *cs = calloc(n + 1, sizeof(*cs));
	int64_t deadline = mono_ms() + timeout_ms, left;
	const json_t *ref;
	int err, r;

	if (!cs)
		return cf_error_set(CF_ENOMEM, "out of memory");
	json_array_foreach (refs, i, ref)
		cs[i].ref = ref;
	while ((r = check_round(kube, cs, n)) == 0 && (left = deadline - mono_ms()) > 0)
		usleep(left * 1000 < POLL_US ? (useconds_t)(left * 1000) : POLL_US);
	if (r == 1)
		err = 0;
	else if (r < 0)
		err = wait_error(CF_ERROR, "failed early due to stalled resources", cs, n, 1);
	else
		err = wait_error(CF_ETIMEOUT, "timeout waiting for", cs, n, 0);
	free(cs);
	return err;
}
