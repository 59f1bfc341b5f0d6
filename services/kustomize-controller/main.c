/* kustomize-controller: hands the Kustomization kind to the runtime and listens on the bus for new artifacts. */
#include "kc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/discovery.h"
#include "cf/error.h"

/* Flags with Flux's names and defaults, plus the bus endpoints. */
static const char *events_bind = "tcp://0.0.0.0:9091";
static const char *events_connect = "";
static const char *events_service = "";
static const char *tmp_path = "";
static int http_retry = 9;
static int no_cross_namespace_refs = 0;

static const cf_flag flags[] = {
	{"events-bind", CF_FLAG_STRING, &events_bind, "The bus address to publish results on (\"0\" turns it off)."},
	{"events-connect", CF_FLAG_STRING, &events_connect,
	 "Bus publishers to listen to for new artifacts: tcp:// endpoints, comma-separated or repeated."},
	{"events-service", CF_FLAG_STRING, &events_service,
	 "In a cluster: <namespace>/<name> of the headless Service of source-controller's bus; every "
	 "ready endpoint of its port \"events\" is listened to, as replicas come and go."},
	{"http-retry", CF_FLAG_INT, &http_retry, "The maximum number of retries when failing to fetch artifacts over HTTP."},
	{"no-cross-namespace-refs", CF_FLAG_BOOL, &no_cross_namespace_refs,
	 "When set, a Kustomization may only refer to a source in its own namespace."},
	{"tmp-path", CF_FLAG_STRING, &tmp_path, "Where artifacts are unpacked (default: $TMPDIR or /tmp)."},
	{NULL},
};


/* Every --events-connect value, as the flag table keeps only the last one. */
static char connect_list[8192];

typedef struct {
	kc_env env;
	cf_discovery_listener *listener;
} service_state;

static const char *const source_kinds[] = {"GitRepository", "OCIRepository", "Bucket", NULL};

/* Kustomizations by source: "<Kind>/<namespace>/<name>". */
static void index_source(const json_t *obj, cf_emit_fn emit, void *ctx)
{
	const char *kind = cf_object_str(obj, "spec.sourceRef.kind"), *name = cf_object_str(obj, "spec.sourceRef.name");
	const char *ns = cf_object_str(obj, "spec.sourceRef.namespace");
	char key[768];

	if (!ns)
		ns = cf_object_str(obj, "metadata.namespace");
	if (!kind || !name || !ns)
		return;
	snprintf(key, sizeof(key), "%s/%s/%s", kind, ns, name);
	emit(ctx, key);
}

/* Flux skips consumers that are already Ready at the new revision. */
static int up_to_date(cf_cache *cache, const char *key, const char *revision)
{
	json_t *ks = NULL;
	int done;

	if (!revision || cf_cache_get_json(cache, &ks, key) < 0)
		return 0;
	const char *applied = cf_object_str(ks, "status.lastAppliedRevision");
	done = applied && strcmp(applied, revision) == 0 && cf_cond_has_status(ks, CF_COND_READY, "True");
	json_decref(ks);
	return done;
}

static void enqueue_consumers(cf_runtime *rt, const char *kind, const char *ns, const char *name,
			      const char *revision, cf_emit_fn emit, void *emit_ctx)
{
	cf_cache *cache = cf_runtime_cache(rt, KC_KIND);
	char key[768], **keys = NULL;
	size_t n = 0;

	snprintf(key, sizeof(key), "%s/%s/%s", kind, ns, name);
	if (!cache || cf_cache_index_keys(cache, &keys, &n, "sourceRef", key) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (up_to_date(cache, keys[i], revision))
			continue;
		if (emit)
			emit(emit_ctx, keys[i]);
		else
			cf_runtime_enqueue(rt, KC_KIND, keys[i]);
	}
	cf_strv_free(keys, n);
}

/* A source wakes its Kustomizations only when its artifact revision changed. */
static void map_source(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit, void *emit_ctx)
{
	const char *rev = cf_object_str(obj, "status.artifact.revision");
	const char *old_rev = old ? cf_object_str(old, "status.artifact.revision") : NULL;

	if (!rev || (old_rev && strcmp(rev, old_rev) == 0))
		return;
	enqueue_consumers(rt, cf_object_str(obj, "kind"), cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name"),
			  rev, emit, emit_ctx);
}

