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
#include "e2e.h"
#include "testsupport.h"

#define TIMEOUT_MS 120000
#define HR_API "helm.toolkit.fluxcd.io/v2"

static sc_e2e e;
static pid_t hc_pid;
static char helm_dir[1200];
static char helm_bin[1024];

static void load_helm_env(void)
{
	char path[1300], *text, *save = NULL, *line;

	snprintf(path, sizeof(path), "%s/env", helm_dir);
	text = cft_read_file(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (eq) {
			*eq = '\0';
			setenv(line, eq + 1, 1);
		}
	}
	free(text);
}

/* The chart under test: a ConfigMap of values and a ServiceAccount, packaged by the real helm. */
static int make_chart(const char *version, const char *app_version)
{
	return cft_sh("set -e; d='%s/src/hello'; mkdir -p \"$d/templates\" '%s/hc';"
		      " printf 'apiVersion: v2\\nname: hello\\nversion: %s\\nappVersion: \"%s\"\\n' > \"$d/Chart.yaml\";"
		      " printf 'message: default\\ngreeting: hi\\n' > \"$d/values.yaml\";"
		      " printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: {{ .Release.Name }}-cm\\n"
		      "data:\\n  message: {{ .Values.message | quote }}\\n  greeting: {{ .Values.greeting | quote }}\\n"
		      "  release: {{ .Release.Name }}/{{ .Release.Namespace }}\\n' > \"$d/templates/cm.yaml\";"
		      " printf 'apiVersion: v1\\nkind: ServiceAccount\\nmetadata:\\n  name: {{ .Release.Name }}-sa\\n'"
		      " > \"$d/templates/sa.yaml\";"
		      " mkdir -p \"$d/crds\"; printf '%%s\\n' 'apiVersion: apiextensions.k8s.io/v1'"
		      " 'kind: CustomResourceDefinition' 'metadata:' '  name: widgets.hc.cflux.test' 'spec:'"
		      " '  group: hc.cflux.test' '  scope: Namespaced' '  names:' '    kind: Widget'"
		      " '    plural: widgets' '    singular: widget' '    listKind: WidgetList' '  versions:'"
		      " '  - name: v1' '    served: true' '    storage: true' '    schema:' '      openAPIV3Schema:'"
		      " '        type: object' '        x-kubernetes-preserve-unknown-fields: true'"
		      " > \"$d/crds/widgets.yaml\";"
		      " printf 'apiVersion: hc.cflux.test/v1\\nkind: Widget\\nmetadata:\\n  name: {{ .Release.Name }}-w\\n"
		      "spec:\\n  size: {{ .Values.message | quote }}\\n' > \"$d/templates/widget.yaml\";"
		      " printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: {{ .Release.Name }}-hook\\n"
		      "  annotations:\\n    helm.sh/hook: post-install\\n' > \"$d/templates/hook.yaml\";"
		      " '%s' package \"$d\" -d '%s/hc' >/dev/null; '%s' repo index '%s/hc'",
		      helm_dir, getenv("HELM_WWW"), version, app_version, helm_bin, getenv("HELM_WWW"), helm_bin,
		      getenv("HELM_WWW"));
}

static int start_helm_controller(void)
{
	char kc[1200], bind[64], health[64], tmp[1200], log[1200];

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	snprintf(bind, sizeof(bind), "--events-bind=tcp://127.0.0.1:%d", cft_free_port());
	snprintf(health, sizeof(health), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(tmp, sizeof(tmp), "--tmp-path=%s", e.dir);
	snprintf(log, sizeof(log), "%s/helm-controller.log", e.dir);
	char *argv[] = {HC_BINARY, kc, bind, health, tmp, "--metrics-addr=0", "--requeue-dependency=2s", "--watch-all-namespaces=false",
			"--http-retry=2", "--log-level=debug", NULL};
	hc_pid = cft_spawn(log, argv);
	return hc_pid > 0 ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		return 0;
	snprintf(helm_bin, sizeof(helm_bin), "%s/.cache/cflux/bin/helm", getenv("HOME"));
	if (sc_e2e_up(&e) < 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		return -1;
	}
	snprintf(helm_dir, sizeof(helm_dir), "%s/helm", e.dir);
	if (cft_sh("HELM='%s' '%s/tests/services/source-controller/helm-server.sh' '%s' start >/dev/null",
		   helm_bin, CF_SOURCE_DIR, helm_dir) != 0)
		return -1;
	load_helm_env();
	if (make_chart("0.1.0", "1.2.3") != 0)
		return -1;
	if (cft_sh("kubectl --kubeconfig '%s' wait --for condition=established --timeout=60s"
		   " crd/helmrepositories.source.toolkit.fluxcd.io crd/helmcharts.source.toolkit.fluxcd.io"
		   " crd/helmreleases.helm.toolkit.fluxcd.io >/dev/null",
		   getenv("CF_KUBECONFIG")) != 0)
		return -1;
	return start_helm_controller();
}

static int teardown(void **state)
{
	(void)state;
	if (e.dir && getenv("CF_E2E_SHOW_LOG"))
		cft_sh("tail -80 '%s/helm-controller.log' >&2", e.dir);
	if (hc_pid > 0)
		cft_stop(hc_pid, 10000);
	if (*helm_dir)
		cft_sh("'%s/tests/services/source-controller/helm-server.sh' '%s' stop >/dev/null 2>&1", CF_SOURCE_DIR,
		       helm_dir);
	sc_e2e_down(&e);
	return 0;
}

static json_t *get(const char *api, const char *kind, const char *name)
{
	cf_kube_ref ref = {api, kind, e.ns, name};
	char *text = NULL;
	json_t *obj;

	if (cf_kube_get(e.kube, &text, &ref) < 0)
		return NULL;
	obj = json_loads(text, 0, NULL);
	free(text);
	return obj;
}

static const char *cond(const json_t *obj, const char *type, const char *field)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
			return json_string_value(json_object_get(c, field));
	return NULL;
}

