/*
 * The HelmChart reconciler: resolve a chart version from a HelmRepository index and pull it, or
 * package a chart directory from a GitRepository artifact; merge values files; store the chart
 * as <name>-<version>.tgz and report it in status, Events and on the bus.
 */
#define _GNU_SOURCE
#include "sc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cf/error.h"
#include "cf/log.h"
#include "cf/runtime.h"
#include "cf/semver.h"

#define KIND "HelmChart"
#define API_VERSION SC_GROUP "/v1"
#define DEFAULT_INTERVAL_MS 60000
#define NO_ARTIFACT_RETRY_MS 30000

#define COND_ARTIFACT_IN_STORAGE "ArtifactInStorage"
#define COND_FETCH_FAILED "FetchFailed"
#define COND_BUILD_FAILED "BuildFailed"
#define COND_STORAGE_FAILED "StorageOperationFailed"
#define COND_ARTIFACT_OUTDATED "ArtifactOutdated"
#define REASON_PULL_SUCCEEDED "ChartPullSucceeded"
#define REASON_PACKAGE_SUCCEEDED "ChartPackageSucceeded"
#define REASON_ARCHIVE_FAILED "ArchiveOperationFailed"

/* Flux's chart build error reasons (internal/helm/chart/errors.go) with their summaries. */
typedef struct {
	const char *reason, *summary, *cond;
} build_error;

static const build_error ERR_REFERENCE = {"InvalidChartReference", "invalid chart reference", COND_FETCH_FAILED};
static const build_error ERR_PULL = {"ChartPullError", "chart pull error", COND_FETCH_FAILED};
static const build_error ERR_VALUES = {"ValuesFilesError", "values files merge error", COND_BUILD_FAILED};
static const build_error ERR_PACKAGE = {"ChartPackageError", "chart package error", COND_BUILD_FAILED};
static const build_error ERR_UNSUPPORTED = {"Unsupported", "unsupported source", COND_FETCH_FAILED};

typedef struct {
	sc_env *env;
	json_t *obj, *old;
	json_t *source;            /* the source object */
	const char *source_kind;
	cf_log_ctx log;
	time_t now;
	char work[4096];
	/* the build */
	char *chart_name;
	char *version;             /* artifact revision */
	void *tgz;                 /* bytes to store; NULL when the stored chart is kept */
	size_t tgz_len;
	int packaged;
	json_t *values_used;       /* observedValuesFiles */
} reconcile;

static int fail(reconcile *r, int err, const char *cond, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(reconcile *r, int err, const char *cond, const char *reason, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A fetch problem and a build problem exclude each other, as in Flux's observeChartBuild. */
	cf_cond_delete(r->obj, strcmp(cond, COND_FETCH_FAILED) == 0 ? COND_BUILD_FAILED : COND_FETCH_FAILED);
	cf_cond_set(r->obj, cond, "True", reason, msg, r->now);
	cf_cond_set(r->obj, CF_COND_READY, "False", reason, msg, r->now);
	cf_object_event(r->env->kube, &sc_reporter, r->obj, "Warning", reason, NULL, "%s", msg);
	cf_log_error(&r->log, "%s", msg);
	/* The runtime logs the last error of the reconcile: make it this one. */
	return cf_error_set(err, "%s", msg);
}

static int build_fail(reconcile *r, int err, const build_error *be, const char *msg)
{
	return fail(r, err, be->cond, be->reason, "%s: %s", be->summary, msg);
}

/* Relative paths that stay inside their root. */
static int safe_rel(const char *p)
{
	if (!p || !*p || p[0] == '/')
		return 0;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 0;
		s += n;
		while (*s == '/')
			s++;
	}
	return 1;
}

/* ---- the source ---- */

