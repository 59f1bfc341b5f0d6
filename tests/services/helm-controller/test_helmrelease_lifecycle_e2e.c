/*
 * HelmRelease lifecycle end to end, beyond install and upgrade: what an upgrade drops or creates
 * (resource-policy keep, cleanupOnFail, force), test failures driving remediation, the
 * RetryOnFailure strategy, release target changes, releases made by `helm install`, ownership of
 * existing objects, spec.chartRef with uninstall.keepHistory, and CRDs created before the render.
 * The real helm reads every release back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "hr_e2e.h"
#include "testsupport.h"

static int setup(void **state)
{
	/* test_helmrelease_e2e deletes and recreates the widgets CRD; this file has CRDs of its own. */
	hre_with_widgets = 0;
	if (hre_setup(state) != 0)
		return -1;
	return getenv("CF_KUBECONFIG") ? hre_create_repo() : 0;
}

/* A HelmRelease of chart hello 0.1.0 from hc-repo with a spec tail (JSON members after "chart"). */
static int create_hr(const char *name, const char *tail)
{
	return sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\",\"metadata\":{\"name\":\"%s\"},"
				   "\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\",\"chart\":{\"spec\":{\"chart\":\"hello\","
				   "\"version\":\"0.1.0\",\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}%s%s}}",
			     name, *tail ? "," : "", tail);
}

static int patch_hr(const char *name, const char *spec)
{
	return cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease '%s' --type merge -p '{\"spec\":%s}' >/dev/null",
		      getenv("CF_KUBECONFIG"), hre.ns, name, spec);
}

static int exists(const char *api, const char *kind, const char *name)
{
	json_t *obj = hre_get(api, kind, name);

	json_decref(obj);
	return obj != NULL;
}

static const char *label(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), key));
}

/* A copy of text with every `from` replaced by `to` (same length). */
static char *replace_all(const char *text, const char *from, const char *to)
{
	char *out = strdup(text), *p = out;

	while ((p = strstr(p, from))) {
		memcpy(p, to, strlen(to));
		p += strlen(to);
	}
	return out;
}

/* The real helm's history of a release: its records' statuses "1:deployed 2:failed ...". */
static char *history_line(const char *release)
{
	char cmd[300];
	json_t *h, *rec;
	size_t i, off = 0;
	char *out = calloc(1, 2048);

	snprintf(cmd, sizeof(cmd), "history %s", release);
	h = hre_helm_json(cmd);
	json_array_foreach(h, i, rec)
		off += (size_t)snprintf(out + off, 2048 - off, "%s%lld:%s", i ? " " : "",
					(long long)json_integer_value(json_object_get(rec, "revision")), hre_s(rec, "status"));
	json_decref(h);
	return out;
}

static void assert_history(const char *release, const char *want)
{
	char *got = history_line(release);

	if (strcmp(got, want) != 0)
		fail_msg("helm history %s: got '%s', want '%s'", release, got, want);
	free(got);
}

/*
 * An upgrade deletes what the new manifest dropped, except an object marked resource-policy keep;
 * with cleanupOnFail a failed upgrade deletes the object it created; a field another manager
 * set survives a server-side apply upgrade but not upgrade.force, which replaces the object.
 */
