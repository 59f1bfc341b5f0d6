/*
 * kstatus for one live object, as Flux computes it when it waits for applied objects: the generic
 * rules (deletion, observed generation, Reconciling/Stalled conditions), a rule per built-in kind,
 * then the Ready condition; and Flux's own Job reader. Follows the kstatus Flux builds with
 * (fluxcd/cli-utils, the same rules as sigs.k8s.io/cli-utils v0.37).
 */
#include "cf/kstatus.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* How long a Pod may stay unschedulable before kstatus calls it Failed. */
#define SCHEDULE_WINDOW_S 15

static const char *const names[] = {
	[CF_KSTATUS_CURRENT] = "Current",         [CF_KSTATUS_IN_PROGRESS] = "InProgress",
	[CF_KSTATUS_FAILED] = "Failed",           [CF_KSTATUS_TERMINATING] = "Terminating",
	[CF_KSTATUS_NOT_FOUND] = "NotFound",      [CF_KSTATUS_UNKNOWN] = "Unknown",
};

const char *cf_kstatus_name(cf_kstatus s)
{
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "Unknown";
}

__attribute__((format(printf, 4, 5))) static cf_kstatus said(cf_kstatus s, char *msg, size_t size, const char *fmt,
							      ...)
{
	va_list ap;

	if (size) {
		va_start(ap, fmt);
		vsnprintf(msg, size, fmt, ap);
		va_end(ap);
	}
	return s;
}

/* The node at a dotted path, or NULL when a step is missing or not an object. */
static const json_t *at(const json_t *obj, const char *path)
{
	char key[64];

	while (obj && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key) || !json_is_object(obj))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		path += n + (path[n] == '.');
	}
	return obj;
}

