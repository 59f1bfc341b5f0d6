/*
 * fluxconfig-controller end to end: a real kube-apiserver, a git server with basic auth, and the
 * source-, kustomize-, helm- and fluxconfig-controller binaries. One FluxConfig drives a fleet
 * repository; commits and spec changes are pushed and the compliance status is checked.
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
#define FC_API "config.cflux.io/v1"
#define KS_API "kustomize.toolkit.fluxcd.io/v1"
#define GIT_API "source.toolkit.fluxcd.io/v1"

static fc_e2e e;
static char *sha;

static void need_cluster(void)
{
	if (!getenv("CF_KUBECONFIG"))
		skip();
}

static const char *str(const json_t *obj, const char *path)
{
	char buf[256], *save = NULL;
	const json_t *cur = obj;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	return json_string_value(cur);
}

static const char *label(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), key));
}

static const char *ready_status(const json_t *obj)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")), "Ready") == 0)
			return json_string_value(json_object_get(c, "status"));
	return NULL;
}

/* Polls the FluxConfig until its complianceState is state; returns it (caller json_decref) or NULL. */
static json_t *wait_state(const char *name, const char *state, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;

	while (cft_now_ms() < end) {
		json_t *fc = fc_e2e_get(&e, FC_API, "FluxConfig", name);
		const char *s = str(fc, "status.complianceState");
		if (s && strcmp(s, state) == 0)
			return fc;
		json_decref(fc);
		usleep(50000);
	}
	json_t *fc = fc_e2e_get(&e, FC_API, "FluxConfig", name);
	char *text = json_dumps(json_object_get(fc, "status"), JSON_INDENT(1));
	fprintf(stderr, "FluxConfig %s never became %s; status: %s\n", name, state, text ? text : "none");
	free(text);
	json_decref(fc);
	return NULL;
}

/* The statuses[] entry of kind/name, borrowed from fc. */
static json_t *entry(const json_t *fc, const char *kind, const char *name)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(fc, "status"), "statuses"), i, s)
		if (strcmp(str(s, "kind"), kind) == 0 && strcmp(str(s, "name"), name) == 0)
			return s;
	return NULL;
}

static int gone(const char *api, const char *kind, const char *name, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;

	while (cft_now_ms() < end) {
		json_t *obj = fc_e2e_get(&e, api, kind, name);
		if (!obj)
			return 1;
		json_decref(obj);
		usleep(100000);
	}
	return 0;
}

/* The Kustomization's Ready status as seen now ("" when absent). */
static int ks_ready(const char *name)
{
	json_t *ks = fc_e2e_get(&e, KS_API, "Kustomization", name);
	const char *st = ready_status(ks);
	int ready = st && strcmp(st, "True") == 0 && str(ks, "status.lastAppliedRevision") &&
		    strstr(str(ks, "status.lastAppliedRevision"), sha);
	json_decref(ks);
	return ready;
}

static int setup(void **state)
{
	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		return 0;
	if (fc_e2e_up(&e) < 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		return -1;
	}
	if (!(sha = fc_e2e_commit(&e, "base", NULL)))
		return -1;
	/* The password lives in a Secret; the config names the user and the Secret, as Azure's httpsUser/httpsKey. */
	return fc_e2e_create(&e, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"git-key\"},"
			     "\"stringData\":{\"httpsKey\":\"s3cret-pa55\"}}") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	if (e.dir && getenv("CF_E2E_SHOW_LOG"))
		cft_sh("tail -60 '%s/fluxconfig-controller.log' >&2", e.dir);
	fc_e2e_down(&e);
	free(sha);
	return 0;
}

