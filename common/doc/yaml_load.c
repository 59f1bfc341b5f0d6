/*
 * YAML loading with libyaml's event parser: builds the tree, expands aliases and merge keys under
 * limits, and resolves plain scalars per schema.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cf/error.h"
#include "internal.h"
#include "load_opts.h"

typedef struct {
	yaml_parser_t parser;
	cf_doc_load_opts o;
	size_t nodes;
	size_t alias_nodes;
	cf_doc *anchors; /* name -> private copy of the anchored node (the original may move or be
	                    freed by merges and duplicate keys); a map, so lookups are hashed */
} loader;

static int fail_at(loader *L, int code, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(loader *L, int code, yaml_mark_t m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cf_error_set(code, "%s:%zu:%zu: %s", L->o.filename, m.line + 1, m.column + 1, msg);
}

static int parser_error(loader *L)
{
	yaml_parser_t *p = &L->parser;

	if (p->error == YAML_MEMORY_ERROR)
		return cf_error_set(CF_ENOMEM, "%s: out of memory", L->o.filename);
	/* the problem alone, as go-yaml words it; the mark says where */
	return fail_at(L, CF_EPARSE, p->problem_mark, "%s", p->problem ? p->problem : "syntax error");
}

static int next_event(loader *L, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&L->parser, ev))
		return parser_error(L);
	return 0;
}

static int count_node(loader *L, yaml_mark_t m)
{
	if (++L->nodes > L->o.max_nodes)
		return fail_at(L, CF_ELIMIT, m, "more than %zu nodes", L->o.max_nodes);
	return 0;
}

static void set_pos(cf_doc *n, yaml_mark_t m)
{
	n->line = m.line + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(m.line + 1);
	n->col = m.column + 1 > UINT16_MAX ? UINT16_MAX : (uint16_t)(m.column + 1);
}

static void anchors_clear(loader *L)
{
	cf_doc_free(L->anchors);
	L->anchors = NULL;
}

/* A later definition of a name replaces the earlier one, as in YAML. */
static int anchor_add(loader *L, const char *name, const cf_doc *node)
{
	cf_doc *clone = NULL;
	int err;

	if (!L->anchors && (err = cf_doc_new_map(&L->anchors)) < 0)
		return err;
	if ((err = cf_doc_clone(&clone, node)) < 0)
		return err;
	return cf_doc_map_set(L->anchors, name, clone);
}

/* Nodes in a subtree and its nesting depth (1 for a scalar). */
static size_t subtree_count(const cf_doc *n, size_t *depth)
{
	size_t count = 1, items, deepest = 0;

	*depth = 1;
	if (doc_is_scalar(n))
		return 1;
	items = n->type == CF_DOC_MAP ? 2 * (size_t)n->u.c.len : n->u.c.len;
	for (size_t i = 0; i < items; i++) {
		size_t d;
		count += subtree_count(n->u.c.items[i], &d);
		if (d > deepest)
			deepest = d;
	}
	*depth = deepest + 1;
	return count;
}

/* Explicit tags come expanded ("tag:yaml.org,2002:int"); keep the short form the source used. */
static void short_tag(char *buf, size_t size, const char *tag)
{
	static const char prefix[] = "tag:yaml.org,2002:";

	if (strncmp(tag, prefix, sizeof(prefix) - 1) == 0)
		snprintf(buf, size, "!!%s", tag + sizeof(prefix) - 1);
	else
		snprintf(buf, size, "%s", tag);
}

static const struct {
	const char *tag;
	cf_doc_type type;
} typed_tags[] = {
	{"!!null", CF_DOC_NULL}, {"!!bool", CF_DOC_BOOL}, {"!!int", CF_DOC_INT},
	{"!!float", CF_DOC_FLOAT},
};

