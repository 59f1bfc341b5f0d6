/* The informer cache: compact JSON per object by namespace/name, plus secondary indexes. */
#include "cf/runtime.h"
#include "cf/error.h"
#include "strmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One cached object. Index values are packed "a\0b\0\0" per index (NULL when none). */
typedef struct {
	char *json;
	size_t len;
	char **values;
} object;

/* value -> set of keys (a rt_strmap whose values are a non-NULL marker). */
typedef struct {
	const cf_index_def *def;
	rt_strmap by_value;
} sec_index;

struct cf_cache {
	pthread_rwlock_t lock;
	rt_strmap objects;
	sec_index *indexes;
	size_t nindexes;
	size_t bytes;
};

static char present;

void cf_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int cf_cache_new(cf_cache **out, const cf_index_def *indexes)
{
	cf_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return cf_error_set(CF_ENOMEM, "out of memory creating a cache");
	for (const cf_index_def *d = indexes; d && d->name; d++)
		c->nindexes++;
	if (c->nindexes && !(c->indexes = calloc(c->nindexes, sizeof(*c->indexes)))) {
		free(c);
		return cf_error_set(CF_ENOMEM, "out of memory creating a cache");
	}
	for (size_t i = 0; i < c->nindexes; i++)
		c->indexes[i].def = &indexes[i];
	pthread_rwlock_init(&c->lock, NULL);
	*out = c;
	return 0;
}

static size_t packed_len(const char *p)
{
	size_t n = 0;

	if (!p)
		return 0;
	while (p[n])
		n += strlen(p + n) + 1;
	return n + 1;
}

static size_t object_bytes(const object *o, const char *key, size_t nindexes)
{
	size_t n = sizeof(*o) + o->len + 1 + strlen(key) + 1 + 2 * sizeof(void *);

	for (size_t i = 0; o->values && i < nindexes; i++)
		n += packed_len(o->values[i]) + sizeof(char *);
	return n;
}

static void object_free(object *o, size_t nindexes)
{
	if (!o)
		return;
	for (size_t i = 0; o->values && i < nindexes; i++)
		free(o->values[i]);
	free(o->values);
	free(o->json);
	free(o);
}

void cf_cache_free(cf_cache *c)
{
	size_t pos = 0;
	void *val;

	if (!c)
		return;
	while (rt_strmap_next(&c->objects, &pos, NULL, &val))
		object_free(val, c->nindexes);
	rt_strmap_clear(&c->objects);
	for (size_t i = 0; i < c->nindexes; i++) {
		pos = 0;
		while (rt_strmap_next(&c->indexes[i].by_value, &pos, NULL, &val)) {
			rt_strmap_clear(val);
			free(val);
		}
		rt_strmap_clear(&c->indexes[i].by_value);
	}
	free(c->indexes);
	pthread_rwlock_destroy(&c->lock);
	free(c);
}

int cf_cache_key(char *buf, size_t size, const json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	int n;

	if (!name || !*name)
		return cf_error_set(CF_EINVALID, "object has no metadata.name");
	n = ns && *ns ? snprintf(buf, size, "%s/%s", ns, name) : snprintf(buf, size, "%s", name);
	if (n < 0 || (size_t)n >= size)
		return cf_error_set(CF_ELIMIT, "object key is too long");
	return 0;
}

/* ---- index values ---- */

typedef struct {
	char *p;
	size_t len, cap;
	int oom;
} packer;

static void pack_value(void *ctx, const char *value)
{
	packer *pk = ctx;
	size_t n = strlen(value) + 1;

	if (pk->oom || !value || !*value)
		return;
	/* Keep a spare byte for the final terminator. */
	if (pk->len + n + 1 > pk->cap) {
		size_t cap = pk->cap ? pk->cap * 2 : 64;
		while (cap < pk->len + n + 1)
			cap *= 2;
		char *np = realloc(pk->p, cap);
		if (!np) {
			pk->oom = 1;
			return;
		}
		pk->p = np;
		pk->cap = cap;
	}
	memcpy(pk->p + pk->len, value, n);
	pk->len += n;
	pk->p[pk->len] = '\0';
}

