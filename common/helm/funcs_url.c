/* Sprig's urlParse/urlJoin (Go's net/url) and Helm's toToml (BurntSushi/toml's encoder). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int ret_buf(hbuf *b, cf_helm_val **out)
{
	size_t len;
	char *s;
	if (b->err) {
		hbuf_free(b);
		return CF_ENOMEM;
	}
	s = hbuf_take(b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decoding; -1 on a malformed escape. */
static int unescape(hbuf *b, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || hexv(s[i + 1]) < 0 || hexv(s[i + 2]) < 0)
				return -1;
			hbuf_putc(b, (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2])));
			i += 2;
		} else {
			hbuf_putc(b, s[i]);
		}
	}
	return 0;
}

static int set_part(cf_helm_val *m, const char *k, const char *s, size_t n, bool decode)
{
	hbuf b;
	size_t len;
	char *p;
	hbuf_init(&b, 0);
	if (decode ? unescape(&b, s, n) < 0 : hbuf_put(&b, s, n) < 0) {
		hbuf_free(&b);
		return -1;
	}
	p = hbuf_take(&b, &len);
	return p ? hv_map_set(m, k, strlen(k), hv_str_take(p, len)) : CF_ENOMEM;
}

static int fn_url_parse(fcall *c, cf_helm_val **out)
{
	const char *s = c->args[0]->s.p, *end = s + c->args[0]->s.len, *p = s, *q;
	const char *scheme_end = NULL, *frag, *query, *auth = NULL, *auth_end = NULL;
	cf_helm_val *m = hv_map();
	int r = 0;
	if (!m)
		return CF_ENOMEM;
	frag = memchr(s, '#', (size_t)(end - s));
	if (frag) {
		r |= set_part(m, "fragment", frag + 1, (size_t)(end - frag - 1), true);
		end = frag;
	} else {
		r |= set_part(m, "fragment", "", 0, false);
	}
	if (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
		for (q = p; q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		                        (*q >= '0' && *q <= '9') || *q == '+' || *q == '-' || *q == '.');
		     q++)
			;
		if (q < end && *q == ':')
			scheme_end = q;
	}
	if (scheme_end) {
		hbuf b;
		size_t i, len;
		char *low;
		hbuf_init(&b, 0);
		for (i = 0; i < (size_t)(scheme_end - p); i++)
			hbuf_putc(&b, (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]));
		low = hbuf_take(&b, &len);
		r |= low ? hv_map_set(m, "scheme", 6, hv_str_take(low, len)) : CF_ENOMEM;
		p = scheme_end + 1;
	} else {
		r |= set_part(m, "scheme", "", 0, false);
	}
	query = memchr(p, '?', (size_t)(end - p));
	if (query) {
		r |= set_part(m, "query", query + 1, (size_t)(end - query - 1), false);
		end = query;
	} else {
		r |= set_part(m, "query", "", 0, false);
	}
	if (scheme_end && p < end && *p != '/') {
		r |= set_part(m, "opaque", p, (size_t)(end - p), false);
		p = end;
	} else {
		r |= set_part(m, "opaque", "", 0, false);
	}
	if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
		auth = p + 2;
		auth_end = auth;
		while (auth_end < end && *auth_end != '/')
			auth_end++;
		p = auth_end;
	}
	if (auth) {
		const char *at = NULL, *x, *host, *colon = NULL;
		for (x = auth; x < auth_end; x++)
			if (*x == '@')
				at = x;
		host = at ? at + 1 : auth;
		r |= set_part(m, "userinfo", auth, at ? (size_t)(at - auth) : 0, false);
		r |= set_part(m, "host", host, (size_t)(auth_end - host), true);
		if (host < auth_end && *host == '[') {
			const char *rb = memchr(host, ']', (size_t)(auth_end - host));
			r |= set_part(m, "hostname", host + 1, rb ? (size_t)(rb - host - 1) : 0, false);
		} else {
			for (x = host; x < auth_end; x++)
				if (*x == ':')
					colon = x;
			r |= set_part(m, "hostname", host, (size_t)((colon ? colon : auth_end) - host), true);
		}
	} else {
		r |= set_part(m, "userinfo", "", 0, false);
		r |= set_part(m, "host", "", 0, false);
		r |= set_part(m, "hostname", "", 0, false);
	}
	r |= set_part(m, "path", p, (size_t)(end - p), true);
	if (r) {
		hv_unref(m);
		return cf_error_set(CF_EINVALID, "unable to parse url: parse \"%s\": invalid URL escape",
		                    c->args[0]->s.p);
	}
	*out = m;
	return 0;
}

