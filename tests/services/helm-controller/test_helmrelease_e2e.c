/*
 * HelmRelease end to end: real kube-apiserver, a Helm HTTP repository holding a chart packaged and
 * indexed by the real helm CLI, the source-controller and helm-controller binaries. The real helm
 * reads back the releases the controller recorded (list, get values, history).
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

static void test_install_and_upgrade(void **state)
{
	char chart_ref[300], release_id[200];
	json_t *hr, *list, *values, *history, *snap;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(hre_create_repo(), 0);
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"hello-values\"},"
					   "\"data\":{\"values.yaml\":\"greeting: from-configmap\\nmessage: overridden\\n\"}}"),
			 0);
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"hello\"},\"spec\":{\"interval\":\"10m\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"valuesFrom\":[{\"kind\":\"ConfigMap\",\"name\":\"hello-values\"}],"
					   "\"maxHistory\":2,\"values\":{\"message\":\"one\"}}}"),
			 0);

	/* Install: objects in the cluster, Helm's storage, Flux's status. */
	hr = hre_wait_released("hello", 1);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", hre.dir);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Released", "reason"), "InstallSucceeded");
	/* The HelmChart's ArtifactReady reached helm-controller over source-controller's bus. */
	assert_int_equal(cft_sh("grep -q 'artifact ready hint for HelmChart/%s/%s-hello at 0.1.0' '%s/helm-controller.log'",
				hre.ns, hre.ns, hre.dir),
			 0);
	snprintf(chart_ref, sizeof(chart_ref), "%s/%s-hello", hre.ns, hre.ns);
	snprintf(release_id, sizeof(release_id), "hello/%s", hre.ns);
	assert_string_equal(hre_s(json_object_get(hr, "status"), "helmChart"), chart_ref);
	assert_string_equal(hre_s(json_object_get(hr, "status"), "lastAttemptedRevision"), "0.1.0");
	assert_string_equal(hre_s(json_object_get(hr, "status"), "storageNamespace"), hre.ns);
	snap = json_array_get(json_object_get(json_object_get(hr, "status"), "history"), 0);
	assert_string_equal(hre_s(snap, "chartName"), "hello");
	assert_string_equal(hre_s(snap, "appVersion"), "1.2.3");
	assert_string_equal(hre_s(snap, "status"), "deployed");
	json_decref(hr);
	hre_assert_cm("hello-cm", "message", "one");
	hre_assert_cm("hello-cm", "greeting", "from-configmap");
	hre_assert_cm("hello-cm", "release", release_id);
	hre_assert_cm("hello-cm", "upgrade", "false");
	hre_assert_cm("hello-cm", "install", "true");
	/* helm install renders revision 1 with the cluster's version and discovery (which replaces
	 * helm template's offline set: this server no longer serves policy/v1beta1). */
	char *kube = hre_server_version();
	assert_non_null(kube);
	hre_assert_cm("hello-cm", "revision", "1");
	hre_assert_cm("hello-cm", "kube", kube);
	hre_assert_cm("hello-cm", "apps", "true");
	hre_assert_cm("hello-cm", "beta", "false");
	/* The CRD from crds/ went in before the custom resource that needs it. */
	json_t *w = hre_get("hc.cflux.test/v1", "Widget", "hello-w");
	assert_non_null(w);
	assert_string_equal(hre_s(json_object_get(w, "spec"), "size"), "one");
	json_t *mf = json_object_get(json_object_get(w, "metadata"), "managedFields");
	assert_string_equal(hre_s(json_array_get(mf, 0), "manager"), "helm-controller");
	json_decref(w);
	json_t *sa = hre_get("v1", "ServiceAccount", "hello-sa");
	assert_non_null(sa);
	json_decref(sa);

	list = hre_helm_json("list");
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(hre_s(json_array_get(list, 0), "name"), "hello");
	assert_string_equal(hre_s(json_array_get(list, 0), "revision"), "1");
	assert_string_equal(hre_s(json_array_get(list, 0), "status"), "deployed");
	assert_string_equal(hre_s(json_array_get(list, 0), "chart"), "hello-0.1.0");
	assert_string_equal(hre_s(json_array_get(list, 0), "app_version"), "1.2.3");
	json_decref(list);
	values = hre_helm_json("get values hello");
	assert_non_null(values);
	assert_string_equal(hre_s(values, "message"), "one");
	assert_string_equal(hre_s(values, "greeting"), "from-configmap");
	json_decref(values);

	/*
	 * The stored manifest is what the real helm renders for the same chart and values, hooks left
	 * out, with Flux's origin labels put on by kustomize's LabelTransformer as Flux's post-renderer
	 * does (the real kubectl kustomize here).
	 */
	char *stored = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get manifest hello", hre_helm_bin, getenv("CF_KUBECONFIG"),
				  hre.ns);
	char *rendered = cft_sh_out("set -e; d='%s/origin'; mkdir -p \"$d\";"
				    " printf '{\"greeting\":\"from-configmap\",\"message\":\"one\"}' > '%s/v1.json';"
				    " '%s' template hello '%s/hc/hello-0.1.0.tgz' --no-hooks --validate --kubeconfig '%s'"
				    " -n '%s' -f '%s/v1.json' > \"$d/helm-output.yaml\";"
				    " printf '%%s\\n' 'resources: [helm-output.yaml]' 'sortOptions: {order: fifo}' 'transformers:'"
				    " '- |' '  apiVersion: builtin' '  kind: LabelTransformer' '  metadata: {name: origin}' '  labels:'"
				    " '    helm.toolkit.fluxcd.io/name: hello' '    helm.toolkit.fluxcd.io/namespace: %s'"
				    " '  fieldSpecs: [{path: metadata/labels, create: true}]' > \"$d/kustomization.yaml\";"
				    " kubectl kustomize \"$d\"",
				    hre.dir, hre.dir, hre_helm_bin, getenv("HELM_WWW"), getenv("CF_KUBECONFIG"), hre.ns, hre.dir, hre.ns);
	assert_non_null(stored);
	assert_non_null(rendered);
	assert_string_equal(stored, rendered);
	free(stored);
	free(rendered);

	json_t *st = hre_helm_json("status hello");
	assert_non_null(st);
	char first[64];
	snprintf(first, sizeof(first), "%s", hre_s(json_object_get(st, "info"), "first_deployed"));
	assert_true(strlen(first) > 0);
	assert_string_equal(hre_s(json_object_get(st, "info"), "status"), "deployed");
	json_decref(st);

	/* Upgrade on new values: revision 2, revision 1 superseded, first deployment time kept. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease hello --type merge"
				" -p '{\"spec\":{\"values\":{\"message\":\"two\"}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_wait_released("hello", 2);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", hre.dir);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Released", "reason"), "UpgradeSucceeded");
	json_decref(hr);
	hre_assert_cm("hello-cm", "message", "two");
	/* An upgrade renders with .Release.IsUpgrade, as helm upgrade does. */
	hre_assert_cm("hello-cm", "upgrade", "true");
	hre_assert_cm("hello-cm", "install", "false");
	hre_assert_cm("hello-cm", "revision", "2");
	hre_assert_cm("hello-cm", "kube", kube);
	/* The real helm upgrading the same release renders the next revision with the same version. */
	char args[4400], line[200];
	snprintf(args, sizeof(args), "upgrade hello '%s/hc/hello-0.1.0.tgz' --dry-run=server --reuse-values",
		 getenv("HELM_WWW"));
	json_t *dry = hre_helm_json(args);
	assert_non_null(dry);
	assert_int_equal(json_integer_value(json_object_get(dry, "version")), 3);
	assert_non_null(strstr(hre_s(dry, "manifest"), "revision: \"3\"\n"));
	snprintf(line, sizeof(line), "kube: \"%s\"\n", kube);
	assert_non_null(strstr(hre_s(dry, "manifest"), line));
	assert_non_null(strstr(hre_s(dry, "manifest"), "beta: \"false\"\n"));
	json_decref(dry);
	free(kube);
	history = hre_helm_json("history hello");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 0), "revision")), 1);
	assert_string_equal(hre_s(json_array_get(history, 0), "status"), "superseded");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 1), "revision")), 2);
	assert_string_equal(hre_s(json_array_get(history, 1), "status"), "deployed");
	assert_string_equal(hre_s(json_array_get(history, 1), "description"), "Upgrade complete");
	json_decref(history);
	st = hre_helm_json("status hello");
	assert_non_null(st);
	assert_string_equal(hre_s(json_object_get(st, "info"), "first_deployed"), first);
	assert_int_equal(json_integer_value(json_object_get(st, "version")), 2);
	json_decref(st);
	values = hre_helm_json("get values hello");
	assert_non_null(values);
	assert_string_equal(hre_s(values, "message"), "two");
	json_decref(values);
}

