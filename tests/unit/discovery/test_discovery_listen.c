/*
 * cf_discovery_listen over real nanomsg TCP sockets on 127.0.0.1: messages of the subscribed type
 * reach the handler on the listener's thread, other types do not, and bad flag values are refused
 * with a message naming them. No cluster is needed: only --events-connect endpoints are used.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/discovery.h"
#include "cf/error.h"
#include "testsupport.h"

typedef struct {
	pthread_mutex_t lock;
	int artifacts, results;
	char last_name[64];
} seen;

static void on_message(void *ctx, const cf_bus_msg *m)
{
	seen *s = ctx;

	pthread_mutex_lock(&s->lock);
	if (m->type == CF_BUS_ARTIFACT_READY) {
		s->artifacts++;
		snprintf(s->last_name, sizeof(s->last_name), "%s", m->body.artifact_ready.name);
	} else {
		s->results++;
	}
	pthread_mutex_unlock(&s->lock);
}

static int artifacts(seen *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->artifacts;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ArtifactReady reaches the handler; a ReconcileResult, not subscribed to, never does. */
static void test_delivers_subscribed_types(void **state)
{
	char url[64], list[160];
	cf_bus_pub *pub = NULL;
	cf_discovery_listener *l = NULL;
	seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	cf_bus_msg ar = {.type = CF_BUS_ARTIFACT_READY}, rr = {.type = CF_BUS_RECONCILE_RESULT};

	(void)state;
	/* nanomsg cannot report the port it bound, so ask the kernel for a free one first. */
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", cft_free_port());
	assert_int_equal(cf_bus_pub_new(&pub, url, "source-controller"), 0);
	/* A second, unreachable endpoint in the list does not hold up the first. */
	snprintf(list, sizeof(list), " %s , tcp://127.0.0.1:1", url);
	assert_int_equal(cf_discovery_listen(&l, NULL, list, "", CF_BUS_MASK(CF_BUS_ARTIFACT_READY), on_message, &s), 0);
	assert_non_null(l);
	ar.body.artifact_ready = (cf_bus_artifact_ready){.kind = "HelmChart", .namespace_ = "default", .name = "podinfo",
							 .revision = "6.5.0", .digest = "sha256:00", .url = "http://x/y", .size = 1};
	rr.body.reconcile_result = (cf_bus_reconcile_result){.controller = "kustomize-controller", .kind = "Kustomization",
							     .namespace_ = "default", .name = "apps", .ready = 1};
	for (int i = 0; i < 250 && artifacts(&s) == 0; i++) {
		assert_int_equal(cf_bus_pub_send(pub, &rr), 0);
		assert_int_equal(cf_bus_pub_send(pub, &ar), 0);
		usleep(20000);
	}
	cf_discovery_listener_free(l);
	cf_bus_pub_free(pub);
	assert_true(s.artifacts > 0);
	assert_string_equal(s.last_name, "podinfo");
	assert_int_equal(s.results, 0);
}

/* Nothing to listen to: no listener, no thread. */
static void test_nothing_to_listen_to(void **state)
{
	cf_discovery_listener *l = (cf_discovery_listener *)&l;
	seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};

	(void)state;
	assert_int_equal(cf_discovery_listen(&l, NULL, NULL, " , ", CF_BUS_MASK_ALL, on_message, &s), 0);
	assert_null(l);
	cf_discovery_listener_free(NULL);
}

/* A Service that is not <namespace>/<name>, or a bad endpoint, is refused and named. */
static void test_bad_values(void **state)
{
	cf_discovery_listener *l = NULL;
	seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};

	(void)state;
	assert_int_equal(cf_discovery_listen(&l, NULL, "", "flux-system", CF_BUS_MASK_ALL, on_message, &s), CF_EINVALID);
	assert_null(l);
	assert_non_null(strstr(cf_error_last(), "--events-service wants <namespace>/<name>, got 'flux-system'"));
	assert_true(cf_discovery_listen(&l, NULL, "not-a-url", "", CF_BUS_MASK_ALL, on_message, &s) < 0);
	assert_null(l);
	assert_non_null(strstr(cf_error_last(), "--events-connect not-a-url"));
	assert_int_equal(cf_discovery_listen(&l, NULL, "", "", CF_BUS_MASK_ALL, NULL, NULL), CF_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivers_subscribed_types),
		cmocka_unit_test(test_nothing_to_listen_to),
		cmocka_unit_test(test_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
