/*
 * The kube client against a real kube-apiserver (tests/cluster/up.sh; CF_KUBECONFIG names its
 * kubeconfig, whose "cflux-nobody" context is an authenticated user without any RBAC grants).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "kubetest.h"
#include "cf/log.h"

static cf_kube *kc;
static char ns[64];

#define CHECK(expr)                                                                          \
	do {                                                                                   \
		int rc_ = (expr);                                                              \
		if (rc_ != 0)                                                                  \
			fail_msg("%s: %s: %s", #expr, cf_error_name(rc_), cf_error_last());   \
	} while (0)

#define EXPECT(expr, code)                                                                   \
	do {                                                                                   \
		int rc_ = (expr);                                                              \
		if (rc_ != (code))                                                             \
			fail_msg("%s: want %s, got %s: %s", #expr, cf_error_name(code),         \
			         cf_error_name(rc_), cf_error_last());                          \
	} while (0)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A string field at a path of keys in JSON text (copied into a static buffer). */
static const char *jstr(const char *json, const char *k1, const char *k2, const char *k3)
{
	static char buf[4096];
	json_t *root = json_loads(json, 0, NULL), *v = root;

	if (v && k1)
		v = json_object_get(v, k1);
	if (v && k2)
		v = json_object_get(v, k2);
	if (v && k3)
		v = json_object_get(v, k3);
	if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, sizeof(buf), "<none>");
	json_decref(root);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	return cft_kube_up(&kc, ns, sizeof(ns), "kube-it");
}

static int teardown(void **state)
{
	(void)state;
	cft_kube_down(kc, ns);
	return 0;
}

#define NEED_CLUSTER()                                                                       \
	do {                                                                                   \
		if (!kc)                                                                       \
			skip(); /* CF_KUBECONFIG is unset: run tests/cluster/up.sh first */    \
	} while (0)

static void cm_body(char *buf, size_t size, const char *name, const char *value)
{
	snprintf(buf, size, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
	                    "\"namespace\":\"%s\",\"labels\":{\"suite\":\"kube-it\"}},"
	                    "\"data\":{\"k\":\"%s\"}}", name, ns, value);
}

static void test_version(void **state)
{
	char *out = NULL;
	long status = 0;

	NEED_CLUSTER();
	CHECK(cf_kube_request(kc, &out, &status, "GET", "/version", NULL, NULL, 0));
	assert_int_equal(status, 200);
	assert_string_equal(jstr(out, "gitVersion", NULL, NULL), "v1.36.3");
	free(out);
	EXPECT(cf_kube_request(kc, &out, &status, "GET", "/apis/nope.example/v1", NULL, NULL, 0),
	       CF_ENOTFOUND);
	assert_int_equal(status, 404);
}

static void test_discovery(void **state)
{
	cf_kube_resource r;

	NEED_CLUSTER();
	CHECK(cf_kube_resolve(kc, &r, "v1", "ConfigMap"));
	assert_string_equal(r.resource, "configmaps");
	assert_string_equal(r.group, "");
	assert_true(r.namespaced);
	CHECK(cf_kube_resolve(kc, &r, "v1", "Namespace"));
	assert_string_equal(r.resource, "namespaces");
	assert_false(r.namespaced);
	CHECK(cf_kube_resolve(kc, &r, "apps/v1", "Deployment"));
	assert_string_equal(r.group, "apps");
	assert_string_equal(r.resource, "deployments");
	CHECK(cf_kube_resolve(kc, &r, "rbac.authorization.k8s.io/v1", "ClusterRole"));
	assert_false(r.namespaced);
	EXPECT(cf_kube_resolve(kc, &r, "v1", "NoSuchKind"), CF_ENOTFOUND);
	assert_non_null(strstr(cf_error_last(), "no matches for kind \"NoSuchKind\""));
	EXPECT(cf_kube_resolve(kc, &r, "nope.example/v1", "Thing"), CF_ENOTFOUND);
	EXPECT(cf_kube_resolve(kc, &r, "a/b/c", "Thing"), CF_EINVALID);
}

static void test_crud(void **state)
{
	cf_kube_ref ref = { "v1", "ConfigMap", ns, "crud" };
	char body[1024], stale[1024], *out = NULL, *got = NULL;
	char rv[64];
	json_t *obj;

	NEED_CLUSTER();
	cm_body(body, sizeof(body), "crud", "one");
	CHECK(cf_kube_create(kc, &out, NULL, body, NULL));
	assert_string_equal(jstr(out, "data", "k", NULL), "one");
	snprintf(rv, sizeof(rv), "%s", jstr(out, "metadata", "resourceVersion", NULL));
	free(out);
	EXPECT(cf_kube_create(kc, NULL, NULL, body, NULL), CF_EEXISTS);
	assert_non_null(strstr(cf_error_last(), "already exists"));

	CHECK(cf_kube_get(kc, &got, &ref));
	assert_string_equal(jstr(got, "metadata", "resourceVersion", NULL), rv);

	/* update with the current resourceVersion, then again with the now stale one */
	obj = json_loads(got, 0, NULL);
	json_object_set_new(json_object_get(obj, "data"), "k", json_string("two"));
	out = json_dumps(obj, JSON_COMPACT);
	snprintf(stale, sizeof(stale), "%s", out);
	free(out);
	json_decref(obj);
	free(got);
	CHECK(cf_kube_update(kc, &out, &ref, stale, NULL));
	assert_string_equal(jstr(out, "data", "k", NULL), "two");
	assert_string_not_equal(jstr(out, "metadata", "resourceVersion", NULL), rv);
	free(out);
	EXPECT(cf_kube_update(kc, NULL, &ref, stale, NULL), CF_ECONFLICT);
	assert_non_null(strstr(cf_error_last(), "the object has been modified"));

	/* the server validates names */
	cm_body(body, sizeof(body), "Not_Valid", "x");
	EXPECT(cf_kube_create(kc, NULL, NULL, body, NULL), CF_EINVALID_OBJ);

	CHECK(cf_kube_delete(kc, NULL, &ref, &(cf_kube_write_opts){ .propagation_policy = "Background" }));
	EXPECT(cf_kube_get(kc, NULL, &ref), CF_ENOTFOUND);
	assert_non_null(strstr(cf_error_last(), "configmaps \"crud\" not found"));
	EXPECT(cf_kube_delete(kc, NULL, &ref, NULL), CF_ENOTFOUND);
}

