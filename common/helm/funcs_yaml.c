/* Helm's YAML functions (toYaml, toYamlPretty, fromYaml, fromYamlArray) on the doc module. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef CF_HELM_HAVE_DOC

/* Indent of a line and the column its content starts at after any "- " item markers. */
static size_t line_indent(const char *l, size_t n, size_t *content)
{
	size_t i = 0, c;
	while (i < n && l[i] == ' ')
		i++;
	for (c = i; c + 1 < n && l[c] == '-' && l[c + 1] == ' ';)
		c += 2;
	*content = c;
	return i;
}

static int is_item(const char *l, size_t n, size_t at)
{
	return at < n && l[at] == '-' && (at + 1 == n || l[at + 1] == ' ');
}

/* A block scalar header ends the line: "|", ">", with an optional indent digit and chomping. */
static int block_header(const char *l, size_t n)
{
	size_t i = n;
	while (i > 0 && (l[i - 1] == '-' || l[i - 1] == '+' || (l[i - 1] >= '0' && l[i - 1] <= '9')))
		i--;
	return i > 0 && (l[i - 1] == '|' || l[i - 1] == '>') && n - i <= 2 &&
	       (i == 1 || l[i - 2] == ' ');
}

/*
 * Helm's toYamlPretty encodes with yaml.v3 and SetIndent(2), which indents a block sequence two
 * spaces past the key it belongs to; the doc module writes kyaml's compact form (items at the
 * key's column). This shifts every such sequence, nested ones included; block scalar contents
 * move with their item and are not read as structure.
 */
static int indent_sequences(hbuf *out, const char *s, size_t n)
{
	size_t stack[HV_MAX_DEPTH], depth = 0, pos = 0;
	long block = -1; /* indent of a block scalar header while its content runs */

	while (pos < n && !out->err) {
		const char *l = s + pos, *nl = memchr(l, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - l) : n - pos, c, ind = line_indent(l, len, &c);
		int empty = ind == len;

		if (block >= 0 && !empty && (long)ind <= block)
			block = -1;
		if (block < 0 && !empty)
			while (depth > 0 && !(ind > stack[depth - 1] ||
			                      (ind == stack[depth - 1] && is_item(l, len, ind))))
				depth--;
		if (!empty)
			for (size_t i = 0; i < 2 * depth; i++)
				hbuf_putc(out, ' ');
		hbuf_put(out, l, len);
		if (nl)
			hbuf_putc(out, '\n');
		pos += len + (nl ? 1 : 0);
		if (block >= 0 || empty)
			continue;
		if (block_header(l + c, len - c)) {
			block = (long)ind;
		} else if (len > c && l[len - 1] == ':' && pos < n && depth < HV_MAX_DEPTH) {
			/* A key with a block value: a sequence there starts at the key's column. */
			const char *next = s + pos, *nnl = memchr(next, '\n', n - pos);
			size_t nlen = nnl ? (size_t)(nnl - next) : n - pos, nc;
			if (line_indent(next, nlen, &nc) == c && is_item(next, nlen, c))
				stack[depth++] = c;
		}
	}
	return out->err;
}

static int emit(fcall *c, cf_helm_val **out, cf_doc_emit_dialect dialect)
{
	cf_doc *d = NULL;
	cf_doc_yaml_opts o = { dialect, 1 };
	char *s = NULL;
	size_t len = 0;
	(void)c;
	int r = dialect == CF_DOC_EMIT_YAMLV2 ? cf_helm_val_to_doc(&d, c->args[0])
	                                      : hv_to_doc_direct(&d, c->args[0]);
	if (r < 0 || cf_doc_emit_yaml(&s, &len, d, &o) < 0) {
		cf_doc_free(d);
		free(s);
		*out = hv_str(""); /* Helm swallows marshalling errors */
		return *out ? 0 : CF_ENOMEM;
	}
	cf_doc_free(d);
	if (dialect == CF_DOC_EMIT_YAMLV3) {
		hbuf b;
		hbuf_init(&b, 0);
		if (indent_sequences(&b, s, len) < 0) {
			hbuf_free(&b);
			free(s);
			return CF_ENOMEM;
		}
		size_t blen = 0;
		char *t = b.p ? hbuf_take(&b, &blen) : strdup("");
		free(s);
		if (!(s = t))
			return CF_ENOMEM;
		len = blen;
	}
	if (len && s[len - 1] == '\n')
		s[--len] = '\0';
	*out = hv_str_take(s, len);
	return *out ? 0 : CF_ENOMEM;
}

