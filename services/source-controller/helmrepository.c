/*
 * The HelmRepository reconciler (default, HTTP type): fetch index.yaml with the repository's
 * credentials, check it parses as Helm would load it, store it as index-<hex>.yaml with an
 * index.yaml link, and report it in status, Events and on the bus.
 */
#include "sc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/error.h"
#include "cf/log.h"
#include "cf/runtime.h"

#define KIND "HelmRepository"
#define API_VERSION SC_GROUP "/v1"
#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_INTERVAL_MS 60000

#define COND_ARTIFACT_IN_STORAGE "ArtifactInStorage"
#define COND_FETCH_FAILED "FetchFailed"
#define COND_STORAGE_FAILED "StorageOperationFailed"
#define COND_ARTIFACT_OUTDATED "ArtifactOutdated"
#define REASON_SUCCEEDED "Succeeded"
#define REASON_FAILED "Failed"
#define REASON_AUTH_FAILED "AuthenticationFailed"
#define REASON_URL_INVALID "URLInvalid"
#define REASON_INDEXATION_FAILED "IndexationFailed"
#define REASON_ARCHIVE_FAILED "ArchiveOperationFailed"
#define REASON_UNSUPPORTED "Unsupported"

int sc_helm_index_max_size = 50 << 20;
int sc_helm_chart_max_size = 10 << 20;
int sc_helm_chart_file_max_size = 5 << 20;

typedef struct {
	sc_env *env;
	json_t *obj, *old;
	cf_log_ctx log;
	time_t now;
	char *index;          /* fetched bytes */
	size_t index_len;
	char digest[CF_ARTIFACT_DIGEST_MAX];
} reconcile;

void sc_human_size(char *buf, size_t size, double bytes)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	size_t i = 0;

	while (bytes >= 1000.0 && i + 1 < sizeof(units) / sizeof(*units)) {
		bytes /= 1000.0;
		i++;
	}
	snprintf(buf, size, "%.4g%s", bytes, units[i]);
}

