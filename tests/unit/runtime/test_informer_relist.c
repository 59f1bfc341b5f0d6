/*
 * Informer protocol against a scripted API server on 127.0.0.1 (libmicrohttpd): list, watch from
 * the list's resourceVersion, 410 Gone -> relist (objects gone meanwhile become deletes), and
 * bookmarks moving the resourceVersion the next watch starts from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "cf/runtime.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int lists, watches;
static char watch_rvs[8][32];

static const char discovery[] =
	"{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[{\"name\":\"configmaps\","
	"\"singularName\":\"configmap\",\"namespaced\":true,\"kind\":\"ConfigMap\",\"verbs\":[\"list\",\"watch\"]}]}";

static const char *const list_bodies[] = {
	"{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":["
	"{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"5\"}},"
	"{\"metadata\":{\"name\":\"keep\",\"namespace\":\"ns\",\"resourceVersion\":\"6\"}}]}",
	"{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"20\"},\"items\":["
	"{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"resourceVersion\":\"18\"}},"
	"{\"metadata\":{\"name\":\"keep\",\"namespace\":\"ns\",\"resourceVersion\":\"6\"}}]}",
};

/* First watch: one change, then the Status a compacted history gives. Second: a bookmark. */
static const char *const watch_bodies[] = {
	"{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":"
	"{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"11\"},\"data\":{\"k\":\"v\"}}}\n"
	"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	"\"status\":\"Failure\",\"message\":\"too old resource version: 11 (15)\",\"reason\":\"Expired\","
	"\"code\":410}}\n",
	"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":"
	"{\"resourceVersion\":\"25\"}}}\n",
};

static enum MHD_Result reply(struct MHD_Connection *c, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	if (strcmp(url, "/api/v1") == 0)
		return reply(c, discovery);
	if (strcmp(url, "/api/v1/configmaps") != 0)
		return MHD_NO;
	const char *watch = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "watch");
	const char *rv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "resourceVersion");
	pthread_mutex_lock(&mu);
	int n = watch ? watches++ : lists++;
	if (watch && n < 8)
		snprintf(watch_rvs[n], sizeof(watch_rvs[n]), "%s", rv ? rv : "");
	pthread_mutex_unlock(&mu);
	if (!watch)
		return reply(c, list_bodies[n < 2 ? n : 1]);
	if (n < 2)
		return reply(c, watch_bodies[n]);
	/* Later watches: an idle stream that the server ends after a while. */
	usleep(200000);
	return reply(c, "");
}

typedef struct {
	pthread_mutex_t mu;
	char log[1024];
} events;

static void record(void *ctx, cf_informer_event ev, const char *key, const json_t *obj,
		   const json_t *old)
{
	static const char *const names[] = {"add", "update", "delete"};
	events *e = ctx;

	pthread_mutex_lock(&e->mu);
	size_t len = strlen(e->log);
	snprintf(e->log + len, sizeof(e->log) - len, "%s %s;", names[ev], key);
	pthread_mutex_unlock(&e->mu);
}

static int counter(int *v)
{
	pthread_mutex_lock(&mu);
	int n = *v;
	pthread_mutex_unlock(&mu);
	return n;
}

static void test_relist_on_gone_and_bookmarks(void **state)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
						MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
						serve, NULL, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	char kc[512], rv[32];
	cf_kube_config *cfg = NULL;
	cf_kube *kube = NULL;
	cf_informer *inf = NULL;
	events ev = {PTHREAD_MUTEX_INITIALIZER, ""};

	assert_non_null(d);
	int port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	snprintf(kc, sizeof(kc),
		 "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
		 "    server: http://127.0.0.1:%d\nusers:\n- name: u\n  user:\n    token: t\n"
		 "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n", port);
	assert_int_equal(cf_kube_config_parse(&cfg, kc, strlen(kc), NULL, NULL), 0);
	assert_int_equal(cf_kube_new(&kube, cfg, &(cf_kube_opts){.qps = -1}), 0);
	cf_informer_opts opts = {.api_version = "v1", .kind = "ConfigMap"};
	assert_int_equal(cf_informer_new(&inf, kube, &opts), 0);
	assert_int_equal(cf_informer_add_handler(inf, record, &ev), 0);
	assert_int_equal(cf_informer_start(inf), 0);
	assert_int_equal(cf_informer_wait_synced(inf, 5000), 0);

	for (int64_t i = 0; i < 100 && counter(&watches) < 3; i++)
		usleep(50000);
	assert_true(counter(&watches) >= 3);
	assert_int_equal(counter(&lists), 2);
	assert_int_equal(cf_informer_list_count(inf), 2);
	/* Each watch starts where the previous list, event or bookmark left off. */
	assert_string_equal(watch_rvs[0], "10");
	assert_string_equal(watch_rvs[1], "20");
	assert_string_equal(watch_rvs[2], "25");
	cf_informer_resource_version(inf, rv, sizeof(rv));
	assert_string_equal(rv, "25");

	/* The relist reported what it already had as updates and the vanished object as a delete. */
	pthread_mutex_lock(&ev.mu);
	assert_string_equal(ev.log, "add ns/a;add ns/keep;update ns/a;add ns/b;update ns/keep;delete ns/a;");
	pthread_mutex_unlock(&ev.mu);
	char **keys = NULL;
	size_t n = 0;
	assert_int_equal(cf_cache_keys(cf_informer_cache(inf), &keys, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0], "ns/b");
	assert_string_equal(keys[1], "ns/keep");
	cf_strv_free(keys, n);

	cf_informer_free(inf);
	cf_kube_free(kube);
	cf_kube_config_free(cfg);
	MHD_stop_daemon(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relist_on_gone_and_bookmarks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