static void test_prune_keep_cleanup_force(void **state)
{
	json_t *hr, *cm;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(create_hr("pk", "\"values\":{\"extra\":true,\"keep\":true}"), 0);
	hr = hre_wait_released("pk", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_true(exists("v1", "ConfigMap", "pk-extra"));
	assert_true(exists("v1", "ConfigMap", "pk-keep"));

	assert_int_equal(patch_hr("pk", "{\"values\":{\"extra\":null,\"keep\":null,\"message\":\"two\"}}"), 0);
	hr = hre_wait_released("pk", 2);
	assert_non_null(hr);
	json_decref(hr);
	assert_true(hre_gone("v1", "ConfigMap", "pk-extra"));
	assert_true(exists("v1", "ConfigMap", "pk-keep"));
	hre_assert_cm("pk-cm", "message", "two");

	/* The Secret comes before the rejected ConfigMap in Helm's order, so the failed upgrade created it. */
	assert_int_equal(patch_hr("pk", "{\"upgrade\":{\"cleanupOnFail\":true},\"values\":{\"newobj\":true,\"bad\":true}}"), 0);
	hr = hre_wait_cond("pk", "Released", "False", "UpgradeFailed");
	assert_non_null(hr);
	json_decref(hr);
	hr = hre_wait_cond("pk", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	json_decref(hr);
	assert_false(exists("v1", "Secret", "pk-new"));
	assert_history("pk", "1:superseded 2:deployed 3:failed");

	/* A label set with kubectl stays through a server-side apply upgrade. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' label configmap pk-cm owner=someone-else >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	assert_int_equal(patch_hr("pk", "{\"values\":{\"newobj\":null,\"bad\":null,\"message\":\"three\"}}"), 0);
	hr = hre_wait_released("pk", 4);
	assert_non_null(hr);
	json_decref(hr);
	cm = hre_get("v1", "ConfigMap", "pk-cm");
	assert_string_equal(label(cm, "owner"), "someone-else");
	json_decref(cm);

	/* upgrade.force replaces the object: only what the chart says remains. */
	assert_int_equal(patch_hr("pk", "{\"upgrade\":{\"force\":true},\"values\":{\"message\":\"four\"}}"), 0);
	hr = hre_wait_released("pk", 5);
	assert_non_null(hr);
	json_decref(hr);
	cm = hre_get("v1", "ConfigMap", "pk-cm");
	assert_null(label(cm, "owner"));
	assert_string_equal(label(cm, "app.kubernetes.io/managed-by"), "Helm");
	json_decref(cm);
	hre_assert_cm("pk-cm", "message", "four");
	assert_history("pk", "1:superseded 2:superseded 3:failed 4:superseded 5:deployed");
	hre_delete_hr("pk");
	/* Uninstall keeps the resource-policy keep object too, as helm uninstall does. */
	assert_true(exists("v1", "ConfigMap", "pk-keep"));
	assert_false(exists("v1", "ConfigMap", "pk-cm"));
}

/* Marks a Job failed, as the job controller would (none runs here). */
static void fail_job(const char *name)
{
	assert_int_equal(cft_sh("now=$(date -u +%%FT%%TZ); kubectl --kubeconfig '%s' -n '%s' patch job '%s' --subresource=status"
				" --type merge -p \"{\\\"status\\\":{\\\"startTime\\\":\\\"$now\\\",\\\"failed\\\":1,"
				"\\\"conditions\\\":[{\\\"type\\\":\\\"FailureTarget\\\",\\\"status\\\":\\\"True\\\","
				"\\\"reason\\\":\\\"BackoffLimitExceeded\\\"},{\\\"type\\\":\\\"Failed\\\",\\\"status\\\":\\\"True\\\","
				"\\\"reason\\\":\\\"BackoffLimitExceeded\\\"}]}}\" >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, name),
			 0);
}

/*
 * test.enable with a failing test after an upgrade: TestSuccess=False, the failure counts against
 * the upgrade's remediation, and remediateLastFailure rolls back to the release whose tests passed.
 */
static void test_test_failure_remediation(void **state)
{
	json_t *hr, *job;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(create_hr("tf", "\"test\":{\"enable\":true},"
					 "\"upgrade\":{\"remediation\":{\"retries\":0,\"remediateLastFailure\":true}}"),
			 0);
	hr = hre_wait_released("tf", 1);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "TestSuccess", "status"), "True");
	json_decref(hr);

	assert_int_equal(patch_hr("tf", "{\"values\":{\"tjob\":true,\"message\":\"tested\"}}"), 0);
	job = hre_wait_object("batch/v1", "Job", "tf-t");
	assert_non_null(job);
	json_decref(job);
	fail_job("tf-t");
	hr = hre_wait_cond("tf", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "TestSuccess", "status"), "False");
	assert_string_equal(hre_cond(hr, "TestSuccess", "reason"), "TestFailed");
	assert_string_equal(hre_cond(hr, "Remediated", "reason"), "RollbackSucceeded");
	assert_string_equal(hre_cond(hr, "Ready", "status"), "False");
	assert_int_equal(hre_status_int(hr, "upgradeFailures"), 1);
	assert_int_equal(hre_status_int(hr, "failures"), 1);
	json_decref(hr);
	/* Revision 2 was deployed, then its failed test sent it back to revision 1's chart and values. */
	assert_history("tf", "1:superseded 2:superseded 3:deployed");
	hre_assert_cm("tf-cm", "message", "default");
	hre_delete_hr("tf");
}

