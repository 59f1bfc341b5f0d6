/*
 * kustomize-controller's pure parts: post-build substitution (the forms Flux's docs list, and
 * hostile input), inventory ids (the examples in Flux's API reference), kstatus rules and
 * status.history snapshots (the upsert rules of Flux's meta.History).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf/error.h"
#include "kc.h"

static json_t *vars(void)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "greeting", "hello", "empty", "", "d", "foo", "name", "app.tar.gz");
}

static void expect(const char *in, const char *want, int strict)
{
	json_t *v = vars();
	char *out = NULL;

	assert_int_equal(kc_substitute(&out, in, v, strict), 0);
	assert_string_equal(out, want);
	free(out);
	json_decref(v);
}

static void expect_error(const char *in, int code, const char *text)
{
	json_t *v = vars();
	char *out = NULL;

	assert_int_equal(kc_substitute(&out, in, v, 1), code);
	assert_null(out);
	if (text)
		assert_non_null(strstr(cf_error_last(), text));
	json_decref(v);
}

static void test_substitute_forms(void **state)
{
	(void)state;
	expect("a: ${greeting}", "a: hello", 1);
	expect("a: $greeting", "a: $greeting", 1);              /* only braces expand */
	expect("${missing:=dflt}", "dflt", 1);
	expect("${missing:-dflt}", "dflt", 1);
	expect("${empty:=dflt}", "dflt", 1);                    /* ':' forms also replace empty */
	expect("${empty=dflt}", "", 1);
	expect("${greeting:=dflt}", "hello", 1);
	expect("$${greeting}", "${greeting}", 1);               /* escaped */
	expect("$${var=${d}}", "${var=foo}", 1);                /* what is nested still expands */
	expect("${greeting^^} ${greeting^} ${#greeting}", "HELLO Hello 5", 1);
	expect("${greeting:1:3}", "ell", 1);
	expect("${missing}", "", 0);                            /* not strict: empty */
	expect("cost: $5 and $$ stay", "cost: $5 and $$ stay", 1);
}

/* Trim operators take path.Match globs; replace operators take literal text (drone/envsubst funcs). */
static void test_substitute_patterns(void **state)
{
	(void)state;
	expect("${name#*.}", "tar.gz", 1);
	expect("${name##*.}", "gz", 1);
	expect("${name%.*}", "app.tar", 1);
	expect("${name%%.*}", "app", 1);
	expect("${name#nomatch}", "app.tar.gz", 1);
	expect("${name/a/X}", "Xpp.tar.gz", 1);
	expect("${name//a/X}", "Xpp.tXr.gz", 1);
	expect("${name/#app/web}", "web.tar.gz", 1);
	expect("${name/%gz/xz}", "app.tar.xz", 1);
	expect("${name/.tar}", "app.gz", 1);
	expect("${name/${d}/x}", "app.tar.gz", 1);
}

static void test_substitute_errors(void **state)
{
	char deep[2000] = "";

	(void)state;
	expect_error("${missing}", CF_EINVALID, "variable not set (strict mode): \"missing\"");
	expect_error("${greeting", CF_EINVALID, NULL);
	expect_error("${missing:=dflt", CF_EINVALID, "missing closing brace");
	expect_error("${1abc}", CF_EINVALID, "bad substitution");
	expect_error("${greeting+x}", CF_EINVALID, "bad substitution");
	for (int i = 0; i < 100; i++)
		strcat(deep, "${a:=");
	expect_error(deep, CF_ELIMIT, NULL);
}

static void test_inventory_ids(void **state)
{
	char id[512];
	json_t *svc = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Service", "metadata", "name",
				"podinfo", "namespace", "default");
	json_t *dep = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "apps/v1", "kind", "Deployment", "metadata",
				"name", "podinfo", "namespace", "default");
	json_t *role = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "rbac.authorization.k8s.io/v1", "kind",
				 "ClusterRole", "metadata", "name", "system:viewer");

	(void)state;
	kc_inventory_id(id, sizeof(id), svc);
	assert_string_equal(id, "default_podinfo__Service");
	kc_inventory_id(id, sizeof(id), dep);
	assert_string_equal(id, "default_podinfo_apps_Deployment");
	kc_inventory_id(id, sizeof(id), role);
	assert_string_equal(id, "_system__viewer_rbac.authorization.k8s.io_ClusterRole");
	json_decref(svc);
	json_decref(dep);
	json_decref(role);
}

static int status_of(const char *json)
{
	char why[256];
	json_t *obj = json_loads(json, 0, NULL);
	int st;

	assert_non_null(obj);
	st = kc_health_status(obj, why, sizeof(why));
	json_decref(obj);
	return st;
}

