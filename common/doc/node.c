/* Node construction, ownership, reading and in-place changes shared by every node type. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static int nomem(void)
{
	return cf_error_set(CF_ENOMEM, "doc: out of memory");
}

int doc_is_scalar(const cf_doc *n)
{
	return n && n->type != CF_DOC_SEQ && n->type != CF_DOC_MAP;
}

/* Text block layout: text NUL [tag NUL]. */
static size_t block_size(size_t len, const char *tag)
{
	return len + 1 + (tag ? strlen(tag) + 1 : 0);
}

static void block_fill(char *dst, const char *text, size_t len, const char *tag)
{
	if (len)
		memcpy(dst, text, len);
	dst[len] = '\0';
	if (tag)
		strcpy(dst + len + 1, tag);
}

int doc_scalar_new(cf_doc **out, cf_doc_type type, const char *text, size_t len, const char *tag)
{
	cf_doc *n;

	if (len >= DOC_MAX_LEN)
		return cf_error_set(CF_ELIMIT, "doc: scalar of %zu bytes is too long", len);
	n = malloc(sizeof(*n) + block_size(len, tag));
	if (!n)
		return nomem();
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->u.s.text = (char *)(n + 1);
	n->u.s.len = (uint32_t)len;
	if (tag)
		n->flags |= DOC_F_TAG;
	block_fill(n->u.s.text, text, len, tag);
	*out = n;
	return 0;
}

static int collection_new(cf_doc **out, cf_doc_type type)
{
	cf_doc *n = calloc(1, sizeof(*n));

	if (!n)
		return nomem();
	n->type = type;
	*out = n;
	return 0;
}

int cf_doc_new_map(cf_doc **out)
{
	return collection_new(out, CF_DOC_MAP);
}

int cf_doc_new_seq(cf_doc **out)
{
	return collection_new(out, CF_DOC_SEQ);
}

int cf_doc_new_null(cf_doc **out)
{
	return doc_scalar_new(out, CF_DOC_NULL, "null", 4, NULL);
}

int cf_doc_new_bool(cf_doc **out, int value)
{
	int err = doc_scalar_new(out, CF_DOC_BOOL, value ? "true" : "false", value ? 4 : 5, NULL);

	if (!err)
		(*out)->u.s.v.b = !!value;
	return err;
}

int cf_doc_new_int(cf_doc **out, int64_t value)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, value);
	int err = doc_scalar_new(out, CF_DOC_INT, buf, (size_t)n, NULL);

	if (!err)
		(*out)->u.s.v.i = value;
	return err;
}

/* yaml.v3 writes floats with strconv 'g' and spells the specials the YAML way. */
static void float_text(char *buf, double value)
{
	if (isnan(value))
		strcpy(buf, ".nan");
	else if (isinf(value))
		strcpy(buf, value > 0 ? ".inf" : "-.inf");
	else
		doc_go_format_g(buf, value);
}

int cf_doc_new_float(cf_doc **out, double value)
{
	char buf[40];
	int err;

	float_text(buf, value);
	if ((err = doc_scalar_new(out, CF_DOC_FLOAT, buf, strlen(buf), NULL)) == 0)
		(*out)->u.s.v.d = value;
	return err;
}

int cf_doc_new_str(cf_doc **out, const char *s)
{
	return doc_scalar_new(out, CF_DOC_STR, s, strlen(s), NULL);
}

int cf_doc_new_strn(cf_doc **out, const char *s, size_t len)
{
	return doc_scalar_new(out, CF_DOC_STR, s, len, NULL);
}

static void release_content(cf_doc *n)
{
	if (doc_is_scalar(n)) {
		if (n->flags & DOC_F_OWNTEXT)
			free(n->u.s.text);
		return;
	}
	size_t count = n->type == CF_DOC_MAP ? 2 * (size_t)n->u.c.len : n->u.c.len;
	for (size_t i = 0; i < count; i++)
		cf_doc_free(n->u.c.items[i]);
	free(n->u.c.items);
	doc_index_free(n->u.c.index);
}

void cf_doc_free(cf_doc *node)
{
	if (!node)
		return;
	release_content(node);
	free(node);
}

const char *cf_doc_tag(const cf_doc *node)
{
	if (!doc_is_scalar(node) || !(node->flags & DOC_F_TAG))
		return NULL;
	return node->u.s.text + node->u.s.len + 1;
}

