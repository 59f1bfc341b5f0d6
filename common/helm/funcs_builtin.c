/* Go text/template's builtin functions: comparisons, index, len, not, print family, escapers. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "utf8.h"

#define OUT_BOOL(b) (*out = hv_bool(b), *out ? 0 : CF_ENOMEM)

enum { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING, K_UINT };

static int basic_kind(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_BOOL: return K_BOOL;
	case CF_HELM_INT: return K_INT;
	case CF_HELM_UINT: return K_UINT;
	case CF_HELM_FLOAT: return K_FLOAT;
	case CF_HELM_STR: return K_STRING;
	default: return K_INVALID;
	}
}

static int errorf_val(const char *prefix, const cf_helm_val *a, const char *mid, const cf_helm_val *b)
{
	char *sa = hv_strval(a, NULL), *sb = b ? hv_strval(b, NULL) : NULL;
	cf_error_set(CF_EINVALID, "%s%s%s%s", prefix, sa ? sa : "", mid, sb ? sb : "");
	free(sa);
	free(sb);
	return CF_EINVALID;
}

/* Go's eq for one pair; *truth set, or an error. */
static int eq_pair(const cf_helm_val *a, const cf_helm_val *b, bool *truth)
{
	int k1 = basic_kind(a), k2 = basic_kind(b);
	*truth = false;
	if (k1 != k2) {
		if (k1 == K_INT && k2 == K_UINT)
			*truth = a->i >= 0 && (uint64_t)a->i == b->u;
		else if (k1 == K_UINT && k2 == K_INT)
			*truth = b->i >= 0 && a->u == (uint64_t)b->i;
		else if (a->kind != CF_HELM_NIL && b->kind != CF_HELM_NIL)
			return cf_error_set(CF_EINVALID, "incompatible types for comparison: %s and %s",
			                    hv_type_name(a), hv_type_name(b));
		return 0;
	}
	switch (k1) {
	case K_BOOL: *truth = a->b == b->b; return 0;
	case K_FLOAT: *truth = a->f == b->f; return 0;
	case K_INT: *truth = a->i == b->i; return 0;
	case K_UINT: *truth = a->u == b->u; return 0;
	case K_STRING:
		*truth = a->s.len == b->s.len && !memcmp(a->s.p, b->s.p, a->s.len);
		return 0;
	}
	/* Neither is a basic kind: nil, list, map or struct. */
	if (a->kind != b->kind && a->kind != CF_HELM_NIL && b->kind != CF_HELM_NIL) {
		hbuf sa;
		char *sb = hv_strval(b, NULL);
		cf_helm_val *arg = (cf_helm_val *)a;
		hbuf_init(&sa, 0);
		fmt_sprintf(&sa, "%s", 2, &arg, 1);
		cf_error_set(CF_EINVALID, "non-comparable types %s: %s, %s: %s", sa.p ? sa.p : "",
		             hv_type_name(a), hv_type_name(b), sb ? sb : "");
		hbuf_free(&sa);
		free(sb);
		return CF_EINVALID;
	}
	if (a->kind == CF_HELM_NIL || b->kind == CF_HELM_NIL) {
		*truth = a->kind == b->kind;
		return 0;
	}
	if (b->kind == CF_HELM_LIST || b->kind == CF_HELM_MAP) {
		hbuf sb;
		cf_helm_val *arg = (cf_helm_val *)b;
		hbuf_init(&sb, 0);
		fmt_sprintf(&sb, "%s", 2, &arg, 1);
		cf_error_set(CF_EINVALID, "non-comparable type %s: %s", sb.p ? sb.p : "", hv_type_name(b));
		hbuf_free(&sb);
		return CF_EINVALID;
	}
	*truth = hv_deep_equal(a, b, 0);
	return 0;
}

static int fn_eq(fcall *c, cf_helm_val **out)
{
	size_t i;
	if (c->nargs < 2)
		return cf_error_set(CF_EINVALID, "missing argument for comparison");
	for (i = 1; i < c->nargs; i++) {
		bool t;
		int r = eq_pair(c->args[0], c->args[i], &t);
		if (r < 0)
			return r;
		if (t)
			return OUT_BOOL(true);
	}
	return OUT_BOOL(false);
}

static int fn_ne(fcall *c, cf_helm_val **out)
{
	bool t;
	int r = eq_pair(c->args[0], c->args[1], &t);
	return r < 0 ? r : OUT_BOOL(!t);
}

