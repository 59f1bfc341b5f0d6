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
#define DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_MAX_HISTORY 5
#define RELEASE_NAME_MAX 53

/* Everything one reconcile of one HelmRelease works with. */
typedef struct {
	hc_env *env;
	json_t *obj;             /* the HelmRelease, status changed in place */
	json_t *old;             /* as read, for the status diff */
	json_t *helmchart;       /* the HelmChart */
	const char *revision;    /* chart version from the HelmChart artifact (borrowed) */
	char release[128];       /* release name */
	char target_ns[254];
	char storage_ns[254];
	char chart_name[254];    /* "<ns>-<name>" */
	char chart_ns[254];
	char work[4096];
	cf_log_ctx log;
	int64_t retry_ms;
	time_t now;
} reconcile;

static int fail(reconcile *r, int err, const char *reason, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(reconcile *r, int err, const char *reason, const char *fmt, ...)
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

static json_t *status_of(reconcile *r)
{
	json_t *status = json_object_get(r->obj, "status");

	if (!json_is_object(status))
		json_object_set_new(r->obj, "status", status = json_object());
	return status;
}

static void set_status(reconcile *r, const char *key, json_t *value)
{
	json_object_set_new(status_of(r), key, value);
}

/* Flux's release name: [<targetNamespace>-]<name>, shortened with a hash past 53 characters. */
static void release_name(reconcile *r)
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

static void names(reconcile *r)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace"), *v;

	release_name(r);
	v = cf_object_str(r->obj, "spec.targetNamespace");
	snprintf(r->target_ns, sizeof(r->target_ns), "%s", v && *v ? v : ns);
	v = cf_object_str(r->obj, "spec.storageNamespace");
	snprintf(r->storage_ns, sizeof(r->storage_ns), "%s", v && *v ? v : ns);
	v = cf_object_str(r->obj, "spec.chart.spec.sourceRef.namespace");
	snprintf(r->chart_ns, sizeof(r->chart_ns), "%s", v && *v ? v : ns);
	snprintf(r->chart_name, sizeof(r->chart_name), "%s-%s", ns, cf_object_str(r->obj, "metadata.name"));
}

/* ---- HelmChart ---- */

static json_t *helmchart_body(reconcile *r)
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

static int step_helmchart(reconcile *r)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER, .force = 1};
	json_t *body;
	char *text = NULL, ref_str[600];
	int err;

	if (!json_object_get(json_object_get(r->obj, "spec"), "chart"))
		return fail(r, CF_EINVALID, HC_REASON_INIT_FAILED, "spec.chartRef is not supported yet; use spec.chart");
	snprintf(ref_str, sizeof(ref_str), "%s/%s", r->chart_ns, r->chart_name);
	set_status(r, "helmChart", json_string(ref_str));
	if (!(body = helmchart_body(r)) || !(text = json_dumps(body, JSON_COMPACT))) {
		json_decref(body);
		return fail(r, CF_ENOMEM, HC_REASON_ARTIFACT_FAILED, "building the HelmChart failed");
	}
	json_decref(body);
	cf_kube_ref ref = {HC_SOURCE_API, "HelmChart", r->chart_ns, r->chart_name};
	err = cf_kube_patch(r->env->kube, NULL, &ref, CF_KUBE_PATCH_APPLY, text, &wo);
	free(text);
	if (err < 0)
		return fail(r, err, HC_REASON_ARTIFACT_FAILED, "failed to reconcile HelmChart '%s': %s", ref_str,
			    cf_error_last());
	if ((err = cf_object_get(&r->helmchart, r->env->kube, HC_SOURCE_API, "HelmChart", r->chart_ns,
				 r->chart_name)) < 0)
		return fail(r, err, HC_REASON_ARTIFACT_FAILED, "%s", cf_error_last());
	json_t *og = json_object_get(json_object_get(r->helmchart, "status"), "observedGeneration");
	int64_t gen = json_integer_value(json_object_get(json_object_get(r->helmchart, "metadata"), "generation"));
	r->revision = cf_object_str(r->helmchart, "status.artifact.revision");
	if (!r->revision || !cf_object_str(r->helmchart, "status.artifact.url") || json_integer_value(og) != gen ||
	    !cf_cond_has_status(r->helmchart, CF_COND_READY, "True")) {
		const char *why = cf_object_str(cf_cond_get(r->helmchart, CF_COND_READY), "message");
		r->revision = NULL;
		r->retry_ms = r->env->requeue_dependency_ms;
		/* Not an error to alert on: the watch on the HelmChart wakes us when it is ready. */
		cf_cond_set(r->obj, CF_COND_READY, "False", HC_REASON_ARTIFACT_FAILED, why ? why : "HelmChart is not ready",
			    r->now);
		cf_log_info(&r->log, "HelmChart '%s' is not ready", ref_str);
		return CF_EAGAIN;
	}
	r->log.revision = r->revision;
	return 0;
}

