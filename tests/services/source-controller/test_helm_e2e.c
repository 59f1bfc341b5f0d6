/*
 * HelmRepository and HelmChart end to end: real kube-apiserver, a Helm HTTP repository served by
 * lighttpd with charts packaged and indexed by the real helm CLI (basic auth, redirect, an HTTPS
 * front with a private CA, broken repositories), a git server for charts in a GitRepository, the
 * controller binary and a bus subscriber. The real helm reads back what the controller stored.
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
#define API "source.toolkit.fluxcd.io/v1"
#define INDEX_LIMIT 1048576
#define HELMREPO "{\"apiVersion\":\"" API "\",\"kind\":\"HelmRepository\"," \
		 "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"interval\":\"10m\",\"url\":\"%s\"%s}}"
#define HELMCHART "{\"apiVersion\":\"" API "\",\"kind\":\"HelmChart\"," \
		  "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"interval\":\"10m\",\"chart\":\"%s\"," \
		  "\"sourceRef\":{\"kind\":\"%s\",\"name\":\"%s\"}%s}}"

static sc_e2e e;
static char helm_dir[1200];
static char helm_bin[1024];

/* ---- helpers ---- */

static const char *henv(const char *key)
{
	const char *v = getenv(key);
	return v ? v : "";
}

static void load_helm_env(void)
{
	char path[1300];

	snprintf(path, sizeof(path), "%s/env", helm_dir);
	cft_load_env(path);
}

/* Replaces the default controller with one whose index limit is small enough to test. */
static int start_controller(void)
{
	static char lim[64];
	static const char *extra[] = {lim, NULL};

	if (e.controller > 0)
		cft_stop(e.controller, 10000);
	snprintf(lim, sizeof(lim), "--helm-index-max-size=%d", INDEX_LIMIT);
	e.extra_flags = extra;
	return sc_e2e_start_controller(&e);
}

static int setup(void **state)
{
	if (!getenv("CF_KUBECONFIG"))
		return 0;
	snprintf(helm_bin, sizeof(helm_bin), "%s/.cache/cflux/bin/helm", getenv("HOME"));
	if (sc_e2e_up(&e) < 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		return -1;
	}
	snprintf(helm_dir, sizeof(helm_dir), "%s/helm", e.dir);
	if (cft_sh("HELM='%s' '%s/tests/services/source-controller/helm-server.sh' '%s' start >/dev/null",
		   helm_bin, CF_SOURCE_DIR, helm_dir) != 0)
		return -1;
	load_helm_env();
	if (cft_sh("kubectl --kubeconfig '%s' wait --for condition=established --timeout=60s"
		   " crd/helmrepositories.source.toolkit.fluxcd.io crd/helmcharts.source.toolkit.fluxcd.io >/dev/null",
		   getenv("CF_KUBECONFIG")) != 0)
		return -1;
	return start_controller();
}

static int teardown(void **state)
{
	if (e.dir && getenv("CF_E2E_SHOW_LOG"))
		cft_sh("tail -80 '%s/source-controller.log' >&2", e.dir);
	if (*helm_dir)
		cft_sh("'%s/tests/services/source-controller/helm-server.sh' '%s' stop >/dev/null 2>&1", CF_SOURCE_DIR,
		       helm_dir);
	sc_e2e_down(&e);
	return 0;
}

static void need_cluster(void)
{
	if (!getenv("CF_KUBECONFIG"))
		skip();
}

static json_t *get(const char *kind, const char *name)
{
	cf_kube_ref ref = {API, kind, e.ns, name};
	char *body = NULL;
	json_t *obj;

	if (cf_kube_get(e.kube, &body, &ref) < 0)
		return NULL;
	obj = json_loads(body, 0, NULL);
	free(body);
	return obj;
}

