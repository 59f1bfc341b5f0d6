/* YAML and JSON loading: streams, errors with positions, limits, anchors and merge keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/doc.h"
#include "cf/error.h"

static cf_doc *load(const char *src, cf_doc_schema schema)
{
	cf_doc_load_opts o = {.schema = schema, .filename = "t.yaml"};
	cf_doc *d = NULL;

	if (cf_doc_load_yaml(&d, src, strlen(src), &o) != 0)
		fail_msg("load failed: %s", cf_error_last());
	return d;
}

static int load_err(const char *src, cf_doc_schema schema, const char *want_msg)
{
	cf_doc_load_opts o = {.schema = schema, .filename = "t.yaml"};
	cf_doc *d = NULL;
	int err = cf_doc_load_yaml_stream(&d, src, strlen(src), &o);

	assert_null(d);
	if (want_msg)
		assert_string_equal(cf_error_last(), want_msg);
	return err;
}

static void test_stream(void **state)
{
	const char *src = "# only a comment\n---\na: 1\n---\n---\n- x\n...\n";
	cf_doc *docs = NULL;

	assert_int_equal(cf_doc_load_yaml_stream(&docs, src, strlen(src), NULL), 0);
	assert_int_equal(cf_doc_len(docs), 3);
	assert_int_equal(cf_doc_type_of(cf_doc_item(docs, 0)), CF_DOC_MAP);
	assert_int_equal(cf_doc_type_of(cf_doc_item(docs, 1)), CF_DOC_NULL);
	assert_int_equal(cf_doc_type_of(cf_doc_item(docs, 2)), CF_DOC_SEQ);
	cf_doc_free(docs);

	assert_int_equal(cf_doc_load_yaml_stream(&docs, "# c\n# d\n", 8, NULL), 0);
	assert_int_equal(cf_doc_len(docs), 0);
	cf_doc_free(docs);

	cf_doc *one = NULL;
	assert_int_equal(cf_doc_load_yaml(&one, "", 0, NULL), 0);
	assert_int_equal(cf_doc_type_of(one), CF_DOC_NULL);
	cf_doc_free(one);
	one = NULL;
	assert_int_equal(cf_doc_load_yaml(&one, "a\n---\nb\n", 8, NULL), CF_EPARSE);
	assert_null(one);
}

/* Positions are 1-based line:column of the problem; texts are libyaml's, which go-yaml shares. */
static void test_syntax_errors(void **state)
{
	assert_int_equal(load_err("a: b: c", CF_DOC_YAML12,
	                          "t.yaml:1:5: mapping values are not allowed in this context"),
	                 CF_EPARSE);
	assert_int_equal(load_err("a: 1\n  b: 2", CF_DOC_YAML12,
	                          "t.yaml:2:4: mapping values are not allowed in this context"),
	                 CF_EPARSE);
	assert_int_equal(load_err("a: \"unclosed\nb: 1", CF_DOC_YAML12,
	                          "t.yaml:2:5: found unexpected end of stream"),
	                 CF_EPARSE);
	assert_int_equal(load_err("a:\n\t- x", CF_DOC_YAML12,
	                          "t.yaml:2:1: found character that cannot start any token"),
	                 CF_EPARSE);
	assert_int_equal(load_err("a: [1, 2", CF_DOC_YAML12,
	                          "t.yaml:2:1: did not find expected ',' or ']'"),
	                 CF_EPARSE);
	assert_int_equal(load_err("a: *nope", CF_DOC_YAML12,
	                          "t.yaml:1:4: unknown anchor 'nope' referenced"),
	                 CF_EPARSE);
	assert_int_equal(load_err("a: \x01", CF_DOC_YAML12, NULL), CF_EPARSE);
	assert_int_equal(load_err("a: \xff\xfe", CF_DOC_YAML12, NULL), CF_EPARSE);
	/* NUL bytes inside the buffer are an error, not the end of the input */
	cf_doc *d = NULL;
	assert_int_equal(cf_doc_load_yaml_stream(&d, "a: b\0c", 6, NULL), CF_EPARSE);
}

