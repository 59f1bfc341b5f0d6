/*
 * The HelmRelease reconciler: a HelmChart from spec.chart, its artifact fetched and verified, values
 * composed, the chart rendered and server-side applied, and the release recorded in Helm's own
 * storage so the helm CLI sees it; status history, conditions and Events after every run.
 */
#include "hc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "cf/artifact.h"
#include "cf/duration.h"
#include "cf/error.h"

const cf_object_reporter hc_reporter = {HC_CONTROLLER, HC_GROUP "/revision"};

#define DEFAULT_INTERVAL_MS (10 * 60 * 1000)
#define RELEASE_NAME_MAX 53

static int fail(hc_rec *r, int err, const char *reason, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(hc_rec *r, int err, const char *reason, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_cond_set(r->obj, CF_COND_READY, "False", reason, msg, r->now);
	cf_object_event(r->env->kube, &hc_reporter, r->obj, "Warning", reason, r->revision, "%s", msg);
	cf_log_error(&r->log, "%s", msg);
	return err < 0 ? err : CF_ERROR;
}

json_t *hc_status(hc_rec *r)
{
	json_t *status = json_object_get(r->obj, "status");

	if (!json_is_object(status))
		json_object_set_new(r->obj, "status", status = json_object());
	return status;
}

static void set_status(hc_rec *r, const char *key, json_t *value)
{
	json_object_set_new(hc_status(r), key, value);
}

/* Flux's release name: [<targetNamespace>-]<name>, shortened with a hash past 53 characters. */
static void release_name(hc_rec *r)
{
	const char *name = cf_object_str(r->obj, "spec.releaseName"), *tns = cf_object_str(r->obj, "spec.targetNamespace");
	char full[600], hex[80];

	if (name && *name) {
		snprintf(r->release, sizeof(r->release), "%s", name);
		return;
	}
	snprintf(full, sizeof(full), "%s%s%s", tns && *tns ? tns : "", tns && *tns ? "-" : "",
		 cf_object_str(r->obj, "metadata.name"));
	if (strlen(full) <= RELEASE_NAME_MAX) {
		snprintf(r->release, sizeof(r->release), "%s", full);
		return;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(full, strlen(full), md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 6 && i < n; i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", md[i]);
	snprintf(r->release, sizeof(r->release), "%.40s-%.12s", full, hex);
}

static void names(hc_rec *r)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace"), *v;

	release_name(r);
	v = cf_object_str(r->obj, "spec.targetNamespace");
	snprintf(r->target_ns, sizeof(r->target_ns), "%s", v && *v ? v : ns);
	v = cf_object_str(r->obj, "spec.storageNamespace");
	snprintf(r->storage_ns, sizeof(r->storage_ns), "%s", v && *v ? v : ns);
	if (json_object_get(json_object_get(r->obj, "spec"), "chartRef")) {
		v = cf_object_str(r->obj, "spec.chartRef.namespace");
		snprintf(r->chart_ns, sizeof(r->chart_ns), "%s", v && *v ? v : ns);
		v = cf_object_str(r->obj, "spec.chartRef.name");
		snprintf(r->chart_name, sizeof(r->chart_name), "%s", v ? v : "");
		return;
	}
	v = cf_object_str(r->obj, "spec.chart.spec.sourceRef.namespace");
	snprintf(r->chart_ns, sizeof(r->chart_ns), "%s", v && *v ? v : ns);
	snprintf(r->chart_name, sizeof(r->chart_name), "%s-%s", ns, cf_object_str(r->obj, "metadata.name"));
}

/* ---- HelmChart ---- */

static json_t *helmchart_body(hc_rec *r)
{
	json_t *tpl = json_object_get(json_object_get(json_object_get(r->obj, "spec"), "chart"), "spec");
	json_t *spec = json_object(), *v;
	static const char *const copied[] = {"chart", "version", "valuesFiles", "ignoreMissingValuesFiles",
					     "reconcileStrategy", "verify", NULL};

	for (const char *const *k = copied; *k; k++)
		if ((v = json_object_get(tpl, *k)))
			json_object_set(spec, *k, v);
	if (!json_object_get(spec, "version"))
		json_object_set_new(spec, "version", json_string("*"));
	json_object_set_new(spec, "sourceRef", json_pack("{s:s?,s:s?}", "kind", cf_object_str(tpl, "sourceRef.kind"), "name",
							 cf_object_str(tpl, "sourceRef.name")));
	v = json_object_get(tpl, "interval") ? json_object_get(tpl, "interval") : json_object_get(json_object_get(r->obj, "spec"), "interval");
	json_object_set(spec, "interval", v ? v : json_string("10m"));
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:o}", "apiVersion", HC_SOURCE_API, "kind", "HelmChart",
			 "metadata", "name", r->chart_name, "namespace", r->chart_ns, "labels",
			 HC_GROUP "/name", cf_object_str(r->obj, "metadata.name"), HC_GROUP "/namespace",
			 cf_object_str(r->obj, "metadata.namespace"), "spec", spec);
}