/* Resolves a scalar that carries an explicit tag, as yaml.v3 decodes it. */
static int resolve_tagged(loader *L, const yaml_event_t *ev, const char *tag, doc_resolved *r)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	memset(r, 0, sizeof(*r));
	r->type = CF_DOC_STR;
	if (strcmp(tag, "!!timestamp") == 0) {
		doc_resolve_plain(r, v, len, L->o.schema);
		if (!r->timestamp)
			return fail_at(L, CF_EPARSE, ev->start_mark, "cannot decode `%.*s` as a !!timestamp",
			               (int)(len > 64 ? 64 : len), v);
		r->type = CF_DOC_STR;
		return 0;
	}
	if (strcmp(tag, "!!merge") == 0) {
		r->merge = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(typed_tags) / sizeof(typed_tags[0]); i++) {
		if (strcmp(tag, typed_tags[i].tag) != 0)
			continue;
		doc_resolve_plain(r, v, len, L->o.schema);
		if (typed_tags[i].type == CF_DOC_FLOAT && (r->type == CF_DOC_INT || r->is_uint)) {
			r->v.d = r->is_uint ? (double)(uint64_t)r->v.i : (double)r->v.i;
			r->type = CF_DOC_FLOAT;
			r->is_uint = 0;
		}
		if (r->type != typed_tags[i].type && !(r->is_uint && typed_tags[i].type == CF_DOC_INT))
			return fail_at(L, CF_EPARSE, ev->start_mark, "cannot decode `%.*s` as a %s",
			               (int)(len > 64 ? 64 : len), v, tag);
		r->timestamp = 0;
		return 0;
	}
	return 0; /* !!str, !!binary, "!" and custom tags keep the text as a string */
}

static const cf_doc_style scalar_styles[] = {
	[YAML_ANY_SCALAR_STYLE] = CF_DOC_STYLE_PLAIN,
	[YAML_PLAIN_SCALAR_STYLE] = CF_DOC_STYLE_PLAIN,
	[YAML_SINGLE_QUOTED_SCALAR_STYLE] = CF_DOC_STYLE_SINGLE,
	[YAML_DOUBLE_QUOTED_SCALAR_STYLE] = CF_DOC_STYLE_DOUBLE,
	[YAML_LITERAL_SCALAR_STYLE] = CF_DOC_STYLE_LITERAL,
	[YAML_FOLDED_SCALAR_STYLE] = CF_DOC_STYLE_FOLDED,
};

static int load_scalar(loader *L, const yaml_event_t *ev, cf_doc **out, int *is_merge)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	char tag[256] = "";
	doc_resolved r;
	cf_doc *n = NULL;
	int err;

	if (ev->data.scalar.tag)
		short_tag(tag, sizeof(tag), (const char *)ev->data.scalar.tag);
	if (tag[0]) {
		if ((err = resolve_tagged(L, ev, tag, &r)) < 0)
			return err;
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		doc_resolve_plain(&r, v, len, L->o.schema);
	} else {
		memset(&r, 0, sizeof(r));
		r.type = CF_DOC_STR;
	}
	if ((err = doc_scalar_new(&n, r.type, v, len, tag[0] ? tag : NULL)) < 0)
		return err;
	n->u.s.v.i = 0;
	if (r.type == CF_DOC_BOOL)
		n->u.s.v.b = r.v.b;
	else if (r.type == CF_DOC_INT || r.is_uint)
		n->u.s.v.i = r.v.i;
	else if (r.type == CF_DOC_FLOAT)
		n->u.s.v.d = r.v.d;
	/* yaml.v3 reads these as time.Time; go-yaml v2 keeps the string (YAML11) */
	if (r.timestamp && (L->o.schema != CF_DOC_YAML11 || (tag[0] && !strcmp(tag, "!!timestamp"))))
		n->flags |= DOC_F_TIMESTAMP;
	if (r.is_uint && L->o.schema == CF_DOC_YAML11) {
		/* Helm's values pass through JSON into float64, so a uint64 keeps no exact digits */
		n->u.s.v.d = (double)(uint64_t)r.v.i;
	} else if (r.is_uint) {
		n->flags |= DOC_F_UINT;
	}
	n->style = scalar_styles[ev->data.scalar.style];
	set_pos(n, ev->start_mark);
	*is_merge = r.merge;
	*out = n;
	return 0;
}

static int load_alias(loader *L, const yaml_event_t *ev, cf_doc **out, size_t depth)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const cf_doc *a = cf_doc_get(L->anchors, name);
	size_t count, a_depth;

	if (!a)
		return fail_at(L, CF_EPARSE, ev->start_mark, "unknown anchor '%s' referenced", name);
	count = subtree_count(a, &a_depth);
	/* the copy lands at this depth: nested aliases must not build deeper trees than allowed */
	if (depth - 1 + a_depth > L->o.max_depth)
		return fail_at(L, CF_ELIMIT, ev->start_mark, "nesting deeper than %zu", L->o.max_depth);
	L->alias_nodes += count;
	L->nodes += count;
	if (L->alias_nodes > L->o.max_alias_expansion)
		return fail_at(L, CF_ELIMIT, ev->start_mark,
		               "aliases expand to more than %zu nodes (alias bomb?)",
		               L->o.max_alias_expansion);
	if (L->nodes > L->o.max_nodes)
		return fail_at(L, CF_ELIMIT, ev->start_mark, "more than %zu nodes", L->o.max_nodes);
	return cf_doc_clone(out, a);
}

