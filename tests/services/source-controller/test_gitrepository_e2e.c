/*
 * source-controller end to end: real kube-apiserver, real git servers (HTTP, basic auth, HTTPS
 * with a private CA, HTTPS requiring a client certificate, SSH with known_hosts), the controller
 * binary, and a bus subscriber.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/artifact.h"
#include "cf/error.h"
#include "cf/runtime.h"
#include "e2e.h"
#include "testsupport.h"

#define TIMEOUT 60000
#define GITREPO "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\"," \
		"\"metadata\":{\"name\":\"%s\"},\"spec\":{\"interval\":\"10m\",\"url\":\"%s\",%s}}"

static sc_e2e e;

static int setup(void **state)
{
	if (!getenv("CF_KUBECONFIG"))
		return 0;
	if (sc_e2e_up(&e) < 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	if (e.dir && getenv("CF_E2E_SHOW_LOG"))
		cft_sh("tail -50 '%s/source-controller.log' >&2", e.dir);
	sc_e2e_down(&e);
	return 0;
}

static void need_cluster(void)
{
	if (!getenv("CF_KUBECONFIG"))
		skip();
}

/* SHA-1 of a ref in the bare fixture repository app.git. */
static char *sha_of(const char *ref)
{
	return cft_sh_out("git --git-dir='%s/app.git' rev-parse '%s^{commit}'", sc_e2e_env("CF_GIT_REPOS"), ref);
}

static char *url_of(const char *base, const char *repo)
{
	char *u = NULL;
	if (asprintf(&u, "%s/%s", sc_e2e_env(base), repo) < 0)
		return NULL;
	return u;
}

/* Fetches the artifact, checks its digest, extracts it into a fresh directory (returned). */
static char *fetch_artifact(const json_t *obj)
{
	json_t *art = json_object_get(json_object_get(obj, "status"), "artifact");
	const char *url = json_string_value(json_object_get(art, "url"));
	const char *digest = json_string_value(json_object_get(art, "digest"));
	void *buf = NULL;
	size_t len = 0;
	char *dir = cft_tmpdir("cflux-art");

	assert_non_null(url);
	assert_non_null(digest);
	assert_int_equal(cf_artifact_fetch_mem(&buf, &len, url, digest, NULL), 0);
	assert_int_equal((json_int_t)len, json_integer_value(json_object_get(art, "size")));
	rmdir(dir);
	assert_int_equal(cf_artifact_extract_mem(buf, len, dir, NULL), 0);
	free(buf);
	return dir;
}