/* The Bicep block's properties, pasted as spec: two kustomizations, apps after infra. */
static void test_compliant(void **state)
{
	json_t *fc, *obj, *owner, *hr;
	char rev[128];

	(void)state;
	need_cluster();
	assert_int_equal(fc_e2e_create(&e,
		"{\"apiVersion\":\"" FC_API "\",\"kind\":\"FluxConfig\",\"metadata\":{\"name\":\"fleet\"},\"spec\":{"
		"\"scope\":\"namespace\",\"namespace\":\"%s\",\"sourceKind\":\"GitRepository\",\"suspend\":false,"
		"\"gitRepository\":{\"url\":\"%s/fleet.git\",\"repositoryRef\":{\"branch\":\"main\"},"
		"\"syncIntervalInSeconds\":600,\"timeoutInSeconds\":60,\"httpsUser\":\"gituser\","
		"\"httpsKeySecretRef\":{\"name\":\"git-key\"}},"
		"\"kustomizations\":{"
		"\"infra\":{\"path\":\"./infra\",\"prune\":true,\"syncIntervalInSeconds\":600,\"retryIntervalInSeconds\":2},"
		"\"apps\":{\"path\":\"./apps\",\"prune\":true,\"dependsOn\":[\"infra\"],\"retryIntervalInSeconds\":2}}}}",
		e.ns, getenv("CF_GIT_AUTH_URL")), 0);
	fc = wait_state("fleet", "Compliant", TIMEOUT);
	assert_non_null(fc);
	snprintf(rev, sizeof(rev), "main@sha1:%s", sha);
	assert_string_equal(str(fc, "status.sourceSyncedCommitId"), rev);
	assert_non_null(str(fc, "status.sourceUpdatedAt"));
	assert_non_null(str(fc, "status.statusUpdatedAt"));
	assert_null(str(fc, "status.errorMessage"));
	assert_string_equal(ready_status(fc), "True");
	assert_int_equal(json_array_size(json_object_get(json_object_get(fc, "status"), "statuses")), 4);
	assert_string_equal(str(entry(fc, "GitRepository", "fleet"), "complianceState"), "Compliant");
	assert_string_equal(str(entry(fc, "Kustomization", "fleet-apps"), "complianceState"), "Compliant");
	assert_string_equal(str(entry(fc, "Kustomization", "fleet-infra"), "complianceState"), "Compliant");
	/* The HelmRelease fleet-apps applied, found through its inventory, with Helm's numbers. */
	hr = entry(fc, "HelmRelease", "hello");
	assert_non_null(hr);
	assert_string_equal(str(hr, "complianceState"), "Compliant");
	assert_string_equal(str(hr, "appliedBy.name"), "fleet-apps");
	assert_string_equal(str(hr, "appliedBy.namespace"), e.ns);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(hr, "helmReleaseProperties"), "lastRevisionApplied")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(hr, "helmReleaseProperties"), "failureCount")), 0);
	obj = fc_e2e_get(&e, "v1", "ConfigMap", "hello-cm");
	assert_non_null(obj);
	assert_string_equal(str(obj, "data.message"), "from-fleet");
	json_decref(obj);

	/* What it created: owned, labelled, and translated from the Azure fields. */
	obj = fc_e2e_get(&e, KS_API, "Kustomization", "fleet-apps");
	assert_non_null(obj);
	assert_string_equal(label(obj, "config.cflux.io/name"), "fleet");
	assert_string_equal(label(obj, "config.cflux.io/namespace"), e.ns);
	owner = json_array_get(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), 0);
	assert_string_equal(str(owner, "kind"), "FluxConfig");
	assert_string_equal(str(owner, "uid"), str(fc, "metadata.uid"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(obj, "spec"),
		"dependsOn"), 0), "name")), "fleet-infra");
	assert_string_equal(str(obj, "spec.targetNamespace"), e.ns);
	assert_string_equal(str(obj, "spec.interval"), "10m0s");
	assert_string_equal(str(obj, "spec.retryInterval"), "2s");
	json_decref(obj);
	obj = fc_e2e_get(&e, GIT_API, "GitRepository", "fleet");
	assert_non_null(obj);
	assert_string_equal(str(obj, "spec.secretRef.name"), "fleet-auth");
	assert_string_equal(str(obj, "spec.timeout"), "1m0s");
	json_decref(obj);
	obj = fc_e2e_get(&e, "v1", "ConfigMap", "app-settings");
	assert_non_null(obj);
	assert_string_equal(str(obj, "data.tier"), "apps");
	json_decref(obj);
	json_decref(fc);
}