static int clone_collection(cf_doc **out, const cf_doc *node)
{
	cf_doc *n = NULL;
	size_t count = node->type == CF_DOC_MAP ? 2 * (size_t)node->u.c.len : node->u.c.len;
	int err;

	if ((err = collection_new(&n, node->type)) < 0)
		return err;
	n->style = node->style;
	n->line = node->line;
	n->col = node->col;
	if (node->type == CF_DOC_MAP) {
		for (size_t i = 0; i < node->u.c.len; i++) {
			cf_doc *k = NULL, *v = NULL;
			if ((err = cf_doc_clone(&k, node->u.c.items[2 * i])) < 0)
				goto fail;
			if ((err = cf_doc_clone(&v, node->u.c.items[2 * i + 1])) < 0) {
				cf_doc_free(k);
				goto fail;
			}
			if ((err = doc_map_append(n, k, v)) < 0)
				goto fail;
		}
	} else {
		for (size_t i = 0; i < count; i++) {
			cf_doc *v = NULL;
			if ((err = cf_doc_clone(&v, node->u.c.items[i])) < 0)
				goto fail;
			if ((err = cf_doc_seq_append(n, v)) < 0)
				goto fail;
		}
	}
	*out = n;
	return 0;
fail:
	cf_doc_free(n);
	return err;
}

int cf_doc_clone(cf_doc **out, const cf_doc *node)
{
	cf_doc *n = NULL;
	int err;

	if (!node)
		return cf_error_set(CF_EINVALID, "doc: clone of NULL");
	if (!doc_is_scalar(node))
		return clone_collection(out, node);
	if ((err = doc_scalar_new(&n, node->type, node->u.s.text, node->u.s.len,
	                          cf_doc_tag(node))) < 0)
		return err;
	n->line = node->line;
	n->col = node->col;
	n->style = node->style;
	n->flags |= node->flags & (DOC_F_TIMESTAMP | DOC_F_UINT);
	n->u.s.v = node->u.s.v;
	*out = n;
	return 0;
}

cf_doc_type cf_doc_type_of(const cf_doc *node)
{
	return node ? (cf_doc_type)node->type : CF_DOC_NULL;
}

static const char *const type_names[] = {
	[CF_DOC_NULL] = "null", [CF_DOC_BOOL] = "bool", [CF_DOC_INT] = "int",
	[CF_DOC_FLOAT] = "float", [CF_DOC_STR] = "string", [CF_DOC_SEQ] = "sequence",
	[CF_DOC_MAP] = "map",
};

const char *cf_doc_type_name(cf_doc_type type)
{
	if ((unsigned)type >= sizeof(type_names) / sizeof(type_names[0]))
		return "unknown";
	return type_names[type];
}

cf_doc_style cf_doc_style_of(const cf_doc *node)
{
	return node ? (cf_doc_style)node->style : CF_DOC_STYLE_ANY;
}

void cf_doc_set_style(cf_doc *node, cf_doc_style style)
{
	if (node)
		node->style = style;
}

int cf_doc_line(const cf_doc *node)
{
	return node ? (int)node->line : 0;
}

int cf_doc_col(const cf_doc *node)
{
	return node ? (int)node->col : 0;
}

const char *cf_doc_text(const cf_doc *node)
{
	return doc_is_scalar(node) ? node->u.s.text : NULL;
}

int cf_doc_bool(const cf_doc *node)
{
	return node && node->type == CF_DOC_BOOL && node->u.s.v.b;
}

int64_t cf_doc_int(const cf_doc *node)
{
	return node && node->type == CF_DOC_INT ? node->u.s.v.i : 0;
}

double cf_doc_float(const cf_doc *node)
{
	if (!node)
		return 0;
	if (node->type == CF_DOC_FLOAT && (node->flags & DOC_F_UINT))
		return (double)(uint64_t)node->u.s.v.i;
	if (node->type == CF_DOC_FLOAT)
		return node->u.s.v.d;
	if (node->type == CF_DOC_INT)
		return (double)node->u.s.v.i;
	return 0;
}

int cf_doc_is_timestamp(const cf_doc *node)
{
	return node && (node->flags & DOC_F_TIMESTAMP) != 0;
}

size_t cf_doc_len(const cf_doc *node)
{
	if (!node)
		return 0;
	if (node->type == CF_DOC_STR)
		return node->u.s.len;
	if (node->type == CF_DOC_SEQ || node->type == CF_DOC_MAP)
		return node->u.c.len;
	return 0;
}

static int scalar_equal(const cf_doc *a, const cf_doc *b)
{
	switch (a->type) {
	case CF_DOC_NULL:
		return 1;
	case CF_DOC_BOOL:
		return a->u.s.v.b == b->u.s.v.b;
	case CF_DOC_INT:
		return a->u.s.v.i == b->u.s.v.i;
	case CF_DOC_FLOAT:
		if ((a->flags & DOC_F_UINT) && (b->flags & DOC_F_UINT))
			return a->u.s.v.i == b->u.s.v.i;
		return cf_doc_float(a) == cf_doc_float(b) ||
		       (isnan(cf_doc_float(a)) && isnan(cf_doc_float(b)));
	default:
		return a->u.s.len == b->u.s.len &&
		       memcmp(a->u.s.text, b->u.s.text, a->u.s.len) == 0;
	}
}

