/* JSON as Go's encoding/json writes and reads it, and the toJson/fromJson family of functions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "utf8.h"

#define MAX_JSON_DEPTH HV_MAX_DEPTH

static int json_quote(hbuf *b, const char *s, size_t n, int escape_html)
{
	size_t i = 0;
	hbuf_putc(b, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				hbuf_putc(b, '\\');
				hbuf_putc(b, (char)c);
			} else if (c == '\n') {
				hbuf_puts(b, "\\n");
			} else if (c == '\r') {
				hbuf_puts(b, "\\r");
			} else if (c == '\t') {
				hbuf_puts(b, "\\t");
			} else if (c == '\b') {
				hbuf_puts(b, "\\b");
			} else if (c == '\f') {
				hbuf_puts(b, "\\f");
			} else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
				hbuf_printf(b, "\\u00%02x", c);
			} else {
				hbuf_putc(b, (char)c);
			}
			i++;
			continue;
		}
		{
			uint32_t r;
			size_t w = utf8_decode(s + i, n - i, &r);
			if (r == UTF8_BAD && w == 1)
				hbuf_puts(b, "\\ufffd");
			else if (r == 0x2028 || r == 0x2029)
				hbuf_printf(b, "\\u%04x", r);
			else
				hbuf_put(b, s + i, w);
			i += w;
		}
	}
	return hbuf_putc(b, '"');
}

static void newline(hbuf *b, int indent, int depth)
{
	int i;
	hbuf_putc(b, '\n');
	for (i = 0; i < indent * depth; i++)
		hbuf_putc(b, ' ');
}

int json_emit(hbuf *b, const cf_helm_val *v, int indent, int escape_html, int depth)
{
	size_t i;
	char num[64];
	if (depth > MAX_JSON_DEPTH)
		return cf_error_set(CF_ELIMIT, "json: value nested too deeply");
	switch (v->kind) {
	case CF_HELM_NIL: return hbuf_puts(b, "null");
	case CF_HELM_BOOL: return hbuf_puts(b, v->b ? "true" : "false");
	case CF_HELM_INT: return hbuf_printf(b, "%lld", (long long)v->i);
	case CF_HELM_UINT: return hbuf_printf(b, "%llu", (unsigned long long)v->u);
	case CF_HELM_FLOAT:
		if (isnan(v->f) || isinf(v->f)) {
			fmt_float_g(num, sizeof(num), v->f);
			return cf_error_set(CF_EINVALID, "json: unsupported value: %s", num);
		}
		fmt_float_json(num, sizeof(num), v->f);
		return hbuf_puts(b, num);
	case CF_HELM_STR:
		if (v->sub == HV_STR_BYTES) { /* encoding/json writes a []byte as base64 */
			hbuf_putc(b, '"');
			enc_b64(b, (const unsigned char *)v->s.p, v->s.len);
			return hbuf_putc(b, '"');
		}
		return json_quote(b, v->s.p, v->s.len, escape_html);
	case CF_HELM_LIST:
		if (!v->l.len)
			return hbuf_puts(b, "[]");
		hbuf_putc(b, '[');
		for (i = 0; i < v->l.len; i++) {
			int r;
			if (i)
				hbuf_putc(b, ',');
			if (indent)
				newline(b, indent, depth + 1);
			if ((r = json_emit(b, v->l.items[i], indent, escape_html, depth + 1)) < 0)
				return r;
		}
		if (indent)
			newline(b, indent, depth);
		return hbuf_putc(b, ']');
	case CF_HELM_MAP:
	case CF_HELM_OBJ: {
		size_t n = v->kind == CF_HELM_MAP ? v->m.len : v->o.n;
		if (!n)
			return hbuf_puts(b, "{}");
		hbuf_putc(b, '{');
		for (i = 0; i < n; i++) {
			const char *k = v->kind == CF_HELM_MAP ? v->m.pairs[i].key : v->o.names[i];
			const cf_helm_val *item = v->kind == CF_HELM_MAP ? v->m.pairs[i].val : v->o.vals[i];
			int r;
			if (i)
				hbuf_putc(b, ',');
			if (indent)
				newline(b, indent, depth + 1);
			json_quote(b, k, strlen(k), escape_html);
			hbuf_puts(b, indent ? ": " : ":");
			if ((r = json_emit(b, item, indent, escape_html, depth + 1)) < 0)
				return r;
		}
		if (indent)
			newline(b, indent, depth);
		return hbuf_putc(b, '}');
	}
	}
	return 0;
}

