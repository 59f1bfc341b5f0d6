/*
 * The runtime when the control plane misbehaves, on a private control plane (tests/cluster/up.sh):
 * kube-apiserver is killed and restarted under a running controller, with changes made while its
 * informer is still in its reconnect backoff; and etcd is compacted past an informer's
 * resourceVersion so that its watch gets 410 Gone and it lists again. Skips when CF_KUBECONFIG is
 * unset (the unit-only run), although it never touches the shared control plane.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "cf/runtime.h"
#include "cluster.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cluster cl;
static cf_kube_config *kcfg;
static cf_kube *kube;

#define WAIT_FOR(cond, timeout_ms)                                                           \
	do {                                                                                 \
		int64_t until_ = mono_ms() + (timeout_ms);                                   \
		while (!(cond) && mono_ms() < until_)                                        \
			usleep(100000);                                                      \
	} while (0)

#define SKIP_WITHOUT_CLUSTER()                                                               \
	do {                                                                                 \
		if (!kube)                                                                   \
			skip();                                                              \
	} while (0)

/* ---- objects ---- */

static void new_namespace(char *out, size_t size, const char *prefix)
{
	char body[256];

	snprintf(out, size, "%s-%d", prefix, (int)getpid());
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", out);
	assert_int_equal(cf_kube_create(kube, NULL, NULL, body, NULL), 0);
}

/* Creates a Widget; its resourceVersion goes to rv (may be NULL). */
static void create_widget(const char *ns, const char *name, char *rv, size_t rv_size)
{
	char body[512], *out = NULL;

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"test.cflux.io/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"%s\","
		 "\"namespace\":\"%s\"},\"spec\":{\"n\":1}}", name, ns);
	assert_int_equal(cf_kube_create(kube, &out, NULL, body, NULL), 0);
	if (rv) {
		json_t *o = json_loads(out, 0, NULL);
		snprintf(rv, rv_size, "%s", json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion")));
		json_decref(o);
	}
	free(out);
}

static void patch_widget(const char *ns, const char *name, const char *patch)
{
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, name};

	assert_int_equal(cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_MERGE, patch, NULL), 0);
}

static void delete_widget(const char *ns, const char *name)
{
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, name};

	assert_int_equal(cf_kube_delete(kube, NULL, &ref, NULL), 0);
}

/* metadata.generation and status.observedGeneration of a Widget; 0 when absent. */
static void widget_generations(const char *ns, const char *name, json_int_t *gen, json_int_t *obs)
{
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, name};
	char *text = NULL;
	json_t *o = NULL;

	*gen = *obs = 0;
	if (cf_kube_get(kube, &text, &ref) == 0 && (o = json_loads(text, 0, NULL))) {
		*gen = json_integer_value(json_object_get(json_object_get(o, "metadata"), "generation"));
		*obs = json_integer_value(json_object_get(json_object_get(o, "status"), "observedGeneration"));
	}
	json_decref(o);
	free(text);
}

/* Waits until the restarted apiserver serves Widgets again (the CRD handler comes up last). */
static int wait_serving(const char *ns, int64_t timeout_ms)
{
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, NULL};
	cf_kube_list_opts lo = {.limit = 1};
	char *page = NULL;
	int err = CF_ETIMEOUT;

	for (int64_t until = mono_ms() + timeout_ms; mono_ms() < until; usleep(200000)) {
		if ((err = cf_kube_list_page(kube, &page, &ref, &lo, NULL)) == 0)
			break;
	}
	free(page);
	return err;
}

/* ---- cache versus a fresh list ---- */

typedef struct {
	cf_cache *cache;
	int mismatches, items;
} compare_ctx;

static int compare_item(void *ctx, const char *item, size_t len)
{
	compare_ctx *cc = ctx;
	json_t *listed = json_loadb(item, len, 0, NULL), *cached = NULL;
	char key[512];

	cc->items++;
	if (!listed || cf_cache_key(key, sizeof(key), listed) < 0 ||
	    cf_cache_get_json(cc->cache, &cached, key) < 0) {
		cc->mismatches++;
	} else {
		const char *a = json_string_value(json_object_get(json_object_get(listed, "metadata"), "resourceVersion"));
		const char *b = json_string_value(json_object_get(json_object_get(cached, "metadata"), "resourceVersion"));
		if (!a || !b || strcmp(a, b) != 0)
			cc->mismatches++;
	}
	json_decref(listed);
	json_decref(cached);
	return 0;
}