static const cf_index_def indexes[] = {{"sourceRef", index_source}, {NULL}};
static const cf_watch_def watches[] = {
	{KC_SOURCE_GROUP "/v1", "GitRepository", map_source, NULL},
	{KC_SOURCE_GROUP "/v1", "OCIRepository", map_source, NULL},
	{KC_SOURCE_GROUP "/v1", "Bucket", map_source, NULL},
	{NULL},
};
static const char *const versions[] = {"v1", "v1beta2", "v1beta1", NULL};

static const cf_kind kinds[] = {
	{KC_KIND, KC_GROUP, versions, "kustomizations", kc_reconcile, indexes, watches},
	{NULL},
};

/* ArtifactReady hints enqueue the source's Kustomizations; the watch stays the source of truth. */
static void on_message(void *ctx, const cf_bus_msg *m)
{
	service_state *s = ctx;
	const cf_bus_artifact_ready *ar = &m->body.artifact_ready;

	for (const char *const *k = source_kinds; m->type == CF_BUS_ARTIFACT_READY && *k; k++) {
		if (strcmp(*k, ar->kind) != 0)
			continue;
		cf_log_debug(NULL, "artifact ready hint for %s/%s/%s at %s", ar->kind, ar->namespace_, ar->name, ar->revision);
		enqueue_consumers(s->env.rt, ar->kind, ar->namespace_, ar->name, ar->revision, NULL, NULL);
	}
}

static int start(cf_runtime *rt, void **ctx)
{
	service_state *s = calloc(1, sizeof(*s));
	const char *tmp = *tmp_path ? tmp_path : getenv("TMPDIR");
	int err;

	if (!s)
		return CF_ENOMEM;
	s->env.rt = rt;
	s->env.kube = cf_runtime_kube(rt);
	s->env.tmp_dir = tmp && *tmp ? tmp : "/tmp";
	s->env.http_retry = http_retry;
	s->env.no_cross_namespace_refs = no_cross_namespace_refs;
	s->env.requeue_dependency_ms = cf_runtime_config_of(rt)->requeue_dependency_ms;
	if (s->env.requeue_dependency_ms <= 0)
		s->env.requeue_dependency_ms = 30000;
	if (strcmp(events_bind, "0") != 0 && *events_bind &&
	    (err = cf_bus_pub_new(&s->env.bus, events_bind, KC_CONTROLLER)) < 0)
		goto fail;
	if ((err = cf_discovery_listen(&s->listener, s->env.kube, connect_list[0] ? connect_list : events_connect,
				       events_service, CF_BUS_MASK(CF_BUS_ARTIFACT_READY), on_message, s)) < 0)
		goto fail;
	*ctx = s;
	return 0;
fail:
	cf_bus_pub_free(s->env.bus);
	free(s);
	return err;
}

static void stop(cf_runtime *rt, void *ctx)
{
	service_state *s = ctx;

	(void)rt;
	if (!s)
		return;
	cf_discovery_listener_free(s->listener);
	cf_bus_pub_free(s->env.bus);
	free(s);
}

/* Collects repeated --events-connect values; the flag parser itself keeps the last. */
static void collect_connects(int argc, char **argv)
{
	size_t len = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		if (strncmp(argv[i], "--events-connect=", 17) == 0)
			v = argv[i] + 17;
		else if (strcmp(argv[i], "--events-connect") == 0 && i + 1 < argc)
			v = argv[++i];
		if (v && len + strlen(v) + 2 < sizeof(connect_list)) {
			snprintf(connect_list + len, sizeof(connect_list) - len, "%s%s", len ? "," : "", v);
			len = strlen(connect_list);
		}
	}
}

static const cf_service service = {
	.name = KC_CONTROLLER,
	.kinds = kinds,
	.flags = flags,
	.concurrent_default = 4,
	.start = start,
	.stop = stop,
};

int main(int argc, char **argv)
{
	collect_connects(argc, argv);
	return cf_runtime_main(argc, argv, &service);
}
