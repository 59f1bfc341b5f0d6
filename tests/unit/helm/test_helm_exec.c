/* Engine API, limits, callbacks and value conversions of the helm module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cf/helm.h"

/* Parses text as template "t" and executes it with root; returns the code, *out the text or error. */
static int render(const char *text, cf_helm_val *root, cf_helm_opts *opts, char **out)
{
	cf_helm_tmpl *set = NULL;
	cf_helm_opts local;
	size_t len;
	int r;
	if (!opts) {
		memset(&local, 0, sizeof(local));
		opts = &local;
	}
	assert_int_equal(cf_helm_tmpl_new(&set), 0);
	r = cf_helm_tmpl_parse(set, "t", text, strlen(text));
	if (r == 0)
		r = cf_helm_tmpl_exec(out, &len, set, "t", root, opts);
	if (r < 0)
		*out = strdup(cf_error_last());
	cf_helm_tmpl_free(set);
	return r;
}

/* Invalid UTF-8 in a string literal unquotes to U+FFFD, 3 bytes for each byte (strconv). */
static void test_invalid_utf8_literal(void **state)
{
	char text[128], *out = NULL;
	(void)state;
	memcpy(text, "{{ \"", 4);
	memset(text + 4, 0xff, 100);
	memcpy(text + 104, "\" }}", 5);
	assert_int_equal(render(text, NULL, NULL, &out), 0);
	assert_int_equal(strlen(out), 300);
	assert_memory_equal(out, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	free(out);
}

static void test_step_limit(void **state)
{
	cf_helm_opts o;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.max_steps = 5000;
	assert_int_equal(render("{{ range until 1000 }}{{ range until 1000 }}x{{ end }}{{ end }}", NULL, &o, &out),
	                 CF_ELIMIT);
	assert_non_null(strstr(out, "execution step limit (5000) exceeded"));
	free(out);
}

static void test_output_limit(void **state)
{
	cf_helm_opts o;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.max_output = 1000;
	assert_int_equal(render("{{ range until 2000 }}x{{ end }}", NULL, &o, &out), CF_ELIMIT);
	assert_non_null(strstr(out, "output limit (1000 bytes) exceeded"));
	free(out);
}

static void test_value_limit(void **state)
{
	cf_helm_opts o;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.max_value_bytes = 1 << 16;
	assert_int_equal(render("{{ $s := \"ab\" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}", NULL, &o, &out),
	                 CF_ELIMIT);
	free(out);
	assert_int_equal(render("{{ repeat 1000000 \"abc\" }}", NULL, &o, &out), CF_ELIMIT);
	free(out);
}

static void test_alloc_limit(void **state)
{
	cf_helm_opts o;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.max_alloc = 1 << 20;
	assert_int_equal(render("{{ range until 100000 }}{{ $x := repeat 100 \"a\" }}{{ end }}", NULL, &o, &out),
	                 CF_ELIMIT);
	assert_non_null(strstr(out, "render allocation limit"));
	free(out);
}

static void test_template_depth(void **state)
{
	cf_helm_opts o;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.max_depth = 50;
	assert_int_equal(render("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}", NULL, &o, &out),
	                 CF_ELIMIT);
	assert_non_null(strstr(out, "exceeded maximum template depth (50)"));
	free(out);
	assert_int_equal(render("{{ define \"r\" }}{{ tpl \"{{ include \\\"r\\\" . }}\" . }}{{ end }}{{ include \"r\" . }}",
	                        NULL, &o, &out),
	                 CF_ELIMIT);
	free(out);
}

static void test_parse_nesting_limit(void **state)
{
	char text[2000], *out;
	int i, n = 0;
	(void)state;
	n += sprintf(text + n, "{{ ");
	for (i = 0; i < 300; i++)
		text[n++] = '(';
	n += sprintf(text + n, "1");
	for (i = 0; i < 300; i++)
		text[n++] = ')';
	sprintf(text + n, " }}");
	assert_int_equal(render(text, NULL, NULL, &out), CF_ELIMIT);
	free(out);
}

/* Templates may build reference cycles (Go allows them); the render must still free them. */
static void test_cycles_freed(void **state)
{
	char *out;
	(void)state;
	assert_int_equal(render("{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"self\" $d }}{{ $_ := set $d \"l\" (list $d) }}"
	                        "{{ $d.self.self.a }}{{ $e := dict }}{{ $_ := merge $e (dict \"x\" $e) }}",
	                        NULL, NULL, &out),
	                 0);
	assert_string_equal(out, "1");
	free(out);
	/* Printing a cycle stops at the nesting bound instead of recursing forever. */
	assert_int_equal(render("{{ $d := dict }}{{ $_ := set $d \"s\" $d }}{{ $_ := set $d \"t\" $d }}{{ print $d }}",
	                        NULL, NULL, &out),
	                 CF_ELIMIT);
	free(out);
}

static int fake_lookup(void *ctx, cf_helm_val **out, const char *av, const char *kind, const char *ns,
                       const char *name)
{
	cf_helm_val *m, *s;
	(void)ctx;
	if (strcmp(kind, "Secret"))
		return cf_helm_val_new_map(out);
	assert_int_equal(cf_helm_val_new_map(&m), 0);
	assert_int_equal(cf_helm_val_new_str(&s, name), 0);
	assert_int_equal(cf_helm_map_set(m, "name", s), 0);
	assert_int_equal(cf_helm_val_new_str(&s, ns), 0);
	assert_int_equal(cf_helm_map_set(m, "ns", s), 0);
	assert_int_equal(cf_helm_val_new_str(&s, av), 0);
	assert_int_equal(cf_helm_map_set(m, "av", s), 0);
	*out = m;
	return 0;
}

static void test_lookup_callback(void **state)
{
	cf_helm_opts o;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.lookup = fake_lookup;
	assert_int_equal(render("{{ $s := lookup \"v1\" \"Secret\" \"ns1\" \"sec\" }}{{ $s.av }}/{{ $s.ns }}/{{ $s.name }} "
	                        "{{ lookup \"v1\" \"ConfigMap\" \"ns1\" \"x\" }}",
	                        NULL, &o, &out),
	                 0);
	assert_string_equal(out, "v1/ns1/sec map[]");
	free(out);
}

static int zero_random(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0, len);
	return 0;
}