static int step_fetch(reconcile *r, hc_chart *chart)
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

/* ---- release ---- */

/* Go's RFC3339Nano in UTC, trailing zeros of the fraction dropped. */
static void go_time(char *buf, size_t size, const struct timespec *ts)
{
	struct tm tm;
	char frac[16];
	int n;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
	for (n = (int)strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	if (n == 1)
		frac[0] = '\0';
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static json_t *latest(reconcile *r)
{
	return json_array_get(json_object_get(status_of(r), "history"), 0);
}

/* Helm's own record must still say deployed for the snapshot to count as the current release. */
static int up_to_date(reconcile *r, const char *config_digest)
{
	json_t *snap = latest(r), *rel = NULL;
	int ok;

	if (!snap || !cf_object_str(snap, "chartVersion") || strcmp(cf_object_str(snap, "chartVersion"), r->revision) != 0 ||
	    !cf_object_str(snap, "configDigest") || strcmp(cf_object_str(snap, "configDigest"), config_digest) != 0 ||
	    !cf_object_str(snap, "status") || strcmp(cf_object_str(snap, "status"), "deployed") != 0 ||
	    !cf_object_str(snap, "name") || strcmp(cf_object_str(snap, "name"), r->release) != 0)
		return 0;
	if (hc_storage_read(&rel, r->env->kube, r->storage_ns, r->release,
			    (int)json_integer_value(json_object_get(snap, "version"))) < 0)
		return 0;
	ok = cf_object_str(rel, "info.status") && strcmp(cf_object_str(rel, "info.status"), "deployed") == 0;
	json_decref(rel);
	return ok;
}

static int create_namespace(reconcile *r)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER};
	char body[512];
	cf_kube_ref ref = {"v1", "Namespace", NULL, r->target_ns};

	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
		 r->target_ns);
	return cf_kube_patch(r->env->kube, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &wo);
}

static int write_values_file(char *path, size_t size, reconcile *r, const json_t *values)
{
	snprintf(path, size, "%s/values.json", r->work);
	if (json_dump_file(values, path, JSON_COMPACT) != 0)
		return cf_error_set(CF_EIO, "writing %s failed", path);
	return 0;
}

/* The status snapshot Flux keeps per release revision. */
static json_t *snapshot(const hc_release *rel, const char *config_digest, const char *first_k8s,
			const char *last_k8s)
{
	json_t *j = json_pack("{s:s,s:O,s:O,s:s,s:i}", "name", rel->name, "chart", rel->chart_meta, "config",
			      rel->config, "manifest", rel->manifest ? rel->manifest : "", "version", rel->version);
	char digest[96];

	hc_values_digest(digest, sizeof(digest), j, "sha256");
	json_decref(j);
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "apiVersion", "helm.sh/release.v1",
			 "name", rel->name, "namespace", rel->ns, "digest", digest, "version", rel->version,
			 "status", rel->status, "chartName", cf_object_str(rel->chart_meta, "name"), "chartVersion",
			 cf_object_str(rel->chart_meta, "version"), "appVersion",
			 cf_object_str(rel->chart_meta, "appVersion") ? cf_object_str(rel->chart_meta, "appVersion") : "",
			 "configDigest", config_digest, "firstDeployed", first_k8s, "lastDeployed", last_k8s);
}

