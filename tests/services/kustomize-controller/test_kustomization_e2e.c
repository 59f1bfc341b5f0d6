/*
 * kustomize-controller end to end: a real kube-apiserver, a git server, the source-controller and
 * kustomize-controller binaries; commits are pushed and their effect on the cluster is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "e2e.h"
#include "testsupport.h"

#define TIMEOUT 90000
#define KS_API "kustomize.toolkit.fluxcd.io/v1"
/* name, path, targetNamespace, extra spec fields (with a leading comma or empty). */
#define KS "{\"apiVersion\":\"" KS_API "\",\"kind\":\"Kustomization\",\"metadata\":{\"name\":\"%s\"}," \
	   "\"spec\":{\"interval\":\"10m\",\"retryInterval\":\"2s\",\"path\":\"%s\",\"prune\":true," \
	   "\"targetNamespace\":\"%s\",\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}%s}}"

static kc_e2e e;
static char *sha_v2;

static void need_cluster(void)
{
	if (!getenv("CF_KUBECONFIG"))
		skip();
}

/* Pushes a commit and asks source-controller to fetch it now. */
static char *push(const char *message, ...)
{
	const char *layers[8] = {0};
	va_list ap;
	int n = 0;

	va_start(ap, message);
	while (n < 7 && (layers[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	char *sha = kc_e2e_commit(&e, message, layers[0], layers[1], layers[2], layers[3], NULL);
	assert_non_null(sha);
	assert_int_equal(kc_e2e_request(&e, "source.toolkit.fluxcd.io/v1", "GitRepository", "repo"), 0);
	return sha;
}

static int setup(void **state)
{
	char *sha;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		return 0;
	if (kc_e2e_up(&e) < 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		return -1;
	}
	if (!(sha = kc_e2e_commit(&e, "v1", "app-v1", NULL)))
		return -1;
	free(sha);
	return kc_e2e_create(&e, NULL, "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\","
			     "\"metadata\":{\"name\":\"repo\"},\"spec\":{\"interval\":\"10m\",\"url\":\"%s/kc.git\","
			     "\"ref\":{\"branch\":\"main\"}}}", getenv("CF_GIT_HTTP_URL")) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	if (e.dir && getenv("CF_E2E_SHOW_LOG"))
		cft_sh("tail -80 '%s/kustomize-controller.log' >&2", e.dir);
	kc_e2e_down(&e);
	free(sha_v2);
	return 0;
}

/* The inventory ids, sorted and joined with spaces. */
static char *inventory(const json_t *ks)
{
	json_t *entries = json_object_get(json_object_get(json_object_get(ks, "status"), "inventory"), "entries");
	char **ids = calloc(json_array_size(entries) + 1, sizeof(char *)), *out = calloc(1, 4096);
	size_t i, n = json_array_size(entries);
	json_t *en;

	json_array_foreach(entries, i, en)
		ids[i] = (char *)json_string_value(json_object_get(en, "id"));
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			if (strcmp(ids[a], ids[b]) > 0) {
				char *t = ids[a];
				ids[a] = ids[b];
				ids[b] = t;
			}
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), 4096 - strlen(out), "%s%s", i ? " " : "", ids[i]);
	free(ids);
	return out;
}

static const char *label(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), key));
}

/* A ReconcileResult for name arrives on kustomize-controller's bus. */
static int saw_result(const char *name, int ready)
{
	long long end = cft_now_ms() + 30000;

	while (cft_now_ms() < end) {
		cf_bus_msg *m = NULL;
		if (cf_bus_sub_recv(&m, e.sub, 200) < 0)
			continue;
		const cf_bus_reconcile_result *rr = &m->body.reconcile_result;
		int hit = m->type == CF_BUS_RECONCILE_RESULT && strcmp(rr->name, name) == 0 &&
			  strcmp(rr->namespace_, e.ns) == 0 && rr->ready == ready &&
			  strcmp(rr->controller, "kustomize-controller") == 0;
		cf_bus_msg_free(m);
		if (hit)
			return 1;
	}
	return 0;
}

