/*
 * A small controller for the test kind Widget (test.cflux.io/v1), run by the runtime integration
 * tests: it reconciles Widgets into status (Ready, observedGeneration, reconciledBy, the value of
 * the ConfigMap named by spec.configMap) and appends one line per reconcile to --record-file.
 */
#include "cf/error.h"
#include "cf/kube.h"
#include "cf/log.h"
#include "cf/runtime.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *instance = "widget-controller";
static const char *record_file;
static int64_t reconcile_delay_ms;

static const cf_flag widget_flags[] = {
	{"instance", CF_FLAG_STRING, &instance, "Name written to status.reconciledBy."},
	{"record-file", CF_FLAG_STRING, &record_file, "Appends \"<key> <generation>\" when a reconcile starts."},
	{"reconcile-delay", CF_FLAG_DURATION, &reconcile_delay_ms, "Sleep inside each reconcile."},
	{NULL},
};

/* "namespace/name" of the ConfigMap a Widget reads. */
static void config_map_index(const json_t *obj, cf_emit_fn emit, void *ctx)
{
	const char *cm = json_string_value(json_object_get(json_object_get(obj, "spec"), "configMap"));
	const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
	char buf[512];

	if (cm && ns) {
		snprintf(buf, sizeof(buf), "%s/%s", ns, cm);
		emit(ctx, buf);
	}
}

/* A changed ConfigMap enqueues the Widgets that reference it, found through the index. */
static void map_config_map(cf_runtime *rt, const json_t *obj, const json_t *old, cf_emit_fn emit,
			   void *emit_ctx)
{
	char key[512], **keys = NULL;
	size_t n = 0;

	if (cf_cache_key(key, sizeof(key), obj) < 0 ||
	    cf_cache_index_keys(cf_runtime_cache(rt, "Widget"), &keys, &n, "configMap", key) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		emit(emit_ctx, keys[i]);
	cf_strv_free(keys, n);
}

static void record(const char *key, json_int_t generation)
{
	char line[600];
	int fd;

	if (!record_file || (fd = open(record_file, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		return;
	int n = snprintf(line, sizeof(line), "%s %lld\n", key, (long long)generation);
	if (write(fd, line, (size_t)n) != n)
		cf_log_error(NULL, "short write to %s", record_file);
	close(fd);
}

static json_t *config_value(cf_runtime *rt, const json_t *widget)
{
	char key[512];
	json_t *cm = NULL, *value;
	const char *name = json_string_value(json_object_get(json_object_get(widget, "spec"), "configMap"));
	const char *ns = json_string_value(json_object_get(json_object_get(widget, "metadata"), "namespace"));
	if (!name || !ns)
		return json_null();
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	if (cf_cache_get_json(cf_runtime_cache(rt, "ConfigMap"), &cm, key) < 0)
		return json_null();
	value = json_incref(json_object_get(json_object_get(cm, "data"), "value"));
	json_decref(cm);
	return value ? value : json_null();
}

static cf_result reconcile(const cf_request *req)
{
	cf_cache *cache = cf_runtime_cache(req->rt, "Widget");
	json_t *obj = NULL, *patch = NULL;
	char *body = NULL;
	cf_result res = cf_result_done();
	time_t now = time(NULL);

	if (cf_cache_get_json(cache, &obj, req->key) < 0)
		return cf_result_done(); /* deleted: nothing to clean up */
	json_int_t gen = json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
	record(req->key, gen);
	if (reconcile_delay_ms > 0)
		usleep((useconds_t)reconcile_delay_ms * 1000);
	cf_cond_handle_requested_at(obj);
	cf_cond_mark_reconciling(obj, CF_REASON_PROGRESSING, "Reconciliation in progress", now);
	if (json_is_true(json_object_get(json_object_get(obj, "spec"), "fail"))) {
		cf_cond_set(obj, CF_COND_READY, "False", "WidgetFailed", "spec.fail is set", now);
		res = cf_result_error();
	} else {
		json_int_t every = json_integer_value(json_object_get(json_object_get(obj, "spec"), "requeueAfterMs"));
		cf_cond_set(obj, CF_COND_READY, "True", CF_REASON_SUCCEEDED, "Reconciled", now);
		if (every > 0)
			res = cf_result_requeue(every);
	}
	cf_cond_summarize(obj, now);
	json_t *status = json_object_get(obj, "status");
	json_object_set_new(status, "reconciledBy", json_string(instance));
	json_object_set_new(status, "configValue", config_value(req->rt, obj));
	patch = json_pack("{s:O}", "status", status);
	body = json_dumps(patch, JSON_COMPACT);
	cf_kube_ref ref = {"test.cflux.io/v1", "Widget", req->namespace_, req->name};
	if (cf_kube_patch_status(cf_runtime_kube(req->rt), NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL) < 0) {
		cf_log_error(req->log, "status patch failed: %s", cf_error_last());
		res = cf_result_error();
	} else {
		cf_log_info(req->log, "Reconciliation finished");
	}
	free(body);
	json_decref(patch);
	json_decref(obj);
	return res;
}

static const cf_index_def widget_indexes[] = {{"configMap", config_map_index}, {NULL}};

static const cf_watch_def widget_watches[] = {
	{"v1", "ConfigMap", map_config_map, "test.cflux.io/widget-config=true"},
	{NULL},
};

static const char *const widget_versions[] = {"v1", NULL};

static const cf_kind kinds[] = {
	{"Widget", "test.cflux.io", widget_versions, "widgets", reconcile, widget_indexes, widget_watches},
	{NULL},
};

static const cf_service service = {
	.name = "widget-controller",
	.kinds = kinds,
	.flags = widget_flags,
	.concurrent_default = 2,
};

int main(int argc, char **argv)
{
	return cf_runtime_main(argc, argv, &service);
}
