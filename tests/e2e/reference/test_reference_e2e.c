/*
 * The reference setup end to end: the fleet and apps repositories on the real git server, the
 * nginx chart on a real HTTP Helm repository, the three controllers from the build against the
 * real control plane, and `cflux create config` for the top level, exactly as
 * tests/e2e/reference/setup.sh and scripts/demo.sh set it up. Namespaces are the ones users have
 * (flux-config, nginx, staging), so the test cleans them before and after itself.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ref.h"
#include "testsupport.h"

#define WAIT_MS 60000
#define TIMEFEED_IMAGE "ghcr.io/cflux-samples/timefeed"

static char *dir;
static pid_t sc_pid, kc_pid, hc_pid;

/* Leaves no trace of the reference setup in the control plane (see clean.sh). */
static void force_clean(void)
{
	cft_sh("'%s/tests/e2e/reference/clean.sh' '%s'", CF_SOURCE_DIR, getenv("CF_KUBECONFIG"));
}

static pid_t spawn(const char *name, const char *binary, char **flags)
{
	char kc[1200], log[1200], *argv[16];
	int n = 0;

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	argv[n++] = (char *)binary;
	argv[n++] = kc;
	argv[n++] = "--metrics-addr=0";
	argv[n++] = "--health-addr=0";
	argv[n++] = "--log-level=debug";
	/* Only flux-config: other tests run their own controllers against the same control plane. */
	argv[n++] = "--watch-all-namespaces=false";
	for (; *flags && n < 15; flags++)
		argv[n++] = *flags;
	argv[n] = NULL;
	return cft_spawn(log, argv);
}

static int start_controllers(void)
{
	char storage[1200], addr[64], adv[64], bus[64], cache[1200], connect[64], kbus[64], ktmp[1200],
		hbus[64], htmp[1200];
	int storage_port = cft_free_port(), bus_port = cft_free_port();

	setenv("RUNTIME_NAMESPACE", "flux-config", 1);
	snprintf(storage, sizeof(storage), "--storage-path=%s/storage", dir);
	snprintf(addr, sizeof(addr), "--storage-addr=127.0.0.1:%d", storage_port);
	snprintf(adv, sizeof(adv), "--storage-adv-addr=127.0.0.1:%d", storage_port);
	snprintf(bus, sizeof(bus), "--events-bind=tcp://127.0.0.1:%d", bus_port);
	snprintf(cache, sizeof(cache), "--git-cache-path=%s/git-cache", dir);
	char *sc_flags[] = { storage, addr, adv, bus, cache, NULL };
	snprintf(connect, sizeof(connect), "--events-connect=tcp://127.0.0.1:%d", bus_port);
	snprintf(kbus, sizeof(kbus), "--events-bind=tcp://127.0.0.1:%d", cft_free_port());
	snprintf(ktmp, sizeof(ktmp), "--tmp-path=%s", dir);
	char *kc_flags[] = { connect, kbus, ktmp, NULL };
	snprintf(hbus, sizeof(hbus), "--events-bind=tcp://127.0.0.1:%d", cft_free_port());
	snprintf(htmp, sizeof(htmp), "--tmp-path=%s", dir);
	char *hc_flags[] = { hbus, htmp, NULL };

	sc_pid = spawn("source-controller", SC_BINARY, sc_flags);
	kc_pid = spawn("kustomize-controller", KC_BINARY, kc_flags);
	hc_pid = spawn("helm-controller", HC_BINARY, hc_flags);
	return sc_pid > 0 && kc_pid > 0 && hc_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	pid_t pids[] = { sc_pid, kc_pid, hc_pid };

	(void)state;
	if (!dir)
		return 0;
	if (getenv("CF_E2E_SHOW_LOG"))
		cft_sh("tail -n 40 '%s'/*-controller.log >&2", dir);
	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		if (pids[i] > 0)
			cft_stop(pids[i], 10000);
	sc_pid = kc_pid = hc_pid = 0;
	force_clean();
	cft_sh("'%s/tests/e2e/reference/setup.sh' '%s/ref' stop >/dev/null 2>&1", CF_SOURCE_DIR, dir);
	if (!getenv("CF_E2E_KEEP"))
		cft_sh("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
	return 0;
}

static int set_up_all(void)
{
	char path[1300];

	if (!(dir = cft_tmpdir("cflux-ref-e2e")))
		return -1;
	force_clean();
	if (cft_sh("'%s/tests/e2e/reference/setup.sh' '%s/ref' start >/dev/null", CF_SOURCE_DIR, dir) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/ref/env", dir);
	if (cft_load_env(path) < 0)
		return -1;
	if (cft_sh("kubectl --kubeconfig '%s' apply --server-side -k '%s/manifests/crds/' >/dev/null 2>&1 &&"
	           " kubectl --kubeconfig '%s' wait --for condition=established --timeout=60s %s >/dev/null",
	           getenv("CF_KUBECONFIG"), CF_SOURCE_DIR, getenv("CF_KUBECONFIG"),
	           "crd/gitrepositories.source.toolkit.fluxcd.io crd/helmrepositories.source.toolkit.fluxcd.io"
	           " crd/helmcharts.source.toolkit.fluxcd.io crd/kustomizations.kustomize.toolkit.fluxcd.io"
	           " crd/helmreleases.helm.toolkit.fluxcd.io") != 0)
		return -1;
	return start_controllers();
}

/* cmocka skips the group teardown when the setup fails: undo what was started here instead. */
static int setup(void **state)
{
	if (set_up_all() == 0)
		return 0;
	fprintf(stderr, "reference setup failed\n");
	teardown(state);
	return -1;
}

/* Commits everything changed in the apps clone, after running the shell command edit there. */
static void commit_apps(const char *edit, const char *message)
{
	assert_int_equal(cft_sh("set -e; cd '%s'; %s; git add -A; git commit -q -m '%s'; git push -q origin main",
	                        getenv("REF_APPS_WORK"), edit, message),
	                 0);
}

static void reconcile_timefeed(int with_source)
{
	ref_run r;

	ref_cflux(&r, "-n flux-config --timeout 60s reconcile kustomization flux-config-timefeed%s",
	          with_source ? " --with-source" : "");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "✔ applied revision"));
	free(r.out);
}