static int exists(const char *dir, const char *rel)
{
	char p[2048];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static void test_branch_over_http(void **state)
{
	need_cluster();
	char *url = url_of("CF_GIT_HTTP_URL", "app.git"), *sha = sha_of("main"), rev[128], path[256];
	assert_int_equal(sc_e2e_create(&e, GITREPO, "app", url, "\"ref\":{\"branch\":\"main\"}"), 0);
	json_t *obj = sc_e2e_wait_ready(&e, "app", "True", TIMEOUT);
	assert_non_null(obj);

	snprintf(rev, sizeof(rev), "main@sha1:%s", sha);
	json_t *art = json_object_get(json_object_get(obj, "status"), "artifact");
	assert_string_equal(json_string_value(json_object_get(art, "revision")), rev);
	snprintf(path, sizeof(path), "gitrepository/%s/app/%s.tar.gz", e.ns, sha);
	assert_string_equal(json_string_value(json_object_get(art, "path")), path);
	assert_memory_equal(json_string_value(json_object_get(art, "digest")), "sha256:", 7);
	assert_int_equal(strlen(json_string_value(json_object_get(art, "digest"))), 7 + 64);
	assert_string_equal(sc_e2e_cond(obj, "Ready", "reason"), "Succeeded");
	assert_string_equal(sc_e2e_cond(obj, "ArtifactInStorage", "status"), "True");
	assert_non_null(json_object_get(json_object_get(obj, "metadata"), "finalizers"));

	/* The tarball holds the tree without .git, and the digest matches the bytes served. */
	char *dir = fetch_artifact(obj);
	assert_true(exists(dir, "deploy/app.yaml"));
	assert_true(exists(dir, "three.txt"));
	assert_false(exists(dir, ".git"));
	cft_sh("rm -rf '%s'", dir);
	free(dir);

	/* The bus told us about it. */
	cf_bus_msg *m = sc_e2e_wait_bus(&e, "app", rev, 10000);
	assert_non_null(m);
	assert_string_equal(m->body.artifact_ready.kind, "GitRepository");
	assert_string_equal(m->body.artifact_ready.digest, json_string_value(json_object_get(art, "digest")));
	cf_bus_msg_free(m);
	json_decref(obj);
	free(url);
	free(sha);
}

static void test_new_commit_new_artifact(void **state)
{
	need_cluster();
	const char *repos = sc_e2e_env("CF_GIT_REPOS");
	char *url = url_of("CF_GIT_HTTP_URL", "app.git"), rev[128];
	assert_int_equal(sc_e2e_create(&e, GITREPO, "moving", url, "\"ref\":{\"branch\":\"dev\"}"), 0);
	json_t *obj = sc_e2e_wait_ready(&e, "moving", "True", TIMEOUT);
	assert_non_null(obj);
	char *old_digest = strdup(json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "status"), "artifact"), "digest")));
	json_decref(obj);
	cf_bus_msg_free(sc_e2e_wait_bus(&e, "moving", NULL, 2000));

	/* Push a commit to dev, then ask for a reconcile as `flux reconcile` does. */
	assert_int_equal(cft_sh("set -e; w=$(mktemp -d); git clone -q -b dev '%s/app.git' $w/c 2>/dev/null;"
				" echo new > $w/c/new.txt; git -C $w/c add .;"
				" git -C $w/c -c user.name=t -c user.email=t@t commit -q -m new;"
				" git -C $w/c push -q origin dev 2>/dev/null; rm -rf $w", repos), 0);
	char *sha = cft_sh_out("git --git-dir='%s/app.git' rev-parse dev", repos);
	snprintf(rev, sizeof(rev), "dev@sha1:%s", sha);
	long long t0 = cft_now_ms();
	assert_int_equal(sc_e2e_request(&e, "moving"), 0);
	cf_bus_msg *m = sc_e2e_wait_bus(&e, "moving", rev, TIMEOUT);
	assert_non_null(m);
	fprintf(stderr, "push to ArtifactReady (annotation requested): %lld ms\n", cft_now_ms() - t0);
	assert_string_not_equal(m->body.artifact_ready.digest, old_digest);
	cf_bus_msg_free(m);

	/* The status patch follows the bus message. */
	for (int i = 0; i < 100; i++) {
		obj = sc_e2e_wait_ready(&e, "moving", "True", TIMEOUT);
		assert_non_null(obj);
		if (strcmp(json_string_value(json_object_get(json_object_get(json_object_get(obj, "status"),
				"artifact"), "revision")), rev) == 0)
			break;
		json_decref(obj);
		obj = NULL;
		usleep(100000);
	}
	assert_non_null(obj);
	char want_msg[256];
	snprintf(want_msg, sizeof(want_msg), "stored artifact for revision '%s'", rev);
	assert_string_equal(sc_e2e_cond(obj, "Ready", "message"), want_msg);
	assert_non_null(json_object_get(json_object_get(obj, "status"), "lastHandledReconcileAt"));
	json_decref(obj);
	free(old_digest);
	free(sha);
	free(url);
}

static void check_revision(const char *name, const char *ref_json, const char *expect_prefix, const char *ref)
{
	char *url = url_of("CF_GIT_HTTP_URL", "app.git"), *sha = sha_of(ref), want[160];

	assert_int_equal(sc_e2e_create(&e, GITREPO, name, url, ref_json), 0);
	json_t *obj = sc_e2e_wait_ready(&e, name, "True", TIMEOUT);
	assert_non_null(obj);
	snprintf(want, sizeof(want), "%ssha1:%s", expect_prefix, sha);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "status"), "artifact"), "revision")), want);
	json_decref(obj);
	free(url);
	free(sha);
}

static void test_tag_semver_commit(void **state)
{
	need_cluster();
	check_revision("tag", "\"ref\":{\"tag\":\"v1.0.0\"}", "v1.0.0@", "v1.0.0");
	/* v2.0.0-rc.1 is a pre-release: a plain range does not match it. */
	check_revision("semver", "\"ref\":{\"semver\":\">=1.0.0\"}", "v1.1.0@", "v1.1.0");
	char *sha = sha_of("v1.0.0"), ref[128];
	snprintf(ref, sizeof(ref), "\"ref\":{\"commit\":\"%s\"}", sha);
	check_revision("commit", ref, "", "v1.0.0");
	free(sha);
}

