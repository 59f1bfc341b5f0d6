/* The node layout and helpers shared by the doc module's files; not part of the public API. */
#ifndef CF_DOC_INTERNAL_H
#define CF_DOC_INTERNAL_H

#include <stdint.h>
#include <stddef.h>

#include "cf/doc.h"

/* Node flags. */
enum {
	DOC_F_TIMESTAMP = 1 << 0, /* plain scalar yaml.v3 would read as !!timestamp */
	DOC_F_KEY = 1 << 1,       /* node is a map key: its text must not change (index) */
	DOC_F_OWNTEXT = 1 << 2,   /* text was allocated separately from the node */
	DOC_F_UINT = 1 << 3,      /* FLOAT holding a uint64 beyond int64 (as yaml.v3 reads one);
	                             u.s.v.i has its bits */
	DOC_F_TAG = 1 << 4,       /* an explicit tag follows the text in the same allocation */
};

typedef struct doc_index doc_index;

/*
 * 32 bytes per node on 64-bit targets. A scalar's text (and its explicit tag, if any) live in
 * the same allocation right after the node, so a scalar is a single malloc; the resolved number
 * sits next to the text pointer. Map pairs are stored interleaved (key, value, key, value...).
 */
struct cf_doc {
	uint32_t line;
	uint16_t col;     /* saturates at 65535 */
	uint8_t type : 4;  /* cf_doc_type */
	uint8_t style : 4; /* cf_doc_style */
	uint8_t flags;     /* DOC_F_* */
	union {
		struct {
			char *text;
			union {
				int64_t i;
				double d;
				int b;
			} v;
			uint32_t len;
		} s;
		struct {
			cf_doc **items; /* seq: items; map: 2*len key/value pointers */
			doc_index *index; /* map only: hash index over key text, NULL when small */
			uint32_t len;
			uint32_t cap;
		} c;
	} u;
};

_Static_assert(sizeof(void *) != 8 || sizeof(struct cf_doc) == 32, "cf_doc grew past 32 bytes");

#define DOC_INDEX_MIN 32  /* maps with more pairs than this get a hash index */
#define DOC_MAX_LEN UINT32_MAX

int doc_is_scalar(const cf_doc *n);

/* Allocates a scalar node with its text copied in; tag may be NULL. */
int doc_scalar_new(cf_doc **out, cf_doc_type type, const char *text, size_t len, const char *tag);

/* Map internals used by the loaders (key ownership taken, also on error). */
int doc_map_append(cf_doc *map, cf_doc *key, cf_doc *value);
/* Index of the pair whose key text equals key[0..len), or -1. */
long doc_map_find(const cf_doc *map, const char *key, size_t len);
/* Replaces the value of pair i (old value freed). */
void doc_map_replace_value(cf_doc *map, size_t i, cf_doc *value);
void doc_index_free(doc_index *ix);

/* ---- scalar resolution (resolve.c) ---- */

/* What a plain scalar resolves to. */
typedef struct {
	cf_doc_type type;
	int timestamp;  /* !!timestamp (type stays STR) */
	int is_uint;    /* integer beyond int64 but within uint64: type FLOAT, bits in v.i */
	int merge;      /* "<<" */
	union {
		int64_t i;
		double d;
		int b;
	} v;
} doc_resolved;

void doc_resolve_plain(doc_resolved *out, const char *s, size_t len, cf_doc_schema schema);
/* A yaml.v3 timestamp as Go's time.Time marshals to JSON (RFC 3339, nanoseconds trimmed);
 * buf needs 48 bytes. 0 when s is no timestamp. */
int doc_timestamp_rfc3339(char *buf, size_t size, const char *s, size_t len);
/* Go's base-60 float check that yaml.v2/v3 still quote on output. */
int doc_is_base60_float(const char *s, size_t len);
/* yaml.v3's isOldBool: y, yes, on, n, no, off in their case forms. */
int doc_is_old_bool(const char *s, size_t len);

/* ---- Go number formatting (gofmt.c) ---- */

/* strconv.FormatFloat(f, 'g', -1, 64) into buf (>= 32 bytes). */
void doc_go_format_g(char *buf, double f);
/* strconv.FormatFloat(f, 'g', -1, 32): how sigs.k8s.io/yaml turns float keys into strings. */
void doc_go_format_g32(char *buf, double f);
/* encoding/json float64 text ('f' or cleaned 'e'); f must be finite. */
void doc_go_format_json(char *buf, double f);

/* ---- shared by the emitters ---- */

typedef struct {
	const cf_doc *k, *v;
} doc_pair;

enum { DOC_SORT_NONE, DOC_SORT_BYTES, DOC_SORT_NATURAL };

/* A map's pairs in output order: as stored, bytewise by key text (encoding/json) or in go-yaml's
 * natural order; caller frees. Keys must be scalars to sort. NULL when out of memory. */
doc_pair *doc_pairs_ordered(const cf_doc *map, int sort);

/* ---- a growing byte buffer ---- */
typedef struct {
	char *ptr;
	size_t len, cap;
	int failed;
} doc_buf;

int doc_buf_put(doc_buf *b, const char *s, size_t n);
int doc_buf_puts(doc_buf *b, const char *s);
int doc_buf_putc(doc_buf *b, char c);
void doc_buf_free(doc_buf *b);

/* Appends s as a Go encoding/json string literal. */
void doc_json_put_string(doc_buf *b, const char *s, size_t len, int escape_html);

/* go-yaml's map key order (its keyList.Less on strings): runs of digits compare as numbers,
 * letters sort before other characters. */
int doc_key_less(const char *a, size_t alen, const char *b, size_t blen);

#endif