static int lt_pair(const cf_helm_val *a, const cf_helm_val *b, bool *truth)
{
	int k1 = basic_kind(a), k2 = basic_kind(b);
	if (k1 == K_INVALID || k2 == K_INVALID)
		return cf_error_set(CF_EINVALID, "invalid type for comparison");
	if (k1 != k2) {
		if (k1 == K_INT && k2 == K_UINT)
			*truth = a->i < 0 || (uint64_t)a->i < b->u;
		else if (k1 == K_UINT && k2 == K_INT)
			*truth = b->i >= 0 && a->u < (uint64_t)b->i;
		else
			return cf_error_set(CF_EINVALID, "incompatible types for comparison: %s and %s",
			                    hv_type_name(a), hv_type_name(b));
		return 0;
	}
	switch (k1) {
	case K_BOOL: return cf_error_set(CF_EINVALID, "invalid type for comparison");
	case K_FLOAT: *truth = a->f < b->f; return 0;
	case K_INT: *truth = a->i < b->i; return 0;
	case K_UINT: *truth = a->u < b->u; return 0;
	default: {
		size_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
		int cmp = memcmp(a->s.p, b->s.p, n);
		*truth = cmp < 0 || (cmp == 0 && a->s.len < b->s.len);
		return 0;
	}
	}
}

static int le_pair(const cf_helm_val *a, const cf_helm_val *b, bool *truth)
{
	int r = lt_pair(a, b, truth);
	if (r < 0 || *truth)
		return r;
	return eq_pair(a, b, truth);
}

static int fn_lt(fcall *c, cf_helm_val **out)
{
	bool t;
	int r = lt_pair(c->args[0], c->args[1], &t);
	return r < 0 ? r : OUT_BOOL(t);
}

static int fn_le(fcall *c, cf_helm_val **out)
{
	bool t;
	int r = le_pair(c->args[0], c->args[1], &t);
	return r < 0 ? r : OUT_BOOL(t);
}

static int fn_gt(fcall *c, cf_helm_val **out)
{
	bool t;
	int r = le_pair(c->args[0], c->args[1], &t);
	return r < 0 ? r : OUT_BOOL(!t);
}

static int fn_ge(fcall *c, cf_helm_val **out)
{
	bool t;
	int r = lt_pair(c->args[0], c->args[1], &t);
	return r < 0 ? r : OUT_BOOL(!t);
}

static int fn_not(fcall *c, cf_helm_val **out)
{
	return OUT_BOOL(!hv_truth(c->args[0]));
}

/* and/or are evaluated lazily by the executor; these rows only carry the signature. */
static int fn_and_or(fcall *c, cf_helm_val **out)
{
	(void)c;
	(void)out;
	return cf_error_set(CF_EINTERNAL, "and/or evaluated outside the executor");
}

static int fn_len(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *v = c->args[0];
	switch (v->kind) {
	case CF_HELM_STR: *out = hv_int((int64_t)v->s.len); break;
	case CF_HELM_LIST: *out = hv_int((int64_t)v->l.len); break;
	case CF_HELM_MAP: *out = hv_int((int64_t)v->m.len); break;
	case CF_HELM_NIL:
		if (v->sub)
			return cf_error_set(CF_EINVALID, "len of nil pointer");
		return cf_error_set(CF_EINVALID, "reflect: call of reflect.Value.Type on zero Value");
	default:
		return cf_error_set(CF_EINVALID, "len of type %s", hv_type_name(v));
	}
	return *out ? 0 : CF_ENOMEM;
}

static int index_list(const cf_helm_val *item, const cf_helm_val *idx, size_t len, int64_t *x)
{
	if (idx->kind == CF_HELM_INT)
		*x = idx->i;
	else if (idx->kind == CF_HELM_UINT)
		*x = (int64_t)idx->u;
	else if (idx->kind == CF_HELM_NIL)
		return cf_error_set(CF_EINVALID, "cannot index slice/array with nil");
	else
		return cf_error_set(CF_EINVALID, "cannot index slice/array with type %s", hv_type_name(idx));
	(void)item;
	if (*x < 0 || (uint64_t)*x > len)
		return cf_error_set(CF_EINVALID, "index out of range: %lld", (long long)*x);
	if ((uint64_t)*x == len)
		return cf_error_set(CF_EINVALID, "reflect: slice index out of range");
	return 0;
}