static void test_kstatus(void **state)
{
	(void)state;
	/* A Deployment is Current with the status fields real-cluster.md section 3 lists. */
	assert_int_equal(status_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"generation\":2},"
		"\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":2,\"replicas\":2,\"updatedReplicas\":2,"
		"\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"},"
		"{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}"), 0);
	/* ...and in progress when the status is about an older generation or replicas are missing. */
	assert_int_equal(status_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"generation\":3},"
		"\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":2,\"replicas\":2,\"updatedReplicas\":2,"
		"\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"},"
		"{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}"), 1);
	assert_int_equal(status_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"generation\":1},"
		"\"spec\":{\"replicas\":1}}"), 1);
	assert_int_equal(status_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{},\"status\":{"
		"\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\"}]}}"), 2);
	assert_int_equal(status_of("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{},"
		"\"status\":{\"phase\":\"Pending\"}}"), 1);
	assert_int_equal(status_of("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
		"\"metadata\":{},\"status\":{\"conditions\":[{\"type\":\"Established\",\"status\":\"True\"}]}}"), 0);
	/* Flux kinds: Ready decides, Stalled fails. */
	assert_int_equal(status_of("{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\","
		"\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,\"conditions\":["
		"{\"type\":\"Ready\",\"status\":\"False\"}]}}"), 1);
	assert_int_equal(status_of("{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\","
		"\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,\"conditions\":["
		"{\"type\":\"Stalled\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"False\"}]}}"), 2);
	assert_int_equal(status_of("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}"), 0);
}

static const char *snap_str(const json_t *obj, size_t i, const char *key)
{
	json_t *h = json_object_get(json_object_get(obj, "status"), "history");
	return json_string_value(json_object_get(json_array_get(h, i), key));
}

static json_int_t snap_total(const json_t *obj, size_t i)
{
	json_t *h = json_object_get(json_object_get(obj, "status"), "history");
	return json_integer_value(json_object_get(json_array_get(h, i), "totalReconciliations"));
}

static void test_history(void **state)
{
	json_t *obj = json_pack("{s:{s:s}}", "metadata", "name", "app");
	json_t *objs = json_pack("[{s:s,s:s}]", "kind", "ConfigMap", "apiVersion", "v1");
	json_t *same = json_pack("[{s:s,s:s}]", "apiVersion", "v1", "kind", "ConfigMap");
	char d1[80], d2[80], dd[8];
	(void)state;

	assert_int_equal(kc_history_digest(d1, sizeof(d1), objs), 0);
	assert_int_equal(kc_history_digest(d2, sizeof(d2), same), 0);
	/* The key order of a built object does not change its digest. */
	assert_string_equal(d1, d2);
	assert_int_equal(strncmp(d1, "sha256:", 7), 0);
	assert_int_equal(strlen(d1), 7 + 64);
	assert_true(kc_history_digest(dd, sizeof(dd), objs) < 0);

	assert_int_equal(kc_history_upsert(obj, "sha256:a", 1000, 1500, "ReconciliationSucceeded", "main@sha1:1"), 0);
	assert_int_equal(kc_history_upsert(obj, "sha256:a", 2000, 250, "ReconciliationSucceeded", "main@sha1:1"), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(obj, "status"), "history")), 1);
	assert_int_equal(snap_total(obj, 0), 2);
	assert_string_equal(snap_str(obj, 0, "firstReconciled"), "1970-01-01T00:16:40Z");
	assert_string_equal(snap_str(obj, 0, "lastReconciled"), "1970-01-01T00:33:20Z");
	assert_string_equal(snap_str(obj, 0, "lastReconciledDuration"), "250ms");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(
		json_object_get(json_object_get(obj, "status"), "history"), 0), "metadata"), "revision")), "main@sha1:1");

	/* Same digest, another outcome: a snapshot of its own, in front. */
	assert_int_equal(kc_history_upsert(obj, "sha256:a", 3000, 10, "HealthCheckFailed", "main@sha1:1"), 0);
	assert_string_equal(snap_str(obj, 0, "lastReconciledStatus"), "HealthCheckFailed");
	assert_string_equal(snap_str(obj, 1, "lastReconciledStatus"), "ReconciliationSucceeded");
	/* An existing one that happens again moves to the front and counts up. */
	assert_int_equal(kc_history_upsert(obj, "sha256:a", 4000, 10, "ReconciliationSucceeded", "main@sha1:1"), 0);
	assert_string_equal(snap_str(obj, 0, "lastReconciledStatus"), "ReconciliationSucceeded");
	assert_int_equal(snap_total(obj, 0), 3);
	/* At most five, the oldest dropped. */
	for (int i = 0; i < 6; i++) {
		char d[32];
		snprintf(d, sizeof(d), "sha256:%d", i);
		assert_int_equal(kc_history_upsert(obj, d, 5000 + i, 10, "ReconciliationSucceeded", "r"), 0);
	}
	assert_int_equal(json_array_size(json_object_get(json_object_get(obj, "status"), "history")), 5);
	assert_string_equal(snap_str(obj, 0, "digest"), "sha256:5");
	assert_string_equal(snap_str(obj, 4, "digest"), "sha256:1");
	json_decref(obj);
	json_decref(objs);
	json_decref(same);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_substitute_forms),
		cmocka_unit_test(test_substitute_patterns),
		cmocka_unit_test(test_substitute_errors),
		cmocka_unit_test(test_inventory_ids),
		cmocka_unit_test(test_kstatus),
		cmocka_unit_test(test_history),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