/* A new chart version upgrades to revision 3; maxHistory 2 prunes revision 1 from Helm's storage. */
static void test_chart_upgrade_and_history_limit(void **state)
{
	json_t *hr, *history, *list, *snap;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(hre_make_chart("0.2.0", "1.2.4"), 0);
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' annotate helmrepository hc-repo --overwrite"
				" reconcile.fluxcd.io/requestedAt=\"$(date +%%s%%N)\" >/dev/null &&"
				" kubectl --kubeconfig '%s' -n '%s' patch helmrelease hello --type merge"
				" -p '{\"spec\":{\"chart\":{\"spec\":{\"version\":\"0.2.0\"}}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_wait_released("hello", 3);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", hre.dir);
	assert_non_null(hr);
	assert_string_equal(hre_s(json_object_get(hr, "status"), "lastAttemptedRevision"), "0.2.0");
	snap = json_array_get(json_object_get(json_object_get(hr, "status"), "history"), 0);
	assert_string_equal(hre_s(snap, "chartVersion"), "0.2.0");
	assert_string_equal(hre_s(snap, "appVersion"), "1.2.4");
	json_decref(hr);
	list = hre_helm_json("list");
	assert_non_null(list);
	assert_string_equal(hre_s(json_array_get(list, 0), "revision"), "3");
	assert_string_equal(hre_s(json_array_get(list, 0), "chart"), "hello-0.2.0");
	assert_string_equal(hre_s(json_array_get(list, 0), "app_version"), "1.2.4");
	json_decref(list);
	history = hre_helm_json("history hello");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 0), "revision")), 2);
	assert_string_equal(hre_s(json_array_get(history, 0), "status"), "superseded");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 1), "revision")), 3);
	assert_string_equal(hre_s(json_array_get(history, 1), "status"), "deployed");
	json_decref(history);
}

