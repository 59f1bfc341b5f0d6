/*
 * Emitters against fixtures produced by the real tools (fixtures/regen.sh):
 *  emit/<case>/     expected.v2.yaml (sigs.k8s.io/yaml, as Helm's toYaml), expected.v3.yaml
 *                   (yaml.v3 Node, as kyaml), expected.json / expected.indent.json (encoding/json)
 *  kubectl/<case>/  expected.yaml from `kubectl kustomize`
 *  helm/<case>/     expected.yaml from `helm template` of {{ toYaml .Values }}
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "helpers.h"

/* Loads path with schema (a .json file as JSON) and emits every document, joined by "---\n",
 * in the given form: '2'/'3' YAML v2/v3 ('s' v3 with sorted keys), 'j'/'i' JSON. */
static char *render(const char *path, cf_doc_schema schema, char form)
{
	cf_doc_load_opts o = {.schema = schema};
	cf_doc *docs = NULL, *one = NULL;
	size_t len;
	char *in = read_file(path, &len), *all = calloc(1, 1);
	size_t all_len = 0;
	int err;

	assert_non_null(in);
	if (strstr(path, ".json")) {
		if ((err = cf_doc_new_seq(&docs)) == 0 && (err = cf_doc_load_json(&one, in, len, &o)) == 0)
			err = cf_doc_seq_append(docs, one);
	} else {
		err = cf_doc_load_yaml_stream(&docs, in, len, &o);
	}
	if (err != 0)
		fail_msg("%s: %s", path, cf_error_last());
	for (size_t i = 0; i < cf_doc_len(docs); i++) {
		char *out = NULL;
		size_t n = 0;
		if (form == '2' || form == '3' || form == 's') {
			cf_doc_yaml_opts yo = {form == '2' ? CF_DOC_EMIT_YAMLV2 : CF_DOC_EMIT_YAMLV3,
			                       form == 's'};
			err = cf_doc_emit_yaml(&out, &n, cf_doc_item(docs, i), &yo);
		} else {
			cf_doc_json_opts jo = {form == 'i' ? 2 : 0, 1, 1};
			err = cf_doc_emit_json(&out, &n, cf_doc_item(docs, i), &jo);
		}
		if (err)
			fail_msg("%s: %s", path, cf_error_last());
		all = realloc(all, all_len + n + 5);
		if (i) {
			memcpy(all + all_len, "---\n", 4);
			all_len += 4;
		}
		memcpy(all + all_len, out, n);
		all_len += n;
		all[all_len] = '\0';
		free(out);
	}
	cf_doc_free(docs);
	free(in);
	return all;
}

static int compare_with_prefix(const char *dir, const char *expected_name,
                               const char *input_name, cf_doc_schema schema, char form,
                               const char *prefix)
{
	char exp_path[512], in_path[512];
	size_t len;
	char *want, *got;
	int same;

	snprintf(exp_path, sizeof(exp_path), "%s/%s", dir, expected_name);
	snprintf(in_path, sizeof(in_path), "%s/%s", dir, input_name);
	if (!(want = read_file(exp_path, &len)))
		return 0; /* this case does not cover that form */
	got = render(in_path, schema, form);
	same = strncmp(want, prefix, strlen(prefix)) == 0 && strcmp(want + strlen(prefix), got) == 0;
	if (!same)
		fprintf(stderr, "MISMATCH %s\n--- want\n%s\n--- got\n%s\n", exp_path, want, got);
	free(want);
	free(got);
	return same ? 1 : -1000;
}

static int compare(const char *dir, const char *expected_name, const char *input_name,
                   cf_doc_schema schema, char form)
{
	return compare_with_prefix(dir, expected_name, input_name, schema, form, "");
}

static int for_each_case(const char *root, int (*fn)(const char *dir))
{
	DIR *d = opendir(root);
	struct dirent *e;
	int total = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char dir[512];
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		total += fn(dir);
	}
	closedir(d);
	return total;
}

static int emit_case(const char *dir)
{
	return compare(dir, "expected.v2.yaml", "input.yaml", CF_DOC_YAML11, '2') +
	       compare(dir, "expected.v3.yaml", "input.yaml", CF_DOC_YAML12, '3') +
	       compare(dir, "expected.json", "input.yaml", CF_DOC_YAML11, 'j') +
	       compare(dir, "expected.indent.json", "input.yaml", CF_DOC_YAML11, 'i');
}

/* kubectl reads resources with yaml.v3 and prints them through JSON and yaml.v2. */
static int kubectl_case(const char *dir)
{
	return compare(dir, "expected.yaml", "resource.yaml", CF_DOC_YAML12, '2');
}

/* Values built in code (here: decoded from JSON) print like Go values through yaml.v3. */
static int go_values_case(const char *dir)
{
	return compare(dir, "expected.v3.yaml", "input.json", CF_DOC_JSON, 's') +
	       compare(dir, "expected.v2.yaml", "input.json", CF_DOC_JSON, '2');
}

static void test_go_values_fixtures(void **state)
{
	int n = for_each_case("fixtures/emit-go", go_values_case);
	assert_true(n >= 2);
}

/* Helm reads values.yaml with sigs.k8s.io/yaml (YAML 1.1) and toYaml prints it; the template's
 * newline gives back the one toYaml trims. */
static int helm_case(const char *dir)
{
	return compare_with_prefix(dir, "expected.yaml", "values.yaml", CF_DOC_YAML11, '2',
	                           "---\n# Source: c/templates/v.yaml\n");
}

static void test_helm_fixtures(void **state)
{
	int n = for_each_case("fixtures/helm", helm_case);
	assert_true(n >= 6);
}