static int step_source(reconcile *r)
{
	const char *kind = cf_object_str(r->obj, "spec.sourceRef.kind"), *name = cf_object_str(r->obj, "spec.sourceRef.name");
	const char *ns = cf_object_str(r->obj, "metadata.namespace");
	int err;

	if (!kind || (strcmp(kind, "HelmRepository") != 0 && strcmp(kind, "GitRepository") != 0)) {
		cf_cond_mark_stalled(r->obj, "UnsupportedSourceKind",
				     "unsupported source kind, must be one of: HelmRepository, GitRepository", r->now);
		return CF_EUNSUPPORTED;
	}
	r->source_kind = kind;
	if (!name)
		return fail(r, CF_EINVALID, COND_FETCH_FAILED, "SourceUnavailable", "spec.sourceRef.name is required");
	if ((err = cf_object_get(&r->source, r->env->kube, API_VERSION, kind, ns, name)) < 0)
		return fail(r, CF_EAGAIN, COND_FETCH_FAILED, "SourceUnavailable", "failed to get source: %s",
			    cf_error_last());
	const char *type = cf_object_str(r->source, "spec.type");
	if (strcmp(kind, "HelmRepository") == 0 && type && strcmp(type, "oci") == 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "%s: charts from HelmRepository type 'oci' are not supported yet",
			 ERR_UNSUPPORTED.summary);
		fail(r, CF_EUNSUPPORTED, ERR_UNSUPPORTED.cond, ERR_UNSUPPORTED.reason, "%s", msg);
		/* Nothing changes until the spec does: stalled, not retrying. */
		cf_cond_mark_stalled(r->obj, ERR_UNSUPPORTED.reason, msg, r->now);
		return CF_EUNSUPPORTED;
	}
	const char *path = cf_object_str(r->source, "status.artifact.path");
	if (!path || !cf_artifact_storage_exists(r->env->storage, path))
		return fail(r, CF_EAGAIN, COND_FETCH_FAILED, "NoSourceArtifact",
			    "no artifact available for %s source '%s'", kind, name);
	json_object_set_new(json_object_get(r->obj, "status"), "observedSourceArtifactRevision",
			    json_string(cf_object_str(r->source, "status.artifact.revision")));
	return 0;
}

/* ---- shared build helpers ---- */

/* version with its build metadata replaced by meta (Masterminds' SetMetadata). */
static char *with_metadata(const char *version, const char *meta)
{
	cf_semver *v = NULL;
	char buf[512], *out = NULL;

	if (cf_semver_parse(&v, version, 0) < 0)
		return NULL;
	cf_semver_format(v, buf, sizeof(buf));
	buf[strcspn(buf, "+")] = '\0';
	if (asprintf(&out, "%s+%s", buf, meta) < 0)
		out = NULL;
	cf_semver_free(v);
	return out;
}

/* The stored chart already is this name and version and nothing asks for a rebuild. */
static int cached(reconcile *r, const char *name, const char *version)
{
	const json_t *st = json_object_get(r->old, "status");
	const char *rev = cf_object_str(st, "artifact.revision"), *path = cf_object_str(st, "artifact.path");
	const char *oname = cf_object_str(st, "observedChartName");
	json_int_t gen = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation"));
	json_int_t ogen = json_integer_value(json_object_get(st, "observedGeneration"));

	return rev && path && oname && gen == ogen && strcmp(rev, version) == 0 && strcmp(oname, name) == 0 &&
	       cf_artifact_storage_exists(r->env->storage, path);
}

/* spec.valuesFiles joined onto base, refusing paths that leave it. */
static int values_paths(reconcile *r, char ***out, size_t *n, const char *base)
{
	json_t *vf = json_object_get(json_object_get(r->obj, "spec"), "valuesFiles");
	size_t i, count = json_array_size(vf);
	char **v = calloc(count + 1, sizeof(*v));
	json_t *item;

	if (!v)
		return CF_ENOMEM;
	json_array_foreach(vf, i, item) {
		const char *p = json_string_value(item);
		if (!safe_rel(p)) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return cf_error_set(CF_EUNSAFE, "values file path '%s' must be relative and stay inside the source",
					    p ? p : "");
		}
		if (asprintf(&v[i], "%s/%s", base, p) < 0) {
			v[i] = NULL;
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return CF_ENOMEM;
		}
	}
	*out = v;
	*n = count;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Merges spec.valuesFiles found under base into *values; records observedValuesFiles. */
