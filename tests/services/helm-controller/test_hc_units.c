/* Unit tests of helm-controller's values merging (Flux's valuesFrom then values order), release keys and hook parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "hc.h"

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

/* Maps merge key by key at every level; lists and scalars from the later source replace. */
static void test_merge_nested(void **state)
{
	json_t *dst = parse("{\"a\":{\"b\":1,\"c\":[1,2],\"d\":{\"e\":\"x\"}},\"keep\":true}");
	json_t *src = parse("{\"a\":{\"b\":2,\"c\":[3],\"d\":{\"f\":\"y\"}},\"new\":null}");
	json_t *want = parse("{\"a\":{\"b\":2,\"c\":[3],\"d\":{\"e\":\"x\",\"f\":\"y\"}},\"keep\":true,\"new\":null}");

	(void)state;
	hc_values_merge(dst, src);
	assert_true(json_equal(dst, want));
	json_decref(dst);
	json_decref(src);
	json_decref(want);
}

/* A map replaces a scalar and a scalar replaces a map. */
static void test_merge_type_change(void **state)
{
	json_t *dst = parse("{\"a\":1,\"b\":{\"c\":1}}");
	json_t *src = parse("{\"a\":{\"x\":1},\"b\":\"s\"}");

	(void)state;
	hc_values_merge(dst, src);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(dst, "a"), "x")), 1);
	assert_string_equal(json_string_value(json_object_get(dst, "b")), "s");
	json_decref(dst);
	json_decref(src);
}

/* Equal values give equal digests whatever the key order; different values differ. */
static void test_digest_canonical(void **state)
{
	json_t *a = parse("{\"x\":1,\"y\":{\"b\":2,\"a\":1}}"), *b = parse("{\"y\":{\"a\":1,\"b\":2},\"x\":1}");
	json_t *c = parse("{\"x\":2}");
	char da[96], db[96], dc[96], s1[64];

	(void)state;
	hc_values_digest(da, sizeof(da), a, "sha256");
	hc_values_digest(db, sizeof(db), b, "sha256");
	hc_values_digest(dc, sizeof(dc), c, "sha256");
	hc_values_digest(s1, sizeof(s1), a, "sha1");
	assert_string_equal(da, db);
	assert_string_not_equal(da, dc);
	assert_int_equal(strncmp(da, "sha256:", 7), 0);
	assert_int_equal(strlen(da), 7 + 64);
	assert_int_equal(strlen(s1), 40);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_storage_key(void **state)
{
	char key[256];

	(void)state;
	hc_storage_key(key, sizeof(key), "web", 12);
	assert_string_equal(key, "sh.helm.release.v1.web.v12");
}

/* Garbage is not a chart: the unpack step fails with a clear error, it does not crash. */
static void test_chart_open_garbage(void **state)
{
	char dir[] = "/tmp/hc-unit-XXXXXX", sub[64];
	hc_chart c = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/x", dir);
	assert_true(hc_chart_open(&c, "not a tarball at all", 20, sub) < 0);
	hc_chart_close(&c);
	rmdir(sub);
	rmdir(dir);
}

/* Hook documents of a rendered chart: Helm's events, weight and policies; release objects and unknown events skipped. */
static void test_hooks_parse(void **state)
{
	const char *rendered =
		"---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n"
		"---\n# Source: c/templates/job.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n"
		"  annotations:\n    helm.sh/hook: \" Pre-Install , post-upgrade\"\n    helm.sh/hook-weight: \"-5\"\n"
		"    helm.sh/hook-delete-policy: hook-succeeded,hook-failed\n\n"
		"---\n# Source: c/templates/t.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n"
		"  annotations:\n    helm.sh/hook: test-success\n    helm.sh/hook-weight: nope\n"
		"---\n# Source: c/templates/u.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: u\n"
		"  annotations:\n    helm.sh/hook: pre-install,no-such-event\n";
	json_t *hooks = NULL, *h;

	(void)state;
	assert_int_equal(hc_hooks_parse(&hooks, rendered), 0);
	assert_int_equal(json_array_size(hooks), 2);
	h = json_array_get(hooks, 0);
	assert_string_equal(json_string_value(json_object_get(h, "name")), "j");
	assert_string_equal(json_string_value(json_object_get(h, "path")), "c/templates/job.yaml");
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "events"), 0)), "pre-install");
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "events"), 1)), "post-upgrade");
	assert_int_equal(json_integer_value(json_object_get(h, "weight")), -5);
	assert_int_equal(json_array_size(json_object_get(h, "delete_policies")), 2);
	/* The document as split, trimmed: no "# Source:" line, no trailing blank line. */
	const char *manifest = json_string_value(json_object_get(h, "manifest"));
	assert_int_equal(strncmp(manifest, "apiVersion: batch/v1", 20), 0);
	assert_int_not_equal(manifest[strlen(manifest) - 1], '\n');
	h = json_array_get(hooks, 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "events"), 0)), "test");
	assert_null(json_object_get(h, "weight"));
	assert_null(json_object_get(h, "delete_policies"));
	json_decref(hooks);
}

/* Hostile or odd text yields no hooks and no crash. */
static void test_hooks_parse_hostile(void **state)
{
	static const char *const inputs[] = {
		"", "---", "---\n", "# Source: ", "---\n# Source: x\n", ":\n- [\n", "---\n---\n---\n",
		"metadata:\n  annotations:\n    helm.sh/hook: [1, 2]\n", "metadata: 5\n",
	};
	json_t *hooks;

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		hooks = NULL;
		assert_int_equal(hc_hooks_parse(&hooks, inputs[i]), 0);
		assert_int_equal(json_array_size(hooks), 0);
		json_decref(hooks);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_parse),
		cmocka_unit_test(test_hooks_parse_hostile),
		cmocka_unit_test(test_merge_nested),
		cmocka_unit_test(test_merge_type_change),
		cmocka_unit_test(test_digest_canonical),
		cmocka_unit_test(test_storage_key),
		cmocka_unit_test(test_chart_open_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
