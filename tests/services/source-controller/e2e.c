/* Brings up git servers, CRDs and a source-controller process for the end-to-end tests. */
#include "e2e.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "testsupport.h"

#define API "source.toolkit.fluxcd.io/v1"

static char env_buf[8192];

/* Loads the servers' env file into the environment, keeping its text for sc_e2e_env_text. */
static void load_env(const char *path)
{
	char *text = cft_read_file(path, NULL);

	if (!text)
		return;
	snprintf(env_buf, sizeof(env_buf), "%s", text);
	free(text);
	cft_load_env(path);
}

const char *sc_e2e_env(const char *key)
{
	const char *v = getenv(key);
	return v ? v : "";
}

pid_t sc_e2e_spawn(sc_e2e *e, const char *tag, int storage_port, const char *const *extra)
{
	char kc[1024], storage[1200], addr[64], adv[64], bus[64], cache[1200], log[1200];
	const char *argv[32];
	int n = 0;

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	snprintf(storage, sizeof(storage), "--storage-path=%s/storage-%s", e->dir, tag);
	snprintf(addr, sizeof(addr), "--storage-addr=127.0.0.1:%d", storage_port);
	snprintf(adv, sizeof(adv), "--storage-adv-addr=127.0.0.1:%d", storage_port);
	snprintf(bus, sizeof(bus), "--events-bind=tcp://127.0.0.1:%d", cft_free_port());
	snprintf(cache, sizeof(cache), "--git-cache-path=%s/cache-%s", e->dir, tag);
	snprintf(log, sizeof(log), "%s/source-controller-%s.log", e->dir, tag);
	const char *base[] = {SC_BINARY, kc, storage, addr, adv, bus, cache, "--metrics-addr=0",
			      "--health-addr=0", "--watch-all-namespaces=false"};
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		argv[n++] = base[i];
	for (; extra && *extra && n < 31; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	return cft_spawn(log, (char *const *)argv);
}

int sc_e2e_start_controller(sc_e2e *e)
{
	char kc[1024], storage[1200], addr[64], adv[64], bus[64], health[64], cache[1200], log[1200];
	const char *argv[32];
	int n = 0;

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	snprintf(storage, sizeof(storage), "--storage-path=%s/storage", e->dir);
	snprintf(addr, sizeof(addr), "--storage-addr=127.0.0.1:%d", e->storage_port);
	snprintf(adv, sizeof(adv), "--storage-adv-addr=127.0.0.1:%d", e->storage_port);
	snprintf(bus, sizeof(bus), "--events-bind=tcp://127.0.0.1:%d", e->bus_port);
	snprintf(health, sizeof(health), "--health-addr=127.0.0.1:%d", e->health_port);
	snprintf(cache, sizeof(cache), "--git-cache-path=%s/cache", e->dir);
	snprintf(log, sizeof(log), "%s/source-controller.log", e->dir);
	/* Objects labelled cflux-test-shard belong to the controllers a test spawns for itself. */
	const char *base[] = {SC_BINARY, kc, storage, addr, adv, bus, health, cache, "--metrics-addr=0",
			      "--log-level=debug", "--watch-all-namespaces=false",
			      "--watch-label-selector=!cflux-test-shard"};
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		argv[n++] = base[i];
	for (const char *const *x = e->extra_flags; x && *x && n < 31; x++)
		argv[n++] = *x;
	argv[n] = NULL;
	e->controller = cft_spawn(log, (char *const *)argv);
	return e->controller > 0 ? 0 : -1;
}

int sc_e2e_up(sc_e2e *e)
{
	const char *kc = getenv("CF_KUBECONFIG");
	cf_kube_config *cfg = NULL;
	char path[1200];
	int err;

	memset(e, 0, sizeof(*e));
	if (!kc)
		return CF_ENOTFOUND;
	e->dir = cft_tmpdir("cflux-sc-e2e");
	if (cft_sh("'%s/tests/servers/start.sh' '%s/git' >/dev/null", CF_SOURCE_DIR, e->dir) != 0)
		return CF_ERROR;
	snprintf(path, sizeof(path), "%s/git/env", e->dir);
	load_env(path);
	if (cft_sh("kubectl --kubeconfig '%s' apply --server-side -k '%s/manifests/crds/' >/dev/null 2>&1 &&"
		   " kubectl --kubeconfig '%s' wait --for condition=established --timeout=60s"
		   " crd/gitrepositories.source.toolkit.fluxcd.io >/dev/null",
		   kc, CF_SOURCE_DIR, kc) != 0)
		return CF_ERROR;
	if ((err = cf_kube_config_load_file(&cfg, kc, NULL)) < 0 || (err = cf_kube_new(&e->kube, cfg, NULL)) < 0)
		goto done;
	snprintf(e->ns, sizeof(e->ns), "sc-e2e-%d-%ld", (int)getpid(), (long)time(NULL) % 100000);
	char body[256];
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", e->ns);
	if ((err = cf_kube_create(e->kube, NULL, NULL, body, NULL)) < 0)
		goto done;
	/* Controllers started from here watch (and hold their Leases in) this namespace only. */
	setenv("RUNTIME_NAMESPACE", e->ns, 1);
	e->storage_port = cft_free_port();
	e->bus_port = cft_free_port();
	e->health_port = cft_free_port();
	if ((err = cf_bus_sub_new(&e->sub, CF_BUS_MASK(CF_BUS_ARTIFACT_READY))) < 0)
		goto done;
	snprintf(path, sizeof(path), "tcp://127.0.0.1:%d", e->bus_port);
	if ((err = cf_bus_sub_connect(e->sub, path)) < 0)
		goto done;
	err = sc_e2e_start_controller(e);
done:
	cf_kube_config_free(cfg);
	return err;
}

int sc_e2e_mtls(sc_e2e *e)
{
	char path[1200];

	if (cft_sh("'%s/tests/services/source-controller/mtls-front.sh' '%s/git' >/dev/null",
		   CF_SOURCE_DIR, e->dir) != 0)
		return CF_ERROR;
	snprintf(path, sizeof(path), "%s/git/mtls.env", e->dir);
	load_env(path);
	return 0;
}

void sc_e2e_down(sc_e2e *e)
{
	if (e->controller > 0)
		cft_stop(e->controller, 10000);
	if (e->dir) {
		cft_sh("'%s/tests/services/source-controller/mtls-front.sh' '%s/git' stop >/dev/null 2>&1",
		       CF_SOURCE_DIR, e->dir);
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

int sc_e2e_create(sc_e2e *e, const char *fmt, ...)
{
	char *body = NULL;
	cf_kube_ref ref = {NULL, NULL, e->ns, NULL};
	va_list ap;
	int err;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (!body)
		return CF_ENOMEM;
	json_t *obj = json_loads(body, 0, NULL);
	if (!obj) {
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

int sc_e2e_secret(sc_e2e *e, const char *name, ...)
{
	json_t *data = json_object(), *obj;
	const char *k, *v;
	va_list ap;
	int err;

	va_start(ap, name);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		json_object_set_new(data, k, json_string(v));
	}
	va_end(ap);
	obj = json_pack("{s:s,s:s,s:{s:s,s:s},s:o}", "apiVersion", "v1", "kind", "Secret", "metadata",
			"name", name, "namespace", e->ns, "stringData", data);
	char *body = json_dumps(obj, JSON_COMPACT);
	err = cf_kube_create(e->kube, NULL, NULL, body, NULL);
	free(body);
	json_decref(obj);
	return err;
}

json_t *sc_e2e_get(sc_e2e *e, const char *name)
{
	cf_kube_ref ref = {API, "GitRepository", e->ns, name};
	char *body = NULL;
	json_t *obj;

	if (cf_kube_get(e->kube, &body, &ref) < 0)
		return NULL;
	obj = json_loads(body, 0, NULL);
	free(body);
	return obj;
}

const char *sc_e2e_cond(const json_t *obj, const char *type, const char *field)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions");
	size_t i;
	json_t *c;

	json_array_foreach(conds, i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
			return json_string_value(json_object_get(c, field));
	return NULL;
}

json_t *sc_e2e_wait_ready(sc_e2e *e, const char *name, const char *status, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;

	while (cft_now_ms() < end) {
		json_t *obj = sc_e2e_get(e, name);
		const char *st = sc_e2e_cond(obj, "Ready", "status");
		json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions");
		json_int_t gen = json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
		json_int_t seen = -1;
		size_t i;
		json_t *c;
		json_array_foreach(conds, i, c)
			if (strcmp(json_string_value(json_object_get(c, "type")), "Ready") == 0)
				seen = json_integer_value(json_object_get(c, "observedGeneration"));
		/* Ready must be about this generation; a success must not be half-way (a failure keeps
		 * Reconciling=True with ProgressingWithRetry while it retries, as Flux does). */
		int settled = strcmp(status, "False") == 0 || !sc_e2e_cond(obj, "Reconciling", "status");
		if (st && strcmp(st, status) == 0 && seen == gen && settled)
			return obj;
		json_decref(obj);
		usleep(100000);
	}
	return NULL;
}

int sc_e2e_request(sc_e2e *e, const char *name)
{
	cf_kube_ref ref = {API, "GitRepository", e->ns, name};
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"%lld\"}}}", cft_now_ms());
	return cf_kube_patch(e->kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
}

cf_bus_msg *sc_e2e_wait_bus(sc_e2e *e, const char *name, const char *revision, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;
	cf_bus_msg *m = NULL;

	while (cft_now_ms() < end) {
		if (cf_bus_sub_recv(&m, e->sub, 200) < 0)
			continue;
		const cf_bus_artifact_ready *ar = &m->body.artifact_ready;
		if (m->type == CF_BUS_ARTIFACT_READY && strcmp(ar->name, name) == 0 &&
		    strcmp(ar->namespace_, e->ns) == 0 && (!revision || strcmp(ar->revision, revision) == 0))
			return m;
		cf_bus_msg_free(m);
		m = NULL;
	}
	return NULL;
}
