/*
 * The cflux command line against a real kube-apiserver (CF_KUBECONFIG; skipped when unset).
 * No controller runs, so the test plays the controller: it writes status through the status
 * subresource while cflux waits, as Flux's own CLI tests do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "run.h"

#define SOURCE_V1 "source.toolkit.fluxcd.io/v1"
#define KS_V1 "kustomize.toolkit.fluxcd.io/v1"
#define WAIT_MS 20000

static const char *kubeconfig;
static cf_kube *kc;
static char ns[64];
static char ns2[64];

/* ---- running cflux ------------------------------------------------------------------------- */

/* argv for cflux: --kubeconfig K -n NS, then the words of line (split at spaces). */
static void build_argv(const char **argv, char *copy, const char *namespace_)
{
	size_t n = 0;
	char *save = NULL;

	argv[n++] = "--kubeconfig";
	argv[n++] = kubeconfig;
	argv[n++] = "-n";
	argv[n++] = namespace_;
	for (char *t = strtok_r(copy, " ", &save); t && n < 60; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
}

static void cli(run_result *r, const char *line)
{
	const char *argv[64];
	char *copy = strdup(line);

	build_argv(argv, copy, ns);
	assert_int_equal(run_cflux(r, argv), 0);
	free(copy);
}

static void cli_start(run_proc *p, const char *line)
{
	const char *argv[64];
	char *copy = strdup(line);

	build_argv(argv, copy, ns);
	assert_int_equal(run_start(p, argv), 0);
	free(copy);
}

static void expect_exit(run_result *r, int code)
{
	if (r->code != code)
		fail_msg("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r->code, code, r->out, r->err);
}

static void expect_in(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" not in:\n%s", needle, haystack);
}

/* ---- the cluster side ---------------------------------------------------------------------- */

static json_t *get_obj(const char *api, const char *kind, const char *name)
{
	cf_kube_ref ref = { api, kind, ns, name };
	char *text = NULL;
	json_t *obj;

	if (cf_kube_get(kc, &text, &ref) < 0)
		return NULL;
	obj = json_loads(text, 0, NULL);
	free(text);
	return obj;
}

static void create_obj(const char *json)
{
	int err = cf_kube_create(kc, NULL, NULL, json, NULL);
	if (err < 0)
		fail_msg("create: %s: %s", cf_error_name(err), cf_error_last());
}

static void patch_status(const char *api, const char *kind, const char *name, json_t *status)
{
	cf_kube_ref ref = { api, kind, ns, name };
	json_t *patch = json_pack("{s:o}", "status", status);
	char *body = json_dumps(patch, JSON_COMPACT);
	int err = cf_kube_patch_status(kc, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);

	if (err < 0)
		fail_msg("patch status: %s: %s", cf_error_name(err), cf_error_last());
	free(body);
	json_decref(patch);
}

static json_t *condition(const char *type, const char *status, const char *message, json_int_t gen)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "type", type, "status", status, "reason",
	                 strcmp(status, "True") == 0 ? "Succeeded" : "Failed", "message", message,
	                 "lastTransitionTime", "2026-01-01T00:00:00Z", "observedGeneration", gen);
}

/*
 * Plays the controller for one object: waits (up to WAIT_MS) until it exists and, when
 * need_request, carries a reconcile request; then writes observedGeneration, the handled request,
 * the revision and a Ready condition.
 */
/* Waits until the CLI's apply has reached the object, so the status written next is for it. */
static void wait_tag(const char *api, const char *kind, const char *name, const char *tag)
{
	long long start = time(NULL);

	for (;;) {
		json_t *obj = get_obj(api, kind, name);
		json_t *ref = json_object_get(json_object_get(obj, "spec"), "ref");
		const char *have = json_string_value(json_object_get(ref, "tag"));
		int done = have && strcmp(have, tag) == 0;

		json_decref(obj);
		if (done)
			return;
		if (time(NULL) - start > WAIT_MS / 1000)
			fail_msg("%s/%s never got ref.tag %s", kind, name, tag);
		usleep(50000);
	}
}

