/* Brings up git servers, CRDs, a fixture repository, source-controller and kustomize-controller for end-to-end tests. */
#include "e2e.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "testsupport.h"

#define FIXTURES CF_SOURCE_DIR "/tests/services/kustomize-controller/fixtures"
#define KS_API "kustomize.toolkit.fluxcd.io/v1"

static int start_source_controller(kc_e2e *e)
{
	char kc[1024], storage[1200], addr[64], adv[64], bus[64], health[64], cache[1200], log[1200];

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	snprintf(storage, sizeof(storage), "--storage-path=%s/storage", e->dir);
	snprintf(addr, sizeof(addr), "--storage-addr=127.0.0.1:%d", e->storage_port);
	snprintf(adv, sizeof(adv), "--storage-adv-addr=127.0.0.1:%d", e->storage_port);
	snprintf(bus, sizeof(bus), "--events-bind=tcp://127.0.0.1:%d", e->sc_bus_port);
	snprintf(health, sizeof(health), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(cache, sizeof(cache), "--git-cache-path=%s/cache", e->dir);
	snprintf(log, sizeof(log), "%s/source-controller.log", e->dir);
	/* Only this test's namespace: other tests run their own controllers in parallel. */
	char *argv[] = {SC_BINARY, kc, storage, addr, adv, bus, health, cache, "--metrics-addr=0",
			"--log-level=debug", "--watch-all-namespaces=false", NULL};
	e->source = cft_spawn(log, argv);
	return e->source > 0 ? 0 : -1;
}

static int start_kustomize_controller(kc_e2e *e)
{
	char kc[1024], connect[64], bind[64], health[64], tmp[1200], log[1200];

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	snprintf(connect, sizeof(connect), "--events-connect=tcp://127.0.0.1:%d", e->sc_bus_port);
	snprintf(bind, sizeof(bind), "--events-bind=tcp://127.0.0.1:%d", e->kc_bus_port);
	snprintf(health, sizeof(health), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(tmp, sizeof(tmp), "--tmp-path=%s/tmp", e->dir);
	snprintf(log, sizeof(log), "%s/kustomize-controller.log", e->dir);
	if (e->no_bus)
		snprintf(connect, sizeof(connect), "--events-connect=");
	char *argv[] = {KC_BINARY, kc, connect, bind, health, tmp, "--metrics-addr=0",
			"--requeue-dependency=2s", "--http-retry=2", "--log-level=debug",
			"--watch-all-namespaces=false", (char *)e->kc_flag, NULL};
	e->kustomize = cft_spawn(log, argv);
	return e->kustomize > 0 ? 0 : -1;
}

int kc_e2e_start_kustomize(kc_e2e *e)
{
	return start_kustomize_controller(e);
}

void kc_e2e_crash_kustomize(kc_e2e *e)
{
	if (e->kustomize > 0)
		cft_kill9(e->kustomize);
	e->kustomize = 0;
}

/* An empty bare repository served by the git HTTP server, and a work tree pushing to it. */
static int make_repo(kc_e2e *e)
{
	setenv("GIT_AUTHOR_NAME", "cflux", 1);
	setenv("GIT_AUTHOR_EMAIL", "cflux@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "cflux", 1);
	setenv("GIT_COMMITTER_EMAIL", "cflux@example.com", 1);
	return cft_sh("set -e; git init -q --bare -b main '%s/kc.git'; git init -q -b main '%s/work';"
		      " git -C '%s/work' remote add origin '%s/kc.git'; mkdir -p '%s/tmp'",
		      getenv("CF_GIT_REPOS"), e->dir, e->dir, getenv("CF_GIT_REPOS"), e->dir) == 0 ? 0 : CF_ERROR;
}

int kc_e2e_up(kc_e2e *e)
{
	const char *kc = getenv("CF_KUBECONFIG");
	cf_kube_config *cfg = NULL;
	char path[1200], body[256];
	int err, no_bus = e->no_bus;

	memset(e, 0, sizeof(*e));
	e->no_bus = no_bus;
	if (!kc)
		return CF_ENOTFOUND;
	e->dir = cft_tmpdir("cflux-kc-e2e");
	if (cft_sh("'%s/tests/servers/start.sh' '%s/git' >/dev/null", CF_SOURCE_DIR, e->dir) != 0)
		return cf_error_set(CF_ERROR, "git servers did not start");
	snprintf(path, sizeof(path), "%s/git/env", e->dir);
	cft_load_env(path);
	if ((err = make_repo(e)) < 0)
		return cf_error_set(err, "creating the fixture repository failed");
	if (cft_sh("kubectl --kubeconfig '%s' apply --server-side -k '%s/manifests/crds/' >/dev/null 2>&1 &&"
		   " kubectl --kubeconfig '%s' wait --for condition=established --timeout=60s"
		   " crd/gitrepositories.source.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io >/dev/null",
		   kc, CF_SOURCE_DIR, kc) != 0)
		return cf_error_set(CF_ERROR, "applying the CRDs failed");
	if ((err = cf_kube_config_load_file(&cfg, kc, NULL)) < 0 || (err = cf_kube_new(&e->kube, cfg, NULL)) < 0)
		goto done;
	snprintf(e->ns, sizeof(e->ns), "kc-e2e-%d-%ld", (int)getpid(), (long)time(NULL) % 100000);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", e->ns);
	if ((err = cf_kube_create(e->kube, NULL, NULL, body, NULL)) < 0)
		goto done;
	setenv("RUNTIME_NAMESPACE", e->ns, 1);
	e->storage_port = cft_free_port();
	e->sc_bus_port = cft_free_port();
	e->kc_bus_port = cft_free_port();
	if ((err = cf_bus_sub_new(&e->sub, CF_BUS_MASK(CF_BUS_RECONCILE_RESULT))) < 0)
		goto done;
	snprintf(path, sizeof(path), "tcp://127.0.0.1:%d", e->kc_bus_port);
	if ((err = cf_bus_sub_connect(e->sub, path)) < 0)
		goto done;
	if (start_source_controller(e) < 0 || start_kustomize_controller(e) < 0)
		err = cf_error_set(CF_ERROR, "starting the controllers failed");
done:
	cf_kube_config_free(cfg);
	return err;
}

void kc_e2e_down(kc_e2e *e)
{
	/* Deleted while the controllers still run, so finalizers are handled and nothing lingers. */
	if (e->kube && e->ns[0])
		cft_sh("kubectl --kubeconfig '%s' -n '%s' delete kustomizations,gitrepositories --all --timeout=60s"
		       " >/dev/null 2>&1", getenv("CF_KUBECONFIG"), e->ns);
	if (e->kustomize > 0)
		cft_stop(e->kustomize, 10000);
	if (e->source > 0)
		cft_stop(e->source, 10000);
	if (e->dir) {
		if (getenv("CF_E2E_KEEP") == NULL) {
			cft_sh("'%s/tests/servers/stop.sh' '%s/git' >/dev/null 2>&1", CF_SOURCE_DIR, e->dir);
			cft_sh("rm -rf '%s'", e->dir);
		} else {
			fprintf(stderr, "kept %s\n", e->dir);
			cft_sh("'%s/tests/servers/stop.sh' '%s/git' --keep >/dev/null 2>&1", CF_SOURCE_DIR, e->dir);
		}
	}
	cf_bus_sub_free(e->sub);
	cf_kube_free(e->kube);
	free(e->dir);
}

char *kc_e2e_commit(kc_e2e *e, const char *message, ...)
{
	char layers[1024] = "", *sha;
	const char *l;
	size_t len = 0;
	va_list ap;

	va_start(ap, message);
	while ((l = va_arg(ap, const char *)) != NULL && len + strlen(l) + 2 < sizeof(layers)) {
		snprintf(layers + len, sizeof(layers) - len, "%s ", l);
		len = strlen(layers);
	}
	va_end(ap);
	if (cft_sh("set -e; cd '%s/work'; find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +;"
		   " cp -r '%s/common/.' .; for l in %s; do cp -r '%s/'$l/. .; done;"
		   " git add -A; git commit -q --allow-empty -m '%s'; git push -q -f origin HEAD:main",
		   e->dir, FIXTURES, layers, FIXTURES, message) != 0)
		return NULL;
	sha = cft_sh_out("git -C '%s/work' rev-parse HEAD", e->dir);
	return sha;
}

const char *kc_e2e_rev(const char *sha)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "main@sha1:%s", sha);
	return buf;
}

int kc_e2e_create(kc_e2e *e, const char *ns, const char *fmt, ...)
{
	char *body = NULL;
	cf_kube_ref ref = {NULL, NULL, ns ? ns : e->ns, NULL};
	va_list ap;
	json_t *obj;
	int err;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (!body)
		return CF_ENOMEM;
	if (!(obj = json_loads(body, 0, NULL))) {
		fprintf(stderr, "bad JSON: %s\n", body);
		free(body);
		return CF_EPARSE;
	}
	ref.api_version = json_string_value(json_object_get(obj, "apiVersion"));
	ref.kind = json_string_value(json_object_get(obj, "kind"));
	err = cf_kube_create(e->kube, NULL, &ref, body, NULL);
	if (err < 0)
		fprintf(stderr, "create failed: %s\n", cf_error_last());
	json_decref(obj);
	free(body);
	return err;
}

int kc_e2e_patch(kc_e2e *e, const char *api_version, const char *kind, const char *ns, const char *name,
		 int status, const char *fmt, ...)
{
	cf_kube_ref ref = {api_version, kind, ns ? ns : e->ns, name};
	char *body = NULL;
	va_list ap;
	int err;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (!body)
		return CF_ENOMEM;
	err = status ? cf_kube_patch_status(e->kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL)
		     : cf_kube_patch(e->kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
	if (err < 0)
		fprintf(stderr, "patch failed: %s\n", cf_error_last());
	free(body);
	return err;
}

json_t *kc_e2e_get(kc_e2e *e, const char *api_version, const char *kind, const char *ns, const char *name)
{
	cf_kube_ref ref = {api_version, kind, ns ? ns : e->ns, name};
	char *body = NULL;
	json_t *obj;

	if (cf_kube_get(e->kube, &body, &ref) < 0)
		return NULL;
	obj = json_loads(body, 0, NULL);
	free(body);
	return obj;
}

int kc_e2e_request(kc_e2e *e, const char *api_version, const char *kind, const char *name)
{
	return kc_e2e_patch(e, api_version, kind, NULL, name, 0,
			    "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"%lld\"}}}",
			    cft_now_ms());
}

const char *kc_e2e_cond(const json_t *obj, const char *type, const char *field)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
			return json_string_value(json_object_get(c, field));
	return NULL;
}

static json_int_t ready_generation(const json_t *obj)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")), "Ready") == 0)
			return json_integer_value(json_object_get(c, "observedGeneration"));
	return -1;
}