/* Collection keys (rare: `? [a, b]: c`) are found by a linear structural search. */
static long find_complex_key(const cf_doc *map, const cf_doc *key)
{
	for (size_t i = 0; i < map->u.c.len; i++)
		if (cf_doc_equal(map->u.c.items[2 * i], key))
			return (long)i;
	return -1;
}

int cf_doc_equal(const cf_doc *a, const cf_doc *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return 0;
	if (doc_is_scalar(a))
		return scalar_equal(a, b);
	if (a->u.c.len != b->u.c.len)
		return 0;
	if (a->type == CF_DOC_SEQ) {
		for (size_t i = 0; i < a->u.c.len; i++)
			if (!cf_doc_equal(a->u.c.items[i], b->u.c.items[i]))
				return 0;
		return 1;
	}
	for (size_t i = 0; i < a->u.c.len; i++) {
		const cf_doc *k = a->u.c.items[2 * i];
		long j;
		if (!doc_is_scalar(k)) {
			j = find_complex_key(b, k);
		} else {
			j = doc_map_find(b, k->u.s.text, k->u.s.len);
		}
		if (j < 0 || !cf_doc_equal(a->u.c.items[2 * i + 1], b->u.c.items[2 * (size_t)j + 1]))
			return 0;
	}
	return 1;
}

/* Moves src's content into dst (dst's old content already released); frees src's shell. */
static int adopt(cf_doc *dst, cf_doc *src)
{
	uint32_t line = dst->line;
	uint16_t col = dst->col;
	uint8_t key = dst->flags & DOC_F_KEY;

	if (doc_is_scalar(src)) {
		const char *tag = cf_doc_tag(src);
		char *block = malloc(block_size(src->u.s.len, tag));
		if (!block) {
			cf_doc_free(src);
			return nomem();
		}
		block_fill(block, src->u.s.text, src->u.s.len, tag);
		*dst = *src;
		dst->u.s.text = block;
		dst->flags |= DOC_F_OWNTEXT;
		cf_doc_free(src);
	} else {
		*dst = *src;
		free(src);
	}
	dst->flags = (uint8_t)((dst->flags & ~DOC_F_KEY) | key);
	dst->line = line;
	dst->col = col;
	return 0;
}

int cf_doc_assign(cf_doc *dst, const cf_doc *src)
{
	cf_doc *copy = NULL;
	int err;

	if (!dst || !src)
		return cf_error_set(CF_EINVALID, "doc: assign with NULL node");
	if (dst == src)
		return 0;
	if ((dst->flags & DOC_F_KEY) && !doc_is_scalar(src))
		return cf_error_set(CF_EINVALID, "doc: a map key must stay a scalar");
	if ((dst->flags & DOC_F_KEY) &&
	    (src->u.s.len != dst->u.s.len || memcmp(src->u.s.text, dst->u.s.text, dst->u.s.len)))
		return cf_error_set(CF_EINVALID, "doc: cannot change the text of a map key in place");
	if ((err = cf_doc_clone(&copy, src)) < 0)
		return err;
	/* Keep the old content until the copy is in place, since src may live below dst. */
	cf_doc saved = *dst;
	if ((err = adopt(dst, copy)) < 0)
		return err;
	release_content(&saved);
	return 0;
}

int cf_doc_set_str(cf_doc *node, const char *s)
{
	size_t len;
	char *block;

	if (!doc_is_scalar(node) || !s)
		return cf_error_set(CF_EINVALID, "doc: set_str needs a scalar node");
	if (node->flags & DOC_F_KEY)
		return cf_error_set(CF_EINVALID, "doc: cannot change the text of a map key in place");
	len = strlen(s);
	if (len >= DOC_MAX_LEN)
		return cf_error_set(CF_ELIMIT, "doc: string too long");
	if (!(block = malloc(len + 1)))
		return nomem();
	memcpy(block, s, len + 1);
	if (node->flags & DOC_F_OWNTEXT)
		free(node->u.s.text);
	node->type = CF_DOC_STR;
	node->u.s.text = block;
	node->u.s.len = (uint32_t)len;
	node->u.s.v.i = 0;
	node->flags = (uint8_t)((node->flags & ~(DOC_F_TAG | DOC_F_TIMESTAMP | DOC_F_UINT)) |
	                        DOC_F_OWNTEXT);
	if (node->style == CF_DOC_STYLE_PLAIN)
		node->style = CF_DOC_STYLE_ANY;
	return 0;
}