static void test_create_config(void **state)
{
	ref_run r;
	char *out;

	(void)state;
	ref_cflux(&r, "-n flux-config --timeout 60s create config flux-config --url %s --branch main"
	          " --interval 120s --kustomization name=infra,path=./infrastructure,prune=true"
	          " --kustomization name=apps,path=./apps/staging,prune=true",
	          getenv("REF_FLEET_URL"));
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "✔ Namespace flux-config created"));
	assert_non_null(strstr(r.out, "✔ Kustomization flux-config-infra is ready"));
	assert_non_null(strstr(r.out, "✔ Kustomization flux-config-apps is ready"));
	free(r.out);
	/* Azure's naming: the source after the configuration, each Kustomization <config>-<name>. */
	out = ref_kubectl("-n flux-config get gitrepository flux-config -o jsonpath="
	                  "'{.spec.url} {.spec.ref.branch} {.spec.interval}'");
	char want[1200];
	snprintf(want, sizeof(want), "%s main 2m0s", getenv("REF_FLEET_URL"));
	assert_string_equal(out, want);
	free(out);
	out = ref_kubectl("-n flux-config get kustomizations.kustomize.toolkit.fluxcd.io -o jsonpath="
	                  "'{range .items[*]}{.metadata.name} {.spec.path} {.spec.prune} {.spec.interval} "
	                  "{.spec.sourceRef.name};{end}'");
	assert_non_null(strstr(out, "flux-config-apps ./apps/staging true 2m0s flux-config;"));
	assert_non_null(strstr(out, "flux-config-infra ./infrastructure true 2m0s flux-config;"));
	free(out);
}

static void test_helmrelease_installed(void **state)
{
	char *out;

	(void)state;
	assert_true(ref_wait_kubectl("2", WAIT_MS, "-n nginx get deployment nginx -o jsonpath='{.spec.replicas}'"));
	/* No kubelet here: the pods' readiness the release waits for is written as a node would. */
	assert_int_equal(cft_sh("CF_KUBECONFIG='%s' '%s/tests/e2e/reference/setup.sh' '%s/ref' rolled-out nginx/nginx",
	                        getenv("CF_KUBECONFIG"), CF_SOURCE_DIR, dir),
	                 0);
	assert_true(ref_wait_kubectl("True", WAIT_MS, "-n flux-config get helmreleases.helm.toolkit.fluxcd.io"
	                             " nginx -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'"));
	out = ref_kubectl("-n nginx get service nginx -o jsonpath='{.spec.type} {.spec.ports[0].port}'");
	assert_string_equal(out, "LoadBalancer 80");
	free(out);
	/*
	 * The real helm reads the release record the controller wrote. As with Flux, the record is
	 * stored in the HelmRelease's namespace (storageNamespace) and names the target namespace.
	 */
	out = cft_sh_out("'%s/.cache/cflux/bin/helm' --kubeconfig '%s' -n flux-config list -o json", getenv("HOME"),
	                 getenv("CF_KUBECONFIG"));
	fprintf(stderr, "helm list: %s\n", out ? out : "");
	assert_non_null(out);
	assert_non_null(strstr(out, "\"name\":\"nginx\",\"namespace\":\"nginx\""));
	assert_non_null(strstr(out, "\"status\":\"deployed\""));
	assert_non_null(strstr(out, "\"chart\":\"nginx-12.0.6\""));
	free(out);
}

