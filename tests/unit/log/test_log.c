/* Tests that log lines are valid JSON with Flux's keys, honour the level and redact URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cf/error.h"
#include "cf/log.h"

/* Captures what the logger writes, one call at a time. */
static char *captured(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	rewind(f);
	return s;
}

static void test_controller_line(void **state)
{
	FILE *f = tmpfile();
	cf_log_ctx ctx = {.controller = "gitrepository", .group = "source.toolkit.fluxcd.io",
			  .kind = "GitRepository", .name = "podinfo", .namespace_ = "flux-system",
			  .reconcile_id = "abc"};
	json_error_t err;

	cf_log_init(f, CF_LOG_INFO);
	cf_log_info(&ctx, "stored artifact for commit '%s'", "Merge \"x\"\n");
	char *s = captured(f);
	assert_non_null(strchr(s, '\n'));
	json_t *j = json_loads(s, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "stored artifact for commit 'Merge \"x\"\n'");
	assert_string_equal(json_string_value(json_object_get(j, "controllerKind")), "GitRepository");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "podinfo");
	assert_string_equal(json_string_value(json_object_get(j, "namespace")), "flux-system");
	assert_string_equal(json_string_value(json_object_get(j, "reconcileID")), "abc");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "GitRepository"), "name")), "podinfo");
	const char *ts = json_string_value(json_object_get(j, "ts"));
	assert_non_null(ts);
	assert_int_equal(strlen(ts), 24); /* 2026-11-27T13:40:46.123Z */
	assert_int_equal(ts[23], 'Z');
	json_decref(j);
	free(s);
	fclose(f);
}

static void test_level_filter_and_kv(void **state)
{
	FILE *f = tmpfile();

	cf_log_init(f, CF_LOG_ERROR);
	cf_log_info(NULL, "hidden");
	char *s = captured(f);
	assert_string_equal(s, "");
	free(s);
	cf_log_kv(CF_LOG_ERROR, NULL, "failed", "error", "boom", "url", "http://x", NULL);
	s = captured(f);
	json_t *j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
	assert_string_equal(json_string_value(json_object_get(j, "error")), "boom");
	json_decref(j);
	free(s);
	fclose(f);
	cf_log_init(NULL, CF_LOG_INFO);
}

static void test_parse_level(void **state)
{
	cf_log_level l;

	assert_int_equal(cf_log_parse_level("debug", &l), 0);
	assert_int_equal(l, CF_LOG_DEBUG);
	assert_int_equal(cf_log_parse_level("trace", &l), 0);
	assert_int_equal(l, CF_LOG_DEBUG);
	assert_int_equal(cf_log_parse_level("loud", &l), CF_EINVALID);
	assert_non_null(strstr(cf_error_last(), "loud"));
}

static void test_redact_url(void **state)
{
	char b[128];

	assert_string_equal(cf_log_redact_url(b, sizeof(b), "https://user:s3cret@git.example/repo.git"),
			    "https://git.example/repo.git");
	assert_string_equal(cf_log_redact_url(b, sizeof(b), "ssh://git@host/x@y"), "ssh://host/x@y");
	assert_string_equal(cf_log_redact_url(b, sizeof(b), "https://host/a@b"), "https://host/a@b");
	assert_string_equal(cf_log_redact_url(b, sizeof(b), "not a url"), "not a url");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controller_line),
		cmocka_unit_test(test_level_filter_and_kv),
		cmocka_unit_test(test_parse_level),
		cmocka_unit_test(test_redact_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