/* kubectl kustomize on a ConfigMap with `a: 1` twice fails with
 * `line 7: mapping key "a" already defined at line 6`; go-yaml v2 (Helm) keeps the last. */
static void test_duplicate_keys(void **state)
{
	assert_int_equal(load_err("x: 0\na: 1\na: 2\n", CF_DOC_YAML12,
	                          "t.yaml:3:1: mapping key \"a\" already defined at line 2"),
	                 CF_EPARSE);
	cf_doc *d = load("x: 0\na: 1\na: 2\n", CF_DOC_YAML11);
	assert_int_equal(cf_doc_len(d), 2);
	assert_int_equal(cf_doc_int(cf_doc_get(d, "a")), 2);
	cf_doc_free(d);
}

/* sigs.k8s.io/yaml makes YAML 1.1 keys JSON strings: `on:` is "true", `1:` is "1". */
static void test_yaml11_keys(void **state)
{
	cf_doc *d = load("on: a\n1: b\n1.5: c\nno: d\n", CF_DOC_YAML11);
	assert_string_equal(cf_doc_get_str(d, "true"), "a");
	assert_string_equal(cf_doc_get_str(d, "1"), "b");
	assert_string_equal(cf_doc_get_str(d, "1.5"), "c");
	assert_string_equal(cf_doc_get_str(d, "false"), "d");
	cf_doc_free(d);
	assert_int_equal(load_err("~: x\n", CF_DOC_YAML11, NULL), CF_EPARSE);
	d = load("on: a\n", CF_DOC_YAML12);
	assert_string_equal(cf_doc_get_str(d, "on"), "a");
	cf_doc_free(d);
}

static void test_aliases_and_merge(void **state)
{
	const char *src = "base: &b {p: 1, q: 2}\n"
	                  "other: &o {q: 9, r: 3}\n"
	                  "m:\n  x: 0\n  <<: [*b, *o]\n  q: 5\n"
	                  "n: *b\n"
	                  "quoted:\n  \"<<\": *b\n";
	cf_doc *d = load(src, CF_DOC_YAML12);
	cf_doc *m = cf_doc_get(d, "m");

	/* explicit keys win, then the earlier merge source */
	assert_int_equal(cf_doc_len(m), 4);
	assert_int_equal(cf_doc_int(cf_doc_get(m, "q")), 5);
	assert_int_equal(cf_doc_int(cf_doc_get(m, "p")), 1);
	assert_int_equal(cf_doc_int(cf_doc_get(m, "r")), 3);
	assert_string_equal(cf_doc_text(cf_doc_key(m, 0)), "x");
	assert_string_equal(cf_doc_text(cf_doc_key(m, 1)), "p");
	assert_true(cf_doc_equal(cf_doc_get(d, "n"), cf_doc_get(d, "base")));
	/* a quoted "<<" is an ordinary key */
	assert_non_null(cf_doc_get(cf_doc_get(d, "quoted"), "<<"));
	cf_doc_free(d);
	assert_int_equal(load_err("a:\n  <<: 1\n", CF_DOC_YAML12, NULL), CF_EPARSE);
	/* an anchor redefined later takes the new value */
	d = load("a: &x 1\nb: &x 2\nc: *x\n", CF_DOC_YAML12);
	assert_int_equal(cf_doc_int(cf_doc_get(d, "c")), 2);
	cf_doc_free(d);
	/* an anchored value that a duplicate key replaces stays usable (YAML11 keeps the last) */
	d = load("a: &x [1]\na: 2\nc: *x\n", CF_DOC_YAML11);
	assert_int_equal(cf_doc_len(cf_doc_get(d, "c")), 1);
	cf_doc_free(d);
}

