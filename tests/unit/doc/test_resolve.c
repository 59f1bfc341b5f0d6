/*
 * Scalar resolution in both schemas against fixtures/resolve.expected, which lists for each text
 * the Go type yaml.v3 and yaml.v2 decode "v: <text>" to (produced by oracle/ with the real
 * libraries; see fixtures/regen.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "helpers.h"

/* Does the loaded node match the Go type name printed by the oracle? */
static int matches(const cf_doc *v, int err, const char *go_type, cf_doc_schema schema)
{
	if (strcmp(go_type, "error") == 0)
		return err == CF_EPARSE;
	if (err)
		return 0;
	cf_doc_type t = cf_doc_type_of(v);
	if (strcmp(go_type, "bool") == 0)
		return t == CF_DOC_BOOL;
	if (strcmp(go_type, "int") == 0)
		return t == CF_DOC_INT;
	if (strcmp(go_type, "uint64") == 0 || strcmp(go_type, "float64") == 0)
		return t == CF_DOC_FLOAT;
	if (strcmp(go_type, "<nil>") == 0)
		return t == CF_DOC_NULL;
	if (strcmp(go_type, "time.Time") == 0)
		return t == CF_DOC_STR && cf_doc_is_timestamp(v);
	if (strcmp(go_type, "string") == 0)
		return t == CF_DOC_STR && (schema == CF_DOC_YAML11 || !cf_doc_is_timestamp(v));
	return 0;
}

static int check_line(char *line)
{
	char *text = line, *t3 = strchr(line, '\t'), *t2;
	char doc[512];
	int bad = 0;

	if (!t3)
		return 0;
	*t3++ = '\0';
	t2 = strchr(t3, '\t');
	*t2++ = '\0';
	snprintf(doc, sizeof(doc), "v: %s", text);
	for (int pass = 0; pass < 2; pass++) {
		cf_doc_load_opts o = {.schema = pass ? CF_DOC_YAML11 : CF_DOC_YAML12};
		cf_doc *d = NULL;
		int err = cf_doc_load_yaml(&d, doc, strlen(doc), &o);
		const char *want = pass ? t2 : t3;
		if (!matches(cf_doc_get(d, "v"), err, want, o.schema)) {
			fprintf(stderr, "%s: [%s] want %s, got %s (err %d %s)\n",
			        pass ? "YAML11" : "YAML12", text, want,
			        err ? "error" : cf_doc_type_name(cf_doc_type_of(cf_doc_get(d, "v"))), err,
			        err ? cf_error_last() : "");
			bad++;
		}
		cf_doc_free(d);
	}
	return bad;
}

static void test_resolution_table(void **state)
{
	size_t len;
	char *buf = read_file("fixtures/resolve.expected", &len), *line, *save = NULL;
	int bad = 0, lines = 0;

	assert_non_null(buf);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bad += check_line(line);
		lines++;
	}
	free(buf);
	assert_true(lines > 100);
	assert_int_equal(bad, 0);
}

/* Values, not only types: what the resolved numbers are. */
static void test_values(void **state)
{
	static const struct {
		const char *text;
		int64_t i;
	} ints[] = {
		{"012", 10}, {"0o17", 15}, {"0x1F", 31}, {"-0x1F", -31}, {"0b101", 5}, {"1_000", 1000},
		{"-9223372036854775808", INT64_MIN}, {"+7", 7},
	};
	for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
		char doc[64];
		cf_doc *d = NULL;
		snprintf(doc, sizeof(doc), "%s", ints[k].text);
		assert_int_equal(cf_doc_load_yaml(&d, doc, strlen(doc), NULL), 0);
		assert_int_equal(cf_doc_type_of(d), CF_DOC_INT);
		assert_true(cf_doc_int(d) == ints[k].i);
		assert_string_equal(cf_doc_text(d), ints[k].text);
		cf_doc_free(d);
	}
	cf_doc *d = NULL;
	assert_int_equal(cf_doc_load_yaml(&d, "18446744073709551615", 20, NULL), 0);
	assert_int_equal(cf_doc_type_of(d), CF_DOC_FLOAT);
	assert_true(cf_doc_float(d) == 18446744073709551615.0);
	cf_doc_free(d);
	assert_int_equal(cf_doc_load_yaml(&d, "1.5e3", 5, NULL), 0);
	assert_true(cf_doc_float(d) == 1500.0);
	cf_doc_free(d);
	assert_int_equal(cf_doc_load_yaml(&d, "on", 2, &(cf_doc_load_opts){.schema = CF_DOC_YAML11}),
	                 0);
	assert_int_equal(cf_doc_type_of(d), CF_DOC_BOOL);
	assert_true(cf_doc_bool(d));
	cf_doc_free(d);
}

/* Explicit tags and quoting decide before the plain rules. */
static void test_tags_and_styles(void **state)
{
	const char *src = "a: !!str 123\nb: !!int \"42\"\nc: '7'\nd: !custom x\ne: !!float 1\n"
	                  "f: \"true\"\ng: |\n  x\n";
	cf_doc *d = NULL;

	assert_int_equal(cf_doc_load_yaml(&d, src, strlen(src), NULL), 0);
	assert_int_equal(cf_doc_type_of(cf_doc_get(d, "a")), CF_DOC_STR);
	assert_string_equal(cf_doc_tag(cf_doc_get(d, "a")), "!!str");
	assert_int_equal(cf_doc_type_of(cf_doc_get(d, "b")), CF_DOC_INT);
	assert_int_equal(cf_doc_int(cf_doc_get(d, "b")), 42);
	assert_int_equal(cf_doc_type_of(cf_doc_get(d, "c")), CF_DOC_STR);
	assert_int_equal(cf_doc_style_of(cf_doc_get(d, "c")), CF_DOC_STYLE_SINGLE);
	assert_string_equal(cf_doc_tag(cf_doc_get(d, "d")), "!custom");
	assert_int_equal(cf_doc_type_of(cf_doc_get(d, "e")), CF_DOC_FLOAT);
	assert_int_equal(cf_doc_style_of(cf_doc_get(d, "f")), CF_DOC_STYLE_DOUBLE);
	assert_int_equal(cf_doc_style_of(cf_doc_get(d, "g")), CF_DOC_STYLE_LITERAL);
	assert_null(cf_doc_tag(cf_doc_get(d, "g")));
	assert_int_equal(cf_doc_line(cf_doc_get(d, "g")), 7);
	assert_int_equal(cf_doc_col(cf_doc_get(d, "g")), 4);
	cf_doc_free(d);
	/* yaml.v3: "cannot decode !!str `abc` as a !!int" */
	assert_int_equal(cf_doc_load_yaml(&d, "a: !!int abc", 12, NULL), CF_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolution_table),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_tags_and_styles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