static cf_helm_val *from_jansson(json_t *j, int depth)
{
	cf_helm_val *v;
	size_t i;
	if (depth > MAX_JSON_DEPTH)
		return NULL;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *item;
		v = hv_map();
		json_object_foreach(j, k, item) {
			if (!v || hv_map_set(v, k, strlen(k), from_jansson(item, depth + 1)) < 0) {
				hv_unref(v);
				return NULL;
			}
		}
		return v;
	}
	case JSON_ARRAY:
		v = hv_list(CF_HELM_LIST_ANY, json_array_size(j));
		for (i = 0; v && i < json_array_size(j); i++)
			if (hv_list_push(v, from_jansson(json_array_get(j, i), depth + 1)) < 0) {
				hv_unref(v);
				return NULL;
			}
		return v;
	case JSON_STRING: return hv_strn(json_string_value(j), json_string_length(j));
	case JSON_INTEGER: return hv_float((double)json_integer_value(j));
	case JSON_REAL: return hv_float(json_real_value(j));
	case JSON_TRUE: return hv_bool(1);
	case JSON_FALSE: return hv_bool(0);
	default: return HV_NIL;
	}
}

int json_parse(cf_helm_val **out, const char *s, size_t len, char **err)
{
	json_error_t e;
	json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e);
	*err = NULL;
	if (!j) {
		hbuf b;
		hbuf_init(&b, 0);
		if (len == 0 || e.position >= (int)len)
			hbuf_puts(&b, "unexpected end of JSON input");
		else
			hbuf_printf(&b, "invalid character '%c' looking for beginning of value",
			            s[e.position > 0 ? e.position - 1 : 0]);
		*err = hbuf_take(&b, NULL);
		return CF_EPARSE;
	}
	*out = from_jansson(j, 0);
	json_decref(j);
	return *out ? 0 : CF_ENOMEM;
}

