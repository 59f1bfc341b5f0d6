/* Open-addressing string hash map used by the queue, the cache and its indexes. */
#include "strmap.h"

#include "cf/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

/* FNV-1a: keys are short namespace/name strings, so a simple byte hash is enough. */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

static size_t find_slot(const rt_strmap *m, const char *key, int *found)
{
	size_t mask = m->cap - 1, i = hash(key) & mask, first_free = SIZE_MAX;

	for (;;) {
		char *k = m->keys[i];
		if (!k) {
			*found = 0;
			return first_free != SIZE_MAX ? first_free : i;
		}
		if (k == TOMBSTONE) {
			if (first_free == SIZE_MAX)
				first_free = i;
		} else if (strcmp(k, key) == 0) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
}

void *rt_strmap_get(const rt_strmap *m, const char *key)
{
	int found;

	if (m->cap == 0)
		return NULL;
	size_t i = find_slot(m, key, &found);
	return found ? m->vals[i] : NULL;
}

static int resize(rt_strmap *m, size_t cap)
{
	char **keys = calloc(cap, sizeof(*keys));
	void **vals = calloc(cap, sizeof(*vals));
	rt_strmap n = {keys, vals, cap, 0, 0};

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return cf_error_set(CF_ENOMEM, "out of memory growing a map to %zu slots", cap);
	}
	for (size_t i = 0; i < m->cap; i++) {
		int found;
		if (!m->keys[i] || m->keys[i] == TOMBSTONE)
			continue;
		size_t j = find_slot(&n, m->keys[i], &found);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.len++;
		n.used++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int rt_strmap_put(rt_strmap *m, const char *key, void *val, void **old)
{
	int found, err;

	if (old)
		*old = NULL;
	/* Keep the load (tombstones included) under 3/4 so probes stay short and always end. */
	if ((m->used + 1) * 4 > m->cap * 3) {
		size_t cap = m->cap ? m->cap : 8;
		while ((m->len + 1) * 2 > cap)
			cap *= 2;
		if ((err = resize(m, cap)) < 0)
			return err;
	}
	size_t i = find_slot(m, key, &found);
	if (found) {
		if (old)
			*old = m->vals[i];
		m->vals[i] = val;
		return 0;
	}
	char *copy = strdup(key);
	if (!copy)
		return cf_error_set(CF_ENOMEM, "out of memory copying a map key");
	if (!m->keys[i])
		m->used++;
	m->keys[i] = copy;
	m->vals[i] = val;
	m->len++;
	return 0;
}

void *rt_strmap_del(rt_strmap *m, const char *key)
{
	int found;

	if (m->cap == 0)
		return NULL;
	size_t i = find_slot(m, key, &found);
	if (!found)
		return NULL;
	void *val = m->vals[i];
	free(m->keys[i]);
	m->keys[i] = TOMBSTONE;
	m->vals[i] = NULL;
	m->len--;
	return val;
}

int rt_strmap_next(const rt_strmap *m, size_t *pos, const char **key, void **val)
{
	for (; *pos < m->cap; (*pos)++) {
		char *k = m->keys[*pos];
		if (k && k != TOMBSTONE) {
			if (key)
				*key = k;
			if (val)
				*val = m->vals[*pos];
			(*pos)++;
			return 1;
		}
	}
	return 0;
}

void rt_strmap_clear(rt_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] && m->keys[i] != TOMBSTONE)
			free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
