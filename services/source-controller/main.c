/* source-controller: hands its kind table to the runtime and sets up storage, the artifact server and the bus. */
#include "sc.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/error.h"
#include "cf/git.h"
#include "cf/log.h"
#include "cf/runtime.h"

/* Flags with Flux's names and defaults. */
static const char *storage_path = "/data";
static const char *storage_addr = ":9090";
static const char *storage_adv_addr = "";
static const char *events_bind = "tcp://0.0.0.0:9091";
static const char *git_cache_path = "";
static int artifact_retention = 2;

static const cf_flag flags[] = {
	{"storage-path", CF_FLAG_STRING, &storage_path, "The local storage path."},
	{"storage-addr", CF_FLAG_STRING, &storage_addr, "The address the static file server binds to."},
	{"storage-adv-addr", CF_FLAG_STRING, &storage_adv_addr,
	 "The advertised address of the static file server (default: $STORAGE_ADV_ADDR or the bound address)."},
	{"events-bind", CF_FLAG_STRING, &events_bind, "The bus address to publish on (\"0\" turns it off)."},
	{"git-cache-path", CF_FLAG_STRING, &git_cache_path,
	 "Where clones are kept between reconciles (default: <storage-path>/../git-cache)."},
	{"artifact-retention-records", CF_FLAG_INT, &artifact_retention,
	 "The maximum number of artifacts to be kept in storage after a garbage collection."},
	{"helm-index-max-size", CF_FLAG_INT, &sc_helm_index_max_size,
	 "The max allowed size in bytes of a Helm repository index file."},
	{"helm-chart-max-size", CF_FLAG_INT, &sc_helm_chart_max_size,
	 "The max allowed size in bytes of a Helm chart file."},
	{"helm-chart-file-max-size", CF_FLAG_INT, &sc_helm_chart_file_max_size,
	 "The max allowed size in bytes of a file in a Helm chart."},
	{"git-file-max-size", CF_FLAG_INT, &sc_git_file_max_size,
	 "The max allowed size in bytes of a file in a Git checkout (0: 256 MiB)."},
	{"git-tree-max-size", CF_FLAG_INT, &sc_git_tree_max_size,
	 "The max allowed size in bytes of a whole Git checkout (0: 2 GiB)."},
	{NULL},
};

typedef struct {
	sc_env env;
	cf_runtime *rt;
	cf_artifact_server *server;
	char cache_dir[4096];
	char adv[256];
	volatile int stopping;
	pthread_mutex_t mu;
	pthread_t leader_watch;
	int watching;
} service_state;

/*
 * Only the leader serves and writes artifacts, as in Flux: the storage server starts once this
 * replica leads (workers, and so reconciles, only run on the leader too).
 */
static int ensure_serving(service_state *s)
{
	int err = 0;

	pthread_mutex_lock(&s->mu);
	if (s->env.storage)
		goto done;
	if (!s->server && (err = cf_artifact_server_start(&s->server, storage_path, storage_addr)) < 0)
		goto done;
	if (!s->adv[0])
		snprintf(s->adv, sizeof(s->adv), "localhost:%d", cf_artifact_server_port(s->server));
	if ((err = cf_artifact_storage_new(&s->env.storage, storage_path, s->adv)) < 0)
		goto done;
	cf_log_info(NULL, "artifact server listening on port %d, advertised as %s",
		    cf_artifact_server_port(s->server), s->adv);
done:
	pthread_mutex_unlock(&s->mu);
	return err;
}

static void *watch_leadership(void *arg)
{
	service_state *s = arg;

	while (!s->stopping) {
		if (cf_runtime_is_leader(s->rt) && ensure_serving(s) < 0) {
			cf_log_error(NULL, "starting the artifact server failed: %s", cf_error_last());
			cf_runtime_request_stop(s->rt);
			break;
		}
		if (s->env.storage)
			break;
		usleep(200000);
	}
	return NULL;
}