static void test_credentials(void **state)
{
	need_cluster();
	char *auth = url_of("CF_GIT_AUTH_URL", "app.git"), *https = url_of("CF_GIT_HTTPS1_URL", "app.git");
	char *ssh = url_of("CF_GIT_SSH_URL", "app.git");
	char *ca = cft_read_file(sc_e2e_env("CF_GIT_CA1"), NULL);
	char *key = cft_read_file(sc_e2e_env("CF_GIT_SSH_KEY"), NULL);
	char *kh = cft_read_file(sc_e2e_env("CF_GIT_KNOWN_HOSTS"), NULL);
	char *kh_wrong = cft_read_file(sc_e2e_env("CF_GIT_KNOWN_HOSTS_WRONG"), NULL);
	assert_non_null(ca);
	assert_non_null(key);

	assert_int_equal(sc_e2e_secret(&e, "basic", "username", sc_e2e_env("CF_GIT_USER"), "password",
				       sc_e2e_env("CF_GIT_PASSWORD"), NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "badpass", "username", sc_e2e_env("CF_GIT_USER"), "password",
				       "wrong", NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "ca", "ca.crt", ca, NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "ssh", "identity", key, "known_hosts", kh, NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "ssh-wrong", "identity", key, "known_hosts", kh_wrong, NULL), 0);

	const char *spec = "\"ref\":{\"branch\":\"main\"},\"secretRef\":{\"name\":\"%s\"}";
	char s[256];
	snprintf(s, sizeof(s), spec, "basic");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "basic", auth, s), 0);
	snprintf(s, sizeof(s), spec, "badpass");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "badpass", auth, s), 0);
	snprintf(s, sizeof(s), spec, "ca");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "https", https, s), 0);
	snprintf(s, sizeof(s), spec, "ssh");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "ssh", ssh, s), 0);
	snprintf(s, sizeof(s), spec, "ssh-wrong");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "ssh-wrong", ssh, s), 0);
	assert_int_equal(sc_e2e_create(&e, GITREPO, "nosecret", auth, "\"ref\":{\"branch\":\"main\"}"), 0);

	const char *good[] = {"basic", "https", "ssh"};
	for (size_t i = 0; i < 3; i++) {
		json_t *obj = sc_e2e_wait_ready(&e, good[i], "True", TIMEOUT);
		if (!obj)
			fprintf(stderr, "%s not ready\n", good[i]);
		assert_non_null(obj);
		json_decref(obj);
	}
	const char *bad[] = {"badpass", "ssh-wrong", "nosecret"};
	for (size_t i = 0; i < 3; i++) {
		json_t *obj = sc_e2e_wait_ready(&e, bad[i], "False", TIMEOUT);
		assert_non_null(obj);
		const char *msg = sc_e2e_cond(obj, "Ready", "message");
		fprintf(stderr, "%s: %s: %s\n", bad[i], sc_e2e_cond(obj, "Ready", "reason"), msg);
		assert_string_equal(sc_e2e_cond(obj, "Ready", "reason"), "AuthenticationFailed");
		assert_string_equal(sc_e2e_cond(obj, "FetchFailed", "status"), "True");
		/* Never the password in a condition. */
		assert_null(strstr(msg, "wrong"));
		assert_null(strstr(msg, sc_e2e_env("CF_GIT_PASSWORD")));
		json_decref(obj);
	}
	free(auth), free(https), free(ssh), free(ca), free(key), free(kh), free(kh_wrong);
}

/*
 * HTTPS with a client certificate, under Flux's key names and the older certFile/keyFile/caFile,
 * next to a repository behind another CA; without the certificate the condition says so.
 */