/* kstatus reads numbers only when they are integers; anything else is the default. */
static long long int_at(const json_t *obj, const char *path, long long dflt)
{
	const json_t *v = at(obj, path);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

/* a - b wrapping around as Go's int does, where C's signed overflow would be undefined. */
static long long minus(long long a, long long b)
{
	return (long long)((unsigned long long)a - (unsigned long long)b);
}

static const char *str_at(const json_t *obj, const char *path, const char *dflt)
{
	const json_t *v = at(obj, path);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

static const char *kind_of(const json_t *obj)
{
	return str_at(obj, "kind", "");
}

/* One entry of status.conditions with its string fields ("" when absent). */
typedef struct {
	const char *type, *status, *reason, *message;
} cond;

static int cond_field(const char **out, const json_t *c, const char *key)
{
	const json_t *v = json_object_get(c, key);

	if (v && !json_is_null(v) && !json_is_string(v))
		return -1;
	*out = json_is_string(v) ? json_string_value(v) : "";
	return 0;
}

/*
 * The i-th condition; 0 past the end, -1 when the conditions do not have the shape of Kubernetes
 * conditions (kstatus fails to decode them and the poller reports Unknown).
 */
static int cond_at(cond *c, const json_t *obj, size_t i)
{
	const json_t *st = json_object_get(obj, "status"), *list, *e;

	if (!st || json_is_null(st))
		return 0;
	if (!json_is_object(st))
		return -1;
	list = json_object_get(st, "conditions");
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return -1;
	if (i >= json_array_size(list))
		return 0;
	e = json_array_get(list, i);
	if (!json_is_object(e) || cond_field(&c->type, e, "type") < 0 || cond_field(&c->status, e, "status") < 0 ||
	    cond_field(&c->reason, e, "reason") < 0 || cond_field(&c->message, e, "message") < 0)
		return -1;
	return 1;
}

/* -1 when any condition is malformed, else 0: kstatus decodes them all before looking. */
static int conds_valid(const json_t *obj)
{
	cond c;
	size_t i = 0;
	int r;

	while ((r = cond_at(&c, obj, i++)) > 0)
		;
	return r;
}

/* 1 when a condition of type has status. */
static int has_cond(const json_t *obj, const char *type, const char *status, cond *found)
{
	cond c;

	for (size_t i = 0; cond_at(&c, obj, i) > 0; i++) {
		if (strcmp(c.type, type) == 0 && strcmp(c.status, status) == 0) {
			if (found)
				*found = c;
			return 1;
		}
	}
	return 0;
}

static cf_kstatus malformed(char *msg, size_t size)
{
	return said(CF_KSTATUS_UNKNOWN, msg, size, "status.conditions is malformed");
}

/* ---- rules per kind ---- */

typedef cf_kstatus (*rule_fn)(const json_t *obj, char *msg, size_t size);

static cf_kstatus always_ready(const json_t *obj, char *msg, size_t size)
{
	(void)obj;
	return said(CF_KSTATUS_CURRENT, msg, size, "Resource is always ready");
}

/* The three checks every replica-based kind makes first, in kstatus's order; -1 when all pass. */
static int replicas_short(cf_kstatus *out, long long spec, long long have, const char *what, char *msg, size_t size)
{
	if (spec <= have)
		return -1;
	*out = said(CF_KSTATUS_IN_PROGRESS, msg, size, "%s: %lld/%lld", what, have, spec);
	return 0;
}

static cf_kstatus statefulset(const json_t *o, char *msg, size_t size)
{
	long long spec = int_at(o, "spec.replicas", 1), ready = int_at(o, "status.readyReplicas", 0);
	long long current = int_at(o, "status.currentReplicas", 0), updated = int_at(o, "status.updatedReplicas", 0);
	long long have = int_at(o, "status.replicas", 0);
	long long partition = int_at(o, "spec.updateStrategy.rollingUpdate.partition", -1);
	cf_kstatus s;

	if (strcmp(str_at(o, "spec.updateStrategy.type", ""), "OnDelete") == 0)
		return said(CF_KSTATUS_CURRENT, msg, size, "StatefulSet is using the ondelete update strategy");
	if (replicas_short(&s, spec, have, "Replicas", msg, size) == 0 ||
	    replicas_short(&s, spec, ready, "Ready", msg, size) == 0)
		return s;
	if (have > spec)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Pending termination: %lld", minus(have, spec));
	if (partition != -1) {
		if (updated < minus(spec, partition))
			return said(CF_KSTATUS_IN_PROGRESS, msg, size, "updated: %lld/%lld", updated, minus(spec, partition));
		return said(CF_KSTATUS_CURRENT, msg, size, "Partition rollout complete. updated: %lld", updated);
	}
	if (replicas_short(&s, spec, current, "current", msg, size) == 0)
		return s;
	if (strcmp(str_at(o, "status.currentRevision", ""), str_at(o, "status.updateRevision", "")) != 0)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Waiting for updated revision to match current");
	return said(CF_KSTATUS_CURRENT, msg, size, "All replicas scheduled as expected. Replicas: %lld", have);
}

/* Progressing/Available as the Deployment controller reports them; Failed once the deadline passed. */
static int deployment_conds(const json_t *o, int *progressing, int *available)
{
	cond c;

	*progressing = int_at(o, "spec.progressDeadlineSeconds", INT_MAX) == INT_MAX;
	*available = 0;
	for (size_t i = 0; cond_at(&c, o, i) > 0; i++) {
		if (strcmp(c.type, "Progressing") == 0) {
			if (strcmp(c.reason, "ProgressDeadlineExceeded") == 0)
				return -1;
			if (strcmp(c.status, "True") == 0 && strcmp(c.reason, "NewReplicaSetAvailable") == 0)
				*progressing = 1;
		} else if (strcmp(c.type, "Available") == 0 && strcmp(c.status, "True") == 0) {
			*available = 1;
		}
	}
	return 0;
}

static cf_kstatus deployment(const json_t *o, char *msg, size_t size)
{
	long long spec = int_at(o, "spec.replicas", 1), have = int_at(o, "status.replicas", 0);
	long long updated = int_at(o, "status.updatedReplicas", 0), ready = int_at(o, "status.readyReplicas", 0);
	long long avail = int_at(o, "status.availableReplicas", 0);
	int progressing, available;
	cf_kstatus s;

	if (deployment_conds(o, &progressing, &available) < 0)
		return said(CF_KSTATUS_FAILED, msg, size, "Progress deadline exceeded");
	if (replicas_short(&s, spec, have, "Replicas", msg, size) == 0 ||
	    replicas_short(&s, spec, updated, "Updated", msg, size) == 0)
		return s;
	if (have > spec)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Pending termination: %lld", minus(have, spec));
	if (replicas_short(&s, updated, avail, "Available", msg, size) == 0 ||
	    replicas_short(&s, spec, ready, "Ready", msg, size) == 0)
		return s;
	if (!progressing)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "ReplicaSet not Available");
	if (!available)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Deployment not Available");
	return said(CF_KSTATUS_CURRENT, msg, size, "Deployment is available. Replicas: %lld", have);
}

static cf_kstatus replicaset(const json_t *o, char *msg, size_t size)
{
	long long spec = int_at(o, "spec.replicas", 1), have = int_at(o, "status.replicas", 0);
	long long ready = int_at(o, "status.readyReplicas", 0), avail = int_at(o, "status.availableReplicas", 0);
	long long labelled = int_at(o, "status.fullyLabeledReplicas", 0);
	cf_kstatus s;

	if (has_cond(o, "ReplicaFailure", "True", NULL))
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Replica Failure condition. Check Pods");
	if (replicas_short(&s, spec, labelled, "Labelled", msg, size) == 0 ||
	    replicas_short(&s, spec, avail, "Available", msg, size) == 0 ||
	    replicas_short(&s, spec, ready, "Ready", msg, size) == 0)
		return s;
	if (have > spec)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Pending termination: %lld", minus(have, spec));
	return said(CF_KSTATUS_CURRENT, msg, size, "ReplicaSet is available. Replicas: %lld", have);
}

static cf_kstatus daemonset(const json_t *o, char *msg, size_t size)
{
	long long desired = int_at(o, "status.desiredNumberScheduled", -1);
	cf_kstatus s;

	/* Unlike the generic check, a DaemonSet the controller has seen always has both fields. */
	if (!json_is_integer(at(o, "metadata.generation")))
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "%s metadata.generation not found", kind_of(o));
	if (!json_is_integer(at(o, "status.observedGeneration")))
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "%s status.observedGeneration not found", kind_of(o));
	if (desired == -1)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Missing .status.desiredNumberScheduled");
	if (replicas_short(&s, desired, int_at(o, "status.currentNumberScheduled", 0), "Current", msg, size) == 0 ||
	    replicas_short(&s, desired, int_at(o, "status.updatedNumberScheduled", 0), "Updated", msg, size) == 0 ||
	    replicas_short(&s, desired, int_at(o, "status.numberAvailable", 0), "Available", msg, size) == 0 ||
	    replicas_short(&s, desired, int_at(o, "status.numberReady", 0), "Ready", msg, size) == 0)
		return s;
	return said(CF_KSTATUS_CURRENT, msg, size, "All replicas scheduled as expected. Replicas: %lld", desired);
}