/* Every listed Widget is cached at the listed resourceVersion, and nothing else is cached. */
static int cache_matches_list(cf_cache *cache, const char *ns)
{
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, NULL};
	compare_ctx cc = {cache, 0, 0};

	if (!cache || cf_kube_list(kube, NULL, &ref, NULL, compare_item, &cc) < 0)
		return 0;
	return cc.mismatches == 0 && (size_t)cc.items == cf_cache_len(cache);
}

/* ---- the controller under test, run in this process so its cache can be inspected ---- */

typedef struct {
	char key[128];
	json_int_t generation;  /* the last generation whose status write succeeded */
	int runs;
} reconciled;

static pthread_mutex_t rec_mu = PTHREAD_MUTEX_INITIALIZER;
static reconciled recs[64];
static size_t nrecs;
static _Atomic(cf_runtime *) the_rt;
static pthread_t ctl_thread;
static int ctl_running, ctl_rc;

static void note_reconciled(const char *key, json_int_t generation)
{
	pthread_mutex_lock(&rec_mu);
	size_t i = 0;
	while (i < nrecs && strcmp(recs[i].key, key) != 0)
		i++;
	if (i == nrecs && nrecs < sizeof(recs) / sizeof(recs[0]))
		snprintf(recs[nrecs++].key, sizeof(recs[0].key), "%s", key);
	if (i < nrecs) {
		recs[i].generation = generation;
		recs[i].runs++;
	}
	pthread_mutex_unlock(&rec_mu);
}

static json_int_t reconciled_generation(const char *ns, const char *name)
{
	char key[128];
	json_int_t g = 0;

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	pthread_mutex_lock(&rec_mu);
	for (size_t i = 0; i < nrecs; i++)
		if (strcmp(recs[i].key, key) == 0)
			g = recs[i].generation;
	pthread_mutex_unlock(&rec_mu);
	return g;
}

/* Writes status.observedGeneration from the cached object, as a level-based reconciler would. */
static cf_result reconcile(const cf_request *req)
{
	json_t *obj = NULL;
	char body[128];

	if (cf_cache_get_json(cf_runtime_cache(req->rt, "Widget"), &obj, req->key) < 0)
		return cf_result_done();
	json_int_t gen = json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
	json_decref(obj);
	snprintf(body, sizeof(body), "{\"status\":{\"observedGeneration\":%lld}}", (long long)gen);
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", req->namespace_, req->name};
	if (cf_kube_patch_status(cf_runtime_kube(req->rt), NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL) < 0)
		return cf_result_error();
	note_reconciled(req->key, gen);
	return cf_result_done();
}

static int svc_start(cf_runtime *rt, void **ctx)
{
	atomic_store(&the_rt, rt);
	return 0;
}

static void svc_stop(cf_runtime *rt, void *ctx)
{
	atomic_store(&the_rt, NULL);
}

static const char *const widget_versions[] = {"v1", NULL};
static const cf_kind kinds[] = {
	{"Widget", "test.cflux.io", widget_versions, "widgets", reconcile, NULL, NULL},
	{NULL},
};
static const cf_service service = {
	.name = "resilience-controller",
	.kinds = kinds,
	.start = svc_start,
	.stop = svc_stop,
};

static void *controller_main(void *arg)
{
	char kc[400];

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", cl.kubeconfig);
	char *argv[] = {"resilience-controller", kc, "--metrics-addr=0", "--health-addr=0",
			"--watch-all-namespaces=false", "--concurrent=2", "--min-retry-delay=200ms",
			"--max-retry-delay=2s", "--log-level=info", NULL};
	ctl_rc = cf_runtime_main(sizeof(argv) / sizeof(argv[0]) - 1, argv, &service);
	return NULL;
}

static void start_controller(const char *ns)
{
	setenv("RUNTIME_NAMESPACE", ns, 1);
	assert_int_equal(pthread_create(&ctl_thread, NULL, controller_main, NULL), 0);
	ctl_running = 1;
	WAIT_FOR(atomic_load(&the_rt) != NULL, 20000);
	assert_non_null(atomic_load(&the_rt));
}

static int stop_controller(void **state)
{
	if (!ctl_running)
		return 0;
	/* the_rt is NULL when start-up failed; cf_runtime_main has then returned on its own */
	cf_runtime *rt = atomic_load(&the_rt);
	if (rt)
		cf_runtime_request_stop(rt);
	pthread_join(ctl_thread, NULL);
	ctl_running = 0;
	return 0;
}

