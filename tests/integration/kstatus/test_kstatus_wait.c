/*
 * cf_kstatus_wait against a real kube-apiserver (tests/cluster/up.sh; CF_KUBECONFIG). The control
 * plane has no controllers, so the test writes statuses itself through the status subresource.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kstatus.h"
#include "cf/kube.h"
#include "kubetest.h"
#include "testsupport.h"

static cf_kube *kc;
static char ns[64];

#define CHECK(expr)                                                                                    \
	do {                                                                                           \
		int rc_ = (expr);                                                                      \
		if (rc_ != 0)                                                                          \
			fail_msg("%s: %s: %s", #expr, cf_error_name(rc_), cf_error_last());           \
	} while (0)

#define NEED_CLUSTER()                                                                                 \
	do {                                                                                           \
		if (!kc)                                                                               \
			skip(); /* CF_KUBECONFIG is unset: run tests/cluster/up.sh first */            \
	} while (0)

/* What the log callback saw, as "id=Status:msg;" entries. */
static char logged[4096];

static void record(void *ctx, const char *id, cf_kstatus status, const char *msg)
{
	size_t used = strlen(logged);

	(void)ctx;
	snprintf(logged + used, sizeof(logged) - used, "%s=%s:%s;", id, cf_kstatus_name(status), msg);
}

static int setup(void **state)
{
	(void)state;
	return cft_kube_up(&kc, ns, sizeof(ns), "kstatus-wait");
}

static int teardown(void **state)
{
	(void)state;
	cft_kube_down(kc, ns);
	return 0;
}

/* A JSON array in the test namespace (text has up to four %s, each the namespace). */
static json_t *objects(const char *text)
{
	char buf[8192];
	json_t *arr;

	snprintf(buf, sizeof(buf), text, ns, ns, ns, ns);
	arr = json_loads(buf, 0, NULL);
	assert_non_null(arr);
	return arr;
}

/* Creates every object of the array text in the test namespace. */
static void create_all(const char *text)
{
	json_t *arr = objects(text), *obj;
	size_t i;

	json_array_foreach (arr, i, obj) {
		cf_kube_ref ref = {json_string_value(json_object_get(obj, "apiVersion")),
				   json_string_value(json_object_get(obj, "kind")), ns, NULL};
		char *body = json_dumps(obj, JSON_COMPACT);
		CHECK(cf_kube_create(kc, NULL, &ref, body, NULL));
		free(body);
	}
	json_decref(arr);
}

static void patch_status(const char *api_version, const char *kind, const char *name, const char *status)
{
	cf_kube_ref ref = {api_version, kind, ns, name};
	char body[2048];

	snprintf(body, sizeof(body), "{\"status\":%s}", status);
	CHECK(cf_kube_patch_status(kc, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL));
}

/* Waits for the objects of the array text (its %s are the namespace), logging into `logged`. */
static int wait_for(const char *text, int64_t timeout_ms, cf_kstatus_jobs jobs, int keep_current)
{
	cf_kstatus_wait_opts o = {.timeout_ms = timeout_ms, .poll_ms = 200, .jobs = jobs,
				  .keep_current = keep_current, .log = record};
	json_t *objs = objects(text);
	int rc;

	logged[0] = '\0';
	rc = cf_kstatus_wait(kc, objs, &o);
	json_decref(objs);
	return rc;
}

static void expect(int got, int code, const char *fmt)
{
	char want[1024];

	snprintf(want, sizeof(want), fmt, ns, ns, ns);
	if (got != code)
		fail_msg("want %s, got %s: %s", cf_error_name(code), cf_error_name(got), cf_error_last());
	if (code)
		assert_string_equal(cf_error_last(), want);
}

#define DEPLOYMENT(name)                                                                                       \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"%s\"}," \
	"\"spec\":{\"replicas\":1,\"progressDeadlineSeconds\":600,\"selector\":{\"matchLabels\":{\"app\":\"" name     \
	"\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"" name "\"}},\"spec\":{\"containers\":[{\"name\":\"c\"," \
	"\"image\":\"busybox\"}]}}}}"

#define JOB(name, extra)                                                                                       \
	"{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"%s\"},"     \
	"\"spec\":{" extra "\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","    \
	"\"image\":\"busybox\"}]}}}}"

#define CM(name) "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"%s\"}}"

#define ROLLED_OUT                                                                                             \
	"{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,\"readyReplicas\":1,\"availableReplicas\":1," \
	"\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\","        \
	"\"message\":\"ok\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\","    \
	"\"message\":\"ok\"}]}"

