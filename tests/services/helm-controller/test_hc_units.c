/* Unit tests of helm-controller's values merging (Flux's valuesFrom then values order) and release keys. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_nested),
		cmocka_unit_test(test_merge_type_change),
		cmocka_unit_test(test_digest_canonical),
		cmocka_unit_test(test_storage_key),
		cmocka_unit_test(test_chart_open_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
