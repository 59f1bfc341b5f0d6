/* Kubeconfig and in-cluster configuration parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "kube_int.h"

#define FULL "fixtures/kubeconfig-full.yaml"

static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	assert_int_equal(kube_read_file(&buf, len, path, 1 << 20), 0);
	return buf;
}

static void test_current_context(void **state)
{
	cf_kube_config *cfg = NULL;

	assert_int_equal(cf_kube_config_load_file(&cfg, FULL, NULL), 0);
	assert_string_equal(cf_kube_config_context(cfg), "admin");
	/* the trailing slash is dropped so paths can be appended */
	assert_string_equal(cf_kube_config_server(cfg), "https://127.0.0.1:6443");
	assert_string_equal(cf_kube_config_namespace(cfg), "flux-system");
	assert_string_equal(cfg->token, "inline-token");
	assert_null(cfg->token_file);
	assert_false(cfg->insecure);
	/* certificate-authority is a path relative to the kubeconfig's folder */
	{
		size_t n;
		char *want = slurp("fixtures/client.crt", &n);

		assert_int_equal(cfg->ca_len, n);
		assert_memory_equal(cfg->ca, want, n);
		free(want);
	}
	cf_kube_config_free(cfg);
}

static void test_data_fields(void **state)
{
	cf_kube_config *cfg = NULL;
	size_t ncrt, nkey;
	char *crt = slurp("fixtures/client.crt", &ncrt), *key = slurp("fixtures/client.key", &nkey);

	assert_int_equal(cf_kube_config_load_file(&cfg, FULL, "certs"), 0);
	assert_string_equal(cf_kube_config_server(cfg), "https://kube.example:8443");
	assert_string_equal(cf_kube_config_namespace(cfg), "default");
	assert_string_equal(cfg->tls_server_name, "api.internal");
	assert_int_equal(cfg->ca_len, ncrt);
	assert_memory_equal(cfg->ca, crt, ncrt);
	assert_int_equal(cfg->cert_len, ncrt);
	assert_memory_equal(cfg->cert, crt, ncrt);
	assert_int_equal(cfg->key_len, nkey);
	assert_memory_equal(cfg->key, key, nkey);
	assert_null(cfg->token);
	cf_kube_config_free(cfg);

	assert_int_equal(cf_kube_config_load_file(&cfg, FULL, "certfiles"), 0);
	assert_int_equal(cfg->key_len, nkey);
	assert_memory_equal(cfg->key, key, nkey);
	cf_kube_config_free(cfg);
	free(crt);
	free(key);
}

static void test_token_file_and_insecure(void **state)
{
	cf_kube_config *cfg = NULL;

	assert_int_equal(cf_kube_config_load_file(&cfg, FULL, "filetoken"), 0);
	assert_string_equal(cfg->token_file, "fixtures/token");
	assert_null(cfg->token);
	assert_true(cfg->insecure);
	assert_string_equal(cf_kube_config_server(cfg), "http://127.0.0.1:8080");
	cf_kube_config_free(cfg);
}

static void test_errors(void **state)
{
	cf_kube_config *cfg = NULL;
	static const struct {
		const char *context;
		int code;
		const char *msg;
	} cases[] = {
		{ "plugin", CF_EUNSUPPORTED, "exec" },
		{ "halfcert", CF_EINVALID, "together" },
		{ "badcluster", CF_EINVALID, "cluster \"nope\"" },
		{ "missing", CF_EINVALID, "context \"missing\" does not exist" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cf_kube_config_load_file(&cfg, FULL, cases[i].context), cases[i].code);
		assert_non_null(strstr(cf_error_last(), cases[i].msg));
		assert_null(cfg);
	}
	/* a context without a user is fine (anonymous) */
	assert_int_equal(cf_kube_config_load_file(&cfg, FULL, "nouser"), 0);
	assert_null(cfg->token);
	cf_kube_config_free(cfg);
	assert_int_equal(cf_kube_config_load_file(&cfg, "fixtures/none.yaml", NULL), CF_ENOTFOUND);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *text;
		int code;
	} cases[] = {
		{ "clusters: [\n  - name: a\n", CF_EPARSE },
		{ "a: b: c", CF_EPARSE },
		{ "", CF_EINVALID },
		{ "- just\n- a list\n", CF_EINVALID },
		{ "clusters: []\n", CF_EINVALID },  /* no current-context */
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {}}]\n", CF_EINVALID },  /* no server */
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {server: 'ftp://h'}}]\n", CF_EINVALID },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h', "
		  "certificate-authority-data: '!!notbase64'}}]\n", CF_EPARSE },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h', "
		  "certificate-authority: /nonexistent/ca.crt}}]\n", CF_EIO },
		{ "&a [*a]", CF_EINVALID },  /* libyaml resolves the alias; the root is no map */
	};
	size_t i;

	cf_kube_config *cfg = NULL;
	char *deep;
	size_t n = 200000;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = cf_kube_config_parse(&cfg, cases[i].text, strlen(cases[i].text), NULL, NULL);

		if (rc != cases[i].code)
			fail_msg("case %zu: got %s (%s)", i, cf_error_name(rc), cf_error_last());
		assert_null(cfg);
	}
	/* hostile nesting must fail cleanly, not exhaust the stack */
	deep = malloc(n);
	memset(deep, '[', n);
	assert_int_equal(cf_kube_config_parse(&cfg, deep, n, NULL, NULL), CF_ELIMIT);
	assert_null(cfg);
	free(deep);
}

