/* fluxconfig-controller's pure parts: the spec translation, per-object compliance, the rollup and inventory ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf/error.h"
#include "fc.h"

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *obj = json_loads(text, 0, &jerr);

	if (!obj)
		fail_msg("bad JSON in test: %s", jerr.text);
	return obj;
}

#define CONFIG_META "\"apiVersion\":\"config.cflux.io/v1\",\"kind\":\"FluxConfig\"," \
	"\"metadata\":{\"name\":\"fleet\",\"namespace\":\"team\",\"uid\":\"u-1\"}"
#define GIT "\"gitRepository\":{\"url\":\"https://example.com/fleet.git\",\"repositoryRef\":{\"branch\":\"main\"}}"

static const char *field(const json_t *obj, const char *path)
{
	return cf_object_str(obj, path);
}

static void test_defaults_and_names(void **state)
{
	json_t *cfg = load("{" CONFIG_META ",\"spec\":{" GIT ",\"kustomizations\":{\"zz\":{},\"apps\":{\"path\":\"./apps\","
			   "\"dependsOn\":[\"zz\"],\"retryIntervalInSeconds\":30}}}}");
	json_t *out = NULL, *git, *apps, *zz;

	(void)state;
	assert_int_equal(fc_spec_desired(&out, cfg, NULL), 0);
	assert_int_equal(json_array_size(out), 3);
	git = json_array_get(out, 0);
	apps = json_array_get(out, 1);
	zz = json_array_get(out, 2);
	assert_string_equal(field(git, "kind"), "GitRepository");
	assert_string_equal(field(git, "metadata.name"), "fleet");
	assert_string_equal(field(git, "spec.interval"), "10m0s");
	assert_string_equal(field(git, "spec.timeout"), "10m0s");
	assert_string_equal(field(git, "spec.ref.branch"), "main");
	assert_null(json_object_get(json_object_get(git, "spec"), "secretRef"));
	assert_string_equal(field(apps, "metadata.name"), "fleet-apps");
	assert_string_equal(field(zz, "metadata.name"), "fleet-zz");
	assert_string_equal(field(zz, "spec.path"), "./");
	assert_true(json_is_true(json_object_get(json_object_get(zz, "spec"), "wait")));
	assert_true(json_is_false(json_object_get(json_object_get(zz, "spec"), "prune")));
	assert_null(json_object_get(json_object_get(zz, "spec"), "retryInterval"));
	assert_string_equal(field(apps, "spec.retryInterval"), "30s");
	assert_string_equal(field(apps, "spec.sourceRef.name"), "fleet");
	assert_string_equal(cf_object_str(json_array_get(json_object_get(json_object_get(apps, "spec"), "dependsOn"), 0), "name"),
			    "fleet-zz");
	assert_string_equal(cf_object_meta(apps, "labels", FC_LABEL_NAME), "fleet");
	assert_string_equal(cf_object_meta(apps, "labels", FC_LABEL_NAMESPACE), "team");
	assert_string_equal(field(json_array_get(json_object_get(json_object_get(apps, "metadata"), "ownerReferences"), 0), "uid"),
			    "u-1");
	assert_null(json_object_get(json_object_get(apps, "spec"), "suspend"));
	json_decref(out);
	json_decref(cfg);
}

/* Older API versions wrote dependsOn as [{kustomizationName}]. */
static void test_depends_on_object_form(void **state)
{
	json_t *cfg = load("{" CONFIG_META ",\"spec\":{" GIT ",\"kustomizations\":{\"a\":{},\"b\":{\"dependsOn\":"
			   "[{\"kustomizationName\":\"a\"}]}}}}");
	json_t *out = NULL;

	(void)state;
	assert_int_equal(fc_spec_desired(&out, cfg, "creds"), 0);
	assert_string_equal(cf_object_str(json_array_get(json_object_get(json_object_get(json_array_get(out, 2), "spec"),
		"dependsOn"), 0), "name"), "fleet-a");
	assert_string_equal(field(json_array_get(out, 0), "spec.secretRef.name"), "creds");
	json_decref(out);
	json_decref(cfg);
}

