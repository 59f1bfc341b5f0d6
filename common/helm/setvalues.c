/* Parses --set and --set-string arguments ("a.b[0]=x,c={1,2}") into values, as Helm's strvals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chart.h"
#include "internal.h"

#define MAX_INDEX 65536
#define MAX_NEST 1000

typedef struct {
	const char *s;
	size_t pos, len;
	int as_string;
} sv_parser;

/* Reads up to one of stop (honouring backslash escapes). *last is the stop char, 0 at the end. */
static char *read_until(sv_parser *p, const char *stop, char *last)
{
	hbuf b;
	hbuf_init(&b, 0);
	*last = 0;
	while (p->pos < p->len) {
		char c = p->s[p->pos++];
		if (c == '\\' && p->pos < p->len) {
			hbuf_putc(&b, p->s[p->pos++]);
			continue;
		}
		if (strchr(stop, c)) {
			*last = c;
			break;
		}
		hbuf_putc(&b, c);
	}
	if (b.err) {
		hbuf_free(&b);
		return NULL;
	}
	char *r = hbuf_take(&b, NULL);
	return r ? r : strdup("");
}

static cf_helm_val *typed(const char *v, int as_string)
{
	char *end;
	long long n;
	if (as_string)
		return hv_str(v);
	if (!strcasecmp(v, "true"))
		return hv_bool(1);
	if (!strcasecmp(v, "false"))
		return hv_bool(0);
	if (!strcasecmp(v, "null"))
		return HV_NIL;
	if (!strcmp(v, "0"))
		return hv_int64(0);
	if (v[0] && v[0] != '0' && strspn(v + (v[0] == '-' || v[0] == '+'), "0123456789") ==
	                               strlen(v + (v[0] == '-' || v[0] == '+')) &&
	    v[(v[0] == '-' || v[0] == '+')]) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0')
			return hv_int64(n);
	}
	return hv_str(v);
}

static int set_in(cf_helm_val *m, const char *k, cf_helm_val *v)
{
	if (!v)
		return cf_error_set(CF_ENOMEM, "out of memory");
	return hv_map_set(m, k, strlen(k), v) < 0 ? cf_error_set(CF_ENOMEM, "out of memory") : 0;
}

