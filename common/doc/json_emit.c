/* JSON output byte-compatible with Go's encoding/json Marshal and MarshalIndent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"
#include "utf8.h"

typedef struct {
	doc_buf b;
	const cf_doc_json_opts *o;
} jemit;

static const char hex[] = "0123456789abcdef";

static void put_u(doc_buf *b, unsigned cp)
{
	char esc[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
	               hex[cp & 15]};
	doc_buf_put(b, esc, 6);
}

/* Go's appendString: short escapes for \" \\ \b \f \n \r \t, \u00XX for other controls, HTML
 * characters when asked, U+2028/2029 always, invalid UTF-8 as U+FFFD. */
void doc_json_put_string(doc_buf *b, const char *s, size_t len, int escape_html)
{
	size_t i = 0;

	doc_buf_putc(b, '"');
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			const char *shortesc = NULL;
			switch (c) {
			case '"': shortesc = "\\\""; break;
			case '\\': shortesc = "\\\\"; break;
			case '\b': shortesc = "\\b"; break;
			case '\f': shortesc = "\\f"; break;
			case '\n': shortesc = "\\n"; break;
			case '\r': shortesc = "\\r"; break;
			case '\t': shortesc = "\\t"; break;
			default: break;
			}
			if (shortesc)
				doc_buf_puts(b, shortesc);
			else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&')))
				put_u(b, c);
			else
				doc_buf_putc(b, (char)c);
			i++;
			continue;
		}
		unsigned cp;
		size_t n = doc_utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			doc_buf_puts(b, "\\ufffd");
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			put_u(b, cp);
			i += n;
		} else {
			doc_buf_put(b, s + i, n);
			i += n;
		}
	}
	doc_buf_putc(b, '"');
}

static void newline(jemit *E, size_t depth)
{
	doc_buf_putc(&E->b, '\n');
	for (size_t i = 0; i < depth * (size_t)E->o->indent; i++)
		doc_buf_putc(&E->b, ' ');
}

static int emit(jemit *E, const cf_doc *n, size_t depth);

static int scalar(jemit *E, const cf_doc *n)
{
	char num[48];

	switch (n->type) {
	case CF_DOC_NULL:
		doc_buf_puts(&E->b, "null");
		return 0;
	case CF_DOC_BOOL:
		doc_buf_puts(&E->b, n->u.s.v.b ? "true" : "false");
		return 0;
	case CF_DOC_INT:
		snprintf(num, sizeof(num), "%lld", (long long)n->u.s.v.i);
		doc_buf_puts(&E->b, num);
		return 0;
	case CF_DOC_FLOAT:
		if (n->flags & DOC_F_UINT) {
			snprintf(num, sizeof(num), "%llu", (unsigned long long)(uint64_t)n->u.s.v.i);
		} else {
			if (!isfinite(n->u.s.v.d)) {
				doc_go_format_g(num, n->u.s.v.d);
				return cf_error_set(CF_EINVALID, "json: unsupported value: %s", num);
			}
			doc_go_format_json(num, n->u.s.v.d);
		}
		doc_buf_puts(&E->b, num);
		return 0;
	default:
		/* a yaml.v3 timestamp is a time.Time to Go, which marshals as RFC 3339 */
		if ((n->flags & DOC_F_TIMESTAMP) &&
		    doc_timestamp_rfc3339(num, sizeof(num), n->u.s.text, n->u.s.len)) {
			doc_json_put_string(&E->b, num, strlen(num), 0);
			return 0;
		}
		doc_json_put_string(&E->b, n->u.s.text, n->u.s.len, E->o->escape_html);
		return 0;
	}
}

static int key_cmp(const void *a, const void *b)
{
	const cf_doc *ka = ((const doc_pair *)a)->k, *kb = ((const doc_pair *)b)->k;
	size_t n = ka->u.s.len < kb->u.s.len ? ka->u.s.len : kb->u.s.len;
	int c = memcmp(ka->u.s.text, kb->u.s.text, n);

	if (c)
		return c;
	return ka->u.s.len < kb->u.s.len ? -1 : ka->u.s.len > kb->u.s.len;
}