static void test_delete_preconditions(void **state)
{
	cf_kube_ref ref = { "v1", "ConfigMap", ns, "precond" };
	char body[1024], *out = NULL, uid[64];

	NEED_CLUSTER();
	cm_body(body, sizeof(body), "precond", "x");
	CHECK(cf_kube_create(kc, &out, NULL, body, NULL));
	snprintf(uid, sizeof(uid), "%s", jstr(out, "metadata", "uid", NULL));
	free(out);
	EXPECT(cf_kube_delete(kc, NULL, &ref, &(cf_kube_write_opts){ .precondition_uid = "0000" }),
	       CF_ECONFLICT);
	CHECK(cf_kube_delete(kc, NULL, &ref, &(cf_kube_write_opts){ .dry_run = 1 }));
	CHECK(cf_kube_get(kc, NULL, &ref));
	CHECK(cf_kube_delete(kc, NULL, &ref, &(cf_kube_write_opts){ .precondition_uid = uid }));
	EXPECT(cf_kube_get(kc, NULL, &ref), CF_ENOTFOUND);
}

typedef struct {
	int n;
	int bad;
	char names[64][32];
} collect;

static int collect_item(void *ctx, const char *item, size_t len)
{
	collect *c = ctx;

	if (strcmp(jstr(item, "apiVersion", NULL, NULL), "v1") ||
	    strcmp(jstr(item, "kind", NULL, NULL), "ConfigMap") || strlen(item) != len)
		c->bad++;
	if (c->n < 64)
		snprintf(c->names[c->n], sizeof(c->names[0]), "%s", jstr(item, "metadata", "name", NULL));
	c->n++;
	return 0;
}

static int stop_at_3(void *ctx, const char *item, size_t len)
{
	return ++*(int *)ctx == 3 ? 42 : 0;
}

static void test_list_paging(void **state)
{
	cf_kube_ref ref = { "v1", "ConfigMap", ns, NULL };
	cf_kube_list_opts o = { .label_selector = "suite=kube-it,page=yes", .limit = 7 };
	collect c = { 0 };
	char body[1024], name[32], *rv = NULL, *page = NULL;
	int i, n = 0;

	NEED_CLUSTER();
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "page-%02d", i);
		cm_body(body, sizeof(body), name, "v");
		/* add the page label by a merge patch after create, exercising both */
		CHECK(cf_kube_create(kc, NULL, NULL, body, NULL));
		CHECK(cf_kube_patch(kc, NULL, &(cf_kube_ref){ "v1", "ConfigMap", ns, name },
		                    CF_KUBE_PATCH_MERGE,
		                    "{\"metadata\":{\"labels\":{\"page\":\"yes\"}}}", NULL));
	}
	CHECK(cf_kube_list(kc, &rv, &ref, &o, collect_item, &c));
	assert_int_equal(c.n, 25);
	assert_int_equal(c.bad, 0);
	assert_string_equal(c.names[0], "page-00");
	assert_string_equal(c.names[24], "page-24");
	assert_true(atol(rv) > 0);
	free(rv);

	/* one page by hand: 7 items and a continue token */
	CHECK(cf_kube_list_page(kc, &page, &ref, &o, NULL));
	assert_string_not_equal(jstr(page, "metadata", "continue", NULL), "<none>");
	{
		json_t *l = json_loads(page, 0, NULL);

		assert_int_equal(json_array_size(json_object_get(l, "items")), 7);
		json_decref(l);
	}
	free(page);

	/* field selector and the callback's stop value */
	memset(&c, 0, sizeof(c));
	o.field_selector = "metadata.name=page-13";
	CHECK(cf_kube_list(kc, NULL, &ref, &o, collect_item, &c));
	assert_int_equal(c.n, 1);
	assert_string_equal(c.names[0], "page-13");
	o.field_selector = NULL;
	assert_int_equal(cf_kube_list(kc, NULL, &ref, &o, stop_at_3, &n), 42);
	assert_int_equal(n, 3);
	/* an invalid selector is the server's 400 */
	o.label_selector = "a in (";
	EXPECT(cf_kube_list(kc, NULL, &ref, &o, collect_item, &c), CF_EINVALID);
}

/* ---- watch ---- */

typedef struct {
	pthread_mutex_t mu;
	char log[64][48]; /* "TYPE name value" */
	int n;
	int bookmarks;
	int stop_after_deleted;
	cf_kube_cancel *cancel;
	cf_kube_ref ref;
	cf_kube_watch_opts opts;
	int rc;
	double returned_at;
} watcher;

