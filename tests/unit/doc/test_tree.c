/* The tree API: construction, lookup, change, ownership, copying and comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/doc.h"
#include "cf/error.h"

static cf_doc *parse(const char *src)
{
	cf_doc *d = NULL;

	assert_int_equal(cf_doc_load_yaml(&d, src, strlen(src), NULL), 0);
	return d;
}

static void test_build_and_read(void **state)
{
	cf_doc *obj = NULL, *meta = NULL, *v = NULL, *seq = NULL;

	assert_int_equal(cf_doc_new_map(&obj), 0);
	assert_int_equal(cf_doc_map_set_str(obj, "kind", "ConfigMap"), 0);
	assert_int_equal(cf_doc_map_ensure(&meta, obj, "metadata"), 0);
	assert_int_equal(cf_doc_map_set_str(meta, "name", "x"), 0);
	assert_int_equal(cf_doc_map_ensure(&v, obj, "metadata"), 0);
	assert_ptr_equal(v, meta);
	assert_int_equal(cf_doc_map_ensure(&v, obj, "kind"), CF_EINVALID);
	assert_string_equal(cf_doc_get_str(cf_doc_get_path(obj, "metadata", NULL), "name"), "x");
	assert_string_equal(cf_doc_text(cf_doc_get_path(obj, "metadata", "name", NULL)), "x");
	assert_null(cf_doc_get_path(obj, "metadata", "nope", "deeper", NULL));
	assert_null(cf_doc_get_str(obj, "metadata"));

	assert_int_equal(cf_doc_new_seq(&seq), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cf_doc_new_int(&v, i), 0);
		assert_int_equal(cf_doc_seq_append(seq, v), 0);
	}
	assert_int_equal(cf_doc_new_int(&v, 10), 0);
	assert_int_equal(cf_doc_seq_insert(seq, 0, v), 0);
	assert_int_equal(cf_doc_new_bool(&v, 1), 0);
	assert_int_equal(cf_doc_seq_replace(seq, 2, v), 0);
	assert_int_equal(cf_doc_new_null(&v), 0);
	assert_int_equal(cf_doc_seq_insert(seq, 9, v), CF_EINVALID); /* item freed */
	assert_int_equal(cf_doc_len(seq), 4);
	assert_int_equal(cf_doc_int(cf_doc_item(seq, 0)), 10);
	assert_true(cf_doc_bool(cf_doc_item(seq, 2)));
	v = cf_doc_seq_take(seq, 0);
	assert_int_equal(cf_doc_int(v), 10);
	cf_doc_free(v);
	assert_null(cf_doc_seq_take(seq, 3));
	assert_int_equal(cf_doc_map_set(obj, "items", seq), 0);
	assert_string_equal(cf_doc_text(cf_doc_key(obj, 2)), "items");
	assert_int_equal(cf_doc_type_of(cf_doc_value(obj, 2)), CF_DOC_SEQ);
	assert_null(cf_doc_key(obj, 3));
	assert_string_equal(cf_doc_type_name(CF_DOC_MAP), "map");
	assert_string_equal(cf_doc_type_name(CF_DOC_STR), "string");
	cf_doc_free(obj);
	cf_doc_free(NULL);
}

static void test_set_keeps_position(void **state)
{
	cf_doc *d = parse("a: 1\nb: 2\nc: 3\n"), *v = NULL;

	assert_int_equal(cf_doc_new_str(&v, "two"), 0);
	assert_int_equal(cf_doc_map_set(d, "b", v), 0);
	assert_string_equal(cf_doc_text(cf_doc_key(d, 1)), "b");
	assert_string_equal(cf_doc_get_str(d, "b"), "two");
	assert_int_equal(cf_doc_map_remove(d, "a"), 0);
	assert_int_equal(cf_doc_map_remove(d, "a"), CF_ENOTFOUND);
	v = cf_doc_map_take(d, "c");
	assert_int_equal(cf_doc_int(v), 3);
	cf_doc_free(v);
	assert_int_equal(cf_doc_len(d), 1);
	assert_null(cf_doc_map_take(d, "zz"));
	cf_doc_free(d);
}

static void test_clone_equal_assign(void **state)
{
	cf_doc *a = parse("x: [1, {y: 'z'}]\nn: ~\nf: 1.0\n");
	cf_doc *b = parse("f: 1\nn: null\nx: [1, {y: z}]\n");
	cf_doc *c = NULL;

	/* pairs compare regardless of order; 1.0 (float) and 1 (int) are different types */
	assert_false(cf_doc_equal(a, b));
	assert_int_equal(cf_doc_set_str(cf_doc_get(a, "f"), "s"), 0);
	assert_int_equal(cf_doc_set_str(cf_doc_get(b, "f"), "s"), 0);
	assert_true(cf_doc_equal(a, b));
	assert_int_equal(cf_doc_clone(&c, a), 0);
	assert_true(cf_doc_equal(a, c));
	assert_int_equal(cf_doc_line(cf_doc_get(c, "x")), 1);
	assert_int_equal(cf_doc_set_str(cf_doc_item(cf_doc_get(c, "x"), 0), "changed"), 0);
	assert_false(cf_doc_equal(a, c));
	assert_string_equal(cf_doc_text(cf_doc_item(cf_doc_get(a, "x"), 0)), "1");

	/* assign copies into the node in place, also from its own subtree */
	cf_doc *x = cf_doc_get(a, "x");
	assert_int_equal(cf_doc_assign(x, cf_doc_item(x, 1)), 0);
	assert_ptr_equal(cf_doc_get(a, "x"), x);
	assert_string_equal(cf_doc_get_str(x, "y"), "z");
	assert_int_equal(cf_doc_assign(cf_doc_get(a, "n"), x), 0);
	assert_int_equal(cf_doc_type_of(cf_doc_get(a, "n")), CF_DOC_MAP);
	assert_int_equal(cf_doc_assign(x, cf_doc_get(b, "f")), 0);
	assert_string_equal(cf_doc_text(x), "s");
	/* keys cannot change under the map's index */
	assert_int_equal(cf_doc_set_str(cf_doc_key(a, 0), "other"), CF_EINVALID);
	assert_int_equal(cf_doc_set_str(cf_doc_get(a, "x"), "t"), 0);
	cf_doc_free(a);
	cf_doc_free(b);
	cf_doc_free(c);
}

