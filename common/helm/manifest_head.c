/*
 * A quick read of a rendered manifest's kind and helm.sh/hook annotation with libyaml's event
 * parser, for sorting the common case without building a document tree; anything unusual
 * (anchors, tags, merge keys, values YAML 1.1 would type, errors) is left to the full loader.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "chart.h"

/* Deeper documents go to the full loader, which enforces its own depth limit. */
#define HEAD_MAX_DEPTH 64
/* Larger documents too (the full loader's size and node limits then apply). */
#define HEAD_MAX_BYTES (1u << 20)

/* Plain words YAML 1.1 reads as bools or null (go-yaml v2), in any case. */
static const char *const special_words[] = {
	"y", "n", "yes", "no", "on", "off", "true", "false", "null", NULL,
};

/* A plain scalar the full loader would keep as this same string. */
static int plain_is_string(const char *s, size_t n)
{
	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ',' || c == ' ' || c == '/'))
			return 0;
	}
	for (size_t i = 0; special_words[i]; i++)
		if (strlen(special_words[i]) == n && !strncasecmp(special_words[i], s, n))
			return 0;
	return 1;
}

/* A scalar's string value when it is certainly a string; NULL otherwise. */
static int scalar_string(const yaml_event_t *e, const char **s, size_t *n)
{
	*s = (const char *)e->data.scalar.value;
	*n = e->data.scalar.length;
	switch (e->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		return 1;
	case YAML_PLAIN_SCALAR_STYLE:
		return plain_is_string(*s, *n);
	default:
		return 0;
	}
}

/* Keys the full loader would not take as the same plain string: null keys and merge keys. */
static int key_is_plain_string(const yaml_event_t *e)
{
	const char *s = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 1;
	if (n == 0 || (n == 1 && s[0] == '~') || (n == 2 && !memcmp(s, "<<", 2)))
		return 0;
	return !(n == 4 && !strncasecmp(s, "null", 4));
}

typedef struct {
	int depth;          /* 1 inside the root mapping */
	int in_meta;        /* depth at which the metadata mapping is open (0: not in it) */
	int in_ann;         /* same for metadata.annotations */
	int want;           /* the next scalar value: 1 kind, 2 hook */
	int seen_kind, seen_meta, seen_ann, seen_hook;
	char *kind, *hook;
} head_state;

/* Handles a key of a mapping at depth d; 0 to give up. */
static int on_key(head_state *h, const yaml_event_t *e, int d, int *enter)
{
	const char *k = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	*enter = 0;
	if (!key_is_plain_string(e))
		return 0;
#define KEY_IS(lit) (n == sizeof(lit) - 1 && !memcmp(k, lit, n))
	if (d == 1 && KEY_IS("kind")) {
		h->want = 1;
		return !h->seen_kind++;
	}
	if (d == 1 && KEY_IS("metadata")) {
		*enter = 1;
		return !h->seen_meta++;
	}
	if (d == 2 && h->in_meta == 2 && KEY_IS("annotations")) {
		*enter = 2;
		return !h->seen_ann++;
	}
	if (d == 3 && h->in_ann == 3 && KEY_IS("helm.sh/hook")) {
		h->want = 2;
		return !h->seen_hook++;
	}
#undef KEY_IS
	return 1;
}

/* Takes a value scalar for kind or hook; 0 to give up. */
static int on_value(head_state *h, const yaml_event_t *e)
{
	const char *s;
	size_t n;
	char **slot = h->want == 1 ? &h->kind : &h->hook;
	h->want = 0;
	if (!scalar_string(e, &s, &n))
		return 0;
	*slot = strndup(s, n);
	return *slot ? 1 : -1;
}

/* Walks the events; 1 settled, 0 give up, -1 out of memory. */
static int walk_events(yaml_parser_t *p, head_state *h)
{
	/* Per open collection: is it a mapping, and does a key come next. */
	char is_map[HEAD_MAX_DEPTH + 2] = { 0 }, is_key[HEAD_MAX_DEPTH + 2] = { 0 };
	int docs = 0, pending_enter = 0, r = 1, d;
	yaml_event_t e;

	for (;;) {
		if (!yaml_parser_parse(p, &e))
			return 0;
		d = h->depth;
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&e);
			return docs == 1 ? r : 0;
		case YAML_DOCUMENT_START_EVENT:
			r = ++docs == 1;
			break;
		case YAML_ALIAS_EVENT:
			r = 0;
			break;
		case YAML_SCALAR_EVENT:
			if (e.data.scalar.anchor || e.data.scalar.tag || d == 0) {
				r = 0;
			} else if (is_map[d] && is_key[d]) {
				r = on_key(h, &e, d, &pending_enter);
				is_key[d] = 0;
			} else if (is_map[d]) {
				if (h->want)
					r = on_value(h, &e);
				pending_enter = 0;
				is_key[d] = 1;
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT: {
			int map = e.type == YAML_MAPPING_START_EVENT;
			const yaml_char_t *anchor = map ? e.data.mapping_start.anchor :
			                                  e.data.sequence_start.anchor;
			const yaml_char_t *tag = map ? e.data.mapping_start.tag : e.data.sequence_start.tag;
			if (anchor || tag || h->want || (d > 0 && is_map[d] && is_key[d]) ||
			    d >= HEAD_MAX_DEPTH || (d == 0 && !map)) {
				r = 0;
				break;
			}
			h->depth = ++d;
			is_map[d] = (char)map;
			is_key[d] = (char)map;
			if (pending_enter == 1 && map)
				h->in_meta = d;
			if (pending_enter == 2 && map)
				h->in_ann = d;
			pending_enter = 0;
			break;
		}
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (h->in_ann == d)
				h->in_ann = 0;
			if (h->in_meta == d)
				h->in_meta = 0;
			h->depth = --d;
			if (d > 0 && is_map[d])
				is_key[d] = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
		if (r <= 0)
			return r;
	}
}

int manifest_head(const char *s, size_t n, char **kind, char **hook)
{
	yaml_parser_t p;
	head_state h;
	int r;

	*kind = *hook = NULL;
	if (n > HEAD_MAX_BYTES)
		return 0;
	memset(&h, 0, sizeof(h));
	if (!yaml_parser_initialize(&p))
		return -1;
	yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
	r = walk_events(&p, &h);
	yaml_parser_delete(&p);
	if (r <= 0) {
		free(h.kind);
		free(h.hook);
		return r;
	}
	*kind = h.kind;
	*hook = h.hook;
	return 1;
}