static int on_event(void *ctx, const cf_kube_watch_event *ev)
{
	static const char *const names[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" };
	watcher *w = ctx;

	pthread_mutex_lock(&w->mu);
	if (ev->type == CF_KUBE_BOOKMARK) {
		w->bookmarks++;
	} else if (w->n < 64) {
		char name[32];

		snprintf(name, sizeof(name), "%s", jstr(ev->object, "metadata", "name", NULL));
		snprintf(w->log[w->n++], sizeof(w->log[0]), "%s %s %s", names[ev->type], name,
		         jstr(ev->object, "data", "k", NULL));
		if (strlen(ev->object) != ev->object_len || !*ev->resource_version)
			snprintf(w->log[w->n++], sizeof(w->log[0]), "BAD EVENT");
	}
	pthread_mutex_unlock(&w->mu);
	return w->stop_after_deleted && ev->type == CF_KUBE_DELETED ? 7 : 0;
}

static void *watch_thread(void *arg)
{
	watcher *w = arg;

	w->rc = cf_kube_watch(kc, &w->ref, &w->opts, on_event, w, w->cancel);
	w->returned_at = now_s();
	return NULL;
}

static int wait_events(watcher *w, int n, double timeout)
{
	double end = now_s() + timeout;
	int have;

	do {
		pthread_mutex_lock(&w->mu);
		have = w->n;
		pthread_mutex_unlock(&w->mu);
		if (have >= n)
			return 1;
		usleep(20000);
	} while (now_s() < end);
	return 0;
}

static void test_watch(void **state)
{
	cf_kube_ref ref = { "v1", "ConfigMap", ns, "watched" };
	watcher w = { .mu = PTHREAD_MUTEX_INITIALIZER, .ref = { "v1", "ConfigMap", ns, NULL } };
	char body[1024], *rv = NULL;
	collect c = { 0 };
	pthread_t th;
	double fired;

	NEED_CLUSTER();
	CHECK(cf_kube_list(kc, &rv, &w.ref, &(cf_kube_list_opts){ .field_selector =
	                   "metadata.name=watched" }, collect_item, &c));
	w.opts = (cf_kube_watch_opts){ .resource_version = rv, .allow_bookmarks = 1,
	                               .field_selector = "metadata.name=watched" };
	CHECK(cf_kube_cancel_new(&w.cancel));
	assert_int_equal(pthread_create(&th, NULL, watch_thread, &w), 0);

	cm_body(body, sizeof(body), "watched", "1");
	CHECK(cf_kube_create(kc, NULL, NULL, body, NULL));
	CHECK(cf_kube_patch(kc, NULL, &ref, CF_KUBE_PATCH_MERGE, "{\"data\":{\"k\":\"2\"}}", NULL));
	CHECK(cf_kube_delete(kc, NULL, &ref, NULL));
	assert_true(wait_events(&w, 3, 20));
	pthread_mutex_lock(&w.mu);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.log[0], "ADDED watched 1");
	assert_string_equal(w.log[1], "MODIFIED watched 2");
	assert_string_equal(w.log[2], "DELETED watched 2");
	pthread_mutex_unlock(&w.mu);

	/* shutdown from another thread ends the idle stream at once */
	fired = now_s();
	cf_kube_cancel_fire(w.cancel);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, CF_ECANCELED);
	assert_true(w.returned_at - fired < 0.5);
	printf("watch cancel latency: %.1f ms\n", (w.returned_at - fired) * 1000);
	/* a fired token refuses new watches */
	EXPECT(cf_kube_watch(kc, &w.ref, &w.opts, on_event, &w, w.cancel), CF_ECANCELED);
	cf_kube_cancel_free(w.cancel);

	/* replay from the same resourceVersion; the callback's value ends the watch */
	pthread_mutex_lock(&w.mu);
	w.n = 0;
	pthread_mutex_unlock(&w.mu);
	w.stop_after_deleted = 1;
	assert_int_equal(cf_kube_watch(kc, &w.ref, &w.opts, on_event, &w, NULL), 7);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.log[2], "DELETED watched 2");
	free(rv);
}

static void test_watch_timeout(void **state)
{
	watcher w = { .mu = PTHREAD_MUTEX_INITIALIZER, .ref = { "v1", "ConfigMap", ns, NULL } };
	double t0;

	NEED_CLUSTER();
	/* no resourceVersion: synthetic ADDED events for what exists, then the server closes */
	w.opts = (cf_kube_watch_opts){ .timeout_seconds = 1, .label_selector = "page=yes" };
	t0 = now_s();
	CHECK(cf_kube_watch(kc, &w.ref, &w.opts, on_event, &w, NULL));
	assert_true(now_s() - t0 >= 0.9);
	assert_int_equal(w.n, 25);
	assert_non_null(strstr(w.log[0], "ADDED page-"));
}

typedef struct {
	int added;
	int end_seen;
	int after_end;
} watch_list_seen;

static int on_watch_list(void *ctx, const cf_kube_watch_event *ev)
{
	watch_list_seen *w = ctx;

	if (w->end_seen)
		w->after_end++;
	if (ev->type == CF_KUBE_ADDED)
		w->added++;
	if (ev->type == CF_KUBE_BOOKMARK && ev->initial_events_end) {
		w->end_seen = 1;
		return 5;
	}
	return 0;
}

/* watch-list: the current state streamed as ADDED events, then the initial-events-end bookmark. */
static void test_watch_list(void **state)
{
	cf_kube_watch_opts o = { .send_initial_events = 1, .label_selector = "page=yes",
	                         .timeout_seconds = 30 };
	watch_list_seen w = { 0 };

	NEED_CLUSTER();
	assert_int_equal(cf_kube_watch(kc, &(cf_kube_ref){ "v1", "ConfigMap", ns, NULL }, &o,
	                               on_watch_list, &w, NULL), 5);
	assert_int_equal(w.added, 25);
	assert_true(w.end_seen);
}

/*
 * A watch from a resourceVersion etcd has compacted away (ERROR 410, CF_EGONE) is tested in
 * tests/integration/resilience on a private control plane: on a shared one the apiserver's watch
 * cache and etcd's compaction schedule make the outcome depend on the cluster's age.
 */

/* ---- patches and server-side apply ---- */