/* A broken apps path names the failing Kustomization; fixing it returns to Compliant within a second of it. */
static void test_broken_then_fixed(void **state)
{
	json_t *fc;
	long long ks_at = 0, fc_at = 0, end;

	(void)state;
	need_cluster();
	free(sha);
	assert_non_null(sha = fc_e2e_commit(&e, "broken apps", "broken", NULL));
	assert_int_equal(fc_e2e_request(&e, GIT_API, "GitRepository", "fleet"), 0);
	fc = wait_state("fleet", "Non-Compliant", TIMEOUT);
	assert_non_null(fc);
	assert_non_null(str(fc, "status.errorMessage"));
	assert_non_null(strstr(str(fc, "status.errorMessage"), "Kustomization/"));
	assert_non_null(strstr(str(fc, "status.errorMessage"), "/fleet-apps: "));
	assert_string_equal(str(entry(fc, "Kustomization", "fleet-apps"), "complianceState"), "Non-Compliant");
	assert_string_equal(str(entry(fc, "Kustomization", "fleet-infra"), "complianceState"), "Compliant");
	assert_string_equal(ready_status(fc), "False");
	json_decref(fc);

	free(sha);
	assert_non_null(sha = fc_e2e_commit(&e, "fixed apps", NULL));
	assert_int_equal(fc_e2e_request(&e, GIT_API, "GitRepository", "fleet"), 0);
	/* Both observed by the same 20 ms poll, so the gap is the controller's, not the test's. */
	for (end = cft_now_ms() + TIMEOUT; cft_now_ms() < end && !fc_at;) {
		json_t *c = fc_e2e_get(&e, FC_API, "FluxConfig", "fleet");
		const char *s = str(c, "status.complianceState");
		if (!ks_at && ks_ready("fleet-apps"))
			ks_at = cft_now_ms();
		if (ks_at && s && strcmp(s, "Compliant") == 0 && str(c, "status.sourceSyncedCommitId") &&
		    strstr(str(c, "status.sourceSyncedCommitId"), sha))
			fc_at = cft_now_ms();
		json_decref(c);
		usleep(20000);
	}
	assert_true(ks_at > 0 && fc_at > 0);
	fprintf(stderr, "rollup followed the Kustomization in %lld ms\n", fc_at - ks_at);
	assert_true(fc_at - ks_at < 1000);
}

/* Removing a kustomization from the map prunes its Kustomization, and that one's objects with it. */
static void test_prune(void **state)
{
	json_t *fc;

	(void)state;
	need_cluster();
	assert_int_equal(fc_e2e_patch(&e, FC_API, "FluxConfig", "fleet", "{\"spec\":{\"kustomizations\":{\"apps\":null}}}"), 0);
	assert_true(gone(KS_API, "Kustomization", "fleet-apps", TIMEOUT));
	assert_true(gone("v1", "ConfigMap", "app-settings", TIMEOUT));
	assert_true(gone("helm.toolkit.fluxcd.io/v2", "HelmRelease", "hello", TIMEOUT));
	fc = wait_state("fleet", "Compliant", TIMEOUT);
	assert_non_null(fc);
	assert_int_equal(json_array_size(json_object_get(json_object_get(fc, "status"), "statuses")), 2);
	assert_null(entry(fc, "Kustomization", "fleet-apps"));
	json_decref(fc);
	json_t *cm = fc_e2e_get(&e, "v1", "ConfigMap", "infra-settings");
	assert_non_null(cm);
	json_decref(cm);
}

static int suspended(const char *api, const char *kind, const char *name)
{
	json_t *obj = fc_e2e_get(&e, api, kind, name);
	int s = json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend"));
	json_decref(obj);
	return s;
}

/* suspend on the config suspends its GitRepository and every Kustomization; resuming undoes it. */
static void test_suspend(void **state)
{
	json_t *fc;

	(void)state;
	need_cluster();
	assert_int_equal(fc_e2e_patch(&e, FC_API, "FluxConfig", "fleet", "{\"spec\":{\"suspend\":true}}"), 0);
	fc = wait_state("fleet", "Suspended", TIMEOUT);
	assert_non_null(fc);
	json_decref(fc);
	assert_true(suspended(GIT_API, "GitRepository", "fleet"));
	assert_true(suspended(KS_API, "Kustomization", "fleet-infra"));

	assert_int_equal(fc_e2e_patch(&e, FC_API, "FluxConfig", "fleet", "{\"spec\":{\"suspend\":false}}"), 0);
	fc = wait_state("fleet", "Compliant", TIMEOUT);
	assert_non_null(fc);
	json_decref(fc);
	assert_false(suspended(GIT_API, "GitRepository", "fleet"));
	assert_false(suspended(KS_API, "Kustomization", "fleet-infra"));
}

