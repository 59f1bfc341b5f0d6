/*
 * Unit tests of what helm-controller computes without the cluster for upgrades and drift: which
 * objects a new manifest dropped (update.c) and the JSON Patch that corrects drift (drift.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hc.h"

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = parse(want_text);

	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT);
		fail_msg("got %s\nwant %s", g, want_text);
	}
	json_decref(want);
}

/* Helm matches objects by group, kind, namespace and name: a new apiVersion of one group is the same object. */
static void test_missing_by_group_kind_ns_name(void **state)
{
	json_t *old = parse("[{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}},"
			    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"gone\",\"namespace\":\"n\"}},"
			    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"moved\",\"namespace\":\"n\"}},"
			    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"r\"}}]");
	json_t *new = parse("[{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}},"
			    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"moved\",\"namespace\":\"other\"}},"
			    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"r\"}},"
			    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"gone\",\"namespace\":\"n\"}}]");
	json_t *dropped, *added;

	(void)state;
	dropped = hc_objects_missing(old, new);
	assert_int_equal(json_array_size(dropped), 2);
	assert_string_equal(cf_object_str(json_array_get(dropped, 0), "metadata.name"), "gone");
	assert_string_equal(cf_object_str(json_array_get(dropped, 0), "kind"), "ConfigMap");
	assert_string_equal(cf_object_str(json_array_get(dropped, 1), "metadata.namespace"), "n");
	added = hc_objects_missing(new, old);
	assert_int_equal(json_array_size(added), 2);
	assert_string_equal(cf_object_str(json_array_get(added, 0), "metadata.namespace"), "other");
	assert_string_equal(cf_object_str(json_array_get(added, 1), "kind"), "Secret");
	json_decref(dropped);
	json_decref(added);
	json_decref(old);
	json_decref(new);
}

/* No object on one side: everything or nothing is missing. */
static void test_missing_empty(void **state)
{
	json_t *some = parse("[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}]");
	json_t *none = parse("[]"), *out;

	(void)state;
	out = hc_objects_missing(some, none);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	out = hc_objects_missing(none, some);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	json_decref(some);
	json_decref(none);
}

/* Only what differs is in the patch: nested replace, add and remove; equal members give no operation. */
static void test_patch_members(void **state)
{
	json_t *live = parse("{\"data\":{\"a\":\"1\",\"b\":\"x\",\"stale\":\"s\"},\"spec\":{\"replicas\":3,\"same\":{\"k\":1}}}");
	json_t *want = parse("{\"data\":{\"a\":\"1\",\"b\":\"y\",\"c\":\"new\"},\"spec\":{\"replicas\":2,\"same\":{\"k\":1}}}");
	json_t *ops;

	(void)state;
	ops = hc_drift_patch(live, want);
	assert_json(ops, "[{\"op\":\"remove\",\"path\":\"/data/stale\"},{\"op\":\"replace\",\"path\":\"/data/b\",\"value\":\"y\"},"
			 "{\"op\":\"add\",\"path\":\"/data/c\",\"value\":\"new\"},{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2}]");
	json_decref(ops);
	ops = hc_drift_patch(want, want);
	assert_int_equal(json_array_size(ops), 0);
	json_decref(ops);
	json_decref(live);
	json_decref(want);
}

/* Keys with "/" and "~" (labels, annotations) are escaped in the pointer as RFC 6901 says; arrays are replaced whole. */
static void test_patch_escapes_and_arrays(void **state)
{
	json_t *live = parse("{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"a\",\"x~y\":\"1\"}},\"list\":[1,2,3]}");
	json_t *want = parse("{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"b\",\"x~y\":\"2\"}},\"list\":[1,3]}");
	json_t *ops;

	(void)state;
	ops = hc_drift_patch(live, want);
	assert_json(ops, "[{\"op\":\"replace\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\",\"value\":\"b\"},"
			 "{\"op\":\"replace\",\"path\":\"/metadata/labels/x~0y\",\"value\":\"2\"},"
			 "{\"op\":\"replace\",\"path\":\"/list\",\"value\":[1,3]}]");
	json_decref(ops);
	json_decref(live);
	json_decref(want);
}

/* A type change at a member (object to string) replaces it. */
static void test_patch_type_change(void **state)
{
	json_t *live = parse("{\"a\":{\"b\":1}}"), *want = parse("{\"a\":\"flat\"}"), *ops;

	(void)state;
	ops = hc_drift_patch(live, want);
	assert_json(ops, "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":\"flat\"}]");
	json_decref(ops);
	json_decref(live);
	json_decref(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_by_group_kind_ns_name),
		cmocka_unit_test(test_missing_empty),
		cmocka_unit_test(test_patch_members),
		cmocka_unit_test(test_patch_escapes_and_arrays),
		cmocka_unit_test(test_patch_type_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