json_t *kc_e2e_wait_ks(kc_e2e *e, const char *name, const char *status, const char *revision, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;

	while (cft_now_ms() < end) {
		json_t *obj = kc_e2e_get(e, KS_API, "Kustomization", NULL, name);
		const char *st = kc_e2e_cond(obj, "Ready", "status");
		const char *attempted = json_string_value(
			json_object_get(json_object_get(obj, "status"), "lastAttemptedRevision"));
		json_int_t gen = json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
		int settled = strcmp(status, "False") == 0 || !kc_e2e_cond(obj, "Reconciling", "status");
		if (st && strcmp(st, status) == 0 && ready_generation(obj) == gen && settled &&
		    (!revision || (attempted && strcmp(attempted, revision) == 0)))
			return obj;
		json_decref(obj);
		usleep(200000);
	}
	return NULL;
}

int kc_e2e_wait_cm(kc_e2e *e, const char *ns, const char *name, const char *key, const char *value, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;

	while (cft_now_ms() < end) {
		json_t *cm = kc_e2e_get(e, "v1", "ConfigMap", ns, name);
		const char *v = json_string_value(json_object_get(json_object_get(cm, "data"), key));
		int ok = *value ? v && strcmp(v, value) == 0 : cm == NULL;
		json_decref(cm);
		if (ok)
			return 1;
		usleep(200000);
	}
	return 0;
}

static int event_matches(void *ctx, const char *item, size_t len)
{
	const char **want = ctx;
	json_t *ev = json_loadb(item, len, 0, NULL);
	const char *obj = json_string_value(json_object_get(json_object_get(ev, "involvedObject"), "name"));
	const char *msg = json_string_value(json_object_get(ev, "message"));
	int hit = obj && msg && strcmp(obj, want[0]) == 0 && strstr(msg, want[1]) != NULL;

	json_decref(ev);
	return hit;
}

int kc_e2e_has_event(kc_e2e *e, const char *name, const char *text)
{
	cf_kube_ref ref = {"v1", "Event", e->ns, NULL};
	const char *want[] = {name, text};

	return cf_kube_list(e->kube, NULL, &ref, NULL, event_matches, want) == 1;
}
