/*
 * A streaming reader of Helm repository indexes: libyaml events in, a compact name -> versions
 * table out, so a 50 MiB index never becomes a 500 MiB tree.
 */
#define _GNU_SOURCE
#include "helmsource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "cf/error.h"
#include "cf/semver.h"

#define ARENA_BLOCK (256u << 10)
/* Deeper nesting than any index has; also bounds libyaml's per-level bookkeeping on hostile input. */
#define MAX_DEPTH 256

typedef struct block {
	struct block *next;
	size_t used, size;
	char data[];
} block;

typedef struct {
	const char *name;
	sc_helm_chart_version *v;
	size_t n, cap;
} chart;

struct sc_helm_index {
	block *blocks;
	chart *charts;
	size_t ncharts, cap;
	size_t *slots;        /* open addressing: chart index + 1, 0 = empty */
	size_t nslots;
	size_t nversions;
	size_t bytes;
};

/* ---- arena and table ---- */

static const char *arena_strndup(sc_helm_index *idx, const char *s, size_t len)
{
	block *b = idx->blocks;

	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = idx->blocks;
		idx->blocks = b;
		idx->bytes += sizeof(*b) + size;
	}
	char *p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static chart *find_chart(const sc_helm_index *idx, const char *name)
{
	if (!idx->nslots)
		return NULL;
	for (size_t i = hash_str(name) & (idx->nslots - 1);; i = (i + 1) & (idx->nslots - 1)) {
		size_t s = idx->slots[i];
		if (!s)
			return NULL;
		if (strcmp(idx->charts[s - 1].name, name) == 0)
			return &idx->charts[s - 1];
	}
}

static int rehash(sc_helm_index *idx)
{
	size_t n = idx->nslots ? idx->nslots * 2 : 64;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return CF_ENOMEM;
	for (size_t c = 0; c < idx->ncharts; c++) {
		size_t i = hash_str(idx->charts[c].name) & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = c + 1;
	}
	idx->bytes += (n - idx->nslots) * sizeof(*slots);
	free(idx->slots);
	idx->slots = slots;
	idx->nslots = n;
	return 0;
}

/* The chart called name, added when new. */
static chart *intern_chart(sc_helm_index *idx, const char *name, size_t len)
{
	char key[1024];
	chart *c;

	snprintf(key, sizeof(key), "%.*s", (int)(len < sizeof(key) - 1 ? len : sizeof(key) - 1), name);
	if ((c = find_chart(idx, key)) != NULL)
		return c;
	if (idx->ncharts == idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 64;
		chart *n = realloc(idx->charts, cap * sizeof(*n));
		if (!n)
			return NULL;
		idx->bytes += (cap - idx->cap) * sizeof(*n);
		idx->charts = n;
		idx->cap = cap;
	}
	if ((idx->ncharts + 1) * 2 > idx->nslots && rehash(idx) < 0)
		return NULL;
	c = &idx->charts[idx->ncharts];
	memset(c, 0, sizeof(*c));
	if (!(c->name = arena_strndup(idx, key, strlen(key))))
		return NULL;
	size_t i = hash_str(c->name) & (idx->nslots - 1);
	while (idx->slots[i])
		i = (i + 1) & (idx->nslots - 1);
	idx->slots[i] = ++idx->ncharts;
	return c;
}

static int add_version(sc_helm_index *idx, chart *c, const sc_helm_chart_version *v)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		sc_helm_chart_version *n = realloc(c->v, cap * sizeof(*n));
		if (!n)
			return CF_ENOMEM;
		idx->bytes += (cap - c->cap) * sizeof(*n);
		c->v = n;
		c->cap = cap;
	}
	c->v[c->n++] = *v;
	idx->nversions++;
	return 0;
}

void sc_helm_index_free(sc_helm_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->ncharts; i++)
		free(idx->charts[i].v);
	free(idx->charts);
	free(idx->slots);
	for (block *b = idx->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(idx);
}