static int fn_index(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *item = c->args[0];
	size_t i;
	if (item->kind == CF_HELM_NIL)
		return cf_error_set(CF_EINVALID, "index of untyped nil");
	for (i = 1; i < c->nargs; i++) {
		const cf_helm_val *idx = c->args[i];
		int64_t x;
		int r;
		if (item->kind == CF_HELM_NIL)
			return cf_error_set(CF_EINVALID, "index of nil pointer");
		switch (item->kind) {
		case CF_HELM_LIST:
			if ((r = index_list(item, idx, item->l.len, &x)) < 0)
				return r;
			item = item->l.items[x];
			break;
		case CF_HELM_STR:
			if ((r = index_list(item, idx, item->s.len, &x)) < 0)
				return r;
			*out = hv_uint((unsigned char)item->s.p[x]);
			if (!*out)
				return CF_ENOMEM;
			if (i + 1 < c->nargs) {
				hv_unref(*out);
				return cf_error_set(CF_EINVALID, "can't index item of type uint8");
			}
			return 0;
		case CF_HELM_MAP:
			if (idx->kind == CF_HELM_NIL)
				return cf_error_set(CF_EINVALID, "value is nil; should be of type string");
			if (idx->kind != CF_HELM_STR)
				return cf_error_set(CF_EINVALID, "value has type %s; should be string",
				                    hv_type_name(idx));
			item = hv_map_get(item, idx->s.p, idx->s.len);
			if (!item)
				item = HV_NIL;
			break;
		default:
			return cf_error_set(CF_EINVALID, "can't index item of type %s", hv_type_name(item));
		}
	}
	*out = hv_ref((cf_helm_val *)item);
	return 0;
}

static int fn_print(fcall *c, cf_helm_val **out)
{
	hbuf b;
	hbuf_init(&b, exec_value_limit(c->st));
	if (fmt_sprint(&b, c->args, c->nargs) < 0) {
		int e = b.err;
		hbuf_free(&b);
		return e == CF_ELIMIT ? cf_error_set(CF_ELIMIT, "result too large or nested too deeply") : CF_ENOMEM;
	}
	{
		size_t len;
		char *s = hbuf_take(&b, &len);
		*out = hv_str_take(s, len);
	}
	return *out ? 0 : CF_ENOMEM;
}

static int fn_println(fcall *c, cf_helm_val **out)
{
	hbuf b;
	size_t len;
	char *s;
	hbuf_init(&b, exec_value_limit(c->st));
	if (fmt_sprintln(&b, c->args, c->nargs) < 0) {
		int e = b.err;
		hbuf_free(&b);
		return e == CF_ELIMIT ? cf_error_set(CF_ELIMIT, "result too large or nested too deeply") : CF_ENOMEM;
	}
	s = hbuf_take(&b, &len);
	*out = hv_str_take(s, len);
	return *out ? 0 : CF_ENOMEM;
}

static int fn_printf(fcall *c, cf_helm_val **out)
{
	hbuf b;
	size_t len;
	char *s;
	hbuf_init(&b, exec_value_limit(c->st));
	if (fmt_sprintf(&b, c->args[0]->s.p, c->args[0]->s.len, c->args + 1, c->nargs - 1) < 0) {
		int e = b.err;
		hbuf_free(&b);
		return e == CF_ELIMIT ? cf_error_set(CF_ELIMIT, "result too large or nested too deeply") : CF_ENOMEM;
	}
	s = hbuf_take(&b, &len);
	*out = hv_str_take(s, len);
	return *out ? 0 : CF_ENOMEM;
}

/* text/template's evalArgs: one string argument as is, otherwise Sprint with nil as <no value>. */
static char *eval_args(fcall *c, size_t *len)
{
	hbuf b;
	size_t i;
	bool prev_str = false;
	if (c->nargs == 1 && c->args[0]->kind == CF_HELM_STR) {
		*len = c->args[0]->s.len;
		return hv_strval(c->args[0], NULL);
	}
	hbuf_init(&b, exec_value_limit(c->st));
	for (i = 0; i < c->nargs; i++) {
		bool is_str = c->args[i]->kind == CF_HELM_STR || c->args[i]->kind == CF_HELM_NIL;
		if (i > 0 && !is_str && !prev_str)
			hbuf_putc(&b, ' ');
		if (c->args[i]->kind == CF_HELM_NIL)
			hbuf_puts(&b, "<no value>");
		else
			fmt_value(&b, c->args[i]);
		prev_str = is_str;
	}
	if (b.err) {
		hbuf_free(&b);
		return NULL;
	}
	return hbuf_take(&b, len);
}

