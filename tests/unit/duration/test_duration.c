/* Go duration parsing and printing; expected values are what Go's time package gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cf/duration.h"
#include "cf/error.h"

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		int64_t ns;
	} ok[] = {
		{"0", 0}, {"5s", 5 * CF_SECOND}, {"1h0m0s", 3600 * CF_SECOND}, {"1m30s", 90 * CF_SECOND},
		{"1.5h", 5400 * CF_SECOND}, {"300ms", 300000000}, {"-2m", -120 * CF_SECOND},
		{"+10s", 10 * CF_SECOND}, {"1us", 1000}, {"1\xc2\xb5s", 1000}, {"2ns", 2},
		{".5s", 500000000}, {"1.s", CF_SECOND}, {"30m", 1800 * CF_SECOND},
		{"2562047h47m16.854775807s", INT64_MAX}, {"-2562047h47m16.854775808s", INT64_MIN},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = 42;
		assert_int_equal(cf_duration_parse(&v, ok[i].in), 0);
		assert_true(v == ok[i].ns);
	}
}

static void test_parse_errors(void **state)
{
	static const char *bad[] = {"", "1", "s", "1x", "-", ".s", "1h-2m", "3 s", "1e3s"};
	int64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cf_duration_parse(&v, bad[i]), CF_EINVALID);
	assert_string_equal(cf_error_last(), "time: unknown unit \"e\" in duration \"1e3s\"");
	assert_int_equal(cf_duration_parse(&v, "-"), CF_EINVALID);
	assert_string_equal(cf_error_last(), "time: invalid duration \"-\"");
	assert_int_equal(cf_duration_parse(&v, "9999999999h"), CF_ELIMIT);
	assert_int_equal(cf_duration_parse(&v, "2562047h47m16.854775808s"), CF_ELIMIT);
	assert_int_equal(cf_duration_parse(&v, "1"), CF_EINVALID);
	assert_string_equal(cf_error_last(), "time: missing unit in duration \"1\"");
}

static void test_format(void **state)
{
	static const struct {
		int64_t ns;
		const char *out;
	} cases[] = {
		{0, "0s"}, {1, "1ns"}, {1100, "1.1\xc2\xb5s"}, {2200000, "2.2ms"}, {CF_SECOND, "1s"},
		{3300000000, "3.3s"}, {90 * CF_SECOND, "1m30s"}, {3600 * CF_SECOND, "1h0m0s"},
		{5400 * CF_SECOND, "1h30m0s"}, {-120 * CF_SECOND, "-2m0s"},
		{INT64_MAX, "2562047h47m16.854775807s"}, {INT64_MIN, "-2562047h47m16.854775808s"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_duration_format(buf, sizeof(buf), cases[i].ns);
		assert_string_equal(buf, cases[i].out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
