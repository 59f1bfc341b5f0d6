/*
 * The release and cluster a chart renders for: .Release.Revision (the revision helm install or
 * upgrade writes, 1 under helm template) and .Capabilities from --kube-version / --api-versions or
 * from a cluster's discovery, which replaces the offline API set.
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

#include "cf/error.h"
#include "cf/helm.h"

static char dir[64];

/* What helm v3.22 `helm template r CHART --kube-version v1.31.2 --api-versions x.test/v1/Thing`
 * prints for the chart below. */
static const char helm_output[] = "---\n# Source: rev/templates/a.yaml\nrev: 1\nkube: v1.31.2\n"
				  "beta: true\nx: true\n";

static void put(const char *name, const char *text)
{
	char path[160];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char t[96];
	(void)state;
	strcpy(dir, "/tmp/helm-release-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(t, sizeof(t), "%s/templates", dir);
	assert_int_equal(mkdir(t, 0700), 0);
	put("Chart.yaml", "apiVersion: v2\nname: rev\nversion: 0.1.0\n");
	put("templates/a.yaml", "rev: {{ .Release.Revision }}\nkube: {{ .Capabilities.KubeVersion.Version }}\n"
				"beta: {{ .Capabilities.APIVersions.Has \"policy/v1beta1\" }}\n"
				"x: {{ .Capabilities.APIVersions.Has \"x.test/v1/Thing\" }}\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Renders the chart with revision and the API set (replacing the defaults when replace). */
static char *render(int revision, int replace)
{
	static const char *const apis[] = { "apps/v1", "x.test/v1/Thing" };
	cf_helm_template_opts o = { .release_name = "r", .revision = revision, .kube_version = "v1.31.2",
				    .api_versions = replace ? apis : apis + 1, .n_api_versions = replace ? 2 : 1,
				    .api_versions_replace = replace };
	cf_helm_chart *c = NULL;
	char *out = NULL;
	size_t len;

	assert_int_equal(cf_helm_chart_load(&c, dir), 0);
	assert_int_equal(cf_helm_chart_template(&out, &len, c, &o), 0);
	cf_helm_chart_free(c);
	return out;
}

static void test_template_defaults(void **state)
{
	char *out = render(0, 0);
	(void)state;
	assert_string_equal(out, helm_output);
	free(out);
	out = render(-4, 0);
	assert_string_equal(out, helm_output);
	free(out);
}

static void test_revision(void **state)
{
	char *out = render(7, 0);
	(void)state;
	assert_non_null(strstr(out, "\nrev: 7\n"));
	free(out);
	out = render(2147483647, 0);
	assert_non_null(strstr(out, "\nrev: 2147483647\n"));
	free(out);
}

static void test_cluster_api_set_replaces_defaults(void **state)
{
	char *out = render(2, 1);
	(void)state;
	assert_string_equal(out, "---\n# Source: rev/templates/a.yaml\nrev: 2\nkube: v1.31.2\nbeta: false\nx: true\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_defaults),
		cmocka_unit_test(test_revision),
		cmocka_unit_test(test_cluster_api_set_replaces_defaults),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
