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
		      "  release: {{ .Release.Name }}/{{ .Release.Namespace }}\\n"
		      "  upgrade: {{ .Release.IsUpgrade | quote }}\\n  install: {{ .Release.IsInstall | quote }}\\n"
		      "  revision: {{ .Release.Revision | quote }}\\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\\n"
		      "  apps: {{ .Capabilities.APIVersions.Has \"apps/v1/Deployment\" | quote }}\\n"
		      "  beta: {{ .Capabilities.APIVersions.Has \"policy/v1beta1\" | quote }}\\n'"
		      " > \"$d/templates/cm.yaml\";"
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
		      /* hooks=true: Job hooks, ordered by weight against their names, and a test. */
		      " job() { printf '{{- if .Values.hooks }}\\napiVersion: batch/v1\\nkind: Job\\nmetadata:\\n"
		      "  name: {{ .Release.Name }}-%%s\\n  annotations:\\n    helm.sh/hook: %%s\\n"
		      "    helm.sh/hook-weight: \"%%s\"\\n%%s\\nspec:\\n  template:\\n    spec:\\n"
		      "      restartPolicy: Never\\n      containers:\\n      - name: c\\n"
		      "        image: registry.invalid/hook:1\\n{{- end }}\\n' \"$1\" \"$2\" \"$3\" \"$4\""
		      " > \"$d/templates/job-$1.yaml\"; };"
		      " job pre-b pre-install,pre-upgrade 1 '    helm.sh/hook-delete-policy: hook-succeeded';"
		      " job pre-a pre-install,pre-upgrade 2 '';"
		      " job test test 0 '    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded';"
		      /* bad=true: an object the API server rejects (ConfigMap data must be strings). */
		      " printf '{{- if .Values.bad }}\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n"
		      "  name: {{ .Release.Name }}-bad\\ndata:\\n  a: [1]\\n{{- end }}\\n' > \"$d/templates/bad.yaml\";"
		      /* deploy=true: a Deployment, ready only when its status says so (no controller-manager runs). */
		      " printf '{{- if .Values.deploy }}\\napiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n"
		      "  name: {{ .Release.Name }}-app\\nspec:\\n  replicas: 1\\n  selector:\\n    matchLabels:\\n"
		      "      app: {{ .Release.Name }}-app\\n  template:\\n    metadata:\\n      labels:\\n"
		      "        app: {{ .Release.Name }}-app\\n    spec:\\n      containers:\\n      - name: app\\n"
		      "        image: registry.invalid/app:1\\n{{- end }}\\n' > \"$d/templates/deploy.yaml\";"
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
	int rc = 0;
	if (hc_pid > 0 && (rc = cft_stop(hc_pid, 10000)) != 0)
		fprintf(stderr, "helm-controller exited with %d\n", rc);
	/* Sanitizer reports (builds with CF_SANITIZE) fail the run. */
	if (e.dir && cft_sh("! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' '%s/helm-controller.log' >&2", e.dir) != 0)
		rc = -1;
	if (*helm_dir)
		cft_sh("'%s/tests/services/source-controller/helm-server.sh' '%s' stop >/dev/null 2>&1", CF_SOURCE_DIR,
		       helm_dir);
	sc_e2e_down(&e);
	return rc == 0 ? 0 : -1;
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
	json_t *hr = get(HR_API, "HelmRelease", name);
	char *text = hr ? json_dumps(json_object_get(hr, "status"), JSON_INDENT(1)) : NULL;
	fprintf(stderr, "HelmRelease %s not released as v%d; status: %s\n", name, version, text ? text : "(none)");
	free(text);
	json_decref(hr);
	cft_sh("grep -v 'kube request' '%s/helm-controller.log' | tail -15 >&2", e.dir);
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

static int eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static const char *s(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : "";
}

