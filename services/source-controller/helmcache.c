/*
 * A small process-wide cache of parsed repository indexes, keyed by the index digest, so every
 * HelmChart of a repository revision shares one parse.
 */
#include "sc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

/* A few repositories' current revisions; an index is a few MiB at most once compacted. */
#define SLOTS 8

typedef struct {
	char digest[CF_ARTIFACT_DIGEST_MAX];
	sc_helm_index *idx;
	int refs;          /* holders outside the cache */
	int evicted;       /* left the cache while held: freed by the last release */
	unsigned long used;
} slot;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static slot slots[SLOTS];
static slot orphans[SLOTS * 4];
static unsigned long clock_;

/* Moves slot s out of the table; frees the index unless someone still holds it. */
static void evict(slot *s)
{
	if (!s->idx)
		return;
	if (s->refs == 0) {
		sc_helm_index_free(s->idx);
	} else {
		for (size_t i = 0; i < SLOTS * 4; i++) {
			if (!orphans[i].idx) {
				orphans[i] = *s;
				orphans[i].evicted = 1;
				break;
			}
		}
		/* With every orphan slot taken the index leaks rather than being freed under a reader. */
	}
	memset(s, 0, sizeof(*s));
}

/* The least recently used slot (an empty one first). */
static slot *victim(void)
{
	slot *v = &slots[0];

	for (size_t i = 0; i < SLOTS; i++) {
		if (!slots[i].idx)
			return &slots[i];
		if (slots[i].used < v->used)
			v = &slots[i];
	}
	return v;
}

static slot *find(const char *digest)
{
	for (size_t i = 0; i < SLOTS; i++)
		if (slots[i].idx && strcmp(slots[i].digest, digest) == 0)
			return &slots[i];
	return NULL;
}

static void insert(const char *digest, sc_helm_index *idx, int refs)
{
	slot *s = victim();

	evict(s);
	snprintf(s->digest, sizeof(s->digest), "%s", digest);
	s->idx = idx;
	s->refs = refs;
	s->used = ++clock_;
}

void sc_helm_index_cache_put(const char *digest, sc_helm_index *idx)
{
	pthread_mutex_lock(&mu);
	if (find(digest))
		sc_helm_index_free(idx);
	else
		insert(digest, idx, 0);
	pthread_mutex_unlock(&mu);
}

int sc_helm_index_cache_get(const sc_helm_index **out, const char *digest, const char *path)
{
	sc_helm_index *idx = NULL;
	slot *s;
	int err;

	pthread_mutex_lock(&mu);
	if ((s = find(digest)) != NULL) {
		s->refs++;
		s->used = ++clock_;
		*out = s->idx;
		pthread_mutex_unlock(&mu);
		return 0;
	}
	pthread_mutex_unlock(&mu);
	/* Parsed outside the lock: two charts may parse the same index once each, never wrongly. */
	if ((err = sc_helm_index_parse_file(&idx, path)) < 0)
		return err;
	pthread_mutex_lock(&mu);
	if ((s = find(digest)) != NULL) {
		sc_helm_index_free(idx);
		s->refs++;
		idx = s->idx;
	} else {
		insert(digest, idx, 1);
	}
	pthread_mutex_unlock(&mu);
	*out = idx;
	return 0;
}

void sc_helm_index_cache_release(const sc_helm_index *idx)
{
	if (!idx)
		return;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < SLOTS; i++) {
		if (slots[i].idx == idx) {
			slots[i].refs--;
			goto out;
		}
	}
	for (size_t i = 0; i < SLOTS * 4; i++) {
		if (orphans[i].idx == idx && --orphans[i].refs == 0) {
			sc_helm_index_free(orphans[i].idx);
			memset(&orphans[i], 0, sizeof(orphans[i]));
			break;
		}
	}
out:
	pthread_mutex_unlock(&mu);
}
