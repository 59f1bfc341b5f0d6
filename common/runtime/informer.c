/* Informers: list, then watch from the list's resourceVersion, feeding a cache and handlers. */
#include "cf/runtime.h"
#include "cf/error.h"
#include "cf/log.h"
#include "strmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_BASE_MS 800
#define BACKOFF_MAX_MS 30000

typedef struct {
	cf_informer_handler fn;
	void *ctx;
} handler;

struct cf_informer {
	cf_kube *kube;
	char *api_version, *kind, *ns, *selector;
	int64_t resync_ms, next_resync;
	cf_cache *cache;
	cf_kube_cancel *cancel;
	int own_cancel;
	handler *handlers;
	size_t nhandlers;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int synced, stopped;
	unsigned lists;
	char rv[128];
	rt_strmap *seen;           /* keys listed during a relist */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static cf_kube_ref ref_of(const cf_informer *inf)
{
	return (cf_kube_ref){inf->api_version, inf->kind, inf->ns, NULL};
}

static void set_rv(cf_informer *inf, const char *rv)
{
	if (!rv || !*rv)
		return;
	pthread_mutex_lock(&inf->mu);
	snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
	pthread_mutex_unlock(&inf->mu);
}

static void notify(cf_informer *inf, cf_informer_event ev, const char *key, const json_t *obj,
		   const json_t *old)
{
	for (size_t i = 0; i < inf->nhandlers; i++)
		inf->handlers[i].fn(inf->handlers[i].ctx, ev, key, obj, old);
}

/* ---- applying objects ---- */

static int apply_upsert(cf_informer *inf, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *obj = json_loadb(text, len, 0, &jerr), *old = NULL;
	char key[512], *old_text = NULL;
	int err;

	if (!obj)
		return cf_error_set(CF_EPARSE, "%s event: %s", inf->kind, jerr.text);
	if ((err = cf_cache_key(key, sizeof(key), obj)) < 0 ||
	    (err = cf_cache_put(inf->cache, obj, &old_text)) < 0)
		goto done;
	if (inf->seen && (err = rt_strmap_put(inf->seen, key, inf, NULL)) < 0)
		goto done;
	if (old_text && inf->nhandlers)
		old = json_loads(old_text, 0, NULL);
	notify(inf, old_text ? CF_INFORMER_UPDATE : CF_INFORMER_ADD, key, obj, old);
done:
	free(old_text);
	json_decref(old);
	json_decref(obj);
	return err;
}

static int apply_delete(cf_informer *inf, const char *text, size_t len)
{
	json_t *obj = json_loadb(text, len, 0, NULL);
	char key[512];
	int err;

	if (!obj)
		return cf_error_set(CF_EPARSE, "%s delete event is not JSON", inf->kind);
	if ((err = cf_cache_key(key, sizeof(key), obj)) == 0 &&
	    cf_cache_delete(inf->cache, key, NULL) == 0)
		notify(inf, CF_INFORMER_DELETE, key, obj, NULL);
	json_decref(obj);
	return err;
}

/* ---- list ---- */

static int on_item(void *ctx, const char *item, size_t len)
{
	int err = apply_upsert(ctx, item, len);

	/* One malformed object must not stop the informer; it is logged and skipped. */
	if (err < 0 && err != CF_ENOMEM) {
		cf_log_error(NULL, "skipping a listed object: %s", cf_error_last());
		return 0;
	}
	return err;
}

/* Objects cached before a relist that the list no longer has were deleted meanwhile. */
static void drop_unseen(cf_informer *inf)
{
	char **keys = NULL, *old_text = NULL;
	size_t n = 0;

	if (cf_cache_keys(inf->cache, &keys, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (rt_strmap_get(inf->seen, keys[i]) ||
		    cf_cache_delete(inf->cache, keys[i], &old_text) < 0)
			continue;
		json_t *obj = json_loads(old_text, 0, NULL);
		if (obj)
			notify(inf, CF_INFORMER_DELETE, keys[i], obj, NULL);
		json_decref(obj);
		free(old_text);
		old_text = NULL;
	}
	cf_strv_free(keys, n);
}

static int do_list(cf_informer *inf)
{
	cf_kube_ref ref = ref_of(inf);
	cf_kube_list_opts opts = {.label_selector = inf->selector};
	rt_strmap seen = {0};
	char *rv = NULL;
	int err;

	inf->seen = &seen;
	err = cf_kube_list(inf->kube, &rv, &ref, &opts, on_item, inf);
	if (err == 0)
		drop_unseen(inf);
	inf->seen = NULL;
	rt_strmap_clear(&seen);
	if (err < 0)
		return err;
	set_rv(inf, rv);
	free(rv);
	pthread_mutex_lock(&inf->mu);
	inf->lists++;
	inf->synced = 1;
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->mu);
	return 0;
}

/* ---- resync ---- */

static void resync(cf_informer *inf)
{
	char **keys = NULL;
	size_t n = 0;

	if (cf_cache_keys(inf->cache, &keys, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *obj = NULL;
		if (cf_cache_get_json(inf->cache, &obj, keys[i]) == 0)
			notify(inf, CF_INFORMER_UPDATE, keys[i], obj, obj);
		json_decref(obj);
	}
	cf_strv_free(keys, n);
}

static void maybe_resync(cf_informer *inf)
{
	if (inf->resync_ms <= 0 || now_ms() < inf->next_resync)
		return;
	inf->next_resync = now_ms() + inf->resync_ms;
	resync(inf);
}

/* ---- watch ---- */

static int on_event(void *ctx, const cf_kube_watch_event *ev)
{
	cf_informer *inf = ctx;
	int err = 0;

	switch (ev->type) {
	case CF_KUBE_ADDED:
	case CF_KUBE_MODIFIED:
		err = apply_upsert(inf, ev->object, ev->object_len);
		break;
	case CF_KUBE_DELETED:
		err = apply_delete(inf, ev->object, ev->object_len);
		break;
	case CF_KUBE_BOOKMARK:
		break;
	case CF_KUBE_ERROR:
		/* cf_kube_watch turns the Status into its return code (CF_EGONE for 410). */
		return 0;
	}
	if (err < 0 && err != CF_ENOMEM) {
		cf_log_error(NULL, "skipping a %s watch event: %s", inf->kind, cf_error_last());
		err = 0;
	}
	if (err == 0)
		set_rv(inf, ev->resource_version);
	maybe_resync(inf);
	return err;
}

static int do_watch(cf_informer *inf)
{
	cf_kube_ref ref = ref_of(inf);
	char rv[128];
	/* As client-go: a random server-side timeout between 5 and 10 minutes spreads reconnects. */
	long timeout = 300 + rand() % 300;

	if (inf->resync_ms > 0 && inf->resync_ms / 1000 < timeout)
		timeout = inf->resync_ms / 1000 > 0 ? inf->resync_ms / 1000 : 1;
	cf_informer_resource_version(inf, rv, sizeof(rv));
	cf_kube_watch_opts opts = {.label_selector = inf->selector, .resource_version = rv,
				   .allow_bookmarks = 1, .timeout_seconds = timeout};
	return cf_kube_watch(inf->kube, &ref, &opts, on_event, inf, inf->cancel);
}

/* Sleeps up to ms, waking early when the informer is stopped. Returns 1 when stopped. */
static int pause_ms(cf_informer *inf, int64_t ms)
{
	for (int64_t until = now_ms() + ms; now_ms() < until;) {
		if (cf_kube_cancel_fired(inf->cancel))
			return 1;
		usleep(50000);
	}
	return cf_kube_cancel_fired(inf->cancel);
}

static void *run(void *arg)
{
	cf_informer *inf = arg;
	unsigned failures = 0;
	int need_list = 1;
	cf_log_ctx log = {.kind = inf->kind};

	inf->next_resync = now_ms() + inf->resync_ms;
	while (!cf_kube_cancel_fired(inf->cancel)) {
		int err = need_list ? do_list(inf) : do_watch(inf);
		if (err == CF_ECANCELED || cf_kube_cancel_fired(inf->cancel))
			break;
		maybe_resync(inf);
		if (err == 0) {
			failures = 0;
			need_list = 0;
			continue;
		}
		if (err == CF_EGONE) {
			/* The resourceVersion is too old: start again from a fresh list. */
			cf_log_debug(&log, "watch expired (410 Gone), relisting");
			need_list = 1;
			continue;
		}
		cf_log_error(&log, "%s %s failed: %s", need_list ? "list" : "watch", inf->kind,
			     cf_error_last());
		if (pause_ms(inf, cf_backoff_delay_ms(BACKOFF_BASE_MS, BACKOFF_MAX_MS, failures++)))
			break;
	}
	pthread_mutex_lock(&inf->mu);
	inf->stopped = 1;
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->mu);
	return NULL;
}

/* ---- lifetime ---- */

int cf_informer_new(cf_informer **out, cf_kube *kube, const cf_informer_opts *opts)
{
	cf_informer *inf = calloc(1, sizeof(*inf));
	int err = CF_ENOMEM;

	if (!inf)
		return cf_error_set(CF_ENOMEM, "out of memory creating an informer");
	pthread_mutex_init(&inf->mu, NULL);
	pthread_cond_init(&inf->cond, NULL);
	inf->kube = kube;
	inf->resync_ms = opts->resync_ms;
	if (!(inf->api_version = strdup(opts->api_version)) || !(inf->kind = strdup(opts->kind)) ||
	    (opts->namespace_ && *opts->namespace_ && !(inf->ns = strdup(opts->namespace_))) ||
	    (opts->label_selector && *opts->label_selector &&
	     !(inf->selector = strdup(opts->label_selector))))
		goto fail;
	if ((err = cf_cache_new(&inf->cache, opts->indexes)) < 0)
		goto fail;
	if (opts->cancel) {
		inf->cancel = opts->cancel;
	} else {
		if ((err = cf_kube_cancel_new(&inf->cancel)) < 0)
			goto fail;
		inf->own_cancel = 1;
	}
	*out = inf;
	return 0;
fail:
	cf_informer_free(inf);
	return err == CF_ENOMEM ? cf_error_set(CF_ENOMEM, "out of memory creating an informer") : err;
}

int cf_informer_add_handler(cf_informer *inf, cf_informer_handler fn, void *ctx)
{
	handler *h = realloc(inf->handlers, (inf->nhandlers + 1) * sizeof(*h));

	if (!h)
		return cf_error_set(CF_ENOMEM, "out of memory adding a handler");
	inf->handlers = h;
	h[inf->nhandlers++] = (handler){fn, ctx};
	return 0;
}

int cf_informer_start(cf_informer *inf)
{
	if (inf->started)
		return cf_error_set(CF_EINVALID, "informer for %s already started", inf->kind);
	if (pthread_create(&inf->thread, NULL, run, inf) != 0)
		return cf_error_set(CF_ERROR, "cannot start the %s informer thread", inf->kind);
	inf->started = 1;
	return 0;
}

int cf_informer_synced(cf_informer *inf)
{
	pthread_mutex_lock(&inf->mu);
	int s = inf->synced;
	pthread_mutex_unlock(&inf->mu);
	return s;
}

int cf_informer_wait_synced(cf_informer *inf, int64_t timeout_ms)
{
	int64_t until = now_ms() + timeout_ms;
	int err = 0;

	pthread_mutex_lock(&inf->mu);
	while (!inf->synced) {
		if (inf->stopped || cf_kube_cancel_fired(inf->cancel)) {
			err = cf_error_set(CF_ECANCELED, "%s informer stopped before syncing", inf->kind);
			break;
		}
		if (timeout_ms >= 0 && now_ms() >= until) {
			err = cf_error_set(CF_ETIMEOUT, "%s informer did not sync in time", inf->kind);
			break;
		}
		/* Short waits so a cancel fired elsewhere is noticed. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&inf->cond, &inf->mu, &ts);
	}
	pthread_mutex_unlock(&inf->mu);
	return err;
}

cf_cache *cf_informer_cache(cf_informer *inf)
{
	return inf->cache;
}

void cf_informer_resource_version(cf_informer *inf, char *buf, size_t size)
{
	pthread_mutex_lock(&inf->mu);
	snprintf(buf, size, "%s", inf->rv);
	pthread_mutex_unlock(&inf->mu);
}

unsigned cf_informer_list_count(cf_informer *inf)
{
	pthread_mutex_lock(&inf->mu);
	unsigned n = inf->lists;
	pthread_mutex_unlock(&inf->mu);
	return n;
}

void cf_informer_free(cf_informer *inf)
{
	if (!inf)
		return;
	if (inf->started) {
		cf_kube_cancel_fire(inf->cancel);
		pthread_join(inf->thread, NULL);
	}
	if (inf->own_cancel)
		cf_kube_cancel_free(inf->cancel);
	cf_cache_free(inf->cache);
	free(inf->handlers);
	free(inf->api_version);
	free(inf->kind);
	free(inf->ns);
	free(inf->selector);
	pthread_cond_destroy(&inf->cond);
	pthread_mutex_destroy(&inf->mu);
	free(inf);
}