/*
 * RetryOnFailure: a failing install is neither uninstalled nor stalled; it is tried again (as an
 * upgrade) every retryInterval with Reconciling saying so, and a fix releases it.
 */
static void test_retry_on_failure(void **state)
{
	json_t *hr;
	char *line;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(create_hr("rt", "\"install\":{\"strategy\":{\"name\":\"RetryOnFailure\",\"retryInterval\":\"2s\"}},"
					 "\"upgrade\":{\"strategy\":{\"name\":\"RetryOnFailure\",\"retryInterval\":\"2s\"}},"
					 "\"values\":{\"bad\":true}"),
			 0);
	hr = hre_wait_cond("rt", "Reconciling", "True", "ProgressingWithRetry");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Reconciling", "message"), "retrying after 2s");
	json_decref(hr);
	/* Wait for at least two more attempts, each a new failed revision. */
	for (long long end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		char *st = hre_record_status("rt", 3);
		int third = st && strcmp(st, "failed") == 0;
		free(st);
		if (third)
			break;
	}
	hr = hre_get(HR_API, "HelmRelease", "rt");
	assert_null(hre_cond(hr, "Stalled", "status"));
	assert_null(hre_cond(hr, "Remediated", "status"));
	assert_string_equal(hre_cond(hr, "Ready", "status"), "False");
	assert_string_equal(hre_s(json_object_get(hr, "status"), "lastAttemptedReleaseAction"), "upgrade");
	json_decref(hr);
	line = history_line("rt");
	if (strncmp(line, "1:failed 2:failed 3:failed", 26) != 0)
		fail_msg("helm history rt: %s", line);
	free(line);

	assert_int_equal(patch_hr("rt", "{\"values\":{\"bad\":null}}"), 0);
	for (long long end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		hr = hre_get(HR_API, "HelmRelease", "rt");
		if (hre_eq(hre_cond(hr, "Ready", "status"), "True"))
			break;
		json_decref(hr);
		hr = NULL;
	}
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Released", "reason"), "UpgradeSucceeded");
	assert_int_equal(hre_status_int(hr, "failures"), 0);
	json_decref(hr);
	hre_assert_cm("rt-cm", "message", "default");
	hre_delete_hr("rt");
}