/* The API server's gitVersion, as GET /version gives it (malloc'd). */
static char *server_version(void)
{
	char *out = cft_sh_out("kubectl --kubeconfig '%s' get --raw /version", getenv("CF_KUBECONFIG"));
	json_t *v = out ? json_loads(out, 0, NULL) : NULL;
	char *git = json_string_value(json_object_get(v, "gitVersion")) ?
			    strdup(json_string_value(json_object_get(v, "gitVersion"))) : NULL;

	json_decref(v);
	free(out);
	return git;
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
	assert_cm("hello-cm", "upgrade", "false");
	assert_cm("hello-cm", "install", "true");
	/* helm install renders revision 1 with the cluster's version and discovery (which replaces
	 * helm template's offline set: this server no longer serves policy/v1beta1). */
	char *kube = server_version();
	assert_non_null(kube);
	assert_cm("hello-cm", "revision", "1");
	assert_cm("hello-cm", "kube", kube);
	assert_cm("hello-cm", "apps", "true");
	assert_cm("hello-cm", "beta", "false");
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
				    " '%s' template hello '%s/hc/hello-0.1.0.tgz' --no-hooks --validate --kubeconfig '%s'"
				    " -n '%s' -f '%s/v1.json'",
				    e.dir, helm_bin, getenv("HELM_WWW"), getenv("CF_KUBECONFIG"), e.ns, e.dir);
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
	/* An upgrade renders with .Release.IsUpgrade, as helm upgrade does. */
	assert_cm("hello-cm", "upgrade", "true");
	assert_cm("hello-cm", "install", "false");
	assert_cm("hello-cm", "revision", "2");
	assert_cm("hello-cm", "kube", kube);
	/* The real helm upgrading the same release renders the next revision with the same version. */
	char args[4400], line[200];
	snprintf(args, sizeof(args), "upgrade hello '%s/hc/hello-0.1.0.tgz' --dry-run=server --reuse-values",
		 getenv("HELM_WWW"));
	json_t *dry = helm_json(args);
	assert_non_null(dry);
	assert_int_equal(json_integer_value(json_object_get(dry, "version")), 3);
	assert_non_null(strstr(s(dry, "manifest"), "revision: \"3\"\n"));
	snprintf(line, sizeof(line), "kube: \"%s\"\n", kube);
	assert_non_null(strstr(s(dry, "manifest"), line));
	assert_non_null(strstr(s(dry, "manifest"), "beta: \"false\"\n"));
	json_decref(dry);
	free(kube);
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

/* Polls the HelmRelease until condition `type` has `status` (and `reason` unless NULL). */
static json_t *wait_cond(const char *name, const char *type, const char *status, const char *reason)
{
	long long end = cft_now_ms() + TIMEOUT_MS;

	while (cft_now_ms() < end) {
		json_t *hr = get(HR_API, "HelmRelease", name);
		const char *st = cond(hr, type, "status"), *why = cond(hr, type, "reason");
		if (st && strcmp(st, status) == 0 && (!reason || (why && strcmp(why, reason) == 0)))
			return hr;
		json_decref(hr);
		usleep(300000);
	}
	cft_sh("tail -40 '%s/helm-controller.log' >&2", e.dir);
	return NULL;
}

static void delete_hr(const char *name)
{
	cf_kube_ref ref = {HR_API, "HelmRelease", e.ns, name};
	json_t *hr;
	long long end;

	assert_int_equal(cf_kube_delete(e.kube, NULL, &ref, NULL), 0);
	for (end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end && (hr = get(HR_API, "HelmRelease", name)); usleep(300000))
		json_decref(hr);
	assert_null(get(HR_API, "HelmRelease", name));
}

static int64_t status_int(const json_t *hr, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(hr, "status"), key));
}

