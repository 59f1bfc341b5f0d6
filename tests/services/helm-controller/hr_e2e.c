/*
 * The HelmRelease end-to-end harness: a namespace on the real control plane with source-controller
 * (sc_e2e), a Helm HTTP repository serving a test chart packaged by the real helm, helm-controller
 * watching the namespace, and helpers to read objects, conditions and the real helm's view.
 */
#include "hr_e2e.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "testsupport.h"

sc_e2e hre;
pid_t hre_hc_pid;
char hre_helm_dir[1200];
char hre_helm_bin[1024];
int hre_with_widgets = 1;

static void hre_load_helm_env(void)
{
	char path[1300];

	snprintf(path, sizeof(path), "%s/env", hre_helm_dir);
	cft_load_env(path);
}


/* The chart under test: a ConfigMap of values and a ServiceAccount, packaged by the real helm. */
int hre_make_chart(const char *version, const char *app_version)
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
		      "  beta: {{ .Capabilities.APIVersions.Has \"policy/v1beta1\" | quote }}\\n"
		      "  widgets: {{ .Capabilities.APIVersions.Has \"hc.cflux.test/v1/Widget\" | quote }}\\n'"
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
		      /* extra / keep / newobj: objects an upgrade drops (keep: with resource-policy keep) or adds. */
		      " printf '{{- if .Values.extra }}\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n"
		      "  name: {{ .Release.Name }}-extra\\n{{- end }}\\n' > \"$d/templates/extra.yaml\";"
		      " printf '{{- if .Values.keep }}\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n"
		      "  name: {{ .Release.Name }}-keep\\n  annotations:\\n    helm.sh/resource-policy: keep\\n{{- end }}\\n'"
		      " > \"$d/templates/keep.yaml\";"
		      " printf '{{- if .Values.newobj }}\\napiVersion: v1\\nkind: Secret\\nmetadata:\\n"
		      "  name: {{ .Release.Name }}-new\\n{{- end }}\\n' > \"$d/templates/new.yaml\";"
		      /* tjob=true: a test Job of its own (the test marks it failed or complete). */
		      " printf '{{- if .Values.tjob }}\\napiVersion: batch/v1\\nkind: Job\\nmetadata:\\n"
		      "  name: {{ .Release.Name }}-t\\n  annotations:\\n    helm.sh/hook: test\\n"
		      "    helm.sh/hook-delete-policy: before-hook-creation\\nspec:\\n  template:\\n    spec:\\n"
		      "      restartPolicy: Never\\n      containers:\\n      - name: c\\n"
		      "        image: registry.invalid/test:1\\n{{- end }}\\n' > \"$d/templates/tjob.yaml\";"
		      " printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: {{ .Release.Name }}-hook\\n"
		      "  annotations:\\n    helm.sh/hook: post-install\\n' > \"$d/templates/hook.yaml\";"
		      /* Without the widgets, no cluster-wide CRD is shared with tests running alongside. */
		      " [ %d = 1 ] || rm -rf \"$d/crds\" \"$d/templates/widget.yaml\";"
		      " '%s' package \"$d\" -d '%s/hc' >/dev/null; '%s' repo index '%s/hc'",
		      hre_helm_dir, getenv("HELM_WWW"), version, app_version, hre_with_widgets, hre_helm_bin, getenv("HELM_WWW"),
		      hre_helm_bin, getenv("HELM_WWW"));
}