size_t sc_helm_index_chart_count(const sc_helm_index *idx)
{
	return idx ? idx->ncharts : 0;
}

size_t sc_helm_index_version_count(const sc_helm_index *idx)
{
	return idx ? idx->nversions : 0;
}

size_t sc_helm_index_bytes(const sc_helm_index *idx)
{
	return idx ? idx->bytes + sizeof(*idx) : 0;
}

/* ---- the event parser ---- */

typedef struct {
	yaml_parser_t p;
	yaml_event_t ev;
	int have;
	sc_helm_index *idx;
} parser;

static int next(parser *ps)
{
	if (ps->have)
		yaml_event_delete(&ps->ev);
	ps->have = 0;
	if (!yaml_parser_parse(&ps->p, &ps->ev)) {
		if (ps->p.error == YAML_MEMORY_ERROR)
			return cf_error_set(CF_ENOMEM, "out of memory parsing index");
		if (ps->p.error == YAML_READER_ERROR && ps->p.problem_offset == 0 && errno)
			return cf_error_set(CF_EPARSE, "reading index: %s", ps->p.problem ? ps->p.problem : "error");
		return cf_error_set(CF_EPARSE, "error converting YAML to JSON: yaml: line %lu column %lu: %s",
				    (unsigned long)ps->p.problem_mark.line + 1,
				    (unsigned long)ps->p.problem_mark.column + 1,
				    ps->p.problem ? ps->p.problem : "syntax error");
	}
	ps->have = 1;
	return 0;
}

static int is(const parser *ps, yaml_event_type_t t)
{
	return ps->ev.type == t;
}

/* The current event is a scalar with this text. */
static int scalar_is(const parser *ps, const char *s)
{
	return is(ps, YAML_SCALAR_EVENT) && ps->ev.data.scalar.length == strlen(s) &&
	       memcmp(ps->ev.data.scalar.value, s, ps->ev.data.scalar.length) == 0;
}

/* Skips the node that starts at the current event (already read), leaving its last event current. */
static int skip_node(parser *ps)
{
	int depth = 0, err;

	do {
		if (is(ps, YAML_SEQUENCE_START_EVENT) || is(ps, YAML_MAPPING_START_EVENT)) {
			if (++depth > MAX_DEPTH)
				return cf_error_set(CF_EPARSE, "index: nesting deeper than %d levels (line %lu)",
						    MAX_DEPTH, (unsigned long)ps->ev.start_mark.line + 1);
		}
		else if (is(ps, YAML_SEQUENCE_END_EVENT) || is(ps, YAML_MAPPING_END_EVENT))
			depth--;
		if (depth > 0 && (err = next(ps)) < 0)
			return err;
	} while (depth > 0);
	return 0;
}

/* Copies the current scalar into the arena; aliases are refused, collections are CF_EPARSE. */
static int take_scalar(parser *ps, const char **out, const char *field)
{
	if (is(ps, YAML_ALIAS_EVENT))
		return cf_error_set(CF_EUNSUPPORTED, "index: aliases are not supported in '%s'", field);
	if (!is(ps, YAML_SCALAR_EVENT))
		return cf_error_set(CF_EPARSE, "index: '%s' must be a string (line %lu)", field,
				    (unsigned long)ps->ev.start_mark.line + 1);
	*out = arena_strndup(ps->idx, (const char *)ps->ev.data.scalar.value, ps->ev.data.scalar.length);
	return *out ? 0 : CF_ENOMEM;
}

/* RFC 3339 ("2026-01-02T03:04:05.123456789+02:00") to Unix nanoseconds; 0 when unparsable. */
static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	int64_t frac = 0, scale = 1000000000;
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!p)
		return 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	int64_t t = (int64_t)timegm(&tm);
	if ((*p == '+' || *p == '-') && strlen(p) >= 6) {
		int off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		t -= *p == '+' ? off : -off;
	}
	/* Beyond year 2262 nanoseconds overflow int64: treat as unparsable. */
	if (t < -9000000000ll || t > 9000000000ll)
		return 0;
	return t * 1000000000 + frac;
}

