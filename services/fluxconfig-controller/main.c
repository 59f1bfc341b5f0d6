/* fluxconfig-controller: hands the FluxConfig kind to the runtime and follows its objects through watches and the bus. */
#include "fc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/discovery.h"
#include "cf/error.h"

/* Bus endpoints: comma-separated lists, so one flag carries kustomize- and helm-controller. */
static const char *events_bind = "tcp://0.0.0.0:9093";
static const char *events_connect = "";
static const char *events_service = "";

static const cf_flag flags[] = {
	{"events-bind", CF_FLAG_STRING, &events_bind, "The bus address to publish results on (\"0\" turns it off)."},
	{"events-connect", CF_FLAG_STRING, &events_connect,
	 "Bus publishers whose ReconcileResults to follow: tcp:// endpoints, comma-separated."},
	{"events-service", CF_FLAG_STRING, &events_service,
	 "In a cluster: <namespace>/<name> of headless bus Services (comma-separated, e.g. kustomize- and "
	 "helm-controller's); every ready endpoint of port \"events\" is listened to."},
	{NULL},
};

typedef struct {
	fc_env env;
	cf_discovery_listener *listener;
} service_state;

/* The FluxConfig key an object's owner labels name, into buf; 0 when it has none. */
static int owner_key(char *buf, size_t size, const json_t *obj)
{
	const char *name = cf_object_meta(obj, "labels", FC_LABEL_NAME);
	const char *ns = cf_object_meta(obj, "labels", FC_LABEL_NAMESPACE);

	if (!name || !ns || !*name || !*ns)
		return 0;
	snprintf(buf, size, "%s/%s", ns, name);
	return 1;
}

/* A GitRepository or Kustomization of a config wakes it on any change of its status. */
static void map_owned(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit, void *emit_ctx)
{
	char key[600];

	(void)rt;
	if (old && json_equal(json_object_get(obj, "status"), json_object_get(old, "status")) &&
	    json_equal(json_object_get(obj, "spec"), json_object_get(old, "spec")))
		return;
	if (owner_key(key, sizeof(key), obj))
		emit(emit_ctx, key);
}

/* The config of the Kustomization that applied an object, through the Kustomization cache. */
static int config_of_applied(char *buf, size_t size, cf_runtime *rt, const char *ks_ns, const char *ks_name)
{
	cf_cache *cache = cf_runtime_cache(rt, "Kustomization");
	char key[600];
	json_t *ks = NULL;
	int found;

	if (!cache || !ks_ns || !ks_name)
		return 0;
	snprintf(key, sizeof(key), "%s/%s", ks_ns, ks_name);
	if (cf_cache_get_json(cache, &ks, key) < 0)
		return 0;
	found = owner_key(buf, size, ks);
	json_decref(ks);
	return found;
}

/* A HelmRelease applied by one of a config's Kustomizations wakes that config. */
static void map_helmrelease(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit, void *emit_ctx)
{
	char key[600];

	if (old && json_equal(json_object_get(obj, "status"), json_object_get(old, "status")))
		return;
	if (config_of_applied(key, sizeof(key), rt, cf_object_meta(obj, "labels", FC_KS_LABEL_NAMESPACE),
			      cf_object_meta(obj, "labels", FC_KS_LABEL_NAME)))
		emit(emit_ctx, key);
}

static const cf_watch_def watches[] = {
	{FC_KS_API, "Kustomization", map_owned, FC_LABEL_NAME},
	{FC_SOURCE_API, "GitRepository", map_owned, FC_LABEL_NAME},
	{FC_HR_API, "HelmRelease", map_helmrelease, FC_KS_LABEL_NAME},
	{NULL},
};
static const char *const versions[] = {"v1", NULL};

static const cf_kind kinds[] = {
	{FC_KIND, FC_GROUP, versions, "fluxconfigs", fc_reconcile, NULL, watches},
	{NULL},
};

/* Maps one ReconcileResult to the config it concerns, from the watch caches. */
static void on_result(cf_runtime *rt, const cf_bus_reconcile_result *rr)
{
	char key[600], obj_key[600];
	json_t *obj = NULL;
	int found = 0;

	snprintf(obj_key, sizeof(obj_key), "%s/%s", rr->namespace_, rr->name);
	if (strcmp(rr->kind, "HelmRelease") == 0) {
		cf_cache *cache = cf_runtime_cache(rt, "HelmRelease");
		if (cache && cf_cache_get_json(cache, &obj, obj_key) == 0)
			found = config_of_applied(key, sizeof(key), rt, cf_object_meta(obj, "labels", FC_KS_LABEL_NAMESPACE),
						  cf_object_meta(obj, "labels", FC_KS_LABEL_NAME));
	} else if (strcmp(rr->kind, "Kustomization") == 0 || strcmp(rr->kind, "GitRepository") == 0) {
		cf_cache *cache = cf_runtime_cache(rt, rr->kind);
		if (cache && cf_cache_get_json(cache, &obj, obj_key) == 0)
			found = owner_key(key, sizeof(key), obj);
	}
	json_decref(obj);
	if (!found)
		return;
	cf_log_debug(NULL, "reconcile result hint from %s for %s/%s: FluxConfig %s", rr->controller, rr->kind, obj_key, key);
	cf_runtime_enqueue(rt, FC_KIND, key);
}

/* ReconcileResult hints enqueue the config at once; the watches stay the source of truth. */
static void on_message(void *ctx, const cf_bus_msg *m)
{
	service_state *s = ctx;

	if (m->type == CF_BUS_RECONCILE_RESULT)
		on_result(s->env.rt, &m->body.reconcile_result);
}

static void free_state(service_state *s)
{
	cf_discovery_listener_free(s->listener);
	cf_bus_pub_free(s->env.bus);
	free(s);
}

static int start(cf_runtime *rt, void **ctx)
{
	service_state *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return CF_ENOMEM;
	s->env.rt = rt;
	s->env.kube = cf_runtime_kube(rt);
	if (strcmp(events_bind, "0") != 0 && *events_bind &&
	    (err = cf_bus_pub_new(&s->env.bus, events_bind, FC_CONTROLLER)) < 0)
		goto fail;
	if ((err = cf_discovery_listen(&s->listener, s->env.kube, events_connect, events_service,
				       CF_BUS_MASK(CF_BUS_RECONCILE_RESULT), on_message, s)) < 0)
		goto fail;
	*ctx = s;
	return 0;
fail:
	free_state(s);
	return err;
}

static void stop(cf_runtime *rt, void *ctx)
{
	(void)rt;
	if (ctx)
		free_state(ctx);
}

static const cf_service service = {
	.name = FC_CONTROLLER,
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