static int compute_values(char ***out, const cf_cache *c, const json_t *obj)
{
	char **values;

	*out = NULL;
	if (!c->nindexes)
		return 0;
	if (!(values = calloc(c->nindexes, sizeof(*values))))
		return cf_error_set(CF_ENOMEM, "out of memory indexing an object");
	for (size_t i = 0; i < c->nindexes; i++) {
		packer pk = {0};
		c->indexes[i].def->fn(obj, pack_value, &pk);
		if (pk.oom) {
			free(pk.p);
			for (size_t j = 0; j < i; j++)
				free(values[j]);
			free(values);
			return cf_error_set(CF_ENOMEM, "out of memory indexing an object");
		}
		values[i] = pk.p;
	}
	*out = values;
	return 0;
}

static void index_remove(sec_index *ix, const char *packed, const char *key)
{
	for (const char *v = packed; v && *v; v += strlen(v) + 1) {
		rt_strmap *set = rt_strmap_get(&ix->by_value, v);
		if (!set)
			continue;
		rt_strmap_del(set, key);
		if (set->len == 0) {
			rt_strmap_del(&ix->by_value, v);
			rt_strmap_clear(set);
			free(set);
		}
	}
}

static int index_add(sec_index *ix, const char *packed, const char *key)
{
	for (const char *v = packed; v && *v; v += strlen(v) + 1) {
		rt_strmap *set = rt_strmap_get(&ix->by_value, v);
		if (!set) {
			if (!(set = calloc(1, sizeof(*set))))
				return cf_error_set(CF_ENOMEM, "out of memory indexing %s", key);
			if (rt_strmap_put(&ix->by_value, v, set, NULL) < 0) {
				free(set);
				return CF_ENOMEM;
			}
		}
		if (rt_strmap_put(set, key, &present, NULL) < 0)
			return CF_ENOMEM;
	}
	return 0;
}

static void unindex(cf_cache *c, const object *o, const char *key)
{
	for (size_t i = 0; o->values && i < c->nindexes; i++)
		index_remove(&c->indexes[i], o->values[i], key);
}

/* ---- writing ---- */

/* Compact JSON of obj without metadata.managedFields, via shallow copies (obj is not touched). */
static char *dump_without_managed_fields(const json_t *obj, size_t *len)
{
	json_t *top = json_copy((json_t *)obj), *meta = NULL;
	char *text = NULL;

	if (!top)
		return NULL;
	json_t *m = json_object_get(top, "metadata");
	if (json_is_object(m) && json_object_get(m, "managedFields")) {
		if (!(meta = json_copy(m)) || json_object_del(meta, "managedFields") < 0 ||
		    json_object_set(top, "metadata", meta) < 0)
			goto done;
	}
	text = json_dumps(top, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text)
		*len = strlen(text);
done:
	json_decref(meta);
	json_decref(top);
	return text;
}

int cf_cache_put(cf_cache *c, const json_t *obj, char **out_old)
{
	char key[512];
	object *o = NULL, *old = NULL;
	int err;

	if (out_old)
		*out_old = NULL;
	if ((err = cf_cache_key(key, sizeof(key), obj)) < 0)
		return err;
	if (!(o = calloc(1, sizeof(*o))) || !(o->json = dump_without_managed_fields(obj, &o->len))) {
		err = cf_error_set(CF_ENOMEM, "out of memory caching %s", key);
		goto done;
	}
	if ((err = compute_values(&o->values, c, obj)) < 0)
		goto done;
	pthread_rwlock_wrlock(&c->lock);
	if ((err = rt_strmap_put(&c->objects, key, o, (void **)&old)) == 0) {
		if (old) {
			unindex(c, old, key);
			c->bytes -= object_bytes(old, key, c->nindexes);
		}
		c->bytes += object_bytes(o, key, c->nindexes);
		for (size_t i = 0; o->values && i < c->nindexes && err == 0; i++)
			err = index_add(&c->indexes[i], o->values[i], key);
		o = NULL;
	}
	pthread_rwlock_unlock(&c->lock);
	if (old && out_old) {
		*out_old = old->json;
		old->json = NULL;
	}
	object_free(old, c->nindexes);
done:
	object_free(o, c->nindexes);
	return err;
}