static void assert_history_entry(const json_t *history, size_t i, int revision, const char *status, const char *desc_prefix)
{
	const json_t *h = json_array_get(history, i);

	assert_int_equal(json_integer_value(json_object_get(h, "revision")), revision);
	assert_string_equal(s(h, "status"), status);
	if (desc_prefix && strncmp(s(h, "description"), desc_prefix, strlen(desc_prefix)) != 0) {
		fprintf(stderr, "revision %d: description '%s' does not start with '%s'\n", revision, s(h, "description"),
			desc_prefix);
		fail();
	}
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
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"rb\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"upgrade\":{\"remediation\":{\"retries\":1}},\"values\":{\"message\":\"good\"}}}"),
			 0);
	hr = wait_released("rb", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_cm("rb-cm", "message", "good");

	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease rb --type merge"
				" -p '{\"spec\":{\"values\":{\"message\":\"changed\",\"bad\":true}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns),
			 0);
	hr = wait_cond("rb", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Stalled", "message"), "Failed to upgrade after 2 attempt(s)");
	assert_int_equal(status_int(hr, "upgradeFailures"), 2);
	assert_int_equal(status_int(hr, "failures"), 2);
	assert_int_equal(status_int(hr, "installFailures"), 0);
	assert_string_equal(cond(hr, "Released", "status"), "False");
	assert_string_equal(cond(hr, "Released", "reason"), "UpgradeFailed");
	assert_string_equal(cond(hr, "Remediated", "status"), "True");
	assert_string_equal(cond(hr, "Remediated", "reason"), "RollbackSucceeded");
	assert_string_equal(cond(hr, "Ready", "status"), "False");
	assert_string_equal(cond(hr, "Ready", "reason"), "RollbackSucceeded");
	assert_string_equal(s(json_object_get(hr, "status"), "lastAttemptedReleaseAction"), "upgrade");
	json_decref(hr);
	/* The rollbacks put the old values back; the rejected object never came. */
	assert_cm("rb-cm", "message", "good");
	assert_null(get("v1", "ConfigMap", "rb-bad"));
	/* What `helm upgrade` then `helm rollback` write, twice over. */
	history = helm_json("history rb");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 5);
	assert_history_entry(history, 0, 1, "superseded", "Install complete");
	assert_history_entry(history, 1, 2, "failed", "Upgrade \"rb\" failed: ");
	assert_history_entry(history, 2, 3, "superseded", "Rollback to 1");
	assert_history_entry(history, 3, 4, "failed", "Upgrade \"rb\" failed: ");
	assert_history_entry(history, 4, 5, "deployed", "Rollback to 3");
	json_decref(history);
	json_t *values = helm_json("get values rb");
	assert_non_null(values);
	assert_string_equal(s(values, "message"), "good");
	json_decref(values);

	/* A fix in the values is a new attempt: counters cleared, upgrade, Ready again. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease rb --type merge"
				" -p '{\"spec\":{\"values\":{\"message\":\"fixed\",\"bad\":null}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns),
			 0);
	hr = wait_released("rb", 6);
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Ready", "reason"), "UpgradeSucceeded");
	assert_null(cond(hr, "Stalled", "status"));
	assert_null(cond(hr, "Remediated", "status"));
	assert_int_equal(status_int(hr, "upgradeFailures"), 0);
	json_decref(hr);
	assert_cm("rb-cm", "message", "fixed");
	history = helm_json("history rb");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 5);
	assert_history_entry(history, 3, 5, "superseded", "Rollback to 3");
	assert_history_entry(history, 4, 6, "deployed", "Upgrade complete");
	json_decref(history);
	delete_hr("rb");
}

/* An install the API server rejects, install.remediation.retries 1: uninstall, install again, stall. */
static void test_install_remediation(void **state)
{
	json_t *hr, *history;

	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		skip();
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"ri\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"install\":{\"remediation\":{\"retries\":1}},\"values\":{\"bad\":true}}}"),
			 0);
	hr = wait_cond("ri", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Stalled", "message"), "Failed to install after 2 attempt(s)");
	assert_int_equal(status_int(hr, "installFailures"), 2);
	assert_int_equal(status_int(hr, "failures"), 2);
	assert_string_equal(cond(hr, "Released", "reason"), "InstallFailed");
	assert_string_equal(cond(hr, "Remediated", "reason"), "UninstallSucceeded");
	assert_string_equal(cond(hr, "Ready", "status"), "False");
	json_decref(hr);
	/* The first failed revision was uninstalled; the last failure is kept, as remediateLastFailure is off. */
	history = helm_json("history ri");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 1);
	assert_history_entry(history, 0, 1, "failed", "Release \"ri\" failed: ");
	json_decref(history);
	delete_hr("ri");
	assert_null(get("v1", "ConfigMap", "ri-cm"));
}