#define JOB_FAILED                                                                                             \
	"{\"active\":0,\"failed\":1,\"conditions\":[{\"type\":\"FailureTarget\",\"status\":\"True\","                \
	"\"reason\":\"BackoffLimitExceeded\",\"message\":\"x\"},{\"type\":\"Failed\",\"status\":\"True\","           \
	"\"reason\":\"BackoffLimitExceeded\",\"message\":\"x\"}]}"

/*
 * A Deployment never rolled out times out naming it (a ConfigMap is Current), after the whole
 * timeout, and its kstatus message is logged; once its status says rolled out, the wait ends.
 */
static void test_deployment_rollout(void **state)
{
	const char *objs = "[" CM("cm") "," DEPLOYMENT("web") "]";
	long long t0;
	int rc;

	(void)state;
	NEED_CLUSTER();
	create_all(objs);
	t0 = cft_now_ms();
	rc = wait_for(objs, 1500, CF_KSTATUS_JOBS_COMPLETE, 1);
	assert_true(cft_now_ms() - t0 >= 1500);
	expect(rc, CF_ETIMEOUT, "timeout waiting for: [Deployment/%s/web status: 'InProgress']");
	if (!strstr(logged, "/web=InProgress:") || strstr(logged, "ConfigMap"))
		fail_msg("unexpected log: %s", logged);
	patch_status("apps/v1", "Deployment", "web", ROLLED_OUT);
	t0 = cft_now_ms();
	CHECK(wait_for(objs, 5000, CF_KSTATUS_JOBS_COMPLETE, 0));
	assert_true(cft_now_ms() - t0 < 1000);
	assert_string_equal(logged, "");
}

/* A stalled Deployment ends the wait long before the timeout, naming only the Failed objects. */
static void test_failed_early(void **state)
{
	const char *objs = "[" DEPLOYMENT("stuck") "," DEPLOYMENT("slow") "]";
	long long t0;

	(void)state;
	NEED_CLUSTER();
	create_all(objs);
	patch_status("apps/v1", "Deployment", "stuck",
		     "{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,\"conditions\":[{\"type\":\"Progressing\","
		     "\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"timed out\"}]}");
	t0 = cft_now_ms();
	expect(wait_for(objs, 20000, CF_KSTATUS_JOBS_COMPLETE, 0), CF_ERROR,
	       "failed early due to stalled resources: [Deployment/%s/stuck status: 'Failed']");
	assert_true(cft_now_ms() - t0 < 5000);
}

/*
 * kstatus's rule makes a started Job Current; Flux's Job reader waits for it to complete, and a
 * Failed condition fails the wait early. A missing object is NotFound, named in order.
 */
static void test_jobs_and_not_found(void **state)
{
	const char *objs = "[" JOB("migrate", "") "," CM("gone") "]";
	const char *job = "[" JOB("migrate", "") "]";

	(void)state;
	NEED_CLUSTER();
	create_all(job);
	expect(wait_for(job, 600, CF_KSTATUS_JOBS_KSTATUS, 1), CF_ETIMEOUT,
	       "timeout waiting for: [Job/%s/migrate status: 'InProgress']");
	patch_status("batch/v1", "Job", "migrate", "{\"startTime\":\"2026-01-01T00:00:00Z\",\"active\":1}");
	CHECK(wait_for(job, 2000, CF_KSTATUS_JOBS_KSTATUS, 1));
	expect(wait_for(objs, 600, CF_KSTATUS_JOBS_COMPLETE, 0), CF_ETIMEOUT,
	       "timeout waiting for: [Job/%s/migrate status: 'InProgress', ConfigMap/%s/gone status: 'NotFound']");
	if (!strstr(logged, "/gone=NotFound:Resource not found;"))
		fail_msg("unexpected log: %s", logged);
	patch_status("batch/v1", "Job", "migrate", JOB_FAILED);
	expect(wait_for(objs, 60000, CF_KSTATUS_JOBS_COMPLETE, 0), CF_ERROR,
	       "failed early due to stalled resources: [Job/%s/migrate status: 'Failed']");
}

/* A gone Job that had ttlSecondsAfterFinished was cleaned up after it finished: it is Current. */
static void test_gone_job_with_ttl(void **state)
{
	(void)state;
	NEED_CLUSTER();
	CHECK(wait_for("[" JOB("cleaned", "\"ttlSecondsAfterFinished\":0,") "]", 600, CF_KSTATUS_JOBS_COMPLETE, 0));
	expect(wait_for("[" JOB("never", "") "]", 600, CF_KSTATUS_JOBS_COMPLETE, 0), CF_ETIMEOUT,
	       "timeout waiting for: [Job/%s/never status: 'NotFound']");
}