static const char *str(const json_t *obj, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(obj, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_string_value(v);
}

/* Waits for Ready=status about the current generation (and settled, for True). */
static json_t *wait_ready(const char *kind, const char *name, const char *status, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;

	while (cft_now_ms() < end) {
		json_t *obj = get(kind, name);
		json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions"), *c;
		json_int_t gen = json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
		json_int_t seen = -1;
		const char *st = NULL;
		size_t i;
		json_array_foreach(conds, i, c) {
			if (strcmp(json_string_value(json_object_get(c, "type")), "Ready") == 0) {
				st = json_string_value(json_object_get(c, "status"));
				seen = json_integer_value(json_object_get(c, "observedGeneration"));
			}
		}
		int settled = strcmp(status, "False") == 0 || !sc_e2e_cond(obj, "Reconciling", "status");
		if (st && strcmp(st, status) == 0 && seen == gen && settled)
			return obj;
		json_decref(obj);
		usleep(100000);
	}
	json_t *obj = get(kind, name);
	char *dump = json_dumps(json_object_get(obj, "status"), JSON_INDENT(1));
	fprintf(stderr, "%s %s never became Ready=%s; status: %s\n", kind, name, status, dump ? dump : "-");
	free(dump);
	json_decref(obj);
	return NULL;
}

/* Waits until the object's artifact revision is rev. */
static json_t *wait_revision(const char *kind, const char *name, const char *rev, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;

	while (cft_now_ms() < end) {
		json_t *obj = get(kind, name);
		const char *r = str(obj, "status", "artifact", "revision");
		if (r && strcmp(r, rev) == 0)
			return obj;
		json_decref(obj);
		usleep(100000);
	}
	return NULL;
}

static int request(const char *kind, const char *name)
{
	cf_kube_ref ref = {API, kind, e.ns, name};
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"%lld\"}}}", cft_now_ms());
	return cf_kube_patch(e.kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
}

/* Downloads obj's artifact (checking its digest) to a new file; returns its path. */
static char *fetch(const json_t *obj)
{
	const char *url = str(obj, "status", "artifact", "url"), *digest = str(obj, "status", "artifact", "digest");
	char *path = NULL;

	assert_non_null(url);
	assert_non_null(digest);
	assert_true(asprintf(&path, "%s/fetched-%lld", e.dir, cft_now_ms()) > 0);
	assert_int_equal(cf_artifact_fetch_file(path, url, digest, NULL), 0);
	return path;
}

/* sha256:<hex> of a file. */
static void digest_of(char *out, const char *path)
{
	assert_int_equal(cf_artifact_digest_file(out, NULL, path), 0);
}

/* Ready=False with reason, message containing part, no artifact and nothing in storage. */
static void expect_failure(const char *kind, const char *name, const char *reason, const char *part)
{
	long long end = cft_now_ms() + TIMEOUT;
	json_t *obj = NULL;
	const char *msg;
	char dir[1400];
	struct stat st;

	/* A chart first waits for its source (NoSourceArtifact): wait for the failure under test. */
	while (cft_now_ms() < end) {
		json_decref(obj);
		obj = wait_ready(kind, name, "False", TIMEOUT);
		assert_non_null(obj);
		if (strcmp(sc_e2e_cond(obj, "Ready", "reason"), reason) == 0)
			break;
		usleep(200000);
	}
	assert_string_equal(sc_e2e_cond(obj, "Ready", "reason"), reason);
	msg = sc_e2e_cond(obj, "Ready", "message");
	if (!msg || !strstr(msg, part))
		fail_msg("%s %s: message '%s' lacks '%s'", kind, name, msg ? msg : "", part);
	assert_null(json_object_get(json_object_get(obj, "status"), "artifact"));
	snprintf(dir, sizeof(dir), "%s/storage/%s/%s/%s", e.dir,
		 strcmp(kind, "HelmChart") == 0 ? "helmchart" : "helmrepository", e.ns, name);
	assert_true(stat(dir, &st) < 0 || cft_sh("[ -z \"$(ls -A '%s')\" ]", dir) == 0);
	json_decref(obj);
}

static char *served(const char *rel)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", henv("HELM_WWW"), rel) > 0);
	return p;
}

/* ---- tests ---- */

