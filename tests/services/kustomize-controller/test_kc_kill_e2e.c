/*
 * kustomize-controller killed with SIGKILL in the middle of a reconcile (during a long apply, and
 * while it waits on a health check), then restarted: the next reconcile converges, the inventory
 * is complete, and only objects that left the desired set are pruned, including objects the
 * killed run created that the next commit no longer has.
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

#define TIMEOUT 120000
#define KS_API "kustomize.toolkit.fluxcd.io/v1"
#define KS "{\"apiVersion\":\"" KS_API "\",\"kind\":\"Kustomization\",\"metadata\":{\"name\":\"%s\"}," \
	   "\"spec\":{\"interval\":\"10m\",\"retryInterval\":\"2s\",\"timeout\":\"3m\",\"path\":\"%s\"," \
	   "\"prune\":true,\"targetNamespace\":\"%s\",\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}%s}}"

static kc_e2e e;

static void need_cluster(void)
{
	if (!getenv("CF_KUBECONFIG"))
		skip();
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
	if (!(sha = kc_e2e_commit(&e, "kill-v1", "kill-v1", NULL)))
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
	return 0;
}

/* The ConfigMaps of the test namespace owned by one Kustomization: name -> {uid, v}. */
static int collect(void *ctx, const char *item, size_t len)
{
	json_t *cm = json_loadb(item, len, 0, NULL), *meta = json_object_get(cm, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));

	if (name)
		json_object_set_new(ctx, name, json_pack("{s:O,s:O?}", "uid", json_object_get(meta, "uid"), "v",
							 json_object_get(json_object_get(cm, "data"), "v")));
	json_decref(cm);
	return 0;
}

static json_t *owned_configmaps(const char *ks_name)
{
	cf_kube_ref ref = {"v1", "ConfigMap", e.ns, NULL};
	char selector[256];
	cf_kube_list_opts lo = {.label_selector = selector};
	json_t *out = json_object();

	snprintf(selector, sizeof(selector), "kustomize.toolkit.fluxcd.io/name=%s", ks_name);
	assert_int_equal(cf_kube_list(e.kube, NULL, &ref, &lo, collect, out), 0);
	return out;
}

/* How many of the names prefix-000 .. prefix-(n-1) are in cms, with data v equal to v when set. */
static int count(const json_t *cms, const char *prefix, int n, const char *v)
{
	char name[64];
	int hits = 0;

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-%03d", prefix, i);
		json_t *cm = json_object_get(cms, name);
		hits += cm && (!v || (json_string_value(json_object_get(cm, "v")) &&
				      strcmp(json_string_value(json_object_get(cm, "v")), v) == 0));
	}
	return hits;
}

static json_t *entries(const json_t *ks)
{
	return json_object_get(json_object_get(json_object_get(ks, "status"), "inventory"), "entries");
}

static int has_entry(const json_t *ks, const char *name, const char *group_kind)
{
	char id[256];
	size_t i;
	json_t *en;

	snprintf(id, sizeof(id), "%s_%s_%s", e.ns, name, group_kind);
	json_array_foreach(entries(ks), i, en)
		if (strcmp(json_string_value(json_object_get(en, "id")), id) == 0)
			return 1;
	return 0;
}

static const char *applied(const json_t *ks)
{
	return json_string_value(json_object_get(json_object_get(ks, "status"), "lastAppliedRevision"));
}

static char *push_v2(void)
{
	char *sha = kc_e2e_commit(&e, "kill-v2", "kill-v2", NULL);
	assert_non_null(sha);
	assert_int_equal(kc_e2e_request(&e, "source.toolkit.fluxcd.io/v1", "GitRepository", "repo"), 0);
	return sha;
}

/* Patches a Deployment's status as a kubelet and the deployment controller would for one ready replica. */
static void mark_ready(const char *name)
{
	json_t *d = kc_e2e_get(&e, "apps/v1", "Deployment", NULL, name);
	assert_non_null(d);
	json_int_t gen = json_integer_value(json_object_get(json_object_get(d, "metadata"), "generation"));
	json_decref(d);
	assert_int_equal(kc_e2e_patch(&e, "apps/v1", "Deployment", NULL, name, 1,
		"{\"status\":{\"observedGeneration\":%lld,\"replicas\":1,\"updatedReplicas\":1,\"readyReplicas\":1,"
		"\"availableReplicas\":1,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\","
		"\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\","
		"\"reason\":\"NewReplicaSetAvailable\"}]}}", (long long)gen), 0);
}