/* Waits for Ready=True at the current generation with release revision `version` recorded. */
static json_t *wait_released(const char *name, int version)
{
	long long end = cft_now_ms() + TIMEOUT_MS;

	while (cft_now_ms() < end) {
		json_t *hr = get(HR_API, "HelmRelease", name);
		json_t *status = json_object_get(hr, "status");
		json_t *snap = json_array_get(json_object_get(status, "history"), 0);
		const char *ready = cond(hr, "Ready", "status");
		if (ready && strcmp(ready, "True") == 0 &&
		    json_integer_value(json_object_get(status, "observedGeneration")) ==
			    json_integer_value(json_object_get(json_object_get(hr, "metadata"), "generation")) &&
		    json_integer_value(json_object_get(snap, "version")) == version)
			return hr;
		json_decref(hr);
		usleep(300000);
	}
	return NULL;
}

/* Output of the real helm against the test cluster, parsed as JSON. */
static json_t *helm_json(const char *args)
{
	char *out = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' %s -o json", helm_bin, getenv("CF_KUBECONFIG"), e.ns,
			       args);
	json_t *j = out ? json_loads(out, 0, NULL) : NULL;

	if (!j)
		fprintf(stderr, "helm %s gave: %s\n", args, out ? out : "(nothing)");
	free(out);
	return j;
}

static const char *s(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : "";
}

static void assert_cm(const char *name, const char *key, const char *value)
{
	json_t *cm = get("v1", "ConfigMap", name);

	assert_non_null(cm);
	assert_string_equal(s(json_object_get(cm, "data"), key), value);
	assert_string_equal(s(json_object_get(json_object_get(cm, "metadata"), "labels"), "app.kubernetes.io/managed-by"),
			    "Helm");
	json_decref(cm);
}