static void test_apply_and_prune(void **state)
{
	char want[2048], *inv, *sha1;
	json_t *ks, *obj;

	(void)state;
	need_cluster();
	sha1 = cft_sh_out("git -C '%s/work' rev-parse HEAD", e.dir);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "app", "./app", e.ns, ""), 0);
	ks = kc_e2e_wait_ks(&e, "app", "True", kc_e2e_rev(sha1), TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "ReconciliationSucceeded");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ks, "status"), "lastAppliedRevision")),
			    kc_e2e_rev(sha1));
	inv = inventory(ks);
	snprintf(want, sizeof(want), "%s_app-a__ConfigMap %s_app-b__ConfigMap %s_keeper__ConfigMap %s_web_apps_Deployment",
		 e.ns, e.ns, e.ns, e.ns);
	assert_string_equal(inv, want);
	free(inv);
	/* status.history: one snapshot of what was applied, with its outcome and revision. */
	json_t *snap = json_array_get(json_object_get(json_object_get(ks, "status"), "history"), 0);
	assert_non_null(snap);
	assert_int_equal(strncmp(json_string_value(json_object_get(snap, "digest")), "sha256:", 7), 0);
	assert_string_equal(json_string_value(json_object_get(snap, "lastReconciledStatus")), "ReconciliationSucceeded");
	assert_string_equal(json_string_value(json_object_get(json_object_get(snap, "metadata"), "revision")),
			    kc_e2e_rev(sha1));
	assert_true(json_integer_value(json_object_get(snap, "totalReconciliations")) >= 1);
	assert_non_null(json_string_value(json_object_get(snap, "lastReconciledDuration")));
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "app-a", "key", "one", 1000));
	obj = kc_e2e_get(&e, "apps/v1", "Deployment", NULL, "web");
	assert_non_null(obj);
	assert_string_equal(label(obj, "kustomize.toolkit.fluxcd.io/name"), "app");
	assert_string_equal(label(obj, "kustomize.toolkit.fluxcd.io/namespace"), e.ns);
	json_decref(obj);
	assert_true(saw_result("app", 1));

	/* v2 changes app-a, drops app-b and keeper (opted out of prune), adds app-c and a Service. */
	sha_v2 = push("v2", "app-v2", NULL);
	ks = kc_e2e_wait_ks(&e, "app", "True", kc_e2e_rev(sha_v2), TIMEOUT);
	assert_non_null(ks);
	inv = inventory(ks);
	snprintf(want, sizeof(want), "%s_app-a__ConfigMap %s_app-c__ConfigMap %s_web__Service %s_web_apps_Deployment",
		 e.ns, e.ns, e.ns, e.ns);
	assert_string_equal(inv, want);
	free(inv);
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "app-a", "key", "two", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "app-b", "key", "", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "app-c", "key", "c", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "keeper", "key", "kept", 1000));
	snprintf(want, sizeof(want), "ConfigMap/%s/app-b deleted", e.ns);
	assert_true(kc_e2e_has_event(&e, "app", want));
	free(sha1);
}

static json_int_t replicas(void)
{
	json_t *d = kc_e2e_get(&e, "apps/v1", "Deployment", NULL, "web");
	json_int_t r = json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas"));
	json_decref(d);
	return r;
}

static void test_drift_is_corrected(void **state)
{
	char want[256];
	long long end;

	(void)state;
	need_cluster();
	assert_int_equal(kc_e2e_patch(&e, "apps/v1", "Deployment", NULL, "web", 0, "{\"spec\":{\"replicas\":5}}"), 0);
	assert_int_equal(replicas(), 5);
	assert_int_equal(kc_e2e_request(&e, KS_API, "Kustomization", "app"), 0);
	for (end = cft_now_ms() + TIMEOUT; cft_now_ms() < end && replicas() != 1;)
		usleep(200000);
	assert_int_equal(replicas(), 1);
	snprintf(want, sizeof(want), "Deployment/%s/web configured", e.ns);
	assert_true(kc_e2e_has_event(&e, "app", want));
}

/* Lines of the controller's debug log with a dry-run apply into this test's namespace. */
static int dry_runs(void)
{
	char path[1200], needle[300], *text, *line, *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/kustomize-controller.log", e.dir);
	snprintf(needle, sizeof(needle), "/namespaces/%s/", e.ns);
	if (!(text = cft_read_file(path, NULL)))
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "kube request") && strstr(line, "dryRun=All") && strstr(line, needle))
			n++;
	free(text);
	return n;
}