static int merge_values(reconcile *r, char **values, const char *base)
{
	char **paths = NULL, **used = NULL;
	size_t n = 0, n_used = 0;
	int ignore = json_is_true(json_object_get(json_object_get(r->obj, "spec"), "ignoreMissingValuesFiles"));
	int err;

	if ((err = values_paths(r, &paths, &n, base)) < 0)
		return build_fail(r, err, &ERR_VALUES, cf_error_last());
	if ((err = sc_helm_values_merge(values, &used, &n_used, (const char *const *)paths, n, ignore)) < 0) {
		char msg[1400];
		/* Messages name the files as the spec does, not as they sit in the work directory. */
		const char *m = cf_error_last();
		const char *hit = strstr(m, base);
		if (hit)
			snprintf(msg, sizeof(msg), "%.*s%s", (int)(hit - m), m, hit + strlen(base) + 1);
		else
			snprintf(msg, sizeof(msg), "%s", m);
		build_fail(r, err, &ERR_VALUES, msg);
		goto done;
	}
	r->values_used = json_array();
	for (size_t i = 0; i < n_used; i++)
		json_array_append_new(r->values_used, json_string(used[i] + strlen(base) + 1));
done:
	free_strv(paths, n);
	free_strv(used, n_used);
	return err;
}

static int has_values_files(const reconcile *r)
{
	return json_array_size(json_object_get(json_object_get(r->obj, "spec"), "valuesFiles")) > 0;
}

