/* Maps: ordered key/value pairs with a hash index once a map grows past DOC_INDEX_MIN pairs. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

/* Open addressing over pair numbers + 1 (0 = empty); kept at most half full. */
struct doc_index {
	uint32_t mask;
	uint32_t slot[];
};

static uint32_t hash_text(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

void doc_index_free(doc_index *ix)
{
	free(ix);
}

static const cf_doc *key_at(const cf_doc *map, size_t i)
{
	return map->u.c.items[2 * i];
}

static int key_is(const cf_doc *k, const char *key, size_t len)
{
	return doc_is_scalar(k) && k->u.s.len == len && memcmp(k->u.s.text, key, len) == 0;
}

static void index_put(doc_index *ix, const cf_doc *k, uint32_t pair)
{
	uint32_t h;

	if (!doc_is_scalar(k))
		return;
	h = hash_text(k->u.s.text, k->u.s.len) & ix->mask;
	while (ix->slot[h])
		h = (h + 1) & ix->mask;
	ix->slot[h] = pair + 1;
}

/* (Re)builds the index for a map that has outgrown a linear scan. */
static int index_build(cf_doc *map, size_t want_pairs)
{
	size_t slots = 64;
	doc_index *ix;

	while (slots < want_pairs * 2)
		slots *= 2;
	ix = calloc(1, sizeof(*ix) + slots * sizeof(uint32_t));
	if (!ix)
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	ix->mask = (uint32_t)(slots - 1);
	for (uint32_t i = 0; i < map->u.c.len; i++)
		index_put(ix, key_at(map, i), i);
	doc_index_free(map->u.c.index);
	map->u.c.index = ix;
	return 0;
}

long doc_map_find(const cf_doc *map, const char *key, size_t len)
{
	const doc_index *ix;
	uint32_t h;

	if (!map || map->type != CF_DOC_MAP)
		return -1;
	ix = map->u.c.index;
	if (!ix) {
		for (size_t i = 0; i < map->u.c.len; i++)
			if (key_is(key_at(map, i), key, len))
				return (long)i;
		return -1;
	}
	h = hash_text(key, len) & ix->mask;
	for (; ix->slot[h]; h = (h + 1) & ix->mask) {
		uint32_t pair = ix->slot[h] - 1;
		if (key_is(key_at(map, pair), key, len))
			return (long)pair;
	}
	return -1;
}

int doc_map_append(cf_doc *map, cf_doc *key, cf_doc *value)
{
	int err;

	if (map->u.c.len == map->u.c.cap) {
		size_t cap = map->u.c.cap ? 2 * (size_t)map->u.c.cap : 4;
		cf_doc **items;
		if (cap > DOC_MAX_LEN / 2) {
			err = cf_error_set(CF_ELIMIT, "doc: map too large");
			goto fail;
		}
		items = realloc(map->u.c.items, cap * 2 * sizeof(*items));
		if (!items) {
			err = cf_error_set(CF_ENOMEM, "doc: out of memory");
			goto fail;
		}
		map->u.c.items = items;
		map->u.c.cap = (uint32_t)cap;
	}
	if (map->u.c.len + 1 > DOC_INDEX_MIN) {
		doc_index *ix = map->u.c.index;
		if ((!ix || (size_t)map->u.c.len + 1 > (ix->mask + 1) / 2) &&
		    (err = index_build(map, (size_t)map->u.c.len + 1)) < 0)
			goto fail;
		index_put(map->u.c.index, key, map->u.c.len);
	}
	key->flags |= DOC_F_KEY;
	map->u.c.items[2 * (size_t)map->u.c.len] = key;
	map->u.c.items[2 * (size_t)map->u.c.len + 1] = value;
	map->u.c.len++;
	return 0;
fail:
	cf_doc_free(key);
	cf_doc_free(value);
	return err;
}

void doc_map_replace_value(cf_doc *map, size_t i, cf_doc *value)
{
	cf_doc_free(map->u.c.items[2 * i + 1]);
	map->u.c.items[2 * i + 1] = value;
}

static int check_map(const cf_doc *map)
{
	if (!map || map->type != CF_DOC_MAP)
		return cf_error_set(CF_EINVALID, "doc: not a map (%s)",
		                    map ? cf_doc_type_name(map->type) : "NULL");
	return 0;
}

cf_doc *cf_doc_key(const cf_doc *map, size_t i)
{
	if (!map || map->type != CF_DOC_MAP || i >= map->u.c.len)
		return NULL;
	return map->u.c.items[2 * i];
}

cf_doc *cf_doc_value(const cf_doc *map, size_t i)
{
	if (!map || map->type != CF_DOC_MAP || i >= map->u.c.len)
		return NULL;
	return map->u.c.items[2 * i + 1];
}

cf_doc *cf_doc_get(const cf_doc *map, const char *key)
{
	long i;

	if (!key)
		return NULL;
	i = doc_map_find(map, key, strlen(key));
	return i < 0 ? NULL : map->u.c.items[2 * (size_t)i + 1];
}

cf_doc *cf_doc_get_path(const cf_doc *node, ...)
{
	va_list ap;
	const char *key;
	cf_doc *cur = (cf_doc *)node;

	va_start(ap, node);
	while (cur && (key = va_arg(ap, const char *)) != NULL)
		cur = cf_doc_get(cur, key);
	va_end(ap);
	return cur;
}

const char *cf_doc_get_str(const cf_doc *map, const char *key)
{
	const cf_doc *v = cf_doc_get(map, key);

	return v && v->type == CF_DOC_STR ? v->u.s.text : NULL;
}

int cf_doc_map_set(cf_doc *map, const char *key, cf_doc *value)
{
	cf_doc *k = NULL;
	long i;
	int err;

	if ((err = check_map(map)) < 0 || !key || !value) {
		cf_doc_free(value);
		return err < 0 ? err : cf_error_set(CF_EINVALID, "doc: map_set needs key and value");
	}
	if ((i = doc_map_find(map, key, strlen(key))) >= 0) {
		doc_map_replace_value(map, (size_t)i, value);
		return 0;
	}
	if ((err = cf_doc_new_str(&k, key)) < 0) {
		cf_doc_free(value);
		return err;
	}
	return doc_map_append(map, k, value);
}

int cf_doc_map_set_str(cf_doc *map, const char *key, const char *value)
{
	cf_doc *v = NULL;
	int err;

	if (!value)
		return cf_error_set(CF_EINVALID, "doc: map_set_str needs a value");
	if ((err = cf_doc_new_str(&v, value)) < 0)
		return err;
	return cf_doc_map_set(map, key, v);
}

int cf_doc_map_ensure(cf_doc **out, cf_doc *map, const char *key)
{
	cf_doc *v = cf_doc_get(map, key), *m = NULL;
	int err;

	if ((err = check_map(map)) < 0)
		return err;
	if (v) {
		if (v->type != CF_DOC_MAP)
			return cf_error_set(CF_EINVALID, "doc: %s is a %s, not a map", key,
			                    cf_doc_type_name(v->type));
		*out = v;
		return 0;
	}
	if ((err = cf_doc_new_map(&m)) < 0 || (err = cf_doc_map_set(map, key, m)) < 0)
		return err;
	*out = m;
	return 0;
}

/* Removes pair i, returning its value; keeps the order of the rest. */
static cf_doc *remove_pair(cf_doc *map, size_t i)
{
	cf_doc *v = map->u.c.items[2 * i + 1];

	cf_doc_free(map->u.c.items[2 * i]);
	memmove(&map->u.c.items[2 * i], &map->u.c.items[2 * i + 2],
	        (map->u.c.len - i - 1) * 2 * sizeof(cf_doc *));
	map->u.c.len--;
	if (map->u.c.index && index_build(map, map->u.c.len) < 0) {
		/* Without memory for an index, fall back to linear lookups. */
		doc_index_free(map->u.c.index);
		map->u.c.index = NULL;
	}
	return v;
}

cf_doc *cf_doc_map_take(cf_doc *map, const char *key)
{
	long i;

	if (!key || (i = doc_map_find(map, key, strlen(key))) < 0)
		return NULL;
	return remove_pair(map, (size_t)i);
}

int cf_doc_map_remove(cf_doc *map, const char *key)
{
	int err;
	cf_doc *v;

	if ((err = check_map(map)) < 0)
		return err;
	if (!(v = cf_doc_map_take(map, key)))
		return cf_error_set(CF_ENOTFOUND, "doc: key %s not found", key ? key : "(null)");
	cf_doc_free(v);
	return 0;
}