/* "urls": keeps the first item. */
static int parse_urls(parser *ps, sc_helm_chart_version *v)
{
	int err;

	if (!is(ps, YAML_SEQUENCE_START_EVENT))
		return skip_node(ps);
	for (;;) {
		if ((err = next(ps)) < 0)
			return err;
		if (is(ps, YAML_SEQUENCE_END_EVENT))
			return 0;
		if (!v->url && is(ps, YAML_SCALAR_EVENT)) {
			if ((err = take_scalar(ps, &v->url, "urls")) < 0)
				return err;
		} else if ((err = skip_node(ps)) < 0) {
			return err;
		}
	}
}

/* One chart version mapping; invalid ones are dropped as Helm's loadIndex drops them. */
static int parse_version(parser *ps, chart *c)
{
	sc_helm_chart_version v = {.name = c->name};
	const char *name = NULL, *created = NULL;
	int err;

	if (!is(ps, YAML_MAPPING_START_EVENT))
		return skip_node(ps); /* null entries are skipped by Helm */
	for (;;) {
		if ((err = next(ps)) < 0)
			return err;
		if (is(ps, YAML_MAPPING_END_EVENT))
			break;
		int key_version = scalar_is(ps, "version"), key_urls = scalar_is(ps, "urls");
		int key_digest = scalar_is(ps, "digest"), key_created = scalar_is(ps, "created");
		int key_name = scalar_is(ps, "name");
		if (!is(ps, YAML_SCALAR_EVENT) && (err = skip_node(ps)) < 0)
			return err;
		if ((err = next(ps)) < 0)
			return err;
		if (key_version)
			err = take_scalar(ps, &v.version, "version");
		else if (key_digest)
			err = take_scalar(ps, &v.digest, "digest");
		else if (key_created)
			err = take_scalar(ps, &created, "created");
		else if (key_name)
			err = take_scalar(ps, &name, "name");
		else if (key_urls)
			err = parse_urls(ps, &v);
		else
			err = skip_node(ps);
		if (err < 0)
			return err;
	}
	cf_semver *sv = NULL;
	/* Helm's Validate: a name and a semver version are required. */
	if (!name || !*name || !v.version || cf_semver_parse(&sv, v.version, 0) < 0)
		return 0;
	cf_semver_free(sv);
	if (created)
		v.created_ns = parse_time(created);
	return add_version(ps->idx, c, &v);
}

static int parse_entries(parser *ps)
{
	int err;

	if (!is(ps, YAML_MAPPING_START_EVENT))
		return skip_node(ps);
	for (;;) {
		if ((err = next(ps)) < 0)
			return err;
		if (is(ps, YAML_MAPPING_END_EVENT))
			return 0;
		if (!is(ps, YAML_SCALAR_EVENT))
			return cf_error_set(CF_EPARSE, "index: entries keys must be chart names (line %lu)",
					    (unsigned long)ps->ev.start_mark.line + 1);
		chart *c = intern_chart(ps->idx, (const char *)ps->ev.data.scalar.value,
					ps->ev.data.scalar.length);
		if (!c)
			return CF_ENOMEM;
		if ((err = next(ps)) < 0)
			return err;
		if (!is(ps, YAML_SEQUENCE_START_EVENT)) {
			if ((err = skip_node(ps)) < 0)
				return err;
			continue;
		}
		for (;;) {
			if ((err = next(ps)) < 0)
				return err;
			if (is(ps, YAML_SEQUENCE_END_EVENT))
				break;
			if ((err = parse_version(ps, c)) < 0)
				return err;
		}
	}
}

