/* Discovery: api_version + kind to resource name and scope, cached per group-version. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	char *kind;
	char *resource;
	int namespaced;
} gv_res;

struct kube_gv {
	kube_gv *next;
	char *api_version;
	gv_res *res;
	size_t nres;
};

static void gv_free(kube_gv *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->nres; i++) {
		free(g->res[i].kind);
		free(g->res[i].resource);
	}
	free(g->res);
	free(g->api_version);
	free(g);
}

void kube_discovery_destroy(kube_discovery *d)
{
	kube_gv *g, *next;

	for (g = d->gvs; g; g = next) {
		next = g->next;
		gv_free(g);
	}
	d->gvs = NULL;
	pthread_mutex_destroy(&d->mu);
}

void cf_kube_discovery_reset(cf_kube *k)
{
	kube_discovery *d = &k->core->disc;
	kube_gv *g, *next;

	pthread_mutex_lock(&d->mu);
	g = d->gvs;
	d->gvs = NULL;
	pthread_mutex_unlock(&d->mu);
	for (; g; g = next) {
		next = g->next;
		gv_free(g);
	}
}

/* Splits "group/version" or "version" into out's group and version. */
static int split_api_version(cf_kube_resource *out, const char *api_version, const char *kind)
{
	const char *slash = strchr(api_version, '/');
	size_t gl = slash ? (size_t)(slash - api_version) : 0;
	const char *v = slash ? slash + 1 : api_version;

	if (!*v || strchr(v, '/') || (slash && !gl) || gl >= sizeof(out->group) ||
	    strlen(v) >= sizeof(out->version) || strlen(kind) >= sizeof(out->kind) || !*kind)
		return cf_error_set(CF_EINVALID, "invalid apiVersion \"%s\" or kind \"%s\"", api_version,
		                    kind);
	memcpy(out->group, api_version, gl);
	out->group[gl] = '\0';
	strcpy(out->version, v);
	strcpy(out->kind, kind);
	return 0;
}

/* Looks kind up in the cached group-version; 1 when found. Caller holds the lock. */
static int cache_find(kube_discovery *d, cf_kube_resource *out, const char *api_version)
{
	kube_gv *g;
	size_t i;

	for (g = d->gvs; g; g = g->next) {
		if (strcmp(g->api_version, api_version))
			continue;
		for (i = 0; i < g->nres; i++)
			if (!strcmp(g->res[i].kind, out->kind)) {
				snprintf(out->resource, sizeof(out->resource), "%s", g->res[i].resource);
				out->namespaced = g->res[i].namespaced;
				return 1;
			}
	}
	return 0;
}

/* Builds a cache entry from an APIResourceList (subresources such as "x/status" are skipped). */
static int gv_from_json(kube_gv **out, const char *api_version, const char *body)
{
	json_t *root = json_loads(body, 0, NULL), *list, *r;
	kube_gv *g = calloc(1, sizeof(*g));
	size_t i;
	int err = 0;

	if (!g || !(g->api_version = strdup(api_version))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	list = json_object_get(root, "resources");
	if (!json_is_array(list)) {
		err = cf_error_set(CF_EPARSE, "discovery of %s: no resources list", api_version);
		goto done;
	}
	if (!(g->res = calloc(json_array_size(list) + 1, sizeof(*g->res)))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(list, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *kind = json_string_value(json_object_get(r, "kind"));
		gv_res *e = &g->res[g->nres];

		if (!name || !kind || strchr(name, '/') || strlen(name) >= 128)
			continue;
		if (!(e->kind = strdup(kind)) || !(e->resource = strdup(name))) {
			free(e->kind);
			err = cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
		e->namespaced = json_is_true(json_object_get(r, "namespaced"));
		g->nres++;
	}
	*out = g;
	g = NULL;
done:
	gv_free(g);
	json_decref(root);
	return err;
}

/* Fetches /api/v1 or /apis/<g>/<v> and replaces the cache entry. */
static int refresh(cf_kube *k, const cf_kube_resource *want, const char *api_version)
{
	kube_discovery *d = &k->core->disc;
	kube_buf path = { 0 };
	kube_req req = { .method = "GET" };
	kube_gv *g = NULL, **pp, *old = NULL;
	char *body = NULL;
	int err;

	if (*want->group)
		err = kube_buf_printf(&path, "/apis/%s/%s", want->group, want->version);
	else
		err = kube_buf_printf(&path, "/api/%s", want->version);
	if (err < 0)
		goto done;
	req.path = path.data;
	if ((err = kube_do(k, &req, &body, NULL)) < 0) {
		if (err == CF_ENOTFOUND)
			err = cf_error_set(CF_ENOTFOUND, "no matches for kind \"%s\" in version \"%s\"",
			                   want->kind, api_version);
		goto done;
	}
	if ((err = gv_from_json(&g, api_version, body)) < 0)
		goto done;
	pthread_mutex_lock(&d->mu);
	for (pp = &d->gvs; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->api_version, api_version)) {
			old = *pp;
			*pp = old->next;
			break;
		}
	g->next = d->gvs;
	d->gvs = g;
	pthread_mutex_unlock(&d->mu);
	g = NULL;
done:
	gv_free(old);
	gv_free(g);
	free(body);
	kube_buf_free(&path);
	return err;
}

int cf_kube_resolve(cf_kube *k, cf_kube_resource *out, const char *api_version, const char *kind)
{
	kube_discovery *d = &k->core->disc;
	cf_kube_resource r = { 0 };
	int found, err;

	if (!api_version || !kind)
		return cf_error_set(CF_EINVALID, "apiVersion and kind are required");
	if ((err = split_api_version(&r, api_version, kind)) < 0)
		return err;
	pthread_mutex_lock(&d->mu);
	found = cache_find(d, &r, api_version);
	pthread_mutex_unlock(&d->mu);
	if (!found) {
		if ((err = refresh(k, &r, api_version)) < 0)
			return err;
		pthread_mutex_lock(&d->mu);
		found = cache_find(d, &r, api_version);
		pthread_mutex_unlock(&d->mu);
		if (!found)
			return cf_error_set(CF_ENOTFOUND, "no matches for kind \"%s\" in version \"%s\"",
			                    kind, api_version);
	}
	*out = r;
	return 0;
}