static void test_patches(void **state)
{
	cf_kube_ref ref = { "v1", "ConfigMap", ns, "patched" };
	char body[1024], *out = NULL;

	NEED_CLUSTER();
	cm_body(body, sizeof(body), "patched", "0");
	CHECK(cf_kube_create(kc, NULL, NULL, body, NULL));
	CHECK(cf_kube_patch(kc, &out, &ref, CF_KUBE_PATCH_MERGE, "{\"data\":{\"m\":\"merge\"}}", NULL));
	assert_string_equal(jstr(out, "data", "m", NULL), "merge");
	free(out);
	CHECK(cf_kube_patch(kc, &out, &ref, CF_KUBE_PATCH_JSON,
	                    "[{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"json\"}]", NULL));
	assert_string_equal(jstr(out, "data", "k", NULL), "json");
	free(out);
	CHECK(cf_kube_patch(kc, &out, &ref, CF_KUBE_PATCH_STRATEGIC,
	                    "{\"data\":{\"s\":\"strategic\",\"m\":null}}", NULL));
	assert_string_equal(jstr(out, "data", "s", NULL), "strategic");
	assert_string_equal(jstr(out, "data", "m", NULL), "<none>");
	free(out);
	/* a failing JSON patch test operation is a 422 */
	EXPECT(cf_kube_patch(kc, NULL, &ref, CF_KUBE_PATCH_JSON,
	                     "[{\"op\":\"test\",\"path\":\"/data/k\",\"value\":\"nope\"}]", NULL),
	       CF_EINVALID_OBJ);
	EXPECT(cf_kube_patch(kc, NULL, &ref, CF_KUBE_PATCH_MERGE, "{not json", NULL), CF_EINVALID);
	EXPECT(cf_kube_patch(kc, NULL, &(cf_kube_ref){ "v1", "ConfigMap", ns, "absent" },
	                     CF_KUBE_PATCH_MERGE, "{}", NULL), CF_ENOTFOUND);
}

static const char *managers(const char *obj)
{
	static char buf[256];
	json_t *root = json_loads(obj, 0, NULL), *mf, *e;
	size_t i;

	buf[0] = '\0';
	mf = json_object_get(json_object_get(root, "metadata"), "managedFields");
	json_array_foreach(mf, i, e) {
		strncat(buf, json_string_value(json_object_get(e, "manager")), sizeof(buf) - strlen(buf) - 2);
		strcat(buf, ",");
	}
	json_decref(root);
	return buf;
}

static void test_server_side_apply(void **state)
{
	cf_kube_ref ref = { "v1", "ConfigMap", ns, "applied" };
	cf_kube_write_opts flux = { .field_manager = "kustomize-controller" };
	cf_kube_write_opts other = { .field_manager = "someone-else" };
	char body[1024], *out = NULL, rv[64];

	NEED_CLUSTER();
	cm_body(body, sizeof(body), "applied", "a");
	EXPECT(cf_kube_patch(kc, NULL, NULL, CF_KUBE_PATCH_APPLY, body, NULL), CF_EINVALID);
	/* apply creates; the ref comes from the body */
	CHECK(cf_kube_patch(kc, &out, NULL, CF_KUBE_PATCH_APPLY, body, &flux));
	assert_string_equal(jstr(out, "data", "k", NULL), "a");
	snprintf(rv, sizeof(rv), "%s", jstr(out, "metadata", "resourceVersion", NULL));
	assert_string_equal(managers(out), "kustomize-controller,");
	free(out);
	/* the same apply again changes nothing */
	CHECK(cf_kube_patch(kc, &out, &ref, CF_KUBE_PATCH_APPLY, body, &flux));
	assert_string_equal(jstr(out, "metadata", "resourceVersion", NULL), rv);
	free(out);
	/* YAML bodies are fine for apply */
	CHECK(cf_kube_patch(kc, &out, &ref, CF_KUBE_PATCH_APPLY,
	                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n"
	                    "data:\n  other: yes-yaml\n", &other));
	assert_string_equal(jstr(out, "data", "other", NULL), "yes-yaml");
	free(out);
	/* another manager taking a field that kustomize-controller owns conflicts ... */
	cm_body(body, sizeof(body), "applied", "b");
	EXPECT(cf_kube_patch(kc, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &other), CF_ECONFLICT);
	assert_non_null(strstr(cf_error_last(), "conflict"));
	/* ... unless forced, which moves ownership */
	other.force = 1;
	CHECK(cf_kube_patch(kc, &out, &ref, CF_KUBE_PATCH_APPLY, body, &other));
	assert_string_equal(jstr(out, "data", "k", NULL), "b");
	free(out);
	/* dry run does not persist */
	cm_body(body, sizeof(body), "applied", "dry");
	other.dry_run = 1;
	CHECK(cf_kube_patch(kc, &out, &ref, CF_KUBE_PATCH_APPLY, body, &other));
	assert_string_equal(jstr(out, "data", "k", NULL), "dry");
	free(out);
	CHECK(cf_kube_get(kc, &out, &ref));
	assert_string_equal(jstr(out, "data", "k", NULL), "b");
	free(out);
}

/* ---- a CRD with a status subresource ---- */