/* The repository index stored as Flux stores it, charts resolved as helm resolves them. */
static void test_repository_and_versions(void **state)
{
	char url[600], want[CF_ARTIFACT_DIGEST_MAX], path[1400], *index = served("charts/index.yaml");
	need_cluster();
	snprintf(url, sizeof(url), "%s/charts", henv("HELM_HTTP_URL"));
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "repo", url, ""), 0);
	json_t *repo = wait_ready("HelmRepository", "repo", "True", TIMEOUT);
	assert_non_null(repo);
	digest_of(want, index);
	const char *rev = str(repo, "status", "artifact", "revision");
	assert_string_equal(rev, want);
	assert_string_equal(str(repo, "status", "artifact", "digest"), want);
	snprintf(path, sizeof(path), "helmrepository/%s/repo/index-%s.yaml", e.ns, want + 7);
	assert_string_equal(str(repo, "status", "artifact", "path"), path);
	assert_non_null(strstr(str(repo, "status", "url", NULL), "/helmrepository/"));
	assert_int_equal(cft_sh("curl -sf '%s' | cmp - '%s'", str(repo, "status", "url", NULL), index), 0);
	char *stored = fetch(repo);
	assert_int_equal(cft_sh("cmp '%s' '%s'", stored, index), 0);
	char msg[300];
	snprintf(msg, sizeof(msg), "stored artifact: revision '%s'", want);
	assert_string_equal(sc_e2e_cond(repo, "Ready", "message"), msg);
	cf_bus_msg *m = sc_e2e_wait_bus(&e, "repo", want, TIMEOUT);
	assert_non_null(m);
	assert_string_equal(m->body.artifact_ready.kind, "HelmRepository");
	cf_bus_msg_free(m);

	/* Constraint -> version, as fixtures in tests/unit/helmsource check against helm itself. */
	static const struct { const char *name, *spec, *want; } cases[] = {
		{"c-default", "", "1.1.0"},
		{"c-range", ",\"version\":\">=1.0.0 <1.1.0\"", "1.0.0"},
		{"c-pre", ",\"version\":\">=1.2.0-0\"", "2.0.0-beta.1"},
		{"c-exact", ",\"version\":\"1.2.0-rc.1\"", "1.2.0-rc.1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(sc_e2e_create(&e, HELMCHART, cases[i].name, "app", "HelmRepository", "repo",
					       cases[i].spec), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-none", "app", "HelmRepository", "repo",
				       ",\"version\":\"5.x\""), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *c = wait_ready("HelmChart", cases[i].name, "True", TIMEOUT);
		char file[300], tgz[200];
		assert_non_null(c);
		assert_string_equal(str(c, "status", "artifact", "revision"), cases[i].want);
		snprintf(file, sizeof(file), "helmchart/%s/%s/app-%s.tgz", e.ns, cases[i].name, cases[i].want);
		assert_string_equal(str(c, "status", "artifact", "path"), file);
		assert_string_equal(str(c, "status", "observedChartName", NULL), "app");
		assert_string_equal(str(c, "status", "observedSourceArtifactRevision", NULL), want);
		assert_string_equal(sc_e2e_cond(c, "ArtifactInStorage", "reason"), "ChartPullSucceeded");
		snprintf(msg, sizeof(msg), "pulled 'app' chart with version '%s'", cases[i].want);
		assert_string_equal(sc_e2e_cond(c, "Ready", "message"), msg);
		/* Pulled charts are stored byte for byte. */
		char *got = fetch(c);
		snprintf(tgz, sizeof(tgz), "charts/app-%s.tgz", cases[i].want);
		char *orig = served(tgz);
		assert_int_equal(cft_sh("cmp '%s' '%s'", got, orig), 0);
		free(orig);
		free(got);
		json_decref(c);
	}
	expect_failure("HelmChart", "c-none", "InvalidChartReference",
		       "no 'app' chart with version matching '5.x' found");

	/* A new release in the index: a new repository revision wakes the chart, which moves on. */
	assert_int_equal(cft_sh("HELM='%s' '%s/tests/services/source-controller/helm-server.sh' '%s' add app 1.3.0",
				helm_bin, CF_SOURCE_DIR, helm_dir), 0);
	digest_of(want, index);
	assert_int_equal(request("HelmRepository", "repo"), 0);
	json_decref(repo);
	repo = wait_revision("HelmRepository", "repo", want, TIMEOUT);
	assert_non_null(repo);
	json_t *c = wait_revision("HelmChart", "c-default", "1.3.0", TIMEOUT);
	assert_non_null(c);
	m = sc_e2e_wait_bus(&e, "c-default", "1.3.0", TIMEOUT);
	assert_non_null(m);
	assert_string_equal(m->body.artifact_ready.kind, "HelmChart");
	assert_string_equal(m->body.artifact_ready.digest, str(c, "status", "artifact", "digest"));
	cf_bus_msg_free(m);
	/* The range chart keeps its version. */
	json_t *r = get("HelmChart", "c-range");
	assert_string_equal(str(r, "status", "artifact", "revision"), "1.0.0");
	json_decref(r);
	json_decref(c);
	json_decref(repo);
	free(stored);
	free(index);
}