static cf_cache *controller_cache(void)
{
	cf_runtime *rt = atomic_load(&the_rt);

	return rt ? cf_runtime_cache(rt, "Widget") : NULL;
}

static int in_cache(const char *ns, const char *name)
{
	char key[128], *text = NULL;
	cf_cache *c = controller_cache();

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	int found = c && cf_cache_get(c, &text, key) == 0;
	free(text);
	return found;
}

/* The controller has written status for generation `want` and the API server shows it. */
static int reconciled_at(const char *ns, const char *name, json_int_t want)
{
	json_int_t gen, obs;

	if (reconciled_generation(ns, name) != want)
		return 0;
	widget_generations(ns, name, &gen, &obs);
	return gen == want && obs == want;
}

/* ---- apiserver restart under a running controller ---- */

static void test_apiserver_restart_under_controller(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64];

	new_namespace(ns, sizeof(ns), "res-restart");
	create_widget(ns, "a", NULL, 0);
	create_widget(ns, "b", NULL, 0);
	create_widget(ns, "c", NULL, 0);
	start_controller(ns);
	WAIT_FOR(reconciled_at(ns, "a", 1) && reconciled_at(ns, "b", 1) && reconciled_at(ns, "c", 1), 30000);
	assert_true(reconciled_at(ns, "a", 1) && reconciled_at(ns, "b", 1) && reconciled_at(ns, "c", 1));

	/* A crash, some seconds of outage (the informer backs off: 0.8, 1.6, 3.2 s ...), a restart. */
	int64_t t0 = mono_ms();
	assert_int_equal(cluster_apiserver_kill(&cl), 0);
	usleep(4000000);
	assert_int_equal(cluster_apiserver_start(&cl), 0);
	assert_int_equal(wait_serving(ns, 120000), 0);
	int64_t down_ms = mono_ms() - t0;

	/* Right after it serves again, while the informer still waits out its backoff. */
	create_widget(ns, "d", NULL, 0);
	patch_widget(ns, "a", "{\"spec\":{\"n\":2}}");
	delete_widget(ns, "b");
	patch_widget(ns, "c", "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
	create_widget(ns, "e", NULL, 0);
	patch_widget(ns, "e", "{\"spec\":{\"n\":3}}");
	int during_backoff = !in_cache(ns, "d");
	int64_t t1 = mono_ms();

	WAIT_FOR(reconciled_at(ns, "a", 2) && reconciled_at(ns, "d", 1) && reconciled_at(ns, "e", 2) &&
		 !in_cache(ns, "b") && cache_matches_list(controller_cache(), ns), 90000);
	print_message("apiserver down for %lld ms; changes made %s; caught up %lld ms after them\n",
		      (long long)down_ms, during_backoff ? "before the informer reconnected" :
		      "after the informer reconnected", (long long)(mono_ms() - t1));
	assert_true(reconciled_at(ns, "a", 2));
	assert_true(reconciled_at(ns, "d", 1));
	assert_true(reconciled_at(ns, "e", 2));
	assert_false(in_cache(ns, "b"));
	/* c's label change (no new generation) reached the cache: its resourceVersion matches. */
	assert_true(cache_matches_list(controller_cache(), ns));
	assert_int_equal(cf_cache_len(controller_cache()), 4);

	/* The watch is live again, not only a relist: a later change arrives within seconds. */
	t1 = mono_ms();
	patch_widget(ns, "d", "{\"spec\":{\"n\":9}}");
	WAIT_FOR(reconciled_at(ns, "d", 2), 20000);
	assert_true(reconciled_at(ns, "d", 2));
	print_message("a change after recovery was reconciled in %lld ms\n", (long long)(mono_ms() - t1));
	assert_true(cache_matches_list(controller_cache(), ns));
}

/* ---- 410 Gone from a compacted resourceVersion ---- */

typedef struct {
	int events, errors, code;
} watch_seen;

static int on_watch_event(void *ctx, const cf_kube_watch_event *ev)
{
	watch_seen *s = ctx;

	s->events++;
	if (ev->type == CF_KUBE_ERROR) {
		s->errors++;
		s->code = ev->status_code;
	}
	return 0;
}