/*
 * The manifests the last run applied, untouched in the cluster: the objects are seen to hold
 * them and no dry run is sent (drift, as above, still goes through one).
 */
static void test_unchanged_needs_no_dry_run(void **state)
{
	json_t *ks = NULL;
	char handled[64];
	int before;

	(void)state;
	need_cluster();
	snprintf(handled, sizeof(handled), "%lld", cft_now_ms());
	assert_true((before = dry_runs()) > 0);
	assert_int_equal(kc_e2e_patch(&e, KS_API, "Kustomization", NULL, "app", 0,
				      "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"%s\"}}}",
				      handled), 0);
	for (long long end = cft_now_ms() + TIMEOUT; cft_now_ms() < end; usleep(200000)) {
		json_decref(ks);
		ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "app");
		const char *now = json_string_value(json_object_get(json_object_get(ks, "status"), "lastHandledReconcileAt"));
		if (now && strcmp(now, handled) == 0)
			break;
	}
	assert_string_equal(json_string_value(json_object_get(json_object_get(ks, "status"), "lastHandledReconcileAt")),
			    handled);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "status"), "True");
	json_decref(ks);
	assert_int_equal(dry_runs(), before);
	assert_int_equal(replicas(), 1);
}

static void test_substitution(void **state)
{
	json_t *ks;

	(void)state;
	need_cluster();
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
				       "{\"name\":\"vars\"},\"data\":{\"greeting\":\"hello\"}}"), 0);
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":"
				       "{\"name\":\"secret-vars\"},\"stringData\":{\"word\":\"s3cret\"}}"), 0);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "subst", "./subst", e.ns,
		",\"postBuild\":{\"substituteFrom\":[{\"kind\":\"ConfigMap\",\"name\":\"vars\"},"
		"{\"kind\":\"Secret\",\"name\":\"secret-vars\"},{\"kind\":\"ConfigMap\",\"name\":\"absent\",\"optional\":true}]}"), 0);
	ks = kc_e2e_wait_ks(&e, "subst", "True", kc_e2e_rev(sha_v2), TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "subst", "greeting", "hello", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "subst", "word", "s3cret", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "subst", "fallback", "dflt", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "subst", "shout", "HELLO", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "subst", "literal", "${escaped}", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "subst-off", "raw", "${greeting}", 1000));
}

static void test_target_namespace(void **state)
{
	char other[128], body[256];
	json_t *ks, *cm;

	(void)state;
	need_cluster();
	snprintf(other, sizeof(other), "%s-t", e.ns);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", other);
	assert_int_equal(cf_kube_create(e.kube, NULL, NULL, body, NULL), 0);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "target", "./target", other, ""), 0);
	ks = kc_e2e_wait_ks(&e, "target", "True", kc_e2e_rev(sha_v2), TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	cm = kc_e2e_get(&e, "v1", "ConfigMap", other, "targeted");
	assert_non_null(cm);
	assert_string_equal(label(cm, "kustomize.toolkit.fluxcd.io/namespace"), e.ns);
	json_decref(cm);
	assert_null(kc_e2e_get(&e, "v1", "ConfigMap", NULL, "targeted"));
}

static void test_depends_on(void **state)
{
	char want[256];
	json_t *ks;

	(void)state;
	need_cluster();
	/* first points at a missing source, so it cannot become ready yet. */
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"" KS_API "\",\"kind\":\"Kustomization\","
		"\"metadata\":{\"name\":\"first\"},\"spec\":{\"interval\":\"10m\",\"retryInterval\":\"2s\","
		"\"path\":\"./deps/first\",\"prune\":true,\"targetNamespace\":\"%s\","
		"\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"nope\"}}}", e.ns), 0);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "second", "./deps/second", e.ns,
				       ",\"dependsOn\":[{\"name\":\"first\"}]"), 0);
	ks = kc_e2e_wait_ks(&e, "second", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "DependencyNotReady");
	snprintf(want, sizeof(want), "dependency '%s/first' is not ready", e.ns);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "message"), want);
	json_decref(ks);
	assert_null(kc_e2e_get(&e, "v1", "ConfigMap", NULL, "second"));

	assert_int_equal(kc_e2e_patch(&e, KS_API, "Kustomization", NULL, "first", 0,
				      "{\"spec\":{\"sourceRef\":{\"name\":\"repo\"}}}"), 0);
	ks = kc_e2e_wait_ks(&e, "second", "True", kc_e2e_rev(sha_v2), TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	ks = kc_e2e_wait_ks(&e, "first", "True", kc_e2e_rev(sha_v2), 1000);
	assert_non_null(ks);
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "first", "order", "1", 1000));
	assert_true(kc_e2e_wait_cm(&e, NULL, "second", "order", "2", 1000));
}