int hre_start_helm_controller(void)
{
	char kc[1200], bind[64], health[64], tmp[1200], log[1200], bus[80];

	snprintf(kc, sizeof(kc), "--kubeconfig=%s", getenv("CF_KUBECONFIG"));
	/* source-controller's bus: ArtifactReady hints about HelmCharts. */
	snprintf(bus, sizeof(bus), "--events-connect=tcp://127.0.0.1:%d", hre.bus_port);
	snprintf(bind, sizeof(bind), "--events-bind=tcp://127.0.0.1:%d", cft_free_port());
	snprintf(health, sizeof(health), "--health-addr=127.0.0.1:%d", cft_free_port());
	snprintf(tmp, sizeof(tmp), "--tmp-path=%s", hre.dir);
	snprintf(log, sizeof(log), "%s/helm-controller.log", hre.dir);
	char *argv[] = {HC_BINARY, kc, bind, health, tmp, bus, "--metrics-addr=0", "--requeue-dependency=2s", "--watch-all-namespaces=false",
			"--http-retry=2", "--log-level=debug", NULL};
	hre_hc_pid = cft_spawn(log, argv);
	return hre_hc_pid > 0 ? 0 : -1;
}


int hre_setup(void **state)
{
	(void)state;
	if (!getenv("CF_KUBECONFIG"))
		return 0;
	snprintf(hre_helm_bin, sizeof(hre_helm_bin), "%s/.cache/cflux/bin/helm", getenv("HOME"));
	if (sc_e2e_up(&hre) < 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		return -1;
	}
	snprintf(hre_helm_dir, sizeof(hre_helm_dir), "%s/helm", hre.dir);
	if (cft_sh("HELM='%s' '%s/tests/services/source-controller/helm-server.sh' '%s' start >/dev/null",
		   hre_helm_bin, CF_SOURCE_DIR, hre_helm_dir) != 0)
		return -1;
	hre_load_helm_env();
	if (hre_make_chart("0.1.0", "1.2.3") != 0)
		return -1;
	if (cft_sh("kubectl --kubeconfig '%s' wait --for condition=established --timeout=60s"
		   " crd/helmrepositories.source.toolkit.fluxcd.io crd/helmcharts.source.toolkit.fluxcd.io"
		   " crd/helmreleases.helm.toolkit.fluxcd.io >/dev/null",
		   getenv("CF_KUBECONFIG")) != 0)
		return -1;
	return hre_start_helm_controller();
}


int hre_teardown(void **state)
{
	(void)state;
	if (hre.dir && getenv("CF_E2E_SHOW_LOG"))
		cft_sh("tail -80 '%s/helm-controller.log' >&2", hre.dir);
	int rc = 0;
	if (hre_hc_pid > 0 && (rc = cft_stop(hre_hc_pid, 10000)) != 0)
		fprintf(stderr, "helm-controller exited with %d\n", rc);
	/* Sanitizer reports (builds with CF_SANITIZE) fail the run. */
	if (hre.dir && cft_sh("! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' '%s/helm-controller.log' >&2", hre.dir) != 0)
		rc = -1;
	if (*hre_helm_dir)
		cft_sh("'%s/tests/services/source-controller/helm-server.sh' '%s' stop >/dev/null 2>&1", CF_SOURCE_DIR,
		       hre_helm_dir);
	sc_e2e_down(&hre);
	return rc == 0 ? 0 : -1;
}


json_t *hre_get(const char *api, const char *kind, const char *name)
{
	cf_kube_ref ref = {api, kind, hre.ns, name};
	char *text = NULL;
	json_t *obj;

	if (cf_kube_get(hre.kube, &text, &ref) < 0)
		return NULL;
	obj = json_loads(text, 0, NULL);
	free(text);
	return obj;
}


const char *hre_cond(const json_t *obj, const char *type, const char *field)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
			return json_string_value(json_object_get(c, field));
	return NULL;
}