/* "{a,b}" lists; 1 when the value is not a list (nothing consumed). */
static int val_list(sv_parser *p, cf_helm_val **out)
{
	cf_helm_val *l;
	char last;
	if (p->pos >= p->len || p->s[p->pos] != '{')
		return 1;
	p->pos++;
	if (!(l = hv_list(CF_HELM_LIST_ANY, 4)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (;;) {
		char *v = read_until(p, ",}", &last);
		if (!v || hv_list_push(l, typed(v, p->as_string)) < 0) {
			free(v);
			hv_unref(l);
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
		free(v);
		if (last == '}')
			break;
		if (last == 0) {
			hv_unref(l);
			return cf_error_set(CF_EPARSE, "list must terminate with '}'");
		}
	}
	/* A ',' after the list is consumed; anything else starts the next key. */
	if (p->pos < p->len && p->s[p->pos] == ',')
		p->pos++;
	*out = l;
	return 0;
}

static int parse_key(sv_parser *p, cf_helm_val *data, int depth);

static int list_set(cf_helm_val *l, size_t idx, cf_helm_val *v)
{
	if (!v)
		return cf_error_set(CF_ENOMEM, "out of memory");
	while (l->l.len <= idx)
		if (hv_list_push(l, HV_NIL) < 0) {
			hv_unref(v);
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
	hv_unref(l->l.items[idx]);
	l->l.items[idx] = v;
	return 0;
}

/* Reads "<n>]" after a '['. */
static int read_index(sv_parser *p, long *idx)
{
	char last, *num = read_until(p, "]", &last), *end;
	int err = 0;

	if (!num)
		return cf_error_set(CF_ENOMEM, "out of memory");
	*idx = strtol(num, &end, 10);
	if (last != ']')
		err = cf_error_set(CF_EPARSE, "error parsing index: EOF");
	else if (!*num || *end)
		err = cf_error_set(CF_EPARSE, "error parsing index: strconv.Atoi: parsing \"%s\": "
		                   "invalid syntax", num);
	else if (*idx < 0)
		err = cf_error_set(CF_EPARSE, "negative %ld index not allowed", *idx);
	else if (*idx > MAX_INDEX)
		err = cf_error_set(CF_ELIMIT, "index of %ld is greater than maximum supported index "
		                   "of %d", *idx, MAX_INDEX);
	free(num);
	return err;
}

/* l[idx] followed by '=', '.' or another '[', as strvals' listItem. */
static int list_item(sv_parser *p, cf_helm_val *l, const char *key, int depth)
{
	cf_helm_val *v = NULL, *cur;
	long idx = 0;
	char last, *junk;
	int err;

	if (depth > MAX_NEST)
		return cf_error_set(CF_ELIMIT, "value name nested level is greater than maximum "
		                    "supported nested level of %d", MAX_NEST);
	if ((err = read_index(p, &idx)) < 0)
		return err;
	if (!(junk = read_until(p, "[.=", &last)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if (*junk) {
		hbuf b;
		hbuf_init(&b, 0);
		for (const char *c = junk; *c; c++)
			hbuf_printf(&b, "%s'%c'", c == junk ? "" : " ", *c);
		err = cf_error_set(CF_EPARSE, "unexpected data at end of array index: [%s]",
		                   b.p ? b.p : "");
		hbuf_free(&b);
		free(junk);
		return err;
	}
	free(junk);
	if (last == 0)
		return 0;
	(void)key;
	cur = (size_t)idx < l->l.len ? l->l.items[idx] : NULL;
	if (last == '=') {
		char *s;
		if ((err = val_list(p, &v)) < 0)
			return err;
		if (err == 1) {
			if (!(s = read_until(p, ",", &last)))
				return cf_error_set(CF_ENOMEM, "out of memory");
			v = typed(s, p->as_string);
			free(s);
		}
		return list_set(l, (size_t)idx, v);
	}
	if (last == '.') {
		if (!cur || cur->kind != CF_HELM_MAP) {
			if ((err = list_set(l, (size_t)idx, hv_map())) < 0)
				return err;
			cur = l->l.items[idx];
		}
		return parse_key(p, cur, depth + 1);
	}
	if (last == '[') {
		if (!cur || cur->kind != CF_HELM_LIST) {
			if ((err = list_set(l, (size_t)idx, hv_list(CF_HELM_LIST_ANY, 4))) < 0)
				return err;
			cur = l->l.items[idx];
		}
		return list_item(p, cur, key, depth + 1);
	}
	return cf_error_set(CF_EPARSE, "parse error: unexpected token %c", last);
}

/* key[idx]... : the list under key of data. */
static int parse_index(sv_parser *p, cf_helm_val *data, const char *key, int depth)
{
	cf_helm_val *l = hv_map_get(data, key, strlen(key));
	int err;

	if (!l || l->kind != CF_HELM_LIST) {
		if ((err = set_in(data, key, hv_list(CF_HELM_LIST_ANY, 4))) < 0)
			return err;
		l = hv_map_get(data, key, strlen(key));
	}
	return list_item(p, l, key, depth + 1);
}

/* Helm's message when a key to descend into holds something other than a map. */
static int not_a_map(const cf_helm_val *v)
{
	return cf_error_set(CF_EINVALID, "unable to parse key: interface conversion: interface {} "
	                    "is %s, not map[string]interface {}",
	                    hv_is_nil(v) ? "nil" : hv_type_name(v));
}

/* One key=value (with nested keys), as strvals' parser.key. */
static int parse_key(sv_parser *p, cf_helm_val *data, int depth)
{
	char last, *k;
	int err = 0;
	cf_helm_val *v = NULL;

	if (depth > MAX_NEST)
		return cf_error_set(CF_ELIMIT, "value name nested level is greater than maximum "
		                    "supported nested level of %d", MAX_NEST);
	if (!(k = read_until(p, "=[,.", &last)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	switch (last) {
	case 0:
		if (*k)
			err = cf_error_set(CF_EPARSE, "key \"%s\" has no value", k);
		break;
	case ',':
		err = cf_error_set(CF_EPARSE, "key \"%s\" has no value (cannot end with ,)", k);
		break;
	case '=':
		if ((err = val_list(p, &v)) == 1) {
			char *s = read_until(p, ",", &last);
			if (!s) {
				err = cf_error_set(CF_ENOMEM, "out of memory");
				break;
			}
			v = typed(s, p->as_string);
			free(s);
			err = 0;
		}
		if (err == 0 && *k)
			err = set_in(data, k, v);
		else
			hv_unref(v);
		break;
	case '.': {
		/* A key that is empty is never set, so its map stays apart from data. */
		cf_helm_val *m = *k ? hv_map_get(data, k, strlen(k)) : NULL, *own = NULL;
		if (m && m->kind != CF_HELM_MAP) {
			err = not_a_map(m);
			break;
		}
		if (!m) {
			if (!(own = hv_map())) {
				err = cf_error_set(CF_ENOMEM, "out of memory");
				break;
			}
			m = own;
		}
		err = parse_key(p, m, depth + 1);
		if (err == 0 && m->m.len == 0)
			err = cf_error_set(CF_EPARSE, "key map \"%s\" has no value", k);
		if (err == 0 && own && *k)
			err = set_in(data, k, hv_ref(own));
		hv_unref(own);
		break;
	}
	case '[':
		err = parse_index(p, data, k, depth);
		break;
	}
	free(k);
	return err;
}

int chart_strvals_parse(cf_helm_val *vals, const char *s, int as_string)
{
	sv_parser p = { .s = s, .len = strlen(s), .as_string = as_string };
	int err = 0;
	while (err == 0 && p.pos < p.len)
		err = parse_key(&p, vals, 0);
	return err < 0 ? cf_error_wrap(err, "failed parsing --set%s data: ", as_string ? "-string" : "")
	               : 0;
}