static void test_suspend(void **state)
{
	json_t *ks;

	(void)state;
	need_cluster();
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "susp", "./suspend", e.ns, ",\"suspend\":true"), 0);
	sleep(4);
	ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "susp");
	assert_non_null(ks);
	assert_null(kc_e2e_cond(ks, "Ready", "status"));
	json_decref(ks);
	assert_null(kc_e2e_get(&e, "v1", "ConfigMap", NULL, "suspended"));
	assert_int_equal(kc_e2e_patch(&e, KS_API, "Kustomization", NULL, "susp", 0, "{\"spec\":{\"suspend\":false}}"), 0);
	ks = kc_e2e_wait_ks(&e, "susp", "True", kc_e2e_rev(sha_v2), TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "suspended", "state", "applied", 1000));
}

/* Pushes a broken layer and checks the Kustomization reports BuildFailed with text, cluster untouched. */
/* The Kustomization once it has attempted the commit at HEAD (so its status is settled). */
static json_t *settled(const char *ks_name)
{
	char *head = cft_sh_out("git -C '%s/work' rev-parse HEAD", e.dir);
	char rev[128];
	long long end = cft_now_ms() + TIMEOUT;
	json_t *ks = NULL;

	snprintf(rev, sizeof(rev), "%s", kc_e2e_rev(head));
	free(head);
	while (cft_now_ms() < end) {
		ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, ks_name);
		const char *att = json_string_value(json_object_get(json_object_get(ks, "status"), "lastAttemptedRevision"));
		if (att && strcmp(att, rev) == 0)
			return ks;
		json_decref(ks);
		usleep(200000);
	}
	return NULL;
}

static void expect_build_failure(const char *ks_name, const char *layer, const char *text)
{
	json_t *before = settled(ks_name), *ks;
	assert_non_null(before);
	char *applied = strdup(json_string_value(json_object_get(json_object_get(before, "status"), "lastAppliedRevision")));
	char *inv_before = inventory(before), *inv_after;
	char *sha = push(layer, "app-v2", layer, NULL);
	const char *msg;

	json_decref(before);
	ks = kc_e2e_wait_ks(&e, ks_name, "False", kc_e2e_rev(sha), TIMEOUT);

	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "BuildFailed");
	msg = kc_e2e_cond(ks, "Ready", "message");
	assert_non_null(msg);
	if (!strstr(msg, text))
		fprintf(stderr, "message: %s\n", msg);
	assert_non_null(strstr(msg, text));
	/* Nothing was applied: the last applied revision stays the one before the broken commit. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(ks, "status"), "lastAppliedRevision")),
			    applied);
	inv_after = inventory(ks);
	assert_string_equal(inv_after, inv_before);
	free(inv_after);
	free(inv_before);
	json_decref(ks);
	free(applied);
	free(sha);
}

static void test_broken_commits(void **state)
{
	char *sha;
	json_t *ks;

	(void)state;
	need_cluster();
	expect_build_failure("app", "broken-yaml", "bad.yaml");
	assert_true(kc_e2e_wait_cm(&e, NULL, "app-a", "key", "two", 1000));
	assert_null(kc_e2e_get(&e, "v1", "ConfigMap", NULL, "bad"));
	expect_build_failure("app", "broken-patch", "does-not-exist");
	assert_true(kc_e2e_wait_cm(&e, NULL, "app-c", "key", "c", 1000));
	expect_build_failure("subst", "broken-var", "variable not set (strict mode): \"undefined_var\"");
	assert_true(kc_e2e_wait_cm(&e, NULL, "subst", "word", "s3cret", 1000));

	/* A good commit heals both. */
	sha = push("fixed", "app-v2", NULL);
	ks = kc_e2e_wait_ks(&e, "app", "True", kc_e2e_rev(sha), TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	ks = kc_e2e_wait_ks(&e, "subst", "True", kc_e2e_rev(sha), TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	free(sha_v2);
	sha_v2 = sha;
}

static void test_health_check(void **state)
{
	json_t *ks, *d;

	(void)state;
	need_cluster();
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "health", "./health", e.ns,
		",\"timeout\":\"30s\",\"healthChecks\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"slow\"}]"), 0);
	ks = kc_e2e_wait_ks(&e, "health", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "HealthCheckFailed");
	assert_non_null(strstr(kc_e2e_cond(ks, "Ready", "message"), "Deployment/"));
	assert_non_null(strstr(kc_e2e_cond(ks, "Ready", "message"), "/slow"));
	assert_string_equal(kc_e2e_cond(ks, "Healthy", "status"), "False");
	json_decref(ks);

	/* What a kubelet and the deployment controller would report for one ready replica. */
	d = kc_e2e_get(&e, "apps/v1", "Deployment", NULL, "slow");
	assert_non_null(d);
	json_int_t gen = json_integer_value(json_object_get(json_object_get(d, "metadata"), "generation"));
	json_decref(d);
	assert_int_equal(kc_e2e_patch(&e, "apps/v1", "Deployment", NULL, "slow", 1,
		"{\"status\":{\"observedGeneration\":%lld,\"replicas\":1,\"updatedReplicas\":1,\"readyReplicas\":1,"
		"\"availableReplicas\":1,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\","
		"\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\","
		"\"reason\":\"NewReplicaSetAvailable\"}]}}", (long long)gen), 0);
	ks = kc_e2e_wait_ks(&e, "health", "True", kc_e2e_rev(sha_v2), TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Healthy", "status"), "True");
	json_decref(ks);
}