/* Records revision n, supersedes the previous one and prunes past maxHistory. */
static int record(reconcile *r, hc_release *rel, const char *config_digest, const char *first_k8s, int prev)
{
	json_t *max = json_object_get(json_object_get(r->obj, "spec"), "maxHistory");
	int64_t keep = json_is_integer(max) ? json_integer_value(max) : DEFAULT_MAX_HISTORY;
	char last_k8s[64];
	json_t *history, *snap;
	int err;

	if ((err = hc_storage_write(r->env->kube, r->storage_ns, rel)) < 0)
		return err;
	if (prev > 0 && strcmp(rel->status, "deployed") == 0 &&
	    (err = hc_storage_set_status(r->env->kube, r->storage_ns, rel->name, prev, "superseded")) < 0 &&
	    err != CF_ENOTFOUND)
		return err;
	if (keep > 0 && rel->version - keep >= 1)
		hc_storage_delete(r->env->kube, r->storage_ns, rel->name, (int)(rel->version - keep));
	cf_cond_format_time(last_k8s, sizeof(last_k8s), r->now);
	snap = snapshot(rel, config_digest, first_k8s ? first_k8s : last_k8s, last_k8s);
	history = json_array();
	json_array_append_new(history, snap);
	/* Flux keeps the history down to the previous successful release. */
	json_t *prev_snap = latest(r);
	if (prev_snap && strcmp(rel->status, "deployed") == 0) {
		json_t *p = json_deep_copy(prev_snap);
		json_object_set_new(p, "status", json_string("superseded"));
		json_array_append_new(history, p);
	} else if (prev_snap) {
		json_array_append(history, prev_snap);
	}
	set_status(r, "history", history);
	return 0;
}

