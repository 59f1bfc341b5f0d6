/* Brings up git servers, CRDs, a fleet repository and source-, kustomize-, helm- and fluxconfig-controller for end-to-end tests. */
#include "e2e.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "testsupport.h"

#define FIXTURES CF_SOURCE_DIR "/tests/services/fluxconfig-controller/fixtures"

static pid_t start(fc_e2e *e, const char *name, char **argv)
{
	char log[1200];

	snprintf(log, sizeof(log), "%s/%s.log", e->dir, name);
	return cft_spawn(log, argv);
}

/* Each controller watches only this test's namespace: other tests run their own in parallel. */
static int start_controllers(fc_e2e *e)
{
	char kc[1024], storage[1200], addr[64], adv[64], scbus[64], kcbus[64], hcbus[64], fcbus[64], sccon[64];
	char fccon[128], h1[64], h2[64], h3[64], h4[64], cache[1200], tmp[1200];

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	snprintf(storage, sizeof(storage), "--storage-path=%s/storage", e->dir);
	snprintf(addr, sizeof(addr), "--storage-addr=127.0.0.1:%d", e->storage_port);
	snprintf(adv, sizeof(adv), "--storage-adv-addr=127.0.0.1:%d", e->storage_port);
	snprintf(scbus, sizeof(scbus), "--events-bind=tcp://127.0.0.1:%d", e->sc_bus_port);
	snprintf(kcbus, sizeof(kcbus), "--events-bind=tcp://127.0.0.1:%d", e->kc_bus_port);
	snprintf(fcbus, sizeof(fcbus), "--events-bind=tcp://127.0.0.1:%d", e->fc_bus_port);
	snprintf(sccon, sizeof(sccon), "--events-connect=tcp://127.0.0.1:%d", e->sc_bus_port);
	snprintf(hcbus, sizeof(hcbus), "--events-bind=tcp://127.0.0.1:%d", e->hc_bus_port);
	/* fluxconfig-controller hears both kustomize- and helm-controller, as in a cluster. */
	snprintf(fccon, sizeof(fccon), "--events-connect=tcp://127.0.0.1:%d,tcp://127.0.0.1:%d", e->kc_bus_port,
		 e->hc_bus_port);
	snprintf(h1, sizeof(h1), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(h2, sizeof(h2), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(h3, sizeof(h3), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(h4, sizeof(h4), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(cache, sizeof(cache), "--git-cache-path=%s/cache", e->dir);
	snprintf(tmp, sizeof(tmp), "--tmp-path=%s/tmp", e->dir);
	char *sc[] = {SC_BINARY, kc, storage, addr, adv, scbus, h1, cache, "--metrics-addr=0", "--log-level=debug",
		      "--watch-all-namespaces=false", NULL};
	char *kz[] = {KC_BINARY, kc, sccon, kcbus, h2, tmp, "--metrics-addr=0", "--requeue-dependency=2s",
		      "--http-retry=2", "--log-level=debug", "--watch-all-namespaces=false", NULL};
	char *hc[] = {HC_BINARY, kc, hcbus, h4, tmp, "--metrics-addr=0", "--requeue-dependency=2s", "--http-retry=2",
		      "--log-level=debug", "--watch-all-namespaces=false", NULL};
	char *fc[] = {FC_BINARY, kc, fccon, fcbus, h3, "--metrics-addr=0", "--log-level=debug",
		      "--watch-all-namespaces=false", NULL};
	if ((e->source = start(e, "source-controller", sc)) <= 0 || (e->kustomize = start(e, "kustomize-controller", kz)) <= 0 ||
	    (e->helm = start(e, "helm-controller", hc)) <= 0 || (e->fluxconfig = start(e, "fluxconfig-controller", fc)) <= 0)
		return CF_ERROR;
	return 0;
}

static int apply_crds(void)
{
	const char *kc = getenv("CF_KUBECONFIG");

	return cft_sh("kubectl --kubeconfig '%s' apply --server-side -k '%s/manifests/crds/' >/dev/null 2>&1 &&"
		      " kubectl --kubeconfig '%s' apply --server-side -f '%s/manifests/fluxconfig-controller/crd.yaml' >/dev/null &&"
		      " kubectl --kubeconfig '%s' wait --for condition=established --timeout=60s"
		      " crd/gitrepositories.source.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io"
		      " crd/helmreleases.helm.toolkit.fluxcd.io crd/fluxconfigs.config.cflux.io >/dev/null",
		      kc, CF_SOURCE_DIR, kc, CF_SOURCE_DIR, kc) == 0
		       ? 0
		       : CF_ERROR;
}

int fc_e2e_up(fc_e2e *e)
{
	const char *kc = getenv("CF_KUBECONFIG");
	cf_kube_config *cfg = NULL;
	char path[1200], body[256];
	int err;

	memset(e, 0, sizeof(*e));
	if (!kc)
		return CF_ENOTFOUND;
	e->dir = cft_tmpdir("cflux-fc-e2e");
	if (cft_sh("'%s/tests/servers/start.sh' '%s/git' >/dev/null", CF_SOURCE_DIR, e->dir) != 0)
		return cf_error_set(CF_ERROR, "git servers did not start");
	snprintf(path, sizeof(path), "%s/git/env", e->dir);
	cft_load_env(path);
	setenv("GIT_AUTHOR_NAME", "cflux", 1);
	setenv("GIT_AUTHOR_EMAIL", "cflux@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "cflux", 1);
	setenv("GIT_COMMITTER_EMAIL", "cflux@example.com", 1);
	if (cft_sh("set -e; git init -q --bare -b main '%s/fleet.git'; git init -q -b main '%s/work';"
		   " git -C '%s/work' remote add origin '%s/fleet.git'; mkdir -p '%s/tmp'",
		   getenv("CF_GIT_REPOS"), e->dir, e->dir, getenv("CF_GIT_REPOS"), e->dir) != 0)
		return cf_error_set(CF_ERROR, "creating the fleet repository failed");
	if (apply_crds() < 0)
		return cf_error_set(CF_ERROR, "applying the CRDs failed");
	if ((err = cf_kube_config_load_file(&cfg, kc, NULL)) < 0 || (err = cf_kube_new(&e->kube, cfg, NULL)) < 0)
		goto done;
	snprintf(e->ns, sizeof(e->ns), "fc-e2e-%d-%ld", (int)getpid(), (long)time(NULL) % 100000);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", e->ns);
	if ((err = cf_kube_create(e->kube, NULL, NULL, body, NULL)) < 0)
		goto done;
	setenv("RUNTIME_NAMESPACE", e->ns, 1);
	e->storage_port = cft_free_port();
	e->sc_bus_port = cft_free_port();
	e->kc_bus_port = cft_free_port();
	e->hc_bus_port = cft_free_port();
	e->fc_bus_port = cft_free_port();
	if (start_controllers(e) < 0)
		err = cf_error_set(CF_ERROR, "starting the controllers failed");
done:
	cf_kube_config_free(cfg);
	return err;
}

void fc_e2e_down(fc_e2e *e)
{
	/* Deleted while the controllers run, so every finalizer is handled and nothing lingers. */
	if (e->kube && e->ns[0])
		cft_sh("kubectl --kubeconfig '%s' -n '%s' delete fluxconfigs,kustomizations,helmreleases,gitrepositories --all"
		       " --timeout=60s >/dev/null 2>&1; kubectl --kubeconfig '%s' delete namespace '%s' --wait=false"
		       " >/dev/null 2>&1", getenv("CF_KUBECONFIG"), e->ns, getenv("CF_KUBECONFIG"), e->ns);
	if (e->fluxconfig > 0)
		cft_stop(e->fluxconfig, 10000);
	if (e->kustomize > 0)
		cft_stop(e->kustomize, 10000);
	if (e->helm > 0)
		cft_stop(e->helm, 10000);
	if (e->source > 0)
		cft_stop(e->source, 10000);
	if (e->dir) {
		int keep = getenv("CF_E2E_KEEP") != NULL;
		cft_sh("'%s/tests/servers/stop.sh' '%s/git' %s >/dev/null 2>&1", CF_SOURCE_DIR, e->dir, keep ? "--keep" : "");
		if (keep)
			fprintf(stderr, "kept %s\n", e->dir);
		else
			cft_sh("rm -rf '%s'", e->dir);
	}
	cf_kube_free(e->kube);
	free(e->dir);
}

char *fc_e2e_commit(fc_e2e *e, const char *message, ...)
{
	char layers[1024] = "";
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
		   " cp -r '%s/base/.' .; for l in %s; do cp -r '%s/'$l/. .; done;"
		   " git add -A; git commit -q --allow-empty -m '%s'; git push -q -f origin HEAD:main",
		   e->dir, FIXTURES, layers, FIXTURES, message) != 0)
		return NULL;
	return cft_sh_out("git -C '%s/work' rev-parse HEAD", e->dir);
}

int fc_e2e_create(fc_e2e *e, const char *fmt, ...)
{
	cf_kube_ref ref = {NULL, NULL, e->ns, NULL};
	char *body = NULL;
	json_t *obj;
	va_list ap;
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
	if ((err = cf_kube_create(e->kube, NULL, &ref, body, NULL)) < 0)
		fprintf(stderr, "create failed: %s\n", cf_error_last());
	json_decref(obj);
	free(body);
	return err;
}

int fc_e2e_patch(fc_e2e *e, const char *api_version, const char *kind, const char *name, const char *fmt, ...)
{
	cf_kube_ref ref = {api_version, kind, e->ns, name};
	char *body = NULL;
	va_list ap;
	int err;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (!body)
		return CF_ENOMEM;
	if ((err = cf_kube_patch(e->kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL)) < 0)
		fprintf(stderr, "patch failed: %s\n", cf_error_last());
	free(body);
	return err;
}

int fc_e2e_delete(fc_e2e *e, const char *api_version, const char *kind, const char *name)
{
	cf_kube_ref ref = {api_version, kind, e->ns, name};

	return cf_kube_delete(e->kube, NULL, &ref, NULL);
}

json_t *fc_e2e_get(fc_e2e *e, const char *api_version, const char *kind, const char *name)
{
	cf_kube_ref ref = {api_version, kind, e->ns, name};
	char *body = NULL;
	json_t *obj;

	if (cf_kube_get(e->kube, &body, &ref) < 0)
		return NULL;
	obj = json_loads(body, 0, NULL);
	free(body);
	return obj;
}

int fc_e2e_request(fc_e2e *e, const char *api_version, const char *kind, const char *name)
{
	return fc_e2e_patch(e, api_version, kind, name,
			    "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"%lld\"}}}", cft_now_ms());
}
