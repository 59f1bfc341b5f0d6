/*
 * Runtime benchmarks, driven by run.sh against a private control plane:
 *   bench_runtime queue WORKERS ITEMS        work queue adds and get/done per second
 *   bench_runtime crd FILE                   installs a CRD and waits until it is served
 *   bench_runtime create NS N THREADS        creates N ConfigMaps with ~400 bytes of data
 *   bench_runtime rss NS N                   runs the runtime caching NS's ConfigMaps; prints memory
 *   bench_runtime watch NS N THREADS         informer throughput: creates N ConfigMaps, times events
 *   bench_runtime list NS                    where list time goes: transport vs decode vs cache
 * Results are printed as "key value" lines for run.sh to tabulate.
 */
#include "cf/error.h"
#include "cf/kube.h"
#include "cf/log.h"
#include "cf/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_runtime: %s: %s\n", what, cf_error_last());
	exit(1);
}

/* A "Name: <n> kB" line of /proc/self/status, in KiB. */
static long status_kib(const char *field)
{
	char line[256];
	long kib = -1;
	size_t flen = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, flen) == 0 && sscanf(line + flen, "%ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The file mappings with the most resident memory (shared library text, mostly), largest first. */
static void print_file_mappings(size_t top)
{
	struct { char path[160]; long kib; } maps[256];
	size_t n = 0;
	char line[512], path[160] = "";
	long kib;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *slash = strchr(line, '/');
		if (strchr(line, '-') == line + strspn(line, "0123456789abcdef")) {
			snprintf(path, sizeof(path), "%s", slash ? slash : "");
			path[strcspn(path, "\n")] = '\0';
		} else if (path[0] && sscanf(line, "Rss: %ld kB", &kib) == 1) {
			size_t i = 0;
			while (i < n && strcmp(maps[i].path, path) != 0)
				i++;
			if (i == n && n < sizeof(maps) / sizeof(maps[0]))
				snprintf(maps[n++].path, sizeof(maps[0].path), "%s", path);
			if (i < n)
				maps[i].kib += kib;
		}
	}
	fclose(f);
	for (size_t k = 0; k < top && k < n; k++) {
		size_t best = k;
		for (size_t i = k + 1; i < n; i++)
			if (maps[i].kib > maps[best].kib)
				best = i;
		if (best != k) {
			char tmp[sizeof(maps[0])];
			memcpy(tmp, &maps[k], sizeof(tmp));
			memcpy(&maps[k], &maps[best], sizeof(tmp));
			memcpy(&maps[best], tmp, sizeof(tmp));
		}
		const char *base = strrchr(maps[k].path, '/');
		printf("file_rss_kib %s %ld\n", base ? base + 1 : maps[k].path, maps[k].kib);
	}
}

static cf_kube *connect_client(double qps)
{
	cf_kube_config *cfg = NULL;
	cf_kube *k = NULL;
	cf_kube_opts o = {.qps = qps, .burst = 1000};

	if (cf_kube_config_load_default(&cfg, getenv("CF_KUBECONFIG"), NULL) < 0 ||
	    cf_kube_new(&k, cfg, &o) < 0)
		die("client");
	cf_kube_config_free(cfg);
	return k;
}

/* ---- queue ---- */

typedef struct {
	cf_queue *q;
	atomic_long done;
} queue_run;

static void *queue_worker(void *arg)
{
	queue_run *r = arg;
	char *key;

	while (cf_queue_get(r->q, &key, -1) == 0) {
		cf_queue_done(r->q, key);
		free(key);
		atomic_fetch_add(&r->done, 1);
	}
	return NULL;
}