/* The one directory holding Chart.yaml at the top of an extracted chart. */
static int chart_root(char *out, size_t size, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return cf_error_set(CF_EIO, "reading %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL && !found) {
		struct stat st;
		char p[8400];
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s/Chart.yaml", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(out, size, "%s/%s", dir, de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : cf_error_set(CF_EINVALID, "Chart.yaml file is missing");
}

/* ---- from a HelmRepository ---- */

/* Downloads the chart version cv and checks it: digest, safe archive, valid Chart.yaml. */
static int pull(reconcile *r, const sc_helm_chart_version *cv, char *chart_dir, size_t size)
{
	const char *repo_url = cf_object_str(r->source, "spec.url");
	char *url = NULL, dl[CF_ARTIFACT_DIGEST_MAX], want[CF_ARTIFACT_DIGEST_MAX + 8], extract[4200];
	json_t *keep = NULL;
	sc_http_opts o;
	void *buf = NULL;
	size_t len = 0;
	int err;

	if ((err = sc_helm_url_resolve(&url, repo_url, cv->url)) < 0) {
		build_fail(r, err, &ERR_PULL, cf_error_last());
		goto done;
	}
	if ((err = sc_helmrepo_http_opts(&o, &keep, r->env, r->source)) < 0) {
		fail(r, err, COND_FETCH_FAILED, "AuthenticationFailed", "%s", cf_error_last());
		goto done;
	}
	o.max_size = (uint64_t)sc_helm_chart_max_size;
	o.what = "chart";
	if ((err = sc_http_get(&buf, &len, url, &o)) < 0) {
		build_fail(r, err, &ERR_PULL, cf_error_last());
		goto done;
	}
	if (cv->digest && *cv->digest) {
		/* Helm writes bare hex; take an "<algo>:<hex>" form as it is. */
		snprintf(want, sizeof(want), "%s%s", strchr(cv->digest, ':') ? "" : "sha256:", cv->digest);
		cf_artifact_digest_buf(dl, NULL, buf, len);
		if ((err = cf_artifact_digest_compare(want, dl)) < 0) {
			build_fail(r, err, &ERR_PULL, cf_error_last());
			goto done;
		}
	}
	snprintf(extract, sizeof(extract), "%s/chart", r->work);
	cf_artifact_limits lim = {.max_total = 100ull << 20, .max_file = (uint64_t)sc_helm_chart_file_max_size};
	if ((err = cf_artifact_extract_mem(buf, len, extract, &lim)) < 0 ||
	    (err = chart_root(chart_dir, size, extract)) < 0) {
		char msg[1400];
		snprintf(msg, sizeof(msg), "%s chart archive from '%s': %s",
			 err == CF_EUNSAFE ? "refusing unsafe" : "failed to load", url, cf_error_last());
		build_fail(r, err, &ERR_PULL, msg);
		goto done;
	}
	r->tgz = buf;
	r->tgz_len = len;
	buf = NULL;
done:
	free(buf);
	free(url);
	json_decref(keep);
	return err;
}

static int build_from_repository(reconcile *r)
{
	const char *chart = cf_object_str(r->obj, "spec.chart"), *constraint = cf_object_str(r->obj, "spec.version");
	const char *path = cf_object_str(r->source, "status.artifact.path");
	const sc_helm_index *idx = NULL;
	const sc_helm_chart_version *cv;
	sc_helm_chart_meta meta = {0};
	char *local = NULL, *values = NULL, dir[8400], msg[1400];
	json_int_t gen = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation"));
	int err;

	if ((err = cf_artifact_storage_local_path(&local, r->env->storage, path)) < 0)
		goto done;
	if ((err = sc_helm_index_cache_get(&idx, cf_object_str(r->source, "status.artifact.digest"), local)) < 0) {
		snprintf(msg, sizeof(msg), "failed to load repository index: %s", cf_error_last());
		build_fail(r, err, &ERR_PULL, msg);
		goto done;
	}
	if ((err = sc_helm_index_get(&cv, idx, chart ? chart : "", constraint)) < 0) {
		snprintf(msg, sizeof(msg), "failed to get chart version for remote reference: %s", cf_error_last());
		build_fail(r, err, &ERR_REFERENCE, msg);
		goto done;
	}
	if (!(r->chart_name = strdup(cv->name))) {
		err = CF_ENOMEM;
		goto done;
	}
	if (has_values_files(r)) {
		char g[32];
		snprintf(g, sizeof(g), "%lld", (long long)gen);
		r->version = with_metadata(cv->version, g);
	} else {
		r->version = strdup(cv->version);
	}
	if (!r->version) {
		err = CF_ENOMEM;
		goto done;
	}
	r->log.revision = r->version;
	if (cached(r, r->chart_name, r->version)) {
		r->values_used = json_incref(json_object_get(json_object_get(r->old, "status"), "observedValuesFiles"));
		goto done;
	}
	if ((err = pull(r, cv, dir, sizeof(dir))) < 0)
		goto done;
	if ((err = sc_helm_chart_meta_load(&meta, dir)) < 0) {
		snprintf(msg, sizeof(msg), "failed to load chart: %s", cf_error_last());
		build_fail(r, err, &ERR_PULL, msg);
		goto done;
	}
	if (!has_values_files(r))
		goto done;
	if ((err = merge_values(r, &values, dir)) < 0)
		goto done;
	free(r->tgz);
	r->tgz = NULL;
	sc_helm_package_opts po = {.version = r->version, .values_yaml = values,
				   .max_file = (uint64_t)sc_helm_chart_file_max_size};
	if ((err = sc_helm_package(&r->tgz, &r->tgz_len, dir, &po)) < 0) {
		build_fail(r, err, &ERR_PACKAGE, cf_error_last());
		goto done;
	}
	r->packaged = 1;
done:
	sc_helm_chart_meta_clear(&meta);
	sc_helm_index_cache_release(idx);
	free(values);
	free(local);
	return err;
}

/* ---- from a GitRepository ---- */

/* The first 12 hex digits of the commit in "<ref>@sha1:<hex>" or "sha1:<hex>". */
static int short_commit(char *out, size_t size, const char *revision)
{
	const char *at = strrchr(revision, '@'), *colon;

	if (at)
		revision = at + 1;
	if ((colon = strchr(revision, ':')) != NULL)
		revision = colon + 1;
	if (strlen(revision) < 12)
		return CF_EINVALID;
	snprintf(out, size, "%.12s", revision);
	return 0;
}

/* Flux's version metadata: the commit with reconcileStrategy Revision, then the generation
 * when values files are merged. */
static int local_version(reconcile *r, const char *chart_version)
{
	const char *strategy = cf_object_str(r->obj, "spec.reconcileStrategy");
	json_int_t gen = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation"));
	char meta[64] = "";

	if (strategy && strcmp(strategy, "Revision") == 0 &&
	    short_commit(meta, sizeof(meta), cf_object_str(r->source, "status.artifact.revision")) < 0)
		return cf_error_set(CF_EINVALID, "cannot take a commit from source revision '%s'",
				    cf_object_str(r->source, "status.artifact.revision"));
	if (has_values_files(r))
		snprintf(meta + strlen(meta), sizeof(meta) - strlen(meta), "%s%lld", *meta ? "." : "", (long long)gen);
	r->version = *meta ? with_metadata(chart_version, meta) : strdup(chart_version);
	return r->version ? 0 : CF_ENOMEM;
}

static int build_from_git(reconcile *r)
{
	const char *chart = cf_object_str(r->obj, "spec.chart");
	char *local = NULL, *values = NULL, src[4200], dir[8400], msg[1400];
	sc_helm_chart_meta meta = {0};
	int err;

	if (!safe_rel(chart))
		return build_fail(r, CF_EUNSAFE, &ERR_REFERENCE, "chart path must be relative and stay inside the source");
	if ((err = cf_artifact_storage_local_path(&local, r->env->storage, cf_object_str(r->source, "status.artifact.path"))) < 0)
		return err;
	snprintf(src, sizeof(src), "%s/source", r->work);
	if ((err = cf_artifact_extract_file(local, src, NULL)) < 0) {
		fail(r, err, COND_FETCH_FAILED, "Failed", "artifact untar error: %s", cf_error_last());
		goto done;
	}
	snprintf(dir, sizeof(dir), "%s/%s", src, chart);
	if ((err = sc_helm_chart_meta_load(&meta, dir)) < 0) {
		snprintf(msg, sizeof(msg), "failed to load chart metadata from '%s': %s", chart, cf_error_last());
		build_fail(r, err, &ERR_REFERENCE, msg);
		goto done;
	}
	if (!(r->chart_name = strdup(meta.name))) {
		err = CF_ENOMEM;
		goto done;
	}
	if ((err = local_version(r, meta.version)) < 0) {
		build_fail(r, err, &ERR_PACKAGE, cf_error_last());
		goto done;
	}
	r->log.revision = r->version;
	if (cached(r, r->chart_name, r->version)) {
		r->values_used = json_incref(json_object_get(json_object_get(r->old, "status"), "observedValuesFiles"));
		goto done;
	}
	if (has_values_files(r) && (err = merge_values(r, &values, src)) < 0)
		goto done;
	sc_helm_package_opts po = {.version = r->version, .values_yaml = values,
				   .max_file = (uint64_t)sc_helm_chart_file_max_size};
	if ((err = sc_helm_package(&r->tgz, &r->tgz_len, dir, &po)) < 0) {
		build_fail(r, err, &ERR_PACKAGE, cf_error_last());
		goto done;
	}
	r->packaged = 1;
done:
	sc_helm_chart_meta_clear(&meta);
	free(values);
	free(local);
	return err;
}

/* ---- the artifact ---- */

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

static int step_store(reconcile *r)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace"), *name = cf_object_str(r->obj, "metadata.name");
	json_t *status = json_object_get(r->obj, "status");
	const char *reason = r->packaged ? REASON_PACKAGE_SUCCEEDED : REASON_PULL_SUCCEEDED;
	char file[600], tbuf[32], msg[800];
	char *path = NULL, *url = NULL, *link = NULL;
	cf_artifact_file_info info;
	int err = 0;

	snprintf(msg, sizeof(msg), "%s '%s' chart with version '%s'", r->packaged ? "packaged" : "pulled",
		 r->chart_name, r->version);
	if (r->tgz) {
		snprintf(file, sizeof(file), "%s-%s.tgz", r->chart_name, r->version);
		if ((err = cf_artifact_storage_path(&path, "helmchart", ns, name, file)) < 0 ||
		    (err = cf_artifact_storage_write(&info, r->env->storage, path, r->tgz, r->tgz_len, NULL)) < 0 ||
		    (err = cf_artifact_storage_symlink(&link, r->env->storage, path, "latest.tar.gz")) < 0 ||
		    (err = cf_artifact_storage_url(&url, r->env->storage, path)) < 0) {
			fail(r, err, COND_STORAGE_FAILED, REASON_ARCHIVE_FAILED,
			     "unable to copy Helm chart to storage: %s", cf_error_last());
			goto done;
		}
		cf_cond_format_time(tbuf, sizeof(tbuf), r->now);
		json_object_set_new(status, "artifact", json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}",
			"digest", info.digest, "lastUpdateTime", tbuf, "path", path,
			"revision", r->version, "url", url, "size", (json_int_t)info.size));
		json_object_set_new(status, "url", json_string(link));
		if (cf_artifact_storage_gc(NULL, r->env->storage, path, r->env->artifact_retention, -1) < 0)
			cf_log_error(&r->log, "garbage collection of old artifacts failed: %s", cf_error_last());
		cf_object_event(r->env->kube, &sc_reporter, r->obj, "Normal", reason, r->version, "%s", msg);
		cf_log_info(&r->log, "%s", msg);
		publish(r, json_object_get(status, "artifact"));
	} else {
		/* Kept from the previous build: say how it was made then. */
		json_t *c = cf_cond_get(r->old, COND_ARTIFACT_IN_STORAGE);
		const char *old_reason = json_string_value(json_object_get(c, "reason"));
		if (old_reason && strcmp(old_reason, REASON_PACKAGE_SUCCEEDED) == 0) {
			reason = REASON_PACKAGE_SUCCEEDED;
			snprintf(msg, sizeof(msg), "packaged '%s' chart with version '%s'", r->chart_name, r->version);
		}
	}
	json_object_set_new(status, "observedChartName", json_string(r->chart_name));
	if (json_array_size(r->values_used))
		json_object_set(status, "observedValuesFiles", r->values_used);
	else
		json_object_del(status, "observedValuesFiles");
	cf_cond_delete(r->obj, COND_FETCH_FAILED);
	cf_cond_delete(r->obj, COND_BUILD_FAILED);
	cf_cond_delete(r->obj, COND_STORAGE_FAILED);
	cf_cond_delete(r->obj, COND_ARTIFACT_OUTDATED);
	cf_cond_set(r->obj, COND_ARTIFACT_IN_STORAGE, "True", reason, msg, r->now);
	cf_cond_set(r->obj, CF_COND_READY, "True", reason, msg, r->now);
