/*
 * Discovery against real EndpointSlices. The API server refuses loopback addresses in
 * EndpointSlices, so the slices name documentation-range addresses (192.0.2.0/24) and the test
 * records what discovery reports instead of connecting anywhere.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/discovery.h"
#include "cf/error.h"

static cf_kube *kube;
static char ns[64];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char events[64][80];
static int nevents;

static void record(void *ctx, const char *url, int added)
{
	pthread_mutex_lock(&mu);
	if (nevents < 64)
		snprintf(events[nevents++], sizeof(events[0]), "%c%s", added ? '+' : '-', url);
	pthread_mutex_unlock(&mu);
}

/* Waits until the recorded events equal want (a NULL-terminated list), in any order. */
static int wait_events(const char *const *want)
{
	for (int tries = 0; tries < 100; tries++) {
		int n = 0, ok = 1;
		for (const char *const *w = want; *w; w++)
			n++;
		pthread_mutex_lock(&mu);
		if (nevents == n) {
			for (int i = 0; i < n && ok; i++) {
				int found = 0;
				for (int j = 0; j < nevents; j++)
					found |= strcmp(want[i], events[j]) == 0;
				ok = found;
			}
		} else {
			ok = 0;
		}
		pthread_mutex_unlock(&mu);
		if (ok)
			return 1;
		usleep(100000);
	}
	pthread_mutex_lock(&mu);
	for (int j = 0; j < nevents; j++)
		fprintf(stderr, "seen %s\n", events[j]);
	pthread_mutex_unlock(&mu);
	return 0;
}

static void reset(void)
{
	pthread_mutex_lock(&mu);
	nevents = 0;
	pthread_mutex_unlock(&mu);
}

static int apply_slice(const char *name, const char *service, const char *endpoints)
{
	char body[2048];
	cf_kube_ref ref = {"discovery.k8s.io/v1", "EndpointSlice", ns, name};
	cf_kube_write_opts wo = {.field_manager = "discovery-test", .force = 1};

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"%s\","
		 "\"namespace\":\"%s\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},\"addressType\":\"IPv4\","
		 "\"ports\":[{\"name\":\"events\",\"port\":9091,\"protocol\":\"TCP\"}],\"endpoints\":[%s]}",
		 name, ns, service, endpoints);
	int err = cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &wo);
	if (err < 0)
		fprintf(stderr, "apply %s: %s\n", name, cf_error_last());
	return err;
}

static int setup(void **state)
{
	const char *kc = getenv("CF_KUBECONFIG");
	cf_kube_config *cfg = NULL;
	char body[256];

	if (!kc)
		return 0;
	if (cf_kube_config_load_file(&cfg, kc, NULL) < 0 || cf_kube_new(&kube, cfg, NULL) < 0)
		return -1;
	cf_kube_config_free(cfg);
	snprintf(ns, sizeof(ns), "discovery-%d-%ld", (int)getpid(), (long)time(NULL) % 100000);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
	return cf_kube_create(kube, NULL, NULL, body, NULL) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	cf_kube_free(kube);
	return 0;
}

#define EP(addr, ready) "{\"addresses\":[\"" addr "\"],\"conditions\":{\"ready\":" ready "}}"

static void test_follows_endpoint_slices(void **state)
{
	cf_discovery *d = NULL;

	if (!kube)
		skip();
	assert_int_equal(cf_discovery_start(&d, kube, ns, "source-controller-events", "events", record, NULL), 0);

	/* One ready and one unready replica. */
	assert_int_equal(apply_slice("a", "source-controller-events", EP("192.0.2.10", "true") "," EP("192.0.2.11", "false")), 0);
	const char *w1[] = {"+tcp://192.0.2.10:9091", NULL};
	assert_true(wait_events(w1));

	/* A second slice, sharing one address: only the new one is added. A slice of another service is ignored. */
	assert_int_equal(apply_slice("b", "source-controller-events", EP("192.0.2.10", "true") "," EP("192.0.2.12", "true")), 0);
	assert_int_equal(apply_slice("other", "helm-controller-events", EP("192.0.2.99", "true")), 0);
	const char *w2[] = {"+tcp://192.0.2.10:9091", "+tcp://192.0.2.12:9091", NULL};
	assert_true(wait_events(w2));
	assert_int_equal(cf_discovery_count(d), 2);

	/* The unready replica becomes ready; .10 leaves slice a but stays through slice b. */
	reset();
	assert_int_equal(apply_slice("a", "source-controller-events", EP("192.0.2.11", "true")), 0);
	const char *w3[] = {"+tcp://192.0.2.11:9091", NULL};
	assert_true(wait_events(w3));

	/* Deleting slice b removes what only it named. */
	reset();
	cf_kube_ref ref = {"discovery.k8s.io/v1", "EndpointSlice", ns, "b"};
	assert_int_equal(cf_kube_delete(kube, NULL, &ref, NULL), 0);
	const char *w4[] = {"-tcp://192.0.2.10:9091", "-tcp://192.0.2.12:9091", NULL};
	assert_true(wait_events(w4));
	assert_int_equal(cf_discovery_count(d), 1);
	cf_discovery_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_endpoint_slices),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