static int parse_stream(parser *ps)
{
	const char *api_version = NULL;
	int err;

	if ((err = next(ps)) < 0 || (err = next(ps)) < 0) /* stream start, document start */
		return err;
	if (is(ps, YAML_STREAM_END_EVENT))
		return cf_error_set(CF_EPARSE, "empty index.yaml file");
	if ((err = next(ps)) < 0)
		return err;
	if (!is(ps, YAML_MAPPING_START_EVENT))
		return cf_error_set(CF_EPARSE, "error unmarshaling JSON: the index is not a YAML map");
	for (;;) {
		if ((err = next(ps)) < 0)
			return err;
		if (is(ps, YAML_MAPPING_END_EVENT))
			break;
		int key_api = scalar_is(ps, "apiVersion"), key_entries = scalar_is(ps, "entries");
		if (!is(ps, YAML_SCALAR_EVENT) && (err = skip_node(ps)) < 0)
			return err;
		if ((err = next(ps)) < 0)
			return err;
		if (key_api && is(ps, YAML_SCALAR_EVENT))
			err = take_scalar(ps, &api_version, "apiVersion");
		else if (key_entries)
			err = parse_entries(ps);
		else
			err = skip_node(ps);
		if (err < 0)
			return err;
	}
	if (!api_version || !*api_version)
		return cf_error_set(CF_EPARSE, "no API version specified");
	return 0;
}

static int parse_with(sc_helm_index **out, const char *buf, size_t len, FILE *f)
{
	parser ps = {0};
	int err;

	if (!(ps.idx = calloc(1, sizeof(*ps.idx))))
		return CF_ENOMEM;
	if (!yaml_parser_initialize(&ps.p)) {
		free(ps.idx);
		return CF_ENOMEM;
	}
	if (f)
		yaml_parser_set_input_file(&ps.p, f);
	else
		yaml_parser_set_input_string(&ps.p, (const unsigned char *)buf, len);
	err = parse_stream(&ps);
	if (ps.have)
		yaml_event_delete(&ps.ev);
	yaml_parser_delete(&ps.p);
	if (err < 0) {
		sc_helm_index_free(ps.idx);
		return err;
	}
	*out = ps.idx;
	return 0;
}

int sc_helm_index_parse(sc_helm_index **out, const char *buf, size_t len)
{
	size_t i = 0;

	/* Only whitespace is what Helm calls an empty file. */
	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	if (i == len)
		return cf_error_set(CF_EPARSE, "empty index.yaml file");
	return parse_with(out, buf, len, NULL);
}

int sc_helm_index_parse_file(sc_helm_index **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	int err;

	if (!f)
		return cf_error_set(CF_EIO, "opening %s: %s", path, strerror(errno));
	err = parse_with(out, NULL, 0, f);
	fclose(f);
	return err;
}

/* ---- resolution ---- */

int sc_helm_index_get(const sc_helm_chart_version **out, const sc_helm_index *idx, const char *name,
		      const char *constraint)
{
	const chart *c = find_chart(idx, name);
	const char **versions = NULL;
	int64_t *times = NULL;
	size_t best;
	int err;

	if (!c)
		return cf_error_set(CF_ENOTFOUND, "no chart name found");
	if (!c->n)
		return cf_error_set(CF_ENOTFOUND, "no chart version found");
	if (!constraint || !*constraint)
		constraint = "*";
	versions = malloc(c->n * sizeof(*versions));
	times = malloc(c->n * sizeof(*times));
	if (!versions || !times) {
		err = CF_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < c->n; i++) {
		versions[i] = c->v[i].version;
		times[i] = c->v[i].created_ns;
	}
	err = cf_semver_select(&best, constraint, versions, c->n, times,
			       CF_SEMVER_STRICT | CF_SEMVER_EXACT_FIRST);
	if (err == CF_ENOTFOUND)
		err = cf_error_set(CF_ENOTFOUND, "no '%s' chart with version matching '%s' found", name, constraint);
	if (err < 0)
		goto done;
	*out = &c->v[best];
done:
	free(versions);
	free(times);
	return err;
}