static char *record_status(const char *release, int version)
{
	return cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get secret sh.helm.release.v1.%s.v%d"
			  " -o jsonpath='{.metadata.labels.status}' 2>/dev/null",
			  getenv("CF_KUBECONFIG"), e.ns, release, version);
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
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"stuck\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"6s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	hr = wait_released("stuck", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease stuck --type merge"
				" -p '{\"spec\":{\"values\":{\"deploy\":true}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns),
			 0);
	for (end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end; usleep(100000)) {
		free(st);
		st = record_status("stuck", 2);
		if (st && strcmp(st, "pending-upgrade") == 0)
			break;
	}
	assert_non_null(st);
	assert_string_equal(st, "pending-upgrade");
	free(st);
	cft_kill9(hc_pid);
	hc_pid = 0;
	st = record_status("stuck", 2);
	assert_non_null(st);
	assert_string_equal(st, "pending-upgrade");
	free(st);
	/* The Deployment rolls out, as the deployment controller would report it. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch deployment stuck-app --subresource=status"
				" --type merge -p \"{\\\"status\\\":{\\\"observedGeneration\\\":$(kubectl --kubeconfig '%s'"
				" -n '%s' get deployment stuck-app -o jsonpath='{.metadata.generation}'),\\\"replicas\\\":1,"
				"\\\"updatedReplicas\\\":1,\\\"readyReplicas\\\":1,\\\"availableReplicas\\\":1}}\" >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns, getenv("CF_KUBECONFIG"), e.ns),
			 0);
	assert_int_equal(start_helm_controller(), 0);
	hr = wait_released("stuck", 3);
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Ready", "reason"), "UpgradeSucceeded");
	json_decref(hr);
	history = helm_json("history stuck");
	assert_non_null(history);
	assert_int_equal(json_array_size(history), 3);
	assert_history_entry(history, 0, 1, "superseded", "Install complete");
	assert_history_entry(history, 1, 2, "failed", "Release unlocked from stale 'pending-upgrade' state");
	assert_history_entry(history, 2, 3, "deployed", "Upgrade complete");
	json_decref(history);
	delete_hr("stuck");
	assert_null(get("apps/v1", "Deployment", "stuck-app"));
}

/* Sets a Job's status to complete, as the job controller would (none runs here). */
static void complete_job(const char *name)
{
	assert_int_equal(cft_sh("now=$(date -u +%%FT%%TZ); kubectl --kubeconfig '%s' -n '%s' patch job '%s' --subresource=status"
				" --type merge -p \"{\\\"status\\\":{\\\"startTime\\\":\\\"$now\\\",\\\"completionTime\\\":\\\"$now\\\","
				"\\\"succeeded\\\":1,\\\"conditions\\\":[{\\\"type\\\":\\\"SuccessCriteriaMet\\\",\\\"status\\\":\\\"True\\\"},"
				"{\\\"type\\\":\\\"Complete\\\",\\\"status\\\":\\\"True\\\"}]}}\" >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns, name),
			 0);
}

static json_t *wait_object(const char *api, const char *kind, const char *name)
{
	json_t *obj = NULL;

	for (long long end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end && !(obj = get(api, kind, name)); usleep(200000))
		;
	return obj;
}

static int gone(const char *api, const char *kind, const char *name)
{
	json_t *obj = NULL;

	for (long long end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end && (obj = get(api, kind, name)); usleep(200000))
		json_decref(obj);
	obj = get(api, kind, name);
	json_decref(obj);
	return obj == NULL;
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
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"hk\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"90s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"test\":{\"enable\":true},\"values\":{\"hooks\":true}}}"),
			 0);
	json_t *job = wait_object("batch/v1", "Job", "hk-pre-b");
	assert_non_null(job);
	json_decref(job);
	assert_null(get("batch/v1", "Job", "hk-pre-a"));
	assert_null(get("v1", "ConfigMap", "hk-cm"));
	complete_job("hk-pre-b");
	job = wait_object("batch/v1", "Job", "hk-pre-a");
	assert_non_null(job);
	json_decref(job);
	assert_true(gone("batch/v1", "Job", "hk-pre-b"));
	assert_null(get("v1", "ConfigMap", "hk-cm"));
	complete_job("hk-pre-a");
	/* The release's objects, then post-install, then the test. */
	job = wait_object("batch/v1", "Job", "hk-test");
	assert_non_null(job);
	json_decref(job);
	assert_cm("hk-cm", "message", "default");
	json_t *hook_cm = get("v1", "ConfigMap", "hk-hook");
	assert_non_null(hook_cm);
	json_decref(hook_cm);
	complete_job("hk-test");
	hr = wait_released("hk", 1);
	assert_non_null(hr);
	assert_string_equal(cond(hr, "TestSuccess", "status"), "True");
	assert_string_equal(cond(hr, "TestSuccess", "reason"), "TestSucceeded");
	assert_string_equal(cond(hr, "Ready", "reason"), "TestSucceeded");
	snap = json_array_get(json_object_get(json_object_get(hr, "status"), "history"), 0);
	assert_string_equal(s(json_object_get(json_object_get(snap, "testHooks"), "hk-test"), "phase"), "Succeeded");
	json_decref(hr);
	assert_true(gone("batch/v1", "Job", "hk-test"));
	job = get("batch/v1", "Job", "hk-pre-a");
	assert_non_null(job);
	json_decref(job);

	st = helm_json("status hk");
	assert_non_null(st);
	assert_int_equal(json_array_size(json_object_get(st, "hooks")), 4);
	json_array_foreach(json_object_get(st, "hooks"), i, h) {
		assert_string_equal(s(json_object_get(h, "last_run"), "phase"), "Succeeded");
		if (strcmp(s(h, "name"), "hk-pre-b") == 0) {
			assert_int_equal(json_integer_value(json_object_get(h, "weight")), 1);
			assert_string_equal(json_string_value(json_array_get(json_object_get(h, "delete_policies"), 0)),
					    "hook-succeeded");
			assert_string_equal(s(h, "path"), "hello/templates/job-pre-b.yaml");
		}
	}
	json_decref(st);
	char *hooks = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get hooks hk", helm_bin, getenv("CF_KUBECONFIG"), e.ns);
	assert_non_null(hooks);
	assert_non_null(strstr(hooks, "name: hk-pre-a"));
	assert_non_null(strstr(hooks, "helm.sh/hook: post-install"));
	free(hooks);
	/* The stored manifest still leaves hooks out. */
	char *manifest = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' get manifest hk", helm_bin, getenv("CF_KUBECONFIG"), e.ns);
	assert_non_null(manifest);
	assert_null(strstr(manifest, "helm.sh/hook"));
	free(manifest);
	delete_hr("hk");
}