static cf_result to_result(int err, const sc_result *res)
{
	if (err < 0 || res->failed)
		return cf_result_error();
	if (res->requeue_after_ms > 0)
		return cf_result_requeue(res->requeue_after_ms);
	return cf_result_done();
}

/* Runs one kind's reconciler once this replica serves artifacts. */
static cf_result run(const cf_request *req,
		     int (*fn)(sc_env *env, const char *ns, const char *name, sc_result *res))
{
	service_state *s = req->service_ctx;
	sc_result res = {0};
	int err = ensure_serving(s);

	if (err == 0)
		err = fn(&s->env, req->namespace_, req->name, &res);
	if (err < 0 && err != CF_EAGAIN)
		cf_log_debug(req->log, "reconcile failed: %s", cf_error_last());
	return to_result(err, &res);
}

static cf_result reconcile_gitrepository(const cf_request *req)
{
	return run(req, sc_gitrepository_reconcile);
}

/* GitRepositories that include another one: index "include" -> "<ns>/<included name>". */
static void index_includes(const json_t *obj, cf_emit_fn emit, void *ctx)
{
	json_t *incs = json_object_get(json_object_get(obj, "spec"), "include");
	const char *ns = cf_object_str(obj, "metadata.namespace");
	char key[512];
	size_t i;
	json_t *inc;

	json_array_foreach(incs, i, inc) {
		const char *name = cf_object_str(inc, "repository.name");
		if (name && ns) {
			snprintf(key, sizeof(key), "%s/%s", ns, name);
			emit(ctx, key);
		}
	}
}