static int load_node(loader *L, yaml_event_t *ev, cf_doc **out, int *is_merge, size_t depth);

static int load_seq(loader *L, const yaml_event_t *start, cf_doc **out, size_t depth)
{
	cf_doc *seq = NULL, *item = NULL;
	yaml_event_t ev;
	int err, merge;

	if ((err = cf_doc_new_seq(&seq)) < 0)
		return err;
	set_pos(seq, start->start_mark);
	seq->style = start->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE ? CF_DOC_STYLE_FLOW
	                                                                           : CF_DOC_STYLE_ANY;
	for (;;) {
		if ((err = next_event(L, &ev)) < 0)
			goto done;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		err = load_node(L, &ev, &item, &merge, depth + 1);
		yaml_event_delete(&ev);
		if (err < 0 || (err = cf_doc_seq_append(seq, item)) < 0)
			goto done;
	}
	*out = seq;
	seq = NULL;
done:
	cf_doc_free(seq);
	return err;
}

/* A `<<` entry waiting to be applied once all explicit keys of its map are known. */
typedef struct {
	size_t at;      /* pair position where the merged keys go */
	cf_doc *source; /* map or sequence of maps (owned) */
} pending_merge;

static int merge_source_ok(const cf_doc *src)
{
	if (src->type == CF_DOC_MAP)
		return 1;
	if (src->type != CF_DOC_SEQ)
		return 0;
	for (size_t i = 0; i < src->u.c.len; i++)
		if (src->u.c.items[i]->type != CF_DOC_MAP)
			return 0;
	return 1;
}

/* Moves the pairs of from that out lacks into out; earlier sources and explicit keys win. */
static int merge_pairs(cf_doc *out, cf_doc *from, const cf_doc *explicit_map)
{
	for (size_t i = 0; i < from->u.c.len; i++) {
		cf_doc *k = from->u.c.items[2 * i];
		int err;
		if (doc_is_scalar(k) && (doc_map_find(explicit_map, k->u.s.text, k->u.s.len) >= 0 ||
		                         doc_map_find(out, k->u.s.text, k->u.s.len) >= 0))
			continue;
		k->flags &= (uint8_t)~DOC_F_KEY;
		from->u.c.items[2 * i] = NULL;
		err = doc_map_append(out, k, from->u.c.items[2 * i + 1]);
		from->u.c.items[2 * i + 1] = NULL;
		if (err < 0)
			return err;
	}
	return 0;
}

static void free_pairs_shell(cf_doc *map)
{
	for (size_t i = 0; i < 2 * (size_t)map->u.c.len; i++)
		cf_doc_free(map->u.c.items[i]);
	map->u.c.len = 0;
}

/* Rebuilds map with the merged keys spliced in at each `<<` position. */
static int apply_merges(cf_doc **mapp, pending_merge *pm, size_t n_pm)
{
	cf_doc *map = *mapp, *out = NULL, *merged = NULL;
	size_t next = 0;
	int err;

	if ((err = cf_doc_new_map(&out)) < 0)
		return err;
	out->line = map->line;
	out->col = map->col;
	out->style = map->style;
	for (size_t i = 0; i <= map->u.c.len; i++) {
		for (; next < n_pm && pm[next].at == i; next++) {
			cf_doc *src = pm[next].source;
			if ((err = cf_doc_new_map(&merged)) < 0)
				goto done;
			if (src->type == CF_DOC_MAP)
				err = merge_pairs(merged, src, map);
			for (size_t j = 0; src->type == CF_DOC_SEQ && j < src->u.c.len && !err; j++)
				err = merge_pairs(merged, src->u.c.items[j], map);
			if (err < 0 || (err = merge_pairs(out, merged, out)) < 0)
				goto done;
			cf_doc_free(merged);
			merged = NULL;
		}
		if (i == map->u.c.len)
			break;
		cf_doc *k = map->u.c.items[2 * i], *v = map->u.c.items[2 * i + 1];
		map->u.c.items[2 * i] = map->u.c.items[2 * i + 1] = NULL;
		k->flags &= (uint8_t)~DOC_F_KEY;
		if ((err = doc_map_append(out, k, v)) < 0)
			goto done;
	}
	free_pairs_shell(map);
	cf_doc_free(map);
	*mapp = out;
	out = NULL;
done:
	cf_doc_free(merged);
	cf_doc_free(out);
	return err;
}