/* Deleting the HelmRelease uninstalls the release (objects and records) and deletes its HelmChart. */
static void test_delete(void **state)
{
	cf_kube_ref ref = {HR_API, "HelmRelease", NULL, "hello"};
	char chart[300];
	json_t *hr = NULL, *hc = NULL;
	long long end;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	ref.namespace_ = hre.ns;
	snprintf(chart, sizeof(chart), "%s-hello", hre.ns);
	assert_int_equal(cf_kube_delete(hre.kube, NULL, &ref, NULL), 0);
	for (end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		json_decref(hr);
		json_decref(hc);
		hr = hre_get(HR_API, "HelmRelease", "hello");
		hc = hre_get("source.toolkit.fluxcd.io/v1", "HelmChart", chart);
		if (!hr && !hc)
			break;
	}
	assert_null(hr);
	assert_null(hc);
	json_t *cm = hre_get("v1", "ConfigMap", "hello-cm"), *sa = hre_get("v1", "ServiceAccount", "hello-sa");
	assert_null(cm);
	assert_null(sa);
	json_t *list = hre_helm_json("list -a");
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	char *records = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get secrets -l owner=helm -o name | wc -l",
				   getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(records);
	assert_string_equal(records, "0");
	free(records);
}

/* targetNamespace with install.createNamespace: objects there, release "<target>-<name>" stored here. */
static void test_target_namespace(void **state)
{
	cf_kube_ref ref = {HR_API, "HelmRelease", NULL, "other"};
	char target[128], release[200], cm_name[260], cmd[300];
	json_t *hr, *list, *cm;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	snprintf(target, sizeof(target), "%s-t", hre.ns);
	snprintf(release, sizeof(release), "%s-other", target);
	snprintf(cm_name, sizeof(cm_name), "%s-cm", release);
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"other\"},\"spec\":{\"interval\":\"10m\","
					   "\"targetNamespace\":\"%s\",\"install\":{\"createNamespace\":true},"
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}",
				       target),
			 0);
	hr = hre_wait_released("other", 1);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", hre.dir);
	assert_non_null(hr);
	json_decref(hr);
	cm = NULL;
	{
		cf_kube_ref cref = {"v1", "ConfigMap", target, cm_name};
		char *text = NULL;
		assert_int_equal(cf_kube_get(hre.kube, &text, &cref), 0);
		cm = json_loads(text, 0, NULL);
		free(text);
	}
	assert_string_equal(hre_s(json_object_get(cm, "data"), "message"), "default");
	json_decref(cm);
	snprintf(cmd, sizeof(cmd), "list --filter '^%s$'", release);
	list = hre_helm_json(cmd);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(hre_s(json_array_get(list, 0), "name"), release);
	assert_string_equal(hre_s(json_array_get(list, 0), "namespace"), target);
	assert_string_equal(hre_s(json_array_get(list, 0), "status"), "deployed");
	json_decref(list);
	ref.namespace_ = hre.ns;
	assert_int_equal(cf_kube_delete(hre.kube, NULL, &ref, NULL), 0);
	long long end;
	for (end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end && (hr = hre_get(HR_API, "HelmRelease", "other"));
	     usleep(300000))
		json_decref(hr);
	assert_null(hre_get(HR_API, "HelmRelease", "other"));
}

/*
 * A chart version the repository does not have: Ready=False with SourceNotReady naming the
 * HelmChart and what it lacks, as Flux's isReady says it, and nothing installed.
 */
