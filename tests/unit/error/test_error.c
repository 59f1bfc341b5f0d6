/* Tests the thread-local error messages. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cf/error.h"

static void test_set_and_wrap(void **state)
{
	assert_int_equal(cf_error_set(CF_ENOTFOUND, "branch '%s' not found", "main"), CF_ENOTFOUND);
	assert_string_equal(cf_error_last(), "branch 'main' not found");
	assert_int_equal(cf_error_last_code(), CF_ENOTFOUND);
	assert_int_equal(cf_error_wrap(CF_ENOTFOUND, "checkout %s: ", "repo"), CF_ENOTFOUND);
	assert_string_equal(cf_error_last(), "checkout repo: branch 'main' not found");
	cf_error_clear();
	assert_string_equal(cf_error_last(), "");
	assert_int_equal(cf_error_last_code(), CF_OK);
}

static void test_long_message_truncated(void **state)
{
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cf_error_set(CF_EINVALID, "%s", big);
	assert_true(strlen(cf_error_last()) < sizeof(big));
	assert_true(strlen(cf_error_last()) > 1000);
}

static void *other_thread(void *arg)
{
	cf_error_set(CF_EIO, "from thread");
	return (void *)(strcmp(cf_error_last(), "from thread") == 0 ? "ok" : NULL);
}

static void test_thread_local(void **state)
{
	pthread_t t;
	void *res;

	cf_error_set(CF_EAUTH, "main thread");
	pthread_create(&t, NULL, other_thread, NULL);
	pthread_join(t, &res);
	assert_non_null(res);
	assert_string_equal(cf_error_last(), "main thread");
	assert_int_equal(cf_error_last_code(), CF_EAUTH);
}

static void test_names(void **state)
{
	assert_string_equal(cf_error_name(CF_EGONE), "CF_EGONE");
	assert_string_equal(cf_error_name(CF_EAGAIN), "CF_EAGAIN");
	assert_string_equal(cf_error_name(-999), "CF_EUNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_wrap),
		cmocka_unit_test(test_long_message_truncated),
		cmocka_unit_test(test_thread_local),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
