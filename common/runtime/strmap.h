/* A string-keyed hash map private to the runtime module (queue entries, cache objects, indexes). */
#ifndef CF_RUNTIME_STRMAP_H
#define CF_RUNTIME_STRMAP_H

#include <stddef.h>

/*
 * Open addressing with linear probing and tombstones. Keys are copied and owned by the map;
 * values are borrowed pointers the caller manages. Not thread-safe: callers hold their own lock.
 */
typedef struct {
	char **keys;     /* NULL: empty slot; TOMBSTONE: deleted */
	void **vals;
	size_t cap;      /* power of two, or 0 before the first insert */
	size_t len;      /* live entries */
	size_t used;     /* live + tombstones, drives rehashing */
} rt_strmap;

/* The value under key, or NULL. */
void *rt_strmap_get(const rt_strmap *m, const char *key);

/* Inserts or replaces; *old (when not NULL) receives the replaced value or NULL. 0 or CF_ENOMEM. */
int rt_strmap_put(rt_strmap *m, const char *key, void *val, void **old);

/* Removes key and returns its value, or NULL when absent. */
void *rt_strmap_del(rt_strmap *m, const char *key);

/* Iterates: start with *pos = 0; returns 0 at the end. The map must not change while iterating. */
int rt_strmap_next(const rt_strmap *m, size_t *pos, const char **key, void **val);

/* Frees the map's own memory (keys and slots), not the values. */
void rt_strmap_clear(rt_strmap *m);

#endif