static void test_missing_chart_version(void **state)
{
	cf_kube_ref ref = {HR_API, "HelmRelease", NULL, "absent"};
	json_t *hr = NULL;
	const char *ready = NULL, *reason = NULL;
	long long end;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"absent\"},\"spec\":{\"interval\":\"10m\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"9.9.9\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	for (end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		json_decref(hr);
		hr = hre_get(HR_API, "HelmRelease", "absent");
		ready = hre_cond(hr, "Ready", "status");
		reason = hre_cond(hr, "Ready", "reason");
		if (ready && strcmp(ready, "False") == 0 && reason && strcmp(reason, "SourceNotReady") == 0)
			break;
	}
	assert_non_null(ready);
	assert_string_equal(ready, "False");
	assert_string_equal(reason, "SourceNotReady");
	char want[300];
	snprintf(want, sizeof(want), "HelmChart '%s/%s-absent' is not ready: ", hre.ns, hre.ns);
	if (strncmp(hre_cond(hr, "Ready", "message"), want, strlen(want)) != 0)
		fail_msg("Ready message '%s' does not start with '%s'", hre_cond(hr, "Ready", "message"), want);
	assert_null(json_object_get(json_object_get(hr, "status"), "history"));
	json_decref(hr);
	ref.namespace_ = hre.ns;
	assert_int_equal(cf_kube_delete(hre.kube, NULL, &ref, NULL), 0);
	for (end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end && (hr = hre_get(HR_API, "HelmRelease", "absent"));
	     usleep(300000))
		json_decref(hr);
	assert_null(hre_get(HR_API, "HelmRelease", "absent"));
}

/*
 * An upgrade the API server rejects, with upgrade.remediation.retries 1: fail, roll back, fail
 * again, roll back the last failure too, then stall; the real helm sees Helm's own history. New
 * values clear the counters and upgrade.
 */
static void test_upgrade_remediation(void **state)
{
	json_t *hr, *history;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"rb\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"upgrade\":{\"remediation\":{\"retries\":1}},\"values\":{\"message\":\"good\"}}}"),
			 0);
	hr = hre_wait_released("rb", 1);
	assert_non_null(hr);
	json_decref(hr);
	hre_assert_cm("rb-cm", "message", "good");

	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease rb --type merge"
				" -p '{\"spec\":{\"values\":{\"message\":\"changed\",\"bad\":true}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_wait_cond("rb", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Stalled", "message"), "Failed to upgrade after 2 attempt(s)");
	assert_int_equal(hre_status_int(hr, "upgradeFailures"), 2);
	assert_int_equal(hre_status_int(hr, "failures"), 2);
	assert_int_equal(hre_status_int(hr, "installFailures"), 0);
	assert_string_equal(hre_cond(hr, "Released", "status"), "False");
	assert_string_equal(hre_cond(hr, "Released", "reason"), "UpgradeFailed");
	assert_string_equal(hre_cond(hr, "Remediated", "status"), "True");
	assert_string_equal(hre_cond(hr, "Remediated", "reason"), "RollbackSucceeded");
	assert_string_equal(hre_cond(hr, "Ready", "status"), "False");
	assert_string_equal(hre_cond(hr, "Ready", "reason"), "RollbackSucceeded");
	assert_string_equal(hre_s(json_object_get(hr, "status"), "lastAttemptedReleaseAction"), "upgrade");
	json_decref(hr);
	/* The rollbacks put the old values back; the rejected object never came. */
	hre_assert_cm("rb-cm", "message", "good");
	assert_null(hre_get("v1", "ConfigMap", "rb-bad"));
	/* What `helm upgrade` then `helm rollback` write, twice over. */
	history = hre_helm_json("history rb");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 5);
	hre_assert_history_entry(history, 0, 1, "superseded", "Install complete");
	hre_assert_history_entry(history, 1, 2, "failed", "Upgrade \"rb\" failed: ");
	hre_assert_history_entry(history, 2, 3, "superseded", "Rollback to 1");
	hre_assert_history_entry(history, 3, 4, "failed", "Upgrade \"rb\" failed: ");
	hre_assert_history_entry(history, 4, 5, "deployed", "Rollback to 3");
	json_decref(history);
	json_t *values = hre_helm_json("get values rb");
	assert_non_null(values);
	assert_string_equal(hre_s(values, "message"), "good");
	json_decref(values);

	/* A fix in the values is a new attempt: counters cleared, upgrade, Ready again. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease rb --type merge"
				" -p '{\"spec\":{\"values\":{\"message\":\"fixed\",\"bad\":null}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_wait_released("rb", 6);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Ready", "reason"), "UpgradeSucceeded");
	assert_null(hre_cond(hr, "Stalled", "status"));
	assert_null(hre_cond(hr, "Remediated", "status"));
	assert_int_equal(hre_status_int(hr, "upgradeFailures"), 0);
	json_decref(hr);
	hre_assert_cm("rb-cm", "message", "fixed");
	history = hre_helm_json("history rb");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 5);
	hre_assert_history_entry(history, 3, 5, "superseded", "Rollback to 3");
	hre_assert_history_entry(history, 4, 6, "deployed", "Upgrade complete");
	json_decref(history);
	hre_delete_hr("rb");
}

/* An install the API server rejects, install.remediation.retries 1: uninstall, install again, stall. */
static void test_install_remediation(void **state)
{
	json_t *hr, *history;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"ri\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"install\":{\"remediation\":{\"retries\":1}},\"values\":{\"bad\":true}}}"),
			 0);
	hr = hre_wait_cond("ri", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Stalled", "message"), "Failed to install after 2 attempt(s)");
	assert_int_equal(hre_status_int(hr, "installFailures"), 2);
	assert_int_equal(hre_status_int(hr, "failures"), 2);
	assert_string_equal(hre_cond(hr, "Released", "reason"), "InstallFailed");
	assert_string_equal(hre_cond(hr, "Remediated", "reason"), "UninstallSucceeded");
	assert_string_equal(hre_cond(hr, "Ready", "status"), "False");
	json_decref(hr);
	/* The first failed revision was uninstalled; the last failure is kept, as remediateLastFailure is off. */
	history = hre_helm_json("history ri");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 1);
	hre_assert_history_entry(history, 0, 1, "failed", "Release \"ri\" failed: ");
	json_decref(history);
	hre_delete_hr("ri");
	assert_null(hre_get("v1", "ConfigMap", "ri-cm"));
}

