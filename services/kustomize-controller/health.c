/*
 * Health checks with kstatus' rules: per-kind readiness for workloads, Jobs, PVCs, CRDs and
 * Namespaces, Ready/Reconciling/Stalled conditions for everything else (Flux's kinds included).
 */
#include "kc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"

#define CURRENT 0
#define IN_PROGRESS 1
#define FAILED 2
#define POLL_US 1000000

static json_int_t num(const json_t *obj, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(obj, a), b));
}

/* The condition's status ("True"...) and reason, or NULL. */
static const char *cond(const json_t *obj, const char *type, const char **reason)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c)
		if (cf_object_str(c, "type") && strcmp(cf_object_str(c, "type"), type) == 0) {
			if (reason)
				*reason = cf_object_str(c, "reason");
			return cf_object_str(c, "status");
		}
	return NULL;
}

static int is_true(const char *s)
{
	return s && strcmp(s, "True") == 0;
}

static int say(char *why, size_t size, int status, const char *fmt, const char *detail)
{
	snprintf(why, size, fmt, detail ? detail : "");
	return status;
}

static json_int_t spec_replicas(const json_t *obj)
{
	json_t *r = json_object_get(json_object_get(obj, "spec"), "replicas");
	return json_is_integer(r) ? json_integer_value(r) : 1;
}

static int deployment(const json_t *o, char *why, size_t n)
{
	json_int_t want = spec_replicas(o);
	const char *reason = NULL, *progressing = cond(o, "Progressing", &reason);

	if (progressing && strcmp(progressing, "False") == 0 && reason && strcmp(reason, "ProgressDeadlineExceeded") == 0)
		return say(why, n, FAILED, "Progress deadline exceeded%s", NULL);
	if (!is_true(progressing) || !reason || strcmp(reason, "NewReplicaSetAvailable") != 0)
		return say(why, n, IN_PROGRESS, "ReplicaSet not Available%s", NULL);
	if (num(o, "status", "replicas") < want || num(o, "status", "updatedReplicas") < want)
		return say(why, n, IN_PROGRESS, "Replicas not updated%s", NULL);
	if (num(o, "status", "replicas") > num(o, "status", "updatedReplicas"))
		return say(why, n, IN_PROGRESS, "Pending termination%s", NULL);
	if (num(o, "status", "availableReplicas") < num(o, "status", "updatedReplicas") ||
	    num(o, "status", "readyReplicas") < want)
		return say(why, n, IN_PROGRESS, "Replicas not ready%s", NULL);
	if (!is_true(cond(o, "Available", NULL)))
		return say(why, n, IN_PROGRESS, "Deployment not Available%s", NULL);
	return CURRENT;
}

static int statefulset(const json_t *o, char *why, size_t n)
{
	json_int_t want = spec_replicas(o);
	const char *strategy = cf_object_str(o, "spec.updateStrategy.type");

	if (strategy && strcmp(strategy, "OnDelete") == 0)
		return CURRENT;
	if (num(o, "status", "replicas") < want || num(o, "status", "readyReplicas") < want ||
	    num(o, "status", "currentReplicas") < want)
		return say(why, n, IN_PROGRESS, "Replicas not ready%s", NULL);
	const char *cur = cf_object_str(o, "status.currentRevision"), *upd = cf_object_str(o, "status.updateRevision");
	if (!cur || !upd || strcmp(cur, upd) != 0)
		return say(why, n, IN_PROGRESS, "Rolling update in progress%s", NULL);
	return CURRENT;
}

static int daemonset(const json_t *o, char *why, size_t n)
{
	json_int_t want = num(o, "status", "desiredNumberScheduled");

	if (!json_object_get(json_object_get(o, "status"), "desiredNumberScheduled") ||
	    num(o, "status", "currentNumberScheduled") < want || num(o, "status", "updatedNumberScheduled") < want ||
	    num(o, "status", "numberAvailable") < want || num(o, "status", "numberReady") < want)
		return say(why, n, IN_PROGRESS, "Pods not ready%s", NULL);
	return CURRENT;
}

static int job(const json_t *o, char *why, size_t n)
{
	if (is_true(cond(o, "Failed", NULL)))
		return say(why, n, FAILED, "Job Failed%s", NULL);
	if (is_true(cond(o, "Complete", NULL)))
		return CURRENT;
	return say(why, n, IN_PROGRESS, "Job in progress%s", NULL);
}

static int pvc(const json_t *o, char *why, size_t n)
{
	const char *phase = cf_object_str(o, "status.phase");
	return phase && strcmp(phase, "Bound") == 0 ? CURRENT : say(why, n, IN_PROGRESS, "PVC is not Bound%s", NULL);
}

static int crd(const json_t *o, char *why, size_t n)
{
	const char *names = cond(o, "NamesAccepted", NULL);

	if (names && strcmp(names, "False") == 0)
		return say(why, n, FAILED, "CRD names not accepted%s", NULL);
	return is_true(cond(o, "Established", NULL)) ? CURRENT : say(why, n, IN_PROGRESS, "CRD is not Established%s", NULL);
}