static void test_spec_overlay(void **state)
{
	json_t *ks, *d, *c;

	(void)state;
	need_cluster();
	/* namePrefix, images, patches and commonMetadata from the Kustomization spec on top of ./health. */
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "overlay", "./health", e.ns,
		",\"namePrefix\":\"ov-\",\"images\":[{\"name\":\"registry.example.com/slow\",\"newTag\":\"2.0\"}],"
		"\"patches\":[{\"patch\":\"- op: replace\\n  path: /spec/replicas\\n  value: 2\",\"target\":{\"kind\":\"Deployment\"}}],"
		"\"commonMetadata\":{\"labels\":{\"team\":\"blue\"},\"annotations\":{\"owner\":\"ops\"}}"), 0);
	ks = kc_e2e_wait_ks(&e, "overlay", "True", NULL, TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	d = kc_e2e_get(&e, "apps/v1", "Deployment", NULL, "ov-slow");
	assert_non_null(d);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas")), 2);
	c = json_array_get(json_object_get(json_object_get(json_object_get(json_object_get(d, "spec"), "template"),
								  "spec"), "containers"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "image")), "registry.example.com/slow:2.0");
	assert_string_equal(label(d, "team"), "blue");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(d, "metadata"),
		"annotations"), "owner")), "ops");
	json_decref(d);
}

static void test_wait_all(void **state)
{
	char other[128], body[256];
	json_t *ks;

	(void)state;
	need_cluster();
	/* wait: true health-checks every applied object; a ConfigMap is Current once it exists. */
	snprintf(other, sizeof(other), "%s-w", e.ns);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", other);
	assert_int_equal(cf_kube_create(e.kube, NULL, NULL, body, NULL), 0);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "waitall", "./target", other, ",\"wait\":true"), 0);
	ks = kc_e2e_wait_ks(&e, "waitall", "True", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Healthy", "status"), "True");
	assert_non_null(strstr(kc_e2e_cond(ks, "Healthy", "message"), "Health check passed in"));
	json_decref(ks);
}