/*
 * helm-controller killed (SIGKILL) while an upgrade waits for a Deployment: the record stays
 * pending-upgrade; after a restart it is unlocked once older than the timeout, and the upgrade
 * runs again to deployed.
 */
static void test_killed_during_upgrade(void **state)
{
	json_t *hr, *history;
	char *st = NULL;
	long long end;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"stuck\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"6s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	hr = hre_wait_released("stuck", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease stuck --type merge"
				" -p '{\"spec\":{\"values\":{\"deploy\":true}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	/* Killed while it waits: the record says pending-upgrade and the Deployment was applied. */
	for (end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(100000)) {
		free(st);
		st = hre_record_status("stuck", 2);
		json_t *dep = st && strcmp(st, "pending-upgrade") == 0 ? hre_get("apps/v1", "Deployment", "stuck-app") : NULL;
		json_decref(dep);
		if (dep)
			break;
	}
	assert_non_null(st);
	assert_string_equal(st, "pending-upgrade");
	free(st);
	cft_kill9(hre_hc_pid);
	hre_hc_pid = 0;
	st = hre_record_status("stuck", 2);
	assert_non_null(st);
	assert_string_equal(st, "pending-upgrade");
	free(st);
	/* The Deployment rolls out, as the deployment controller reports it (kstatus reads the conditions too). */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch deployment stuck-app --subresource=status"
				" --type merge -p \"{\\\"status\\\":{\\\"observedGeneration\\\":$(kubectl --kubeconfig '%s'"
				" -n '%s' get deployment stuck-app -o jsonpath='{.metadata.generation}'),\\\"replicas\\\":1,"
				"\\\"updatedReplicas\\\":1,\\\"readyReplicas\\\":1,\\\"availableReplicas\\\":1,\\\"conditions\\\":["
				"{\\\"type\\\":\\\"Available\\\",\\\"status\\\":\\\"True\\\",\\\"reason\\\":\\\"MinimumReplicasAvailable\\\"},"
				"{\\\"type\\\":\\\"Progressing\\\",\\\"status\\\":\\\"True\\\",\\\"reason\\\":\\\"NewReplicaSetAvailable\\\"}]}}\""
				" >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	assert_int_equal(hre_start_helm_controller(), 0);
	hr = hre_wait_released("stuck", 3);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Ready", "reason"), "UpgradeSucceeded");
	json_decref(hr);
	history = hre_helm_json("history stuck");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 3);
	hre_assert_history_entry(history, 0, 1, "superseded", "Install complete");
	hre_assert_history_entry(history, 1, 2, "failed", "Release unlocked from stale 'pending-upgrade' state");
	hre_assert_history_entry(history, 2, 3, "deployed", "Upgrade complete");
	json_decref(history);
	hre_delete_hr("stuck");
	assert_null(hre_get("apps/v1", "Deployment", "stuck-app"));
}

/*
 * Hooks: pre-install Jobs run one at a time by weight (not by name) before the release's objects,
 * each waited for until the job completes; hook-succeeded deletes one, the default
 * before-hook-creation keeps the other; the post-install hook follows, then the test hook with
 * test.enable; the real helm reads every hook's last run from the record.
 */