static int key_cmp_natural(const void *a, const void *b)
{
	const cf_doc *ka = ((const doc_pair *)a)->k, *kb = ((const doc_pair *)b)->k;

	if (doc_key_less(ka->u.s.text, ka->u.s.len, kb->u.s.text, kb->u.s.len))
		return -1;
	return doc_key_less(kb->u.s.text, kb->u.s.len, ka->u.s.text, ka->u.s.len);
}

doc_pair *doc_pairs_ordered(const cf_doc *map, int sort)
{
	size_t n = map->u.c.len;
	doc_pair *order = malloc((n ? n : 1) * sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = (doc_pair){map->u.c.items[2 * i], map->u.c.items[2 * i + 1]};
	if (sort != DOC_SORT_NONE)
		qsort(order, n, sizeof(*order), sort == DOC_SORT_BYTES ? key_cmp : key_cmp_natural);
	return order;
}

static int object(jemit *E, const cf_doc *n, size_t depth)
{
	doc_pair *order;
	int err = 0;

	for (size_t i = 0; i < n->u.c.len; i++)
		if (!doc_is_scalar(n->u.c.items[2 * i]))
			return cf_error_set(CF_EINVALID, "json: unsupported map key (%s)",
			                    cf_doc_type_name(n->u.c.items[2 * i]->type));
	if (!(order = doc_pairs_ordered(n, E->o->sort_keys ? DOC_SORT_BYTES : DOC_SORT_NONE)))
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	doc_buf_putc(&E->b, '{');
	for (size_t i = 0; i < n->u.c.len && !err; i++) {
		const doc_pair *pair = &order[i];
		if (i)
			doc_buf_putc(&E->b, ',');
		if (E->o->indent)
			newline(E, depth + 1);
		doc_json_put_string(&E->b, pair->k->u.s.text, pair->k->u.s.len, E->o->escape_html);
		doc_buf_puts(&E->b, E->o->indent ? ": " : ":");
		err = emit(E, pair->v, depth + 1);
	}
	if (E->o->indent && n->u.c.len)
		newline(E, depth);
	doc_buf_putc(&E->b, '}');
	free(order);
	return err;
}

static int array(jemit *E, const cf_doc *n, size_t depth)
{
	int err = 0;

	doc_buf_putc(&E->b, '[');
	for (size_t i = 0; i < n->u.c.len && !err; i++) {
		if (i)
			doc_buf_putc(&E->b, ',');
		if (E->o->indent)
			newline(E, depth + 1);
		err = emit(E, n->u.c.items[i], depth + 1);
	}
	if (E->o->indent && n->u.c.len)
		newline(E, depth);
	doc_buf_putc(&E->b, ']');
	return err;
}

static int emit(jemit *E, const cf_doc *n, size_t depth)
{
	if (depth > 10000)
		return cf_error_set(CF_ELIMIT, "json: nesting too deep");
	if (n->type == CF_DOC_MAP)
		return object(E, n, depth);
	if (n->type == CF_DOC_SEQ)
		return array(E, n, depth);
	return scalar(E, n);
}

int cf_doc_emit_json(char **out, size_t *out_len, const cf_doc *doc, const cf_doc_json_opts *opts)
{
	static const cf_doc_json_opts dflt = {0, 0, 1};
	jemit E = {.o = opts ? opts : &dflt};
	int err;

	if (!doc)
		return cf_error_set(CF_EINVALID, "json: NULL document");
	if ((err = emit(&E, doc, 0)) == 0 && doc_buf_put(&E.b, "", 0) < 0)
		err = cf_error_set(CF_ENOMEM, "doc: out of memory");
	if (err == 0 && E.b.failed)
		err = cf_error_set(CF_ENOMEM, "doc: out of memory");
	if (err < 0) {
		doc_buf_free(&E.b);
		return err;
	}
	*out = E.b.ptr;
	if (out_len)
		*out_len = E.b.len;
	return 0;
}
