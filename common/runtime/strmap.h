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
} strmap;

/* The value under key, or NULL. */
void *strmap_get(const strmap *m, const char *key);

/* Inserts or replaces; *old (when not NULL) receives the replaced value or NULL. 0 or CF_ENOMEM. */
int strmap_put(strmap *m, const char *key, void *val, void **old);

/* Removes key and returns its value, or NULL when absent. */
void *strmap_del(strmap *m, const char *key);

/* Iterates: start with *pos = 0; returns 0 at the end. The map must not change while iterating. */
int strmap_next(const strmap *m, size_t *pos, const char **key, void **val);

/* Frees the map's own memory (keys and slots), not the values. */
void strmap_clear(strmap *m);

#endif