static int fail(reconcile *r, int err, const char *cond, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(reconcile *r, int err, const char *cond, const char *reason, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_cond_set(r->obj, cond, "True", reason, msg, r->now);
	cf_cond_set(r->obj, CF_COND_READY, "False", reason, msg, r->now);
	cf_object_event(r->env->kube, &sc_reporter, r->obj, "Warning", reason, NULL, "%s", msg);
	cf_log_error(&r->log, "%s", msg);
	/* The runtime logs the last error of the reconcile: make it this one. */
	return cf_error_set(err, "%s", msg);
}

#define KEY(s, k) json_string_value(json_object_get(s, k))

/* Reads a Secret into keep (an array owning every Secret read). */
static int read_secret(json_t **out, sc_env *env, const char *ns, const char *name, json_t *keep)
{
	int err = sc_secret_get(out, env, ns, name);
	if (err == 0)
		json_array_append(keep, *out);
	return err;
}

static int tls_from(sc_http_opts *o, const json_t *s, const char *which)
{
	const char *crt = KEY(s, "tls.crt") ? KEY(s, "tls.crt") : KEY(s, "certFile");
	const char *key = KEY(s, "tls.key") ? KEY(s, "tls.key") : KEY(s, "keyFile");
	const char *ca = KEY(s, "ca.crt") ? KEY(s, "ca.crt") : KEY(s, "caFile");

	if ((crt == NULL) != (key == NULL))
		return cf_error_set(CF_EINVALID, "invalid '%s' secret data: both 'tls.crt' and 'tls.key' are required", which);
	if (crt) {
		o->cert_pem = crt;
		o->key_pem = key;
	}
	if (ca)
		o->ca_pem = ca;
	return 0;
}

int sc_helmrepo_http_opts(sc_http_opts *out, json_t **keep, sc_env *env, const json_t *repo)
{
	const char *ns = cf_object_str(repo, "metadata.namespace");
	const char *auth = cf_object_str(repo, "spec.secretRef.name"), *cert = cf_object_str(repo, "spec.certSecretRef.name");
	json_t *held = json_array(), *s = NULL;
	sc_http_opts o = {
		.auth_url = cf_object_str(repo, "spec.url"),
		.pass_credentials = json_is_true(json_object_get(json_object_get(repo, "spec"), "passCredentials")),
		.timeout_ms = (long)cf_object_duration_ms(repo, "spec.timeout", DEFAULT_TIMEOUT_MS),
	};
	int err = 0;

	if (auth) {
		if ((err = read_secret(&s, env, ns, auth, held)) < 0)
			goto done;
		json_decref(s);
		o.username = KEY(s, "username");
		o.password = KEY(s, "password");
		if ((o.username == NULL) != (o.password == NULL)) {
			err = cf_error_set(CF_EINVALID, "invalid '%s' secret data: required fields 'username' and 'password'", auth);
			goto done;
		}
		/* The deprecated form: TLS keys in secretRef, used when certSecretRef is not set. */
		if (!cert && (err = tls_from(&o, s, auth)) < 0)
			goto done;
	}
	if (cert) {
		if ((err = read_secret(&s, env, ns, cert, held)) < 0)
			goto done;
		json_decref(s);
		if ((err = tls_from(&o, s, cert)) < 0)
			goto done;
	}
	*out = o;
	*keep = held;
	held = NULL;
done:
	json_decref(held);
	return err;
}

/* spec.url must be http(s); oci:// belongs to type oci. */
static int check_url(reconcile *r, const char *url)
{
	if (!url || !*url)
		return fail(r, CF_EINVALID, COND_FETCH_FAILED, REASON_URL_INVALID, "invalid Helm repository URL: spec.url is required");
	if (strncmp(url, "oci://", 6) == 0)
		return fail(r, CF_EINVALID, COND_FETCH_FAILED, REASON_URL_INVALID,
			    "invalid Helm repository URL: 'oci' URL scheme cannot be used with 'default' HelmRepository type");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return fail(r, CF_EINVALID, COND_FETCH_FAILED, REASON_URL_INVALID,
			    "invalid Helm repository URL: scheme \"%.*s\" not supported", (int)strcspn(url, ":"), url);
	return 0;
}

static int step_fetch(reconcile *r)
{
	const char *url = cf_object_str(r->obj, "spec.url");
	char *index_url = NULL;
	json_t *keep = NULL;
	sc_http_opts o;
	void *buf = NULL;
	int err;

	if ((err = check_url(r, url)) < 0)
		return err;
	if ((err = sc_helm_url_index(&index_url, url)) < 0)
		return fail(r, err, COND_FETCH_FAILED, REASON_URL_INVALID, "invalid Helm repository URL: %s", cf_error_last());
	if ((err = sc_helmrepo_http_opts(&o, &keep, r->env, r->obj)) < 0) {
		fail(r, err, COND_FETCH_FAILED, REASON_AUTH_FAILED, "%s", cf_error_last());
		goto done;
	}
	o.max_size = (uint64_t)sc_helm_index_max_size;
	o.what = "index";
	if ((err = sc_http_get(&buf, &r->index_len, index_url, &o)) < 0) {
		fail(r, err, COND_FETCH_FAILED, REASON_FAILED, "failed to fetch Helm repository index: %s", cf_error_last());
		goto done;
	}
	r->index = buf;
	if ((err = cf_artifact_digest_buf(r->digest, NULL, r->index, r->index_len)) < 0)
		goto done;
	r->log.revision = r->digest;
done:
	json_decref(keep);
	free(index_url);
	return err;
}

/* Loads the index as HelmCharts will, so a broken one never becomes an artifact. */
static int step_validate(reconcile *r)
{
	sc_helm_index *idx = NULL;
	int err;

	if ((err = sc_helm_index_parse(&idx, r->index, r->index_len)) < 0)
		return fail(r, err, COND_FETCH_FAILED, REASON_INDEXATION_FAILED,
			    "failed to load Helm repository from index YAML: %s", cf_error_last());
	sc_helm_index_cache_put(r->digest, idx);
	cf_cond_delete(r->obj, COND_FETCH_FAILED);
	return 0;
}

static void publish(reconcile *r, const json_t *artifact)
{
	if (!r->env->bus)
		return;
	cf_bus_msg m = {.type = CF_BUS_ARTIFACT_READY};
	m.body.artifact_ready = (cf_bus_artifact_ready){
		.kind = KIND,
		.namespace_ = cf_object_str(r->obj, "metadata.namespace"),
		.name = cf_object_str(r->obj, "metadata.name"),
		.revision = cf_object_str(artifact, "revision"),
		.digest = cf_object_str(artifact, "digest"),
		.url = cf_object_str(artifact, "url"),
		.size = (uint64_t)json_integer_value(json_object_get(artifact, "size")),
		.generation = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation")),
		.observed_at_unix_nano = (int64_t)r->now * 1000000000,
	};
	if (cf_bus_pub_send(r->env->bus, &m) < 0)
		cf_log_error(&r->log, "publishing ArtifactReady failed: %s", cf_error_last());
}

static int up_to_date(reconcile *r)
{
	const char *rev = cf_object_str(r->old, "status.artifact.revision"), *path = cf_object_str(r->old, "status.artifact.path");
	return rev && path && strcmp(rev, r->digest) == 0 && cf_artifact_storage_exists(r->env->storage, path);
}

static int step_store(reconcile *r)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace"), *name = cf_object_str(r->obj, "metadata.name");
	json_t *status = json_object_get(r->obj, "status");
	char file[160], tbuf[32], msg[512], size[32];
	char *path = NULL, *url = NULL, *link = NULL;
	cf_artifact_file_info info;
	int err = 0;

	snprintf(msg, sizeof(msg), "stored artifact: revision '%s'", r->digest);
	if (!up_to_date(r)) {
		const char *hex = strchr(r->digest, ':') + 1;
		snprintf(file, sizeof(file), "index-%s.yaml", hex);
		if ((err = cf_artifact_storage_path(&path, "helmrepository", ns, name, file)) < 0 ||
		    (err = cf_artifact_storage_write(&info, r->env->storage, path, r->index, r->index_len, NULL)) < 0 ||
		    (err = cf_artifact_storage_symlink(&link, r->env->storage, path, "index.yaml")) < 0 ||
		    (err = cf_artifact_storage_url(&url, r->env->storage, path)) < 0) {
			fail(r, err, COND_STORAGE_FAILED, REASON_ARCHIVE_FAILED,
			     "unable to save artifact to storage: %s", cf_error_last());
			goto done;
		}
		cf_cond_format_time(tbuf, sizeof(tbuf), r->now);
		json_object_set_new(status, "artifact", json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}",
			"digest", info.digest, "lastUpdateTime", tbuf, "path", path,
			"revision", r->digest, "url", url, "size", (json_int_t)info.size));
		json_object_set_new(status, "url", json_string(link));
		if (cf_artifact_storage_gc(NULL, r->env->storage, path, r->env->artifact_retention, -1) < 0)
			cf_log_error(&r->log, "garbage collection of old artifacts failed: %s", cf_error_last());
		sc_human_size(size, sizeof(size), (double)info.size);
		cf_object_event(r->env->kube, &sc_reporter, r->obj, "Normal", "NewArtifact", r->digest,
				"stored fetched index of size %s from '%s'", size, cf_object_str(r->obj, "spec.url"));
		cf_log_info(&r->log, "stored fetched index of size %s from '%s'", size, cf_object_str(r->obj, "spec.url"));
		publish(r, json_object_get(status, "artifact"));
	}
	cf_cond_delete(r->obj, COND_STORAGE_FAILED);
	cf_cond_delete(r->obj, COND_ARTIFACT_OUTDATED);
	cf_cond_set(r->obj, COND_ARTIFACT_IN_STORAGE, "True", REASON_SUCCEEDED, msg, r->now);
	cf_cond_set(r->obj, CF_COND_READY, "True", REASON_SUCCEEDED, msg, r->now);