static int namespace_(const json_t *o, char *why, size_t n)
{
	const char *phase = cf_object_str(o, "status.phase");
	return !phase || strcmp(phase, "Active") == 0 ? CURRENT : say(why, n, IN_PROGRESS, "Namespace is %s", phase);
}

static int pod(const json_t *o, char *why, size_t n)
{
	const char *phase = cf_object_str(o, "status.phase");

	if (phase && strcmp(phase, "Succeeded") == 0)
		return CURRENT;
	if (phase && strcmp(phase, "Failed") == 0)
		return say(why, n, FAILED, "Pod has failed%s", NULL);
	return is_true(cond(o, "Ready", NULL)) ? CURRENT : say(why, n, IN_PROGRESS, "Pod is not Ready%s", NULL);
}

/* Any other kind: the conditions Flux's and most controllers' kinds carry. */
static int generic(const json_t *o, char *why, size_t n)
{
	const char *ready, *msg_reason = NULL;

	if (is_true(cond(o, "Stalled", &msg_reason)))
		return say(why, n, FAILED, "Stalled: %s", msg_reason);
	if (is_true(cond(o, "Reconciling", &msg_reason)))
		return say(why, n, IN_PROGRESS, "Reconciling: %s", msg_reason);
	ready = cond(o, "Ready", &msg_reason);
	if (ready && strcmp(ready, "True") != 0)
		return say(why, n, IN_PROGRESS, "Ready condition is not True: %s", msg_reason);
	return CURRENT;
}

typedef struct {
	const char *group;
	const char *kind;
	int (*status)(const json_t *obj, char *why, size_t n);
} kind_rule;

static const kind_rule rules[] = {
	{"apps", "Deployment", deployment},
	{"apps", "StatefulSet", statefulset},
	{"apps", "DaemonSet", daemonset},
	{"batch", "Job", job},
	{"", "PersistentVolumeClaim", pvc},
	{"apiextensions.k8s.io", "CustomResourceDefinition", crd},
	{"", "Namespace", namespace_},
	{"", "Pod", pod},
	{NULL, NULL, NULL},
};

int kc_health_status(const json_t *obj, char *why, size_t why_size)
{
	const char *av = cf_object_str(obj, "apiVersion"), *kind = cf_object_str(obj, "kind");
	const char *slash = av ? strchr(av, '/') : NULL;
	size_t glen = slash ? (size_t)(slash - av) : 0;
	json_t *og = json_object_get(json_object_get(obj, "status"), "observedGeneration");

	why[0] = '\0';
	if (!kind)
		return say(why, why_size, IN_PROGRESS, "unknown kind%s", NULL);
	/* Status about an older generation says nothing about this one. */
	if (json_is_integer(og) && json_integer_value(og) != num(obj, "metadata", "generation"))
		return say(why, why_size, IN_PROGRESS, "status.observedGeneration is behind%s", NULL);
	for (const kind_rule *r = rules; r->kind; r++)
		if (strcmp(r->kind, kind) == 0 && strlen(r->group) == glen && strncmp(r->group, av, glen) == 0)
			return r->status(obj, why, why_size);
	return generic(obj, why, why_size);
}

int kc_health_wait(cf_kube *kube, const json_t *refs, int64_t timeout_ms)
{
	char pending[2048];
	long long waited = 0;

	for (;;) {
		size_t i;
		json_t *ref;
		int failed = 0;
		pending[0] = '\0';
		json_array_foreach(refs, i, ref) {
			json_t *live = NULL;
			char why[256] = "not found";
			int st = IN_PROGRESS;
			const char *ns = cf_object_str(ref, "namespace");
			if (cf_object_get(&live, kube, cf_object_str(ref, "apiVersion"), cf_object_str(ref, "kind"), ns,
					  cf_object_str(ref, "name")) == 0)
				st = kc_health_status(live, why, sizeof(why));
			json_decref(live);
			if (st == CURRENT)
				continue;
			failed |= st == FAILED;
			size_t len = strlen(pending);
			snprintf(pending + len, sizeof(pending) - len, "%s%s/%s%s%s status: '%s' (%s)",
				 len ? ", " : "", cf_object_str(ref, "kind"), ns && *ns ? ns : "", ns && *ns ? "/" : "",
				 cf_object_str(ref, "name"), st == FAILED ? "Failed" : "InProgress", why);
		}
		if (!pending[0])
			return 0;
		if (failed)
			return cf_error_set(CF_ERROR, "failed: [%s]", pending);
		if (waited >= timeout_ms)
			return cf_error_set(CF_ETIMEOUT, "timeout waiting for: [%s]", pending);
		usleep(POLL_US);
		waited += POLL_US / 1000;
	}
}