static void test_force_recreates_immutable(void **state)
{
	json_t *ks, *cm;
	char *uid, *sha;

	(void)state;
	need_cluster();
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "frozen", "./immutable", e.ns, ""), 0);
	ks = kc_e2e_wait_ks(&e, "frozen", "True", NULL, TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	cm = kc_e2e_get(&e, "v1", "ConfigMap", NULL, "frozen");
	assert_non_null(cm);
	uid = strdup(json_string_value(json_object_get(json_object_get(cm, "metadata"), "uid")));
	json_decref(cm);

	/* data of an immutable ConfigMap cannot change; the force annotation makes it a replace. */
	sha = push("immutable-v2", "app-v2", "immutable-v2", NULL);
	ks = kc_e2e_wait_ks(&e, "frozen", "True", kc_e2e_rev(sha), TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "frozen", "v", "2", 1000));
	cm = kc_e2e_get(&e, "v1", "ConfigMap", NULL, "frozen");
	assert_string_not_equal(json_string_value(json_object_get(json_object_get(cm, "metadata"), "uid")), uid);
	json_decref(cm);
	free(uid);
	free(sha_v2);
	sha_v2 = sha;
}

static void test_crd_then_custom_resource(void **state)
{
	char want[512], *inv;
	json_t *ks, *w;

	(void)state;
	need_cluster();
	/* The Widget can only be applied once its CRD is Established: the definitions stage waits for it. */
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "crds", "./crds", e.ns, ""), 0);
	ks = kc_e2e_wait_ks(&e, "crds", "True", NULL, TIMEOUT);
	assert_non_null(ks);
	inv = inventory(ks);
	snprintf(want, sizeof(want), "_widgets.kc-e2e.cflux.dev_apiextensions.k8s.io_CustomResourceDefinition "
		 "%s_gadget_kc-e2e.cflux.dev_Widget", e.ns);
	assert_string_equal(inv, want);
	free(inv);
	json_decref(ks);
	w = kc_e2e_get(&e, "kc-e2e.cflux.dev/v1", "Widget", NULL, "gadget");
	assert_non_null(w);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(w, "spec"), "size")), 3);
	json_decref(w);
}

static void test_service_account(void **state)
{
	char want[256];
	json_t *ks;

	(void)state;
	need_cluster();
	/* The ServiceAccount exists but may do nothing yet: the apply is refused as that account. */
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
				       "\"metadata\":{\"name\":\"deployer\"}}"), 0);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "sa", "./sa", e.ns, ",\"serviceAccountName\":\"deployer\""), 0);
	ks = kc_e2e_wait_ks(&e, "sa", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "ReconciliationFailed");
	snprintf(want, sizeof(want), "system:serviceaccount:%s:deployer", e.ns);
	assert_non_null(strstr(kc_e2e_cond(ks, "Ready", "message"), want));
	json_decref(ks);
	assert_null(kc_e2e_get(&e, "v1", "ConfigMap", NULL, "impersonated"));

	/* Granted ConfigMaps in the namespace, the same Kustomization goes through. */
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\","
		"\"metadata\":{\"name\":\"deployer\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
		"\"verbs\":[\"get\",\"list\",\"watch\",\"create\",\"update\",\"patch\",\"delete\"]}]}"), 0);
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
		"\"metadata\":{\"name\":\"deployer\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\","
		"\"kind\":\"Role\",\"name\":\"deployer\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"deployer\","
		"\"namespace\":\"%s\"}]}", e.ns), 0);
	ks = kc_e2e_wait_ks(&e, "sa", "True", NULL, TIMEOUT);
	assert_non_null(ks);
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "impersonated", "by", "deployer", 1000));
}