static struct timespec fixed_now(void *ctx)
{
	/* 1700000000 is 2023-11-14T22:13:20Z. */
	struct timespec ts = { 1700000000, 0 };
	(void)ctx;
	return ts;
}

static void test_time_and_random_callbacks(void **state)
{
	cf_helm_opts o;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.now = fixed_now;
	o.random = zero_random;
	assert_int_equal(render("{{ now | date \"2006-01-02T15:04:05Z07:00\" }} {{ now | unixEpoch }} "
	                        "{{ uuidv4 }} {{ randNumeric 4 }}",
	                        NULL, &o, &out),
	                 0);
	/* uuidv4 sets the version (4) and variant (10xx) bits on the random bytes. */
	assert_string_equal(out, "2023-11-14T22:13:20Z 1700000000 00000000-0000-4000-8000-000000000000 0000");
	free(out);
}

static void test_strict_missing_key(void **state)
{
	cf_helm_opts o;
	cf_helm_val *root;
	char *out;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.strict = 1;
	assert_int_equal(cf_helm_val_new_map(&root), 0);
	assert_int_equal(render("{{ .missing }}", root, &o, &out), CF_EINVALID);
	assert_string_equal(out, "template: t:1:3: executing \"t\" at <.missing>: map has no entry for key \"missing\"");
	free(out);
	cf_helm_val_unref(root);
}

static void test_helm_strip_and_error_out(void **state)
{
	cf_helm_opts o;
	char *out, *err = NULL;
	(void)state;
	memset(&o, 0, sizeof(o));
	o.helm_strip = 1;
	assert_int_equal(render("a{{ .x }}b<no value>c", NULL, &o, &out), 0);
	assert_string_equal(out, "abc");
	free(out);
	o.error_out = &err;
	assert_int_equal(render("{{ fail \"boom\" }}", NULL, &o, &out), CF_EINVALID);
	assert_non_null(err);
	assert_string_equal(err, "template: t:1:3: executing \"t\" at <fail \"boom\">: error calling fail: "
	                         "HELM_ERR_STARTboomHELM_ERR_END");
	free(out);
	assert_int_equal(cf_helm_error_cleanup(&out, "t", err, 0), 0);
	assert_string_equal(out, "execution error at (t:1:3): boom");
	free(out);
	free(err);
}

/* A NUL byte as a printf verb is a bad verb (found by fuzzing; it once reached snprintf). */
static void test_printf_nul_verb(void **state)
{
	cf_helm_tmpl *set;
	char *out;
	size_t len;
	static const char text[] = "{{ printf \"%\x00|%.\x13g\" 1.5 2.5 }}";
	(void)state;
	assert_int_equal(cf_helm_tmpl_new(&set), 0);
	assert_int_equal(cf_helm_tmpl_parse(set, "t", text, sizeof(text) - 1), 0);
	assert_int_equal(cf_helm_tmpl_exec(&out, &len, set, "t", NULL, NULL), 0);
	assert_true(len > 3 && !memcmp(out, "%!\0(float64=1.5)|", 17));
	free(out);
	cf_helm_tmpl_free(set);
}