/* The group is unique per run so the kind is always new to discovery; %s is the group. */
static const char crd_fmt[] =
	"{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	"\"metadata\":{\"name\":\"widgets.%s\"},\"spec\":{\"group\":\"%s\","
	"\"names\":{\"kind\":\"Widget\",\"listKind\":\"WidgetList\",\"plural\":\"widgets\","
	"\"singular\":\"widget\"},\"scope\":\"Namespaced\",\"versions\":[{\"name\":\"v1\","
	"\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":{"
	"\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
	"\"properties\":{\"size\":{\"type\":\"integer\"},\"ratio\":{\"type\":\"number\"}}},\"status\":{\"type\":\"object\","
	"\"properties\":{\"observedGeneration\":{\"type\":\"integer\"},\"phase\":{\"type\":\"string\"}"
	"}}}}}}]}}";

static char group[64], crd_name[96], api_version[80];

static void create_crd(void)
{
	cf_kube_ref ref = { "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, crd_name };
	double end = now_s() + 30;
	char *out = NULL, crd[2048];

	snprintf(group, sizeof(group), "t%d.cflux.io", (int)getpid());
	snprintf(crd_name, sizeof(crd_name), "widgets.%s", group);
	snprintf(api_version, sizeof(api_version), "%s/v1", group);
	snprintf(crd, sizeof(crd), crd_fmt, group, group);
	CHECK(cf_kube_create(kc, NULL, &ref, crd, NULL));
	for (;;) {
		CHECK(cf_kube_get(kc, &out, &ref));
		if (strstr(out, "\"type\":\"Established\",\"status\":\"True\"")) {
			free(out);
			return;
		}
		free(out);
		assert_true(now_s() < end);
		usleep(100000);
	}
}

static int is_widget(void *ctx, const char *item, size_t len)
{
	/* the number arrives as the server wrote it, not re-formatted (0.10000000000000001) */
	if (!strcmp(jstr(item, "apiVersion", NULL, NULL), api_version) &&
	    !strcmp(jstr(item, "kind", NULL, NULL), "Widget") && strstr(item, "\"ratio\":0.1") &&
	    !strstr(item, "\"ratio\":0.10"))
		++*(int *)ctx;
	return 0;
}

static void test_custom_resource_status(void **state)
{
	cf_kube_ref ref = { api_version, "Widget", ns, "w1" };
	cf_kube_ref crd_ref = { "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, crd_name };
	char body[512], *out = NULL;
	cf_kube_resource r;

	NEED_CLUSTER();
	create_crd();
	/* the kind was unknown to the discovery cache a moment ago */
	CHECK(cf_kube_resolve(kc, &r, api_version, "Widget"));
	assert_string_equal(r.resource, "widgets");
	assert_true(r.namespaced);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"%s\",\"kind\":\"Widget\","
	                             "\"metadata\":{\"name\":\"w1\",\"namespace\":\"%s\"},"
	                             "\"spec\":{\"size\":3,\"ratio\":0.1},\"status\":{\"phase\":\"ignored\"}}",
	         api_version, ns);
	CHECK(cf_kube_create(kc, &out, NULL, body, NULL));
	/* with a status subresource the main resource ignores status */
	assert_string_equal(jstr(out, "status", "phase", NULL), "<none>");
	free(out);
	CHECK(cf_kube_patch_status(kc, &out, &ref, CF_KUBE_PATCH_MERGE,
	                           "{\"status\":{\"phase\":\"Ready\",\"observedGeneration\":1}}", NULL));
	assert_string_equal(jstr(out, "status", "phase", NULL), "Ready");
	free(out);
	CHECK(cf_kube_get_status(kc, &out, &ref));
	assert_string_equal(jstr(out, "status", "observedGeneration", NULL), "1");
	/* update_status with the object as read */
	{
		json_t *o = json_loads(out, 0, NULL);
		char *s;

		json_object_set_new(json_object_get(o, "status"), "phase", json_string("Done"));
		json_object_set_new(json_object_get(o, "spec"), "size", json_integer(99));
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		free(out);
		CHECK(cf_kube_update_status(kc, &out, &ref, s, NULL));
		free(s);
	}
	assert_string_equal(jstr(out, "status", "phase", NULL), "Done");
	/* ... and the status endpoint leaves spec alone */
	assert_string_equal(jstr(out, "spec", "size", NULL), "3");
	free(out);
	/*
	 * SSA on status. The updates above were recorded under the manager named after the user
	 * agent ("cflux"), so a plain apply of the same field conflicts and a forced one wins.
	 */
	{
		char st[256];
		cf_kube_write_opts so = { .field_manager = "gotk-status" };

		snprintf(st, sizeof(st), "{\"apiVersion\":\"%s\",\"kind\":\"Widget\","
		         "\"metadata\":{\"name\":\"w1\"},\"status\":{\"phase\":\"Applied\"}}",
		         api_version);
		EXPECT(cf_kube_patch_status(kc, NULL, &ref, CF_KUBE_PATCH_APPLY, st, &so), CF_ECONFLICT);
		assert_non_null(strstr(cf_error_last(), "conflict with \"cflux\""));
		so.force = 1;
		CHECK(cf_kube_patch_status(kc, &out, &ref, CF_KUBE_PATCH_APPLY, st, &so));
	}
	assert_string_equal(jstr(out, "status", "phase", NULL), "Applied");
	free(out);
	/* the CR's items in a list carry apiVersion and kind as well */
	{
		int n = 0;

		CHECK(cf_kube_list(kc, NULL, &(cf_kube_ref){ api_version, "Widget", ns, NULL },
		                   NULL, is_widget, &n));
		assert_int_equal(n, 1);
	}
	CHECK(cf_kube_delete(kc, NULL, &ref, NULL));
	CHECK(cf_kube_delete(kc, NULL, &crd_ref, NULL));
}

/* ---- Events and Leases ---- */

static void test_events(void **state)
{
	const char *const ann[] = { "source.toolkit.fluxcd.io/revision", "main@sha1:0123abcd", NULL };
	cf_kube_event ev = {
		.api_version = "source.toolkit.fluxcd.io/v1", .kind = "GitRepository",
		.namespace_ = ns, .name = "podinfo", .uid = "11111111-2222-3333-4444-555555555555",
		.type = "Normal", .reason = "NewArtifact",
		.message = "stored artifact for commit 'Initial commit'",
		.reporting_controller = "source-controller", .annotations = ann,
	};
	cf_kube_list_opts o = { .field_selector = "involvedObject.name=podinfo" };
	cf_kube_ref ref = { "v1", "Event", ns, NULL };
	char *page = NULL;
	json_t *l, *e;

	NEED_CLUSTER();
	CHECK(cf_kube_event_record(kc, &ev));
	CHECK(cf_kube_event_record(kc, &ev));
	ev.type = "Warning";
	ev.reason = "GitOperationFailed";
	ev.message = "failed to checkout";
	CHECK(cf_kube_event_record(kc, &ev));
	CHECK(cf_kube_list_page(kc, &page, &ref, &o, NULL));
	l = json_loads(page, 0, NULL);
	free(page);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
	e = json_array_get(json_object_get(l, "items"), 0);
	if (strcmp(json_string_value(json_object_get(e, "reason")), "NewArtifact"))
		e = json_array_get(json_object_get(l, "items"), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "count")), 2);
	assert_string_equal(json_string_value(json_object_get(e, "type")), "Normal");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "source"), "component")),
	                    "source-controller");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "involvedObject"), "kind")),
	                    "GitRepository");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(e,
	                    "metadata"), "annotations"), "source.toolkit.fluxcd.io/revision")),
	                    "main@sha1:0123abcd");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(e, "metadata"), "name")),
	                       "podinfo."));
	json_decref(l);
	ev.name = NULL;
	EXPECT(cf_kube_event_record(kc, &ev), CF_EINVALID);
}

