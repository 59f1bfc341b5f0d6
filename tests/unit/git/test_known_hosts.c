/* Tests known_hosts matching with keys and hashed host names made by the real ssh-keygen. */
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "cf/git.h"

static char dir[64];

typedef struct {
	char line[1024];            /* "type base64" from the .pub file */
	unsigned char blob[1024];   /* the decoded public key */
	int len;
} key;

static key k1, k2;

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int load_key(key *k, const char *name)
{
	char path[128], *b64;
	FILE *fp;
	int pad;

	snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
	if (!(fp = fopen(path, "r")) || !fgets(k->line, sizeof(k->line), fp))
		return -1;
	fclose(fp);
	*strrchr(k->line, ' ') = '\0';   /* drop the comment */
	b64 = strchr(k->line, ' ') + 1;
	k->len = EVP_DecodeBlock(k->blob, (unsigned char *)b64, (int)strlen(b64));
	pad = (b64[strlen(b64) - 1] == '=') + (b64[strlen(b64) - 2] == '=');
	k->len -= pad;
	return k->len > 0 ? 0 : -1;
}

static int setup(void **st)
{
	snprintf(dir, sizeof(dir), "/tmp/cf-kh-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (sh("ssh-keygen -q -t ed25519 -N '' -C c -f %s/k1 && ssh-keygen -q -t ecdsa -N '' -C c "
	       "-f %s/k2", dir, dir) != 0)
		return -1;
	return load_key(&k1, "k1") || load_key(&k2, "k2");
}

static int teardown(void **st)
{
	return sh("rm -rf %s", dir);
}

static void test_plain_entries(void **st)
{
	char kh[8192];

	snprintf(kh, sizeof(kh), "# comment\n@revoked * %s\nother.example %s\n"
		 "gitlab.example,[127.0.0.1]:2222 %s\nGitHub.com %s\n", k2.line, k2.line, k1.line,
		 k1.line);
	assert_int_equal(cf_git_known_hosts_check(kh, "127.0.0.1", 2222, k1.blob, k1.len), 0);
	assert_int_equal(cf_git_known_hosts_check(kh, "gitlab.example", 22, k1.blob, k1.len), 0);
	assert_int_equal(cf_git_known_hosts_check(kh, "github.com", 22, k1.blob, k1.len), 0);
	/* A port-22 entry does not cover other ports, and the other way round (OpenSSH rules). */
	assert_int_equal(cf_git_known_hosts_check(kh, "127.0.0.1", 22, k1.blob, k1.len), CF_EUNSAFE);
	assert_non_null(strstr(cf_error_last(), "unknown host key"));
	assert_int_equal(cf_git_known_hosts_check(kh, "github.com", 2222, k1.blob, k1.len),
			 CF_EUNSAFE);
	/* Known host, different key. */
	assert_int_equal(cf_git_known_hosts_check(kh, "127.0.0.1", 2222, k2.blob, k2.len),
			 CF_EUNSAFE);
	assert_non_null(strstr(cf_error_last(), "does not match"));
	assert_non_null(strstr(cf_error_last(), "SHA256:"));
}

/* The fingerprint in the message is the one ssh-keygen prints. */
static void test_fingerprint_matches_ssh_keygen(void **st)
{
	char cmd[256], fp[128] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f %s/k2.pub | cut -d' ' -f2", dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(fp, sizeof(fp), p));
	pclose(p);
	fp[strcspn(fp, "\n")] = '\0';
	assert_int_equal(cf_git_known_hosts_check("x.example ssh-rsa AAAA\n", "127.0.0.1", 22,
						  k2.blob, k2.len), CF_EUNSAFE);
	assert_non_null(strstr(cf_error_last(), fp));
}

static void test_hashed_entries(void **st)
{
	char path[128], *kh;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/known_hosts", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[127.0.0.1]:2222 %s\nexample.org %s\n", k1.line, k2.line);
	fclose(fp);
	assert_int_equal(sh("ssh-keygen -q -H -f %s >/dev/null 2>&1", path), 0);
	assert_non_null(fp = fopen(path, "r"));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	kh = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(kh, 1, (size_t)n, fp), n);
	fclose(fp);
	assert_null(strstr(kh, "example.org"));   /* really hashed */
	assert_int_equal(cf_git_known_hosts_check(kh, "127.0.0.1", 2222, k1.blob, k1.len), 0);
	assert_int_equal(cf_git_known_hosts_check(kh, "example.org", 22, k2.blob, k2.len), 0);
	assert_int_equal(cf_git_known_hosts_check(kh, "example.org", 22, k1.blob, k1.len),
			 CF_EUNSAFE);
	assert_int_equal(cf_git_known_hosts_check(kh, "example.net", 22, k2.blob, k2.len),
			 CF_EUNSAFE);
	free(kh);
}

static void test_garbage(void **st)
{
	assert_int_equal(cf_git_known_hosts_check("", "h", 22, k1.blob, k1.len), CF_EPARSE);
	assert_int_equal(cf_git_known_hosts_check(NULL, "h", 22, k1.blob, k1.len), CF_EPARSE);
	assert_int_equal(cf_git_known_hosts_check("# only\n\n   \n", "h", 22, k1.blob, k1.len),
			 CF_EPARSE);
	assert_int_equal(cf_git_known_hosts_check("h ssh-ed25519 !!!notbase64\n|1|x|y ssh-rsa AAAA\n"
						  "|1|||| a b\n", "h", 22, k1.blob, k1.len),
			 CF_EUNSAFE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_entries),
		cmocka_unit_test(test_fingerprint_matches_ssh_keygen),
		cmocka_unit_test(test_hashed_entries),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