/* Server-side applies the HelmChart of spec.chart; r->helmchart is the live object the apply returned. */
static int apply_helmchart(hc_rec *r, const char *ref_str)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER, .force = 1};
	json_t *body;
	char *text = NULL, *applied = NULL;
	int err;

	if (!(body = helmchart_body(r)) || !(text = json_dumps(body, JSON_COMPACT))) {
		json_decref(body);
		return fail(r, CF_ENOMEM, HC_REASON_ARTIFACT_FAILED, "building the HelmChart failed");
	}
	json_decref(body);
	cf_kube_ref ref = {HC_SOURCE_API, "HelmChart", r->chart_ns, r->chart_name};
	/* The apply answers with the whole live object, status included: no GET needed after it. */
	err = cf_kube_patch(r->env->kube, &applied, &ref, CF_KUBE_PATCH_APPLY, text, &wo);
	free(text);
	if (err < 0) {
		free(applied);
		return fail(r, err, HC_REASON_ARTIFACT_FAILED, "failed to reconcile HelmChart '%s': %s", ref_str,
			    cf_error_last());
	}
	r->helmchart = applied ? json_loads(applied, 0, NULL) : NULL;
	free(applied);
	if (!json_is_object(r->helmchart))
		return fail(r, CF_EPARSE, HC_REASON_ARTIFACT_FAILED, "failed to reconcile HelmChart '%s': the API server sent invalid JSON",
			    ref_str);
	return 0;
}

/* spec.chartRef: an existing HelmChart is read, never changed; other kinds are not served here. */
static int get_chart_ref(hc_rec *r, const char *ref_str)
{
	const char *kind = cf_object_str(r->obj, "spec.chartRef.kind");
	int err;

	if (!kind || strcmp(kind, "HelmChart") != 0) {
		cf_cond_set(r->obj, CF_COND_STALLED, "True", HC_REASON_INIT_FAILED, "chartRef kind is not supported", r->now);
		return fail(r, CF_EUNSUPPORTED, HC_REASON_INIT_FAILED,
			    "chartRef kind '%s' is not supported: cflux serves HelmChart sources only", kind ? kind : "");
	}
	if ((err = cf_object_get(&r->helmchart, r->env->kube, HC_SOURCE_API, "HelmChart", r->chart_ns, r->chart_name)) < 0) {
		char msg[2800];
		if (err == CF_ENOTFOUND)
			snprintf(msg, sizeof(msg), "could not get Source object: helmcharts.source.toolkit.fluxcd.io \"%s\" not found",
				 r->chart_name);
		else
			snprintf(msg, sizeof(msg), "could not get Source object: %s", cf_error_last());
		/* Flux sets no Event here; the watch on HelmCharts wakes us when it appears. */
		cf_cond_set(r->obj, CF_COND_READY, "False", HC_REASON_ARTIFACT_FAILED, msg, r->now);
		cf_log_info(&r->log, "%s", msg);
		r->retry_ms = r->env->requeue_dependency_ms;
		return CF_EAGAIN;
	}
	return 0;
}

/*
 * A HelmChart this HelmRelease generated earlier and no longer uses (spec.chartRef now, or the
 * source moved to another namespace) is deleted, as Flux does.
 */