/* Adds ITEMS distinct keys, then lets WORKERS drain them; times both phases. */
static int bench_queue(int workers, long items)
{
	queue_run r = {.done = 0};
	pthread_t th[64];
	char key[64];

	if (workers < 1 || workers > 64 || cf_queue_new(&r.q, NULL) < 0)
		return 2;
	double t0 = now_s();
	for (long i = 0; i < items; i++) {
		snprintf(key, sizeof(key), "namespace-%ld/object-%ld", i % 100, i);
		cf_queue_add(r.q, key);
	}
	double t1 = now_s();
	for (int i = 0; i < workers; i++)
		pthread_create(&th[i], NULL, queue_worker, &r);
	while (atomic_load(&r.done) < items)
		usleep(1000);
	double t2 = now_s();
	/* Mixed: adds racing with workers, half of them duplicates of waiting keys. */
	for (long i = 0; i < items; i++) {
		snprintf(key, sizeof(key), "namespace-%ld/object-%ld", i % 100, i / 2);
		cf_queue_add(r.q, key);
	}
	while (cf_queue_len(r.q) || cf_queue_processing(r.q))
		usleep(1000);
	double t3 = now_s();
	cf_queue_shut_down(r.q);
	for (int i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	cf_queue_free(r.q);
	printf("queue_workers %d\nqueue_adds_per_s %.0f\nqueue_get_done_per_s %.0f\n"
	       "queue_mixed_adds_per_s %.0f\n", workers, items / (t1 - t0), items / (t2 - t1),
	       items / (t3 - t2));
	return 0;
}

/* ---- objects ---- */

static int install_crd(const char *path)
{
	cf_kube *k = connect_client(-1);
	cf_kube_resource res;
	char *text = NULL;
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f || getdelim(&text, &n, '\0', f) <= 0)
		return 1;
	fclose(f);
	int err = cf_kube_create(k, NULL, NULL, text, NULL);
	free(text);
	if (err < 0 && err != CF_EEXISTS)
		die("crd");
	for (int i = 0; i < 300 && cf_kube_resolve(k, &res, "test.cflux.io/v1", "Widget") < 0; i++) {
		cf_kube_discovery_reset(k);
		usleep(100000);
	}
	cf_kube_free(k);
	return 0;
}

typedef struct {
	cf_kube *k;
	const char *ns;
	long from, to;
} create_run;

static void *create_some(void *arg)
{
	create_run *r = arg;
	char body[1024], data[401];

	memset(data, 'x', 400);
	data[400] = '\0';
	for (long i = r->from; i < r->to; i++) {
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%06ld\","
			 "\"namespace\":\"%s\"},\"data\":{\"payload\":\"%s\"}}", i, r->ns, data);
		if (cf_kube_create(r->k, NULL, NULL, body, NULL) < 0)
			die("create");
	}
	return NULL;
}