static void test_other_namespace_scope_and_suspend(void **state)
{
	json_t *cfg = load("{" CONFIG_META ",\"spec\":{\"namespace\":\"apps\",\"scope\":\"namespace\",\"suspend\":true," GIT
			   ",\"kustomizations\":{\"a\":{}}}}");
	json_t *out = NULL, *obj;
	size_t i;

	(void)state;
	assert_int_equal(fc_spec_desired(&out, cfg, NULL), 0);
	json_array_foreach(out, i, obj) {
		assert_string_equal(field(obj, "metadata.namespace"), "apps");
		/* Owner references cannot point across namespaces. */
		assert_null(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"));
		assert_true(json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend")));
	}
	assert_string_equal(field(json_array_get(out, 1), "spec.targetNamespace"), "apps");
	json_decref(out);
	json_decref(cfg);
}

/* Each bad spec is refused with a message naming the field. */
static void test_invalid_specs(void **state)
{
	static const struct {
		const char *spec, *want;
	} cases[] = {
		{"\"sourceKind\":\"Bucket\"," GIT, "sourceKind 'Bucket' is not supported"},
		{"\"gitRepository\":{\"url\":\"https://x/y\"}", "repositoryRef needs one of"},
		{"\"gitRepository\":{\"url\":\"file:///etc\",\"repositoryRef\":{\"tag\":\"v1\"}}", "the scheme must be"},
		{"\"gitRepository\":{\"repositoryRef\":{\"tag\":\"v1\"}}", "url is required"},
		{GIT ",\"kustomizations\":{\"Bad_Name\":{}}", "not a valid name"},
		{GIT ",\"kustomizations\":{\"a\":{\"dependsOn\":[\"nope\"]}}", "'nope' is not another kustomization"},
		{GIT ",\"kustomizations\":{\"a\":{\"dependsOn\":[\"a\"]}}", "'a' is not another kustomization"},
		{GIT ",\"kustomizations\":{\"a\":{\"syncIntervalInSeconds\":0}}", "syncIntervalInSeconds must be"},
		{GIT ",\"kustomizations\":{\"a\":{\"timeoutInSeconds\":99999999999}}", "timeoutInSeconds must be"},
		{GIT ",\"kustomizations\":{\"a\":\"./x\"}", "must be an object"},
		{GIT ",\"kustomizations\":[]", "must be a map"},
		{GIT ",\"scope\":\"tenant\"", "scope must be cluster or namespace"},
		{"", "spec.gitRepository is required"},
	};
	char text[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *out = NULL, *cfg;
		snprintf(text, sizeof(text), "{" CONFIG_META ",\"spec\":{%s}}", cases[i].spec);
		cfg = load(text);
		assert_true(fc_spec_desired(&out, cfg, NULL) < 0);
		assert_null(out);
		if (!strstr(cf_error_last(), cases[i].want))
			fail_msg("case %zu: '%s' does not contain '%s'", i, cf_error_last(), cases[i].want);
		json_decref(cfg);
	}
}

static void test_compliance_of(void **state)
{
	static const struct {
		const char *obj, *want;
	} cases[] = {
		{"{\"metadata\":{\"generation\":2},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
		 "\"observedGeneration\":2}]}}", FC_COMPLIANT},
		{"{\"metadata\":{\"generation\":3},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
		 "\"observedGeneration\":2}]}}", FC_PENDING},
		{"{\"metadata\":{\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Reconciling\",\"status\":\"True\","
		 "\"reason\":\"ProgressingWithRetry\"},{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"BuildFailed\"}]}}",
		 FC_NON_COMPLIANT},
		{"{\"metadata\":{\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Reconciling\",\"status\":\"True\","
		 "\"reason\":\"Progressing\"},{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"Progressing\"}]}}", FC_PENDING},
		{"{\"metadata\":{\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
		 "\"reason\":\"DependencyNotReady\"}]}}", FC_PENDING},
		{"{\"metadata\":{\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
		 "\"reason\":\"ArtifactFailed\"}]}}", FC_NON_COMPLIANT},
		{"{\"metadata\":{\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}",
		 FC_PENDING},
		{"{\"metadata\":{\"generation\":1}}", FC_PENDING},
		{"{\"spec\":{\"suspend\":true},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}",
		 FC_SUSPENDED},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *obj = load(cases[i].obj);
		if (strcmp(fc_compliance_of(obj), cases[i].want) != 0)
			fail_msg("case %zu: %s, want %s", i, fc_compliance_of(obj), cases[i].want);
		json_decref(obj);
	}
}

static void test_rollup(void **state)
{
	json_t *ok = load("[{\"kind\":\"GitRepository\",\"name\":\"a\",\"namespace\":\"n\",\"complianceState\":\"Compliant\"}]");
	json_t *bad = load("[{\"kind\":\"GitRepository\",\"name\":\"a\",\"namespace\":\"n\",\"complianceState\":\"Pending\"},"
			   "{\"kind\":\"Kustomization\",\"name\":\"b\",\"namespace\":\"n\",\"complianceState\":\"Non-Compliant\","
			   "\"statusConditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"message\":\"kustomize build failed\"}]}]");
	json_t *pending = load("[{\"complianceState\":\"Compliant\"},{\"complianceState\":\"Suspended\"}]");
	json_t *empty = json_array();
	char err[256];

	(void)state;
	assert_string_equal(fc_compliance_rollup(ok, 0, err, sizeof(err)), FC_COMPLIANT);
	assert_string_equal(err, "");
	assert_string_equal(fc_compliance_rollup(bad, 0, err, sizeof(err)), FC_NON_COMPLIANT);
	assert_string_equal(err, "Kustomization/n/b: kustomize build failed");
	assert_string_equal(fc_compliance_rollup(bad, 1, err, sizeof(err)), FC_SUSPENDED);
	assert_string_equal(fc_compliance_rollup(pending, 0, err, sizeof(err)), FC_PENDING);
	assert_string_equal(fc_compliance_rollup(empty, 0, err, sizeof(err)), FC_PENDING);
	json_decref(ok);
	json_decref(bad);
	json_decref(pending);
	json_decref(empty);
}

/* Kustomizations that only lack an artifact wait for a source that is not ready yet. */
static void test_source_gate(void **state)
{
	static const char *ks_fail = "{\"kind\":\"Kustomization\",\"name\":\"k\",\"complianceState\":\"Non-Compliant\","
				     "\"statusConditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"%s\"}]}";
	char text[1024], a[300], b[300];
	json_t *st;

	(void)state;
	snprintf(a, sizeof(a), ks_fail, "ArtifactFailed");
	snprintf(b, sizeof(b), ks_fail, "BuildFailed");
	snprintf(text, sizeof(text), "[{\"kind\":\"GitRepository\",\"complianceState\":\"Pending\"},%s,%s]", a, b);
	st = load(text);
	fc_compliance_source_gate(st);
	assert_string_equal(cf_object_str(json_array_get(st, 1), "complianceState"), FC_PENDING);
	assert_string_equal(cf_object_str(json_array_get(st, 2), "complianceState"), FC_NON_COMPLIANT);
	json_decref(st);
	snprintf(text, sizeof(text), "[{\"kind\":\"GitRepository\",\"complianceState\":\"Compliant\"},%s]", a);
	st = load(text);
	fc_compliance_source_gate(st);
	assert_string_equal(cf_object_str(json_array_get(st, 1), "complianceState"), FC_NON_COMPLIANT);
	json_decref(st);
}

static void test_helmrelease_entry(void **state)
{
	json_t *hr = load("{\"kind\":\"HelmRelease\",\"metadata\":{\"name\":\"podinfo\",\"namespace\":\"apps\",\"generation\":1},"
			  "\"status\":{\"helmChart\":\"flux-system/apps-podinfo\",\"failures\":2,\"upgradeFailures\":1,"
			  "\"history\":[{\"version\":4,\"chartVersion\":\"6.5.0\"},{\"version\":3}],"
			  "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"observedGeneration\":1,\"reason\":\"x\","
			  "\"message\":\"ok\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}");
	json_t *e = fc_compliance_entry(hr, "fleet-apps", "team");

	(void)state;
	assert_string_equal(cf_object_str(e, "complianceState"), FC_COMPLIANT);
	assert_string_equal(cf_object_str(e, "appliedBy.name"), "fleet-apps");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "helmReleaseProperties"), "lastRevisionApplied")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "helmReleaseProperties"), "failureCount")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "helmReleaseProperties"), "installFailureCount")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "helmReleaseProperties"), "upgradeFailureCount")), 1);
	assert_string_equal(cf_object_str(e, "helmReleaseProperties.helmChartRef.name"), "apps-podinfo");
	assert_string_equal(cf_object_str(e, "helmReleaseProperties.helmChartRef.namespace"), "flux-system");
	assert_string_equal(cf_object_str(json_array_get(json_object_get(e, "statusConditions"), 0), "message"), "ok");
	json_decref(e);
	json_decref(hr);
}