static void controller_step(const char *api, const char *kind, const char *name, int need_request,
                            const char *ready, const char *message, const char *revision)
{
	long long start = time(NULL);
	json_t *obj = NULL;
	const char *requested = NULL;

	for (;;) {
		json_decref(obj);
		obj = get_obj(api, kind, name);
		json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
		json_t *req = json_object_get(ann, "reconcile.fluxcd.io/requestedAt");
		requested = json_string_value(req);
		/* A request counts once the status has not handled it yet (an older one may linger). */
		const char *handled = json_string_value(json_object_get(json_object_get(obj, "status"),
		                                                        "lastHandledReconcileAt"));
		if (obj && (!need_request || (requested && (!handled || strcmp(requested, handled) != 0))))
			break;
		if (time(NULL) - start > WAIT_MS / 1000)
			fail_msg("%s/%s never appeared (or was never annotated)", kind, name);
		usleep(50000);
	}
	json_int_t gen = json_integer_value(
		json_object_get(json_object_get(obj, "metadata"), "generation"));
	json_t *status = json_pack("{s:I,s:[o]}", "observedGeneration", gen, "conditions",
	                           condition("Ready", ready, message, gen));
	if (strcmp(ready, "False") == 0)
		json_array_append_new(json_object_get(status, "conditions"),
		                      condition("Stalled", "True", message, gen));
	if (requested)
		json_object_set_new(status, "lastHandledReconcileAt", json_string(requested));
	if (revision && strcmp(kind, "HelmRelease") == 0)
		json_object_set_new(status, "history", json_pack(
			"[{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}]", "chartName", "podinfo",
			"chartVersion", revision, "configDigest", "sha256:00", "digest", "sha256:00",
			"firstDeployed", "2026-01-01T00:00:00Z", "lastDeployed", "2026-01-01T00:00:00Z",
			"name", name, "namespace", ns, "status", "deployed", "version", 1));
	else if (revision && strcmp(kind, "Kustomization") == 0)
		json_object_set_new(status, "lastAppliedRevision", json_string(revision));
	else if (revision)
		json_object_set_new(status, "artifact", json_pack(
			"{s:s,s:s,s:s,s:s,s:s}", "revision", revision, "path", "p", "url", "http://x/p",
			"digest", "sha256:00", "lastUpdateTime", "2026-01-01T00:00:00Z"));
	patch_status(api, kind, name, status);
	json_decref(obj);
}

static void make_git_repository(const char *name, int suspend)
{
	char body[1024];

	snprintf(body, sizeof(body),
	         "{\"apiVersion\":\"" SOURCE_V1 "\",\"kind\":\"GitRepository\",\"metadata\":{\"name\":"
	         "\"%s\",\"namespace\":\"%s\"},\"spec\":{\"url\":\"https://example.com/r\","
	         "\"interval\":\"1m\",\"ref\":{\"branch\":\"main\"},\"suspend\":%s}}",
	         name, ns, suspend ? "true" : "false");
	create_obj(body);
}

static void make_kustomization(const char *name, const char *source)
{
	char body[1024];

	snprintf(body, sizeof(body),
	         "{\"apiVersion\":\"" KS_V1 "\",\"kind\":\"Kustomization\",\"metadata\":{\"name\":"
	         "\"%s\",\"namespace\":\"%s\"},\"spec\":{\"interval\":\"5m\",\"path\":\"./\","
	         "\"prune\":true,\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"%s\"}}}",
	         name, ns, source);
	create_obj(body);
}

/* ---- create -------------------------------------------------------------------------------- */

