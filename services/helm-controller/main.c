/* helm-controller: hands the HelmRelease kind to the runtime and maps HelmChart changes (watch and bus) back to their HelmReleases. */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/discovery.h"
#include "cf/error.h"


/* Flags with Flux's names and defaults. */
static const char *events_bind = "tcp://0.0.0.0:9092";
static const char *events_connect = "";
static const char *events_service = "";
static const char *tmp_path = "";
static int http_retry = 9;

static const cf_flag flags[] = {
	{"events-bind", CF_FLAG_STRING, &events_bind, "The bus address to publish results on (\"0\" turns it off)."},
	{"events-connect", CF_FLAG_STRING, &events_connect,
	 "Bus publishers to listen to for new chart artifacts: tcp:// endpoints, comma-separated."},
	{"events-service", CF_FLAG_STRING, &events_service,
	 "In a cluster: <namespace>/<name> of the headless Service of source-controller's bus; every "
	 "ready endpoint of its port \"events\" is listened to, as replicas come and go."},
	{"http-retry", CF_FLAG_INT, &http_retry, "The maximum number of retries when failing to fetch artifacts over HTTP."},
	{"tmp-path", CF_FLAG_STRING, &tmp_path, "Where charts are unpacked (default: $TMPDIR or /tmp)."},
	{NULL},
};

/*
 * HelmReleases by the HelmChart they use: "<chart namespace>/<name>", the one they generate
 * ("<hr namespace>-<hr name>") or the one spec.chartRef names.
 */
static void index_chart(const json_t *obj, cf_emit_fn emit, void *ctx)
{
	const char *ns = cf_object_str(obj, "metadata.namespace"), *name = cf_object_str(obj, "metadata.name");
	const char *sns = cf_object_str(obj, "spec.chart.spec.sourceRef.namespace");
	const char *ref = cf_object_str(obj, "spec.chartRef.name"), *rns = cf_object_str(obj, "spec.chartRef.namespace");
	char key[800];

	if (!ns || !name)
		return;
	if (ref)
		snprintf(key, sizeof(key), "%s/%s", rns && *rns ? rns : ns, ref);
	else
		snprintf(key, sizeof(key), "%s/%s-%s", sns && *sns ? sns : ns, ns, name);
	emit(ctx, key);
}

/* Flux skips releases already Ready at the chart's revision. */
static int up_to_date(cf_cache *cache, const char *key, const char *revision)
{
	json_t *hr = NULL;
	int done;

	if (!revision || cf_cache_get_json(cache, &hr, key) < 0)
		return 0;
	const char *attempted = cf_object_str(hr, "status.lastAttemptedRevision");
	done = attempted && strcmp(attempted, revision) == 0 && cf_cond_has_status(hr, CF_COND_READY, "True");
	json_decref(hr);
	return done;
}

/* Enqueues the HelmReleases of HelmChart ns/name (through emit, or directly when emit is NULL). */
static void enqueue_releases(cf_runtime *rt, const char *ns, const char *name, const char *revision, int skip_current,
			     cf_emit_fn emit, void *emit_ctx)
{
	cf_cache *cache = cf_runtime_cache(rt, HC_KIND);
	char key[800], **keys = NULL;
	size_t n = 0;

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	if (!cache || cf_cache_index_keys(cache, &keys, &n, "helmChart", key) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (skip_current && up_to_date(cache, keys[i], revision))
			continue;
		if (emit)
			emit(emit_ctx, keys[i]);
		else
			cf_runtime_enqueue(rt, HC_KIND, keys[i]);
	}
	cf_strv_free(keys, n);
}

/* A HelmChart wakes its HelmReleases when its artifact or readiness changed. */
static void map_chart(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit, void *emit_ctx)
{
	const char *rev = cf_object_str(obj, "status.artifact.revision");
	const char *old_rev = old ? cf_object_str(old, "status.artifact.revision") : NULL;

	if (!rev || (old_rev && strcmp(rev, old_rev) == 0 &&
		     cf_cond_has_status(old, CF_COND_READY, "True") == cf_cond_has_status(obj, CF_COND_READY, "True")))
		return;
	enqueue_releases(rt, cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name"), rev, 0, emit,
			 emit_ctx);
}

/*
 * An ArtifactReady hint of a HelmChart enqueues its HelmReleases at once, before the watch event
 * arrives; the HelmChart read in the reconcile stays the source of truth.
 */
static void on_message(void *ctx, const cf_bus_msg *m)
{
	hc_env *env = ctx;
	const cf_bus_artifact_ready *ar = &m->body.artifact_ready;

	if (m->type != CF_BUS_ARTIFACT_READY || strcmp(ar->kind, "HelmChart") != 0)
		return;
	cf_log_debug(NULL, "artifact ready hint for %s/%s/%s at %s", ar->kind, ar->namespace_, ar->name, ar->revision);
	enqueue_releases(env->rt, ar->namespace_, ar->name, ar->revision, 1, NULL, NULL);
}

static const cf_index_def indexes[] = {{"helmChart", index_chart}, {NULL}};
static const cf_watch_def watches[] = {
	{HC_SOURCE_API, "HelmChart", map_chart, NULL},
	{NULL},
};
static const char *const versions[] = {"v2", NULL};

static const cf_kind kinds[] = {
	{HC_KIND, HC_GROUP, versions, "helmreleases", hc_reconcile, indexes, watches},
	{NULL},
};

static int start(cf_runtime *rt, void **ctx)
{
	hc_env *env = calloc(1, sizeof(*env));
	const char *tmp = *tmp_path ? tmp_path : getenv("TMPDIR");
	int err;

	if (!env)
		return CF_ENOMEM;
	env->rt = rt;
	env->kube = cf_runtime_kube(rt);
	env->tmp_dir = tmp && *tmp ? tmp : "/tmp";
	env->http_retry = http_retry;
	env->requeue_dependency_ms = cf_runtime_config_of(rt)->requeue_dependency_ms;
	if (env->requeue_dependency_ms <= 0)
		env->requeue_dependency_ms = 30000;
	if ((strcmp(events_bind, "0") != 0 && *events_bind &&
	     (err = cf_bus_pub_new(&env->bus, events_bind, HC_CONTROLLER)) < 0) ||
	    (err = cf_discovery_listen(&env->listener, env->kube, events_connect, events_service,
				       CF_BUS_MASK(CF_BUS_ARTIFACT_READY), on_message, env)) < 0) {
		cf_bus_pub_free(env->bus);
		free(env);
		return err;
	}
	*ctx = env;
	return 0;
}

static void stop(cf_runtime *rt, void *ctx)
{
	hc_env *env = ctx;

	(void)rt;
	if (!env)
		return;
	cf_discovery_listener_free(env->listener);
	cf_bus_pub_free(env->bus);
	free(env);
}

static const cf_service service = {
	.name = HC_CONTROLLER,
	.kinds = kinds,
	.flags = flags,
	.concurrent_default = 4,
	.start = start,
	.stop = stop,
};

int main(int argc, char **argv)
{
	return cf_runtime_main(argc, argv, &service);
}
