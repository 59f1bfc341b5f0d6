/*
 * The runtime against a real kube-apiserver: informer/cache fidelity, the widget test controller
 * (reconcile, secondary watch through an index, health and metrics, SIGTERM), and leader election
 * with fail-over. Skips when CF_KUBECONFIG is unset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "cf/runtime.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static cf_kube_config *kcfg;
static cf_kube *kube;
static char tmpdir[] = "/tmp/cf-runtime-it-XXXXXX";

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define WAIT_FOR(cond, timeout_ms)                                                           \
	do {                                                                                 \
		int64_t until_ = mono_ms() + (timeout_ms);                                   \
		while (!(cond) && mono_ms() < until_)                                        \
			usleep(50000);                                                       \
	} while (0)

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	assert_non_null(f);
	assert_int_equal(getdelim(&buf, &n, '\0', f) > 0, 1);
	fclose(f);
	return buf;
}

/* ---- cluster objects ---- */

static void new_namespace(char *out, size_t size, const char *prefix)
{
	char body[256];

	snprintf(out, size, "%s-%d-%ld", prefix, (int)getpid(), (long)(mono_ms() % 100000));
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", out);
	assert_int_equal(cf_kube_create(kube, NULL, NULL, body, NULL), 0);
}

static void create_widget(const char *ns, const char *name, const char *spec)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"test.cflux.io/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"%s\","
		 "\"namespace\":\"%s\"},\"spec\":%s}", name, ns, spec);
	assert_int_equal(cf_kube_create(kube, NULL, NULL, body, NULL), 0);
}

static void patch_widget(const char *ns, const char *name, const char *patch)
{
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, name};

	assert_int_equal(cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_MERGE, patch, NULL), 0);
}

static json_t *get_obj(const char *api_version, const char *kind, const char *ns, const char *name)
{
	cf_kube_ref ref = {api_version, kind, ns, name};
	char *text = NULL;

	if (cf_kube_get(kube, &text, &ref) < 0)
		return NULL;
	json_t *o = json_loads(text, 0, NULL);
	free(text);
	return o;
}

/* status.<field> of a Widget as a string ("" when absent); generation checks use the ints. */
static int widget_status_is(const char *ns, const char *name, const char *field, const char *want)
{
	json_t *o = get_obj("test.cflux.io/v1", "Widget", ns, name);
	const char *v = json_string_value(json_object_get(json_object_get(o, "status"), field));
	int ok = v && strcmp(v, want) == 0;

	json_decref(o);
	return ok;
}

static int widget_observed_current(const char *ns, const char *name)
{
	json_t *o = get_obj("test.cflux.io/v1", "Widget", ns, name);
	json_int_t gen = json_integer_value(json_object_get(json_object_get(o, "metadata"), "generation"));
	json_int_t obs = json_integer_value(json_object_get(json_object_get(o, "status"), "observedGeneration"));
	int ready = cf_cond_has_status(o, CF_COND_READY, "True");

	json_decref(o);
	return o && gen > 0 && gen == obs && ready;
}

static void lease_holder(char *out, size_t size, const char *ns)
{
	cf_kube_lease l;

	out[0] = '\0';
	if (cf_kube_lease_get(kube, &l, ns, "widget-controller-leader-election") == 0)
		snprintf(out, size, "%s", l.holder_identity);
}

/* ---- controller processes ---- */

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

typedef struct {
	pid_t pid;
	int health_port, metrics_port;
	char record[256];
	char instance[32];
} proc;

/* Every started controller, so a failed assertion cannot leave one running. */
static pid_t started[16];
static size_t nstarted;

static int kill_started(void **state)
{
	for (size_t i = 0; i < nstarted; i++) {
		if (started[i] > 0 && kill(started[i], SIGKILL) == 0)
			waitpid(started[i], NULL, 0);
		started[i] = 0;
	}
	nstarted = 0;
	return 0;
}

static const char *extra_arg = "--reconcile-delay=0s";