static void test_client_certificate(void **state)
{
	need_cluster();
	assert_int_equal(sc_e2e_mtls(&e), 0);
	char *url = url_of("CF_GIT_MTLS_URL", "app.git"), *other = url_of("CF_GIT_HTTPS2_URL", "app.git");
	char *ca1 = cft_read_file(sc_e2e_env("CF_GIT_CA1"), NULL), *ca2 = cft_read_file(sc_e2e_env("CF_GIT_CA2"), NULL);
	char *crt = cft_read_file(sc_e2e_env("CF_GIT_CLIENT_CRT"), NULL);
	char *key = cft_read_file(sc_e2e_env("CF_GIT_CLIENT_KEY"), NULL);
	char *sha = sha_of("main"), rev[128], s[256];
	assert_non_null(crt);
	assert_non_null(key);

	assert_int_equal(sc_e2e_secret(&e, "mtls", "ca.crt", ca1, "tls.crt", crt, "tls.key", key, NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "mtls-old", "caFile", ca1, "certFile", crt, "keyFile", key, NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "mtls-ca-only", "ca.crt", ca1, NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "mtls-half", "ca.crt", ca1, "tls.crt", crt, NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "ca2", "ca.crt", ca2, NULL), 0);
	const char *spec = "\"ref\":{\"branch\":\"main\"},\"secretRef\":{\"name\":\"%s\"}";
	static const struct {
		const char *name, *secret;
		int other_server;
	} repos[] = {
		{"mtls", "mtls", 0}, {"mtls-old", "mtls-old", 0}, {"mtls-nocert", "mtls-ca-only", 0},
		{"mtls-half", "mtls-half", 0}, {"https2", "ca2", 1},
	};
	for (size_t i = 0; i < sizeof(repos) / sizeof(*repos); i++) {
		snprintf(s, sizeof(s), spec, repos[i].secret);
		assert_int_equal(sc_e2e_create(&e, GITREPO, repos[i].name, repos[i].other_server ? other : url, s), 0);
	}

	snprintf(rev, sizeof(rev), "main@sha1:%s", sha);
	const char *good[] = {"mtls", "mtls-old", "https2"};
	for (size_t i = 0; i < 3; i++) {
		json_t *obj = sc_e2e_wait_ready(&e, good[i], "True", TIMEOUT);
		if (!obj)
			fprintf(stderr, "%s not ready\n", good[i]);
		assert_non_null(obj);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(json_object_get(obj, "status"), "artifact"), "revision")), rev);
		json_decref(obj);
	}
	json_t *obj = sc_e2e_wait_ready(&e, "mtls", "True", TIMEOUT);
	char *dir = fetch_artifact(obj);
	assert_true(exists(dir, "deploy/app.yaml"));
	cft_sh("rm -rf '%s'", dir);
	free(dir);
	json_decref(obj);

	static const struct {
		const char *name, *words;
	} bad[] = {
		{"mtls-nocert", "client certificate required"},
		{"mtls-half", "both 'tls.crt' and 'tls.key' are required"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		obj = sc_e2e_wait_ready(&e, bad[i].name, "False", TIMEOUT);
		assert_non_null(obj);
		const char *msg = sc_e2e_cond(obj, "Ready", "message");
		fprintf(stderr, "%s: %s: %s\n", bad[i].name, sc_e2e_cond(obj, "Ready", "reason"), msg);
		assert_string_equal(sc_e2e_cond(obj, "Ready", "reason"), "AuthenticationFailed");
		assert_string_equal(sc_e2e_cond(obj, "FetchFailed", "status"), "True");
		assert_non_null(strstr(msg, bad[i].words));
		assert_null(json_object_get(json_object_get(obj, "status"), "artifact"));
		json_decref(obj);
	}
	free(url), free(other), free(ca1), free(ca2), free(crt), free(key), free(sha);
}

static void test_failures_are_conditions(void **state)
{
	need_cluster();
	char *url = url_of("CF_GIT_HTTP_URL", "app.git");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "nobranch", url, "\"ref\":{\"branch\":\"nope\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, GITREPO, "unreachable", "http://127.0.0.1:1/app.git",
				       "\"ref\":{\"branch\":\"main\"},\"timeout\":\"5s\""), 0);
	assert_int_equal(sc_e2e_create(&e, GITREPO, "escape", url, "\"ref\":{\"branch\":\"evil-link\"}"), 0);

	json_t *obj = sc_e2e_wait_ready(&e, "nobranch", "False", TIMEOUT);
	assert_non_null(obj);
	assert_string_equal(sc_e2e_cond(obj, "Ready", "reason"), "GitOperationFailed");
	assert_non_null(strstr(sc_e2e_cond(obj, "Ready", "message"), "nope"));
	json_decref(obj);
	obj = sc_e2e_wait_ready(&e, "unreachable", "False", TIMEOUT);
	assert_non_null(obj);
	assert_string_equal(sc_e2e_cond(obj, "Ready", "reason"), "GitOperationFailed");
	json_decref(obj);
	obj = sc_e2e_wait_ready(&e, "escape", "False", TIMEOUT);
	assert_non_null(obj);
	fprintf(stderr, "escape: %s\n", sc_e2e_cond(obj, "Ready", "message"));
	assert_non_null(strstr(sc_e2e_cond(obj, "Ready", "message"), "escape"));
	assert_null(json_object_get(json_object_get(obj, "status"), "artifact"));
	json_decref(obj);

	/* The controller kept serving: a good repository still becomes ready afterwards. */
	assert_int_equal(sc_e2e_create(&e, GITREPO, "after", url, "\"ref\":{\"branch\":\"main\"}"), 0);
	obj = sc_e2e_wait_ready(&e, "after", "True", TIMEOUT);
	assert_non_null(obj);
	json_decref(obj);
	free(url);
}

