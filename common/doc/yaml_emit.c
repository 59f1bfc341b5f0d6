/*
 * YAML output through libyaml's emitter (go-yaml's emitter is a port of it), choosing per node
 * the tag and style that yaml.v3 (kyaml) or yaml.v2 behind sigs.k8s.io/yaml (Helm's toYaml,
 * kubectl kustomize's output) would choose.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cf/error.h"
#include "internal.h"
#include "utf8.h"

typedef struct {
	yaml_emitter_t em;
	doc_buf out;
	const cf_doc_yaml_opts *o;
	int v2;
	int unicode_break_end; /* some scalar ends in U+0085, U+2028 or U+2029 (see fix_quote_end) */
} yemit;

/* A scalar as it will be written. */
typedef struct {
	const char *text;
	size_t len;
	const char *tag;  /* full tag URI or NULL (implicit) */
	yaml_scalar_style_t style;
} yscalar;

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	return doc_buf_put(data, (const char *)buffer, size) == 0;
}

static int emit_event(yemit *E, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(&E->em, ev)) {
		if (E->em.error == YAML_MEMORY_ERROR || E->out.failed)
			return cf_error_set(CF_ENOMEM, "doc: out of memory");
		return cf_error_set(CF_EINVALID, "yaml: %s",
		                    E->em.problem ? E->em.problem : "emitter error");
	}
	return 0;
}

/* U+0085, U+2028 or U+2029 at s: its length, else 0. */
static size_t unicode_break_at(const char *s, size_t left)
{
	if (left >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0x85)
		return 2;
	if (left >= 3 && (unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
	    ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9))
		return 3;
	return 0;
}

static int put_scalar(yemit *E, const yscalar *s)
{
	yaml_event_t ev;
	int implicit = s->tag == NULL;

	for (size_t k = 2; k <= 3 && k <= s->len; k++)
		if (unicode_break_at(s->text + s->len - k, k) == k)
			E->unicode_break_end = 1;
	if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)s->tag,
	                                  (yaml_char_t *)s->text, (int)s->len, implicit, implicit,
	                                  s->style))
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	return emit_event(E, &ev);
}

/* Would a plain scalar with this text read back as a string? (go-yaml's canUsePlain) */
static int plain_is_str(const char *s, size_t len, cf_doc_schema schema)
{
	doc_resolved r;

	doc_resolve_plain(&r, s, len, schema);
	return r.type == CF_DOC_STR && !r.timestamp;
}

/* ---- yaml.v2 through JSON (sigs.k8s.io/yaml) ---- */

/* The go-yaml v2 choice for a Go string: literal when multi-line, quoted when it would
 * re-resolve as another type, plain otherwise (libyaml downgrades plain when it must). */