static void start_controller(proc *p, const char *ns, const char *instance, int leader_election)
{
	char health[64], metrics[64], record[300], inst[64];

	p->health_port = free_port();
	p->metrics_port = free_port();
	snprintf(p->instance, sizeof(p->instance), "%s", instance);
	snprintf(p->record, sizeof(p->record), "%s/%s-%s.log", tmpdir, ns, instance);
	snprintf(health, sizeof(health), "--health-addr=127.0.0.1:%d", p->health_port);
	snprintf(metrics, sizeof(metrics), "--metrics-addr=127.0.0.1:%d", p->metrics_port);
	snprintf(record, sizeof(record), "--record-file=%s", p->record);
	snprintf(inst, sizeof(inst), "--instance=%s", instance);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		setenv("RUNTIME_NAMESPACE", ns, 1);
		char *argv[] = {WIDGET_CONTROLLER, "--kubeconfig", getenv("CF_KUBECONFIG"),
				"--watch-all-namespaces=false", health, metrics, record, inst,
				"--log-level=debug",
				leader_election ? "--enable-leader-election" : "--concurrent=2",
				"--leader-election-lease-duration=4s", "--leader-election-renew-deadline=3s",
				"--leader-election-retry-period=500ms", (char *)extra_arg, NULL};
		execv(argv[0], argv);
		_exit(127);
	}
	if (nstarted < sizeof(started) / sizeof(started[0]))
		started[nstarted++] = p->pid;
}

/* Waits for the process to exit; returns its exit status, or -1 on timeout. */
static int wait_exit(proc *p, int64_t timeout_ms)
{
	int status;
	int64_t until = mono_ms() + timeout_ms;

	while (mono_ms() < until) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid) {
			for (size_t i = 0; i < nstarted; i++)
				if (started[i] == p->pid)
					started[i] = 0;
			p->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(20000);
	}
	return -1;
}

static void kill_controller(proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		for (size_t i = 0; i < nstarted; i++)
			if (started[i] == p->pid)
				started[i] = 0;
		p->pid = 0;
	}
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

typedef struct {
	char body[65536];
	size_t len;
} sink;

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
	sink *s = ud;
	size_t len = size * n;

	if (s->len + len >= sizeof(s->body))
		len = sizeof(s->body) - s->len - 1;
	memcpy(s->body + s->len, ptr, len);
	s->len += len;
	s->body[s->len] = '\0';
	return size * n;
}