/* A GitRepository's new artifact wakes the repositories that include it. */
static void map_includers(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit,
			  void *emit_ctx)
{
	const char *rev = cf_object_str(obj, "status.artifact.revision");
	const char *old_rev = old ? cf_object_str(old, "status.artifact.revision") : NULL;
	cf_cache *cache = cf_runtime_cache(rt, "GitRepository");
	char key[512], **keys = NULL;
	size_t n = 0;

	if (!rev || (old_rev && strcmp(rev, old_rev) == 0) || !cache)
		return;
	if (cf_cache_key(key, sizeof(key), obj) < 0 ||
	    cf_cache_index_keys(cache, &keys, &n, "include", key) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		emit(emit_ctx, keys[i]);
	cf_strv_free(keys, n);
}

static cf_result reconcile_helmrepository(const cf_request *req)
{
	return run(req, sc_helmrepository_reconcile);
}

static cf_result reconcile_helmchart(const cf_request *req)
{
	return run(req, sc_helmchart_reconcile);
}

/* HelmCharts by source: index "source" -> "<kind>/<ns>/<name>". */
static void index_chart_source(const json_t *obj, cf_emit_fn emit, void *ctx)
{
	const char *kind = cf_object_str(obj, "spec.sourceRef.kind"), *name = cf_object_str(obj, "spec.sourceRef.name");
	const char *ns = cf_object_str(obj, "metadata.namespace");
	char key[600];

	if (kind && name && ns) {
		snprintf(key, sizeof(key), "%s/%s/%s", kind, ns, name);
		emit(ctx, key);
	}
}

/* A source's new artifact wakes the HelmCharts built from it. */
static void map_charts(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit, void *emit_ctx)
{
	const char *rev = cf_object_str(obj, "status.artifact.revision");
	const char *old_rev = old ? cf_object_str(old, "status.artifact.revision") : NULL;
	const char *kind = cf_object_str(obj, "kind"), *ns = cf_object_str(obj, "metadata.namespace");
	const char *name = cf_object_str(obj, "metadata.name");
	cf_cache *cache = cf_runtime_cache(rt, "HelmChart");
	char key[600], **keys = NULL;
	size_t n = 0;

	if (!rev || (old_rev && strcmp(rev, old_rev) == 0) || !cache || !kind || !ns || !name)
		return;
	snprintf(key, sizeof(key), "%s/%s/%s", kind, ns, name);
	if (cf_cache_index_keys(cache, &keys, &n, "source", key) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		emit(emit_ctx, keys[i]);
	cf_strv_free(keys, n);
}

static const cf_index_def helmchart_indexes[] = {{"source", index_chart_source}, {NULL}};
static const cf_watch_def helmchart_watches[] = {
	{SC_GROUP "/v1", "HelmRepository", map_charts, NULL},
	{SC_GROUP "/v1", "GitRepository", map_charts, NULL},
	{NULL},
};

static const cf_index_def gitrepo_indexes[] = {{"include", index_includes}, {NULL}};
static const cf_watch_def gitrepo_watches[] = {
	{SC_GROUP "/v1", "GitRepository", map_includers, NULL},
	{NULL},
};
static const char *const source_versions[] = {"v1", "v1beta2", "v1beta1", NULL};

static const cf_kind kinds[] = {
	{"GitRepository", SC_GROUP, source_versions, "gitrepositories", reconcile_gitrepository,
	 gitrepo_indexes, gitrepo_watches},
	{"HelmRepository", SC_GROUP, source_versions, "helmrepositories", reconcile_helmrepository, NULL, NULL},
	{"HelmChart", SC_GROUP, source_versions, "helmcharts", reconcile_helmchart, helmchart_indexes,
	 helmchart_watches},
	{NULL},
};

static int mkdir_p(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static int start(cf_runtime *rt, void **ctx)
{
	service_state *s = calloc(1, sizeof(*s));
	const char *adv = *storage_adv_addr ? storage_adv_addr : getenv("STORAGE_ADV_ADDR");
	char tmp_dir[4200];
	int err;

	if (!s)
		return CF_ENOMEM;
	if ((err = cf_git_init()) < 0)
		goto fail;
	if (mkdir_p(storage_path) < 0) {
		err = cf_error_set(CF_EIO, "creating --storage-path %s: %s", storage_path, strerror(errno));
		goto fail;
	}
	if (*git_cache_path)
		snprintf(s->cache_dir, sizeof(s->cache_dir), "%s", git_cache_path);
	else
		snprintf(s->cache_dir, sizeof(s->cache_dir), "%s/../git-cache", storage_path);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/tmp", s->cache_dir);
	if (mkdir_p(tmp_dir) < 0) {
		err = cf_error_set(CF_EIO, "creating %s: %s", tmp_dir, strerror(errno));
		goto fail;
	}
	if (adv && *adv)
		snprintf(s->adv, sizeof(s->adv), "%s", adv);
	pthread_mutex_init(&s->mu, NULL);
	s->rt = rt;
	if (strcmp(events_bind, "0") != 0 && *events_bind &&
	    (err = cf_bus_pub_new(&s->env.bus, events_bind, SC_CONTROLLER)) < 0)
		goto fail;
	s->env.kube = cf_runtime_kube(rt);
	s->env.git_cache_dir = s->cache_dir;
	s->env.tmp_dir = strdup(tmp_dir);
	s->env.artifact_retention = artifact_retention > 0 ? artifact_retention : 2;
	s->env.stopping = &s->stopping;
	if (pthread_create(&s->leader_watch, NULL, watch_leadership, s) == 0)
		s->watching = 1;
	*ctx = s;
	return 0;
fail:
	cf_artifact_server_free(s->server);
	cf_artifact_storage_free(s->env.storage);
	free(s);
	return err;
}

static void stop(cf_runtime *rt, void *ctx)
{
	service_state *s = ctx;

	if (!s)
		return;
	s->stopping = 1;
	if (s->watching)
		pthread_join(s->leader_watch, NULL);
	cf_artifact_server_free(s->server);
	cf_artifact_storage_free(s->env.storage);
	cf_bus_pub_free(s->env.bus);
	free((char *)s->env.tmp_dir);
	free(s);
}

static const cf_service service = {
	.name = SC_CONTROLLER,
	.kinds = kinds,
	.flags = flags,
	.concurrent_default = 2,
	.start = start,
	.stop = stop,
};

int main(int argc, char **argv)
{
	return cf_runtime_main(argc, argv, &service);
}