static const char *part(const cf_helm_val *d, const char *k)
{
	const cf_helm_val *v = hv_map_get(d, k, strlen(k));
	return v && v->kind == CF_HELM_STR ? v->s.p : "";
}

/* Go's url.escape for paths and fragments: keeps unreserved characters and sub-delims. */
static void escape_into(hbuf *b, const char *s, const char *keep)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-_.~", ch) || (ch && strchr(keep, ch)))
			hbuf_putc(b, (char)ch);
		else
			hbuf_printf(b, "%%%02X", ch);
	}
}

static int fn_url_join(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *d = c->args[0];
	const char *scheme = part(d, "scheme"), *opaque = part(d, "opaque"), *host = part(d, "host");
	const char *user = part(d, "userinfo"), *path = part(d, "path"), *query = part(d, "query");
	const char *frag = part(d, "fragment");
	hbuf b;
	hbuf_init(&b, 0);
	if (*scheme) {
		hbuf_puts(&b, scheme);
		hbuf_putc(&b, ':');
	}
	if (*opaque) {
		hbuf_puts(&b, opaque);
	} else {
		if (*scheme || *host || *user) {
			if (*host || *path || *user)
				hbuf_puts(&b, "//");
			if (*user) {
				hbuf_puts(&b, user);
				hbuf_putc(&b, '@');
			}
			hbuf_puts(&b, host);
		}
		if (*path && path[0] != '/' && *host)
			hbuf_putc(&b, '/');
		escape_into(&b, path, "/!$&'()*+,;=:@");
	}
	if (*query) {
		hbuf_putc(&b, '?');
		hbuf_puts(&b, query);
	}
	if (*frag) {
		hbuf_putc(&b, '#');
		escape_into(&b, frag, "/?!$&'()*+,;=:@");
	}
	return ret_buf(&b, out);
}

/* ---- TOML ---- */

static bool bare_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
		      *k == '_' || *k == '-'))
			return false;
	return true;
}

static void toml_key(hbuf *b, const char *k)
{
	if (bare_key(k))
		hbuf_puts(b, k);
	else
		fmt_quote(b, k, strlen(k));
}

static int toml_value(hbuf *b, const cf_helm_val *v, int depth)
{
	size_t i;
	char num[64];
	if (depth > 1000)
		return CF_ELIMIT;
	switch (v->kind) {
	case CF_HELM_BOOL: return hbuf_puts(b, v->b ? "true" : "false");
	case CF_HELM_INT: return hbuf_printf(b, "%lld", (long long)v->i);
	case CF_HELM_UINT: return hbuf_printf(b, "%llu", (unsigned long long)v->u);
	case CF_HELM_FLOAT:
		if (isnan(v->f))
			return hbuf_puts(b, "nan");
		if (isinf(v->f))
			return hbuf_puts(b, v->f > 0 ? "inf" : "-inf");
		fmt_float_json(num, sizeof(num), v->f);
		if (strchr(num, 'e')) {
			snprintf(num, sizeof(num), "%.17g", v->f);
		}
		hbuf_puts(b, num);
		return strpbrk(num, ".e") ? 0 : hbuf_puts(b, ".0");
	case CF_HELM_STR: return fmt_quote(b, v->s.p, v->s.len);
	case CF_HELM_LIST:
		hbuf_putc(b, '[');
		for (i = 0; i < v->l.len; i++) {
			int r;
			if (i)
				hbuf_puts(b, ", ");
			if ((r = toml_value(b, v->l.items[i], depth + 1)) < 0)
				return r;
		}
		return hbuf_putc(b, ']');
	default:
		return CF_EINVALID;
	}
}