static int fn_html(fcall *c, cf_helm_val **out)
{
	size_t len, i;
	char *s = eval_args(c, &len);
	hbuf b;
	if (!s)
		return CF_ENOMEM;
	hbuf_init(&b, 0);
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\0': hbuf_puts(&b, "\xef\xbf\xbd"); break;
		case '"': hbuf_puts(&b, "&#34;"); break;
		case '\'': hbuf_puts(&b, "&#39;"); break;
		case '&': hbuf_puts(&b, "&amp;"); break;
		case '<': hbuf_puts(&b, "&lt;"); break;
		case '>': hbuf_puts(&b, "&gt;"); break;
		default: hbuf_putc(&b, s[i]);
		}
	}
	free(s);
	s = hbuf_take(&b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static bool js_rune_printable(uint32_t r)
{
	return !(r >= 0x80 && r < 0xa0) && r != 0xad && !(r >= 0x2028 && r <= 0x202e) && r != 0xfeff &&
	       r != UTF8_BAD;
}

static int fn_js(fcall *c, cf_helm_val **out)
{
	size_t len, i = 0;
	char *s = eval_args(c, &len);
	hbuf b;
	if (!s)
		return CF_ENOMEM;
	hbuf_init(&b, 0);
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x80) {
			switch (ch) {
			case '\\': hbuf_puts(&b, "\\\\"); break;
			case '\'': hbuf_puts(&b, "\\'"); break;
			case '"': hbuf_puts(&b, "\\\""); break;
			case '<': hbuf_puts(&b, "\\u003C"); break;
			case '>': hbuf_puts(&b, "\\u003E"); break;
			case '&': hbuf_puts(&b, "\\u0026"); break;
			case '=': hbuf_puts(&b, "\\u003D"); break;
			default:
				if (ch < ' ')
					hbuf_printf(&b, "\\u00%02X", ch);
				else
					hbuf_putc(&b, (char)ch);
			}
			i++;
		} else {
			uint32_t r;
			size_t w = utf8_decode(s + i, len - i, &r);
			if (js_rune_printable(r))
				hbuf_put(&b, s + i, w);
			else
				hbuf_printf(&b, "\\u%04X", r);
			i += w;
		}
	}
	free(s);
	s = hbuf_take(&b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_urlquery(fcall *c, cf_helm_val **out)
{
	size_t len, i;
	char *s = eval_args(c, &len);
	hbuf b;
	if (!s)
		return CF_ENOMEM;
	hbuf_init(&b, 0);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~')
			hbuf_putc(&b, (char)ch);
		else if (ch == ' ')
			hbuf_putc(&b, '+');
		else
			hbuf_printf(&b, "%%%02X", ch);
	}
	free(s);
	s = hbuf_take(&b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_call(fcall *c, cf_helm_val **out)
{
	(void)out;
	if (c->args[0]->kind == CF_HELM_NIL)
		return cf_error_set(CF_EINVALID, "call of nil");
	return errorf_val("non-function ", c->args[0], " of type ", NULL);
}

const func_def funcs_builtin[] = {
	{ "and", fn_and_or, 1, 1, { PT_VALUE }, PT_VALUE },
	{ "or", fn_and_or, 1, 1, { PT_VALUE }, PT_VALUE },
	{ "not", fn_not, 1, 0, { PT_VALUE }, 0 },
	{ "call", fn_call, 1, 1, { PT_VALUE }, PT_VALUE },
	{ "html", fn_html, 0, 1, { 0 }, PT_ANY },
	{ "js", fn_js, 0, 1, { 0 }, PT_ANY },
	{ "urlquery", fn_urlquery, 0, 1, { 0 }, PT_ANY },
	{ "index", fn_index, 1, 1, { PT_VALUE }, PT_VALUE },
	{ "len", fn_len, 1, 0, { PT_VALUE }, 0 },
	{ "print", fn_print, 0, 1, { 0 }, PT_ANY },
	{ "printf", fn_printf, 1, 1, { PT_STR }, PT_ANY },
	{ "println", fn_println, 0, 1, { 0 }, PT_ANY },
	{ "eq", fn_eq, 1, 1, { PT_VALUE }, PT_VALUE },
	{ "ne", fn_ne, 2, 0, { PT_VALUE, PT_VALUE }, 0 },
	{ "lt", fn_lt, 2, 0, { PT_VALUE, PT_VALUE }, 0 },
	{ "le", fn_le, 2, 0, { PT_VALUE, PT_VALUE }, 0 },
	{ "gt", fn_gt, 2, 0, { PT_VALUE, PT_VALUE }, 0 },
	{ "ge", fn_ge, 2, 0, { PT_VALUE, PT_VALUE }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
