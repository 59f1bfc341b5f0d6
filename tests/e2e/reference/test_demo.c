/*
 * scripts/demo.sh run for real with CF_DEMO_EXIT=1 on the binaries of this build: its own control
 * plane, servers and controllers, the reference setup, `cflux get all -A` with everything Ready,
 * the instructions for a commit, and no process of the demo left once it has exited.
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

static void test_demo_runs_and_cleans_up(void **state)
{
	static const char *const rows[] = {
		"gitrepository/flux-config",      "gitrepository/sample-apps",  "helmrepository/bitnami",
		"helmchart/flux-config-nginx",    "helmrelease/nginx",          "kustomization/flux-config-infra",
		"kustomization/flux-config-apps", "kustomization/flux-config-timefeed",
	};
	char *base = cft_tmpdir("cflux-demo-test"), demo[1200], cmd[4096], ready[64], *left;
	ref_run r;

	(void)state;
	assert_non_null(base);
	/* The demo refuses an existing directory: it gets a fresh name inside the scratch one. */
	snprintf(demo, sizeof(demo), "%s/demo", base);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && CF_DEMO_EXIT=1 CF_DEMO_SKIP_BUILD=1 CF_DEMO_DIR='%s' CF_DEMO_BUILD='%s'"
	         " ./scripts/demo.sh",
	         CF_SOURCE_DIR, demo, CF_BINARY_DIR);
	ref_shell(&r, cmd);
	assert_int_equal(r.code, 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ref_table_ready(ready, sizeof(ready), r.out, rows[i]);
		if (strcmp(ready, "True") != 0)
			fprintf(stderr, "%s: READY is \"%s\"\n", rows[i], ready);
		assert_string_equal(ready, "True");
	}
	assert_non_null(strstr(r.out, "git commit -am"));
	assert_non_null(strstr(r.out, "reconcile kustomization flux-config-timefeed --with-source"));
	assert_non_null(strstr(r.out, "\nstopped"));
	free(r.out);
	/* Nothing the demo started is still running (each long-running one names its directory). */
	left = cft_sh_out("ps -eo pid=,args= | grep -F '%s' | grep -v grep", demo);
	assert_string_equal(left ? left : "", "");
	free(left);
	cft_sh("rm -rf '%s'", base);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_runs_and_cleans_up),
	};

	char bin[1024];

	snprintf(bin, sizeof(bin), "%s/.cache/cflux/bin/kube-apiserver", getenv("HOME") ? getenv("HOME") : "");
	if (!getenv("CF_KUBECONFIG") || access(bin, X_OK) != 0) {
		fprintf(stderr, "no control-plane binaries (run under scripts/test.sh): skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