static int emit_str(fcall *c, cf_helm_val **out, int indent, int escape_html, bool must)
{
	hbuf b;
	size_t len;
	char *s;
	int r;
	hbuf_init(&b, exec_value_limit(c->st));
	r = json_emit(&b, c->args[0], indent, escape_html, 0);
	if (r < 0 || b.err) {
		hbuf_free(&b);
		if (r == CF_ENOMEM || b.err == CF_ENOMEM)
			return CF_ENOMEM;
		if (must)
			return r < 0 ? r : cf_error_set(CF_ELIMIT, "json: value too large");
		*out = hv_str("");
		return *out ? 0 : CF_ENOMEM;
	}
	s = hbuf_take(&b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_to_json(fcall *c, cf_helm_val **out) { return emit_str(c, out, 0, 1, false); }
static int fn_must_to_json(fcall *c, cf_helm_val **out) { return emit_str(c, out, 0, 1, true); }
static int fn_to_pretty_json(fcall *c, cf_helm_val **out) { return emit_str(c, out, 2, 1, false); }
static int fn_must_to_pretty_json(fcall *c, cf_helm_val **out) { return emit_str(c, out, 2, 1, true); }
static int fn_to_raw_json(fcall *c, cf_helm_val **out) { return emit_str(c, out, 0, 0, false); }
static int fn_must_to_raw_json(fcall *c, cf_helm_val **out) { return emit_str(c, out, 0, 0, true); }

/* Helm's fromJson: a map, with the decoding error under "Error". */
static int fn_from_json(fcall *c, cf_helm_val **out)
{
	cf_helm_val *v = NULL;
	char *err = NULL;
	int r = json_parse(&v, c->args[0]->s.p, c->args[0]->s.len, &err);
	if (r == CF_ENOMEM)
		return r;
	if (r == 0 && v->kind == CF_HELM_MAP) {
		*out = v;
		return 0;
	}
	if (r == 0) {
		err = NULL;
		if (v->kind != CF_HELM_NIL) {
			hbuf b;
			hbuf_init(&b, 0);
			hbuf_printf(&b, "json: cannot unmarshal %s into Go value of type map[string]interface {}",
			            v->kind == CF_HELM_LIST ? "array" : v->kind == CF_HELM_STR ? "string" :
			            v->kind == CF_HELM_BOOL ? "bool" : "number");
			err = hbuf_take(&b, NULL);
		}
		hv_unref(v);
	}
	*out = hv_map();
	if (*out && err)
		r = hv_map_set(*out, "Error", 5, hv_str(err));
	else
		r = *out ? 0 : CF_ENOMEM;
	free(err);
	return r;
}

static int fn_from_json_array(fcall *c, cf_helm_val **out)
{
	cf_helm_val *v = NULL;
	char *err = NULL;
	int r = json_parse(&v, c->args[0]->s.p, c->args[0]->s.len, &err);
	if (r == CF_ENOMEM)
		return r;
	if (r == 0 && (v->kind == CF_HELM_LIST || v->kind == CF_HELM_NIL)) {
		if (v->kind == CF_HELM_NIL)
			v = hv_list(CF_HELM_LIST_ANY, 0);
		*out = v;
		return v ? 0 : CF_ENOMEM;
	}
	if (r == 0) {
		hbuf b;
		hbuf_init(&b, 0);
		hbuf_printf(&b, "json: cannot unmarshal %s into Go value of type []interface {}",
		            v->kind == CF_HELM_MAP ? "object" : v->kind == CF_HELM_STR ? "string" :
		            v->kind == CF_HELM_BOOL ? "bool" : "number");
		err = hbuf_take(&b, NULL);
		hv_unref(v);
	}
	*out = hv_list(CF_HELM_LIST_ANY, 1);
	r = *out ? hv_list_push(*out, hv_str(err ? err : "")) : CF_ENOMEM;
	free(err);
	return r;
}

/* Sprig's mustFromJson: any JSON value, errors fail the render. */
static int fn_must_from_json(fcall *c, cf_helm_val **out)
{
	char *err = NULL;
	int r = json_parse(out, c->args[0]->s.p, c->args[0]->s.len, &err);
	if (r == CF_EPARSE)
		r = cf_error_set(CF_EINVALID, "%s", err ? err : "invalid JSON");
	free(err);
	return r;
}

const func_def funcs_json[] = {
	{ "toJson", fn_to_json, 1, 0, { PT_ANY }, 0 },
	{ "mustToJson", fn_must_to_json, 1, 0, { PT_ANY }, 0 },
	{ "toPrettyJson", fn_to_pretty_json, 1, 0, { PT_ANY }, 0 },
	{ "mustToPrettyJson", fn_must_to_pretty_json, 1, 0, { PT_ANY }, 0 },
	{ "toRawJson", fn_to_raw_json, 1, 0, { PT_ANY }, 0 },
	{ "mustToRawJson", fn_must_to_raw_json, 1, 0, { PT_ANY }, 0 },
	{ "fromJson", fn_from_json, 1, 0, { PT_STR }, 0 },
	{ "fromJsonArray", fn_from_json_array, 1, 0, { PT_STR }, 0 },
	{ "mustFromJson", fn_must_from_json, 1, 0, { PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
