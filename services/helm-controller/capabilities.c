/* The cluster's capabilities as helm install renders with them: the server version and discovery's API versions. */
#include "hc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/error.h"

/* A server's version does not change under a running controller: read it once. */
static pthread_mutex_t version_lock = PTHREAD_MUTEX_INITIALIZER;
static char version_cache[64];

/*
 * Helm reads discovery afresh for every action; without aggregated discovery that is one request
 * per group version (34 on a bare API server), which at the default 50 requests/s would cost every
 * release most of a second. The list is kept for DISCOVERY_TTL_MS instead, and dropped at once
 * when this process applies CRDs (hc_caps_invalidate), so a chart's own CRDs show up on its next
 * render as they do with Helm.
 */
#define DISCOVERY_TTL_MS 30000
static pthread_mutex_t disc_lock = PTHREAD_MUTEX_INITIALIZER;
static hc_caps disc_cache;
static int64_t disc_at_ms;

static int get_json(json_t **out, cf_kube *kube, const char *path)
{
	char *body = NULL;
	int err;

	if ((err = cf_kube_request(kube, &body, NULL, "GET", path, NULL, NULL, 0)) < 0)
		return err;
	*out = json_loads(body, 0, NULL);
	free(body);
	return *out ? 0 : cf_error_set(CF_EPARSE, "%s: not a JSON document", path);
}

static int server_version(hc_caps *caps, cf_kube *kube)
{
	json_t *v = NULL;
	int err = 0;

	pthread_mutex_lock(&version_lock);
	if (!version_cache[0] && (err = get_json(&v, kube, "/version")) == 0) {
		const char *git = json_string_value(json_object_get(v, "gitVersion"));
		if (!git || !*git || strlen(git) >= sizeof(version_cache))
			err = cf_error_set(CF_EPARSE, "/version has no usable gitVersion");
		else
			snprintf(version_cache, sizeof(version_cache), "%s", git);
	}
	snprintf(caps->kube_version, sizeof(caps->kube_version), "%s", version_cache);
	pthread_mutex_unlock(&version_lock);
	json_decref(v);
	return err;
}

/* Adds s unless the set has it already (a Kind shows up once per subresource). */
static int add_api(hc_caps *caps, const char *s)
{
	for (size_t i = 0; i < caps->n_apis; i++)
		if (strcmp(caps->apis[i], s) == 0)
			return 0;
	if (caps->n_apis % 64 == 0) {
		char **v = realloc(caps->apis, (caps->n_apis + 64) * sizeof(*v));
		if (!v)
			return cf_error_set(CF_ENOMEM, "out of memory");
		caps->apis = v;
	}
	if (!(caps->apis[caps->n_apis] = strdup(s)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	caps->n_apis++;
	return 0;
}

/* "group/version" then "group/version/Kind" for each resource it serves. */
static int add_group_version(hc_caps *caps, cf_kube *kube, const char *gv)
{
	char path[600], id[600];
	json_t *list = NULL, *res;
	size_t i;
	int err;

	if (strlen(gv) > 500)
		return cf_error_set(CF_ELIMIT, "group version too long");
	if ((err = add_api(caps, gv)) < 0)
		return err;
	snprintf(path, sizeof(path), "%s/%s", strchr(gv, '/') ? "/apis" : "/api", gv);
	/* A group whose discovery fails is left out, as Helm does with group discovery errors. */
	if (get_json(&list, kube, path) < 0)
		return 0;
	json_array_foreach(json_object_get(list, "resources"), i, res) {
		const char *kind = json_string_value(json_object_get(res, "kind"));
		if (!kind || !*kind || strlen(kind) > 90)
			continue;
		snprintf(id, sizeof(id), "%s/%s", gv, kind);
		if ((err = add_api(caps, id)) < 0)
			break;
	}
	json_decref(list);
	return err;
}

static int discover(hc_caps *caps, cf_kube *kube)
{
	json_t *core = NULL, *groups = NULL, *g, *v;
	size_t i, j;
	int err;

	if ((err = get_json(&core, kube, "/api")) < 0 || (err = get_json(&groups, kube, "/apis")) < 0)
		goto done;
	json_array_foreach(json_object_get(core, "versions"), i, v)
		if (json_is_string(v) && (err = add_group_version(caps, kube, json_string_value(v))) < 0)
			goto done;
	json_array_foreach(json_object_get(groups, "groups"), i, g)
		json_array_foreach(json_object_get(g, "versions"), j, v) {
			const char *gv = json_string_value(json_object_get(v, "groupVersion"));
			if (gv && (err = add_group_version(caps, kube, gv)) < 0)
				goto done;
		}
done:
	json_decref(core);
	json_decref(groups);
	return err;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A private copy of the cached list for one render. */
static int copy_apis(hc_caps *dst, const hc_caps *src)
{
	int err = 0;

	for (size_t i = 0; i < src->n_apis && err == 0; i++)
		err = add_api(dst, src->apis[i]);
	return err;
}

/* The cached list, read again when older than the TTL or invalidated. Called under disc_lock. */
static int cached_apis(hc_caps *caps, cf_kube *kube)
{
	hc_caps fresh = {{0}};
	int err;

	if (disc_at_ms == 0 || now_ms() - disc_at_ms > DISCOVERY_TTL_MS) {
		if ((err = discover(&fresh, kube)) < 0) {
			hc_caps_free(&fresh);
			return err;
		}
		hc_caps_free(&disc_cache);
		disc_cache = fresh;
		disc_at_ms = now_ms();
	}
	return copy_apis(caps, &disc_cache);
}

int hc_caps_read(hc_caps *caps, cf_kube *kube)
{
	int err;

	memset(caps, 0, sizeof(*caps));
	/* Helm's messages when either read fails (the install or upgrade then fails). */
	if ((err = server_version(caps, kube)) < 0)
		return cf_error_wrap(err, "could not get server version from Kubernetes: ");
	pthread_mutex_lock(&disc_lock);
	err = cached_apis(caps, kube);
	pthread_mutex_unlock(&disc_lock);
	if (err < 0) {
		hc_caps_free(caps);
		return cf_error_wrap(err, "could not get apiVersions from Kubernetes: ");
	}
	return 0;
}

void hc_caps_invalidate(void)
{
	pthread_mutex_lock(&disc_lock);
	disc_at_ms = 0;
	pthread_mutex_unlock(&disc_lock);
}

void hc_caps_free(hc_caps *caps)
{
	for (size_t i = 0; i < caps->n_apis; i++)
		free(caps->apis[i]);
	free(caps->apis);
	caps->apis = NULL;
	caps->n_apis = 0;
}