static long http_get(int port, const char *path, sink *s)
{
	char url[128];
	long code = 0;
	CURL *c = curl_easy_init();

	memset(s, 0, sizeof(*s));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	if (curl_easy_perform(c) != CURLE_OK)
		code = -1;
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

/* A "Name: <n> kB" line of /proc/<pid>/status, or -1. */
static long proc_status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kib = -1;
	size_t flen = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, flen) == 0 && sscanf(line + flen, "%ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* ---- setup ---- */

static int setup(void **state)
{
	const char *path = getenv("CF_KUBECONFIG");
	char *crd;
	cf_kube_resource res;

	if (!path || !*path)
		return 0;
	assert_int_equal(cf_kube_config_load_file(&kcfg, path, NULL), 0);
	assert_int_equal(cf_kube_new(&kube, kcfg, NULL), 0);
	assert_non_null(mkdtemp(tmpdir));
	crd = read_text("testdata/widget-crd.json");
	int err = cf_kube_create(kube, NULL, NULL, crd, NULL);
	free(crd);
	assert_true(err == 0 || err == CF_EEXISTS);
	int64_t until = mono_ms() + 30000;
	while ((err = cf_kube_resolve(kube, &res, "test.cflux.io/v1", "Widget")) < 0 && mono_ms() < until) {
		cf_kube_discovery_reset(kube);
		usleep(200000);
	}
	assert_int_equal(err, 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	cf_kube_free(kube);
	cf_kube_config_free(kcfg);
	if (strstr(tmpdir, "XXXXXX") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			return 0;
	}
	return 0;
}

#define SKIP_WITHOUT_CLUSTER()                                                               \
	do {                                                                                 \
		if (!kube)                                                                   \
			skip();                                                              \
	} while (0)

/* ---- informer ---- */

typedef struct {
	pthread_mutex_t mu;
	int adds, updates, deletes;
} counts;

static void count_event(void *ctx, cf_informer_event ev, const char *key, const json_t *obj,
			const json_t *old)
{
	counts *c = ctx;

	pthread_mutex_lock(&c->mu);
	if (ev == CF_INFORMER_ADD)
		c->adds++;
	else if (ev == CF_INFORMER_UPDATE)
		c->updates++;
	else
		c->deletes++;
	pthread_mutex_unlock(&c->mu);
}

static int get_count(counts *c, int *field)
{
	pthread_mutex_lock(&c->mu);
	int v = *field;
	pthread_mutex_unlock(&c->mu);
	return v;
}

typedef struct {
	cf_cache *cache;
	int mismatches, items;
} compare_ctx;

/* Each listed object must be cached with the same resourceVersion. */
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

static int cache_matches_list(cf_cache *cache, const char *ns)
{
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", ns, NULL};
	compare_ctx cc = {cache, 0, 0};

	if (cf_kube_list(kube, NULL, &ref, NULL, compare_item, &cc) < 0)
		return 0;
	return cc.mismatches == 0 && (size_t)cc.items == cf_cache_len(cache);
}

static void test_informer_sees_every_change(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64], name[32];
	counts c = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};
	cf_informer *inf = NULL;

	new_namespace(ns, sizeof(ns), "rt-inf");
	create_widget(ns, "before-start", "{\"n\":0}");
	cf_informer_opts opts = {.api_version = "test.cflux.io/v1", .kind = "Widget", .namespace_ = ns};
	assert_int_equal(cf_informer_new(&inf, kube, &opts), 0);
	assert_int_equal(cf_informer_add_handler(inf, count_event, &c), 0);
	assert_int_equal(cf_informer_start(inf), 0);
	assert_int_equal(cf_informer_wait_synced(inf, 20000), 0);
	assert_int_equal(get_count(&c, &c.adds), 1);
	assert_int_equal(cf_informer_list_count(inf), 1);

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		create_widget(ns, name, "{\"n\":1}");
	}
	patch_widget(ns, "w1", "{\"spec\":{\"n\":2}}");
	patch_widget(ns, "w2", "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
	cf_kube_ref del = {"test.cflux.io/v1", "Widget", ns, "w3"};
	assert_int_equal(cf_kube_delete(kube, NULL, &del, NULL), 0);

	WAIT_FOR(get_count(&c, &c.adds) == 6 && get_count(&c, &c.updates) == 2 &&
		 get_count(&c, &c.deletes) == 1, 20000);
	assert_int_equal(get_count(&c, &c.adds), 6);
	assert_int_equal(get_count(&c, &c.updates), 2);
	assert_int_equal(get_count(&c, &c.deletes), 1);
	cf_cache *cache = cf_informer_cache(inf);
	assert_int_equal(cf_cache_len(cache), 5);
	assert_true(cache_matches_list(cache, ns));
	json_t *w1 = NULL;
	assert_int_equal(cf_cache_get_json(cache, &w1, "x"), CF_ENOTFOUND);
	char key[96];
	snprintf(key, sizeof(key), "%s/w1", ns);
	assert_int_equal(cf_cache_get_json(cache, &w1, key), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(w1, "spec"), "n")), 2);
	assert_null(json_object_get(json_object_get(w1, "metadata"), "managedFields"));
	json_decref(w1);
	char rv[64];
	cf_informer_resource_version(inf, rv, sizeof(rv));
	assert_true(rv[0] != '\0');
	cf_informer_free(inf);
}

/* ---- the test controller ---- */