/* A new releaseName is a new release: the old one is uninstalled first, as in Flux. */
static void test_target_change(void **state)
{
	json_t *hr, *list;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(create_hr("tc", ""), 0);
	hr = hre_wait_released("tc", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_true(exists("v1", "ConfigMap", "tc-cm"));
	assert_int_equal(patch_hr("tc", "{\"releaseName\":\"tc-renamed\"}"), 0);
	for (long long end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		hr = hre_get(HR_API, "HelmRelease", "tc");
		json_t *snap = json_array_get(json_object_get(json_object_get(hr, "status"), "history"), 0);
		if (hre_eq(hre_s(snap, "name"), "tc-renamed") && hre_eq(hre_cond(hr, "Ready", "status"), "True"))
			break;
		json_decref(hr);
		hr = NULL;
	}
	assert_non_null(hr);
	assert_int_equal(json_array_size(json_object_get(json_object_get(hr, "status"), "history")), 1);
	json_decref(hr);
	assert_true(hre_gone("v1", "ConfigMap", "tc-cm"));
	char release_id[200];
	snprintf(release_id, sizeof(release_id), "tc-renamed/%s", hre.ns);
	hre_assert_cm("tc-renamed-cm", "release", release_id);
	list = hre_helm_json("list -a --filter '^tc'");
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(hre_s(json_array_get(list, 0), "name"), "tc-renamed");
	json_decref(list);
	char *ev = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get events --field-selector involvedObject.name=tc,"
			      "reason=UninstallSucceeded -o jsonpath='{.items[*].message}'",
			      getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(ev);
	if (!strstr(ev, "Helm uninstall succeeded for release ") || !strstr(ev, "/tc.v1 with chart hello@0.1.0"))
		fail_msg("no UninstallSucceeded event for tc.v1: '%s'", ev);
	free(ev);
	hre_delete_hr("tc");
	assert_true(hre_gone("v1", "ConfigMap", "tc-renamed-cm"));
}

/*
 * A release made by `helm install` is taken over by an upgrade (Flux's unmanaged release). An
 * object that exists without Helm's ownership metadata stops the install with Helm's own message
 * when install.disableTakeOwnership is set (the real helm install says the same), and is adopted
 * without it, as Flux does by default.
 */
static void test_adopt_and_ownership(void **state)
{
	json_t *hr;
	char *helm_err, *ours, *want;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(cft_sh("'%s' --kubeconfig '%s' -n '%s' install ad '%s/hc/hello-0.1.0.tgz' --set message=by-helm >/dev/null",
				hre_helm_bin, getenv("CF_KUBECONFIG"), hre.ns, getenv("HELM_WWW")),
			 0);
	assert_int_equal(create_hr("ad", "\"values\":{\"message\":\"by-flux\"}"), 0);
	hr = hre_wait_released("ad", 2);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Released", "reason"), "UpgradeSucceeded");
	json_decref(hr);
	assert_history("ad", "1:superseded 2:deployed");
	hre_assert_cm("ad-cm", "message", "by-flux");
	hre_delete_hr("ad");

	/* Objects nobody released: the real helm's refusal is the reference. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' create configmap own-cm >/dev/null &&"
				" kubectl --kubeconfig '%s' -n '%s' create configmap ref-cm >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	helm_err = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' install ref '%s/hc/hello-0.1.0.tgz' --skip-crds 2>&1 >/dev/null;"
			      " true", hre_helm_bin, getenv("CF_KUBECONFIG"), hre.ns, getenv("HELM_WWW"));
	assert_non_null(helm_err);
	const char *tail = strstr(helm_err, "Unable to continue with install: ");
	if (!tail)
		fail_msg("unexpected helm output: %s", helm_err);
	want = replace_all(tail, "ref", "own");

	assert_int_equal(create_hr("own", "\"install\":{\"disableTakeOwnership\":true}"), 0);
	hr = hre_wait_cond("own", "Released", "False", "InstallFailed");
	assert_non_null(hr);
	ours = strstr(hre_cond(hr, "Released", "message"), "Unable to continue with install: ");
	if (!ours || strcmp(ours, want) != 0)
		fail_msg("message:\n%s\nwant the tail:\n%s", hre_cond(hr, "Released", "message"), want);
	assert_int_equal(hre_status_int(hr, "installFailures"), 0); /* no record was written */
	json_decref(hr);
	assert_history("own", "");

	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease own --type json"
				" -p '[{\"op\":\"remove\",\"path\":\"/spec/install\"}]' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_wait_released("own", 1);
	assert_non_null(hr);
	json_decref(hr);
	hre_assert_cm("own-cm", "message", "default");
	free(helm_err);
	free(want);
	hre_delete_hr("own");
}

/*
 * spec.chartRef to a HelmChart made by hand: used as is, not named in status.helmChart and not
 * deleted with the HelmRelease. uninstall.keepHistory leaves the record marked uninstalled; a
 * new install over it needs install.replace, as Helm's name check says.
 */
#define CR_HR                                                                                                  \
	"{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\",\"metadata\":{\"name\":\"cr\"},"                   \
	"\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\",\"chartRef\":{\"kind\":\"HelmChart\",\"name\":\"shared\"}," \
	"\"uninstall\":{\"keepHistory\":true}}}"

static void test_chart_ref_keep_history(void **state)
{
	json_t *hr, *history;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"HelmChart\","
					     "\"metadata\":{\"name\":\"shared\"},\"spec\":{\"interval\":\"10m\",\"chart\":\"hello\","
					     "\"version\":\"0.1.0\",\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}"),
			 0);
	assert_int_equal(sc_e2e_create(&hre, CR_HR), 0);
	hr = hre_wait_released("cr", 1);
	assert_non_null(hr);
	assert_null(json_object_get(json_object_get(hr, "status"), "helmChart"));
	assert_string_equal(hre_s(json_object_get(hr, "status"), "lastAttemptedRevision"), "0.1.0");
	json_decref(hr);
	hre_assert_cm("cr-cm", "message", "default");

	hre_delete_hr("cr");
	assert_true(exists("source.toolkit.fluxcd.io/v1", "HelmChart", "shared"));
	assert_true(hre_gone("v1", "ConfigMap", "cr-cm"));
	history = hre_helm_json("history cr");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 1);
	hre_assert_history_entry(history, 0, 1, "uninstalled", "Uninstallation complete");
	json_decref(history);

	assert_int_equal(sc_e2e_create(&hre, CR_HR), 0);
	hr = hre_wait_cond("cr", "Released", "False", "InstallFailed");
	assert_non_null(hr);
	if (!strstr(hre_cond(hr, "Released", "message"), "cannot re-use a name that is still in use"))
		fail_msg("Released message: %s", hre_cond(hr, "Released", "message"));
	json_decref(hr);
	assert_int_equal(patch_hr("cr", "{\"install\":{\"replace\":true}}"), 0);
	hr = hre_wait_released("cr", 2);
	assert_non_null(hr);
	json_decref(hr);
	assert_history("cr", "1:superseded 2:deployed");
	assert_int_equal(patch_hr("cr", "{\"uninstall\":{\"keepHistory\":false}}"), 0);
	hre_delete_hr("cr");
	assert_history("cr", "");
	assert_true(exists("source.toolkit.fluxcd.io/v1", "HelmChart", "shared"));
}