/*
 * sigs.k8s.io/yaml turns go-yaml v2's typed keys into JSON strings: ints in decimal, floats with
 * 32-bit 'g', bools as true/false; null and huge unsigned keys are errors there.
 */
static int json_model_key(loader *L, cf_doc **keyp)
{
	cf_doc *k = *keyp, *s = NULL;
	char buf[48];
	int err;

	if (!doc_is_scalar(k) || k->type == CF_DOC_STR)
		return 0;
	if (k->type == CF_DOC_NULL || (k->flags & DOC_F_UINT))
		return cf_error_set(CF_EPARSE, "%s:%u:%u: unsupported map key `%s`", L->o.filename,
		                    k->line, k->col, k->u.s.text);
	if (k->type == CF_DOC_BOOL)
		snprintf(buf, sizeof(buf), "%s", k->u.s.v.b ? "true" : "false");
	else if (k->type == CF_DOC_INT)
		snprintf(buf, sizeof(buf), "%lld", (long long)k->u.s.v.i);
	else if (isnan(k->u.s.v.d))
		snprintf(buf, sizeof(buf), ".nan");
	else if (isinf(k->u.s.v.d))
		snprintf(buf, sizeof(buf), "%s", k->u.s.v.d > 0 ? ".inf" : "-.inf");
	else
		doc_go_format_g32(buf, k->u.s.v.d);
	if ((err = cf_doc_new_str(&s, buf)) < 0)
		return err;
	s->line = k->line;
	s->col = k->col;
	cf_doc_free(k);
	*keyp = s;
	return 0;
}

/* Sets a pair, a present key taking the new value in its old place (ownership taken). */
static int override_pair(cf_doc *out, cf_doc *k, cf_doc *v)
{
	long j = doc_is_scalar(k) ? doc_map_find(out, k->u.s.text, k->u.s.len) : -1;

	if (j >= 0) {
		doc_map_replace_value(out, (size_t)j, v);
		cf_doc_free(k);
		return 0;
	}
	k->flags &= (uint8_t)~DOC_F_KEY;
	return doc_map_append(out, k, v);
}

static int override_from(cf_doc *out, cf_doc *src)
{
	int err = 0;

	for (size_t i = 0; i < src->u.c.len && !err; i++) {
		err = override_pair(out, src->u.c.items[2 * i], src->u.c.items[2 * i + 1]);
		src->u.c.items[2 * i] = src->u.c.items[2 * i + 1] = NULL;
	}
	return err;
}

/*
 * go-yaml v2 applies a merge where it stands: its keys override the ones before it, later keys
 * override it, and in a list of maps the earlier maps win (they are applied last).
 */
static int apply_merges_v2(cf_doc **mapp, pending_merge *pm, size_t n_pm)
{
	cf_doc *map = *mapp, *out = NULL;
	size_t next = 0;
	int err;

	if ((err = cf_doc_new_map(&out)) < 0)
		return err;
	out->line = map->line;
	out->col = map->col;
	out->style = map->style;
	for (size_t i = 0; i <= map->u.c.len; i++) {
		for (; next < n_pm && pm[next].at == i; next++) {
			cf_doc *src = pm[next].source;
			if (src->type == CF_DOC_MAP)
				err = override_from(out, src);
			for (size_t j = src->u.c.len; src->type == CF_DOC_SEQ && j-- > 0 && !err;)
				err = override_from(out, src->u.c.items[j]);
			if (err < 0)
				goto done;
		}
		if (i == map->u.c.len)
			break;
		err = override_pair(out, map->u.c.items[2 * i], map->u.c.items[2 * i + 1]);
		map->u.c.items[2 * i] = map->u.c.items[2 * i + 1] = NULL;
		if (err < 0)
			goto done;
	}
	free_pairs_shell(map);
	cf_doc_free(map);
	*mapp = out;
	out = NULL;
done:
	cf_doc_free(out);
	return err;
}