static void test_controller_reconciles_watches_and_stops(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64], body[512];
	proc p = {0};
	sink s;

	new_namespace(ns, sizeof(ns), "rt-ctl");
	create_widget(ns, "a", "{\"configMap\":\"cfg\"}");
	create_widget(ns, "b", "{}");
	start_controller(&p, ns, "solo", 0);
	WAIT_FOR(widget_observed_current(ns, "a") && widget_observed_current(ns, "b"), 20000);
	assert_true(widget_observed_current(ns, "a"));
	assert_true(widget_observed_current(ns, "b"));
	assert_true(widget_status_is(ns, "a", "reconciledBy", "solo"));

	/* A spec change (new generation) is reconciled again; Ready keeps its transition time. */
	json_t *before = get_obj("test.cflux.io/v1", "Widget", ns, "b");
	char ltt[64];
	snprintf(ltt, sizeof(ltt), "%s", json_string_value(json_object_get(cf_cond_get(before, "Ready"), "lastTransitionTime")));
	json_decref(before);
	patch_widget(ns, "b", "{\"spec\":{\"n\":7}}");
	WAIT_FOR(widget_observed_current(ns, "b") && count_lines(p.record) >= 3, 20000);
	json_t *after = get_obj("test.cflux.io/v1", "Widget", ns, "b");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(after, "status"), "observedGeneration")), 2);
	assert_string_equal(json_string_value(json_object_get(cf_cond_get(after, "Ready"), "lastTransitionTime")), ltt);
	assert_null(cf_cond_get(after, "Reconciling"));
	json_decref(after);

	/* The requestedAt annotation triggers a reconcile that echoes it. */
	patch_widget(ns, "b", "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"now-1\"}}}");
	WAIT_FOR(widget_status_is(ns, "b", "lastHandledReconcileAt", "now-1"), 20000);
	assert_true(widget_status_is(ns, "b", "lastHandledReconcileAt", "now-1"));

	/* A labelled ConfigMap reaches the Widget that names it, through the secondary index. */
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cfg\",\"namespace\":\"%s\","
		 "\"labels\":{\"test.cflux.io/widget-config\":\"true\"}},\"data\":{\"value\":\"one\"}}", ns);
	assert_int_equal(cf_kube_create(kube, NULL, NULL, body, NULL), 0);
	WAIT_FOR(widget_status_is(ns, "a", "configValue", "one"), 20000);
	assert_true(widget_status_is(ns, "a", "configValue", "one"));
	cf_kube_ref cm = {"v1", "ConfigMap", ns, "cfg"};
	assert_int_equal(cf_kube_patch(kube, NULL, &cm, CF_KUBE_PATCH_MERGE, "{\"data\":{\"value\":\"two\"}}", NULL), 0);
	WAIT_FOR(widget_status_is(ns, "a", "configValue", "two"), 20000);
	assert_true(widget_status_is(ns, "a", "configValue", "two"));

	/* Health, readiness and Flux's metric names. */
	assert_int_equal(http_get(p.health_port, "/healthz", &s), 200);
	assert_int_equal(http_get(p.health_port, "/readyz", &s), 200);
	assert_int_equal(http_get(p.metrics_port, "/metrics", &s), 200);
	assert_non_null(strstr(s.body, "controller_runtime_reconcile_total{controller=\"widget\",result=\"success\"}"));
	assert_non_null(strstr(s.body, "gotk_reconcile_duration_seconds_bucket{kind=\"Widget\",name=\"a\""));
	assert_non_null(strstr(s.body, "workqueue_depth{name=\"widget\"} 0"));
	assert_non_null(strstr(s.body, "workqueue_adds_total{name=\"widget\"}"));
	assert_non_null(strstr(s.body, "gotk_suspend_status{kind=\"Widget\",name=\"b\""));

	/*
	 * Private memory is what the runtime controls; the rest of VmRSS is shared library text
	 * (libcrypto, libc, gnutls via libmicrohttpd, libcurl) shared by every process using it.
	 */
	long anon = proc_status_kib(p.pid, "RssAnon:"), rss = proc_status_kib(p.pid, "VmRSS:");
	print_message("idle controller: VmRSS %ld KiB, RssAnon %ld KiB\n", rss, anon);
#ifndef __SANITIZE_ADDRESS__ /* ASan's shadow memory would dominate */
	assert_true(anon > 0 && anon < 4 * 1024);
#endif

	/* SIGTERM: exit 0 promptly. */
	int64_t t0 = mono_ms();
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	print_message("SIGTERM to exit: %lld ms\n", (long long)(mono_ms() - t0));
	kill_controller(&p);
}

/* ---- leader election ---- */