/* Waits for Ready=True at the current generation with release revision `version` recorded. */
json_t *hre_wait_released(const char *name, int version)
{
	long long end = cft_now_ms() + HRE_TIMEOUT_MS;

	while (cft_now_ms() < end) {
		json_t *hr = hre_get(HR_API, "HelmRelease", name);
		json_t *status = json_object_get(hr, "status");
		json_t *snap = json_array_get(json_object_get(status, "history"), 0);
		const char *ready = hre_cond(hr, "Ready", "status");
		if (ready && strcmp(ready, "True") == 0 &&
		    json_integer_value(json_object_get(status, "observedGeneration")) ==
			    json_integer_value(json_object_get(json_object_get(hr, "metadata"), "generation")) &&
		    json_integer_value(json_object_get(snap, "version")) == version)
			return hr;
		json_decref(hr);
		usleep(300000);
	}
	json_t *hr = hre_get(HR_API, "HelmRelease", name);
	char *text = hr ? json_dumps(json_object_get(hr, "status"), JSON_INDENT(1)) : NULL;
	fprintf(stderr, "HelmRelease %s not released as v%d; status: %s\n", name, version, text ? text : "(none)");
	free(text);
	json_decref(hr);
	cft_sh("grep -v 'kube request' '%s/helm-controller.log' | tail -15 >&2", hre.dir);
	return NULL;
}


/* Output of the real helm against the test cluster, parsed as JSON. */
json_t *hre_helm_json(const char *args)
{
	char *out = cft_sh_out("'%s' --kubeconfig '%s' -n '%s' %s -o json", hre_helm_bin, getenv("CF_KUBECONFIG"), hre.ns,
			       args);
	json_t *j = out ? json_loads(out, 0, NULL) : NULL;

	if (!j)
		fprintf(stderr, "helm %s gave: %s\n", args, out ? out : "(nothing)");
	free(out);
	return j;
}


int hre_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}


const char *hre_s(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : "";
}


/* The API server's gitVersion, as GET /version gives it (malloc'd). */
char *hre_server_version(void)
{
	char *out = cft_sh_out("kubectl --kubeconfig '%s' get --raw /version", getenv("CF_KUBECONFIG"));
	json_t *v = out ? json_loads(out, 0, NULL) : NULL;
	char *git = json_string_value(json_object_get(v, "gitVersion")) ?
			    strdup(json_string_value(json_object_get(v, "gitVersion"))) : NULL;

	json_decref(v);
	free(out);
	return git;
}


void hre_assert_cm(const char *name, const char *key, const char *value)
{
	json_t *cm = hre_get("v1", "ConfigMap", name);

	assert_non_null(cm);
	assert_string_equal(hre_s(json_object_get(cm, "data"), key), value);
	assert_string_equal(hre_s(json_object_get(json_object_get(cm, "metadata"), "labels"), "app.kubernetes.io/managed-by"),
			    "Helm");
	json_decref(cm);
}


/* Polls the HelmRelease until condition `type` has `status` (and `reason` unless NULL). */
json_t *hre_wait_cond(const char *name, const char *type, const char *status, const char *reason)
{
	long long end = cft_now_ms() + HRE_TIMEOUT_MS;

	while (cft_now_ms() < end) {
		json_t *hr = hre_get(HR_API, "HelmRelease", name);
		const char *st = hre_cond(hr, type, "status"), *why = hre_cond(hr, type, "reason");
		if (st && strcmp(st, status) == 0 && (!reason || (why && strcmp(why, reason) == 0)))
			return hr;
		json_decref(hr);
		usleep(300000);
	}
	cft_sh("tail -40 '%s/helm-controller.log' >&2", hre.dir);
	return NULL;
}


void hre_delete_hr(const char *name)
{
	cf_kube_ref ref = {HR_API, "HelmRelease", hre.ns, name};
	json_t *hr;
	long long end;

	assert_int_equal(cf_kube_delete(hre.kube, NULL, &ref, NULL), 0);
	for (end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end && (hr = hre_get(HR_API, "HelmRelease", name)); usleep(300000))
		json_decref(hr);
	assert_null(hre_get(HR_API, "HelmRelease", name));
}


int64_t hre_status_int(const json_t *hr, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(hr, "status"), key));
}


void hre_assert_history_entry(const json_t *history, size_t i, int revision, const char *status, const char *desc_prefix)
{
	const json_t *h = json_array_get(history, i);

	assert_int_equal(json_integer_value(json_object_get(h, "revision")), revision);
	assert_string_equal(hre_s(h, "status"), status);
	if (desc_prefix && strncmp(hre_s(h, "description"), desc_prefix, strlen(desc_prefix)) != 0) {
		fprintf(stderr, "revision %d: description '%s' does not start with '%s'\n", revision, hre_s(h, "description"),
			desc_prefix);
		fail();
	}
}