static void test_stalled_and_not(void **state)
{
	json_t *ks;
	const char *msg;

	(void)state;
	need_cluster();
	/* A path missing from the artifact may appear with the next commit: ArtifactFailed, not Stalled. */
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "nopath", "./no/such/dir", e.ns, ""), 0);
	ks = kc_e2e_wait_ks(&e, "nopath", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "ArtifactFailed");
	assert_non_null(strstr(kc_e2e_cond(ks, "Ready", "message"), "kustomization path not found"));
	assert_null(kc_e2e_cond(ks, "Stalled", "status"));
	json_decref(ks);

	/* CEL health checks cannot succeed here whatever the source holds: Stalled until the spec changes. */
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "cel", "./target", e.ns,
		",\"healthCheckExprs\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"current\":\"true\"}]"), 0);
	ks = kc_e2e_wait_ks(&e, "cel", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Stalled", "status"), "True");
	assert_string_equal(kc_e2e_cond(ks, "Stalled", "reason"), "UnsupportedFeature");
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "UnsupportedFeature");
	msg = kc_e2e_cond(ks, "Ready", "message");
	assert_non_null(strstr(msg, "Reconciliation failed terminally due to configuration error: "));
	assert_non_null(strstr(msg, "spec.healthCheckExprs"));
	assert_null(kc_e2e_cond(ks, "Reconciling", "status"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ks, "status"), "observedGeneration")),
			 json_integer_value(json_object_get(json_object_get(ks, "metadata"), "generation")));
	json_decref(ks);
	assert_null(kc_e2e_get(&e, "v1", "ConfigMap", NULL, "targeted"));

	assert_int_equal(kc_e2e_patch(&e, KS_API, "Kustomization", NULL, "cel", 0,
				      "{\"spec\":{\"healthCheckExprs\":null}}"), 0);
	ks = kc_e2e_wait_ks(&e, "cel", "True", kc_e2e_rev(sha_v2), TIMEOUT);
	assert_non_null(ks);
	assert_null(kc_e2e_cond(ks, "Stalled", "status"));
	json_decref(ks);
	assert_true(kc_e2e_wait_cm(&e, NULL, "targeted", "where", "target", 1000));

	/* A dependency's CEL readiness expression cannot be evaluated here either. */
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "celdep", "./target", e.ns,
		",\"dependsOn\":[{\"name\":\"app\",\"readyExpr\":\"dep.status.lastAppliedRevision != ''\"}]"), 0);
	ks = kc_e2e_wait_ks(&e, "celdep", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Stalled", "reason"), "UnsupportedFeature");
	assert_non_null(strstr(kc_e2e_cond(ks, "Stalled", "message"), "spec.dependsOn[0].readyExpr"));
	json_decref(ks);

	/* SOPS decryption is not implemented: an encrypted Secret is refused, never applied as ciphertext. */
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "sops", "./sops", e.ns,
				       ",\"decryption\":{\"provider\":\"sops\"}"), 0);
	ks = kc_e2e_wait_ks(&e, "sops", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "BuildFailed");
	assert_non_null(strstr(kc_e2e_cond(ks, "Ready", "message"),
			       "decryption failed for 'encrypted': SOPS decryption (spec.decryption) is not supported"));
	json_decref(ks);
	assert_null(kc_e2e_get(&e, "v1", "Secret", NULL, "encrypted"));
}

static void test_no_cross_namespace_refs(void **state)
{
	char other[128];
	json_t *ks;

	(void)state;
	need_cluster();
	/* Restarted with --no-cross-namespace-refs, a source in another namespace is refused for good. */
	kc_e2e_crash_kustomize(&e);
	e.kc_flag = "--no-cross-namespace-refs";
	assert_int_equal(kc_e2e_start_kustomize(&e), 0);
	snprintf(other, sizeof(other), "%s-t", e.ns);
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"" KS_API "\",\"kind\":\"Kustomization\","
		"\"metadata\":{\"name\":\"xns\"},\"spec\":{\"interval\":\"10m\",\"path\":\"./target\","
		"\"prune\":true,\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\",\"namespace\":\"%s\"}}}",
		other), 0);
	ks = kc_e2e_wait_ks(&e, "xns", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Stalled", "reason"), "AccessDenied");
	assert_non_null(strstr(kc_e2e_cond(ks, "Ready", "message"), "cross-namespace references have been blocked"));
	json_decref(ks);
	/* Same-namespace sources still work under the flag: a requested reconcile is handled and Ready. */
	ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "app");
	const char *last = json_string_value(json_object_get(json_object_get(ks, "status"), "lastHandledReconcileAt"));
	char *handled = strdup(last ? last : "");
	json_decref(ks);
	assert_int_equal(kc_e2e_request(&e, KS_API, "Kustomization", "app"), 0);
	long long end = cft_now_ms() + TIMEOUT;
	for (ks = NULL; cft_now_ms() < end; usleep(200000)) {
		json_decref(ks);
		ks = kc_e2e_wait_ks(&e, "app", "True", kc_e2e_rev(sha_v2), TIMEOUT);
		const char *now = json_string_value(json_object_get(json_object_get(ks, "status"), "lastHandledReconcileAt"));
		if (now && strcmp(now, handled) != 0)
			break;
	}
	assert_non_null(ks);
	assert_string_not_equal(json_string_value(json_object_get(json_object_get(ks, "status"), "lastHandledReconcileAt")),
				handled);
	json_decref(ks);
	free(handled);
	kc_e2e_crash_kustomize(&e);
	e.kc_flag = NULL;
	assert_int_equal(kc_e2e_start_kustomize(&e), 0);
}

