/* Tests cf_git_checkout's option checks and error reporting without any git server. */
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
#include "cf/git.h"

static char dir[64];

static int setup(void **st)
{
	snprintf(dir, sizeof(dir), "/tmp/cf-gitopt-XXXXXX");
	return mkdtemp(dir) ? cf_git_init() : -1;
}

static int teardown(void **st)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int try(const char *url, const cf_git_auth *auth, const char *out_sub)
{
	char cache[128], out[128];
	cf_git_checkout_opts o = {0};
	cf_git_result r;

	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(out, sizeof(out), "%s/%s", dir, out_sub);
	o.url = url;
	o.cache_dir = cache;
	o.out_dir = out;
	o.auth = auth;
	o.ref.branch = "main";
	return cf_git_checkout(&r, &o);
}

static void test_bad_options(void **st)
{
	cf_git_checkout_opts o = {0};
	cf_git_auth cert_only = {.cert_pem = "x"}, key_only = {.key_pem = "y"};
	cf_git_auth crlf = {.bearer_token = "abc\r\nX-Evil: 1"};
	cf_git_auth tok = {.bearer_token = "abc"};
	cf_git_result r;

	assert_int_equal(cf_git_checkout(&r, &o), CF_EINVALID);
	assert_int_equal(cf_git_checkout(&r, NULL), CF_EINVALID);
	assert_int_equal(try("file:///etc", NULL, "o1"), CF_EINVALID);
	assert_int_equal(try("git@github.com:org/repo.git", NULL, "o1"), CF_EINVALID);
	assert_int_equal(try("https://:0/x", NULL, "o1"), CF_EINVALID);
	/* A client certificate needs both halves; which is missing is said, nothing is sent. */
	assert_int_equal(try("https://127.0.0.1:1/x", &cert_only, "o1"), CF_EAUTH);
	assert_non_null(strstr(cf_error_last(), "'tls.key'"));
	assert_int_equal(try("https://127.0.0.1:1/x", &key_only, "o1"), CF_EAUTH);
	assert_int_equal(try("https://example.com/x", &crlf, "o1"), CF_EINVALID);
	assert_int_equal(try("ssh://git@example.com/x", &tok, "o1"), CF_EINVALID);
}

static void test_out_dir_must_be_empty(void **st)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/full", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/full/stale.txt", dir);
	fp = fopen(path, "w");
	fclose(fp);
	assert_int_equal(try("http://127.0.0.1:1/x.git", NULL, "full"), CF_EINVALID);
}

/* A refused connection is CF_ENET and the message keeps user info out. */
static void test_unreachable_redacted(void **st)
{
	cf_git_auth a = {.username = "u", .password = "hunter2-secret"};

	assert_int_equal(try("http://u:hunter2-secret@127.0.0.1:1/x.git", &a, "o2"), CF_ENET);
	assert_null(strstr(cf_error_last(), "hunter2-secret"));
	assert_non_null(strstr(cf_error_last(), "127.0.0.1:1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_out_dir_must_be_empty),
		cmocka_unit_test(test_unreachable_redacted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