static void test_hooks(void **state)
{
	json_t *hr, *st, *h, *snap;
	size_t i;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"hk\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"90s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"test\":{\"enable\":true},\"values\":{\"hooks\":true}}}"),
			 0);
	json_t *job = hre_wait_object("batch/v1", "Job", "hk-pre-b");
	assert_non_null(job);
	json_decref(job);
	assert_null(hre_get("batch/v1", "Job", "hk-pre-a"));
	assert_null(hre_get("v1", "ConfigMap", "hk-cm"));
	hre_complete_job("hk-pre-b");
	job = hre_wait_object("batch/v1", "Job", "hk-pre-a");
	assert_non_null(job);
	json_decref(job);
	assert_true(hre_gone("batch/v1", "Job", "hk-pre-b"));
	assert_null(hre_get("v1", "ConfigMap", "hk-cm"));
	hre_complete_job("hk-pre-a");
	/* The release's objects, then post-install, then the test. */
	job = hre_wait_object("batch/v1", "Job", "hk-test");
	assert_non_null(job);
	json_decref(job);
	hre_assert_cm("hk-cm", "message", "default");
	json_t *hook_cm = hre_get("v1", "ConfigMap", "hk-hook");
	assert_non_null(hook_cm);
	json_decref(hook_cm);
	hre_complete_job("hk-test");
	hr = hre_wait_released("hk", 1);
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "TestSuccess", "status"), "True");
	assert_string_equal(hre_cond(hr, "TestSuccess", "reason"), "TestSucceeded");
	assert_string_equal(hre_cond(hr, "Ready", "reason"), "TestSucceeded");
	snap = json_array_get(json_object_get(json_object_get(hr, "status"), "history"), 0);
	assert_string_equal(hre_s(json_object_get(json_object_get(snap, "testHooks"), "hk-test"), "phase"), "Succeeded");
	json_decref(hr);
	assert_true(hre_gone("batch/v1", "Job", "hk-test"));
	job = hre_get("batch/v1", "Job", "hk-pre-a");
	assert_non_null(job);
	json_decref(job);

	st = hre_helm_json("status hk");
	assert_non_null(st);
	assert_int_equal(json_array_size(json_object_get(st, "hooks")), 4);
	json_array_foreach(json_object_get(st, "hooks"), i, h) {
		assert_string_equal(hre_s(json_object_get(h, "last_run"), "phase"), "Succeeded");
		if (strcmp(hre_s(h, "name"), "hk-pre-b") == 0) {
			assert_int_equal(json_integer_value(json_object_get(h, "weight")), 1);
			assert_string_equal(json_string_value(json_array_get(json_object_get(h, "delete_policies"), 0)),
					    "hook-succeeded");
			assert_string_equal(hre_s(h, "path"), "hello/templates/job-pre-b.yaml");
		}
	}
	json_decref(st);
	char *hooks = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get hooks hk", hre_helm_bin, getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(hooks);
	assert_non_null(strstr(hooks, "name: hk-pre-a"));
	assert_non_null(strstr(hooks, "helm.sh/hook: post-install"));
	free(hooks);
	/* The stored manifest still leaves hooks out. */
	char *manifest = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get manifest hk", hre_helm_bin, getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(manifest);
	assert_null(strstr(manifest, "helm.sh/hook"));
	free(manifest);
	hre_delete_hr("hk");
}

/*
 * CRD policies, dependsOn and the resetAt/forceAt requests: with install.crds Skip the chart's
 * custom resource has no CRD and the install fails (a HelmRelease depending on it waits); a
 * resetAt request earns one more attempt; a spec with crds Create/CreateReplace (a new
 * generation, so counters reset) installs the CRD; forceAt upgrades a release that is in sync.
 */