/* Inventory ids from a Kustomization's status: Flux kinds kept, others and malformed ids skipped. */
static void test_inventory_refs(void **state)
{
	json_t *ks = load("{\"status\":{\"inventory\":{\"entries\":["
			  "{\"id\":\"apps_podinfo_helm.toolkit.fluxcd.io_HelmRelease\",\"v\":\"v2\"},"
			  "{\"id\":\"apps_cm__ConfigMap\",\"v\":\"v1\"},"
			  "{\"id\":\"_cluster-ks_kustomize.toolkit.fluxcd.io_Kustomization\",\"v\":\"v1\"},"
			  "{\"id\":\"a_b_c_d_e\",\"v\":\"v1\"},{\"id\":\"__helm.toolkit.fluxcd.io_HelmRelease\"},"
			  "{\"id\":\"x\"},{\"id\":\"\"},{\"v\":\"v1\"},"
			  "{\"id\":\"flux-system_repo_source.toolkit.fluxcd.io_HelmRepository\"}]}}}");
	json_t *refs = fc_compliance_inventory_refs(ks, 100), *one;

	(void)state;
	assert_int_equal(json_array_size(refs), 3);
	assert_string_equal(cf_object_str(json_array_get(refs, 0), "kind"), "HelmRelease");
	assert_string_equal(cf_object_str(json_array_get(refs, 0), "apiVersion"), FC_HR_API);
	assert_string_equal(cf_object_str(json_array_get(refs, 0), "namespace"), "apps");
	assert_string_equal(cf_object_str(json_array_get(refs, 1), "name"), "cluster-ks");
	assert_string_equal(cf_object_str(json_array_get(refs, 1), "namespace"), "");
	assert_string_equal(cf_object_str(json_array_get(refs, 2), "kind"), "HelmRepository");
	one = fc_compliance_inventory_refs(ks, 1);
	assert_int_equal(json_array_size(one), 1);
	json_decref(one);
	json_decref(refs);
	json_decref(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_names),
		cmocka_unit_test(test_depends_on_object_form),
		cmocka_unit_test(test_other_namespace_scope_and_suspend),
		cmocka_unit_test(test_invalid_specs),
		cmocka_unit_test(test_compliance_of),
		cmocka_unit_test(test_rollup),
		cmocka_unit_test(test_source_gate),
		cmocka_unit_test(test_helmrelease_entry),
		cmocka_unit_test(test_inventory_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