static void test_leases(void **state)
{
	cf_kube_lease l = { .lease_duration_seconds = 15, .lease_transitions = 0 }, got, stale;
	int64_t now = cf_kube_now_us();

	NEED_CLUSTER();
	snprintf(l.holder_identity, sizeof(l.holder_identity), "pod-a_1234");
	l.acquire_time_us = now;
	l.renew_time_us = now;
	EXPECT(cf_kube_lease_get(kc, &got, ns, "leader"), CF_ENOTFOUND);
	CHECK(cf_kube_lease_create(kc, &got, ns, "leader", &l));
	assert_string_equal(got.holder_identity, "pod-a_1234");
	assert_int_equal(got.renew_time_us, now);
	assert_int_equal(got.lease_duration_seconds, 15);
	assert_true(got.resource_version[0] != '\0');
	EXPECT(cf_kube_lease_create(kc, &stale, ns, "leader", &l), CF_EEXISTS);

	stale = got;
	got.renew_time_us = now + 2000000;
	CHECK(cf_kube_lease_update(kc, &got, ns, "leader", &got));
	assert_int_equal(got.renew_time_us, now + 2000000);
	assert_string_not_equal(got.resource_version, stale.resource_version);
	/* another candidate working from the old read loses */
	snprintf(stale.holder_identity, sizeof(stale.holder_identity), "pod-b_5678");
	stale.lease_transitions = 1;
	EXPECT(cf_kube_lease_update(kc, &stale, ns, "leader", &stale), CF_ECONFLICT);
	CHECK(cf_kube_lease_get(kc, &stale, ns, "leader"));
	assert_string_equal(stale.holder_identity, "pod-a_1234");
	assert_int_equal(stale.acquire_time_us, now);
}