static void test_delete_prunes(void **state)
{
	char other[128];
	long long end;
	json_t *ks = NULL;

	(void)state;
	need_cluster();
	snprintf(other, sizeof(other), "%s-t", e.ns);
	assert_true(kc_e2e_wait_cm(&e, other, "targeted", "where", "target", 1000));
	cf_kube_ref ref = {KS_API, "Kustomization", e.ns, "target"};
	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	/* MirrorPrune (the default) with prune: true deletes what the Kustomization applied. */
	assert_true(kc_e2e_wait_cm(&e, other, "targeted", "where", "", TIMEOUT));
	for (end = cft_now_ms() + TIMEOUT; cft_now_ms() < end; usleep(200000)) {
		if (!(ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "target")))
			break;
		json_decref(ks);
	}
	assert_null(ks);
}

/* A namespaced object without a namespace and no targetNamespace: a clear failure, and deletable. */
static void test_namespace_not_specified(void **state)
{
	long long end;
	json_t *ks = NULL;
	char *inv;

	(void)state;
	need_cluster();
	assert_int_equal(kc_e2e_create(&e, NULL, "{\"apiVersion\":\"" KS_API "\",\"kind\":\"Kustomization\","
		"\"metadata\":{\"name\":\"nons\"},\"spec\":{\"interval\":\"10m\",\"retryInterval\":\"2s\","
		"\"path\":\"./nons\",\"prune\":true,\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}}}"), 0);
	ks = kc_e2e_wait_ks(&e, "nons", "False", NULL, TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(kc_e2e_cond(ks, "Ready", "reason"), "ReconciliationFailed");
	assert_string_equal(kc_e2e_cond(ks, "Ready", "message"),
			    "ConfigMap/unplaced namespace not specified: the server could not find the requested resource");
	/* Nothing that cannot be applied is promised into the inventory. */
	inv = inventory(ks);
	assert_string_equal(inv, "");
	free(inv);
	json_decref(ks);
	assert_null(kc_e2e_get(&e, "v1", "ConfigMap", NULL, "unplaced"));

	/* The entry older versions recorded for it must not block the deletion finalizer. */
	assert_int_equal(kc_e2e_patch(&e, KS_API, "Kustomization", NULL, "nons", 1,
		"{\"status\":{\"inventory\":{\"entries\":[{\"id\":\"_unplaced__ConfigMap\",\"v\":\"v1\"}]}}}"), 0);
	ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "nons");
	inv = inventory(ks);
	assert_string_equal(inv, "_unplaced__ConfigMap");
	free(inv);
	json_decref(ks);
	cf_kube_ref ref = {KS_API, "Kustomization", e.ns, "nons"};
	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	for (end = cft_now_ms() + TIMEOUT; cft_now_ms() < end; usleep(200000)) {
		if (!(ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "nons")))
			break;
		json_decref(ks);
	}
	assert_null(ks);
	assert_int_equal(cft_sh("grep -q 'skipping inventory entry _unplaced__ConfigMap' '%s/kustomize-controller.log'",
				e.dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_and_prune),
		cmocka_unit_test(test_drift_is_corrected),
		cmocka_unit_test(test_unchanged_needs_no_dry_run),
		cmocka_unit_test(test_substitution),
		cmocka_unit_test(test_target_namespace),
		cmocka_unit_test(test_depends_on),
		cmocka_unit_test(test_suspend),
		cmocka_unit_test(test_broken_commits),
		cmocka_unit_test(test_health_check),
		cmocka_unit_test(test_spec_overlay),
		cmocka_unit_test(test_wait_all),
		cmocka_unit_test(test_force_recreates_immutable),
		cmocka_unit_test(test_crd_then_custom_resource),
		cmocka_unit_test(test_service_account),
		cmocka_unit_test(test_stalled_and_not),
		cmocka_unit_test(test_no_cross_namespace_refs),
		cmocka_unit_test(test_delete_prunes),
		cmocka_unit_test(test_namespace_not_specified),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