static int annotate(const char *name, const char *key, const char *value)
{
	return cft_sh("kubectl --kubeconfig '%s' -n '%s' annotate helmrelease '%s' --overwrite"
		      " reconcile.fluxcd.io/requestedAt='%s' '%s=%s' >/dev/null",
		      getenv("CF_KUBECONFIG"), e.ns, name, value, key, value);
}

static int crd_exists(void)
{
	return cft_sh("kubectl --kubeconfig '%s' get crd widgets.hc.cflux.test >/dev/null 2>&1", getenv("CF_KUBECONFIG")) == 0;
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
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"sk\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"install\":{\"crds\":\"Skip\"}}}"),
			 0);
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"dep\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"dependsOn\":[{\"name\":\"sk\"}],"
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	hr = wait_cond("sk", "Stalled", "True", "RetriesExceeded");
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Released", "reason"), "InstallFailed");
	assert_int_equal(status_int(hr, "installFailures"), 1);
	json_decref(hr);
	assert_false(crd_exists());
	hr = wait_cond("dep", "Ready", "False", "DependencyNotReady");
	assert_non_null(hr);
	snprintf(dep_msg, sizeof(dep_msg), "dependency '%s/sk' is not ready", e.ns);
	assert_string_equal(cond(hr, "Ready", "message"), dep_msg);
	assert_null(json_object_get(json_object_get(hr, "status"), "history"));
	json_decref(hr);

	/* resetAt: the counters start over and one more attempt runs (an upgrade of the failed release). */
	assert_int_equal(annotate("sk", "reconcile.fluxcd.io/resetAt", "reset-1"), 0);
	long long end;
	for (end = cft_now_ms() + TIMEOUT_MS, hr = NULL; cft_now_ms() < end; usleep(300000)) {
		json_decref(hr);
		hr = get(HR_API, "HelmRelease", "sk");
		if (status_int(hr, "upgradeFailures") == 1 && eq(cond(hr, "Stalled", "status"), "True"))
			break;
	}
	assert_string_equal(s(json_object_get(hr, "status"), "lastHandledResetAt"), "reset-1");
	assert_int_equal(status_int(hr, "upgradeFailures"), 1);
	assert_int_equal(status_int(hr, "installFailures"), 0);
	assert_string_equal(cond(hr, "Stalled", "message"), "Failed to upgrade after 1 attempt(s)");
	json_decref(hr);

	/* CRD policies that create: a new generation, so a new attempt that now succeeds. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease sk --type merge"
				" -p '{\"spec\":{\"install\":{\"crds\":\"Create\"},\"upgrade\":{\"crds\":\"CreateReplace\"}}}'"
				" >/dev/null", getenv("CF_KUBECONFIG"), e.ns),
			 0);
	hr = wait_released("sk", 3);
	assert_non_null(hr);
	assert_null(cond(hr, "Stalled", "status"));
	json_decref(hr);
	assert_true(crd_exists());
	json_t *w = get("hc.cflux.test/v1", "Widget", "sk-w");
	assert_non_null(w);
	json_decref(w);
	history = helm_json("history sk");
	assert_non_null(history);
	assert_history_entry(history, 0, 1, "failed", "Release \"sk\" failed: ");
	assert_history_entry(history, 1, 2, "failed", "Upgrade \"sk\" failed: ");
	assert_history_entry(history, 2, 3, "deployed", "Upgrade complete");
	json_decref(history);
	/* Its dependency Ready, dep installs. */
	hr = wait_released("dep", 1);
	assert_non_null(hr);
	json_decref(hr);

	/* forceAt: an upgrade although nothing changed. */
	assert_int_equal(annotate("sk", "reconcile.fluxcd.io/forceAt", "force-1"), 0);
	hr = wait_released("sk", 4);
	assert_non_null(hr);
	assert_string_equal(s(json_object_get(hr, "status"), "lastHandledForceAt"), "force-1");
	json_decref(hr);
	delete_hr("dep");
	delete_hr("sk");
}