static void test_kill_during_apply(void **state)
{
	char *sha1, *sha2;
	json_t *ks, *before, *after, *at_kill;
	int v2_at_kill;

	(void)state;
	need_cluster();
	sha1 = cft_sh_out("git -C '%s/work' rev-parse HEAD", e.dir);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "many", "./many", e.ns, ""), 0);
	ks = kc_e2e_wait_ks(&e, "many", "True", kc_e2e_rev(sha1), TIMEOUT);
	assert_non_null(ks);
	assert_int_equal(json_array_size(entries(ks)), 210);
	json_decref(ks);
	before = owned_configmaps("many");
	assert_int_equal(count(before, "cm", 200, "1"), 200);
	assert_int_equal(count(before, "old", 10, "1"), 10);

	/* v2 changes 200 objects, adds 200 and drops 10: kill once part of it is in the cluster. */
	sha2 = push_v2();
	long long end = cft_now_ms() + TIMEOUT;
	do {
		at_kill = owned_configmaps("many");
		v2_at_kill = count(at_kill, "cm", 200, "2") + count(at_kill, "new", 200, NULL);
		if (v2_at_kill > 0)
			break;
		json_decref(at_kill);
		usleep(20000);
	} while (cft_now_ms() < end);
	kc_e2e_crash_kustomize(&e);
	json_decref(at_kill);
	at_kill = owned_configmaps("many");
	v2_at_kill = count(at_kill, "cm", 200, "2") + count(at_kill, "new", 200, NULL);
	fprintf(stderr, "killed with %d of 400 v2 objects applied\n", v2_at_kill);
	/* Killed in the middle: some of v2 applied, not all, and nothing of v1 pruned yet. */
	assert_true(v2_at_kill > 0);
	assert_true(v2_at_kill < 400);
	assert_int_equal(count(at_kill, "cm", 200, NULL), 200);
	assert_int_equal(count(at_kill, "old", 10, NULL), 10);
	ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "many");
	assert_string_equal(applied(ks), kc_e2e_rev(sha1));
	/* The inventory in the cluster already covers everything the killed run could have created. */
	assert_true(has_entry(ks, "new-199", "_ConfigMap"));
	assert_true(has_entry(ks, "old-000", "_ConfigMap"));
	json_decref(ks);

	assert_int_equal(kc_e2e_start_kustomize(&e), 0);
	ks = kc_e2e_wait_ks(&e, "many", "True", kc_e2e_rev(sha2), TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(applied(ks), kc_e2e_rev(sha2));
	assert_int_equal(json_array_size(entries(ks)), 400);
	assert_true(has_entry(ks, "cm-000", "_ConfigMap"));
	assert_true(has_entry(ks, "new-199", "_ConfigMap"));
	assert_false(has_entry(ks, "old-000", "_ConfigMap"));
	json_decref(ks);
	after = owned_configmaps("many");
	assert_int_equal(count(after, "cm", 200, "2"), 200);
	assert_int_equal(count(after, "new", 200, "2"), 200);
	assert_int_equal(count(after, "old", 10, NULL), 0);
	assert_int_equal(json_object_size(after), 400);
	/* Objects in both revisions survived: same uid, never deleted and recreated. */
	const char *name;
	json_t *cm;
	json_object_foreach(before, name, cm) {
		if (strncmp(name, "cm-", 3) != 0)
			continue;
		assert_non_null(json_object_get(after, name));
		assert_string_equal(json_string_value(json_object_get(cm, "uid")),
				    json_string_value(json_object_get(json_object_get(after, name), "uid")));
	}
	json_decref(before);
	json_decref(at_kill);
	json_decref(after);
	free(sha1);
	free(sha2);
}

/* Waits until some of prefix-000.. exist for ks_name, then crashes the controller; how many existed. */
static int crash_once_some(const char *ks_name, const char *prefix, int n)
{
	long long end = cft_now_ms() + TIMEOUT;
	json_t *cms;
	int hits;

	do {
		cms = owned_configmaps(ks_name);
		hits = count(cms, prefix, n, NULL);
		json_decref(cms);
		if (hits > 0)
			break;
		usleep(20000);
	} while (cft_now_ms() < end);
	kc_e2e_crash_kustomize(&e);
	cms = owned_configmaps(ks_name);
	hits = count(cms, prefix, n, NULL);
	json_decref(cms);
	return hits;
}

