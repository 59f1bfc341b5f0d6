/* Flags in pflag syntax. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/runtime.h"

#include <string.h>

/* Duration flags take Go's syntax (cf/duration.h) and hold milliseconds. */
static void test_duration_flags(void **state)
{
	int64_t ms = -1;
	cf_flag table[] = {{"d", CF_FLAG_DURATION, &ms, ""}, {NULL}};
	const cf_flag *tables[] = {table, NULL};
	static const struct {
		const char *arg;
		int64_t want;
	} ok[] = {
		{"--d=35s", 35000}, {"--d=750ms", 750}, {"--d=15m", 900000}, {"--d=1m30s", 90000},
		{"--d=1.5h", 5400000}, {"--d=0", 0}, {"--d=2000us", 2}, {"--d=1500000ns", 2},
		{"--d=1499999ns", 1},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *argv[] = {"prog", (char *)ok[i].arg};
		assert_int_equal(cf_flags_parse(2, argv, tables), 0);
		assert_int_equal(ms, ok[i].want);
	}
	static const char *const bad[] = {"--d=", "--d=5", "--d=1x", "--d=5 s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {"prog", (char *)bad[i]};
		assert_int_equal(cf_flags_parse(2, argv, tables), CF_EINVALID);
	}
}

static void test_flags(void **state)
{
	const char *addr = ":8080", *sel = NULL;
	int conc = 4, all = 1, le = 0;
	int64_t lease = 35000;
	double qps = 50;
	cf_flag shared[] = {
		{"metrics-addr", CF_FLAG_STRING, &addr, ""},
		{"concurrent", CF_FLAG_INT, &conc, ""},
		{"watch-all-namespaces", CF_FLAG_BOOL, &all, ""},
		{"enable-leader-election", CF_FLAG_BOOL, &le, ""},
		{NULL},
	};
	cf_flag extra[] = {
		{"leader-election-lease-duration", CF_FLAG_DURATION, &lease, ""},
		{"watch-label-selector", CF_FLAG_STRING, &sel, ""},
		{"kube-api-qps", CF_FLAG_DOUBLE, &qps, ""},
		{NULL},
	};
	const cf_flag *tables[] = {shared, extra, NULL};
	char *argv[] = {"prog", "--metrics-addr=0", "--concurrent", "8", "--watch-all-namespaces=false",
			"--enable-leader-election", "--leader-election-lease-duration=10s",
			"--watch-label-selector", "sharding.fluxcd.io/key in (shard1)", "--kube-api-qps=12.5"};

	assert_int_equal(cf_flags_parse(10, argv, tables), 0);
	assert_string_equal(addr, "0");
	assert_int_equal(conc, 8);
	assert_int_equal(all, 0);
	assert_int_equal(le, 1);
	assert_int_equal(lease, 10000);
	assert_string_equal(sel, "sharding.fluxcd.io/key in (shard1)");
	assert_true(qps == 12.5);

	char *unknown[] = {"prog", "--nope=1"};
	assert_int_equal(cf_flags_parse(2, unknown, tables), CF_EINVALID);
	assert_non_null(strstr(cf_error_last(), "unknown flag: --nope"));
	char *missing[] = {"prog", "--concurrent"};
	assert_int_equal(cf_flags_parse(2, missing, tables), CF_EINVALID);
	char *badint[] = {"prog", "--concurrent=4x"};
	assert_int_equal(cf_flags_parse(2, badint, tables), CF_EINVALID);
	char *badbool[] = {"prog", "--enable-leader-election=maybe"};
	assert_int_equal(cf_flags_parse(2, badbool, tables), CF_EINVALID);
	char *positional[] = {"prog", "extra"};
	assert_int_equal(cf_flags_parse(2, positional, tables), CF_EINVALID);
	char *baddur[] = {"prog", "--leader-election-lease-duration", "35"};
	assert_int_equal(cf_flags_parse(3, baddur, tables), CF_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_flags),
		cmocka_unit_test(test_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