done:
	free(path);
	free(url);
	free(link);
	return err;
}

/* type: oci is not implemented: say so plainly and keep no artifact. */
static int unsupported_oci(reconcile *r)
{
	const char *msg = "HelmRepository type 'oci' is not supported yet by this source-controller; "
			  "use an OCIRepository or a default (HTTP) HelmRepository";
	json_t *status = json_object_get(r->obj, "status");

	cf_artifact_storage_remove_all(r->env->storage, "helmrepository", cf_object_str(r->obj, "metadata.namespace"),
				       cf_object_str(r->obj, "metadata.name"));
	json_object_del(status, "artifact");
	json_object_del(status, "url");
	cf_cond_delete(r->obj, COND_ARTIFACT_IN_STORAGE);
	cf_cond_mark_stalled(r->obj, REASON_UNSUPPORTED, msg, r->now);
	cf_object_event(r->env->kube, &sc_reporter, r->obj, "Warning", REASON_UNSUPPORTED, NULL, "%s", msg);
	return CF_EUNSUPPORTED;
}

static int run_steps(reconcile *r)
{
	const char *type = cf_object_str(r->obj, "spec.type");
	int err;

	if (type && strcmp(type, "oci") == 0)
		return unsupported_oci(r);
	if ((err = step_fetch(r)) < 0)
		return err;
	if (!up_to_date(r) && (err = step_validate(r)) < 0)
		return err;
	cf_cond_delete(r->obj, COND_FETCH_FAILED);
	return step_store(r);
}