/* ---- failures ---- */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	size_t n = f ? fread(buf, 1, (1 << 20) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static int client_for(cf_kube **out, const char *kubeconfig, const char *context,
                      const cf_kube_opts *opts)
{
	cf_kube_config *cfg = NULL;
	int rc = cf_kube_config_parse(&cfg, kubeconfig, strlen(kubeconfig), context, NULL);

	if (rc == 0)
		rc = cf_kube_new(out, cfg, opts);
	cf_kube_config_free(cfg);
	return rc;
}

static void test_auth_failures(void **state)
{
	const char *path = getenv("CF_KUBECONFIG"), *token = getenv("CF_KUBE_TOKEN");
	char *text, kubeconfig[4096];
	cf_kube_ref cms = { "v1", "ConfigMap", ns, NULL };
	cf_kube *k = NULL, *sa = NULL;
	collect c = { 0 };

	NEED_CLUSTER();
	text = read_all(path);
	/* the unprivileged user of the kubeconfig: authenticated, no RBAC */
	CHECK(client_for(&k, text, "cflux-nobody", NULL));
	EXPECT(cf_kube_list(k, NULL, &cms, NULL, collect_item, &c), CF_EFORBIDDEN);
	assert_non_null(strstr(cf_error_last(), "cannot list resource \"configmaps\""));
	cf_kube_free(k);

	/* impersonating a ServiceAccount that has no bindings */
	CHECK(cf_kube_new_as_service_account(&sa, kc, ns, "reconciler"));
	EXPECT(cf_kube_list(sa, NULL, &cms, NULL, collect_item, &c), CF_EFORBIDDEN);
	assert_non_null(strstr(cf_error_last(), "system:serviceaccount:"));
	/* the server adds the service-account groups itself: a grant to the group applies */
	snprintf(kubeconfig, sizeof(kubeconfig),
	         "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\","
	         "\"metadata\":{\"name\":\"cm-reader\",\"namespace\":\"%s\"},\"rules\":[{"
	         "\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"verbs\":[\"list\"]}]}", ns);
	CHECK(cf_kube_create(kc, NULL, NULL, kubeconfig, NULL));
	snprintf(kubeconfig, sizeof(kubeconfig),
	         "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
	         "\"metadata\":{\"name\":\"sa-view\",\"namespace\":\"%s\"},\"roleRef\":{"
	         "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"cm-reader\"},"
	         "\"subjects\":[{\"kind\":\"Group\",\"apiGroup\":\"rbac.authorization.k8s.io\","
	         "\"name\":\"system:serviceaccounts:%s\"}]}", ns, ns);
	CHECK(cf_kube_create(kc, NULL, NULL, kubeconfig, NULL));
	{
		double end = now_s() + 10;
		int rc;

		/* RBAC changes reach the authorizer through an informer: allow a moment */
		while ((rc = cf_kube_list(sa, NULL, &cms, NULL, collect_item, &c)) == CF_EFORBIDDEN &&
		       now_s() < end)
			usleep(100000);
		CHECK(rc);
	}
	cf_kube_free(sa);

	/* a rejected token; the token never shows up in the message */
	snprintf(kubeconfig, sizeof(kubeconfig),
	         "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
	         "clusters: [{name: k, cluster: {server: '%s', certificate-authority: '%s'}}]\n"
	         "users: [{name: u, user: {token: not-a-valid-token-1234}}]\n",
	         getenv("CF_KUBE_SERVER"), getenv("CF_KUBE_CA"));
	CHECK(client_for(&k, kubeconfig, NULL, NULL));
	EXPECT(cf_kube_get(k, NULL, &(cf_kube_ref){ "v1", "Namespace", NULL, "default" }), CF_EAUTH);
	assert_null(strstr(cf_error_last(), "not-a-valid-token"));
	cf_kube_free(k);
	if (token)
		assert_null(strstr(cf_error_last(), token));

	/* the wrong CA: TLS verification fails */
	snprintf(kubeconfig, sizeof(kubeconfig),
	         "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
	         "clusters: [{name: k, cluster: {server: '%s', certificate-authority: '%s/tests/unit/kube/fixtures/client.crt'}}]\n"
	         "users: [{name: u, user: {token: x}}]\n", getenv("CF_KUBE_SERVER"), TEST_SRC_DIR);
	CHECK(client_for(&k, kubeconfig, NULL, NULL));
	EXPECT(cf_kube_request(k, NULL, NULL, "GET", "/version", NULL, NULL, 0), CF_ENET);
	assert_non_null(strstr(cf_error_last(), "certificate"));
	cf_kube_free(k);
	/* ... unless verification is off */
	snprintf(kubeconfig, sizeof(kubeconfig),
	         "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
	         "clusters: [{name: k, cluster: {server: '%s', insecure-skip-tls-verify: true}}]\n",
	         getenv("CF_KUBE_SERVER"));
	CHECK(client_for(&k, kubeconfig, NULL, NULL));
	CHECK(cf_kube_request(k, NULL, NULL, "GET", "/version", NULL, NULL, 0));
	/* anonymous users may not list namespaces */
	EXPECT(cf_kube_list(k, NULL, &(cf_kube_ref){ "v1", "Namespace", NULL, NULL }, NULL,
	                    collect_item, &c), CF_EFORBIDDEN);
	cf_kube_free(k);
	free(text);
}

/* A tokenFile is read again when it changes, as projected service-account tokens rotate. */
static void test_token_file_rotation(void **state)
{
	char dir[] = "/tmp/cf-kube-it-XXXXXX", tok[64], kubeconfig[2048];
	cf_kube_ref ref = { "v1", "Namespace", NULL, "default" };
	cf_kube *k = NULL;
	FILE *f;

	NEED_CLUSTER();
	assert_non_null(mkdtemp(dir));
	snprintf(tok, sizeof(tok), "%s/token", dir);
	f = fopen(tok, "w");
	fputs("stale-token\n", f);
	fclose(f);
	snprintf(kubeconfig, sizeof(kubeconfig),
	         "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
	         "clusters: [{name: k, cluster: {server: '%s', certificate-authority: '%s'}}]\n"
	         "users: [{name: u, user: {tokenFile: '%s'}}]\n",
	         getenv("CF_KUBE_SERVER"), getenv("CF_KUBE_CA"), tok);
	CHECK(client_for(&k, kubeconfig, NULL, NULL));
	EXPECT(cf_kube_get(k, NULL, &ref), CF_EAUTH);
	f = fopen(tok, "w");
	fprintf(f, "%s\n", getenv("CF_KUBE_TOKEN"));
	fclose(f);
	usleep(1100 * 1000);
	CHECK(cf_kube_get(k, NULL, &ref));
	cf_kube_free(k);
	unlink(tok);
	rmdir(dir);
}

/* Debug logs name each request but never carry the token. */
static void test_debug_log(void **state)
{
	FILE *f = tmpfile();
	char buf[8192] = "";
	size_t n;

	NEED_CLUSTER();
	cf_log_init(f, CF_LOG_DEBUG);
	CHECK(cf_kube_get(kc, NULL, &(cf_kube_ref){ "v1", "Namespace", NULL, ns }));
	EXPECT(cf_kube_get(kc, NULL, &(cf_kube_ref){ "v1", "Namespace", NULL, "absent-ns" }),
	       CF_ENOTFOUND);
	cf_log_init(stderr, CF_LOG_INFO);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "\"msg\":\"kube request\""));
	assert_non_null(strstr(buf, "/api/v1/namespaces/absent-ns"));
	assert_non_null(strstr(buf, "\"status\":\"404\""));
	if (getenv("CF_KUBE_TOKEN"))
		assert_null(strstr(buf, getenv("CF_KUBE_TOKEN")));
}

/*
 * Client-certificate auth (certificate and key given as -data, used from memory). Needs an API
 * server started with --client-ca-file and a kubeconfig for a certificate user in system:masters
 * in CF_KUBE_CERT_KUBECONFIG; skipped otherwise.
 */
static void test_client_cert(void **state)
{
	const char *path = getenv("CF_KUBE_CERT_KUBECONFIG");
	cf_kube_config *cfg = NULL;
	cf_kube *k = NULL;
	char *out = NULL;

	NEED_CLUSTER();
	if (!path || !*path)
		skip();
	CHECK(cf_kube_config_load_file(&cfg, path, NULL));
	CHECK(cf_kube_new(&k, cfg, NULL));
	cf_kube_config_free(cfg);
	CHECK(cf_kube_get(k, &out, &(cf_kube_ref){ "v1", "Namespace", NULL, ns }));
	assert_string_equal(jstr(out, "metadata", "name", NULL), ns);
	free(out);
	cf_kube_free(k);
}

/*
 * tls-server-name: connect to the server's address but verify the certificate for another name.
 * kubernetes.default.svc does not resolve here, so success also shows where the client connected.
 */