/* valuesFiles: packaged with merged values and "+<generation>", rendered by helm as with -f. */
static void test_values_files(void **state)
{
	char url[600];
	need_cluster();
	snprintf(url, sizeof(url), "%s/charts", henv("HELM_HTTP_URL"));
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "repo-v", url, ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-values", "app", "HelmRepository", "repo-v",
				       ",\"version\":\"1.0.0\",\"valuesFiles\":[\"values.yaml\",\"values-prod.yaml\"]"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-values-missing", "app", "HelmRepository", "repo-v",
				       ",\"version\":\"1.0.0\",\"valuesFiles\":[\"values.yaml\",\"nope.yaml\"]"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-values-ignore", "app", "HelmRepository", "repo-v",
				       ",\"version\":\"1.0.0\",\"ignoreMissingValuesFiles\":true,"
				       "\"valuesFiles\":[\"values-prod.yaml\",\"nope.yaml\"]"), 0);
	json_t *c = wait_ready("HelmChart", "c-values", "True", TIMEOUT);
	assert_non_null(c);
	assert_string_equal(str(c, "status", "artifact", "revision"), "1.0.0+1");
	assert_string_equal(sc_e2e_cond(c, "ArtifactInStorage", "reason"), "ChartPackageSucceeded");
	assert_int_equal(json_array_size(json_object_get(json_object_get(c, "status"), "observedValuesFiles")), 2);
	char *got = fetch(c);
	assert_int_equal(cft_sh("'%s' show chart '%s' | grep -qx 'version: 1.0.0+1'", helm_bin, got), 0);
	assert_int_equal(cft_sh("'%s' template rel '%s' | grep -q 'replicas: \"3\"'", helm_bin, got), 0);
	assert_int_equal(cft_sh("'%s' template rel '%s' | grep -q 'tag: \"1.0.0\"'", helm_bin, got), 0);
	free(got);
	json_decref(c);
	expect_failure("HelmChart", "c-values-missing", "ValuesFilesError", "no values file found at path 'nope.yaml'");
	c = wait_ready("HelmChart", "c-values-ignore", "True", TIMEOUT);
	assert_non_null(c);
	got = fetch(c);
	/* Only values-prod.yaml was merged: the chart's own values.yaml is replaced, as in Flux. */
	assert_int_equal(cft_sh("tar xzOf '%s' app/values.yaml | grep -qx 'replicas: 3'", got), 0);
	assert_int_equal(cft_sh("! tar xzOf '%s' app/values.yaml | grep -q image", got), 0);
	free(got);
	json_decref(c);
}