static void test_leader_election_failover(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64], holder[256];
	proc a = {0}, b = {0};

	new_namespace(ns, sizeof(ns), "rt-le");
	create_widget(ns, "w", "{\"n\":1}");
	start_controller(&a, ns, "alpha", 1);
	start_controller(&b, ns, "beta", 1);
	WAIT_FOR(widget_observed_current(ns, "w"), 30000);
	assert_true(widget_observed_current(ns, "w"));
	lease_holder(holder, sizeof(holder), ns);
	assert_true(holder[0] != '\0');
	json_t *o = get_obj("test.cflux.io/v1", "Widget", ns, "w");
	const char *by = json_string_value(json_object_get(json_object_get(o, "status"), "reconciledBy"));
	assert_non_null(by);
	proc *leader = strcmp(by, "alpha") == 0 ? &a : &b;
	proc *standby = leader == &a ? &b : &a;
	json_decref(o);

	/* Exactly one instance reconciles, also after more changes. */
	patch_widget(ns, "w", "{\"spec\":{\"n\":2}}");
	WAIT_FOR(widget_observed_current(ns, "w") && count_lines(leader->record) >= 2, 20000);
	usleep(1000000);
	assert_true(count_lines(leader->record) >= 2);
	assert_int_equal(count_lines(standby->record), 0);
	/* The standby is still ready (caches synced) while it waits for the Lease. */
	sink s;
	assert_int_equal(http_get(standby->health_port, "/readyz", &s), 200);

	/* Kill the leader without a chance to release: the standby takes over within the lease. */
	kill_controller(leader);
	int64_t t0 = mono_ms();
	patch_widget(ns, "w", "{\"spec\":{\"n\":3}}");
	WAIT_FOR(widget_status_is(ns, "w", "reconciledBy", standby->instance) &&
		 widget_observed_current(ns, "w"), 15000);
	int64_t took = mono_ms() - t0;
	print_message("fail-over took %lld ms (lease 4s)\n", (long long)took);
	assert_true(widget_status_is(ns, "w", "reconciledBy", standby->instance));
	assert_true(widget_observed_current(ns, "w"));
	assert_true(took < 4000 + 2500);
	cf_kube_lease l;
	assert_int_equal(cf_kube_lease_get(kube, &l, ns, "widget-controller-leader-election"), 0);
	assert_string_not_equal(l.holder_identity, holder);
	assert_int_equal(l.lease_transitions, 1);
	assert_int_equal(l.lease_duration_seconds, 4);
	kill_controller(standby);
}

static void test_sigterm_releases_lease(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64], holder[256];
	proc p = {0};

	new_namespace(ns, sizeof(ns), "rt-rel");
	create_widget(ns, "w", "{}");
	start_controller(&p, ns, "solo", 1);
	WAIT_FOR(widget_observed_current(ns, "w"), 30000);
	lease_holder(holder, sizeof(holder), ns);
	assert_true(holder[0] != '\0');
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	lease_holder(holder, sizeof(holder), ns);
	assert_string_equal(holder, "");
	kill_controller(&p);
}

/* SIGTERM while a reconcile runs: readyz fails at once, the reconcile finishes, exit 0. */
static void test_sigterm_waits_for_in_flight_reconcile(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64];
	proc p = {0};
	sink s;

	new_namespace(ns, sizeof(ns), "rt-drain");
	extra_arg = "--reconcile-delay=2s";
	start_controller(&p, ns, "slow", 0);
	extra_arg = "--reconcile-delay=0s";
	WAIT_FOR(http_get(p.health_port, "/readyz", &s) == 200, 20000);
	create_widget(ns, "w", "{}");
	WAIT_FOR(count_lines(p.record) == 1, 20000);
	assert_int_equal(count_lines(p.record), 1);
	assert_false(widget_observed_current(ns, "w"));
	int64_t t0 = mono_ms();
	kill(p.pid, SIGTERM);
	usleep(300000);
	assert_int_equal(http_get(p.health_port, "/readyz", &s), 500);
	assert_int_equal(wait_exit(&p, 15000), 0);
	int64_t took = mono_ms() - t0;
	print_message("drained an in-flight reconcile in %lld ms\n", (long long)took);
	assert_true(took >= 1000);
	/* The reconcile that was running when the signal came completed its status write. */
	assert_true(widget_observed_current(ns, "w"));
}

/* A second SIGTERM while draining exits at once with status 1, as controller-runtime does. */
static void test_second_sigterm_exits_directly(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64];
	proc p = {0};

	new_namespace(ns, sizeof(ns), "rt-2sig");
	extra_arg = "--reconcile-delay=20s";
	start_controller(&p, ns, "stuck", 0);
	extra_arg = "--reconcile-delay=0s";
	create_widget(ns, "w", "{}");
	WAIT_FOR(count_lines(p.record) == 1, 20000);
	assert_int_equal(count_lines(p.record), 1);
	kill(p.pid, SIGTERM);
	usleep(300000);
	assert_int_equal(wait_exit(&p, 100), -1); /* still draining */
	int64_t t0 = mono_ms();
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 3000), 1);
	assert_true(mono_ms() - t0 < 3000);
}