char *hre_record_status(const char *release, int version)
{
	return cft_sh_out("kubectl --kubeconfig '%s' -n '%s' get secret sh.helm.release.v1.%s.v%d"
			  " -o jsonpath='{.metadata.labels.status}' 2>/dev/null",
			  getenv("CF_KUBECONFIG"), hre.ns, release, version);
}


/* Sets a Job's status to complete, as the job controller would (none runs here). */
void hre_complete_job(const char *name)
{
	assert_int_equal(cft_sh("now=$(date -u +%%FT%%TZ); kubectl --kubeconfig '%s' -n '%s' patch job '%s' --subresource=status"
				" --type merge -p \"{\\\"status\\\":{\\\"startTime\\\":\\\"$now\\\",\\\"completionTime\\\":\\\"$now\\\","
				"\\\"succeeded\\\":1,\\\"conditions\\\":[{\\\"type\\\":\\\"SuccessCriteriaMet\\\",\\\"status\\\":\\\"True\\\"},"
				"{\\\"type\\\":\\\"Complete\\\",\\\"status\\\":\\\"True\\\"}]}}\" >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, name),
			 0);
}


json_t *hre_wait_object(const char *api, const char *kind, const char *name)
{
	json_t *obj = NULL;

	for (long long end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end && !(obj = hre_get(api, kind, name)); usleep(200000))
		;
	return obj;
}


int hre_gone(const char *api, const char *kind, const char *name)
{
	json_t *obj = NULL;

	for (long long end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end && (obj = hre_get(api, kind, name)); usleep(200000))
		json_decref(obj);
	obj = hre_get(api, kind, name);
	json_decref(obj);
	return obj == NULL;
}


int hre_annotate(const char *name, const char *key, const char *value)
{
	return cft_sh("kubectl --kubeconfig '%s' -n '%s' annotate helmrelease '%s' --overwrite"
		      " reconcile.fluxcd.io/requestedAt='%s' '%s=%s' >/dev/null",
		      getenv("CF_KUBECONFIG"), hre.ns, name, value, key, value);
}


int hre_crd_exists(void)
{
	return cft_sh("kubectl --kubeconfig '%s' get crd widgets.hc.cflux.test >/dev/null 2>&1", getenv("CF_KUBECONFIG")) == 0;
}


/* Annotates requestedAt and waits until the controller has handled it; the HelmRelease then. */
json_t *hre_reconcile_now(const char *name, const char *token)
{
	assert_int_equal(cft_sh("kubectl --kubeconfig '%s' -n '%s' annotate helmrelease '%s' --overwrite"
				" reconcile.fluxcd.io/requestedAt='%s' >/dev/null",
				getenv("CF_KUBECONFIG"), hre.ns, name, token),
			 0);
	for (long long end = cft_now_ms() + HRE_TIMEOUT_MS; cft_now_ms() < end; usleep(200000)) {
		json_t *hr = hre_get(HR_API, "HelmRelease", name);
		if (hre_eq(hre_s(json_object_get(hr, "status"), "lastHandledReconcileAt"), token))
			return hr;
		json_decref(hr);
	}
	return NULL;
}


int hre_has_inventory(const json_t *hr, const char *id)
{
	json_t *entry;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(json_object_get(hr, "status"), "inventory"), "entries"), i, entry)
		if (hre_eq(hre_s(entry, "id"), id))
			return 1;
	return 0;
}


int hre_create_repo(void)
{
	char url[600];

	snprintf(url, sizeof(url), "%s/hc", getenv("HELM_HTTP_URL"));
	return sc_e2e_create(&hre, "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"HelmRepository\","
				   "\"metadata\":{\"name\":\"hc-repo\"},\"spec\":{\"interval\":\"10m\",\"url\":\"%s\"}}",
			     url);
}