/* The "billion laughs" document: each level doubles ten times. */
static void test_alias_bomb(void **state)
{
	const char *bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	                   "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	                   "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	                   "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	                   "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	                   "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	                   "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	                   "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	cf_doc *d = NULL;

	assert_int_equal(cf_doc_load_yaml(&d, bomb, strlen(bomb), NULL), CF_ELIMIT);
	assert_non_null(strstr(cf_error_last(), "alias"));
	/* a few levels are fine */
	cf_doc_load_opts o = {.max_alias_expansion = 10};
	assert_int_equal(cf_doc_load_yaml(&d, "a: &a [1, 2]\nb: *a\n", 19, &o), 0);
	cf_doc_free(d);
	d = NULL;
	assert_int_equal(cf_doc_load_yaml(&d, "a: &a [1, 2, 3, 4, 5, 6]\nb: *a\nc: *a\n", 37, &o),
	                 CF_ELIMIT);
}

/* Copies made by aliases count toward the depth limit where they land; many anchors stay cheap. */
static void test_alias_depth_and_many_anchors(void **state)
{
	cf_doc_load_opts o = {.max_depth = 6};
	const char *src = "a: &a [[[[1]]]]\nb: [[*a]]\n";
	cf_doc *d = NULL;
	size_t n = 50000, len = 0;
	char *buf = malloc(n * 40);
	clock_t t0 = clock();

	assert_int_equal(cf_doc_load_yaml(&d, src, 16, &o), 0);
	cf_doc_free(d);
	d = NULL;
	assert_int_equal(cf_doc_load_yaml(&d, src, strlen(src), &o), CF_ELIMIT);

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "k%zu: &a%zu v%zu\n", i, i, i);
	len += (size_t)sprintf(buf + len, "r: [");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "*a%zu,", n - 1 - i);
	len += (size_t)sprintf(buf + len, "x]\n");
	assert_int_equal(cf_doc_load_yaml(&d, buf, len, NULL), 0);
	assert_string_equal(cf_doc_text(cf_doc_item(cf_doc_get(d, "r"), 0)), "v49999");
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 20);
	cf_doc_free(d);
	free(buf);
}