static void test_crds_depends_on_reset_force(void **state)
{
	json_t *hr, *history;
	char dep_msg[300];

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	/* The earlier tests' release made the CRD from crds/; Helm never deletes those. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' delete crd widgets.hc.cflux.test --ignore-not-found --wait=true"
				" >/dev/null", getenv("CF_KUBECONFIG")),
			 0);
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"sk\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"install\":{\"crds\":\"Skip\"}}}"),
			 0);
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"dep\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"dependsOn\":[{\"name\":\"sk\"}],"
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	hr = hre_wait_cond("sk", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Released", "reason"), "InstallFailed");
	assert_int_equal(hre_status_int(hr, "installFailures"), 1);
	json_decref(hr);
	assert_false(hre_crd_exists());
	hr = hre_wait_cond("dep", "Ready", "False", "DependencyNotReady");
	assert_non_null(hr);
	snprintf(dep_msg, sizeof(dep_msg), "dependency '%s/sk' is not ready", hre.ns);
	assert_string_equal(hre_cond(hr, "Ready", "message"), dep_msg);
	assert_null(json_object_get(json_object_get(hr, "status"), "history"));
	json_decref(hr);

	/* resetAt: the counters start over and one more attempt runs (an upgrade of the failed release). */
	assert_int_equal(hre_annotate("sk", "reconcile.fluxcd.io/resetAt", "reset-1"), 0);
	long long end;
	for (end = cft_now_ms() + HRE_TIMEOUT_MS, hr = NULL; cft_now_ms() < end; usleep(300000)) {
		json_decref(hr);
		hr = hre_get(HR_API, "HelmRelease", "sk");
		if (hre_status_int(hr, "upgradeFailures") == 1 && hre_eq(hre_cond(hr, "Stalled", "status"), "True"))
			break;
	}
	assert_string_equal(hre_s(json_object_get(hr, "status"), "lastHandledResetAt"), "reset-1");
	assert_int_equal(hre_status_int(hr, "upgradeFailures"), 1);
	assert_int_equal(hre_status_int(hr, "installFailures"), 0);
	assert_string_equal(hre_cond(hr, "Stalled", "message"), "Failed to upgrade after 1 attempt(s)");
	json_decref(hr);

	/* CRD policies that create: a new generation, so a new attempt that now succeeds. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease sk --type merge"
				" -p '{\"spec\":{\"install\":{\"crds\":\"Create\"},\"upgrade\":{\"crds\":\"CreateReplace\"}}}'"
				" >/dev/null", getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_wait_released("sk", 3);
	assert_non_null(hr);
	assert_null(hre_cond(hr, "Stalled", "status"));
	json_decref(hr);
	assert_true(hre_crd_exists());
	json_t *w = hre_get("hc.cflux.test/v1", "Widget", "sk-w");
	assert_non_null(w);
	json_decref(w);
	history = hre_helm_json("history sk");
	assert_non_null(history);
	hre_assert_history_entry(history, 0, 1, "failed", "Release \"sk\" failed: ");
	hre_assert_history_entry(history, 1, 2, "failed", "Upgrade \"sk\" failed: ");
	hre_assert_history_entry(history, 2, 3, "deployed", "Upgrade complete");
	json_decref(history);
	/* Its dependency Ready, dep installs. */
	hr = hre_wait_released("dep", 1);
	assert_non_null(hr);
	json_decref(hr);

	/* forceAt: an upgrade although nothing changed. */
	assert_int_equal(hre_annotate("sk", "reconcile.fluxcd.io/forceAt", "force-1"), 0);
	hr = hre_wait_released("sk", 4);
	assert_non_null(hr);
	assert_string_equal(hre_s(json_object_get(hr, "status"), "lastHandledForceAt"), "force-1");
	json_decref(hr);
	hre_delete_hr("dep");
	hre_delete_hr("sk");
}

/*
 * Drift: "warn" reports a field changed with kubectl (Drifted, an Event naming the object) but
 * leaves it; an ignore rule hides its path; "enabled" puts the changed field and a deleted object back.
 */