static cf_kstatus pvc(const json_t *o, char *msg, size_t size)
{
	const char *phase = str_at(o, "status.phase", "unknown");

	if (strcmp(phase, "Bound") != 0)
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "PVC is not Bound. phase: %s", phase);
	return said(CF_KSTATUS_CURRENT, msg, size, "PVC is Bound");
}

/* Names of the containers waiting in CrashLoopBackOff, comma-separated into buf; 0 when none. */
static int crash_looping(const json_t *o, char *buf, size_t size)
{
	const json_t *list = at(o, "status.containerStatuses"), *cs;
	size_t i, used = 0;
	int n = 0;

	buf[0] = '\0';
	json_array_foreach (list, i, cs) {
		const char *name = str_at(cs, "name", NULL), *reason = str_at(cs, "state.waiting.reason", "");
		if (!name || strcmp(reason, "CrashLoopBackOff") != 0)
			continue;
		if (used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", n ? "," : "", name);
		n++;
	}
	return n;
}

/* Seconds since the RFC 3339 creationTimestamp; a large number when absent, as Go's zero time. */
static double age_s(const json_t *o)
{
	const char *ts = str_at(o, "metadata.creationTimestamp", "");
	struct tm tm = {0};
	char zone = 0;

	if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &zone) != 7 || (zone != 'Z' && zone != '.'))
		return 1e18;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return difftime(time(NULL), timegm(&tm));
}