static void drop_old_helmchart(hc_rec *r, const char *ref_str)
{
	const char *old = cf_object_str(hc_status(r), "helmChart"), *slash = old ? strchr(old, '/') : NULL;
	char generated[300], ns[254];

	snprintf(generated, sizeof(generated), "%s-%s", cf_object_str(r->obj, "metadata.namespace"),
		 cf_object_str(r->obj, "metadata.name"));
	if (!slash || strcmp(old, ref_str) == 0 || strcmp(slash + 1, generated) != 0 || (size_t)(slash - old) >= sizeof(ns))
		return;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - old), old);
	cf_kube_ref ref = {HC_SOURCE_API, "HelmChart", ns, generated};
	int err = cf_kube_delete(r->env->kube, NULL, &ref, NULL);
	if (err < 0 && err != CF_ENOTFOUND)
		cf_log_error(&r->log, "deleting HelmChart '%s' failed: %s", old, cf_error_last());
	else
		cf_log_info(&r->log, "deleted HelmChart '%s'", old);
}

/*
 * Flux's isReady for a source: its current generation observed, not stalled, and an artifact to
 * use (a newer failed attempt does not hide the last good artifact). *why says what is missing.
 */
static int source_ready(const json_t *src, char *why, size_t size)
{
	json_t *og = json_object_get(json_object_get(src, "status"), "observedGeneration");
	int64_t gen = json_integer_value(json_object_get(json_object_get(src, "metadata"), "generation"));
	const char *ready_msg = cf_object_str(cf_cond_get(src, CF_COND_READY), "message");

	if (json_integer_value(og) != gen) {
		snprintf(why, size, "%s", cf_cond_has_status(src, CF_COND_READY, "False") && ready_msg ? ready_msg :
					  "latest generation of object has not been reconciled");
		return 0;
	}
	if (cf_cond_has_status(src, CF_COND_STALLED, "True")) {
		const char *stalled = cf_object_str(cf_cond_get(src, CF_COND_STALLED), "message");
		snprintf(why, size, "%s", stalled ? stalled : "");
		return 0;
	}
	if (!cf_object_str(src, "status.artifact.revision") || !cf_object_str(src, "status.artifact.url")) {
		snprintf(why, size, "does not have an artifact");
		return 0;
	}
	return 1;
}

static int step_helmchart(hc_rec *r)
{
	json_t *spec = json_object_get(r->obj, "spec");
	int by_ref = json_object_get(spec, "chartRef") != NULL, err;
	char ref_str[600];

	if (by_ref == (json_object_get(spec, "chart") != NULL)) {
		cf_cond_set(r->obj, CF_COND_STALLED, "True", HC_REASON_INIT_FAILED, "invalid Chart reference", r->now);
		return fail(r, CF_EINVALID, HC_REASON_INIT_FAILED, "invalid Chart reference");
	}
	snprintf(ref_str, sizeof(ref_str), "%s/%s", r->chart_ns, r->chart_name);
	drop_old_helmchart(r, ref_str);
	/* status.helmChart names a generated HelmChart only. */
	if (by_ref)
		json_object_del(hc_status(r), "helmChart");
	else
		set_status(r, "helmChart", json_string(ref_str));
	if ((err = by_ref ? get_chart_ref(r, ref_str) : apply_helmchart(r, ref_str)) < 0)
		return err;
	char why[2048];
	if (!source_ready(r->helmchart, why, sizeof(why))) {
		char msg[2800];
		snprintf(msg, sizeof(msg), "HelmChart '%s' is not ready: %s", ref_str, why);
		r->retry_ms = r->env->requeue_dependency_ms;
		/* Not an error to alert on: the watch on the HelmChart wakes us when it is ready. */
		cf_cond_set(r->obj, CF_COND_READY, "False", HC_REASON_SOURCE_NOT_READY, msg, r->now);
		cf_log_info(&r->log, "%s", msg);
		return CF_EAGAIN;
	}
	r->revision = cf_object_str(r->helmchart, "status.artifact.revision");
	r->log.revision = r->revision;
	return 0;
}