static int fn_to_yaml(fcall *c, cf_helm_val **out) { return emit(c, out, CF_DOC_EMIT_YAMLV2); }
static int fn_to_yaml_pretty(fcall *c, cf_helm_val **out) { return emit(c, out, CF_DOC_EMIT_YAMLV3); }

/* Parses the first document of s as sigs.k8s.io/yaml does; *err gets Helm's error text. */
static int load(const cf_helm_val *s, cf_helm_val **out, char **err)
{
	cf_doc_load_opts o;
	cf_doc *stream = NULL;
	int r;
	memset(&o, 0, sizeof(o));
	o.schema = CF_DOC_YAML11;
	*err = NULL;
	r = cf_doc_load_yaml_stream(&stream, s->s.p, s->s.len, &o);
	if (r < 0) {
		hbuf b;
		hbuf_init(&b, 0);
		hbuf_printf(&b, "error converting YAML to JSON: yaml: %s", cf_error_last());
		*err = hbuf_take(&b, NULL);
		return r == CF_ENOMEM ? r : CF_EPARSE;
	}
	if (cf_doc_len(stream) == 0) {
		*out = HV_NIL;
	} else if ((r = cf_helm_val_from_doc(out, cf_doc_item(stream, 0))) < 0 && r != CF_ENOMEM) {
		hbuf b;
		hbuf_init(&b, 0);
		hbuf_printf(&b, "error converting YAML to JSON: %s", cf_error_last());
		*err = hbuf_take(&b, NULL);
		r = CF_EPARSE;
	}
	cf_doc_free(stream);
	return r;
}

static const char *json_kind(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_LIST: return "array";
	case CF_HELM_MAP: return "object";
	case CF_HELM_STR: return "string";
	case CF_HELM_BOOL: return "bool";
	default: return "number";
	}
}

static int fn_from_yaml(fcall *c, cf_helm_val **out)
{
	cf_helm_val *v = NULL;
	char *err = NULL;
	hbuf b;
	int r = load(c->args[0], &v, &err);
	if (r == CF_ENOMEM)
		return r;
	if (r == 0 && (v->kind == CF_HELM_MAP || v->kind == CF_HELM_NIL)) {
		if (v->kind == CF_HELM_NIL)
			v = hv_map();
		*out = v;
		return v ? 0 : CF_ENOMEM;
	}
	if (r == 0) {
		hbuf_init(&b, 0);
		hbuf_printf(&b, "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into "
		                "Go value of type map[string]interface {}", json_kind(v));
		err = hbuf_take(&b, NULL);
		hv_unref(v);
	}
	*out = hv_map();
	r = *out ? hv_map_set(*out, "Error", 5, hv_str(err ? err : "")) : CF_ENOMEM;
	free(err);
	return r;
}

static int fn_from_yaml_array(fcall *c, cf_helm_val **out)
{
	cf_helm_val *v = NULL;
	char *err = NULL;
	hbuf b;
	int r = load(c->args[0], &v, &err);
	if (r == CF_ENOMEM)
		return r;
	if (r == 0 && (v->kind == CF_HELM_LIST || v->kind == CF_HELM_NIL)) {
		if (v->kind == CF_HELM_NIL)
			v = hv_list(CF_HELM_LIST_ANY, 0);
		*out = v;
		return v ? 0 : CF_ENOMEM;
	}
	if (r == 0) {
		hbuf_init(&b, 0);
		hbuf_printf(&b, "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into "
		                "Go value of type []interface {}", json_kind(v));
		err = hbuf_take(&b, NULL);
		hv_unref(v);
	}
	*out = hv_list(CF_HELM_LIST_ANY, 1);
	r = *out ? hv_list_push(*out, hv_str(err ? err : "")) : CF_ENOMEM;
	free(err);
	return r;
}

#else

static int fn_to_yaml(fcall *c, cf_helm_val **out)
{
	(void)c;
	(void)out;
	return cf_error_set(CF_EUNSUPPORTED, "YAML support is not built in");
}

#define fn_to_yaml_pretty fn_to_yaml
#define fn_from_yaml fn_to_yaml
#define fn_from_yaml_array fn_to_yaml

#endif

const func_def funcs_yaml[] = {
	{ "toYaml", fn_to_yaml, 1, 0, { PT_ANY }, 0 },
	{ "toYamlPretty", fn_to_yaml_pretty, 1, 0, { PT_ANY }, 0 },
	{ "fromYaml", fn_from_yaml, 1, 0, { PT_STR }, 0 },
	{ "fromYamlArray", fn_from_yaml_array, 1, 0, { PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