/* A source kind cflux does not take is refused with a message saying so, and nothing is created. */
static void test_unsupported_source_kind(void **state)
{
	json_t *fc, *obj;

	(void)state;
	need_cluster();
	assert_int_equal(fc_e2e_create(&e,
		"{\"apiVersion\":\"" FC_API "\",\"kind\":\"FluxConfig\",\"metadata\":{\"name\":\"blob\"},\"spec\":{"
		"\"sourceKind\":\"AzureBlob\",\"kustomizations\":{\"x\":{\"path\":\"./\"}}}}"), 0);
	fc = wait_state("blob", "Non-Compliant", TIMEOUT);
	assert_non_null(fc);
	assert_non_null(strstr(str(fc, "status.errorMessage"), "sourceKind 'AzureBlob' is not supported"));
	assert_string_equal(ready_status(fc), "False");
	json_decref(fc);
	assert_null(obj = fc_e2e_get(&e, KS_API, "Kustomization", "blob-x"));
	json_decref(obj);

	/* Fixing the spec lifts the stall: the source alone, with no kustomizations, is Compliant. */
	assert_int_equal(fc_e2e_patch(&e, FC_API, "FluxConfig", "blob",
		"{\"spec\":{\"sourceKind\":\"GitRepository\",\"kustomizations\":null,\"gitRepository\":{"
		"\"url\":\"%s/fleet.git\",\"repositoryRef\":{\"branch\":\"main\"}}}}", getenv("CF_GIT_HTTP_URL")), 0);
	fc = wait_state("blob", "Compliant", TIMEOUT);
	assert_non_null(fc);
	assert_int_equal(json_array_size(json_object_get(json_object_get(fc, "status"), "statuses")), 1);
	assert_null(str(fc, "status.errorMessage"));
	assert_string_equal(ready_status(fc), "True");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(fc, "status"), "observedGeneration")),
			 json_integer_value(json_object_get(json_object_get(fc, "metadata"), "generation")));
	json_decref(fc);
	assert_int_equal(fc_e2e_delete(&e, FC_API, "FluxConfig", "blob"), 0);
	assert_true(gone(FC_API, "FluxConfig", "blob", TIMEOUT));
}

/* Deleting the config deletes everything it created, then the config itself goes. */
static void test_delete(void **state)
{
	(void)state;
	need_cluster();
	assert_int_equal(fc_e2e_delete(&e, FC_API, "FluxConfig", "fleet"), 0);
	assert_true(gone(FC_API, "FluxConfig", "fleet", TIMEOUT));
	assert_true(gone(KS_API, "Kustomization", "fleet-infra", 5000));
	assert_true(gone(GIT_API, "GitRepository", "fleet", 5000));
	assert_true(gone("v1", "Secret", "fleet-auth", 5000));
	assert_true(gone("v1", "ConfigMap", "infra-settings", 5000));
}

/* `cflux create config --as-object` makes one FluxConfig and waits for it; `cflux get configs` shows it. */
static void test_cli_as_object(void **state)
{
	char *out;

	(void)state;
	need_cluster();
	out = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' --timeout=90s create config web --as-object --scope=namespace --url='%s/fleet.git'"
			 " --branch=main --interval=10m --kustomization name=infra,path=./infra,prune=true 2>&1; echo rc=$?",
			 CFLUX_BINARY, getenv("CF_KUBECONFIG"), e.ns, getenv("CF_GIT_HTTP_URL"));
	assert_non_null(out);
	fprintf(stderr, "%s\n", out);
	assert_non_null(strstr(out, "FluxConfig created"));
	assert_non_null(strstr(out, "FluxConfig web is Compliant"));
	assert_non_null(strstr(out, "rc=0"));
	free(out);
	out = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get configs", CFLUX_BINARY, getenv("CF_KUBECONFIG"), e.ns);
	assert_non_null(out);
	fprintf(stderr, "%s\n", out);
	assert_non_null(strstr(out, "COMPLIANCE"));
	assert_non_null(strstr(out, "web"));
	assert_non_null(strstr(out, "Compliant"));
	free(out);
	json_t *ks = fc_e2e_get(&e, KS_API, "Kustomization", "web-infra");
	assert_non_null(ks);
	assert_string_equal(label(ks, "config.cflux.io/name"), "web");
	json_decref(ks);
	assert_int_equal(fc_e2e_delete(&e, FC_API, "FluxConfig", "web"), 0);
	assert_true(gone(FC_API, "FluxConfig", "web", TIMEOUT));

	/* A configuration that cannot become Compliant fails the command with its errorMessage. */
	out = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' --timeout=90s create config bad --as-object --scope=namespace"
			 " --url='%s/fleet.git' --branch=main --kustomization name=x,path=./nowhere 2>&1; echo rc=$?",
			 CFLUX_BINARY, getenv("CF_KUBECONFIG"), e.ns, getenv("CF_GIT_HTTP_URL"));
	assert_non_null(out);
	fprintf(stderr, "%s\n", out);
	assert_non_null(strstr(out, "/bad-x: "));
	assert_non_null(strstr(out, "rc=1"));
	assert_null(strstr(out, "timed out"));
	free(out);
	assert_int_equal(fc_e2e_delete(&e, FC_API, "FluxConfig", "bad"), 0);
	assert_true(gone(FC_API, "FluxConfig", "bad", TIMEOUT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compliant),
		cmocka_unit_test(test_broken_then_fixed),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_suspend),
		cmocka_unit_test(test_unsupported_source_kind),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_cli_as_object),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