static yaml_scalar_style_t v2_string_style(const char *s, size_t len)
{
	if (memchr(s, '\n', len))
		return YAML_LITERAL_SCALAR_STYLE;
	if (plain_is_str(s, len, CF_DOC_YAML11) && !doc_is_base60_float(s, len))
		return YAML_PLAIN_SCALAR_STYLE;
	return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/* Characters go-yaml's reader refuses that encoding/json leaves unescaped (DEL, C1 controls):
 * sigs.k8s.io/yaml fails on them with "control characters are not allowed". */
static int v2_reader_refuses(unsigned cp)
{
	return cp == 0x7f || (cp >= 0x80 && cp <= 0x9f && cp != 0x85) || cp == 0xfffe || cp == 0xffff;
}

/*
 * U+0085 (NEL) is the one line break encoding/json leaves raw, and go-yaml re-reading the JSON
 * folds it as YAML folds breaks in a double-quoted scalar: spaces around a run of breaks go, one
 * break becomes a space, n breaks become n-1 newlines.
 */
static void fold_nel(doc_buf *b)
{
	size_t w = 0;

	for (size_t r = 0; r < b->len;) {
		if (!((unsigned char)b->ptr[r] == 0xc2 && r + 1 < b->len &&
		      (unsigned char)b->ptr[r + 1] == 0x85)) {
			b->ptr[w++] = b->ptr[r++];
			continue;
		}
		size_t breaks = 0;
		while (w > 0 && b->ptr[w - 1] == ' ')
			w--;
		for (;;) {
			while (r < b->len && b->ptr[r] == ' ')
				r++;
			if (r + 1 < b->len && (unsigned char)b->ptr[r] == 0xc2 &&
			    (unsigned char)b->ptr[r + 1] == 0x85) {
				breaks++;
				r += 2;
				continue;
			}
			break;
		}
		if (breaks == 1)
			b->ptr[w++] = ' ';
		for (size_t i = 1; i < breaks; i++)
			b->ptr[w++] = '\n';
	}
	b->len = w;
	b->ptr[w] = '\0';
}

/* encoding/json replaces invalid UTF-8 with U+FFFD before go-yaml sees the string. NULL with
 * *out_len 0 when out of memory, NULL with *out_len 1 when go-yaml would refuse the text. */
static char *v2_sanitize(const char *s, size_t len, size_t *out_len)
{
	doc_buf b = {0};
	unsigned cp;
	int has_nel = 0;

	*out_len = 0;
	for (size_t i = 0; i < len;) {
		size_t n = doc_utf8_decode(s + i, len - i, &cp);
		if (n && v2_reader_refuses(cp)) {
			doc_buf_free(&b);
			*out_len = 1;
			return NULL;
		}
		if (n) {
			has_nel |= cp == 0x85;
			doc_buf_put(&b, s + i, n);
			i += n;
		} else {
			doc_buf_put(&b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	doc_buf_put(&b, "", 0);
	if (!b.failed && has_nel)
		fold_nel(&b);
	if (b.failed) {
		doc_buf_free(&b);
		return NULL;
	}
	*out_len = b.len;
	return b.ptr;
}

static int v2_sanitize_error(size_t why)
{
	if (why)
		return cf_error_set(CF_EINVALID, "yaml: control characters are not allowed");
	return cf_error_set(CF_ENOMEM, "doc: out of memory");
}

/* A float after json.Marshal and go-yaml v2's re-read: integers stay digits, the rest 'g'. */
static void v2_float_text(char *buf, const cf_doc *n)
{
	char *end;

	if (n->flags & DOC_F_UINT) {
		snprintf(buf, 40, "%" PRIu64, (uint64_t)n->u.s.v.i);
		return;
	}
	doc_go_format_json(buf, n->u.s.v.d);
	if (!strpbrk(buf, ".eE")) {
		/* go-yaml reads the JSON digits back as an int ("-0" becomes 0) */
		errno = 0;
		if (buf[0] == '-') {
			long long v = strtoll(buf, &end, 10);
			if (errno == 0) {
				snprintf(buf, 40, "%lld", v);
				return;
			}
		} else {
			(void)strtoull(buf, &end, 10);
			if (errno == 0)
				return;
		}
	}
	doc_go_format_g(buf, n->u.s.v.d);
}

/* Text of a scalar as the JSON model has it (also used for keys, which JSON makes strings). */
static int v2_scalar_text(const cf_doc *n, char *num, const char **text, size_t *len)
{
	switch (n->type) {
	case CF_DOC_NULL:
		*text = "null";
		break;
	case CF_DOC_BOOL:
		*text = n->u.s.v.b ? "true" : "false";
		break;
	case CF_DOC_INT:
		snprintf(num, 40, "%" PRId64, n->u.s.v.i);
		*text = num;
		break;
	case CF_DOC_FLOAT:
		if (!(n->flags & DOC_F_UINT) && !isfinite(n->u.s.v.d)) {
			doc_go_format_g(num, n->u.s.v.d);
			return cf_error_set(CF_EINVALID, "json: unsupported value: %s", num);
		}
		v2_float_text(num, n);
		*text = num;
		break;
	default:
		/* a yaml.v3 timestamp became a time.Time, which JSON writes in RFC 3339 */
		if ((n->flags & DOC_F_TIMESTAMP) &&
		    doc_timestamp_rfc3339(num, 48, n->u.s.text, n->u.s.len)) {
			*text = num;
			break;
		}
		*text = n->u.s.text;
		*len = n->u.s.len;
		return 0;
	}
	*len = strlen(*text);
	return 0;
}

static int v2_string(yemit *E, const char *s, size_t len)
{
	size_t clean_len;
	char *clean = v2_sanitize(s, len, &clean_len);
	int err;

	if (!clean)
		return v2_sanitize_error(clean_len);
	yscalar out = {clean, clean_len, NULL, v2_string_style(clean, clean_len)};
	err = put_scalar(E, &out);
	free(clean);
	return err;
}

static int v2_scalar(yemit *E, const cf_doc *n)
{
	char num[48];
	yscalar s = {0};
	int err;

	if ((err = v2_scalar_text(n, num, &s.text, &s.len)) < 0)
		return err;
	if (n->type == CF_DOC_STR)
		return v2_string(E, s.text, s.len);
	s.style = YAML_PLAIN_SCALAR_STYLE;
	return put_scalar(E, &s);
}

/* ---- yaml.v3 Node encoding (kyaml) ---- */

static const char *const short_tags[] = {
	[CF_DOC_NULL] = "!!null", [CF_DOC_BOOL] = "!!bool", [CF_DOC_INT] = "!!int",
	[CF_DOC_FLOAT] = "!!float", [CF_DOC_STR] = "!!str",
};

static const yaml_scalar_style_t yaml_styles[] = {
	[CF_DOC_STYLE_ANY] = YAML_PLAIN_SCALAR_STYLE,
	[CF_DOC_STYLE_PLAIN] = YAML_PLAIN_SCALAR_STYLE,
	[CF_DOC_STYLE_SINGLE] = YAML_SINGLE_QUOTED_SCALAR_STYLE,
	[CF_DOC_STYLE_DOUBLE] = YAML_DOUBLE_QUOTED_SCALAR_STYLE,
	[CF_DOC_STYLE_LITERAL] = YAML_LITERAL_SCALAR_STYLE,
	[CF_DOC_STYLE_FOLDED] = YAML_FOLDED_SCALAR_STYLE,
	[CF_DOC_STYLE_FLOW] = YAML_PLAIN_SCALAR_STYLE,
};

/* The resolved short tag of a node, as yaml.v3 stores it on a Node. */
static const char *v3_node_tag(const cf_doc *n)
{
	if (n->type == CF_DOC_STR && (n->flags & DOC_F_TIMESTAMP))
		return "!!timestamp";
	if (n->type == CF_DOC_FLOAT && (n->flags & DOC_F_UINT))
		return "!!int";
	return short_tags[n->type];
}

/* yaml.v3 resolve() of a plain text, as a short tag. */
static const char *v3_resolve_tag(const char *s, size_t len)
{
	doc_resolved r;

	doc_resolve_plain(&r, s, len, CF_DOC_YAML12);
	if (r.timestamp)
		return "!!timestamp";
	if (r.is_uint)
		return "!!int";
	return short_tags[r.type];
}

static void long_tag(char *buf, size_t size, const char *tag)
{
	if (strncmp(tag, "!!", 2) == 0)
		snprintf(buf, size, "tag:yaml.org,2002:%s", tag + 2);
	else
		snprintf(buf, size, "%s", tag);
}

static int v3_scalar(yemit *E, const cf_doc *n)
{
	const char *explicit_tag = cf_doc_tag(n), *stag = v3_node_tag(n), *tag = NULL;
	char tagbuf[300];
	int force_quote = 0, quoted;
	yscalar s = {n->u.s.text, n->u.s.len, NULL, YAML_PLAIN_SCALAR_STYLE};

	quoted = n->style == CF_DOC_STYLE_SINGLE || n->style == CF_DOC_STYLE_DOUBLE ||
	         n->style == CF_DOC_STYLE_LITERAL || n->style == CF_DOC_STYLE_FOLDED;
	if (explicit_tag) {
		tag = explicit_tag; /* a tag written in the source is kept (TaggedStyle) */
	} else if (n->type != CF_DOC_STR && n->style == CF_DOC_STYLE_ANY) {
		tag = NULL; /* a Go number, bool or nil is written plain, untagged */
	} else if (n->type == CF_DOC_STR && quoted) {
		tag = NULL;
	} else if (strcmp(v3_resolve_tag(s.text, s.len), stag) == 0) {
		tag = NULL;
	} else if (n->type == CF_DOC_STR) {
		force_quote = 1;
	} else {
		tag = stag;
	}
	/* A string built in code is encoded like a Go string: YAML 1.1 look-alikes get quoted. */
	if (n->type == CF_DOC_STR && n->style == CF_DOC_STYLE_ANY && !explicit_tag &&
	    (doc_is_old_bool(s.text, s.len) || doc_is_base60_float(s.text, s.len)))
		force_quote = 1;
	if (quoted)
		s.style = yaml_styles[n->style];
	else if (memchr(s.text, '\n', s.len))
		s.style = YAML_LITERAL_SCALAR_STYLE;
	else if (force_quote)
		s.style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (tag) {
		long_tag(tagbuf, sizeof(tagbuf), tag);
		s.tag = tagbuf;
	}
	return put_scalar(E, &s);
}

/* ---- collections ---- */

static int emit_node(yemit *E, const cf_doc *n, size_t depth);

static int emit_seq(yemit *E, const cf_doc *n, size_t depth)
{
	yaml_event_t ev;
	int flow = !E->v2 && n->style == CF_DOC_STYLE_FLOW;
	int err;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	                                     flow ? YAML_FLOW_SEQUENCE_STYLE
	                                          : YAML_BLOCK_SEQUENCE_STYLE);
	if ((err = emit_event(E, &ev)) < 0)
		return err;
	for (size_t i = 0; i < n->u.c.len; i++)
		if ((err = emit_node(E, n->u.c.items[i], depth + 1)) < 0)
			return err;
	yaml_sequence_end_event_initialize(&ev);
	return emit_event(E, &ev);
}

/* v2 keys are the JSON model's strings; sorting happens on that text. */
typedef struct {
	char *text;
	size_t len;
	const cf_doc *v;
} v2_key;

static int v2_key_cmp(const void *a, const void *b)
{
	const v2_key *x = a, *y = b;

	if (doc_key_less(x->text, x->len, y->text, y->len))
		return -1;
	return doc_key_less(y->text, y->len, x->text, x->len);
}

static int v2_map_pairs(yemit *E, const cf_doc *n, size_t depth)
{
	v2_key *keys = calloc(n->u.c.len ? n->u.c.len : 1, sizeof(*keys));
	int err = 0;

	if (!keys)
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	for (size_t i = 0; i < n->u.c.len && !err; i++) {
		char num[48];
		const char *t;
		size_t len;
		if (!doc_is_scalar(n->u.c.items[2 * i])) {
			err = cf_error_set(CF_EINVALID, "yaml: unsupported map key (%s)",
			                   cf_doc_type_name(n->u.c.items[2 * i]->type));
			break;
		}
		if ((err = v2_scalar_text(n->u.c.items[2 * i], num, &t, &len)) < 0)
			break;
		if (!(keys[i].text = v2_sanitize(t, len, &keys[i].len)))
			err = v2_sanitize_error(keys[i].len);
		keys[i].v = n->u.c.items[2 * i + 1];
	}
	if (!err)
		qsort(keys, n->u.c.len, sizeof(*keys), v2_key_cmp);
	for (size_t i = 0; i < n->u.c.len && !err; i++) {
		yscalar k = {keys[i].text, keys[i].len, NULL, v2_string_style(keys[i].text, keys[i].len)};
		if ((err = put_scalar(E, &k)) == 0)
			err = emit_node(E, keys[i].v, depth + 1);
	}
	for (size_t i = 0; i < n->u.c.len; i++)
		free(keys[i].text);
	free(keys);
	return err;
}

static int v3_map_pairs(yemit *E, const cf_doc *n, size_t depth)
{
	doc_pair *order;
	int err = 0;

	for (size_t i = 0; i < n->u.c.len; i++)
		if (!doc_is_scalar(n->u.c.items[2 * i]) && E->o->sort_keys)
			return cf_error_set(CF_EINVALID, "yaml: cannot sort a map with %s keys",
			                    cf_doc_type_name(n->u.c.items[2 * i]->type));
	if (!(order = doc_pairs_ordered(n, E->o->sort_keys ? DOC_SORT_NATURAL : DOC_SORT_NONE)))
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	for (size_t i = 0; i < n->u.c.len && !err; i++)
		if ((err = emit_node(E, order[i].k, depth + 1)) == 0)
			err = emit_node(E, order[i].v, depth + 1);
	free(order);
	return err;
}

static int emit_map(yemit *E, const cf_doc *n, size_t depth)
{
	yaml_event_t ev;
	int flow = !E->v2 && n->style == CF_DOC_STYLE_FLOW;
	int err;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	                                    flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	if ((err = emit_event(E, &ev)) < 0)
		return err;
	err = E->v2 ? v2_map_pairs(E, n, depth) : v3_map_pairs(E, n, depth);
	if (err < 0)
		return err;
	yaml_mapping_end_event_initialize(&ev);
	return emit_event(E, &ev);
}

static int emit_node(yemit *E, const cf_doc *n, size_t depth)
{
	if (depth > 10000)
		return cf_error_set(CF_ELIMIT, "yaml: nesting too deep");
	if (n->type == CF_DOC_MAP)
		return emit_map(E, n, depth);
	if (n->type == CF_DOC_SEQ)
		return emit_seq(E, n, depth);
	return E->v2 ? v2_scalar(E, n) : v3_scalar(E, n);
}

static int emit_document(yemit *E, const cf_doc *doc)
{
	yaml_event_t ev;
	int err;

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if ((err = emit_event(E, &ev)) < 0)
		return err;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if ((err = emit_event(E, &ev)) < 0 || (err = emit_node(E, doc, 0)) < 0)
		return err;
	yaml_document_end_event_initialize(&ev, 1);
	if ((err = emit_event(E, &ev)) < 0)
		return err;
	yaml_stream_end_event_initialize(&ev);
	return emit_event(E, &ev);
}

/*
 * A single-quoted scalar that ends in a Unicode line break: libyaml indents before the closing
 * quote, go-yaml does not. Drop those spaces (a quote doubled after them is content, not the end).
 */
static void fix_quote_end(doc_buf *b)
{
	size_t w = 0;

	for (size_t r = 0; r < b->len;) {
		size_t n = unicode_break_at(b->ptr + r, b->len - r), k;
		if (!n) {
			b->ptr[w++] = b->ptr[r++];
			continue;
		}
		memmove(b->ptr + w, b->ptr + r, n);
		w += n;
		r += n;
		for (k = r; k < b->len && b->ptr[k] == ' '; k++)
			;
		if (k > r && k < b->len && b->ptr[k] == '\'' && (k + 1 == b->len || b->ptr[k + 1] != '\''))
			r = k;
	}
	b->len = w;
	b->ptr[w] = '\0';
}

int cf_doc_emit_yaml(char **out, size_t *out_len, const cf_doc *doc, const cf_doc_yaml_opts *opts)
{
	static const cf_doc_yaml_opts dflt = {CF_DOC_EMIT_YAMLV3, 0};
	yemit E;
	int err;

	if (!doc)
		return cf_error_set(CF_EINVALID, "yaml: NULL document");
	memset(&E, 0, sizeof(E));
	E.o = opts ? opts : &dflt;
	E.v2 = E.o->dialect == CF_DOC_EMIT_YAMLV2;
	if (!yaml_emitter_initialize(&E.em))
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	yaml_emitter_set_output(&E.em, write_handler, &E.out);
	yaml_emitter_set_unicode(&E.em, 1);
	yaml_emitter_set_indent(&E.em, 2);
	yaml_emitter_set_width(&E.em, E.v2 ? 80 : -1);
	yaml_emitter_set_break(&E.em, YAML_LN_BREAK);
	err = emit_document(&E, doc);
	if (err == 0 && !yaml_emitter_flush(&E.em))
		err = cf_error_set(CF_EIO, "yaml: flush failed");
	if (err == 0 && doc_buf_put(&E.out, "", 0) < 0)
		err = cf_error_set(CF_ENOMEM, "doc: out of memory");
	yaml_emitter_delete(&E.em);
	if (err == 0 && E.unicode_break_end)
		fix_quote_end(&E.out);
	/* libyaml closes a document that ends in a keep-chomped block with "...": go-yaml does not */
	if (err == 0 && E.out.len >= 5 && memcmp(E.out.ptr + E.out.len - 5, "\n...\n", 5) == 0) {
		E.out.len -= 4;
		E.out.ptr[E.out.len] = '\0';
	}
	if (err < 0) {
		doc_buf_free(&E.out);
		return err;
	}
	*out = E.out.ptr;
	if (out_len)
		*out_len = E.out.len;
	return 0;
}