static void test_kill_then_revert(void **state)
{
	char *sha;
	json_t *ks, *cms;
	int late;

	(void)state;
	need_cluster();
	/* v3 adds 50 "late" ConfigMaps; the controller dies after creating some of them... */
	sha = kc_e2e_commit(&e, "kill-v3", "kill-v3", NULL);
	assert_non_null(sha);
	free(sha);
	assert_int_equal(kc_e2e_request(&e, "source.toolkit.fluxcd.io/v1", "GitRepository", "repo"), 0);
	late = crash_once_some("many", "late", 50);
	fprintf(stderr, "killed with %d of 50 late objects created\n", late);
	assert_true(late > 0);

	/* ...and the next commit drops them again: they were never in a completed inventory. */
	sha = kc_e2e_commit(&e, "kill-v2 again", "kill-v2", NULL);
	assert_non_null(sha);
	assert_int_equal(kc_e2e_request(&e, "source.toolkit.fluxcd.io/v1", "GitRepository", "repo"), 0);
	assert_int_equal(kc_e2e_start_kustomize(&e), 0);
	ks = kc_e2e_wait_ks(&e, "many", "True", kc_e2e_rev(sha), TIMEOUT);
	assert_non_null(ks);
	assert_int_equal(json_array_size(entries(ks)), 400);
	assert_false(has_entry(ks, "late-000", "_ConfigMap"));
	json_decref(ks);
	cms = owned_configmaps("many");
	/* Pruned, not orphaned; the rest is v2 again. */
	assert_int_equal(count(cms, "late", 50, NULL), 0);
	assert_int_equal(count(cms, "cm", 200, "2"), 200);
	assert_int_equal(count(cms, "new", 200, "2"), 200);
	assert_int_equal(json_object_size(cms), 400);
	json_decref(cms);
	free(sha);
}

static void test_kill_during_health_check(void **state)
{
	char *head;
	json_t *ks, *cms;
	long long end;

	(void)state;
	need_cluster();
	/* gated is at v2 already (the source moved on); a Deployment that is not ready holds it in its health check. */
	head = cft_sh_out("git -C '%s/work' rev-parse HEAD", e.dir);
	assert_int_equal(kc_e2e_create(&e, NULL, KS, "gated", "./gated", e.ns,
		",\"healthChecks\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"gate\"}]"), 0);
	for (end = cft_now_ms() + TIMEOUT; cft_now_ms() < end; usleep(100000)) {
		json_t *d = kc_e2e_get(&e, "apps/v1", "Deployment", NULL, "gate");
		json_decref(d);
		if (d)
			break;
	}
	sleep(1);
	ks = kc_e2e_get(&e, KS_API, "Kustomization", NULL, "gated");
	assert_non_null(ks);
	/* Still waiting: nothing reported applied, but the inventory names what was applied. */
	const char *ready = kc_e2e_cond(ks, "Ready", "status");
	assert_true(!ready || strcmp(ready, "True") != 0);
	assert_true(has_entry(ks, "gate-a", "_ConfigMap"));
	assert_true(has_entry(ks, "gate-b", "_ConfigMap"));
	assert_true(has_entry(ks, "gate", "apps_Deployment"));
	json_decref(ks);
	kc_e2e_crash_kustomize(&e);

	mark_ready("gate");
	assert_int_equal(kc_e2e_start_kustomize(&e), 0);
	ks = kc_e2e_wait_ks(&e, "gated", "True", kc_e2e_rev(head), TIMEOUT);
	assert_non_null(ks);
	assert_string_equal(applied(ks), kc_e2e_rev(head));
	assert_int_equal(json_array_size(entries(ks)), 3);
	assert_string_equal(kc_e2e_cond(ks, "Healthy", "status"), "True");
	json_decref(ks);
	cms = owned_configmaps("gated");
	assert_int_equal(json_object_size(cms), 2);
	assert_non_null(json_object_get(cms, "gate-a"));
	assert_non_null(json_object_get(cms, "gate-b"));
	json_decref(cms);
	free(head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_during_apply),
		cmocka_unit_test(test_kill_then_revert),
		cmocka_unit_test(test_kill_during_health_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
