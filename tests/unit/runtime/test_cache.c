/* The cache: keys, managedFields stripping, secondary indexes and byte accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/runtime.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Kind/namespace/name" of spec.sourceRef, the namespace defaulting to the object's own. */
static void source_ref(const json_t *obj, cf_emit_fn emit, void *ctx)
{
	json_t *ref = json_object_get(json_object_get(obj, "spec"), "sourceRef");
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *ns = json_string_value(json_object_get(ref, "namespace"));
	char buf[512];

	if (!kind || !name)
		return;
	if (!ns)
		ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
	snprintf(buf, sizeof(buf), "%s/%s/%s", kind, ns ? ns : "", name);
	emit(ctx, buf);
}

static const cf_index_def indexes[] = {{"sourceRef", source_ref}, {NULL}};

static json_t *ks(const char *ns, const char *name, const char *src)
{
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:[{s:s}]}, s:{s:{s:s, s:s}}}",
			      "apiVersion", "kustomize.toolkit.fluxcd.io/v1", "kind", "Kustomization",
			      "metadata", "name", name, "namespace", ns, "managedFields", "manager", "x",
			      "spec", "sourceRef", "kind", "GitRepository", "name", src);
	assert_non_null(o);
	return o;
}

static void expect_index(cf_cache *c, const char *value, size_t n, const char *first)
{
	char **keys = NULL;
	size_t len = 99;

	assert_int_equal(cf_cache_index_keys(c, &keys, &len, "sourceRef", value), 0);
	assert_int_equal(len, n);
	if (first)
		assert_string_equal(keys[0], first);
	cf_strv_free(keys, len);
}

static void test_put_get_index_delete(void **state)
{
	cf_cache *c = NULL;
	json_t *a = ks("apps", "a", "repo"), *b = ks("apps", "b", "repo"), *got = NULL;
	char *text = NULL, *old = NULL, **keys = NULL;
	size_t n = 0;

	assert_int_equal(cf_cache_new(&c, indexes), 0);
	assert_int_equal(cf_cache_bytes(c), 0);
	assert_int_equal(cf_cache_put(c, a, &old), 0);
	assert_null(old);
	assert_int_equal(cf_cache_put(c, b, NULL), 0);
	assert_int_equal(cf_cache_len(c), 2);
	assert_int_equal(cf_cache_get(c, &text, "apps/a"), 0);
	/* Compact, in the original key order, and without managedFields. */
	assert_string_equal(text,
		"{\"apiVersion\":\"kustomize.toolkit.fluxcd.io/v1\",\"kind\":\"Kustomization\","
		"\"metadata\":{\"name\":\"a\",\"namespace\":\"apps\"},"
		"\"spec\":{\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}}}");
	free(text);
	/* The caller's object keeps its managedFields. */
	assert_non_null(json_object_get(json_object_get(a, "metadata"), "managedFields"));
	assert_int_equal(cf_cache_get_json(c, &got, "apps/b"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "b");
	json_decref(got);
	assert_int_equal(cf_cache_get(c, &text, "apps/zz"), CF_ENOTFOUND);

	expect_index(c, "GitRepository/apps/repo", 2, "apps/a");
	expect_index(c, "GitRepository/apps/other", 0, NULL);
	assert_int_equal(cf_cache_index_keys(c, &keys, &n, "nope", "x"), CF_ENOTFOUND);

	/* An update moves the object between index values and returns the old text. */
	json_t *a2 = ks("apps", "a", "other");
	assert_int_equal(cf_cache_put(c, a2, &old), 0);
	assert_non_null(old);
	assert_non_null(strstr(old, "\"repo\""));
	free(old);
	expect_index(c, "GitRepository/apps/repo", 1, "apps/b");
	expect_index(c, "GitRepository/apps/other", 1, "apps/a");

	assert_int_equal(cf_cache_keys(c, &keys, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0], "apps/a");
	assert_string_equal(keys[1], "apps/b");
	cf_strv_free(keys, n);

	assert_int_equal(cf_cache_delete(c, "apps/a", &old), 0);
	assert_non_null(strstr(old, "\"other\""));
	free(old);
	assert_int_equal(cf_cache_delete(c, "apps/a", NULL), CF_ENOTFOUND);
	expect_index(c, "GitRepository/apps/other", 0, NULL);
	assert_int_equal(cf_cache_delete(c, "apps/b", NULL), 0);
	assert_int_equal(cf_cache_len(c), 0);
	json_decref(a);
	json_decref(a2);
	json_decref(b);
	cf_cache_free(c);
	cf_cache_free(NULL);
}

static void test_keys_and_bad_objects(void **state)
{
	cf_cache *c = NULL;
	char key[16];
	json_t *cluster = json_pack("{s:{s:s}}", "metadata", "name", "ns1");
	json_t *noname = json_pack("{s:{s:s}}", "metadata", "namespace", "x");
	json_t *notobj = json_string("x");

	assert_int_equal(cf_cache_new(&c, NULL), 0);
	assert_int_equal(cf_cache_key(key, sizeof(key), cluster), 0);
	assert_string_equal(key, "ns1");
	assert_int_equal(cf_cache_put(c, cluster, NULL), 0);
	assert_int_equal(cf_cache_put(c, noname, NULL), CF_EINVALID);
	assert_int_equal(cf_cache_put(c, notobj, NULL), CF_EINVALID);
	json_t *longname = json_pack("{s:{s:s, s:s}}", "metadata", "name", "aaaaaaaaaa", "namespace", "bbbbbbb");
	assert_int_equal(cf_cache_key(key, sizeof(key), longname), CF_ELIMIT);
	json_decref(longname);
	json_decref(cluster);
	json_decref(noname);
	json_decref(notobj);
	cf_cache_free(c);
}

/*
 * The overhead per cached object beyond its JSON stays under the 2 KiB budget: measured with the
 * allocator's own count (mallinfo2) around 2000 inserts, and with the cache's accounting.
 */
static void test_overhead_per_object(void **state)
{
	cf_cache *c = NULL;
	size_t json_total = 0;
	char name[32];
	json_t *objs[2000];

	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "ks-%d", i);
		objs[i] = ks("apps", name, "repo");
		json_object_del(json_object_get(objs[i], "metadata"), "managedFields");
		char *t = json_dumps(objs[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_total += strlen(t);
		free(t);
	}
	struct mallinfo2 before = mallinfo2();
	assert_int_equal(cf_cache_new(&c, indexes), 0);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(cf_cache_put(c, objs[i], NULL), 0);
	struct mallinfo2 after = mallinfo2();
	size_t accounted = (cf_cache_bytes(c) - json_total) / 2000;
	print_message("cache overhead: %zu bytes/object accounted (JSON %zu bytes/object)\n",
		      accounted, json_total / 2000);
	assert_true(accounted < 2048);
#ifndef __SANITIZE_ADDRESS__ /* ASan replaces malloc, so mallinfo2 does not see the cache */
	print_message("cache overhead: %zu bytes/object from malloc\n",
		      (after.uordblks - before.uordblks - json_total) / 2000);
	assert_true(after.uordblks > before.uordblks + json_total);
	assert_true((after.uordblks - before.uordblks - json_total) / 2000 < 2048);
#else
	(void)before;
	(void)after;
#endif
	cf_cache_free(c);
	for (int i = 0; i < 2000; i++)
		json_decref(objs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_index_delete),
		cmocka_unit_test(test_keys_and_bad_objects),
		cmocka_unit_test(test_overhead_per_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
