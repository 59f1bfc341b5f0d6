/*
 * values.schema.json validation on schemas helm's golden corpus cannot hold: hostile or broken
 * schemas ($ref loops, unresolvable references, bad patterns, deep nesting) must fail with a
 * clear error, never crash or loop; and --skip-schema-validation turns the check off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "cf/helm.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[160];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char t[96];
	(void)state;
	strcpy(dir, "/tmp/helm-schema-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(t, sizeof(t), "%s/templates", dir);
	assert_int_equal(mkdir(t, 0700), 0);
	put("Chart.yaml", "apiVersion: v2\nname: s\nversion: 0.1.0\n");
	put("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Renders the chart with values and schema; *msg gets the whole error (or NULL). */
static int run(const char *values, const char *schema, int skip, char **msg)
{
	cf_helm_template_opts o = { .release_name = "r", .skip_schema_validation = skip };
	cf_helm_chart *c = NULL;
	char *out = NULL;
	size_t len;
	int err;
	put("values.yaml", values);
	put("values.schema.json", schema);
	*msg = NULL;
	o.error_out = msg;
	if ((err = cf_helm_chart_load(&c, dir)) == 0)
		err = cf_helm_chart_template(&out, &len, c, &o);
	else
		*msg = strdup(cf_error_last());
	free(out);
	cf_helm_chart_free(c);
	return err;
}

static void test_ref_loop_is_limited(void **state)
{
	char *msg;
	(void)state;
	assert_int_equal(run("a: 1\n", "{\"$ref\": \"#\"}", 0, &msg), CF_ELIMIT);
	assert_non_null(strstr(msg, "$ref chain"));
	free(msg);
	/* Two definitions referring to each other. */
	assert_int_equal(run("a: 1\n", "{\"$ref\": \"#/definitions/a\", \"definitions\": {"
	                     "\"a\": {\"$ref\": \"#/definitions/b\"}, \"b\": {\"allOf\": [{\"$ref\": "
	                     "\"#/definitions/a\"}]}}}", 0, &msg), CF_ELIMIT);
	free(msg);
}

static void test_unresolvable_ref(void **state)
{
	char *msg;
	(void)state;
	assert_int_equal(run("a: 1\n", "{\"properties\": {\"a\": {\"$ref\": \"#/definitions/nope\"}}}",
	                     0, &msg), CF_EINVALID);
	assert_string_equal(msg, "values don't meet the specifications of the schema(s) in the "
	                    "following chart(s):\ns:\njson-pointer in "
	                    "\"file:///values.schema.json#/definitions/nope\" not found");
	free(msg);
	/* Remote references are not fetched. */
	assert_int_equal(run("a: 1\n", "{\"$ref\": \"https://example.com/s.json\"}", 0, &msg),
	                 CF_EINVALID);
	free(msg);
}

static void test_broken_schemas(void **state)
{
	char *msg;
	(void)state;
	assert_int_equal(run("a: 1\n", "{\"type\": ", 0, &msg), CF_EPARSE);
	free(msg);
	assert_int_equal(run("a: x\n", "{\"properties\": {\"a\": {\"pattern\": \"((\"}}}", 0, &msg),
	                 CF_EINVALID);
	assert_non_null(strstr(msg, "invalid pattern"));
	free(msg);
	/* Boolean schemas (helm: "- at '': false schema"). */
	assert_int_equal(run("a: 1\n", "true", 0, &msg), 0);
	free(msg);
	assert_int_equal(run("a: 1\n", "false", 0, &msg), CF_EINVALID);
	assert_non_null(strstr(msg, "s:\n- at '': false schema\n"));
	free(msg);
}

static void test_long_ref_chain(void **state)
{
	size_t n = 250, i;
	char *schema = malloc(n * 64 + 64), *s = schema, *msg;
	(void)state;
	/* d0 -> d1 -> ... -> d249: a chain past the 200 nested schemas the validator follows. */
	s += sprintf(s, "{\"$ref\": \"#/definitions/d0\", \"definitions\": {");
	for (i = 0; i < n; i++)
		s += sprintf(s, "%s\"d%zu\": {\"$ref\": \"#/definitions/d%zu\"}", i ? "," : "", i,
		             i + 1 < n ? i + 1 : i);
	sprintf(s, "}}");
	assert_int_equal(run("a: 1\n", schema, 0, &msg), CF_ELIMIT);
	free(msg);
	free(schema);
}

static void test_skip_validation(void **state)
{
	char *msg;
	(void)state;
	assert_int_equal(run("a: x\n", "{\"properties\": {\"a\": {\"type\": \"integer\"}}}", 0, &msg),
	                 CF_EINVALID);
	assert_string_equal(msg, "values don't meet the specifications of the schema(s) in the "
	                    "following chart(s):\ns:\n- at '/a': got string, want integer\n");
	free(msg);
	assert_int_equal(run("a: x\n", "{\"properties\": {\"a\": {\"type\": \"integer\"}}}", 1, &msg),
	                 0);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_loop_is_limited),
		cmocka_unit_test(test_unresolvable_ref),
		cmocka_unit_test(test_broken_schemas),
		cmocka_unit_test(test_long_ref_chain),
		cmocka_unit_test(test_skip_validation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