static void test_tls_server_name(void **state)
{
	static const char *const names[] = { "kubernetes.default.svc", "wrong.example" };
	char kubeconfig[2048];
	cf_kube *k = NULL;
	int i;

	NEED_CLUSTER();
	if (!getenv("CF_KUBE_SERVER") || !getenv("CF_KUBE_CA"))
		skip();
	for (i = 0; i < 2; i++) {
		snprintf(kubeconfig, sizeof(kubeconfig),
		         "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
		         "clusters: [{name: k, cluster: {server: '%s/', certificate-authority: '%s', "
		         "tls-server-name: %s}}]\n",
		         getenv("CF_KUBE_SERVER"), getenv("CF_KUBE_CA"), names[i]);
		CHECK(client_for(&k, kubeconfig, NULL, NULL));
		if (i == 0)
			CHECK(cf_kube_request(k, NULL, NULL, "GET", "/version", NULL, NULL, 0));
		else {
			/* the name check fails, not the connection (the name is never resolved) */
			EXPECT(cf_kube_request(k, NULL, NULL, "GET", "/version", NULL, NULL, 0), CF_ENET);
			assert_non_null(strstr(cf_error_last(), "wrong.example"));
			assert_non_null(strstr(cf_error_last(), "certificate"));
		}
		cf_kube_free(k);
	}
}

static void test_unreachable(void **state)
{
	const char *kubeconfig = "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
	                         "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n";
	cf_kube *k = NULL;
	cf_kube_resource r;
	double t0 = now_s();

	NEED_CLUSTER();
	CHECK(client_for(&k, kubeconfig, NULL, NULL));
	EXPECT(cf_kube_resolve(k, &r, "v1", "ConfigMap"), CF_ENET);
	assert_non_null(strstr(cf_error_last(), "GET /api/v1"));
	assert_true(now_s() - t0 < 5);
	cf_kube_free(k);
}

static void test_timeout(void **state)
{
	char *text = read_all(getenv("CF_KUBECONFIG"));
	cf_kube_opts o = { .timeout_ms = 300 };
	cf_kube *k = NULL;
	char path[256];

	NEED_CLUSTER();
	CHECK(client_for(&k, text, NULL, &o));
	/* a watch request through the plain (deadline-bound) path must hit the client deadline */
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps?watch=true", ns);
	EXPECT(cf_kube_request(k, NULL, NULL, "GET", path, NULL, NULL, 0), CF_ETIMEOUT);
	cf_kube_free(k);
	free(text);
}

/* ---- many threads on one client, and the rate limit ---- */

typedef struct {
	cf_kube *k;
	int failures;
} worker;

static void *get_loop(void *arg)
{
	worker *w = arg;
	cf_kube_ref ref = { "v1", "ConfigMap", ns, "page-05" };
	int i;

	for (i = 0; i < 25; i++) {
		char *out = NULL;

		if (cf_kube_get(w->k, &out, &ref) < 0 || strcmp(jstr(out, "metadata", "name", NULL),
		                                                "page-05"))
			w->failures++;
		free(out);
	}
	return NULL;
}

static void test_threads_and_rate_limit(void **state)
{
	char *text = read_all(getenv("CF_KUBECONFIG"));
	cf_kube_opts o = { .qps = 50, .burst = 10 };
	worker w[4];
	pthread_t th[4];
	cf_kube *k = NULL;
	double t0, took;
	int i;

	NEED_CLUSTER();
	CHECK(client_for(&k, text, NULL, &o));
	CHECK(cf_kube_get(k, NULL, &(cf_kube_ref){ "v1", "ConfigMap", ns, "page-05" }));
	t0 = now_s();
	for (i = 0; i < 4; i++) {
		w[i] = (worker){ k, 0 };
		pthread_create(&th[i], NULL, get_loop, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	took = now_s() - t0;
	/* 100 requests, 9 tokens left in the bucket, 50 per second: at least ~1.8 s */
	printf("100 GETs on 4 threads at qps=50 burst=10: %.2f s\n", took);
	assert_true(took >= 1.7);
	assert_true(took < 6);
	cf_kube_free(k);
	free(text);
}

/* Sequential GETs without a rate limit: one reused connection, so no TLS handshake per call. */
static void test_throughput(void **state)
{
	char *text = read_all(getenv("CF_KUBECONFIG"));
	cf_kube_opts o = { .qps = -1 };
	cf_kube *k = NULL;
	double t0, took;
	int i;

	NEED_CLUSTER();
	CHECK(client_for(&k, text, NULL, &o));
	CHECK(cf_kube_get(k, NULL, &(cf_kube_ref){ "v1", "ConfigMap", ns, "page-05" }));
	t0 = now_s();
	for (i = 0; i < 300; i++)
		CHECK(cf_kube_get(k, NULL, &(cf_kube_ref){ "v1", "ConfigMap", ns, "page-05" }));
	took = now_s() - t0;
	printf("300 sequential GETs: %.2f s (%.0f/s, %.2f ms each)\n", took, 300 / took,
	       took * 1000 / 300);
	cf_kube_free(k);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_crud),
		cmocka_unit_test(test_delete_preconditions),
		cmocka_unit_test(test_list_paging),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_watch_timeout),
		cmocka_unit_test(test_watch_list),
		cmocka_unit_test(test_patches),
		cmocka_unit_test(test_server_side_apply),
		cmocka_unit_test(test_custom_resource_status),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_leases),
		cmocka_unit_test(test_auth_failures),
		cmocka_unit_test(test_token_file_rotation),
		cmocka_unit_test(test_debug_log),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_tls_server_name),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_threads_and_rate_limit),
		cmocka_unit_test(test_throughput),
	};

	if (!getenv("CF_KUBECONFIG"))
		printf("CF_KUBECONFIG is unset: skipping (start a control plane with tests/cluster/up.sh)\n");
	return cmocka_run_group_tests(tests, setup, teardown);
}