/* 1 once the controller at *port answers /readyz. */
static int ready_at(void *port)
{
	char *code = cft_sh_out("curl -s -o /dev/null -w '%%{http_code}' --max-time 1 "
				"http://127.0.0.1:%d/readyz", *(int *)port);
	int ok = code && strcmp(code, "200") == 0;
	free(code);
	return ok;
}

/*
 * Size limits: a controller with small ones (a shard of its own) fails the repository whose
 * file or tree is over the limit with a clear condition, stores nothing for it, and keeps
 * reconciling the others, also after the failures.
 */
static void test_size_limits(void **state)
{
	need_cluster();
	char health[64], *url = url_of("CF_GIT_HTTP_URL", "app.git");
	int hport = cft_free_port();
	snprintf(health, sizeof(health), "--health-addr=127.0.0.1:%d", hport);
	/* big.bin on branch big is 2 MiB; main and dev are a few KiB, under both limits. */
	const char *extra[] = {"--watch-label-selector=cflux-test-shard=limits", "--git-file-max-size=1048576",
			       "--git-tree-max-size=65536", health, NULL};
	pid_t pid = sc_e2e_spawn(&e, "limits", cft_free_port(), extra);
	assert_true(pid > 0);
	assert_true(cft_wait(ready_at, &hport, 30000));
	static const struct {
		const char *name, *branch;
	} repos[] = {{"lim-big", "big"}, {"lim-ok1", "main"}, {"lim-ok2", "dev"}};
	for (size_t i = 0; i < sizeof(repos) / sizeof(*repos); i++)
		assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\","
					       "\"kind\":\"GitRepository\",\"metadata\":{\"name\":\"%s\","
					       "\"labels\":{\"cflux-test-shard\":\"limits\"}},\"spec\":{"
					       "\"interval\":\"10m\",\"url\":\"%s\",\"ref\":{\"branch\":\"%s\"}}}",
					       repos[i].name, url, repos[i].branch), 0);
	json_t *obj = sc_e2e_wait_ready(&e, "lim-big", "False", TIMEOUT);
	assert_non_null(obj);
	const char *msg = sc_e2e_cond(obj, "Ready", "message");
	fprintf(stderr, "lim-big: %s: %s\n", sc_e2e_cond(obj, "Ready", "reason"), msg);
	assert_string_equal(sc_e2e_cond(obj, "Ready", "reason"), "GitOperationFailed");
	assert_string_equal(sc_e2e_cond(obj, "FetchFailed", "status"), "True");
	assert_non_null(strstr(msg, "big.bin"));
	assert_non_null(strstr(msg, "1048576"));
	assert_null(json_object_get(json_object_get(obj, "status"), "artifact"));
	json_decref(obj);
	for (size_t i = 1; i < sizeof(repos) / sizeof(*repos); i++) {
		obj = sc_e2e_wait_ready(&e, repos[i].name, "True", TIMEOUT);
		assert_non_null(obj);
		json_decref(obj);
	}
	/* Asked again, the same failure, and the controller is still there and ready. */
	assert_int_equal(sc_e2e_request(&e, "lim-big"), 0);
	sleep(2);
	obj = sc_e2e_wait_ready(&e, "lim-big", "False", TIMEOUT);
	assert_non_null(obj);
	assert_non_null(json_object_get(json_object_get(obj, "status"), "lastHandledReconcileAt"));
	json_decref(obj);
	assert_int_equal(kill(pid, 0), 0);
	assert_true(ready_at(&hport));
	assert_int_equal(cft_stop(pid, 10000), 0);
	free(url);
}

typedef struct {
	pthread_mutex_t mu;
	char name[64];
	char digest[80];
	char revision[200];
	int seen;
} consumer;