static void test_create_source_git(void **state)
{
	char *golden = run_read_file("testdata/cluster/create-source-git-success.txt");
	run_proc p;
	run_result r;

	assert_non_null(golden);
	cli_start(&p, "create source git podinfo --url=https://github.com/stefanprodan/podinfo "
	              "--branch=master --timeout=30s");
	controller_step(SOURCE_V1, "GitRepository", "podinfo", 0, "True", "succeeded message", "v1");
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 0);
	assert_string_equal(r.err, golden);
	assert_string_equal(r.out, "");
	run_result_free(&r);
	free(golden);

	/* The stored object is the exported one, applied by field manager "cflux". */
	json_t *obj = get_obj(SOURCE_V1, "GitRepository", "podinfo");
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "spec"), "url")),
	                    "https://github.com/stefanprodan/podinfo");
	json_t *ref = json_object_get(json_object_get(obj, "spec"), "ref");
	assert_string_equal(json_string_value(json_object_get(ref, "branch")), "master");
	assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "spec"),
	                                                      "interval")), "1m0s");
	json_t *mf = json_object_get(json_object_get(obj, "metadata"), "managedFields"), *e;
	size_t i;
	int applied = 0;
	json_array_foreach(mf, i, e)
		applied |= strcmp(json_string_value(json_object_get(e, "manager")), "cflux") == 0 &&
		           strcmp(json_string_value(json_object_get(e, "operation")), "Apply") == 0;
	assert_true(applied);
	json_decref(obj);

	/* Applying again updates the object in place. */
	cli_start(&p, "create source git podinfo --url=https://github.com/stefanprodan/podinfo "
	              "--tag=6.0.0 --timeout=30s");
	wait_tag(SOURCE_V1, "GitRepository", "podinfo", "6.0.0");
	controller_step(SOURCE_V1, "GitRepository", "podinfo", 0, "True", "ok", "6.0.0@sha1:ab");
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 0);
	expect_in(r.err, "✔ GitRepository source updated\n");
	run_result_free(&r);
	obj = get_obj(SOURCE_V1, "GitRepository", "podinfo");
	ref = json_object_get(json_object_get(obj, "spec"), "ref");
	assert_string_equal(json_string_value(json_object_get(ref, "tag")), "6.0.0");
	assert_null(json_object_get(ref, "branch")); /* owned by cflux, dropped from the new apply */
	json_decref(obj);
}

static void test_create_failures(void **state)
{
	run_proc p;
	run_result r;

	/* The controller reports failure: flux prints the Ready message as the error. */
	cli_start(&p, "create source git broken --url=https://example.com/r --branch=main "
	              "--timeout=30s");
	controller_step(SOURCE_V1, "GitRepository", "broken", 0, "False", "failed message", NULL);
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 1);
	expect_in(r.err, "✗ failed message\n");
	run_result_free(&r);

	/* Nothing reconciles: the object is applied and the wait ends at --timeout. */
	cli(&r, "create kustomization lonely --source=GitRepository/podinfo --path=./deploy "
	        "--prune --depends-on=infra --target-namespace=apps --timeout=2s");
	expect_exit(&r, 1);
	expect_in(r.err, "✔ Kustomization created\n");
	expect_in(r.err, "✗ timed out waiting for Kustomization/");
	run_result_free(&r);
	json_t *obj = get_obj(KS_V1, "Kustomization", "lonely");
	json_t *spec = json_object_get(obj, "spec");
	assert_string_equal(json_string_value(json_object_get(spec, "path")), "./deploy");
	assert_true(json_is_true(json_object_get(spec, "prune")));
	assert_string_equal(json_string_value(json_object_get(spec, "targetNamespace")), "apps");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(spec, "dependsOn"), 0), "name")), "infra");
	json_decref(obj);
}

static void test_create_config(void **state)
{
	run_proc p;
	run_result r;

	cli_start(&p, "create config fleet --url=https://example.com/fleet --branch=main "
	              "--kustomization name=infra,path=./infra,prune=true "
	              "--kustomization name=apps,path=./apps,depends-on=infra --timeout=30s");
	controller_step(SOURCE_V1, "GitRepository", "fleet", 0, "True", "ok", "main@sha1:aa");
	controller_step(KS_V1, "Kustomization", "fleet-infra", 0, "True", "ok", "main@sha1:aa");
	controller_step(KS_V1, "Kustomization", "fleet-apps", 0, "True", "ok", "main@sha1:aa");
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 0);
	expect_in(r.err, "✔ Kustomization fleet-apps is ready\n");
	run_result_free(&r);
	json_t *apps = get_obj(KS_V1, "Kustomization", "fleet-apps");
	json_t *spec = json_object_get(apps, "spec");
	assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "sourceRef"),
	                                                      "name")), "fleet");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(spec, "dependsOn"), 0), "name")), "fleet-infra");
	json_decref(apps);
}