static void test_emit_fixtures(void **state)
{
	int n = for_each_case("fixtures/emit", emit_case);
	assert_true(n >= 15);
}

static void test_kubectl_fixtures(void **state)
{
	int n = for_each_case("fixtures/kubectl", kubectl_case);
	assert_true(n >= 3);
}

static char *emit_one(const cf_doc *d, cf_doc_emit_dialect dialect)
{
	cf_doc_yaml_opts o = {dialect, 0};
	char *out = NULL;

	assert_int_equal(cf_doc_emit_yaml(&out, NULL, d, &o), 0);
	return out;
}

/* Nodes built in code print like Go values do (the same values are in emit-go/values, whose
 * expected files come from the oracle); insertion order is kept without sort_keys. */
static void test_constructed(void **state)
{
	cf_doc *m = NULL, *v = NULL;
	char *out;

	assert_int_equal(cf_doc_new_map(&m), 0);
	assert_int_equal(cf_doc_map_set_str(m, "s", "yes"), 0);
	assert_int_equal(cf_doc_new_float(&v, 1e6), 0);
	assert_int_equal(cf_doc_map_set(m, "f", v), 0);
	assert_int_equal(cf_doc_new_float(&v, 0.5), 0);
	assert_int_equal(cf_doc_map_set(m, "h", v), 0);
	assert_int_equal(cf_doc_new_int(&v, -3), 0);
	assert_int_equal(cf_doc_map_set(m, "i", v), 0);
	assert_int_equal(cf_doc_new_null(&v), 0);
	assert_int_equal(cf_doc_map_set(m, "n", v), 0);
	assert_int_equal(cf_doc_map_set_str(m, "t", "2026-01-01"), 0);
	out = emit_one(m, CF_DOC_EMIT_YAMLV3);
	assert_string_equal(out, "s: \"yes\"\nf: 1e+06\nh: 0.5\ni: -3\n\"n\": null\nt: \"2026-01-01\"\n");
	free(out);
	out = emit_one(m, CF_DOC_EMIT_YAMLV2);
	assert_string_equal(out, "f: 1000000\nh: 0.5\ni: -3\n\"n\": null\ns: \"yes\"\nt: \"2026-01-01\"\n");
	free(out);
	cf_doc_free(m);
}

/* encoding/json rejects NaN and infinities; so does the JSON path of toYaml. */
static void test_unsupported_values(void **state)
{
	cf_doc *v = NULL;
	char *out = NULL;

	assert_int_equal(cf_doc_new_float(&v, INFINITY), 0);
	assert_int_equal(cf_doc_emit_json(&out, NULL, v, NULL), CF_EINVALID);
	assert_string_equal(cf_error_last(), "json: unsupported value: +Inf");
	cf_doc_yaml_opts o = {CF_DOC_EMIT_YAMLV2, 0};
	assert_int_equal(cf_doc_emit_yaml(&out, NULL, v, &o), CF_EINVALID);
	out = emit_one(v, CF_DOC_EMIT_YAMLV3);
	assert_string_equal(out, ".inf\n");
	free(out);
	cf_doc_free(v);
	/* DEL passes encoding/json raw and go-yaml's reader then refuses it (oracle v2 on "a\x7f") */
	assert_int_equal(cf_doc_new_str(&v, "a\x7f"), 0);
	assert_int_equal(cf_doc_emit_yaml(&out, NULL, v, &o), CF_EINVALID);
	assert_string_equal(cf_error_last(), "yaml: control characters are not allowed");
	cf_doc_free(v);
}

/* Go's json.Marshal float text ('f' between 1e-6 and 1e21, else 'e' with a short exponent). */
static void test_json_floats(void **state)
{
	static const struct {
		double f;
		const char *text;
	} cases[] = {
		{1e6, "1000000"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"}, {1e-7, "1e-7"},
		{0.000001, "0.000001"}, {0.1, "0.1"}, {-0.0, "-0"}, {1.5, "1.5"},
		{123456789.125, "123456789.125"}, {5e-324, "5e-324"}, {1.7976931348623157e308,
		"1.7976931348623157e+308"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_doc *v = NULL;
		char *out = NULL;
		assert_int_equal(cf_doc_new_float(&v, cases[i].f), 0);
		assert_int_equal(cf_doc_emit_json(&out, NULL, v, NULL), 0);
		assert_string_equal(out, cases[i].text);
		free(out);
		cf_doc_free(v);
	}
}

static void test_json_strings(void **state)
{
	cf_doc *v = NULL;
	char *out = NULL;
	cf_doc_json_opts noesc = {0, 0, 0};

	assert_int_equal(cf_doc_new_strn(&v, "<a&b>\x01\b\f\n\r\t\"\\\xe2\x80\xa8\xff\0z", 19), 0);
	assert_int_equal(cf_doc_emit_json(&out, NULL, v, NULL), 0);
	assert_string_equal(out, "\"\\u003ca\\u0026b\\u003e\\u0001\\b\\f\\n\\r\\t\\\"\\\\\\u2028\\ufffd"
	                         "\\u0000z\"");
	free(out);
	assert_int_equal(cf_doc_emit_json(&out, NULL, v, &noesc), 0);
	assert_true(strncmp(out, "\"<a&b>", 6) == 0);
	free(out);
	cf_doc_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emit_fixtures),
		cmocka_unit_test(test_kubectl_fixtures),
		cmocka_unit_test(test_go_values_fixtures),
		cmocka_unit_test(test_helm_fixtures),
		cmocka_unit_test(test_constructed),
		cmocka_unit_test(test_unsupported_values),
		cmocka_unit_test(test_json_floats),
		cmocka_unit_test(test_json_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