static int finalize(reconcile *r)
{
	int err = cf_artifact_storage_remove_all(r->env->storage, "helmrepository",
						 cf_object_str(r->obj, "metadata.namespace"), cf_object_str(r->obj, "metadata.name"));
	return err < 0 ? err : cf_object_finalizer(r->env->kube, r->obj, 0);
}

int sc_helmrepository_reconcile(sc_env *env, const char *ns, const char *name, sc_result *res)
{
	reconcile r = {.env = env, .now = time(NULL)};
	int err;

	r.log = (cf_log_ctx){.controller = "helmrepository", .group = SC_GROUP, .kind = KIND,
			     .name = name, .namespace_ = ns};
	memset(res, 0, sizeof(*res));
	if ((err = cf_object_get(&r.obj, env->kube, API_VERSION, KIND, ns, name)) < 0)
		return err == CF_ENOTFOUND ? 0 : err;
	r.old = json_deep_copy(r.obj);
	if (json_object_get(json_object_get(r.obj, "metadata"), "deletionTimestamp")) {
		err = finalize(&r);
		goto out;
	}
	if ((err = cf_object_finalizer(env->kube, r.obj, 1)) < 0)
		goto out;
	if (json_is_true(json_object_get(json_object_get(r.obj, "spec"), "suspend"))) {
		cf_log_info(&r.log, "reconciliation is suspended for this object");
		goto out;
	}
	if (!json_object_get(r.obj, "status"))
		json_object_set_new(r.obj, "status", json_object());
	cf_cond_handle_requested_at(r.obj);
	cf_cond_mark_reconciling(r.obj, CF_REASON_PROGRESSING, "reconciliation in progress", r.now);

	err = run_steps(&r);
	if (err == 0 || err == CF_EUNSUPPORTED)
		cf_cond_delete(r.obj, CF_COND_RECONCILING);
	cf_cond_summarize(r.obj, r.now);
	int perr = cf_object_patch_status(env->kube, r.old, r.obj);
	if (perr < 0 && err == 0)
		err = perr;
	res->requeue_after_ms = cf_object_duration_ms(r.obj, "spec.interval", DEFAULT_INTERVAL_MS);
	/* An unsupported type waits for a spec change, not for a retry. */
	if (err == CF_EUNSUPPORTED) {
		err = 0;
		res->requeue_after_ms = 0;
	}
	res->failed = err < 0;
out:
	free(r.index);
	json_decref(r.obj);
	json_decref(r.old);
	return err;
}