/* ---- get ----------------------------------------------------------------------------------- */

static void test_get(void **state)
{
	char want[2048];
	run_result r;

	char other[512];
	snprintf(other, sizeof(other), "{\"apiVersion\":\"" SOURCE_V1 "\",\"kind\":\"GitRepository\","
	         "\"metadata\":{\"name\":\"elsewhere\",\"namespace\":\"%s\"},\"spec\":{\"url\":"
	         "\"https://example.com/r\",\"interval\":\"1m\"}}", ns2);
	create_obj(other);
	make_git_repository("alpha", 0);
	make_git_repository("beta-long-name", 1);
	controller_step(SOURCE_V1, "GitRepository", "alpha", 0, "True", "stored artifact",
	                "main@sha1:0123456789abcdef0123456789abcdef01234567");
	controller_step(SOURCE_V1, "GitRepository", "beta-long-name", 0, "False", "auth failed",
	                NULL);

	cli(&r, "get sources git alpha");
	expect_exit(&r, 0);
	assert_string_equal(r.out,
		"NAME \tREVISION          \tSUSPENDED\tREADY\tMESSAGE         \n"
		"alpha\tmain@sha1:01234567\tFalse    \tTrue \tstored artifact\t\n");
	run_result_free(&r);

	cli(&r, "get sources git beta-long-name --no-header");
	expect_exit(&r, 0);
	/* Without a header the columns are only as wide as the cells. */
	assert_string_equal(r.out, "beta-long-name\t\tTrue\tFalse\tauth failed\t\n");
	run_result_free(&r);

	cli(&r, "get sources git --status-selector ready=false");
	expect_exit(&r, 0);
	expect_in(r.out, "beta-long-name");
	assert_null(strstr(r.out, "alpha"));
	run_result_free(&r);

	/* -A adds the NAMESPACE column and sees other namespaces. */
	cli(&r, "get sources git -A");
	expect_exit(&r, 0);
	snprintf(want, sizeof(want), "NAMESPACE");
	assert_true(strncmp(r.out, want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "%s", ns);
	expect_in(r.out, want);
	/* Columns are padded to the widest cell, so look for the row by its parts. */
	const char *row = strstr(r.out, ns2);
	assert_non_null(row);
	const char *eol = strchr(row, '\n'), *hit = strstr(row, "\telsewhere");
	assert_true(hit && eol && hit < eol);
	run_result_free(&r);

	/* The same object list without -A stays in -n's namespace. */
	cli(&r, "get sources git");
	assert_null(strstr(r.out, "elsewhere"));
	run_result_free(&r);

	cli(&r, "get helmreleases");
	expect_exit(&r, 0);
	assert_string_equal(r.out, "");
	snprintf(want, sizeof(want), "✗ no HelmRelease objects found in \"%s\" namespace\n", ns);
	assert_string_equal(r.err, want);
	run_result_free(&r);

	cli(&r, "get sources git nope");
	expect_exit(&r, 0);
	snprintf(want, sizeof(want), "✗ GitRepository object 'nope' not found in \"%s\" namespace\n",
	         ns);
	assert_string_equal(r.err, want);
	run_result_free(&r);

	cli(&r, "get sources oci");
	expect_exit(&r, 0);
	snprintf(want, sizeof(want), "✗ no OCIRepository objects found in \"%s\" namespace\n", ns);
	assert_string_equal(r.err, want);
	run_result_free(&r);

	/* get all: one table per kind that has objects, names prefixed by the kind, sources first. */
	cli(&r, "get all");
	expect_exit(&r, 0);
	assert_true(strncmp(r.out, "NAME", 4) == 0);
	assert_null(strstr(r.out, "ocirepository/"));
	expect_in(r.out, "gitrepository/alpha");
	expect_in(r.out, "gitrepository/beta-long-name");
	run_result_free(&r);
}

/* ---- reconcile, suspend, resume ------------------------------------------------------------ */

static void test_reconcile(void **state)
{
	char want[512];
	run_proc p;
	run_result r;

	make_git_repository("rec", 0);
	cli_start(&p, "reconcile source git rec --timeout=30s");
	controller_step(SOURCE_V1, "GitRepository", "rec", 1, "True", "stored",
	                "main@sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 0);
	snprintf(want, sizeof(want),
	         "► annotating GitRepository rec in %s namespace\n"
	         "✔ GitRepository annotated\n"
	         "◎ waiting for GitRepository reconciliation\n"
	         "✔ fetched revision main@sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", ns);
	assert_string_equal(r.err, want);
	run_result_free(&r);

	/* The request is an RFC3339Nano UTC time, as flux writes it. */
	json_t *obj = get_obj(SOURCE_V1, "GitRepository", "rec");
	const char *at = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "annotations"),
		"reconcile.fluxcd.io/requestedAt"));
	assert_non_null(at);
	assert_true(strlen(at) >= 20 && at[4] == '-' && at[10] == 'T' && at[strlen(at) - 1] == 'Z');
	json_decref(obj);

	/* A failed reconciliation reports the Ready message. */
	cli_start(&p, "reconcile source git rec --timeout=30s");
	usleep(300000);
	controller_step(SOURCE_V1, "GitRepository", "rec", 1, "False", "clone failed", NULL);
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 1);
	expect_in(r.err, "✗ GitRepository reconciliation failed: 'clone failed'\n");
	run_result_free(&r);

	/* Nobody handles the request: the wait ends at --timeout. */
	cli(&r, "reconcile source git rec --timeout=1s");
	expect_exit(&r, 1);
	expect_in(r.err, "✗ timed out waiting for GitRepository/");
	run_result_free(&r);

	cli(&r, "reconcile source git missing --timeout=5s");
	expect_exit(&r, 1);
	expect_in(r.err, "✗ ");
	expect_in(r.err, "not found");
	run_result_free(&r);
}