static void test_drift(void **state)
{
	json_t *hr;
	char id[300], changed[300], removed[300];

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"dr\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"driftDetection\":{\"mode\":\"warn\",\"ignore\":[{\"paths\":[\"/data/greeting\"],"
					   "\"target\":{\"kind\":\"ConfigMap\"}}]}}}"),
			 0);
	hr = hre_wait_released("dr", 1);
	assert_non_null(hr);
	snprintf(id, sizeof(id), "%s_dr-cm__ConfigMap", hre.ns);
	assert_true(hre_has_inventory(hr, id));
	json_decref(hr);

	/* A change under an ignored path is no drift. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch configmap dr-cm --type merge"
				" -p '{\"data\":{\"greeting\":\"tampered\"}}' >/dev/null", getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_reconcile_now("dr", "drift-1");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Drifted", "status"), "False");
	assert_string_equal(hre_cond(hr, "Drifted", "reason"), "NoDriftDetected");
	json_decref(hr);

	/* warn: reported, not corrected. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch configmap dr-cm --type merge"
				" -p '{\"data\":{\"message\":\"tampered\"}}' >/dev/null &&"
				" kubectl --kubeconfig '%s' -n '%s' delete serviceaccount dr-sa >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	hr = hre_reconcile_now("dr", "drift-2");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Drifted", "status"), "True");
	assert_string_equal(hre_cond(hr, "Drifted", "reason"), "DriftDetected");
	snprintf(changed, sizeof(changed), "ConfigMap/%s/dr-cm changed", hre.ns);
	snprintf(removed, sizeof(removed), "ServiceAccount/%s/dr-sa removed", hre.ns);
	assert_non_null(strstr(hre_cond(hr, "Drifted", "message"), changed));
	assert_non_null(strstr(hre_cond(hr, "Drifted", "message"), removed));
	assert_string_equal(hre_cond(hr, "Ready", "status"), "True");
	json_decref(hr);
	hre_assert_cm("dr-cm", "message", "tampered");
	assert_null(hre_get("v1", "ServiceAccount", "dr-sa"));
	char *ev = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get events --field-selector"
			      " reason=DriftDetected,involvedObject.name=dr -o jsonpath='{.items[0].message}'",
			      getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(ev);
	assert_non_null(strstr(ev, changed));
	free(ev);

	/* enabled: corrected. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease dr --type merge"
				" -p '{\"spec\":{\"driftDetection\":{\"mode\":\"enabled\"}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	/* Drifted turns False (DriftCorrected, then NoDriftDetected at the next look); the Event stays. */
	hr = hre_wait_cond("dr", "Drifted", "False", NULL);
	assert_non_null(hr);
	json_decref(hr);
	ev = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get events --field-selector"
			" reason=DriftCorrected,involvedObject.name=dr -o jsonpath='{.items[0].message}'",
			getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(ev);
	assert_non_null(strstr(ev, changed));
	assert_non_null(strstr(ev, removed));
	free(ev);
	hre_assert_cm("dr-cm", "message", "default");
	/* Only what differed was written back: the ignored path keeps its tampered value, as in Flux. */
	hre_assert_cm("dr-cm", "greeting", "tampered");
	json_t *sa = hre_get("v1", "ServiceAccount", "dr-sa");
	assert_non_null(sa);
	json_decref(sa);
	hr = hre_reconcile_now("dr", "drift-3");
	assert_non_null(hr);
	assert_string_equal(hre_cond(hr, "Drifted", "reason"), "NoDriftDetected");
	assert_string_equal(hre_cond(hr, "Drifted", "message"), "No drift detected against the cluster state");
	json_decref(hr);
	hre_delete_hr("dr");
}

/*
 * serviceAccountName: Helm actions run as that ServiceAccount. Without RBAC for it even reading
 * the release's records is forbidden to it; with a Role over the namespace (and crds Skip, as it may not touch CRDs) it works.
 */
static void test_service_account(void **state)
{
	json_t *hr;
	char user[300];

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&hre, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"imp\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"serviceAccountName\":\"deployer\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	/* As in Flux, reading the release's storage is the first thing it may not do. */
	hr = hre_wait_cond("imp", "Ready", "False", "StateError");
	assert_non_null(hr);
	snprintf(user, sizeof(user), "system:serviceaccount:%s:deployer", hre.ns);
	if (!strstr(hre_cond(hr, "Ready", "message"), user))
		fail_msg("message does not name %s: %s", user, hre_cond(hr, "Ready", "message"));
	json_decref(hr);
	char *records = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get secrets -l owner=helm,name=imp -o name | wc -l",
				   getenv("CF_KUBECONFIG"), hre.ns);
	assert_non_null(records);
	assert_string_equal(records, "0");
	free(records);

	/* crds Skip first, while still forbidden, so the first attempt the ServiceAccount may make installs. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease imp --type merge"
				" -p '{\"spec\":{\"install\":{\"crds\":\"Skip\"}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns),
			 0);
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' create role deployer --verb='*' --resource='*.*' >/dev/null &&"
				" kubectl --kubeconfig '%s' -n '%s' create rolebinding deployer --role=deployer"
				" --serviceaccount='%s:deployer' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, getenv("CF_KUBECONFIG"), hre.ns, hre.ns),
			 0);
	/* The authorizer sees new RBAC objects through its own cache: wait until it does, then ask for a reconcile. */
	assert_int_equal(cft_sh("for i in $(seq 100); do kubectl --kubeconfig '%s' -n '%s' auth can-i list secrets"
				" --as='%s' >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1",
				getenv("CF_KUBECONFIG"), hre.ns, user),
			 0);
	json_decref(hre_reconcile_now("imp", "rbac-ready"));
	hr = hre_wait_released("imp", 1);
	assert_non_null(hr);
	json_decref(hr);
	hre_assert_cm("imp-cm", "message", "default");
	hre_delete_hr("imp");
	assert_null(hre_get("v1", "ConfigMap", "imp-cm"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_and_upgrade),
		cmocka_unit_test(test_chart_upgrade_and_history_limit),
		cmocka_unit_test(test_target_namespace),
		cmocka_unit_test(test_missing_chart_version),
		cmocka_unit_test(test_upgrade_remediation),
		cmocka_unit_test(test_install_remediation),
		cmocka_unit_test(test_killed_during_upgrade),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_service_account),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_crds_depends_on_reset_force),
	};
	return cmocka_run_group_tests(tests, hre_setup, hre_teardown);
}
