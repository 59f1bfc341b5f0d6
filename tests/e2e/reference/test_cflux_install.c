/*
 * `cflux install` against the real control plane: the install set it prints is what
 * `kubectl kustomize manifests/` builds, --namespace moves every namespaced object, the Namespace
 * and the binding subjects, and the install creates the CRDs, RBAC, Services and Deployments by
 * server-side apply. No kubelet runs here, so waiting for the Deployments must time out cleanly.
 * It installs into flux-system with the same content as tests/integration/manifests, so the two
 * can run at the same time.
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

static const char *const deployments[] = { "source-controller", "kustomize-controller",
	                                   "helm-controller" };

static void test_export_is_the_kustomize_build(void **state)
{
	char *want = cft_sh_out("kubectl kustomize '%s/manifests'", CF_SOURCE_DIR), *expected = NULL;
	ref_run r;

	(void)state;
	assert_non_null(want);
	assert_true(asprintf(&expected, "---\n%s", want) > 0);
	ref_cflux(&r, "install --export --manifests '%s/manifests' 2>/dev/null", CF_SOURCE_DIR);
	assert_int_equal(r.code, 0);
	/* cft_sh_out drops the last newline; the run's output keeps it before the exit marker. */
	size_t n = strlen(r.out);
	if (n && r.out[n - 1] == '\n')
		r.out[n - 1] = '\0';
	assert_string_equal(r.out, expected);
	free(r.out);
	free(expected);
	free(want);
}

static void test_export_other_namespace(void **state)
{
	char path[256];
	ref_run r;
	char *out;

	(void)state;
	ref_cflux(&r, "install --export -n cflux-elsewhere --manifests '%s/manifests' 2>/dev/null", CF_SOURCE_DIR);
	assert_int_equal(r.code, 0);
	assert_null(strstr(r.out, "flux-system"));
	snprintf(path, sizeof(path), "/tmp/cflux-install-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(r.out, f);
	fclose(f);
	free(r.out);
	/* kubectl reads it back: the Namespace, the Deployments and every binding subject moved. */
	out = cft_sh_out("kubectl --kubeconfig '%s' create --dry-run=client -f '%s' -o jsonpath="
	                 "'{.kind}/{.metadata.namespace}/{.metadata.name}:{.subjects[*].namespace};' 2>&1",
	                 getenv("CF_KUBECONFIG"), path);
	assert_non_null(out);
	fprintf(stderr, "%s\n", out);
	assert_non_null(strstr(out, "Namespace//cflux-elsewhere:;"));
	assert_non_null(strstr(out, "Deployment/cflux-elsewhere/source-controller:;"));
	assert_non_null(strstr(out, "Deployment/cflux-elsewhere/kustomize-controller:;"));
	assert_non_null(strstr(out, "Deployment/cflux-elsewhere/helm-controller:;"));
	assert_non_null(strstr(out, "ClusterRoleBinding//cflux-source-controller:cflux-elsewhere;"));
	assert_null(strstr(out, "flux-system"));
	free(out);
	remove(path);
}

static void test_install_creates_everything(void **state)
{
	ref_run r;
	char *out;

	(void)state;
	ref_cflux(&r, "install --wait=false --manifests '%s/manifests'", CF_SOURCE_DIR);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "► installing components in flux-system namespace"));
	assert_non_null(strstr(r.out, "CustomResourceDefinition/helmreleases.helm.toolkit.fluxcd.io "));
	assert_non_null(strstr(r.out, "Deployment/flux-system/source-controller "));
	assert_non_null(strstr(r.out, "✔ install finished"));
	assert_null(strstr(r.out, "verifying installation"));
	free(r.out);
	for (size_t i = 0; i < sizeof(deployments) / sizeof(deployments[0]); i++) {
		out = ref_kubectl("-n flux-system get deployment %s -o jsonpath="
		                  "'{.metadata.managedFields[?(@.manager==\"cflux\")].operation}'",
		                  deployments[i]);
		assert_string_equal(out, "Apply");
		free(out);
	}
	assert_true(ref_wait_kubectl("True", 30000, "get crd kustomizations.kustomize.toolkit.fluxcd.io -o jsonpath="
	                             "'{.status.conditions[?(@.type==\"Established\")].status}'"));
	assert_true(ref_exists("-n flux-system service source-controller"));
	assert_true(ref_exists("clusterrolebinding cflux-kustomize-controller"));

	/* Again: everything exists already, so nothing is created. */
	ref_cflux(&r, "install --wait=false --manifests '%s/manifests'", CF_SOURCE_DIR);
	assert_int_equal(r.code, 0);
	assert_null(strstr(r.out, " created\n"));
	assert_non_null(strstr(r.out, "Deployment/flux-system/helm-controller "));
	free(r.out);
}

static void test_wait_times_out_without_kubelet(void **state)
{
	ref_run r;

	(void)state;
	ref_cflux(&r, "install --timeout 3s --manifests '%s/manifests'", CF_SOURCE_DIR);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.out, "◎ verifying installation"));
	assert_non_null(strstr(r.out, "deployment not ready within the timeout"));
	free(r.out);
}

static void test_bad_manifests_dir(void **state)
{
	ref_run r;

	(void)state;
	ref_cflux(&r, "install --export --manifests /nonexistent/cflux-manifests");
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.out, "✗ building /nonexistent/cflux-manifests"));
	free(r.out);
	ref_cflux(&r, "install extra-arg");
	assert_int_equal(r.code, 2);
	free(r.out);
	ref_cflux(&r, "install --export -n 'Bad\"Name'");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.out, "is not a valid name"));
	free(r.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_is_the_kustomize_build),
		cmocka_unit_test(test_export_other_namespace),
		cmocka_unit_test(test_install_creates_everything),
		cmocka_unit_test(test_wait_times_out_without_kubelet),
		cmocka_unit_test(test_bad_manifests_dir),
	};

	if (!getenv("CF_KUBECONFIG")) {
		fprintf(stderr, "CF_KUBECONFIG is not set: no control plane to test against\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