static int step_fetch(hc_rec *r, hc_chart *chart)
{
	const char *url = cf_object_str(r->helmchart, "status.artifact.url");
	const char *digest = cf_object_str(r->helmchart, "status.artifact.digest");
	cf_artifact_fetch_opts fo = {.retries = r->env->http_retry, .timeout_ms = 60000, .backoff_ms = 500};
	char dir[4200];
	void *buf = NULL;
	size_t len = 0;
	int err;

	snprintf(r->work, sizeof(r->work), "%s/helmrelease-XXXXXX", r->env->tmp_dir);
	if (!mkdtemp(r->work)) {
		r->work[0] = '\0';
		return fail(r, CF_EIO, HC_REASON_ARTIFACT_FAILED, "failed to create temporary working directory");
	}
	if (!digest)
		return fail(r, CF_EINVALID, HC_REASON_ARTIFACT_FAILED, "artifact of revision %s has no digest", r->revision);
	if ((err = cf_artifact_fetch_mem(&buf, &len, url, digest, &fo)) < 0)
		return fail(r, err, HC_REASON_ARTIFACT_FAILED, "failed to download artifact from %s: %s", url,
			    cf_error_last());
	snprintf(dir, sizeof(dir), "%s/chart", r->work);
	err = hc_chart_open(chart, buf, len, dir);
	free(buf);
	if (err < 0)
		return fail(r, err, HC_REASON_ARTIFACT_FAILED, "failed to load chart: %s", cf_error_last());
	return 0;
}

/* dependsOn: every HelmRelease named must be Ready at its current generation. */
static int step_dependencies(hc_rec *r)
{
	json_t *dep, *other = NULL;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(r->obj, "spec"), "dependsOn"), i, dep) {
		const char *name = cf_object_str(dep, "name"), *ns = cf_object_str(dep, "namespace");
		int ready;
		if (!name)
			continue;
		if (!ns || !*ns)
			ns = cf_object_str(r->obj, "metadata.namespace");
		ready = cf_object_get(&other, r->env->kube, HC_API_VERSION, HC_KIND, ns, name) == 0 &&
			cf_cond_has_status(other, CF_COND_READY, "True") &&
			json_integer_value(json_object_get(json_object_get(other, "status"), "observedGeneration")) ==
				json_integer_value(json_object_get(json_object_get(other, "metadata"), "generation"));
		json_decref(other);
		other = NULL;
		if (!ready) {
			char msg[700];
			snprintf(msg, sizeof(msg), "dependency '%s/%s' is not ready", ns, name);
			cf_cond_set(r->obj, CF_COND_READY, "False", HC_REASON_DEPENDENCY_NOT_READY, msg, r->now);
			cf_log_info(&r->log, "%s, retrying in %llds", msg, (long long)(r->env->requeue_dependency_ms / 1000));
			r->retry_ms = r->env->requeue_dependency_ms;
			return CF_EAGAIN;
		}
	}
	return 0;
}

static int run(hc_rec *r)
{
	hc_chart chart = {0};
	int err;

	names(r);
	if ((err = step_dependencies(r)) < 0 || (err = step_helmchart(r)) < 0 || (err = step_fetch(r, &chart)) < 0)
		goto done;
	err = hc_release_reconcile(r, &chart);
done:
	hc_chart_close(&chart);
	return err;
}

/* Deleting a HelmRelease uninstalls its release (unless suspended) and deletes its HelmChart. */
static int finalize(hc_rec *r)
{
	json_t *snap = json_array_get(json_object_get(hc_status(r), "history"), 0);
	cf_kube_ref ref;
	int err;

	names(r);
	if (snap && cf_object_str(snap, "name") && !json_is_true(json_object_get(json_object_get(r->obj, "spec"), "suspend"))) {
		const char *sns = cf_object_str(r->obj, "status.storageNamespace");
		char st[32];
		int64_t modified;
		/* The newest record, which may be newer than the status knows (a crash, a rollback). */
		int version = (int)json_integer_value(json_object_get(snap, "version"));
		hc_storage_last(&version, st, sizeof(st), &modified, r->kube, sns ? sns : r->storage_ns,
				cf_object_str(snap, "name"));
		hc_uninstall_opts uo;
		hc_uninstall_opts_read(&uo, r->obj);
		if ((err = hc_uninstall(r->kube, sns ? sns : r->storage_ns, cf_object_str(snap, "name"), version, &uo)) < 0) {
			cf_log_error(&r->log, "uninstall failed: %s", cf_error_last());
			return err;
		}
		cf_log_info(&r->log, "release %s uninstalled", cf_object_str(snap, "name"));
	}
	/* Only the HelmChart made for spec.chart is ours to delete; a chartRef's belongs to its author. */
	ref = (cf_kube_ref){HC_SOURCE_API, "HelmChart", r->chart_ns, r->chart_name};
	if (!json_object_get(json_object_get(r->obj, "spec"), "chartRef") && cf_kube_delete(r->env->kube, NULL, &ref, NULL) < 0)
		cf_log_debug(&r->log, "deleting HelmChart: %s", cf_error_last());
	return cf_object_finalizer(r->env->kube, r->obj, 0);
}