/* Creates ConfigMaps [from, from + n) with `threads` parallel clients' worth of requests. */
static double create_many(cf_kube *k, const char *ns, long from, long n, int threads)
{
	pthread_t th[32];
	create_run runs[32];
	double t0 = now_s();

	if (threads < 1 || threads > 32)
		threads = 4;
	for (int i = 0; i < threads; i++) {
		runs[i] = (create_run){k, ns, from + n * i / threads, from + n * (i + 1) / threads};
		pthread_create(&th[i], NULL, create_some, &runs[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	return now_s() - t0;
}

static void ensure_namespace(cf_kube *k, const char *ns)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
	int err = cf_kube_create(k, NULL, NULL, body, NULL);
	if (err < 0 && err != CF_EEXISTS)
		die("namespace");
}

static int bench_create(const char *ns, long n, int threads)
{
	cf_kube *k = connect_client(-1);

	ensure_namespace(k, ns);
	double s = create_many(k, ns, 0, n, threads);
	printf("created %ld\ncreate_per_s %.0f\n", n, n / s);
	cf_kube_free(k);
	return 0;
}

/* ---- memory of a runtime process ---- */

static long want_objects;
static pthread_t probe_thread;

/* Sum of the cached JSON texts, the objects' own size. */
static size_t json_bytes(cf_cache *c)
{
	char **keys = NULL, *text = NULL;
	size_t n = 0, sum = 0;

	if (cf_cache_keys(c, &keys, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (cf_cache_get(c, &text, keys[i]) == 0) {
			sum += strlen(text);
			free(text);
		}
	cf_strv_free(keys, n);
	return sum;
}

/* Waits until the ConfigMap cache holds every object, lets the workers settle, reports. */
static void *probe(void *arg)
{
	cf_runtime *rt = arg;
	cf_cache *c;

	while (!(c = cf_runtime_cache(rt, "ConfigMap")) || (long)cf_cache_len(c) < want_objects)
		usleep(100000);
	sleep(2);
	size_t cache = cf_cache_bytes(c), json = json_bytes(c);
	printf("objects %zu\nvmrss_kib %ld\nrssanon_kib %ld\nrssfile_kib %ld\ncache_bytes %zu\n"
	       "json_bytes %zu\n", cf_cache_len(c), status_kib("VmRSS:"), status_kib("RssAnon:"),
	       status_kib("RssFile:"), cache, json);
	if (want_objects == 0)
		print_file_mappings(8);
	fflush(stdout);
	cf_runtime_request_stop(rt);
	return NULL;
}

static void map_nothing(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit,
			void *emit_ctx)
{
}

static cf_result reconcile_nothing(const cf_request *req)
{
	return cf_result_done();
}

static int rss_start(cf_runtime *rt, void **ctx)
{
	return pthread_create(&probe_thread, NULL, probe, rt) == 0 ? 0 : CF_ERROR;
}

static void rss_stop(cf_runtime *rt, void *ctx)
{
	pthread_join(probe_thread, NULL);
}

static const cf_watch_def rss_watches[] = {{"v1", "ConfigMap", map_nothing, NULL}, {NULL}};
static const char *const widget_versions[] = {"v1", NULL};
static const cf_kind rss_kinds[] = {
	{"Widget", "test.cflux.io", widget_versions, "widgets", reconcile_nothing, NULL, rss_watches},
	{NULL},
};
static const cf_service rss_service = {
	.name = "bench-runtime", .kinds = rss_kinds, .start = rss_start, .stop = rss_stop,
};

/* A whole runtime (servers, informers for Widgets and ConfigMaps, workers) in namespace ns. */
static int bench_rss(const char *ns, long n)
{
	char kc[512];

	want_objects = n;
	setenv("RUNTIME_NAMESPACE", ns, 1);
	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	char *argv[] = {"bench-runtime", kc, "--watch-all-namespaces=false", "--log-level=error",
			"--metrics-addr=127.0.0.1:0", "--health-addr=127.0.0.1:0", NULL};
	return cf_runtime_main(sizeof(argv) / sizeof(argv[0]) - 1, argv, &rss_service);
}

/* ---- informer throughput ---- */

typedef struct {
	atomic_long events;
	_Atomic double last;
} event_count;

static void count_event(void *ctx, cf_informer_event ev, const char *key, const json_t *obj,
			const json_t *old)
{
	event_count *c = ctx;

	atomic_fetch_add(&c->events, 1);
	atomic_store(&c->last, now_s());
}

typedef struct {
	cf_cache *cache;   /* NULL: transport and event split only */
	long events, want;
} replay_run;

/* The informer's per-event work (parse, cache put) without its handlers. */
static int on_replay(void *ctx, const cf_kube_watch_event *ev)
{
	replay_run *r = ctx;

	if (ev->type == CF_KUBE_ADDED || ev->type == CF_KUBE_MODIFIED) {
		if (r->cache) {
			json_t *o = json_loadb(ev->object, ev->object_len, 0, NULL);
			if (!o || cf_cache_put(r->cache, o, NULL) < 0)
				die("replay");
			json_decref(o);
		}
		r->events++;
	}
	return r->events >= r->want ? 1 : 0;
}

/*
 * Events replayed from the apiserver's watch cache as fast as it sends them, from rv on: the
 * informer's capacity without the create rate as the bottleneck.
 */
static double replay(cf_kube *k, const char *ns, const char *rv, long n, int with_cache)
{
	cf_kube_ref ref = {"v1", "ConfigMap", ns, NULL};
	cf_kube_watch_opts wo = {.resource_version = rv, .timeout_seconds = 120};
	replay_run r = {.want = n};

	if (with_cache && cf_cache_new(&r.cache, NULL) < 0)
		die("cache");
	double t0 = now_s();
	if (cf_kube_watch(k, &ref, &wo, on_replay, &r, NULL) != 1)
		die("replay watch");
	double s = now_s() - t0;
	cf_cache_free(r.cache);
	return s;
}

static int bench_watch(const char *ns, long n, int threads)
{
	char rv[128];
	cf_kube *k = connect_client(-1);
	cf_informer *inf = NULL;
	event_count c = {.events = 0, .last = 0};

	ensure_namespace(k, ns);
	cf_informer_opts o = {.api_version = "v1", .kind = "ConfigMap", .namespace_ = ns};
	if (cf_informer_new(&inf, k, &o) < 0 || cf_informer_add_handler(inf, count_event, &c) < 0 ||
	    cf_informer_start(inf) < 0 || cf_informer_wait_synced(inf, 60000) < 0)
		die("informer");
	cf_informer_resource_version(inf, rv, sizeof(rv));
	long before = atomic_load(&c.events);
	double t0 = now_s();
	double create_s = create_many(k, ns, 1000000, n, threads);
	while (atomic_load(&c.events) - before < n && now_s() - t0 < 600)
		usleep(1000);
	double seen_s = atomic_load(&c.last) - t0;
	printf("watch_objects %ld\nwatch_create_per_s %.0f\nwatch_events_per_s %.0f\n"
	       "watch_lag_after_last_create_ms %.0f\n", n, n / create_s, n / seen_s,
	       (seen_s - create_s) * 1000);
	double bare = replay(k, ns, rv, n, 0), full = replay(k, ns, rv, n, 1);
	printf("replay_transport_events_per_s %.0f\nreplay_parse_cache_events_per_s %.0f\n",
	       n / bare, n / full);
	cf_informer_free(inf);
	cf_kube_free(k);
	return 0;
}

/* ---- where list time goes ---- */

typedef struct {
	long items;
	size_t bytes;
	int parse;
} list_run;

static int on_item(void *ctx, const char *item, size_t len)
{
	list_run *r = ctx;

	r->items++;
	r->bytes += len;
	if (r->parse) {
		json_t *o = json_loadb(item, len, 0, NULL);
		json_decref(o);
	}
	return 0;
}

/* Transport (list, items handed over), + JSON parse, then a full informer sync into a cache. */
static int bench_list(const char *ns)
{
	cf_kube *k = connect_client(-1);
	cf_kube_ref ref = {"v1", "ConfigMap", ns, NULL};
	list_run plain = {0}, parsed = {.parse = 1};
	cf_informer *inf = NULL;
	cf_informer_opts o = {.api_version = "v1", .kind = "ConfigMap", .namespace_ = ns};

	double t0 = now_s();
	if (cf_kube_list(k, NULL, &ref, NULL, on_item, &plain) < 0)
		die("list");
	double t1 = now_s();
	if (cf_kube_list(k, NULL, &ref, NULL, on_item, &parsed) < 0)
		die("list");
	double t2 = now_s();
	if (cf_informer_new(&inf, k, &o) < 0 || cf_informer_start(inf) < 0 ||
	    cf_informer_wait_synced(inf, 600000) < 0)
		die("informer");
	double t3 = now_s();
	printf("list_items %ld\nlist_item_bytes %zu\nlist_transport_s %.3f\nlist_parse_s %.3f\n"
	       "informer_sync_s %.3f\ninformer_sync_items_per_s %.0f\n", plain.items, plain.bytes,
	       t1 - t0, t2 - t1, t3 - t2, plain.items / (t3 - t2));
	cf_informer_free(inf);
	cf_kube_free(k);
	return 0;
}

int main(int argc, char **argv)
{
	cf_log_init(stderr, CF_LOG_ERROR);
	if (argc >= 4 && !strcmp(argv[1], "queue"))
		return bench_queue(atoi(argv[2]), atol(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "crd"))
		return install_crd(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "create"))
		return bench_create(argv[2], atol(argv[3]), atoi(argv[4]));
	if (argc >= 4 && !strcmp(argv[1], "rss"))
		return bench_rss(argv[2], atol(argv[3]));
	if (argc >= 5 && !strcmp(argv[1], "watch"))
		return bench_watch(argv[2], atol(argv[3]), atoi(argv[4]));
	if (argc >= 3 && !strcmp(argv[1], "list"))
		return bench_list(argv[2]);
	fprintf(stderr, "usage: bench_runtime queue|crd|create|rss|watch|list ... (see the source)\n");
	return 2;
}