static void test_not_found(void **state)
{
	cf_helm_tmpl *set;
	char *out;
	size_t len;
	(void)state;
	assert_int_equal(cf_helm_tmpl_new(&set), 0);
	assert_int_equal(cf_helm_tmpl_exec(&out, &len, set, "nope", NULL, NULL), CF_ENOTFOUND);
	assert_int_equal(cf_helm_tmpl_has(set, "nope"), 0);
	assert_int_equal(cf_helm_tmpl_parse(set, "a", "{{ define \"x\" }}X{{ end }}", 26), 0);
	assert_int_equal(cf_helm_tmpl_has(set, "x"), 1);
	/* A later file's definition replaces an earlier one; an empty body never does. */
	assert_int_equal(cf_helm_tmpl_parse(set, "b", "{{ define \"x\" }}Y{{ end }}", 26), 0);
	assert_int_equal(cf_helm_tmpl_parse(set, "c", "{{ define \"x\" }}{{ end }}", 25), 0);
	assert_int_equal(cf_helm_tmpl_exec(&out, &len, set, "x", NULL, NULL), 0);
	assert_string_equal(out, "Y");
	free(out);
	cf_helm_tmpl_free(set);
}

static void test_value_api(void **state)
{
	cf_helm_val *m, *l, *v;
	char *s;
	(void)state;
	assert_int_equal(cf_helm_val_new_map(&m), 0);
	assert_int_equal(cf_helm_val_new_list(&l, CF_HELM_LIST_STR), 0);
	assert_int_equal(cf_helm_val_new_str(&v, "x"), 0);
	assert_int_equal(cf_helm_list_append(l, v), 0);
	assert_int_equal(cf_helm_map_set(m, "z", l), 0);
	assert_int_equal(cf_helm_val_new_float(&v, 1e6), 0);
	assert_int_equal(cf_helm_map_set(m, "a", v), 0);
	assert_int_equal(cf_helm_val_new_int64(&v, 7), 0);
	assert_int_equal(cf_helm_map_set(m, "m", v), 0);
	assert_int_equal(cf_helm_val_len(m), 3);
	assert_string_equal(cf_helm_map_key(m, 0), "a");
	assert_string_equal(cf_helm_val_type_name(cf_helm_map_get(m, "z")), "[]string");
	assert_string_equal(cf_helm_val_type_name(cf_helm_map_get(m, "m")), "int64");
	/* Go's fmt prints maps sorted and float64 1e6 as 1e+06. */
	assert_int_equal(cf_helm_val_format(&s, m), 0);
	assert_string_equal(s, "map[a:1e+06 m:7 z:[x]]");
	free(s);
	cf_helm_val_unref(m);
}

static void test_doc_conversion(void **state)
{
	cf_doc_load_opts lo;
	cf_doc *doc = NULL, *back = NULL;
	cf_helm_val *v = NULL;
	const char *yaml = "a: 1\nb: [true, x]\non: 2\n";
	char *json = NULL;
	size_t len;
	cf_doc_json_opts jo = { 0, 1, 1 };
	(void)state;
	memset(&lo, 0, sizeof(lo));
	lo.schema = CF_DOC_YAML11;
	assert_int_equal(cf_doc_load_yaml(&doc, yaml, strlen(yaml), &lo), 0);
	assert_int_equal(cf_helm_val_from_doc(&v, doc), 0);
	/* Numbers become float64; the YAML 1.1 key on: becomes "true", as sigs.k8s.io/yaml does. */
	assert_string_equal(cf_helm_val_type_name(cf_helm_map_get(v, "a")), "float64");
	assert_non_null(cf_helm_map_get(v, "true"));
	assert_int_equal(cf_helm_val_to_doc(&back, v), 0);
	assert_int_equal(cf_doc_emit_json(&json, &len, back, &jo), 0);
	assert_string_equal(json, "{\"a\":1,\"b\":[true,\"x\"],\"true\":2}");
	free(json);
	cf_doc_free(back);
	cf_doc_free(doc);
	cf_helm_val_unref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_limit),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_value_limit),
		cmocka_unit_test(test_alloc_limit),
		cmocka_unit_test(test_template_depth),
		cmocka_unit_test(test_parse_nesting_limit),
		cmocka_unit_test(test_cycles_freed),
		cmocka_unit_test(test_lookup_callback),
		cmocka_unit_test(test_time_and_random_callbacks),
		cmocka_unit_test(test_strict_missing_key),
		cmocka_unit_test(test_helm_strip_and_error_out),
		cmocka_unit_test(test_printf_nul_verb),
		cmocka_unit_test(test_invalid_utf8_literal),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_value_api),
		cmocka_unit_test(test_doc_conversion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