static void test_timefeed_in_staging(void **state)
{
	char *out;

	(void)state;
	assert_true(ref_wait_kubectl(TIMEFEED_IMAGE ":1.5.0-rc.1", WAIT_MS, "-n staging get deployment timefeed"
	                             " -o jsonpath='{.spec.template.spec.containers[0].image}'"));
	/* The staging overlay's autoscaler patch, and the owner labels of the app's Kustomization. */
	out = ref_kubectl("-n staging get hpa timefeed -o jsonpath='{.spec.minReplicas} {.spec.maxReplicas}'");
	assert_string_equal(out, "1 3");
	free(out);
	out = ref_kubectl("-n staging get service timefeed -o jsonpath="
	                  "'{.metadata.labels.kustomize\\.toolkit\\.fluxcd\\.io/name}'");
	assert_string_equal(out, "flux-config-timefeed");
	free(out);
	/* The fleet's staging overlay re-pointed the app: nothing went to production. */
	assert_false(ref_exists("-n production deployment timefeed"));
	out = ref_kubectl("-n flux-config get kustomizations.kustomize.toolkit.fluxcd.io flux-config-timefeed"
	                  " -o jsonpath='{.spec.path} {.spec.targetNamespace}'");
	assert_string_equal(out, "./deploy/timefeed/staging staging");
	free(out);
}

static void test_commit_reaches_cluster(void **state)
{
	(void)state;
	commit_apps("sed -i 's/newTag: .*/newTag: \"1.6.0\"/' deploy/timefeed/staging/kustomization.yaml;"
	            " printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: timefeed-settings\\n"
	            "data:\\n  zone: Europe/Paris\\n' > deploy/timefeed/staging/settings.yaml;"
	            " sed -i 's/^  - namespace.yaml/  - namespace.yaml\\n  - settings.yaml/'"
	            " deploy/timefeed/staging/kustomization.yaml",
	            "timefeed 1.6.0 on staging, with settings");
	reconcile_timefeed(1);
	/* reconcile waited for the new revision: no polling from here. */
	char *out = ref_kubectl("-n staging get deployment timefeed -o jsonpath="
	                        "'{.spec.template.spec.containers[0].image}'");
	assert_string_equal(out, TIMEFEED_IMAGE ":1.6.0");
	free(out);
	out = ref_kubectl("-n staging get configmap timefeed-settings -o jsonpath='{.data.zone}'");
	assert_string_equal(out, "Europe/Paris");
	free(out);
}

static void test_deleted_file_pruned(void **state)
{
	(void)state;
	assert_true(ref_exists("-n staging configmap timefeed-settings"));
	commit_apps("git rm -q deploy/timefeed/staging/settings.yaml;"
	            " sed -i '/settings.yaml/d' deploy/timefeed/staging/kustomization.yaml",
	            "timefeed: drop the settings");
	reconcile_timefeed(1);
	assert_false(ref_exists("-n staging configmap timefeed-settings"));
	assert_true(ref_exists("-n staging deployment timefeed"));
}

static void test_kubectl_change_reverted(void **state)
{
	char *out;

	(void)state;
	out = ref_kubectl("-n staging set image deployment/timefeed timefeed=" TIMEFEED_IMAGE ":hotfix");
	free(out);
	out = ref_kubectl("-n staging get deployment timefeed -o jsonpath='{.spec.template.spec.containers[0].image}'");
	assert_string_equal(out, TIMEFEED_IMAGE ":hotfix");
	free(out);
	reconcile_timefeed(0);
	out = ref_kubectl("-n staging get deployment timefeed -o jsonpath='{.spec.template.spec.containers[0].image}'");
	assert_string_equal(out, TIMEFEED_IMAGE ":1.6.0");
	free(out);
}

static void test_get_all_ready(void **state)
{
	static const char *const rows[] = {
		"gitrepository/flux-config",      "gitrepository/sample-apps",  "helmrepository/bitnami",
		"helmchart/flux-config-nginx",    "helmrelease/nginx",          "kustomization/flux-config-infra",
		"kustomization/flux-config-apps", "kustomization/flux-config-timefeed",
	};
	char ready[64];
	ref_run r;

	(void)state;
	ref_cflux(&r, "get all -A");
	assert_int_equal(r.code, 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ref_table_ready(ready, sizeof(ready), r.out, rows[i]);
		if (strcmp(ready, "True") != 0)
			fprintf(stderr, "%s: READY is \"%s\"\n", rows[i], ready);
		assert_string_equal(ready, "True");
	}
	free(r.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_config),
		cmocka_unit_test(test_helmrelease_installed),
		cmocka_unit_test(test_timefeed_in_staging),
		cmocka_unit_test(test_commit_reaches_cluster),
		cmocka_unit_test(test_deleted_file_pruned),
		cmocka_unit_test(test_kubectl_change_reverted),
		cmocka_unit_test(test_get_all_ready),
	};

	if (!getenv("CF_KUBECONFIG")) {
		fprintf(stderr, "CF_KUBECONFIG is not set: no control plane to test against\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