static int add_pair(loader *L, cf_doc *map, cf_doc *key, cf_doc *value)
{
	int err;

	if (L->o.schema == CF_DOC_YAML11 && (err = json_model_key(L, &key)) < 0) {
		cf_doc_free(key);
		cf_doc_free(value);
		return err;
	}
	long prev = doc_is_scalar(key) ? doc_map_find(map, key->u.s.text, key->u.s.len) : -1;

	if (prev < 0)
		return doc_map_append(map, key, value);
	if (L->o.schema == CF_DOC_YAML11) {
		/* go-yaml v2 (non-strict) keeps the last value */
		doc_map_replace_value(map, (size_t)prev, value);
		cf_doc_free(key);
		return 0;
	}
	err = cf_error_set(CF_EPARSE, "%s:%u:%u: mapping key \"%s\" already defined at line %u",
	                       L->o.filename, key->line, key->col, key->u.s.text,
	                       map->u.c.items[2 * prev]->line);
	cf_doc_free(key);
	cf_doc_free(value);
	return err;
}

static int load_map(loader *L, const yaml_event_t *start, cf_doc **out, size_t depth)
{
	cf_doc *map = NULL, *key = NULL, *value = NULL;
	pending_merge *pm = NULL;
	size_t n_pm = 0;
	yaml_event_t ev;
	int err, merge, unused;

	if ((err = cf_doc_new_map(&map)) < 0)
		return err;
	set_pos(map, start->start_mark);
	map->style = start->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE ? CF_DOC_STYLE_FLOW
	                                                                         : CF_DOC_STYLE_ANY;
	for (;;) {
		if ((err = next_event(L, &ev)) < 0)
			goto done;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		err = load_node(L, &ev, &key, &merge, depth + 1);
		yaml_event_delete(&ev);
		if (err < 0 || (err = next_event(L, &ev)) < 0)
			goto done;
		err = load_node(L, &ev, &value, &unused, depth + 1);
		if (err == 0 && merge && !merge_source_ok(value))
			err = fail_at(L, CF_EPARSE, ev.start_mark,
			              "map merge requires map or sequence of maps as the value");
		yaml_event_delete(&ev);
		if (err < 0)
			goto done;
		if (merge) {
			pending_merge *grown = realloc(pm, (n_pm + 1) * sizeof(*pm));
			if (!grown) {
				err = cf_error_set(CF_ENOMEM, "doc: out of memory");
				goto done;
			}
			pm = grown;
			pm[n_pm++] = (pending_merge){map->u.c.len, value};
			value = NULL;
			cf_doc_free(key);
			key = NULL;
			continue;
		}
		err = add_pair(L, map, key, value);
		key = value = NULL;
		if (err < 0)
			goto done;
	}
	if (n_pm && (err = (L->o.schema == CF_DOC_YAML11 ? apply_merges_v2 : apply_merges)(&map, pm,
	                                                                              n_pm)) < 0)
		goto done;
	*out = map;
	map = NULL;
done:
	for (size_t i = 0; i < n_pm; i++)
		cf_doc_free(pm[i].source);
	free(pm);
	cf_doc_free(key);
	cf_doc_free(value);
	cf_doc_free(map);
	return err;
}

static int load_node(loader *L, yaml_event_t *ev, cf_doc **out, int *is_merge, size_t depth)
{
	const char *anchor_name = NULL;
	cf_doc *n = NULL;
	int err;

	*is_merge = 0;
	if (depth > L->o.max_depth)
		return fail_at(L, CF_ELIMIT, ev->start_mark, "nesting deeper than %zu", L->o.max_depth);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return load_alias(L, ev, out, depth);
	case YAML_SCALAR_EVENT:
		anchor_name = (const char *)ev->data.scalar.anchor;
		if ((err = count_node(L, ev->start_mark)) == 0)
			err = load_scalar(L, ev, &n, is_merge);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor_name = (const char *)ev->data.sequence_start.anchor;
		if ((err = count_node(L, ev->start_mark)) == 0)
			err = load_seq(L, ev, &n, depth);
		break;
	case YAML_MAPPING_START_EVENT:
		anchor_name = (const char *)ev->data.mapping_start.anchor;
		if ((err = count_node(L, ev->start_mark)) == 0)
			err = load_map(L, ev, &n, depth);
		break;
	default:
		return fail_at(L, CF_EPARSE, ev->start_mark, "unexpected event %d", ev->type);
	}
	if (err < 0)
		return err;
	if (anchor_name && (err = anchor_add(L, anchor_name, n)) < 0) {
		cf_doc_free(n);
		return err;
	}
	*out = n;
	return 0;
}