static int step_release(reconcile *r, hc_chart *chart)
{
	json_t *values = NULL, *objects = NULL, *snap;
	char cfg_digest[96], checksum[64], values_path[4200], first[64], started[64], msg[4200];
	char *manifest = NULL;
	struct timespec ts;
	int err, upgrade, prev = 0;
	const char *first_k8s = NULL;

	if ((err = hc_values_compose(&values, r->env->kube, r->obj)) < 0) {
		err = fail(r, err, HC_REASON_VALUES_FAILED, "%s", cf_error_last());
		goto done;
	}
	hc_values_digest(cfg_digest, sizeof(cfg_digest), values, "sha256");
	hc_values_digest(checksum, sizeof(checksum), values, "sha1");
	set_status(r, "lastAttemptedRevision", json_string(r->revision));
	set_status(r, "lastAttemptedValuesChecksum", json_string(checksum));
	set_status(r, "lastAttemptedConfigDigest", json_string(cfg_digest));
	set_status(r, "storageNamespace", json_string(r->storage_ns));
	if (up_to_date(r, cfg_digest)) {
		snprintf(msg, sizeof(msg), "Helm %s succeeded for release %s/%s.v%lld with chart %s@%s",
			 json_integer_value(json_object_get(latest(r), "version")) > 1 ? "upgrade" : "install",
			 r->target_ns, r->release, (long long)json_integer_value(json_object_get(latest(r), "version")),
			 cf_object_str(chart->meta, "name"), r->revision);
		/* Ready keeps the reason of the action that produced the current release, as in Flux. */
		const char *why = cf_object_str(cf_cond_get(r->obj, HC_COND_RELEASED), "reason");
		cf_cond_set(r->obj, CF_COND_READY, "True", why ? why : HC_REASON_INSTALL_SUCCEEDED, msg, r->now);
		goto done;
	}
	snap = latest(r);
	if (snap && cf_object_str(snap, "name") && strcmp(cf_object_str(snap, "name"), r->release) == 0) {
		prev = (int)json_integer_value(json_object_get(snap, "version"));
		first_k8s = cf_object_str(snap, "firstDeployed");
	}
	upgrade = prev > 0;
	set_status(r, "lastAttemptedReleaseAction", json_string(upgrade ? "upgrade" : "install"));
	clock_gettime(CLOCK_REALTIME, &ts);
	go_time(started, sizeof(started), &ts);
	snprintf(first, sizeof(first), "%s", started);
	json_t *prev_rel = NULL;
	/* An upgrade keeps the release's first deployment time, as Helm does. */
	if (prev > 0 && hc_storage_read(&prev_rel, r->env->kube, r->storage_ns, r->release, prev) == 0 &&
	    cf_object_str(prev_rel, "info.first_deployed"))
		snprintf(first, sizeof(first), "%s", cf_object_str(prev_rel, "info.first_deployed"));
	json_decref(prev_rel);
	if ((err = write_values_file(values_path, sizeof(values_path), r, values)) < 0 ||
	    (err = hc_chart_render(&objects, &manifest, chart, r->release, r->target_ns, values_path,
				   r->env->kube)) < 0) {
		err = fail(r, err, upgrade ? HC_REASON_UPGRADE_FAILED : HC_REASON_INSTALL_FAILED, "%s", cf_error_last());
		cf_cond_set(r->obj, HC_COND_RELEASED, "False", upgrade ? HC_REASON_UPGRADE_FAILED : HC_REASON_INSTALL_FAILED,
			    cf_error_last(), r->now);
		goto done;
	}
	if (json_is_true(json_object_get(json_object_get(json_object_get(r->obj, "spec"), "install"), "createNamespace")) &&
	    (err = create_namespace(r)) < 0) {
		err = fail(r, err, HC_REASON_INSTALL_FAILED, "failed to create namespace %s: %s", r->target_ns,
			   cf_error_last());
		goto done;
	}
	hc_release rel = {
		.name = r->release, .ns = r->target_ns, .version = prev + 1, .chart_meta = chart->meta,
		.chart_values = chart->values, .config = values, .manifest = manifest, .first_deployed = first,
		.last_deployed = started,
	};
	err = hc_apply(r->env->kube, objects, cf_object_duration_ms(r->obj, "spec.timeout", DEFAULT_TIMEOUT_MS));
	if (err < 0) {
		char text[4096];
		snprintf(text, sizeof(text), "%s", cf_error_last());
		rel.status = "failed";
		rel.description = text;
		record(r, &rel, cfg_digest, first_k8s, prev);
		snprintf(msg, sizeof(msg), "Helm %s failed for release %s/%s with chart %s@%s: %s",
			 upgrade ? "upgrade" : "install", r->target_ns, r->release, cf_object_str(chart->meta, "name"),
			 r->revision, text);
		cf_cond_set(r->obj, HC_COND_RELEASED, "False", upgrade ? HC_REASON_UPGRADE_FAILED : HC_REASON_INSTALL_FAILED,
			    msg, r->now);
		err = fail(r, err, upgrade ? HC_REASON_UPGRADE_FAILED : HC_REASON_INSTALL_FAILED, "%s", msg);
		goto done;
	}
	rel.status = "deployed";
	rel.description = upgrade ? "Upgrade complete" : "Install complete";
	if ((err = record(r, &rel, cfg_digest, first_k8s, prev)) < 0) {
		err = fail(r, err, upgrade ? HC_REASON_UPGRADE_FAILED : HC_REASON_INSTALL_FAILED,
			   "failed to record release: %s", cf_error_last());
		goto done;
	}
	set_status(r, "lastReleaseRevision", json_integer(rel.version));
	snprintf(msg, sizeof(msg), "Helm %s succeeded for release %s/%s.v%d with chart %s@%s",
		 upgrade ? "upgrade" : "install", r->target_ns, r->release, rel.version, cf_object_str(chart->meta, "name"),
		 r->revision);
	const char *reason = upgrade ? HC_REASON_UPGRADE_SUCCEEDED : HC_REASON_INSTALL_SUCCEEDED;
	cf_cond_set(r->obj, HC_COND_RELEASED, "True", reason, msg, r->now);
	cf_cond_set(r->obj, CF_COND_READY, "True", reason, msg, r->now);
	cf_object_event(r->env->kube, &hc_reporter, r->obj, "Normal", reason, r->revision, "%s", msg);
	cf_log_info(&r->log, "%s", msg);
done:
	free(manifest);
	json_decref(values);
	json_decref(objects);
	return err;
}