static void test_json_kubeconfig(void **state)
{
	const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"current-context\":\"c\","
	                   "\"contexts\":[{\"name\":\"c\",\"context\":{\"cluster\":\"k\",\"user\":\"u\"}}],"
	                   "\"clusters\":[{\"name\":\"k\",\"cluster\":{\"server\":\"https://[::1]:6443\"}}],"
	                   "\"users\":[{\"name\":\"u\",\"user\":{\"username\":\"me\",\"password\":\"pw\"}}]}";
	cf_kube_config *cfg = NULL;

	assert_int_equal(cf_kube_config_parse(&cfg, json, strlen(json), NULL, NULL), 0);
	assert_string_equal(cf_kube_config_server(cfg), "https://[::1]:6443");
	assert_string_equal(cfg->username, "me");
	assert_string_equal(cfg->password, "pw");
	cf_kube_config_free(cfg);
}

static void test_in_cluster(void **state)
{
	cf_kube_config *cfg = NULL;
	size_t n;
	char *ca = slurp("fixtures/sa/ca.crt", &n);

	assert_int_equal(cf_kube_config_in_cluster_at(&cfg, "10.0.0.1", "443", "fixtures/sa"), 0);
	assert_string_equal(cf_kube_config_server(cfg), "https://10.0.0.1:443");
	assert_string_equal(cf_kube_config_namespace(cfg), "flux-system");
	assert_string_equal(cfg->token_file, "fixtures/sa/token");
	assert_null(cf_kube_config_context(cfg));
	assert_int_equal(cfg->ca_len, n);
	assert_memory_equal(cfg->ca, ca, n);
	cf_kube_config_free(cfg);

	assert_int_equal(cf_kube_config_in_cluster_at(&cfg, "fd00::1", "6443", "fixtures/sa"), 0);
	assert_string_equal(cf_kube_config_server(cfg), "https://[fd00::1]:6443");
	cf_kube_config_free(cfg);

	assert_int_equal(cf_kube_config_in_cluster_at(&cfg, NULL, "443", "fixtures/sa"), CF_ENOTFOUND);
	assert_int_equal(cf_kube_config_in_cluster_at(&cfg, "10.0.0.1", "443", "fixtures/nope"),
	                 CF_ENOTFOUND);
	free(ca);
}

static void test_load_default(void **state)
{
	cf_kube_config *cfg = NULL;

	unsetenv("KUBERNETES_SERVICE_HOST");
	setenv("KUBECONFIG", "fixtures/missing.yaml:" FULL, 1);
	assert_int_equal(cf_kube_config_load_default(&cfg, NULL, "certs"), 0);
	assert_string_equal(cf_kube_config_context(cfg), "certs");
	cf_kube_config_free(cfg);
	/* an explicit path wins over KUBECONFIG */
	assert_int_equal(cf_kube_config_load_default(&cfg, "fixtures/missing.yaml", NULL),
	                 CF_ENOTFOUND);
	setenv("KUBECONFIG", "fixtures/missing.yaml", 1);
	setenv("HOME", "/nonexistent", 1);
	assert_int_equal(cf_kube_config_load_default(&cfg, NULL, NULL), CF_ENOTFOUND);
}

/* The token is read from its file and picked up again after the file is rewritten. */
static void test_token_rotation(void **state)
{
	char dir[] = "/tmp/cf-kube-tok-XXXXXX", path[64], *hdr = NULL;
	cf_kube_config cfg = { 0 };
	kube_token tok;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	fputs("first\n", f);
	fclose(f);
	cfg.token_file = path;
	assert_int_equal(kube_token_init(&tok, &cfg), 0);
	assert_int_equal(kube_token_header(&tok, &hdr), 0);
	assert_string_equal(hdr, "Authorization: Bearer first");
	free(hdr);

	f = fopen(path, "w");
	fputs("second-longer\n", f);
	fclose(f);
	usleep(1100 * 1000);
	assert_int_equal(kube_token_header(&tok, &hdr), 0);
	assert_string_equal(hdr, "Authorization: Bearer second-longer");
	free(hdr);

	/* a vanished file keeps the last good token rather than failing requests */
	unlink(path);
	usleep(1100 * 1000);
	assert_int_equal(kube_token_header(&tok, &hdr), 0);
	assert_string_equal(hdr, "Authorization: Bearer second-longer");
	free(hdr);
	kube_token_destroy(&tok);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_context),
		cmocka_unit_test(test_data_fields),
		cmocka_unit_test(test_token_file_and_insecure),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_json_kubeconfig),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_load_default),
		cmocka_unit_test(test_token_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