static void publish(hc_rec *r, uint64_t ms)
{
	if (cf_object_publish_result(r->env->bus, HC_CONTROLLER, HC_KIND, r->obj, r->revision, ms) < 0)
		cf_log_debug(&r->log, "publishing the result failed: %s", cf_error_last());
}

cf_result hc_reconcile(const cf_request *req)
{
	hc_env *env = req->service_ctx;
	hc_rec r = {.env = env, .log = *req->log, .now = time(NULL)};
	struct timespec a, b;
	cf_result res = cf_result_done();
	int err;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((err = cf_object_get(&r.obj, env->kube, HC_API_VERSION, HC_KIND, req->namespace_, req->name)) < 0)
		return err == CF_ENOTFOUND ? cf_result_done() : cf_result_error();
	/* Helm actions run as spec.serviceAccountName when set, as in Flux. */
	const char *sa = cf_object_str(r.obj, "spec.serviceAccountName");
	r.kube = env->kube;
	if (sa && *sa && cf_kube_new_as_service_account(&r.kube, env->kube, req->namespace_, sa) < 0) {
		cf_log_error(&r.log, "impersonating ServiceAccount %s failed: %s", sa, cf_error_last());
		r.kube = NULL;
		res = cf_result_error();
		goto done;
	}
	if (cf_object_str(r.obj, "metadata.deletionTimestamp")) {
		res = finalize(&r) < 0 ? cf_result_error() : cf_result_done();
		goto done;
	}
	if (cf_object_finalizer(env->kube, r.obj, 1) < 0) {
		res = cf_result_error();
		goto done;
	}
	if (json_is_true(json_object_get(json_object_get(r.obj, "spec"), "suspend"))) {
		cf_log_info(&r.log, "Reconciliation is suspended for this object");
		goto done;
	}
	r.old = json_deep_copy(r.obj);
	cf_cond_handle_requested_at(r.obj);
	int64_t interval = cf_object_duration_ms(r.obj, "spec.interval", DEFAULT_INTERVAL_MS);
	r.retry_ms = interval;
	err = run(&r);
	r.now = time(NULL);
	json_object_set(hc_status(&r), "observedGeneration",
			json_object_get(json_object_get(r.obj, "metadata"), "generation"));
	cf_cond_summarize(r.obj, r.now);
	/* A status the API server refuses loses the release's history: back off rather than act again soon. */
	int status_err = cf_object_patch_status(env->kube, r.old, r.obj);
	if (status_err < 0)
		cf_log_error(&r.log, "patching status failed: %s", cf_error_last());
	clock_gettime(CLOCK_MONOTONIC, &b);
	publish(&r, (uint64_t)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
	/* Waiting (CF_EAGAIN) comes back after retry_ms; failures back off as the runtime's error path does. */
	res = status_err < 0 ? cf_result_error() : err == CF_EAGAIN ? cf_result_requeue(r.retry_ms) :
	      err < 0 ? cf_result_error() : cf_result_requeue(interval);
done:
	if (r.kube != env->kube)
		cf_kube_free(r.kube);
	if (r.work[0])
		cf_object_rmtree(r.work);
	json_decref(r.helmchart);
	json_decref(r.old);
	json_decref(r.obj);
	return res;
}