/* Annotates requestedAt and waits until the controller has handled it; the HelmRelease then. */
static json_t *reconcile_now(const char *name, const char *token)
{
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' annotate helmrelease '%s' --overwrite"
				" reconcile.fluxcd.io/requestedAt='%s' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns, name, token),
			 0);
	for (long long end = cft_now_ms() + TIMEOUT_MS; cft_now_ms() < end; usleep(200000)) {
		json_t *hr = get(HR_API, "HelmRelease", name);
		if (eq(s(json_object_get(hr, "status"), "lastHandledReconcileAt"), token))
			return hr;
		json_decref(hr);
	}
	return NULL;
}

static int has_inventory(const json_t *hr, const char *id)
{
	json_t *entry;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(json_object_get(hr, "status"), "inventory"), "entries"), i, entry)
		if (eq(s(entry, "id"), id))
			return 1;
	return 0;
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
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"dr\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}},"
					   "\"driftDetection\":{\"mode\":\"warn\",\"ignore\":[{\"paths\":[\"/data/greeting\"],"
					   "\"target\":{\"kind\":\"ConfigMap\"}}]}}}"),
			 0);
	hr = wait_released("dr", 1);
	assert_non_null(hr);
	snprintf(id, sizeof(id), "%s_dr-cm__ConfigMap", e.ns);
	assert_true(has_inventory(hr, id));
	json_decref(hr);

	/* A change under an ignored path is no drift. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch configmap dr-cm --type merge"
				" -p '{\"data\":{\"greeting\":\"tampered\"}}' >/dev/null", getenv("CF_KUBECONFIG"), e.ns),
			 0);
	hr = reconcile_now("dr", "drift-1");
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Drifted", "status"), "False");
	assert_string_equal(cond(hr, "Drifted", "reason"), "NoDriftDetected");
	json_decref(hr);

	/* warn: reported, not corrected. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch configmap dr-cm --type merge"
				" -p '{\"data\":{\"message\":\"tampered\"}}' >/dev/null &&"
				" kubectl --kubeconfig '%s' -n '%s' delete serviceaccount dr-sa >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns, getenv("CF_KUBECONFIG"), e.ns),
			 0);
	hr = reconcile_now("dr", "drift-2");
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Drifted", "status"), "True");
	assert_string_equal(cond(hr, "Drifted", "reason"), "DriftDetected");
	snprintf(changed, sizeof(changed), "ConfigMap/%s/dr-cm changed", e.ns);
	snprintf(removed, sizeof(removed), "ServiceAccount/%s/dr-sa removed", e.ns);
	assert_non_null(strstr(cond(hr, "Drifted", "message"), changed));
	assert_non_null(strstr(cond(hr, "Drifted", "message"), removed));
	assert_string_equal(cond(hr, "Ready", "status"), "True");
	json_decref(hr);
	assert_cm("dr-cm", "message", "tampered");
	assert_null(get("v1", "ServiceAccount", "dr-sa"));
	char *ev = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get events --field-selector"
			      " reason=DriftDetected,involvedObject.name=dr -o jsonpath='{.items[0].message}'",
			      getenv("CF_KUBECONFIG"), e.ns);
	assert_non_null(ev);
	assert_non_null(strstr(ev, changed));
	free(ev);

	/* enabled: corrected. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease dr --type merge"
				" -p '{\"spec\":{\"driftDetection\":{\"mode\":\"enabled\"}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns),
			 0);
	/* Drifted turns False (DriftCorrected, then NoDriftDetected at the next look); the Event stays. */
	hr = wait_cond("dr", "Drifted", "False", NULL);
	assert_non_null(hr);
	json_decref(hr);
	ev = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get events --field-selector"
			" reason=DriftCorrected,involvedObject.name=dr -o jsonpath='{.items[0].message}'",
			getenv("CF_KUBECONFIG"), e.ns);
	assert_non_null(ev);
	assert_non_null(strstr(ev, changed));
	assert_non_null(strstr(ev, removed));
	free(ev);
	assert_cm("dr-cm", "message", "default");
	json_t *sa = get("v1", "ServiceAccount", "dr-sa");
	assert_non_null(sa);
	json_decref(sa);
	hr = reconcile_now("dr", "drift-3");
	assert_non_null(hr);
	assert_string_equal(cond(hr, "Drifted", "reason"), "NoDriftDetected");
	json_decref(hr);
	delete_hr("dr");
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
	assert_int_equal(sc_e2e_create(&e, "{\"apiVersion\":\"" HR_API "\",\"kind\":\"HelmRelease\","
					   "\"metadata\":{\"name\":\"imp\"},\"spec\":{\"interval\":\"10m\",\"timeout\":\"20s\","
					   "\"serviceAccountName\":\"deployer\","
					   "\"chart\":{\"spec\":{\"chart\":\"hello\",\"version\":\"0.1.0\","
					   "\"sourceRef\":{\"kind\":\"HelmRepository\",\"name\":\"hc-repo\"}}}}}"),
			 0);
	/* As in Flux, reading the release's storage is the first thing it may not do. */
	hr = wait_cond("imp", "Ready", "False", "StateError");
	assert_non_null(hr);
	snprintf(user, sizeof(user), "system:serviceaccount:%s:deployer", e.ns);
	if (!strstr(cond(hr, "Ready", "message"), user))
		fail_msg("message does not name %s: %s", user, cond(hr, "Ready", "message"));
	json_decref(hr);
	char *records = cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get secrets -l owner=helm,name=imp -o name | wc -l",
				   getenv("CF_KUBECONFIG"), e.ns);
	assert_non_null(records);
	assert_string_equal(records, "0");
	free(records);

	/* crds Skip first, while still forbidden, so the first attempt the ServiceAccount may make installs. */
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' patch helmrelease imp --type merge"
				" -p '{\"spec\":{\"install\":{\"crds\":\"Skip\"}}}' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns),
			 0);
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' create role deployer --verb='*' --resource='*.*' >/dev/null &&"
				" kubectl --kubeconfig '%s' -n '%s' create rolebinding deployer --role=deployer"
				" --serviceaccount='%s:deployer' >/dev/null",
				getenv("CF_KUBECONFIG"), e.ns, getenv("CF_KUBECONFIG"), e.ns, e.ns),
			 0);
	/* The authorizer sees new RBAC objects through its own cache: wait until it does, then ask for a reconcile. */
	assert_int_equal(cft_sh("for i in $(seq 100); do kubectl --kubeconfig '%s' -n '%s' auth can-i list secrets"
				" --as='%s' >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1",
				getenv("CF_KUBECONFIG"), e.ns, user),
			 0);
	json_decref(reconcile_now("imp", "rbac-ready"));
	hr = wait_released("imp", 1);
	assert_non_null(hr);
	json_decref(hr);
	assert_cm("imp-cm", "message", "default");
	delete_hr("imp");
	assert_null(get("v1", "ConfigMap", "imp-cm"));
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
	return cmocka_run_group_tests(tests, setup, teardown);
}