/* An informer handler, as a consumer has one: remembers the source's artifact from the API. */
static void on_source(void *ctx, cf_informer_event ev, const char *key, const json_t *obj,
		      const json_t *old)
{
	consumer *c = ctx;
	json_t *art = json_object_get(json_object_get(obj, "status"), "artifact");
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));

	if (ev == CF_INFORMER_DELETE || !art || !name || strcmp(name, c->name) != 0)
		return;
	pthread_mutex_lock(&c->mu);
	snprintf(c->digest, sizeof(c->digest), "%s", json_string_value(json_object_get(art, "digest")));
	snprintf(c->revision, sizeof(c->revision), "%s", json_string_value(json_object_get(art, "revision")));
	c->seen++;
	pthread_mutex_unlock(&c->mu);
}

static int consumer_has(consumer *c, const char *digest)
{
	pthread_mutex_lock(&c->mu);
	int yes = c->seen > 0 && strcmp(c->digest, digest) == 0;
	pthread_mutex_unlock(&c->mu);
	return yes;
}

typedef struct {
	consumer *c;
	const char *digest;
} wait_digest;

static int consumer_has_cb(void *arg)
{
	wait_digest *w = arg;
	return consumer_has(w->c, w->digest);
}

/*
 * A consumer that subscribes after ArtifactReady was published gets nothing from the bus (it is
 * a hint, never replayed) but still finds the artifact through the API; once subscribed it hears
 * the next one, and bus and API agree.
 */
static void test_late_subscriber(void **state)
{
	need_cluster();
	const char *repos = sc_e2e_env("CF_GIT_REPOS");
	char *url = url_of("CF_GIT_HTTP_URL", "app.git"), bus[64];
	/* A branch of its own, so no other test moves it. */
	assert_int_equal(cft_sh("git --git-dir='%s/app.git' branch -f late main", repos), 0);
	assert_int_equal(sc_e2e_create(&e, GITREPO, "late", url, "\"ref\":{\"branch\":\"late\"}"), 0);
	cf_bus_msg *m = sc_e2e_wait_bus(&e, "late", NULL, TIMEOUT);
	assert_non_null(m);
	char *first = strdup(m->body.artifact_ready.digest);
	cf_bus_msg_free(m);

	/* The consumer starts now: a SUB socket on the bus and an informer on GitRepositories. */
	consumer c = {.mu = PTHREAD_MUTEX_INITIALIZER};
	snprintf(c.name, sizeof(c.name), "late");
	cf_bus_sub *sub = NULL;
	cf_informer *inf = NULL;
	assert_int_equal(cf_bus_sub_new(&sub, CF_BUS_MASK(CF_BUS_ARTIFACT_READY)), 0);
	snprintf(bus, sizeof(bus), "tcp://127.0.0.1:%d", e.bus_port);
	assert_int_equal(cf_bus_sub_connect(sub, bus), 0);
	cf_informer_opts io = {.api_version = "source.toolkit.fluxcd.io/v1", .kind = "GitRepository",
			       .namespace_ = e.ns};
	assert_int_equal(cf_informer_new(&inf, e.kube, &io), 0);
	assert_int_equal(cf_informer_add_handler(inf, on_source, &c), 0);
	assert_int_equal(cf_informer_start(inf), 0);
	assert_int_equal(cf_informer_wait_synced(inf, 30000), 0);

	/* Nothing is replayed on the bus ... */
	long long end = cft_now_ms() + 2000;
	while (cft_now_ms() < end) {
		if (cf_bus_sub_recv(&m, sub, 200) < 0)
			continue;
		assert_false(m->type == CF_BUS_ARTIFACT_READY &&
			     strcmp(m->body.artifact_ready.name, "late") == 0);
		cf_bus_msg_free(m);
	}
	/* ... yet the API has the artifact, and it is the one announced before the consumer came. */
	wait_digest w = {&c, first};
	assert_true(cft_wait(consumer_has_cb, &w, 10000));
	json_t *obj = sc_e2e_get(&e, "late");
	char *dir = fetch_artifact(obj);
	cft_sh("rm -rf '%s'", dir);
	free(dir);
	json_decref(obj);

	/* A new commit: the late subscriber hears it, and its informer sees the same digest. */
	assert_int_equal(cft_sh("set -e; w=$(mktemp -d); git clone -q -b late '%s/app.git' $w/c 2>/dev/null;"
				" echo late > $w/c/late.txt; git -C $w/c add .;"
				" git -C $w/c -c user.name=t -c user.email=t@t commit -q -m late;"
				" git -C $w/c push -q origin late 2>/dev/null; rm -rf $w", repos), 0);
	assert_int_equal(sc_e2e_request(&e, "late"), 0);
	cf_bus_msg *got = NULL;
	end = cft_now_ms() + TIMEOUT;
	while (!got && cft_now_ms() < end) {
		if (cf_bus_sub_recv(&m, sub, 200) < 0)
			continue;
		if (m->type == CF_BUS_ARTIFACT_READY && strcmp(m->body.artifact_ready.name, "late") == 0 &&
		    strcmp(m->body.artifact_ready.namespace_, e.ns) == 0)
			got = m;
		else
			cf_bus_msg_free(m);
	}
	assert_non_null(got);
	assert_string_not_equal(got->body.artifact_ready.digest, first);
	w.digest = got->body.artifact_ready.digest;
	assert_true(cft_wait(consumer_has_cb, &w, 10000));
	cf_bus_msg_free(got);
	cf_informer_free(inf);
	cf_bus_sub_free(sub);
	free(first);
	free(url);
}