static char *nested(size_t depth)
{
	char *s = malloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

static void test_limits(void **state)
{
	cf_doc *d = NULL;
	char *deep = nested(300), *deeper = nested(200000);

	assert_int_equal(cf_doc_load_yaml(&d, deep, strlen(deep), NULL), CF_ELIMIT);
	assert_int_equal(cf_doc_load_json(&d, deep, strlen(deep), NULL), CF_ELIMIT);
	cf_doc_load_opts o = {.max_depth = 1000};
	assert_int_equal(cf_doc_load_yaml(&d, deep, strlen(deep), &o), 0);
	cf_doc_free(d);
	d = NULL;
	assert_int_equal(cf_doc_load_yaml(&d, deeper, strlen(deeper), NULL), CF_ELIMIT);
	assert_int_equal(cf_doc_load_json(&d, deeper, strlen(deeper), NULL), CF_ELIMIT);
	free(deep);
	free(deeper);

	cf_doc_load_opts small = {.max_bytes = 10};
	assert_int_equal(cf_doc_load_yaml(&d, "a: 12345678901", 14, &small), CF_ELIMIT);
	assert_int_equal(cf_doc_load_json(&d, "[1,2,3,4,5,6]", 13, &small), CF_ELIMIT);
	cf_doc_load_opts few = {.max_nodes = 5};
	assert_int_equal(cf_doc_load_yaml(&d, "[1, 2, 3, 4, 5]", 15, &few), CF_ELIMIT);
	assert_int_equal(cf_doc_load_json(&d, "[1,2,3,4,5]", 11, &few), CF_ELIMIT);
	assert_null(d);
}

/* A large document loads in linear time and lookups in wide maps stay fast. */
static void test_huge_input(void **state)
{
	size_t keys = 200000, cap = keys * 40, len = 0;
	char *buf = malloc(cap);
	cf_doc *d = NULL;
	clock_t t0 = clock();

	len += (size_t)sprintf(buf + len, "entries:\n");
	for (size_t i = 0; i < keys; i++)
		len += (size_t)sprintf(buf + len, "  key%zu: {v: %zu}\n", i, i);
	assert_int_equal(cf_doc_load_yaml(&d, buf, len, NULL), 0);
	cf_doc *e = cf_doc_get(d, "entries");
	assert_int_equal(cf_doc_len(e), keys);
	for (size_t i = 0; i < keys; i += 997) {
		char k[32];
		snprintf(k, sizeof(k), "key%zu", i);
		assert_int_equal(cf_doc_int(cf_doc_get(cf_doc_get(e, k), "v")), (int64_t)i);
	}
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	fprintf(stderr, "loaded %zu bytes, %zu keys in %.2fs\n", len, keys, secs);
	assert_true(secs < 30);
	cf_doc_free(d);
	free(buf);
}

static void test_json(void **state)
{
	const char *src = "{\"b\": 1, \"a\": [true, null, 1.5, \"x\\u0000y\"], \"b\": 2,\n"
	                  " \"big\": 123456789012345678901234, \"i\": -9223372036854775808}";
	cf_doc *d = NULL;

	assert_int_equal(cf_doc_load_json(&d, src, strlen(src), NULL), 0);
	/* key order kept, the last duplicate wins (encoding/json) */
	assert_string_equal(cf_doc_text(cf_doc_key(d, 0)), "b");
	assert_int_equal(cf_doc_int(cf_doc_get(d, "b")), 2);
	assert_int_equal(cf_doc_len(cf_doc_item(cf_doc_get(d, "a"), 3)), 3);
	assert_int_equal(cf_doc_type_of(cf_doc_get(d, "big")), CF_DOC_FLOAT);
	assert_int_equal(cf_doc_type_of(cf_doc_get(d, "i")), CF_DOC_INT);
	assert_true(cf_doc_int(cf_doc_get(d, "i")) == INT64_MIN);
	cf_doc_free(d);
	d = NULL;

	/* integers past int64 keep their digits up to uint64, and do not disturb the others */
	const char *big = "[9223372036854775807, 12345678901234567890, 1e2, -5,"
	                  " 123456789012345678901234567890]";
	char *out = NULL;
	assert_int_equal(cf_doc_load_json(&d, big, strlen(big), NULL), 0);
	assert_int_equal(cf_doc_type_of(cf_doc_item(d, 0)), CF_DOC_INT);
	assert_true(cf_doc_int(cf_doc_item(d, 0)) == INT64_MAX);
	assert_int_equal(cf_doc_type_of(cf_doc_item(d, 1)), CF_DOC_FLOAT);
	assert_true(cf_doc_float(cf_doc_item(d, 1)) == 12345678901234567890.0);
	assert_int_equal(cf_doc_emit_json(&out, NULL, d, NULL), 0);
	assert_string_equal(out, "[9223372036854775807,12345678901234567890,100,-5,"
	                         "1.2345678901234568e+29]");
	free(out);
	cf_doc_free(d);
	d = NULL;
	cf_doc_load_opts o = {.filename = "x.json"};
	assert_int_equal(cf_doc_load_json(&d, "{\"a\":\n  [1,}", 12, &o), CF_EPARSE);
	assert_non_null(strstr(cf_error_last(), "x.json:2:"));
	assert_int_equal(cf_doc_load_json(&d, "", 0, NULL), CF_EPARSE);
	assert_int_equal(cf_doc_load_json(&d, "\"s\"", 3, NULL), 0);
	assert_string_equal(cf_doc_text(d), "s");
	cf_doc_free(d);
}

static void test_file(void **state)
{
	char path[] = "/tmp/cf-doc-test-XXXXXX";
	int fd = mkstemp(path);
	cf_doc *d = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a: 1\n---\nb: [\n", 14), 14);
	close(fd);
	assert_int_equal(cf_doc_load_yaml_file(&d, path, NULL), CF_EPARSE);
	assert_true(strncmp(cf_error_last(), path, strlen(path)) == 0);
	assert_int_equal(cf_doc_load_yaml_file(&d, "/nonexistent/x.yaml", NULL), CF_EIO);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_yaml11_keys),
		cmocka_unit_test(test_aliases_and_merge),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_alias_depth_and_many_anchors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_huge_input),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