static cf_kstatus pod_running(const json_t *o, char *msg, size_t size)
{
	char names_buf[512];

	if (has_cond(o, "Ready", "True", NULL))
		return said(CF_KSTATUS_CURRENT, msg, size, "Pod is Ready");
	if (crash_looping(o, names_buf, sizeof(names_buf)))
		return said(CF_KSTATUS_FAILED, msg, size, "Containers in CrashLoop state: %s", names_buf);
	return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Pod is running but is not Ready");
}

static cf_kstatus pod_pending(const json_t *o, char *msg, size_t size)
{
	cond c;

	if (has_cond(o, "PodScheduled", "False", &c) && strcmp(c.reason, "Unschedulable") == 0) {
		if (age_s(o) < SCHEDULE_WINDOW_S)
			return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Pod has not been scheduled");
		return said(CF_KSTATUS_FAILED, msg, size, "Pod could not be scheduled");
	}
	return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Pod is in the Pending phase");
}

static cf_kstatus pod(const json_t *o, char *msg, size_t size)
{
	const char *phase = str_at(o, "status.phase", "");

	if (strcmp(phase, "Succeeded") == 0)
		return said(CF_KSTATUS_CURRENT, msg, size, "Pod has completed successfully");
	if (strcmp(phase, "Failed") == 0)
		return said(CF_KSTATUS_CURRENT, msg, size, "Pod has completed, but not successfully");
	if (strcmp(phase, "Running") == 0)
		return pod_running(o, msg, size);
	if (strcmp(phase, "Pending") == 0)
		return pod_pending(o, msg, size);
	if (*phase == '\0')
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Pod phase not available");
	return said(CF_KSTATUS_UNKNOWN, msg, size, "unknown phase %s", phase);
}

static cf_kstatus pdb(const json_t *o, char *msg, size_t size)
{
	(void)o;
	return said(CF_KSTATUS_CURRENT, msg, size, "AllowedDisruptions has been computed.");
}

/* Completions as the Job controller defaults them: spec.completions, else spec.parallelism, else 1. */
static long long completions(const json_t *o)
{
	return int_at(o, "spec.completions", int_at(o, "spec.parallelism", 1));
}

/* The verdict of a True Complete or Failed Job condition; -1 for any other condition. */
static int job_cond(cf_kstatus *out, const json_t *o, const cond *c, char *msg, size_t size)
{
	if (strcmp(c->status, "True") != 0)
		return -1;
	if (strcmp(c->type, "Complete") == 0) {
		*out = said(CF_KSTATUS_CURRENT, msg, size, "Job Completed. succeeded: %lld/%lld",
			    int_at(o, "status.succeeded", 0), completions(o));
		return 0;
	}
	if (strcmp(c->type, "Failed") == 0) {
		*out = said(CF_KSTATUS_FAILED, msg, size, "Job Failed. failed: %lld/%lld", int_at(o, "status.failed", 0),
			    completions(o));
		return 0;
	}
	return -1;
}

/*
 * kstatus's Job: Current as soon as it runs. The first True Complete or Failed decides (the
 * kstatus Flux builds with has no Suspended rule: a suspended Job never started).
 */