static void test_install_and_upgrade(void **state)
{
	char url[600], chart_ref[300], release_id[200];
	json_t *hr, *list, *values, *history, *snap;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	snprintf(url, sizeof(url), "%s/hc", getenv("HELM_HTTP_URL"));
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"HelmRepository\","
					   "\"metadata\":{\"name\":\"hc-repo\"},\"spec\":{\"interval\":\"10m\",\"url\":\"%s\"}}",
				       url),
			 0);
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"hello-values\"},"
					   "\"data\":{\"values.yaml\":\"greeting: from-configmap\\nmessage: overridden\\n\"}}"),
			 0);
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"hello\"},\"spec\":{\"interval\":\"10m\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"valuesFrom\":[{\"kind\":\"ConfigMap\",\"name\":\"hello-values\"}],"
					   "\"maxHistory\":2,\"values\":{\"message\":\"one\"}}}"),
			 0);

	/* Install: objects in the cluster, Helm's storage, Flux's status. */
	hr = wait_released("hello", 1);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", e.dir);
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Released", "reason"), "InstallSucceeded");
	snprintf(chart_ref, sizeof(chart_ref), "%s/%s-hello", e.ns, e.ns);
	snprintf(release_id, sizeof(release_id), "hello/%s", e.ns);
	assert_string_equal(s(json_object_get(hr, "status"), "helmChart"), chart_ref);
	assert_string_equal(s(json_object_get(hr, "status"), "lastAttemptedRevision"), "0.1.0");
	assert_string_equal(s(json_object_get(hr, "status"), "storageNamespace"), e.ns);
	snap = json_array_get(json_object_get(json_object_get(hr, "status"), "history"), 0);
	assert_string_equal(s(snap, "chartName"), "hello");
	assert_string_equal(s(snap, "appVersion"), "1.2.3");
	assert_string_equal(s(snap, "status"), "deployed");
	json_decref(hr);
	assert_cm("hello-cm", "message", "one");
	assert_cm("hello-cm", "greeting", "from-configmap");
	assert_cm("hello-cm", "release", release_id);
	/* The CRD from crds/ went in before the custom resource that needs it. */
	json_t *w = get("hc.cflux.test/v1", "Widget", "hello-w");
	assert_non_null(w);
	assert_string_equal(s(json_object_get(w, "spec"), "size"), "one");
	json_t *mf = json_object_get(json_object_get(w, "metadata"), "managedFields");
	assert_string_equal(s(json_array_get(mf, 0), "manager"), "helm-controller");
	json_decref(w);
	json_t *sa = get("v1", "ServiceAccount", "hello-sa");
	assert_non_null(sa);
	json_decref(sa);

	list = helm_json("list");
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(s(json_array_get(list, 0), "name"), "hello");
	assert_string_equal(s(json_array_get(list, 0), "revision"), "1");
	assert_string_equal(s(json_array_get(list, 0), "status"), "deployed");
	assert_string_equal(s(json_array_get(list, 0), "chart"), "hello-0.1.0");
	assert_string_equal(s(json_array_get(list, 0), "app_version"), "1.2.3");
	json_decref(list);
	values = helm_json("get values hello");
	assert_non_null(values);
	assert_string_equal(s(values, "message"), "one");
	assert_string_equal(s(values, "greeting"), "from-configmap");
	json_decref(values);

	/* The stored manifest is what the real helm renders for the same chart and values, hooks left out. */
	char *stored = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get manifest hello", helm_bin, getenv("CF_KUBECONFIG"),
				  e.ns);
	char *rendered = cft_sh_out("printf '{\"greeting\":\"from-configmap\",\"message\":\"one\"}' > '%s/v1.json' &&"
				    " '%s' template hello '%s/hc/hello-0.1.0.tgz' --no-hooks -n '%s' -f '%s/v1.json'",
				    e.dir, helm_bin, getenv("HELM_WWW"), e.ns, e.dir);
	assert_non_null(stored);
	assert_non_null(rendered);
	assert_string_equal(stored, rendered);
	free(stored);
	free(rendered);

	json_t *st = helm_json("status hello");
	assert_non_null(st);
	char first[64];
	snprintf(first, sizeof(first), "%s", s(json_object_get(st, "info"), "first_deployed"));
	assert_true(strlen(first) > 0);
	assert_string_equal(s(json_object_get(st, "info"), "status"), "deployed");
	json_decref(st);

	/* Upgrade on new values: revision 2, revision 1 superseded, first deployment time kept. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease hello --type merge"
				" -p '{\"spec\":{\"values\":{\"message\":\"two\"}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns),
			 0);
	hr = wait_released("hello", 2);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", e.dir);
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Released", "reason"), "UpgradeSucceeded");
	json_decref(hr);
	assert_cm("hello-cm", "message", "two");
	history = helm_json("history hello");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 0), "revision")), 1);
	assert_string_equal(s(json_array_get(history, 0), "status"), "superseded");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 1), "revision")), 2);
	assert_string_equal(s(json_array_get(history, 1), "status"), "deployed");
	assert_string_equal(s(json_array_get(history, 1), "description"), "Upgrade complete");
	json_decref(history);
	st = helm_json("status hello");
	assert_non_null(st);
	assert_string_equal(s(json_object_get(st, "info"), "first_deployed"), first);
	assert_int_equal(json_integer_value(json_object_get(st, "version")), 2);
	json_decref(st);
	values = helm_json("get values hello");
	assert_non_null(values);
	assert_string_equal(s(values, "message"), "two");
	json_decref(values);
}

/* A new chart version upgrades to revision 3; maxHistory 2 prunes revision 1 from Helm's storage. */
static void test_chart_upgrade_and_history_limit(void **state)
{
	json_t *hr, *history, *list, *snap;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(make_chart("0.2.0", "1.2.4"), 0);
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' annotate helmrepository hc-repo --overwrite"
				" reconcile.fluxcd.io/requestedAt=\"$(date +%%s%%N)\" >/dev/null &&"
				" kubectl --kubeconfig '%s' -n '%s' patch helmrelease hello --type merge"
				" -p '{\"spec\":{\"chart\":{\"spec\":{\"version\":\"0.2.0\"}}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns, getenv("CF_KUBECONFIG"), e.ns),
			 0);
	hr = wait_released("hello", 3);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", e.dir);
	assert_non_null(hr);
	assert_string_equal(s(json_object_get(hr, "status"), "lastAttemptedRevision"), "0.2.0");
	snap = json_array_get(json_object_get(json_object_get(hr, "status"), "history"), 0);
	assert_string_equal(s(snap, "chartVersion"), "0.2.0");
	assert_string_equal(s(snap, "appVersion"), "1.2.4");
	json_decref(hr);
	list = helm_json("list");
	assert_non_null(list);
	assert_string_equal(s(json_array_get(list, 0), "revision"), "3");
	assert_string_equal(s(json_array_get(list, 0), "chart"), "hello-0.2.0");
	assert_string_equal(s(json_array_get(list, 0), "app_version"), "1.2.4");
	json_decref(list);
	history = helm_json("history hello");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 0), "revision")), 2);
	assert_string_equal(s(json_array_get(history, 0), "status"), "superseded");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 1), "revision")), 3);
	assert_string_equal(s(json_array_get(history, 1), "status"), "deployed");
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
	ref.namespace_ = e.ns;
	snprintf(chart, sizeof(chart), "%s-hello", e.ns);
	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	for (end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		json_decref(hr);
		json_decref(hc);
		hr = get(HR_API, "HelmRelease", "hello");
		hc = get("source.toolkit.fluxcd.io/v1", "HelmChart", chart);
		if (!hr && !hc)
			break;
	}
	assert_null(hr);
	assert_null(hc);
	json_t *cm = get("v1", "ConfigMap", "hello-cm"), *sa = get("v1", "ServiceAccount", "hello-sa");
	assert_null(cm);
	assert_null(sa);
	json_t *list = helm_json("list -a");
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	char *records = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get secrets -l owner=helm -o name | wc -l",
				   getenv("CF_KUBECONFIG"), e.ns);
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
	snprintf(target, sizeof(target), "%s-t", e.ns);
	snprintf(release, sizeof(release), "%s-other", target);
	snprintf(cm_name, sizeof(cm_name), "%s-cm", release);
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"other\"},\"spec\":{\"interval\":\"10m\","
					   "\"targetNamespace\":\"%s\",\"install\":{\"createNamespace\":true},"
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}",
				       target),
			 0);
	hr = wait_released("other", 1);
	if (!hr)
		cft_sh("tail -40 '%s/helm-controller.log' >&2", e.dir);
	assert_non_null(hr);
	json_decref(hr);
	cm = NULL;
	{
		cf_kube_ref cref = {"v1", "ConfigMap", target, cm_name};
		char *text = NULL;
		assert_int_equal(cf_kube_get(e.kube, &text, &cref), 0);
		cm = json_loads(text, 0, NULL);
		free(text);
	}
	assert_string_equal(s(json_object_get(cm, "data"), "message"), "default");
	json_decref(cm);
	snprintf(cmd, sizeof(cmd), "list --filter '^%s$'", release);
	list = helm_json(cmd);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(s(json_array_get(list, 0), "name"), release);
	assert_string_equal(s(json_array_get(list, 0), "namespace"), target);
	assert_string_equal(s(json_array_get(list, 0), "status"), "deployed");
	json_decref(list);
	ref.namespace_ = e.ns;
	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	long long end;
	for (end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end && (hr = get(HR_API, "HelmRelease", "other"));
	     usleep(300000))
		json_decref(hr);
	assert_null(get(HR_API, "HelmRelease", "other"));
}