static void test_deterministic_and_ignore(void **state)
{
	need_cluster();
	char *url = url_of("CF_GIT_HTTP_URL", "app.git");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "same1", url, "\"ref\":{\"tag\":\"v1.1.0\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, GITREPO, "same2", url, "\"ref\":{\"tag\":\"v1.1.0\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, GITREPO, "ignored", url,
				       "\"ref\":{\"branch\":\"main\"},\"ignore\":\"*.txt\\n/deploy/\\n\""), 0);
	json_t *a = sc_e2e_wait_ready(&e, "same1", "True", TIMEOUT);
	json_t *b = sc_e2e_wait_ready(&e, "same2", "True", TIMEOUT);
	assert_non_null(a);
	assert_non_null(b);
	/* Two archives of the same commit are byte-identical. */
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(json_object_get(a, "status"), "artifact"), "digest")),
		json_string_value(json_object_get(json_object_get(json_object_get(b, "status"), "artifact"), "digest")));

	/* A second reconcile of an unchanged commit keeps the artifact as it is. */
	const char *t1 = json_string_value(json_object_get(json_object_get(json_object_get(a, "status"), "artifact"), "lastUpdateTime"));
	char *t1c = strdup(t1);
	assert_int_equal(sc_e2e_request(&e, "same1"), 0);
	sleep(2);
	json_t *a2 = sc_e2e_wait_ready(&e, "same1", "True", TIMEOUT);
	assert_non_null(a2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(a2, "status"), "artifact"), "lastUpdateTime")), t1c);
	free(t1c);

	json_t *ig = sc_e2e_wait_ready(&e, "ignored", "True", TIMEOUT);
	assert_non_null(ig);
	char *dir = fetch_artifact(ig);
	assert_false(exists(dir, "three.txt"));
	assert_false(exists(dir, "deploy"));
	assert_true(exists(dir, "README.md"));
	cft_sh("rm -rf '%s'", dir);
	free(dir);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ig, "status"), "observedIgnore")),
			    "*.txt\n/deploy/\n");
	json_decref(a), json_decref(a2), json_decref(b), json_decref(ig);
	free(url);
}

static void test_include(void **state)
{
	need_cluster();
	char *app = url_of("CF_GIT_HTTP_URL", "app.git"), *lib = url_of("CF_GIT_HTTP_URL", "lib.git");
	assert_int_equal(sc_e2e_create(&e, GITREPO, "lib", lib, "\"ref\":{\"branch\":\"main\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, GITREPO, "withlib", app,
				       "\"ref\":{\"branch\":\"main\"},\"include\":[{\"repository\":{\"name\":\"lib\"},"
				       "\"toPath\":\"vendor/lib\"}]"), 0);
	json_t *obj = sc_e2e_wait_ready(&e, "withlib", "True", TIMEOUT);
	assert_non_null(obj);
	char *dir = fetch_artifact(obj);
	assert_true(exists(dir, "vendor/lib/lib.txt"));
	assert_true(exists(dir, "deploy/app.yaml"));
	cft_sh("rm -rf '%s'", dir);
	free(dir);
	assert_int_equal(json_array_size(json_object_get(json_object_get(obj, "status"), "includedArtifacts")), 1);
	json_decref(obj);
	free(app), free(lib);
}