static void test_scalar_accessors(void **state)
{
	cf_doc *d = parse("i: 0x10\nf: 2.5\nb: true\ns: \"q\"\nt: 2026-01-01\nu: 18446744073709551615\n");

	assert_int_equal(cf_doc_int(cf_doc_get(d, "i")), 16);
	assert_string_equal(cf_doc_text(cf_doc_get(d, "i")), "0x10");
	assert_true(cf_doc_float(cf_doc_get(d, "i")) == 16.0);
	assert_true(cf_doc_float(cf_doc_get(d, "f")) == 2.5);
	assert_int_equal(cf_doc_int(cf_doc_get(d, "f")), 0);
	assert_true(cf_doc_bool(cf_doc_get(d, "b")));
	assert_false(cf_doc_bool(cf_doc_get(d, "s")));
	assert_int_equal(cf_doc_len(cf_doc_get(d, "s")), 1);
	assert_true(cf_doc_is_timestamp(cf_doc_get(d, "t")));
	assert_int_equal(cf_doc_type_of(cf_doc_get(d, "t")), CF_DOC_STR);
	assert_null(cf_doc_text(d));
	assert_int_equal(cf_doc_line(cf_doc_get(d, "t")), 5);
	cf_doc *v = NULL;
	assert_int_equal(cf_doc_new_strn(&v, "a\0b", 3), 0);
	assert_int_equal(cf_doc_len(v), 3);
	assert_int_equal(cf_doc_line(v), 0);
	cf_doc_set_style(v, CF_DOC_STYLE_SINGLE);
	assert_int_equal(cf_doc_style_of(v), CF_DOC_STYLE_SINGLE);
	cf_doc_free(v);
	cf_doc_free(d);
}

/* Wide maps (a Helm repository index has thousands of keys) use a hash index. */
static void test_wide_map(void **state)
{
	size_t n = 100000;
	cf_doc *m = NULL, *v = NULL;
	char key[32];
	clock_t t0 = clock();

	assert_int_equal(cf_doc_new_map(&m), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "chart-%zu", i);
		assert_int_equal(cf_doc_new_int(&v, (int64_t)i), 0);
		assert_int_equal(cf_doc_map_set(m, key, v), 0);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "chart-%zu", i);
		assert_int_equal(cf_doc_int(cf_doc_get(m, key)), (int64_t)i);
	}
	/* removing keeps lookups right for the rest */
	for (size_t i = 0; i < n; i += 10000) {
		snprintf(key, sizeof(key), "chart-%zu", i);
		assert_int_equal(cf_doc_map_remove(m, key), 0);
		assert_null(cf_doc_get(m, key));
	}
	assert_int_equal(cf_doc_int(cf_doc_get(m, "chart-99999")), 99999);
	assert_int_equal(cf_doc_len(m), n - 10);
	cf_doc *c = NULL;
	assert_int_equal(cf_doc_clone(&c, m), 0);
	assert_true(cf_doc_equal(m, c));
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	fprintf(stderr, "wide map: %zu keys set, read, cloned, compared in %.2fs\n", n, secs);
	assert_true(secs < 20);
	cf_doc_free(c);
	cf_doc_free(m);
}

static void test_bad_arguments(void **state)
{
	cf_doc *s = NULL, *v = NULL;

	assert_int_equal(cf_doc_new_str(&s, "x"), 0);
	assert_int_equal(cf_doc_new_int(&v, 1), 0);
	assert_int_equal(cf_doc_map_set(s, "k", v), CF_EINVALID); /* v freed */
	assert_int_equal(cf_doc_new_int(&v, 1), 0);
	assert_int_equal(cf_doc_seq_append(s, v), CF_EINVALID);
	assert_null(cf_doc_get(s, "k"));
	assert_null(cf_doc_item(s, 0));
	assert_int_equal(cf_doc_map_remove(s, "k"), CF_EINVALID);
	assert_null(cf_doc_get(NULL, "k"));
	assert_int_equal(cf_doc_len(NULL), 0);
	cf_doc_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_read),
		cmocka_unit_test(test_set_keeps_position),
		cmocka_unit_test(test_clone_equal_assign),
		cmocka_unit_test(test_scalar_accessors),
		cmocka_unit_test(test_wide_map),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