int cf_cache_delete(cf_cache *c, const char *key, char **out_old)
{
	object *old;

	if (out_old)
		*out_old = NULL;
	pthread_rwlock_wrlock(&c->lock);
	if ((old = rt_strmap_del(&c->objects, key))) {
		unindex(c, old, key);
		c->bytes -= object_bytes(old, key, c->nindexes);
	}
	pthread_rwlock_unlock(&c->lock);
	if (!old)
		return cf_error_set(CF_ENOTFOUND, "%s is not in the cache", key);
	if (out_old) {
		*out_old = old->json;
		old->json = NULL;
	}
	object_free(old, c->nindexes);
	return 0;
}

/* ---- reading ---- */

int cf_cache_get(cf_cache *c, char **out, const char *key)
{
	char *copy = NULL;
	int found;

	pthread_rwlock_rdlock(&c->lock);
	object *o = rt_strmap_get(&c->objects, key);
	found = o != NULL;
	if (o && (copy = malloc(o->len + 1)))
		memcpy(copy, o->json, o->len + 1);
	pthread_rwlock_unlock(&c->lock);
	if (!found)
		return cf_error_set(CF_ENOTFOUND, "%s not found", key);
	if (!copy)
		return cf_error_set(CF_ENOMEM, "out of memory copying %s", key);
	*out = copy;
	return 0;
}

int cf_cache_get_json(cf_cache *c, json_t **out, const char *key)
{
	char *text = NULL;
	json_error_t jerr;
	int err;

	if ((err = cf_cache_get(c, &text, key)) < 0)
		return err;
	*out = json_loads(text, 0, &jerr);
	free(text);
	if (!*out)
		return cf_error_set(CF_EPARSE, "cached %s: %s", key, jerr.text);
	return 0;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copies the keys of a map into a sorted vector; called with the read lock held. */
static int collect_keys(char ***out, size_t *out_len, const rt_strmap *m)
{
	size_t n = 0, pos = 0;
	const char *key;
	char **v = calloc(m->len ? m->len : 1, sizeof(*v));

	if (!v)
		return cf_error_set(CF_ENOMEM, "out of memory listing keys");
	while (rt_strmap_next(m, &pos, &key, NULL)) {
		if (!(v[n] = strdup(key))) {
			cf_strv_free(v, n);
			return cf_error_set(CF_ENOMEM, "out of memory listing keys");
		}
		n++;
	}
	qsort(v, n, sizeof(*v), strp_cmp);
	*out = v;
	*out_len = n;
	return 0;
}

int cf_cache_index_keys(cf_cache *c, char ***out, size_t *out_len, const char *index_name,
			const char *value)
{
	static const rt_strmap empty;
	int err = CF_ENOTFOUND;

	pthread_rwlock_rdlock(&c->lock);
	for (size_t i = 0; i < c->nindexes; i++) {
		if (strcmp(c->indexes[i].def->name, index_name) != 0)
			continue;
		const rt_strmap *set = rt_strmap_get(&c->indexes[i].by_value, value);
		err = collect_keys(out, out_len, set ? set : &empty);
		break;
	}
	pthread_rwlock_unlock(&c->lock);
	if (err == CF_ENOTFOUND)
		return cf_error_set(CF_ENOTFOUND, "no index named %s", index_name);
	return err;
}

int cf_cache_keys(cf_cache *c, char ***out, size_t *out_len)
{
	pthread_rwlock_rdlock(&c->lock);
	int err = collect_keys(out, out_len, &c->objects);
	pthread_rwlock_unlock(&c->lock);
	return err;
}

size_t cf_cache_len(cf_cache *c)
{
	pthread_rwlock_rdlock(&c->lock);
	size_t n = c->objects.len;
	pthread_rwlock_unlock(&c->lock);
	return n;
}

size_t cf_cache_bytes(cf_cache *c)
{
	pthread_rwlock_rdlock(&c->lock);
	size_t n = c->bytes + c->objects.cap * 2 * sizeof(void *);
	pthread_rwlock_unlock(&c->lock);
	return n;
}