static cf_kstatus job(const json_t *o, char *msg, size_t size)
{
	cf_kstatus s;
	cond c;

	for (size_t i = 0; cond_at(&c, o, i) > 0; i++)
		if (job_cond(&s, o, &c, msg, size) == 0)
			return s;
	if (*str_at(o, "status.startTime", "") == '\0')
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Job not started");
	return said(CF_KSTATUS_CURRENT, msg, size, "Job in progress. success:%lld, active: %lld, failed: %lld",
		    int_at(o, "status.succeeded", 0), int_at(o, "status.active", 0), int_at(o, "status.failed", 0));
}

static cf_kstatus service(const json_t *o, char *msg, size_t size)
{
	if (strcmp(str_at(o, "spec.type", "ClusterIP"), "LoadBalancer") == 0 && *str_at(o, "spec.clusterIP", "") == '\0')
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "ClusterIP not set. Service type: LoadBalancer");
	return said(CF_KSTATUS_CURRENT, msg, size, "Service is ready");
}

static cf_kstatus crd(const json_t *o, char *msg, size_t size)
{
	cond c;

	for (size_t i = 0; cond_at(&c, o, i) > 0; i++) {
		if (strcmp(c.type, "NamesAccepted") == 0 && strcmp(c.status, "False") == 0)
			return said(CF_KSTATUS_FAILED, msg, size, "%s", c.message);
		if (strcmp(c.type, "Established") != 0)
			continue;
		if (strcmp(c.status, "False") == 0 && strcmp(c.reason, "Installing") != 0)
			return said(CF_KSTATUS_FAILED, msg, size, "%s", c.message);
		if (strcmp(c.status, "True") == 0)
			return said(CF_KSTATUS_CURRENT, msg, size, "CRD is established");
	}
	return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Install in progress");
}

/* kstatus's built-in kinds, keyed "<group>/<Kind>" ("<Kind>" for the core group). */
static const struct {
	const char *key;
	rule_fn fn;
} rules[] = {
	{"Service", service},
	{"Pod", pod},
	{"Secret", always_ready},
	{"PersistentVolumeClaim", pvc},
	{"apps/StatefulSet", statefulset},
	{"apps/DaemonSet", daemonset},
	{"extensions/DaemonSet", daemonset},
	{"apps/Deployment", deployment},
	{"extensions/Deployment", deployment},
	{"apps/ReplicaSet", replicaset},
	{"extensions/ReplicaSet", replicaset},
	{"policy/PodDisruptionBudget", pdb},
	{"batch/CronJob", always_ready},
	{"ConfigMap", always_ready},
	{"batch/Job", job},
	{"apiextensions.k8s.io/CustomResourceDefinition", crd},
};

/* The rule for obj's group and kind, or NULL. An apiVersion that is not "group/version" has no group. */
static rule_fn rule_for(const json_t *obj)
{
	const char *av = str_at(obj, "apiVersion", ""), *slash = strchr(av, '/');
	char key[320];
	int n;

	if (slash && !strchr(slash + 1, '/'))
		n = snprintf(key, sizeof(key), "%.*s/%s", (int)(slash - av), av, kind_of(obj));
	else
		n = snprintf(key, sizeof(key), "%s", kind_of(obj));
	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].key, key) == 0)
			return rules[i].fn;
	return NULL;
}

/* metadata.generation against status.observedGeneration; -1 when either has the wrong type. */
static int generation_seen(const json_t *o, char *msg, size_t size, cf_kstatus *out)
{
	const json_t *gen = at(o, "metadata.generation"), *seen = at(o, "status.observedGeneration");

	if (!gen)
		return 1;
	if (!json_is_integer(gen) || (seen && !json_is_integer(seen))) {
		*out = said(CF_KSTATUS_UNKNOWN, msg, size, "%s is not an integer",
			    json_is_integer(gen) ? "status.observedGeneration" : "metadata.generation");
		return -1;
	}
	if (!seen || json_integer_value(gen) == json_integer_value(seen))
		return 1;
	*out = said(CF_KSTATUS_IN_PROGRESS, msg, size, "%s generation is %lld, but latest observed generation is %lld",
		    kind_of(o), (long long)json_integer_value(gen), (long long)json_integer_value(seen));
	return 0;
}

