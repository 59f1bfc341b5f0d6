/*
 * What kc_health_wait adds to cf_kstatus_wait (tests/integration/kstatus covers the wait itself),
 * against a real kube-apiserver (tests/cluster/up.sh; CF_KUBECONFIG): health check refs
 * {apiVersion, kind, name, namespace} name the objects, and Jobs must complete. The control plane
 * has no controllers, so the test writes statuses itself through the status subresource.
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
#include "cf/kstatus.h"
#include "cf/kube.h"
#include "kubetest.h"
#include "kc.h"

static cf_kube *kc;
static char ns[64];

#define CHECK(expr)                                                                                    \
	do {                                                                                           \
		int rc_ = (expr);                                                                      \
		if (rc_ != 0)                                                                          \
			fail_msg("%s: %s: %s", #expr, cf_error_name(rc_), cf_error_last());           \
	} while (0)

static int setup(void **state)
{
	(void)state;
	return cft_kube_up(&kc, ns, sizeof(ns), "kc-health");
}

static int teardown(void **state)
{
	(void)state;
	cft_kube_down(kc, ns);
	return 0;
}

static void create(const char *api_version, const char *kind, const char *body_fmt)
{
	cf_kube_ref ref = {api_version, kind, ns, NULL};
	char body[2048];

	snprintf(body, sizeof(body), body_fmt, ns);
	CHECK(cf_kube_create(kc, NULL, &ref, body, NULL));
}

static void patch_status(const char *api_version, const char *kind, const char *name, const char *status)
{
	cf_kube_ref ref = {api_version, kind, ns, name};
	char body[2048];

	snprintf(body, sizeof(body), "{\"status\":%s}", status);
	CHECK(cf_kube_patch_status(kc, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL));
}

static json_t *refs(const char *fmt)
{
	char buf[2048];
	json_t *r;

	snprintf(buf, sizeof(buf), fmt, ns, ns, ns);
	r = json_loads(buf, 0, NULL);
	assert_non_null(r);
	return r;
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

#define JOB                                                                                                    \
	"{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"namespace\":\"%s\"},"         \
	"\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","            \
	"\"image\":\"busybox\"}]}}}}"

/* Refs name the objects (no apiVersion is the core group); a running Job holds the check, a missing object is NotFound. */
static void test_refs(void **state)
{
	json_t *r;

	(void)state;
	if (!kc)
		skip();
	create("v1", "ConfigMap", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
				  "\"namespace\":\"%s\"}}");
	create("batch/v1", "Job", JOB);
	patch_status("batch/v1", "Job", "j", "{\"startTime\":\"2026-01-01T00:00:00Z\",\"active\":1}");
	r = refs("[{\"kind\":\"ConfigMap\",\"name\":\"cm\",\"namespace\":\"%s\"},"
		 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"name\":\"j\",\"namespace\":\"%s\"},"
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"gone\",\"namespace\":\"%s\"}]");
	expect(kc_health_wait(kc, r, 1500), CF_ETIMEOUT,
	       "timeout waiting for: [Job/%s/j status: 'InProgress', ConfigMap/%s/gone status: 'NotFound']");
	json_decref(r);
	r = refs("[{\"kind\":\"ConfigMap\",\"name\":\"cm\",\"namespace\":\"%s\"}]");
	expect(kc_health_wait(kc, r, 5000), 0, "");
	json_decref(r);
	r = refs("[{\"kind\":\"ConfigMap\",\"namespace\":\"%s\"}]");
	expect(kc_health_wait(kc, r, 300), CF_ETIMEOUT,
	       "timeout waiting for: [ConfigMap/%s/ status: 'Unknown': object without kind or name]");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