/* Errors retry with per-item exponential backoff; a requeue result repeats on its delay. */
static void test_error_backoff_and_requeue(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64];
	proc p = {0};
	sink s;

	new_namespace(ns, sizeof(ns), "rt-retry");
	create_widget(ns, "bad", "{\"fail\":true}");
	create_widget(ns, "tick", "{\"requeueAfterMs\":500}");
	extra_arg = "--min-retry-delay=100ms";
	start_controller(&p, ns, "retry", 0);
	extra_arg = "--reconcile-delay=0s";
	WAIT_FOR(count_lines(p.record) >= 1, 20000);
	usleep(2600000);
	/* "bad" retries at about 0.1, 0.3, 0.7, 1.5 s (then 3.1 s): 5 attempts; "tick" every 0.5 s. */
	char cmd[640], out[64] = "";
	snprintf(cmd, sizeof(cmd), "grep -c '/bad ' %s; grep -c '/tick ' %s", p.record, p.record);
	FILE *f = popen(cmd, "r");
	int bad = 0, tick = 0;
	assert_non_null(f);
	if (fgets(out, sizeof(out), f))
		bad = atoi(out);
	if (fgets(out, sizeof(out), f))
		tick = atoi(out);
	pclose(f);
	print_message("in 2.6 s: %d failing attempts, %d requeued runs\n", bad, tick);
	assert_true(bad >= 4 && bad <= 6);
	assert_true(tick >= 4 && tick <= 7);

	/* A retriable failure: Ready=False, Reconciling=ProgressingWithRetry, generation not observed. */
	json_t *o = get_obj("test.cflux.io/v1", "Widget", ns, "bad");
	assert_true(cf_cond_has_status(o, CF_COND_READY, "False"));
	assert_string_equal(json_string_value(json_object_get(cf_cond_get(o, CF_COND_RECONCILING), "reason")),
			    CF_REASON_PROGRESSING_WITH_RETRY);
	assert_null(json_object_get(json_object_get(o, "status"), "observedGeneration"));
	json_decref(o);
	assert_int_equal(http_get(p.metrics_port, "/metrics", &s), 200);
	assert_non_null(strstr(s.body, "controller_runtime_reconcile_total{controller=\"widget\",result=\"error\"}"));
	assert_non_null(strstr(s.body, "controller_runtime_reconcile_total{controller=\"widget\",result=\"requeue_after\"}"));
	assert_non_null(strstr(s.body, "controller_runtime_reconcile_errors_total{controller=\"widget\"}"));
	assert_non_null(strstr(s.body, "workqueue_retries_total{name=\"widget\"}"));
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
}

/* Two electors in one process: one leads; on release the other takes over at once. */
static void test_leader_release_handover(void **state)
{
	SKIP_WITHOUT_CLUSTER();
	char ns[64];
	cf_leader *a = NULL, *b = NULL;

	new_namespace(ns, sizeof(ns), "rt-le2");
	cf_leader_opts oa = {.namespace_ = ns, .name = "pair", .identity = "a",
			     .lease_duration_ms = 30000, .renew_deadline_ms = 20000, .retry_period_ms = 300};
	cf_leader_opts ob = oa;
	ob.identity = "b";
	assert_int_equal(cf_leader_new(&a, kube, &oa), 0);
	assert_int_equal(cf_leader_start(a), 0);
	assert_int_equal(cf_leader_wait(a, 10000), 0);
	assert_int_equal(cf_leader_new(&b, kube, &ob), 0);
	assert_int_equal(cf_leader_start(b), 0);
	assert_int_equal(cf_leader_wait(b, 1500), CF_ETIMEOUT);
	assert_true(cf_leader_is_leader(a));
	assert_false(cf_leader_is_leader(b));
	int64_t t0 = mono_ms();
	cf_leader_free(a);
	/* The Lease is 30s long, so only the release explains a quick take-over. */
	assert_int_equal(cf_leader_wait(b, 5000), 0);
	assert_true(mono_ms() - t0 < 5000);
	cf_kube_lease l;
	assert_int_equal(cf_kube_lease_get(kube, &l, ns, "pair"), 0);
	assert_string_equal(l.holder_identity, "b");
	assert_int_equal(l.lease_transitions, 1);
	cf_leader_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_informer_sees_every_change),
		cmocka_unit_test_teardown(test_controller_reconciles_watches_and_stops, kill_started),
		cmocka_unit_test(test_leader_release_handover),
		cmocka_unit_test_teardown(test_leader_election_failover, kill_started),
		cmocka_unit_test_teardown(test_sigterm_releases_lease, kill_started),
		cmocka_unit_test_teardown(test_sigterm_waits_for_in_flight_reconcile, kill_started),
		cmocka_unit_test_teardown(test_error_backoff_and_requeue, kill_started),
		cmocka_unit_test_teardown(test_second_sigterm_exits_directly, kill_started),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