/* The rules every object shares; 1 when they leave the decision to the kind's rule. */
static int generic(const json_t *o, char *msg, size_t size, cf_kstatus *out)
{
	const json_t *del = at(o, "metadata.deletionTimestamp");
	cond c;
	int r;

	if (del && !json_is_string(del)) {
		*out = said(CF_KSTATUS_UNKNOWN, msg, size, "metadata.deletionTimestamp is not a string");
		return 0;
	}
	if (json_is_string(del) && json_string_length(del) > 0) {
		*out = said(CF_KSTATUS_TERMINATING, msg, size, "Resource scheduled for deletion");
		return 0;
	}
	if ((r = generation_seen(o, msg, size, out)) <= 0)
		return 0;
	if (conds_valid(o) < 0) {
		*out = malformed(msg, size);
		return 0;
	}
	for (size_t i = 0; cond_at(&c, o, i) > 0; i++) {
		if (strcmp(c.status, "True") != 0)
			continue;
		if (strcmp(c.type, "Reconciling") == 0 || strcmp(c.type, "Stalled") == 0) {
			*out = said(c.type[0] == 'R' ? CF_KSTATUS_IN_PROGRESS : CF_KSTATUS_FAILED, msg, size, "%s", c.message);
			return 0;
		}
	}
	return 1;
}

/*
 * The last resort for kinds without a rule: the widely used (if unidiomatic) Ready condition.
 * True is Current, False or Unknown InProgress with its message; 1 when there is none of those.
 */
static int ready_condition(const json_t *o, char *msg, size_t size, cf_kstatus *out)
{
	cond c;

	for (size_t i = 0; cond_at(&c, o, i) > 0; i++) {
		if (strcmp(c.type, "Ready") != 0)
			continue;
		if (strcmp(c.status, "True") == 0) {
			*out = said(CF_KSTATUS_CURRENT, msg, size, "Resource is Ready");
			return 0;
		}
		if (strcmp(c.status, "False") == 0 || strcmp(c.status, "Unknown") == 0) {
			*out = said(CF_KSTATUS_IN_PROGRESS, msg, size, "%s", c.message);
			return 0;
		}
	}
	return 1;
}

cf_kstatus cf_kstatus_compute(const json_t *live, char *msg, size_t size)
{
	cf_kstatus s = CF_KSTATUS_UNKNOWN;
	rule_fn fn;

	if (!json_is_object(live))
		return said(CF_KSTATUS_UNKNOWN, msg, size, "not an object");
	if (!generic(live, msg, size, &s))
		return s;
	if ((fn = rule_for(live)) != NULL)
		return fn(live, msg, size);
	if (!ready_condition(live, msg, size, &s))
		return s;
	return said(CF_KSTATUS_CURRENT, msg, size, "Resource is current");
}

cf_kstatus cf_kstatus_job(const json_t *live, char *msg, size_t size)
{
	cf_kstatus s = CF_KSTATUS_UNKNOWN;
	cond c;

	if (!json_is_object(live))
		return said(CF_KSTATUS_UNKNOWN, msg, size, "not an object");
	if (json_is_true(at(live, "spec.suspend")))
		return said(CF_KSTATUS_CURRENT, msg, size, "Job is suspended");
	if (conds_valid(live) < 0)
		return malformed(msg, size);
	for (size_t i = 0; cond_at(&c, live, i) > 0; i++)
		if (job_cond(&s, live, &c, msg, size) == 0)
			return s;
	if (*str_at(live, "status.startTime", "") == '\0')
		return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Job not started. active: 0/%lld",
			    int_at(live, "spec.parallelism", 1));
	return said(CF_KSTATUS_IN_PROGRESS, msg, size, "Job in progress. success:%lld, active: %lld, failed: %lld",
		    int_at(live, "status.succeeded", 0), int_at(live, "status.active", 0), int_at(live, "status.failed", 0));
}