static int run(reconcile *r)
{
	hc_chart chart = {0};
	int err;

	names(r);
	if ((err = step_helmchart(r)) < 0 || (err = step_fetch(r, &chart)) < 0)
		goto done;
	err = step_release(r, &chart);
done:
	hc_chart_close(&chart);
	return err;
}

/* Deleting a HelmRelease uninstalls its release (unless suspended) and deletes its HelmChart. */
static int finalize(reconcile *r)
{
	json_t *snap = latest(r);
	cf_kube_ref ref;
	int err;

	names(r);
	if (snap && cf_object_str(snap, "name") && !json_is_true(json_object_get(json_object_get(r->obj, "spec"), "suspend"))) {
		const char *sns = cf_object_str(r->obj, "status.storageNamespace");
		if ((err = hc_uninstall(r->env->kube, sns ? sns : r->storage_ns, cf_object_str(snap, "name"),
					(int)json_integer_value(json_object_get(snap, "version")))) < 0) {
			cf_log_error(&r->log, "uninstall failed: %s", cf_error_last());
			return err;
		}
		cf_log_info(&r->log, "release %s uninstalled", cf_object_str(snap, "name"));
	}
	ref = (cf_kube_ref){HC_SOURCE_API, "HelmChart", r->chart_ns, r->chart_name};
	if (cf_kube_delete(r->env->kube, NULL, &ref, NULL) < 0)
		cf_log_debug(&r->log, "deleting HelmChart: %s", cf_error_last());
	return cf_object_finalizer(r->env->kube, r->obj, 0);
}

static void publish(reconcile *r, uint64_t ms)
{
	json_t *ready = cf_cond_get(r->obj, CF_COND_READY);
	cf_bus_msg m = {.type = CF_BUS_RECONCILE_RESULT};

	if (!r->env->bus)
		return;
	m.body.reconcile_result = (cf_bus_reconcile_result){
		.controller = HC_CONTROLLER,
		.kind = HC_KIND,
		.namespace_ = cf_object_str(r->obj, "metadata.namespace"),
		.name = cf_object_str(r->obj, "metadata.name"),
		.generation = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation")),
		.ready = cf_cond_has_status(r->obj, CF_COND_READY, "True"),
		.reason = cf_object_str(ready, "reason"),
		.message = cf_object_str(ready, "message"),
		.revision = r->revision,
		.duration_ms = ms,
	};
	if (cf_bus_pub_send(r->env->bus, &m) < 0)
		cf_log_debug(&r->log, "publishing the result failed: %s", cf_error_last());
}

cf_result hc_reconcile(const cf_request *req)
{
	hc_env *env = req->service_ctx;
	reconcile r = {.env = env, .log = *req->log, .now = time(NULL)};
	struct timespec a, b;
	cf_result res = cf_result_done();
	int err;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((err = cf_object_get(&r.obj, env->kube, HC_API_VERSION, HC_KIND, req->namespace_, req->name)) < 0)
		return err == CF_ENOTFOUND ? cf_result_done() : cf_result_error();
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
	json_object_set(status_of(&r), "observedGeneration",
			json_object_get(json_object_get(r.obj, "metadata"), "generation"));
	cf_cond_summarize(r.obj, r.now);
	if (cf_object_patch_status(env->kube, r.old, r.obj) < 0)
		cf_log_error(&r.log, "patching status failed: %s", cf_error_last());
	clock_gettime(CLOCK_MONOTONIC, &b);
	publish(&r, (uint64_t)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
	res = cf_result_requeue(err < 0 ? r.retry_ms : interval);
done:
	if (r.work[0])
		cf_object_rmtree(r.work);
	json_decref(r.helmchart);
	json_decref(r.old);
	json_decref(r.obj);
	return res;
}
