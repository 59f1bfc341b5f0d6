/*
 * source-controller end to end: real kube-apiserver, real git servers (HTTP, basic auth, HTTPS
 * with a private CA, SSH with known_hosts), the controller binary, and a bus subscriber.
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

#include "cf/artifact.h"
#include "cf/error.h"
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
		cmocka_unit_test(test_failures_are_conditions),
		cmocka_unit_test(test_deterministic_and_ignore),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_storage_server_refuses_traversal),
		cmocka_unit_test(test_health_and_delete),
		cmocka_unit_test(test_leader_election),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