/* No apiVersion is the core group; an unknown kind or a missing name is Unknown with the error. */
static void test_core_group_and_unreadable(void **state)
{
	(void)state;
	NEED_CLUSTER();
	create_all("[" CM("core") "]");
	CHECK(wait_for("[{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"core\",\"namespace\":\"%s\"}}]", 2000,
		       CF_KSTATUS_JOBS_COMPLETE, 0));
	/* As kstatus's readers, a kind without a REST mapping is Unknown with the mapper's error, not NotFound. */
	expect(wait_for("[{\"apiVersion\":\"example.com/v1\",\"kind\":\"Nope\",\"metadata\":{\"name\":\"x\","
			"\"namespace\":\"%s\"}}]",
			300, CF_KSTATUS_JOBS_COMPLETE, 0),
	       CF_ETIMEOUT,
	       "timeout waiting for: [Nope/%s/x status: 'Unknown': no matches for kind \"Nope\" in version \"example.com/v1\"]");
	expect(wait_for("[{\"kind\":\"ConfigMap\",\"metadata\":{\"namespace\":\"%s\"}}]", 300, CF_KSTATUS_JOBS_COMPLETE, 0),
	       CF_ETIMEOUT, "timeout waiting for: [ConfigMap/%s/ status: 'Unknown': object without kind or name]");
}

/* In a child with its own client, after delay_ms: deletes ConfigMap cm and rolls Deployment dep out. */
static pid_t change_later(int delay_ms, const char *cm, const char *dep)
{
	pid_t pid = fork();
	cf_kube_config *cfg = NULL;
	cf_kube *own = NULL;
	cf_kube_ref cm_ref = {"v1", "ConfigMap", ns, cm}, dep_ref = {"apps/v1", "Deployment", ns, dep};
	int ok;

	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	usleep((useconds_t)delay_ms * 1000);
	ok = cf_kube_config_load_file(&cfg, getenv("CF_KUBECONFIG"), NULL) == 0 && cf_kube_new(&own, cfg, NULL) == 0 &&
	     cf_kube_delete(own, NULL, &cm_ref, NULL) == 0 &&
	     cf_kube_patch_status(own, NULL, &dep_ref, CF_KUBE_PATCH_MERGE, "{\"status\":" ROLLED_OUT "}", NULL) == 0;
	_exit(ok ? 0 : 1);
}

static void wait_child(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/*
 * With keep_current an object once seen Current is not read again, so deleting it afterwards does
 * not hold the wait; without, every round reads every object, as kstatus's poller does.
 */
static void test_keep_current(void **state)
{
	cf_kstatus_wait_opts keep = {.timeout_ms = 3000, .poll_ms = 200, .keep_current = 1};
	cf_kstatus_wait_opts reread = {.timeout_ms = 2000, .poll_ms = 200, .keep_current = 0};
	json_t *arr;
	pid_t pid;

	(void)state;
	NEED_CLUSTER();
	create_all("[" CM("kept") "," DEPLOYMENT("late") "," CM("reread") "," DEPLOYMENT("later") "]");
	arr = objects("[" CM("kept") "," DEPLOYMENT("late") "]");
	pid = change_later(700, "kept", "late");
	CHECK(cf_kstatus_wait(kc, arr, &keep));
	wait_child(pid);
	json_decref(arr);

	arr = objects("[" CM("reread") "," DEPLOYMENT("later") "]");
	pid = change_later(700, "reread", "later");
	expect(cf_kstatus_wait(kc, arr, &reread), CF_ETIMEOUT, "timeout waiting for: [ConfigMap/%s/reread status: 'NotFound']");
	wait_child(pid);
	json_decref(arr);
}

/* Bad arguments and an empty set. */
static void test_arguments(void **state)
{
	cf_kstatus_wait_opts o = {.timeout_ms = 100};
	json_t *empty = json_array(), *notarray = json_object();

	(void)state;
	assert_int_equal(cf_kstatus_wait(kc, empty, NULL), CF_EINVALID);
	assert_int_equal(cf_kstatus_wait(kc, notarray, &o), CF_EINVALID);
	assert_int_equal(cf_kstatus_wait(kc, empty, &o), 0);
	json_decref(empty);
	json_decref(notarray);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment_rollout),  cmocka_unit_test(test_failed_early),
		cmocka_unit_test(test_jobs_and_not_found),  cmocka_unit_test(test_gone_job_with_ttl),
		cmocka_unit_test(test_core_group_and_unreadable), cmocka_unit_test(test_keep_current),
		cmocka_unit_test(test_arguments),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