static bool is_table(const cf_helm_val *v)
{
	return v->kind == CF_HELM_MAP || v->kind == CF_HELM_OBJ;
}

static bool is_table_array(const cf_helm_val *v)
{
	size_t i;
	if (v->kind != CF_HELM_LIST || !v->l.len)
		return false;
	for (i = 0; i < v->l.len; i++)
		if (!is_table(v->l.items[i]))
			return false;
	return true;
}

static void indent(hbuf *b, int n)
{
	int i;
	for (i = 0; i < n; i++)
		hbuf_puts(b, "  ");
}

static int toml_table(hbuf *b, const cf_helm_val *m, const char *prefix, int depth)
{
	size_t i, n = m->kind == CF_HELM_MAP ? m->m.len : m->o.n;
	int r;
	if (depth > 1000)
		return CF_ELIMIT;
	for (i = 0; i < n; i++) {
		const char *k = m->kind == CF_HELM_MAP ? m->m.pairs[i].key : m->o.names[i];
		const cf_helm_val *v = m->kind == CF_HELM_MAP ? m->m.pairs[i].val : m->o.vals[i];
		if (v->kind == CF_HELM_NIL || is_table(v) || is_table_array(v))
			continue;
		indent(b, depth);
		toml_key(b, k);
		hbuf_puts(b, " = ");
		if ((r = toml_value(b, v, 0)) < 0)
			return r;
		hbuf_putc(b, '\n');
	}
	for (i = 0; i < n; i++) {
		const char *k = m->kind == CF_HELM_MAP ? m->m.pairs[i].key : m->o.names[i];
		const cf_helm_val *v = m->kind == CF_HELM_MAP ? m->m.pairs[i].val : m->o.vals[i];
		hbuf name;
		size_t j;
		if (!is_table(v) && !is_table_array(v))
			continue;
		hbuf_init(&name, 0);
		if (*prefix) {
			hbuf_puts(&name, prefix);
			hbuf_putc(&name, '.');
		}
		toml_key(&name, k);
		if (name.err) {
			hbuf_free(&name);
			return CF_ENOMEM;
		}
		for (j = 0; j < (is_table(v) ? 1 : v->l.len); j++) {
			const cf_helm_val *t = is_table(v) ? v : v->l.items[j];
			if (b->len)
				hbuf_putc(b, '\n');
			indent(b, depth);
			hbuf_puts(b, is_table(v) ? "[" : "[[");
			hbuf_puts(b, name.p);
			hbuf_puts(b, is_table(v) ? "]\n" : "]]\n");
			if ((r = toml_table(b, t, name.p, depth + 1)) < 0) {
				hbuf_free(&name);
				return r;
			}
		}
		hbuf_free(&name);
	}
	return b->err;
}

static int fn_to_toml(fcall *c, cf_helm_val **out)
{
	hbuf b;
	int r;
	hbuf_init(&b, exec_value_limit(c->st));
	if (!is_table(c->args[0])) {
		hbuf_puts(&b, "toml: top-level values must be Go maps or structs");
		return ret_buf(&b, out);
	}
	if ((r = toml_table(&b, c->args[0], "", 0)) < 0) {
		hbuf_free(&b);
		if (r == CF_ENOMEM)
			return r;
		hbuf_init(&b, 0);
		hbuf_puts(&b, "toml: unsupported value");
	}
	return ret_buf(&b, out);
}

/* Helm's fromToml needs a TOML reader, which this module does not have yet. */
static int fn_from_toml(fcall *c, cf_helm_val **out)
{
	(void)c;
	(void)out;
	return cf_error_set(CF_EUNSUPPORTED, "fromToml is not supported");
}

const func_def funcs_url[] = {
	{ "urlParse", fn_url_parse, 1, 0, { PT_STR }, 0 },
	{ "urlJoin", fn_url_join, 1, 0, { PT_MAP }, 0 },
	{ "toToml", fn_to_toml, 1, 0, { PT_ANY }, 0 },
	{ "fromToml", fn_from_toml, 1, 0, { PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