/* Basic auth for the index and the chart; passCredentials not needed on the same host. */
static void test_basic_auth(void **state)
{
	char url[600];
	need_cluster();
	snprintf(url, sizeof(url), "%s/private", henv("HELM_HTTP_URL"));
	assert_int_equal(sc_e2e_secret(&e, "helm-auth", "username", henv("HELM_USER"), "password", henv("HELM_PASS"),
				       NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "helm-wrong", "username", henv("HELM_USER"), "password", "nope", NULL), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "private", url, ",\"secretRef\":{\"name\":\"helm-auth\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "private-anon", url, ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "private-wrong", url, ",\"secretRef\":{\"name\":\"helm-wrong\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "private-nosecret", url, ",\"secretRef\":{\"name\":\"absent\"}"), 0);
	json_t *r = wait_ready("HelmRepository", "private", "True", TIMEOUT);
	assert_non_null(r);
	json_decref(r);
	expect_failure("HelmRepository", "private-anon", "Failed", "401");
	expect_failure("HelmRepository", "private-wrong", "Failed", "401");
	expect_failure("HelmRepository", "private-nosecret", "AuthenticationFailed", "secrets \"absent\" not found");
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-private", "app", "HelmRepository", "private", ""), 0);
	json_t *c = wait_ready("HelmChart", "c-private", "True", TIMEOUT);
	assert_non_null(c);
	/* test_repository_and_versions released 1.3.0 into /private/ too. */
	assert_string_equal(str(c, "status", "artifact", "revision"), "1.3.0");
	json_decref(c);

	/* Chart URLs on another host get the credentials only with passCredentials. */
	snprintf(url, sizeof(url), "%s/private-abs", henv("HELM_HTTP_URL"));
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "pabs", url, ",\"secretRef\":{\"name\":\"helm-auth\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "pabs-pass", url,
				       ",\"passCredentials\":true,\"secretRef\":{\"name\":\"helm-auth\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-pabs", "app", "HelmRepository", "pabs", ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-pabs-pass", "app", "HelmRepository", "pabs-pass", ""), 0);
	expect_failure("HelmChart", "c-pabs", "ChartPullError", "401");
	c = wait_ready("HelmChart", "c-pabs-pass", "True", TIMEOUT);
	assert_non_null(c);
	assert_string_equal(str(c, "status", "artifact", "revision"), "1.0.0");
	json_decref(c);
}

/* Deleting a chart removes its artifacts (the finalizer), then the object goes. */
static void test_delete(void **state)
{
	char dir[1400];
	struct stat st;
	cf_kube_ref ref = {API, "HelmChart", e.ns, "c-exact"};
	need_cluster();
	snprintf(dir, sizeof(dir), "%s/storage/helmchart/%s/c-exact", e.dir, e.ns);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	long long end = cft_now_ms() + TIMEOUT;
	json_t *obj = NULL;
	while (cft_now_ms() < end && (obj = get("HelmChart", "c-exact")) != NULL) {
		json_decref(obj);
		usleep(100000);
	}
	assert_null(obj);
	assert_true(stat(dir, &st) < 0);
}

/* HTTPS with a private CA and client certificates from certSecretRef; absolute chart URLs behind a redirect. */
static void test_tls_and_absolute_urls(void **state)
{
	char url[600], *ca = cft_read_file(henv("HELM_CA"), NULL);
	need_cluster();
	assert_non_null(ca);
	snprintf(url, sizeof(url), "%s/charts", henv("HELM_HTTPS_URL"));
	assert_int_equal(sc_e2e_secret(&e, "helm-ca", "ca.crt", ca, NULL), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "tls", url, ",\"certSecretRef\":{\"name\":\"helm-ca\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "tls-noca", url, ""), 0);
	json_t *r = wait_ready("HelmRepository", "tls", "True", TIMEOUT);
	assert_non_null(r);
	json_decref(r);
	expect_failure("HelmRepository", "tls-noca", "Failed", "failed to fetch Helm repository index");
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-tls", "app", "HelmRepository", "tls",
				       ",\"version\":\"1.0.0\""), 0);
	r = wait_ready("HelmChart", "c-tls", "True", TIMEOUT);
	assert_non_null(r);
	json_decref(r);

	/* A server that wants a client certificate: tls.crt and tls.key from certSecretRef. */
	char *crt = cft_read_file(henv("HELM_CLIENT_CRT"), NULL), *key = cft_read_file(henv("HELM_CLIENT_KEY"), NULL);
	assert_non_null(crt);
	assert_non_null(key);
	snprintf(url, sizeof(url), "%s/charts", henv("HELM_MTLS_URL"));
	assert_int_equal(sc_e2e_secret(&e, "helm-mtls", "ca.crt", ca, "tls.crt", crt, "tls.key", key, NULL), 0);
	assert_int_equal(sc_e2e_secret(&e, "helm-halfmtls", "ca.crt", ca, "tls.crt", crt, NULL), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "mtls", url, ",\"certSecretRef\":{\"name\":\"helm-mtls\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "mtls-nocert", url, ",\"certSecretRef\":{\"name\":\"helm-ca\"}"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "mtls-half", url, ",\"certSecretRef\":{\"name\":\"helm-halfmtls\"}"), 0);
	r = wait_ready("HelmRepository", "mtls", "True", TIMEOUT);
	assert_non_null(r);
	json_decref(r);
	expect_failure("HelmRepository", "mtls-nocert", "Failed", "failed to fetch Helm repository index");
	expect_failure("HelmRepository", "mtls-half", "AuthenticationFailed", "both 'tls.crt' and 'tls.key' are required");
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-mtls", "app", "HelmRepository", "mtls",
				       ",\"version\":\"1.0.0\""), 0);
	r = wait_ready("HelmChart", "c-mtls", "True", TIMEOUT);
	assert_non_null(r);
	json_decref(r);
	free(crt);
	free(key);

	snprintf(url, sizeof(url), "%s/abs", henv("HELM_HTTP_URL"));
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "abs", url, ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-abs", "app", "HelmRepository", "abs", ""), 0);
	r = wait_ready("HelmChart", "c-abs", "True", TIMEOUT);
	assert_non_null(r);
	assert_string_equal(str(r, "status", "artifact", "revision"), "1.1.0");
	char *got = fetch(r), *orig = served("charts/app-1.1.0.tgz");
	assert_int_equal(cft_sh("cmp '%s' '%s'", got, orig), 0);
	free(got);
	free(orig);
	json_decref(r);
	free(ca);
}