static void test_storage_server_refuses_traversal(void **state)
{
	need_cluster();
	char *code = cft_sh_out("curl -s -o /dev/null -w '%%{http_code}' --path-as-is "
				"'http://127.0.0.1:%d/../../../etc/passwd'", e.storage_port);
	assert_non_null(code);
	assert_true(strcmp(code, "400") == 0 || strcmp(code, "404") == 0);
	free(code);
	code = cft_sh_out("curl -s -o /dev/null -w '%%{http_code}' "
			  "'http://127.0.0.1:%d/%%2e%%2e/%%2e%%2e/etc/passwd'", e.storage_port);
	assert_true(strcmp(code, "400") == 0 || strcmp(code, "404") == 0);
	free(code);
}

static void test_health_and_delete(void **state)
{
	need_cluster();
	char *code = cft_sh_out("curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%d/readyz", e.health_port);
	assert_string_equal(code, "200");
	free(code);

	/* Deleting a GitRepository removes its artifacts from storage (finalizer). */
	json_t *obj = sc_e2e_get(&e, "same2");
	assert_non_null(obj);
	char local[2048];
	snprintf(local, sizeof(local), "%s/storage/%s", e.dir,
		 json_string_value(json_object_get(json_object_get(json_object_get(obj, "status"), "artifact"), "path")));
	json_decref(obj);
	struct stat st;
	assert_int_equal(stat(local, &st), 0);
	cf_kube_ref ref = {"source.toolkit.fluxcd.io/v1", "GitRepository", e.ns, "same2"};
	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	for (int i = 0; i < 100 && (obj = sc_e2e_get(&e, "same2")) != NULL; i++) {
		json_decref(obj);
		usleep(100000);
	}
	assert_null(sc_e2e_get(&e, "same2"));
	assert_int_not_equal(stat(local, &st), 0);
}

/* 1 when exactly one of the two storage servers answers; *which gets its index. */
typedef struct {
	int ports[2];
	int which;
} serving;

static int answers(int port)
{
	char *code = cft_sh_out("curl -s -o /dev/null -w '%%{http_code}' --max-time 1 http://127.0.0.1:%d/", port);
	int ok = code && strcmp(code, "200") == 0;
	free(code);
	return ok;
}

static int exactly_one(void *ctx)
{
	serving *s = ctx;
	int a = answers(s->ports[0]), b = answers(s->ports[1]);

	s->which = a ? 0 : 1;
	return a + b == 1;
}

static int only(void *ctx)
{
	serving *s = ctx;
	return answers(s->ports[s->which]);
}

static void test_leader_election(void **state)
{
	need_cluster();
	/* A shard of its own, so these replicas leave the other tests' objects alone. */
	const char *extra[] = {"--enable-leader-election", "--leader-election-lease-duration=4s",
			       "--leader-election-renew-deadline=3s", "--leader-election-retry-period=500ms",
			       "--watch-label-selector=cflux-test-shard=leader", NULL};
	serving s = {{cft_free_port(), cft_free_port()}, -1};
	pid_t pids[2];

	pids[0] = sc_e2e_spawn(&e, "le0", s.ports[0], extra);
	pids[1] = sc_e2e_spawn(&e, "le1", s.ports[1], extra);
	assert_true(pids[0] > 0 && pids[1] > 0);
	/* Only the leader serves artifacts. */
	assert_true(cft_wait(exactly_one, &s, 30000));
	sleep(2);
	assert_true(exactly_one(&s));
	int leader = s.which;

	/* The leader dies without releasing its Lease: the other takes over within the lease. */
	long long t0 = cft_now_ms();
	cft_kill9(pids[leader]);
	s.which = 1 - leader;
	assert_true(cft_wait(only, &s, 15000));
	long long took = cft_now_ms() - t0;
	fprintf(stderr, "takeover after the leader was killed: %lld ms\n", took);
	assert_true(took < 4000 + 3000);
	/* The new leader shuts down cleanly: exit 0 and its Lease released. */
	sleep(1);
	assert_int_equal(cft_stop(pids[1 - leader], 10000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_branch_over_http),
		cmocka_unit_test(test_new_commit_new_artifact),
		cmocka_unit_test(test_tag_semver_commit),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_failures_are_conditions),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_late_subscriber),
		cmocka_unit_test(test_deterministic_and_ignore),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_storage_server_refuses_traversal),
		cmocka_unit_test(test_health_and_delete),
		cmocka_unit_test(test_leader_election),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