static void test_reconcile_with_source(void **state)
{
	run_proc p;
	run_result r;

	make_git_repository("src", 0);
	make_kustomization("app", "src");
	cli_start(&p, "reconcile kustomization app --with-source --timeout=30s");
	controller_step(SOURCE_V1, "GitRepository", "src", 1, "True", "ok", "main@sha1:bb");
	controller_step(KS_V1, "Kustomization", "app", 1, "True", "Applied revision: main@sha1:bb",
	                "main@sha1:bb");
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 0);
	const char *git = strstr(r.err, "► annotating GitRepository src");
	const char *ks = strstr(r.err, "► annotating Kustomization app");
	assert_non_null(git);
	assert_non_null(ks);
	assert_true(git < ks);
	expect_in(r.err, "✔ applied revision main@sha1:bb\n");
	run_result_free(&r);

	cli(&r, "get kustomizations app");
	expect_exit(&r, 0);
	expect_in(r.out, "app \tmain@sha1:bb\tFalse    \tTrue \tApplied revision: main@sha1:bb\t\n");
	run_result_free(&r);
}

/* A HelmRelease's chain: its HelmRepository, the HelmChart made for it, then the release. */
static void test_reconcile_helmrelease_chain(void **state)
{
	char body[1024], chart[128], want[2048];
	run_proc p;
	run_result r;

	snprintf(body, sizeof(body), "{\"apiVersion\":\"" SOURCE_V1 "\",\"kind\":\"HelmRepository\","
	         "\"metadata\":{\"name\":\"charts\",\"namespace\":\"%s\"},\"spec\":{\"url\":"
	         "\"https://charts.example.com\",\"interval\":\"1m\"}}", ns);
	create_obj(body);
	snprintf(chart, sizeof(chart), "%s-web", ns);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"" SOURCE_V1 "\",\"kind\":\"HelmChart\","
	         "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},\"spec\":{\"chart\":"
	         "\"podinfo\",\"interval\":\"1m\",\"sourceRef\":{\"kind\":\"HelmRepository\","
	         "\"name\":\"charts\"}}}", chart, ns);
	create_obj(body);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"helm.toolkit.fluxcd.io/v2\",\"kind\":"
	         "\"HelmRelease\",\"metadata\":{\"name\":\"web\",\"namespace\":\"%s\"},\"spec\":"
	         "{\"interval\":\"5m\",\"chart\":{\"spec\":{\"chart\":\"podinfo\",\"sourceRef\":"
	         "{\"kind\":\"HelmRepository\",\"name\":\"charts\"}}}}}", ns);
	create_obj(body);

	cli_start(&p, "reconcile helmrelease web --with-source --force --timeout=30s");
	controller_step(SOURCE_V1, "HelmRepository", "charts", 1, "True", "ok", "sha256:0123456789ab");
	controller_step(SOURCE_V1, "HelmChart", chart, 1, "True", "ok", "6.6.0");
	controller_step("helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", 1, "True", "ok", "6.6.0");
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 0);
	snprintf(want, sizeof(want),
	         "► annotating HelmRepository charts in %s namespace\n"
	         "✔ HelmRepository annotated\n"
	         "◎ waiting for HelmRepository reconciliation\n"
	         "✔ fetched revision sha256:0123456789ab\n"
	         "► annotating HelmChart %s in %s namespace\n"
	         "✔ HelmChart annotated\n"
	         "◎ waiting for HelmChart reconciliation\n"
	         "✔ pulled 'podinfo' chart with version '6.6.0'\n"
	         "► annotating HelmRelease web in %s namespace\n"
	         "✔ HelmRelease annotated\n"
	         "◎ waiting for HelmRelease reconciliation\n"
	         "✔ applied revision 6.6.0\n", ns, chart, ns, ns);
	assert_string_equal(r.err, want);
	run_result_free(&r);

	/* --force asks helm-controller for an upgrade with the same request time. */
	json_t *hr = get_obj("helm.toolkit.fluxcd.io/v2", "HelmRelease", "web");
	json_t *ann = json_object_get(json_object_get(hr, "metadata"), "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, "reconcile.fluxcd.io/forceAt")),
	                    json_string_value(json_object_get(ann, "reconcile.fluxcd.io/requestedAt")));
	json_decref(hr);

	cli(&r, "get helmreleases");
	expect_exit(&r, 0);
	assert_string_equal(r.out, "NAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE \n"
	                           "web \t6.6.0   \tFalse    \tTrue \tok     \t\n");
	run_result_free(&r);
}