/* Hostile or broken input: each a clear condition, nothing stored. */
static void test_bad_input(void **state)
{
	char url[600];
	const char *base = henv("HELM_HTTP_URL");
	need_cluster();
	static const char *const repos[] = {"notyaml", "big", "evil", "missing", "mismatch"};
	for (size_t i = 0; i < sizeof(repos) / sizeof(*repos); i++) {
		snprintf(url, sizeof(url), "%s/%s", base, repos[i]);
		assert_int_equal(sc_e2e_create(&e, HELMREPO, repos[i], url, ""), 0);
	}
	assert_int_equal(sc_e2e_create(&e, HELMREPO, "oci", "oci://127.0.0.1:1/charts", ",\"type\":\"oci\""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-evil", "evil", "HelmRepository", "evil", ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-missing", "app", "HelmRepository", "missing", ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-mismatch", "app", "HelmRepository", "mismatch", ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "c-oci", "app", "HelmRepository", "oci", ""), 0);

	expect_failure("HelmRepository", "notyaml", "IndexationFailed", "failed to load Helm repository from index YAML");
	expect_failure("HelmRepository", "big", "Failed", "exceeds the maximum size limit of 1048576 bytes");
	expect_failure("HelmRepository", "oci", "Unsupported", "not supported yet");
	json_t *o = get("HelmRepository", "oci");
	assert_string_equal(sc_e2e_cond(o, "Stalled", "status"), "True");
	json_decref(o);
	expect_failure("HelmChart", "c-evil", "ChartPullError", "unsafe");
	assert_int_equal(cft_sh("! find '%s' -name escaped.txt | grep -q .", e.dir), 0);
	expect_failure("HelmChart", "c-missing", "ChartPullError", "404");
	expect_failure("HelmChart", "c-mismatch", "ChartPullError", "digest");
	expect_failure("HelmChart", "c-oci", "Unsupported", "not supported yet");
}

/* A chart directory in a GitRepository: packaged as helm packages it, read back by helm. */
static void test_chart_from_git(void **state)
{
	const char *repos = sc_e2e_env("CF_GIT_REPOS");
	char *work = cft_tmpdir("cflux-helmgit"), url[600], *sha;
	need_cluster();
	assert_int_equal(cft_sh(
		"set -e; cd '%s'; mkdir -p src/charts/mychart/templates src/charts/mychart/docs dep/templates\n"
		"printf 'apiVersion: v2\\nname: dep\\nversion: 0.1.0\\n' > dep/Chart.yaml\n"
		"printf 'msg: from-dep\\n' > dep/values.yaml\n"
		"printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: dep-cm\\ndata:\\n  msg: {{ .Values.msg }}\\n' > dep/templates/cm.yaml\n"
		"mkdir -p src/charts/mychart/charts && '%s' package dep -d src/charts/mychart/charts >/dev/null\n"
		"printf 'apiVersion: v2\\nname: mychart\\nversion: 1.2.3\\ndependencies:\\n- name: dep\\n  version: 0.1.0\\n' > src/charts/mychart/Chart.yaml\n"
		"printf 'a: 1\\n' > src/charts/mychart/values.yaml\n"
		"printf 'a: 2\\n' > src/prod-values.yaml\n"
		"printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: main\\ndata:\\n  a: \"{{ .Values.a }}\"\\n' > src/charts/mychart/templates/cm.yaml\n"
		"echo readme > src/charts/mychart/README.md; echo n > src/charts/mychart/docs/notes.txt\n"
		"printf '*.md\\ndocs/\\n' > src/charts/mychart/.helmignore\n"
		"git init -q --bare '%s/helmcharts.git'\n"
		"cd src && git init -q -b main && git add -A && git -c user.name=t -c user.email=t@e commit -qm chart\n"
		"git push -q '%s/helmcharts.git' main\n",
		work, helm_bin, repos, repos), 0);
	snprintf(url, sizeof(url), "%s/helmcharts.git", sc_e2e_env("CF_GIT_HTTP_URL"));
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" API "\",\"kind\":\"GitRepository\","
				       "\"metadata\":{\"name\":\"charts\"},\"spec\":{\"interval\":\"10m\",\"url\":\"%s\","
				       "\"ref\":{\"branch\":\"main\"}}}", url), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "g-chart", "charts/mychart", "GitRepository", "charts", ""), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "g-rev", "charts/mychart", "GitRepository", "charts",
				       ",\"reconcileStrategy\":\"Revision\",\"valuesFiles\":[\"charts/mychart/values.yaml\",\"prod-values.yaml\"]"), 0);
	assert_int_equal(sc_e2e_create(&e, HELMCHART, "g-bad", "../escape", "GitRepository", "charts", ""), 0);
	sha = cft_sh_out("git --git-dir='%s/helmcharts.git' rev-parse main", repos);
	assert_non_null(sha);

	json_t *c = wait_ready("HelmChart", "g-chart", "True", TIMEOUT);
	assert_non_null(c);
	assert_string_equal(str(c, "status", "artifact", "revision"), "1.2.3");
	assert_string_equal(sc_e2e_cond(c, "ArtifactInStorage", "reason"), "ChartPackageSucceeded");
	assert_string_equal(str(c, "status", "observedChartName", NULL), "mychart");
	char *got = fetch(c);
	assert_int_equal(cft_sh("'%s' show chart '%s' | grep -qx 'name: mychart'", helm_bin, got), 0);
	assert_int_equal(cft_sh("'%s' template rel '%s' > '%s.out' && grep -q from-dep '%s.out' && grep -q 'a: \"1\"' '%s.out'",
				helm_bin, got, got, got, got), 0);
	assert_int_equal(cft_sh("tar tzf '%s' | grep -q '^mychart/charts/dep-0.1.0.tgz$'", got), 0);
	assert_int_equal(cft_sh("! tar tzf '%s' | grep -qE 'README.md|docs/'", got), 0);
	/* The same rendering as helm's own package of the directory. */
	assert_int_equal(cft_sh("cd '%s' && '%s' package src/charts/mychart -d theirs >/dev/null &&"
				" '%s' template rel theirs/mychart-1.2.3.tgz | cmp - '%s.out'", work, helm_bin, helm_bin, got), 0);
	free(got);
	json_decref(c);

	c = wait_ready("HelmChart", "g-rev", "True", TIMEOUT);
	assert_non_null(c);
	char want[64];
	snprintf(want, sizeof(want), "1.2.3+%.12s.1", sha);
	assert_string_equal(str(c, "status", "artifact", "revision"), want);
	got = fetch(c);
	assert_int_equal(cft_sh("'%s' template rel '%s' | grep -q 'a: \"2\"'", helm_bin, got), 0);
	free(got);
	json_decref(c);
	expect_failure("HelmChart", "g-bad", "InvalidChartReference", "stay inside the source");
	free(sha);
	cft_sh("rm -rf '%s'", work);
	free(work);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repository_and_versions),
		cmocka_unit_test(test_values_files),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_tls_and_absolute_urls),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_chart_from_git),
		cmocka_unit_test(test_delete),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