/* Reads one document after its DOCUMENT-START event. */
static int load_document(loader *L, cf_doc **out)
{
	yaml_event_t ev;
	cf_doc *root = NULL;
	int err, merge;

	if ((err = next_event(L, &ev)) < 0)
		return err;
	err = load_node(L, &ev, &root, &merge, 1);
	yaml_event_delete(&ev);
	anchors_clear(L);
	if (err < 0)
		return err;
	if ((err = next_event(L, &ev)) < 0) {
		cf_doc_free(root);
		return err;
	}
	yaml_event_delete(&ev); /* DOCUMENT-END */
	*out = root;
	return 0;
}

static int load_stream(loader *L, cf_doc *docs)
{
	yaml_event_t ev;
	int err;

	for (;;) {
		cf_doc *d = NULL;
		if ((err = next_event(L, &ev)) < 0)
			return err;
		yaml_event_type_t type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			return 0;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue; /* STREAM-START */
		if ((err = load_document(L, &d)) < 0)
			return err;
		if ((err = cf_doc_seq_append(docs, d)) < 0)
			return err;
	}
}

int cf_doc_load_yaml_stream(cf_doc **out, const char *buf, size_t len, const cf_doc_load_opts *opts)
{
	loader L;
	cf_doc *docs = NULL;
	int err;

	memset(&L, 0, sizeof(L));
	L.o = doc_load_opts(opts, CF_DOC_YAML12);
	if (len > L.o.max_bytes)
		return cf_error_set(CF_ELIMIT, "%s: %zu bytes is over the %zu byte limit", L.o.filename,
		                    len, L.o.max_bytes);
	if (!yaml_parser_initialize(&L.parser))
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	yaml_parser_set_input_string(&L.parser, (const unsigned char *)(buf ? buf : ""), len);
	if ((err = cf_doc_new_seq(&docs)) < 0 || (err = load_stream(&L, docs)) < 0)
		goto done;
	*out = docs;
	docs = NULL;
done:
	anchors_clear(&L);
	yaml_parser_delete(&L.parser);
	cf_doc_free(docs);
	return err;
}

int cf_doc_load_yaml(cf_doc **out, const char *buf, size_t len, const cf_doc_load_opts *opts)
{
	cf_doc *docs = NULL;
	int err;

	if ((err = cf_doc_load_yaml_stream(&docs, buf, len, opts)) < 0)
		return err;
	if (docs->u.c.len > 1) {
		cf_doc_load_opts o = doc_load_opts(opts, CF_DOC_YAML12);
		err = cf_error_set(CF_EPARSE, "%s:%u:%u: expected a single document, found %u", o.filename,
		                   docs->u.c.items[1]->line, docs->u.c.items[1]->col, docs->u.c.len);
		cf_doc_free(docs);
		return err;
	}
	if (docs->u.c.len == 1)
		*out = cf_doc_seq_take(docs, 0);
	else
		err = cf_doc_new_null(out);
	cf_doc_free(docs);
	return err;
}

int cf_doc_load_yaml_file(cf_doc **out, const char *path, const cf_doc_load_opts *opts)
{
	cf_doc_load_opts o = doc_load_opts(opts, CF_DOC_YAML12);
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, got;
	int err = 0;

	if (!opts || !opts->filename)
		o.filename = path;
	if (!(f = fopen(path, "rb")))
		return cf_error_set(CF_EIO, "%s: cannot open", path);
	do {
		if (len == cap) {
			char *grown;
			cap = cap ? 2 * cap : 65536;
			if (!(grown = realloc(buf, cap))) {
				err = cf_error_set(CF_ENOMEM, "doc: out of memory");
				goto done;
			}
			buf = grown;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len > o.max_bytes) {
			err = cf_error_set(CF_ELIMIT, "%s: over the %zu byte limit", path, o.max_bytes);
			goto done;
		}
	} while (got > 0);
	if (ferror(f)) {
		err = cf_error_set(CF_EIO, "%s: read error", path);
		goto done;
	}
	err = cf_doc_load_yaml_stream(out, buf, len, &o);
done:
	free(buf);
	fclose(f);
	return err;
}