static void test_suspend_resume(void **state)
{
	char want[512];
	run_proc p;
	run_result r;

	make_git_repository("pausable", 0);
	make_kustomization("sus", "pausable");
	cli(&r, "suspend kustomization sus");
	expect_exit(&r, 0);
	snprintf(want, sizeof(want),
	         "► suspending kustomization sus in %s namespace\n✔ kustomization suspended\n", ns);
	assert_string_equal(r.err, want);
	run_result_free(&r);
	json_t *obj = get_obj(KS_V1, "Kustomization", "sus");
	assert_true(json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend")));
	json_decref(obj);

	cli(&r, "reconcile kustomization sus --timeout=5s");
	expect_exit(&r, 1);
	assert_string_equal(r.err, "✗ resource is suspended\n");
	run_result_free(&r);

	cli_start(&p, "resume kustomization sus --timeout=30s");
	controller_step(KS_V1, "Kustomization", "sus", 1, "True", "ok", "main@sha1:cc");
	assert_int_equal(run_wait(&p, &r), 0);
	expect_exit(&r, 0);
	snprintf(want, sizeof(want),
	         "► resuming kustomization sus in %s namespace\n✔ kustomization resumed\n"
	         "◎ waiting for Kustomization reconciliation\n✔ applied revision main@sha1:cc\n", ns);
	assert_string_equal(r.err, want);
	run_result_free(&r);
	obj = get_obj(KS_V1, "Kustomization", "sus");
	assert_false(json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend")));
	json_decref(obj);

	cli(&r, "suspend source git pausable");
	expect_exit(&r, 0);
	expect_in(r.err, "✔ source git suspended\n");
	run_result_free(&r);
	cli(&r, "get sources git pausable --no-header");
	expect_in(r.out, "pausable\t\tTrue\t");
	run_result_free(&r);
}

/* ---- tree and events ----------------------------------------------------------------------- */

static void set_inventory(const char *name, const char *const *ids)
{
	json_t *entries = json_array();

	for (; *ids; ids++)
		json_array_append_new(entries, json_pack("{s:s,s:s}", "id", *ids, "v", "v1"));
	patch_status(KS_V1, "Kustomization", name, json_pack("{s:{s:o}}", "inventory", "entries",
	                                                     entries));
}

static void test_tree(void **state)
{
	char id_child[256], id_deploy[256], id_svc[256], want[2048];
	run_result r;

	make_kustomization("root", "src");
	make_kustomization("child", "src");
	snprintf(id_child, sizeof(id_child), "%s_child_kustomize.toolkit.fluxcd.io_Kustomization",
	         ns);
	snprintf(id_deploy, sizeof(id_deploy), "%s_web_apps_Deployment", ns);
	snprintf(id_svc, sizeof(id_svc), "%s_web__Service", ns);
	const char *root_ids[] = { "_apps__Namespace", id_child, id_svc, NULL };
	const char *child_ids[] = { id_deploy, "_view_rbac.authorization.k8s.io_ClusterRole", NULL };
	set_inventory("root", root_ids);
	set_inventory("child", child_ids);

	cli(&r, "tree kustomization root");
	expect_exit(&r, 0);
	snprintf(want, sizeof(want),
	         "Kustomization/%s/root\n"
	         "├── Namespace/apps\n"
	         "├── Kustomization/%s/child\n"
	         "│   ├── Deployment/%s/web\n"
	         "│   └── ClusterRole/view\n"
	         "└── Service/%s/web\n", ns, ns, ns, ns);
	assert_string_equal(r.out, want);
	run_result_free(&r);

	/* An inventory that lists its own Kustomization is walked once, not forever. */
	char id_loop[256];
	make_kustomization("loop", "src");
	snprintf(id_loop, sizeof(id_loop), "%s_loop_kustomize.toolkit.fluxcd.io_Kustomization", ns);
	const char *loop_ids[] = { id_loop, id_loop, NULL };
	set_inventory("loop", loop_ids);
	cli(&r, "tree kustomization loop");
	expect_exit(&r, 0);
	snprintf(want, sizeof(want), "Kustomization/%s/loop\n├── Kustomization/%s/loop\n"
	         "└── Kustomization/%s/loop\n", ns, ns, ns);
	assert_string_equal(r.out, want);
	run_result_free(&r);

	cli(&r, "tree kustomization nothing-here");
	expect_exit(&r, 1);
	expect_in(r.err, "not found");
	run_result_free(&r);
}

static void record(const char *api, const char *kind, const char *name, const char *type,
                   const char *reason, const char *message)
{
	cf_kube_event ev = { .api_version = api, .kind = kind, .namespace_ = ns, .name = name,
		             .type = type, .reason = reason, .message = message,
		             .reporting_controller = "kustomize-controller" };
	int err = cf_kube_event_record(kc, &ev);

	if (err < 0)
		fail_msg("event: %s: %s", cf_error_name(err), cf_error_last());
}

static void test_events(void **state)
{
	run_result r;

	make_kustomization("evented", "evsrc");
	record(KS_V1, "Kustomization", "evented", "Normal", "ReconciliationSucceeded",
	       "Reconciliation finished in 1s");
	record(KS_V1, "Kustomization", "other", "Warning", "BuildFailed",
	       "kustomize build failed\nline two");
	record(SOURCE_V1, "GitRepository", "evsrc", "Normal", "NewArtifact", "stored artifact");
	record("v1", "ConfigMap", "not-flux", "Normal", "Whatever", "not a Flux object");

	/* --for Kind/name: the object's Events and its source's, nothing else. */
	cli(&r, "events --for Kustomization/evented");
	expect_exit(&r, 0);
	static const char head[] = "LAST SEEN\tTYPE  \tREASON                 \tOBJECT";
	if (strncmp(r.out, head, strlen(head)) != 0)
		fail_msg("header:\n%s", r.out);
	expect_in(r.out, "\tNormal\tReconciliationSucceeded\tKustomization/evented\t"
	                 "Reconciliation finished in 1s\t\n");
	expect_in(r.out, "\tNormal\tNewArtifact            \tGitRepository/evsrc  \t");
	assert_null(strstr(r.out, "other"));
	run_result_free(&r);

	/* All Flux Events of the namespace; a message with a newline takes two lines. */
	cli(&r, "events");
	expect_exit(&r, 0);
	expect_in(r.out, "Kustomization/other  \tkustomize build failed       \t\n");
	expect_in(r.out, "                     \tline two                     \t\n");
	assert_null(strstr(r.out, "ConfigMap"));
	run_result_free(&r);

	cli(&r, "events --types=warning");
	expect_exit(&r, 0);
	expect_in(r.out, "Kustomization/other");
	assert_null(strstr(r.out, "Kustomization/evented"));
	run_result_free(&r);

	cli(&r, "events --for Kustomization");
	expect_exit(&r, 0);
	expect_in(r.out, "Kustomization/other");
	expect_in(r.out, "Kustomization/evented");
	assert_null(strstr(r.out, "GitRepository/evsrc"));
	run_result_free(&r);

	cli(&r, "events --for Pod/x");
	expect_exit(&r, 1);
	expect_in(r.err, "'Pod' is not a recognized Flux kind");
	run_result_free(&r);
	cli(&r, "events --types=info");
	expect_exit(&r, 2);
	run_result_free(&r);
}

/* ---- setup --------------------------------------------------------------------------------- */

static int setup(void **state)
{
	cf_kube_config *cfg = NULL;
	char cmd[1024];

	kubeconfig = getenv("CF_KUBECONFIG");
	if (!kubeconfig || !*kubeconfig)
		return 0;
	snprintf(cmd, sizeof(cmd),
	         "kubectl --kubeconfig '%s' apply --server-side -k '%s/manifests/crds/' >/dev/null",
	         kubeconfig, CF_SOURCE_DIR);
	if (system(cmd) != 0)
		return -1;
	if (cf_kube_config_load_file(&cfg, kubeconfig, NULL) < 0 || cf_kube_new(&kc, cfg, NULL) < 0)
		return -1;
	cf_kube_config_free(cfg);
	snprintf(ns, sizeof(ns), "cflux-cli-%ld-%d", (long)time(NULL), (int)getpid());
	snprintf(ns2, sizeof(ns2), "%s-b", ns);
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
		         "\"metadata\":{\"name\":\"%s\"}}", i ? ns2 : ns);
		if (cf_kube_create(kc, NULL, NULL, cmd, NULL) < 0)
			return -1;
	}
	/* CRDs just applied may take a moment to be served. */
	for (int i = 0; i < 100; i++) {
		cf_kube_resource res;
		cf_kube_discovery_reset(kc);
		if (cf_kube_resolve(kc, &res, KS_V1, "Kustomization") == 0 &&
		    cf_kube_resolve(kc, &res, SOURCE_V1, "GitRepository") == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

static int teardown(void **state)
{
	for (int i = 0; kc && i < 2; i++) {
		cf_kube_ref ref = { "v1", "Namespace", NULL, i ? ns2 : ns };
		cf_kube_delete(kc, NULL, &ref, NULL);
	}
	cf_kube_free(kc);
	return 0;
}

int main(void)
{
	if (!getenv("CF_KUBECONFIG") || !*getenv("CF_KUBECONFIG")) {
		fprintf(stderr, "CF_KUBECONFIG is not set: skipping (start tests/cluster/up.sh)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_source_git),
		cmocka_unit_test(test_create_failures),
		cmocka_unit_test(test_create_config),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_reconcile),
		cmocka_unit_test(test_reconcile_with_source),
		cmocka_unit_test(test_reconcile_helmrelease_chain),
		cmocka_unit_test(test_suspend_resume),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