/* A chart version the repository does not have: Ready=False with ArtifactFailed, nothing installed. */
static void test_missing_chart_version(void **state)
{
	cf_kube_ref ref = {HR_API, "HelmRelease", NULL, "absent"};
	json_t *hr = NULL;
	const char *ready = NULL, *reason = NULL;
	long long end;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"absent\"},\"spec\":{\"interval\":\"10m\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"9.9.9\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	for (end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end; usleep(300000)) {
		json_decref(hr);
		hr = get(HR_API, "HelmRelease", "absent");
		ready = cond(hr, "Ready", "status");
		reason = cond(hr, "Ready", "reason");
		if (ready && strcmp(ready, "False") == 0 && reason && strcmp(reason, "ArtifactFailed") == 0)
			break;
	}
	assert_non_null(ready);
	assert_string_equal(ready, "False");
	assert_string_equal(reason, "ArtifactFailed");
	assert_null(json_object_get(json_object_get(hr, "status"), "history"));
	json_decref(hr);
	ref.namespace_ = e.ns;
	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	for (end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end && (hr = get(HR_API, "HelmRelease", "absent"));
	     usleep(300000))
		json_decref(hr);
	assert_null(get(HR_API, "HelmRelease", "absent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_and_upgrade),
		cmocka_unit_test(test_chart_upgrade_and_history_limit),
		cmocka_unit_test(test_target_namespace),
		cmocka_unit_test(test_missing_chart_version),
		cmocka_unit_test(test_delete),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
