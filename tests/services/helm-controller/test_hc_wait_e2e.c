/*
 * What hc_wait adds to cf_kstatus_wait (tests/integration/kstatus covers the wait itself), against
 * a real kube-apiserver (tests/cluster/up.sh; CF_KUBECONFIG): paused Deployments are not waited
 * for, Jobs are judged by Flux's reader only with wait_jobs. The control plane has no controllers,
 * so the test writes statuses itself through the status subresource.
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
#include <unistd.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "kubetest.h"
#include "testsupport.h"
#include "hc.h"

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

static int setup(void **state)
{
	(void)state;
	return cft_kube_up(&kc, ns, sizeof(ns), "hc-wait");
}

static int teardown(void **state)
{
	(void)state;
	cft_kube_down(kc, ns);
	return 0;
}

/* The desired objects of a release, in the test namespace (fmt has one %s per namespace use). */
static json_t *objects(const char *text)
{
	char buf[8192];
	json_t *arr;

	snprintf(buf, sizeof(buf), text, ns, ns, ns, ns);
	arr = json_loads(buf, 0, NULL);
	assert_non_null(arr);
	return arr;
}

#define DEPLOYMENT(name, extra)                                                                                \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"%s\"}," \
	"\"spec\":{\"replicas\":1,\"progressDeadlineSeconds\":600," extra "\"selector\":{\"matchLabels\":{\"app\":\"" name \
	"\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"" name "\"}},\"spec\":{\"containers\":[{\"name\":\"c\"," \
	"\"image\":\"busybox\"}]}}}}"

#define JOB(name)                                                                                              \
	"{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"%s\"},"     \
	"\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","            \
	"\"image\":\"busybox\"}]}}}}"

static void patch_status(const char *api_version, const char *kind, const char *name, const char *status)
{
	cf_kube_ref ref = {api_version, kind, ns, name};
	char body[2048];

	snprintf(body, sizeof(body), "{\"status\":%s}", status);
	CHECK(cf_kube_patch_status(kc, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL));
}

static void expect_error(int got, int code, const char *fmt)
{
	char want[1024];

	snprintf(want, sizeof(want), fmt, ns, ns, ns);
	if (got != code)
		fail_msg("want %s, got %s: %s", cf_error_name(code), cf_error_name(got), cf_error_last());
	assert_string_equal(cf_error_last(), want);
}

#define ROLLED_OUT                                                                                             \
	"{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,\"readyReplicas\":1,\"availableReplicas\":1," \
	"\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\","        \
	"\"message\":\"ok\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\","    \
	"\"message\":\"ok\"}]}"

/*
 * A Deployment never rolled out times out naming it while a paused one is not waited for; once its
 * status says rolled out, the wait ends at once (polling every 300 ms).
 */
static void test_paused_deployment_skipped(void **state)
{
	json_t *objs;
	long long t0;
	int rc;

	(void)state;
	NEED_CLUSTER();
	objs = objects("[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"namespace\":\"%s\"}},"
		       DEPLOYMENT("web", "") "," DEPLOYMENT("paused", "\"paused\":true,") "]");
	CHECK(hc_apply(kc, objs, 10000));
	t0 = cft_now_ms();
	rc = hc_wait(kc, objs, 1500, 1);
	assert_true(cft_now_ms() - t0 >= 1500);
	expect_error(rc, CF_ETIMEOUT, "timeout waiting for: [Deployment/%s/web status: 'InProgress']");
	patch_status("apps/v1", "Deployment", "web", ROLLED_OUT);
	t0 = cft_now_ms();
	CHECK(hc_wait(kc, objs, 5000, 1));
	assert_true(cft_now_ms() - t0 < 1000);
	json_decref(objs);
}

/* disableWaitForJobs (wait_jobs 0) takes kstatus's rule, where a started Job is Current; else it must complete. */
static void test_wait_jobs(void **state)
{
	json_t *objs;

	(void)state;
	NEED_CLUSTER();
	objs = objects("[" JOB("migrate") "]");
	CHECK(hc_apply(kc, objs, 10000));
	patch_status("batch/v1", "Job", "migrate", "{\"startTime\":\"2026-01-01T00:00:00Z\",\"active\":1}");
	CHECK(hc_wait(kc, objs, 2000, 0));
	expect_error(hc_wait(kc, objs, 600, 1), CF_ETIMEOUT, "timeout waiting for: [Job/%s/migrate status: 'InProgress']");
	json_decref(objs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paused_deployment_skipped),
		cmocka_unit_test(test_wait_jobs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