/* A switch from spec.chart to spec.chartRef deletes the HelmChart the release generated, as Flux does. */
static void test_switch_to_chart_ref(void **state)
{
	char generated[300];
	json_t *hr;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	snprintf(generated, sizeof(generated), "%s-sw", hre.ns);
	assert_int_equal(create_hr("sw", ""), 0);
	hr = hre_wait_released("sw", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_true(exists("source.toolkit.fluxcd.io/v1", "HelmChart", generated));
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease sw --type json -p"
				" '[{\"op\":\"remove\",\"path\":\"/spec/chart\"},{\"op\":\"add\",\"path\":\"/spec/chartRef\","
				"\"value\":{\"kind\":\"HelmChart\",\"name\":\"shared\"}}]' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	assert_true(hre_gone("source.toolkit.fluxcd.io/v1", "HelmChart", generated));
	for (long long end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		hr = hre_get(HR_API, "HelmRelease", "sw");
		if (hre_eq(hre_cond(hr, "Ready", "status"), "True") &&
		    hre_status_int(hr, "observedGeneration") == (int64_t)json_integer_value(
			    json_object_get(json_object_get(hr, "metadata"), "generation")))
			break;
		json_decref(hr);
		hr = NULL;
	}
	assert_non_null(hr);
	assert_null(json_object_get(json_object_get(hr, "status"), "helmChart"));
	json_decref(hr);
	assert_true(exists("source.toolkit.fluxcd.io/v1", "HelmChart", "shared"));
	hre_delete_hr("sw");
}

/*
 * A chart whose templates use a kind from its own crds/: Helm creates the CRDs before it renders,
 * so .Capabilities already has the kind on the first install. The CRD's group is unique to the
 * run so no other test has created it.
 */
static void test_crds_before_render(void **state)
{
	char group[128];
	json_t *hr;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	snprintf(group, sizeof(group), "%s.cflux.test", hre.ns);
	assert_int_equal(cft_sh("set -e; d='%s/src/cap'; mkdir -p \"$d/templates\" \"$d/crds\";"
				" printf 'apiVersion: v2\\nname: cap\\nversion: 0.1.0\\n' > \"$d/Chart.yaml\";"
				" printf '%%s\\n' 'apiVersion: apiextensions.k8s.io/v1' 'kind: CustomResourceDefinition'"
				" 'metadata:' '  name: gadgets.%s' 'spec:' '  group: %s' '  scope: Namespaced' '  names:'"
				" '    kind: Gadget' '    plural: gadgets' '    singular: gadget' '    listKind: GadgetList'"
				" '  versions:' '  - name: v1' '    served: true' '    storage: true' '    schema:'"
				" '      openAPIV3Schema:' '        type: object' '        x-kubernetes-preserve-unknown-fields: true'"
				" > \"$d/crds/gadgets.yaml\";"
				" printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: {{ .Release.Name }}-caps\\ndata:\\n"
				"  gadgets: {{ .Capabilities.APIVersions.Has \"%s/v1/Gadget\" | quote }}\\n' > \"$d/templates/cm.yaml\";"
				" printf '{{- if .Capabilities.APIVersions.Has \"%s/v1\" }}\\napiVersion: %s/v1\\nkind: Gadget\\n"
				"metadata:\\n  name: {{ .Release.Name }}-g\\n{{- end }}\\n' > \"$d/templates/gadget.yaml\";"
				" '%s' package \"$d\" -d '%s/hc' >/dev/null; '%s' repo index '%s/hc';"
				" kubectl --kubeconfig '%s' -n '%s' annotate helmrepository hc-repo --overwrite"
				" reconcile.fluxcd.io/requestedAt=\"$(date +%%s%%N)\" >/dev/null",
				hre_helm_dir, group, group, group, group, group, hre_helm_bin, getenv("HELM_WWW"), hre_helm_bin,
				getenv("HELM_WWW"), getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\",\"metadata\":{\"name\":\"cap\"},"
					     "\"spec\":{\"interval\":\"10m\",\"timeout\":\"30s\",\"chart\":{\"spec\":{\"chart\":\"cap\","
					     "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	hr = hre_wait_released("cap", 1);
	assert_non_null(hr);
	json_decref(hr);
	json_t *cm = hre_get("v1", "ConfigMap", "cap-caps");
	assert_non_null(cm);
	assert_string_equal(hre_s(json_object_get(cm, "data"), "gadgets"), "true");
	json_decref(cm);
	char api[200];
	snprintf(api, sizeof(api), "%s/v1", group);
	assert_true(exists(api, "Gadget", "cap-g"));
	hre_delete_hr("cap");
	cft_sh("kubectl --kubeconfig '%s' delete crd gadgets.%s --wait=false >/dev/null 2>&1", getenv("CF_KUBECONFIG"), group);
}

/*
 * postRenderers and commonMetadata: a kustomize patch and a label reach the cluster and the stored
 * manifest, and every object carries Flux's origin labels naming the HelmRelease.
 */
static void test_post_renderers(void **state)
{
	json_t *hr, *cm, *sa;
	char *manifest;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(create_hr("pr", "\"commonMetadata\":{\"labels\":{\"team\":\"payments\"}},"
					 "\"postRenderers\":[{\"kustomize\":{\"patches\":[{\"target\":{\"kind\":\"ConfigMap\","
					 "\"name\":\"pr-cm\"},\"patch\":\"- op: replace\\n  path: /data/message\\n  value: patched\\n\"}]}}]"),
			 0);
	hr = hre_wait_released("pr", 1);
	assert_non_null(hr);
	json_decref(hr);
	hre_assert_cm("pr-cm", "message", "patched");
	cm = hre_get("v1", "ConfigMap", "pr-cm");
	sa = hre_get("v1", "ServiceAccount", "pr-sa");
	assert_non_null(cm);
	assert_non_null(sa);
	assert_string_equal(label(cm, "team"), "payments");
	assert_string_equal(label(cm, "helm.toolkit.fluxcd.io/name"), "pr");
	assert_string_equal(label(sa, "helm.toolkit.fluxcd.io/namespace"), hre.ns);
	json_decref(cm);
	json_decref(sa);
	manifest = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get manifest pr", hre_helm_bin, getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(manifest);
	assert_non_null(strstr(manifest, "message: patched"));
	assert_non_null(strstr(manifest, "helm.toolkit.fluxcd.io/name: pr"));
	free(manifest);
	/* Drift detection compares with the post-rendered manifest: nothing has drifted. */
	assert_int_equal(patch_hr("pr", "{\"driftDetection\":{\"mode\":\"warn\"}}"), 0);
	hr = hre_wait_cond("pr", "Drifted", "False", "NoDriftDetected");
	assert_non_null(hr);
	json_decref(hr);
	hre_delete_hr("pr");
}

/*
 * upgrade.preserveValues keeps values of the current release that the new ones do not set
 * (Helm's --reuse-values); test.filters skips an excluded test hook, so none runs.
 */
static void test_preserve_values_and_test_filters(void **state)
{
	json_t *hr;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(create_hr("pv", "\"values\":{\"message\":\"kept\",\"greeting\":\"g1\"}"), 0);
	hr = hre_wait_released("pv", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease pv --type json -p"
				" '[{\"op\":\"replace\",\"path\":\"/spec/values\",\"value\":{\"greeting\":\"g2\",\"tjob\":true}},"
				"{\"op\":\"add\",\"path\":\"/spec/upgrade\",\"value\":{\"preserveValues\":true}},"
				"{\"op\":\"add\",\"path\":\"/spec/test\",\"value\":{\"enable\":true,"
				"\"filters\":[{\"name\":\"pv-t\",\"exclude\":true}]}}]' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_wait_released("pv", 2);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "TestSuccess", "status"), "True");
	if (!strstr(hre_cond(hr, "TestSuccess", "message"), ": no test hooks"))
		fail_msg("TestSuccess message: %s", hre_cond(hr, "TestSuccess", "message"));
	json_decref(hr);
	hre_assert_cm("pv-cm", "message", "kept");
	hre_assert_cm("pv-cm", "greeting", "g2");
	assert_false(exists("batch/v1", "Job", "pv-t"));
	json_t *values = hre_helm_json("get values pv");
	assert_non_null(values);
	assert_string_equal(hre_s(values, "message"), "kept");
	assert_string_equal(hre_s(values, "greeting"), "g2");
	json_decref(values);
	hre_delete_hr("pv");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prune_keep_cleanup_force),
		cmocka_unit_test(test_test_failure_remediation),
		cmocka_unit_test(test_retry_on_failure),
		cmocka_unit_test(test_target_change),
		cmocka_unit_test(test_adopt_and_ownership),
		cmocka_unit_test(test_chart_ref_keep_history),
		cmocka_unit_test(test_switch_to_chart_ref),
		cmocka_unit_test(test_crds_before_render),
		cmocka_unit_test(test_post_renderers),
		cmocka_unit_test(test_preserve_values_and_test_filters),
	};
	return cmocka_run_group_tests(tests, setup, hre_teardown);
}
