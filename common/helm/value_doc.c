/* Conversions between document nodes and values, as sigs.k8s.io/yaml turns YAML into Go values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_DEPTH HV_MAX_DEPTH

/* Map keys become strings the way sigs.k8s.io/yaml stringifies non-string JSON keys. */
static char *key_text(const cf_doc *k)
{
	char buf[64];
	hbuf b;
	switch (cf_doc_type_of(k)) {
	case CF_DOC_BOOL:
		return strdup(cf_doc_bool(k) ? "true" : "false");
	case CF_DOC_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)cf_doc_int(k));
		return strdup(buf);
	case CF_DOC_FLOAT:
		fmt_float_g(buf, sizeof(buf), cf_doc_float(k));
		return strdup(buf);
	case CF_DOC_NULL:
		return strdup("null");
	case CF_DOC_STR:
		hbuf_init(&b, 0);
		hbuf_put(&b, cf_doc_text(k), cf_doc_len(k));
		return hbuf_take(&b, NULL);
	default:
		return strdup(cf_doc_text(k) ? cf_doc_text(k) : "");
	}
}

static cf_helm_val *from_doc(const cf_doc *d, int depth, int *err)
{
	cf_helm_val *v;
	size_t i;
	if (depth > MAX_DEPTH) {
		*err = cf_error_set(CF_ELIMIT, "document nested too deeply");
		return NULL;
	}
	switch (cf_doc_type_of(d)) {
	case CF_DOC_NULL: return HV_NIL;
	case CF_DOC_BOOL: return hv_bool(cf_doc_bool(d));
	case CF_DOC_INT: return hv_float((double)cf_doc_int(d));
	case CF_DOC_FLOAT:
		/* The JSON step of sigs.k8s.io/yaml cannot carry these. */
		if (isnan(cf_doc_float(d)) || isinf(cf_doc_float(d))) {
			*err = cf_error_set(CF_EINVALID, "json: unsupported value: %s",
			                    isnan(cf_doc_float(d)) ? "NaN" : cf_doc_float(d) > 0 ? "+Inf" : "-Inf");
			return NULL;
		}
		return hv_float(cf_doc_float(d));
	case CF_DOC_STR: return hv_strn(cf_doc_text(d), cf_doc_len(d));
	case CF_DOC_SEQ:
		v = hv_list(CF_HELM_LIST_ANY, cf_doc_len(d));
		for (i = 0; v && i < cf_doc_len(d); i++)
			if (hv_list_push(v, from_doc(cf_doc_item(d, i), depth + 1, err)) < 0) {
				hv_unref(v);
				return NULL;
			}
		return v;
	case CF_DOC_MAP:
		v = hv_map();
		for (i = 0; v && i < cf_doc_len(d); i++) {
			char *k = key_text(cf_doc_key(d, i));
			int r = k ? hv_map_set(v, k, strlen(k), from_doc(cf_doc_value(d, i), depth + 1, err)) : CF_ENOMEM;
			free(k);
			if (r < 0) {
				hv_unref(v);
				return NULL;
			}
		}
		return v;
	}
	return HV_NIL;
}

int cf_helm_val_from_doc(cf_helm_val **out, const cf_doc *doc)
{
	int err = 0;
	cf_helm_val *v = from_doc(doc, 0, &err);
	if (!v)
		return err ? err : cf_error_set(CF_ENOMEM, "out of memory converting document");
	*out = v;
	return 0;
}

/* Floats go through JSON text, so whole numbers come back as YAML ints (sigs.k8s.io/yaml). */
static int float_node(cf_doc **out, double f)
{
	char buf[64];
	if (isnan(f) || isinf(f))
		return cf_error_set(CF_EINVALID, "json: unsupported value: %s", isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
	fmt_float_json(buf, sizeof(buf), f);
	if (!strpbrk(buf, ".eE") && fabs(f) < 9.2e18)
		return cf_doc_new_int(out, (int64_t)f);
	return cf_doc_new_float(out, f);
}

static int to_doc(cf_doc **out, const cf_helm_val *v, int depth, bool json_numbers)
{
	cf_doc *n = NULL, *item;
	size_t i;
	int r;
	if (depth > MAX_DEPTH)
		return cf_error_set(CF_ELIMIT, "value nested too deeply");
	switch (v->kind) {
	case CF_HELM_NIL: return cf_doc_new_null(out);
	case CF_HELM_BOOL: return cf_doc_new_bool(out, v->b);
	case CF_HELM_INT: return cf_doc_new_int(out, v->i);
	case CF_HELM_UINT:
		if (v->u > (uint64_t)INT64_MAX)
			return cf_doc_new_float(out, (double)v->u);
		return cf_doc_new_int(out, (int64_t)v->u);
	case CF_HELM_FLOAT: return json_numbers ? float_node(out, v->f) : cf_doc_new_float(out, v->f);
	case CF_HELM_STR: return cf_doc_new_strn(out, v->s.p, v->s.len);
	case CF_HELM_LIST:
		if ((r = cf_doc_new_seq(&n)) < 0)
			return r;
		for (i = 0; i < v->l.len; i++) {
			if ((r = to_doc(&item, v->l.items[i], depth + 1, json_numbers)) < 0 ||
			    (r = cf_doc_seq_append(n, item)) < 0) {
				cf_doc_free(n);
				return r;
			}
		}
		*out = n;
		return 0;
	case CF_HELM_MAP:
	case CF_HELM_OBJ: {
		size_t cnt = v->kind == CF_HELM_MAP ? v->m.len : v->o.n;
		if ((r = cf_doc_new_map(&n)) < 0)
			return r;
		for (i = 0; i < cnt; i++) {
			const char *k = v->kind == CF_HELM_MAP ? v->m.pairs[i].key : v->o.names[i];
			const cf_helm_val *val = v->kind == CF_HELM_MAP ? v->m.pairs[i].val : v->o.vals[i];
			if ((r = to_doc(&item, val, depth + 1, json_numbers)) < 0 ||
			    (r = cf_doc_map_set(n, k, item)) < 0) {
				cf_doc_free(n);
				return r;
			}
		}
		*out = n;
		return 0;
	}
	}
	return cf_doc_new_null(out);
}

int cf_helm_val_to_doc(cf_doc **out, const cf_helm_val *v)
{
	return to_doc(out, v, 0, true);
}

int hv_to_doc_direct(cf_doc **out, const cf_helm_val *v)
{
	return to_doc(out, v, 0, false);
}