done:
	free(path);
	free(url);
	free(link);
	return err;
}

static int run_steps(reconcile *r)
{
	int err;

	if ((err = step_source(r)) < 0)
		return err;
	if (strcmp(r->source_kind, "HelmRepository") == 0)
		err = build_from_repository(r);
	else
		err = build_from_git(r);
	if (err < 0)
		return err;
	return step_store(r);
}

static int finalize(reconcile *r)
{
	int err = cf_artifact_storage_remove_all(r->env->storage, "helmchart",
						 cf_object_str(r->obj, "metadata.namespace"), cf_object_str(r->obj, "metadata.name"));
	return err < 0 ? err : cf_object_finalizer(r->env->kube, r->obj, 0);
}

static void reconcile_free(reconcile *r)
{
	json_decref(r->obj);
	json_decref(r->old);
	json_decref(r->source);
	json_decref(r->values_used);
	free(r->chart_name);
	free(r->version);
	free(r->tgz);
}

int sc_helmchart_reconcile(sc_env *env, const char *ns, const char *name, sc_result *res)
{
	reconcile r = {.env = env, .now = time(NULL)};
	int err;

	r.log = (cf_log_ctx){.controller = "helmchart", .group = SC_GROUP, .kind = KIND,
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

	snprintf(r.work, sizeof(r.work), "%s/helmchart-XXXXXX", env->tmp_dir);
	if (!mkdtemp(r.work)) {
		err = cf_error_set(CF_EIO, "creating a work directory in %s: %s", env->tmp_dir, strerror(errno));
		goto out;
	}
	err = run_steps(&r);
	cf_object_rmtree(r.work);

	if (err == 0 || err == CF_EUNSUPPORTED)
		cf_cond_delete(r.obj, CF_COND_RECONCILING);
	cf_cond_summarize(r.obj, r.now);
	int perr = cf_object_patch_status(env->kube, r.old, r.obj);
	if (perr < 0 && err == 0)
		err = perr;
	res->requeue_after_ms = cf_object_duration_ms(r.obj, "spec.interval", DEFAULT_INTERVAL_MS);
	if (err == CF_EAGAIN) {
		/* Waiting for the source: its new artifact wakes this chart through the watch. */
		err = 0;
		res->requeue_after_ms = NO_ARTIFACT_RETRY_MS;
	} else if (err == CF_EUNSUPPORTED) {
		err = 0;
		res->requeue_after_ms = 0;
	}
	res->failed = err < 0;
out:
	reconcile_free(&r);
	return err;
}