static void test_compacted_watch_gets_410_and_informer_relists(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64], old_rv[64], key[128];
	cf_informer *inf = NULL;

	new_namespace(ns, sizeof(ns), "res-gone");
	create_widget(ns, "w0", old_rv, sizeof(old_rv));
	create_widget(ns, "w1", NULL, 0);
	cf_informer_opts opts = {.api_version = "test.cflux.io/v1", .kind = "Widget", .namespace_ = ns};
	assert_int_equal(cf_informer_new(&inf, kube, &opts), 0);
	assert_int_equal(cf_informer_start(inf), 0);
	assert_int_equal(cf_informer_wait_synced(inf, 30000), 0);
	assert_int_equal(cf_informer_list_count(inf), 1);
	patch_widget(ns, "w1", "{\"spec\":{\"n\":2}}");
	patch_widget(ns, "w1", "{\"spec\":{\"n\":3}}");

	/*
	 * The apiserver's watch cache serves old resourceVersions from memory even after etcd
	 * compacted them, so the apiserver goes down while etcd's history is cut, and its new
	 * watch cache starts past the compacted revision.
	 */
	assert_int_equal(cluster_apiserver_kill(&cl), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cluster_etcd_bump(&cl), 0);
	int64_t rev = cluster_etcd_revision(&cl);
	assert_true(rev > atoll(old_rv));
	assert_int_equal(cluster_etcd_compact(&cl, rev), 0);
	assert_int_equal(cluster_apiserver_start(&cl), 0);
	assert_int_equal(wait_serving(ns, 120000), 0);

	/* A watch from the old point: an ERROR event with the 410 Status, then CF_EGONE. */
	watch_seen seen = {0};
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, NULL};
	cf_kube_watch_opts wo = {.resource_version = old_rv, .timeout_seconds = 5};
	int err;
	/* 429 while the new watch cache initialises (it may still be filling after lists work) */
	for (int64_t until = mono_ms() + 30000;
	     (err = cf_kube_watch(kube, &ref, &wo, on_watch_event, &seen, NULL)) == CF_EUNAVAILABLE &&
	     mono_ms() < until;
	     usleep(200000))
		seen = (watch_seen){0};
	print_message("watch from %s after compaction at %lld: %s (%s)\n", old_rv, (long long)rev,
		      cf_error_name(err), cf_error_last());
	assert_int_equal(err, CF_EGONE);
	assert_int_equal(seen.errors, 1);
	assert_int_equal(seen.code, 410);
	assert_int_equal(seen.events, 1);

	/* The informer resumes from its own, now compacted, resourceVersion: 410, then a new list. */
	WAIT_FOR(cf_informer_list_count(inf) >= 2, 90000);
	assert_true(cf_informer_list_count(inf) >= 2);
	create_widget(ns, "w2", NULL, 0);
	delete_widget(ns, "w0");
	snprintf(key, sizeof(key), "%s/w2", ns);
	cf_cache *cache = cf_informer_cache(inf);
	WAIT_FOR(cf_cache_len(cache) == 2 && cache_matches_list(cache, ns), 30000);
	assert_true(cache_matches_list(cache, ns));
	char *text = NULL;
	assert_int_equal(cf_cache_get(cache, &text, key), 0);
	free(text);
	print_message("informer listed %u times\n", cf_informer_list_count(inf));
	cf_informer_free(inf);
}

/* ---- setup ---- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &n, '\0', f) <= 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int teardown(void **state);

static int start_cluster(void)
{
	cf_kube_resource res;
	int err;

	if (cluster_up(&cl) < 0) {
		fprintf(stderr, "resilience: cannot start a private control plane\n");
		return -1;
	}
	if (cf_kube_config_load_file(&kcfg, cl.kubeconfig, NULL) < 0 || cf_kube_new(&kube, kcfg, NULL) < 0)
		return -1;
	char *crd = read_text(WIDGET_CRD);
	err = crd ? cf_kube_create(kube, NULL, NULL, crd, NULL) : CF_EIO;
	free(crd);
	if (err < 0 && err != CF_EEXISTS)
		return -1;
	for (int64_t until = mono_ms() + 30000;
	     (err = cf_kube_resolve(kube, &res, "test.cflux.io/v1", "Widget")) < 0 && mono_ms() < until;
	     usleep(200000))
		cf_kube_discovery_reset(kube);
	return err < 0 ? -1 : 0;
}

static int setup(void **state)
{
	const char *shared = getenv("CF_KUBECONFIG");

	if (!shared || !*shared)
		return 0;
	if (start_cluster() == 0)
		return 0;
	teardown(state); /* cmocka does not tear down after a failed group setup */
	return -1;
}

static int teardown(void **state)
{
	cf_kube_free(kube);
	kube = NULL;
	cf_kube_config_free(kcfg);
	cluster_down(&cl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_apiserver_restart_under_controller, stop_controller),
		cmocka_unit_test(test_compacted_watch_gets_410_and_informer_relists),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
