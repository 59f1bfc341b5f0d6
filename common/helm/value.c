/* The reference-counted value model: Go's dynamic types as Helm templates see them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

cf_helm_val hv_nil_static = { .refs = -1, .kind = CF_HELM_NIL };
cf_helm_val hv_nil_iface_static = { .refs = -1, .kind = CF_HELM_NIL, .sub = 1 };

static cf_helm_val *alloc(uint8_t kind)
{
	cf_helm_val *v = calloc(1, sizeof(*v));
	if (v) {
		v->refs = 1;
		v->kind = kind;
	}
	return v;
}

cf_helm_val *hv_bool(int b)
{
	cf_helm_val *v = alloc(CF_HELM_BOOL);
	if (v)
		v->b = !!b;
	return v;
}

cf_helm_val *hv_int(int64_t i)
{
	cf_helm_val *v = alloc(CF_HELM_INT);
	if (v)
		v->i = i;
	return v;
}

cf_helm_val *hv_int64(int64_t i)
{
	cf_helm_val *v = hv_int(i);
	if (v)
		v->sub = HV_INT_INT64;
	return v;
}

cf_helm_val *hv_uint(uint64_t u)
{
	cf_helm_val *v = alloc(CF_HELM_UINT);
	if (v)
		v->u = u;
	return v;
}

cf_helm_val *hv_float(double f)
{
	cf_helm_val *v = alloc(CF_HELM_FLOAT);
	if (v)
		v->f = f;
	return v;
}

cf_helm_val *hv_str_take(char *s, size_t len)
{
	cf_helm_val *v;
	if (!s)
		return NULL;
	v = alloc(CF_HELM_STR);
	if (!v) {
		free(s);
		return NULL;
	}
	v->s.p = s;
	v->s.len = len;
	return v;
}

cf_helm_val *hv_strn(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return hv_str_take(p, len);
}

cf_helm_val *hv_str(const char *s)
{
	return hv_strn(s, strlen(s));
}

cf_helm_val *hv_bytes(const char *s, size_t len)
{
	cf_helm_val *v = hv_strn(s, len);
	if (v)
		v->sub = HV_STR_BYTES;
	return v;
}

cf_helm_val *hv_typed_map(const cf_helm_obj_type *t)
{
	cf_helm_val *v = alloc(CF_HELM_MAP);
	if (v) {
		v->sub = HV_MAP_TYPED;
		v->m.mtype = t;
	}
	return v;
}

cf_helm_val *hv_typed_list(const cf_helm_obj_type *t, size_t cap)
{
	cf_helm_val *v = hv_list(CF_HELM_LIST_STR, cap);
	if (v) {
		v->sub = HV_LIST_TYPED;
		v->l.ltype = t;
	}
	return v;
}

const cf_helm_obj_type *hv_methods(const cf_helm_val *v, void **data)
{
	if (v->kind == CF_HELM_OBJ) {
		*data = v->o.data;
		return v->o.type;
	}
	if (v->kind == CF_HELM_MAP && v->sub == HV_MAP_TYPED) {
		*data = (void *)v;
		return v->m.mtype;
	}
	if (v->kind == CF_HELM_LIST && v->sub == HV_LIST_TYPED) {
		*data = (void *)v;
		return v->l.ltype;
	}
	return NULL;
}

cf_helm_val *hv_list(cf_helm_list_type t, size_t cap)
{
	cf_helm_val *v = alloc(CF_HELM_LIST);
	if (!v)
		return NULL;
	v->sub = (uint8_t)t;
	if (cap) {
		v->l.items = malloc(cap * sizeof(*v->l.items));
		if (!v->l.items) {
			free(v);
			return NULL;
		}
		v->l.cap = cap;
	}
	return v;
}

cf_helm_val *hv_map(void)
{
	return alloc(CF_HELM_MAP);
}

cf_helm_val *hv_ref(cf_helm_val *v)
{
	if (v && v->refs >= 0)
		v->refs++;
	return v;
}

static void release(cf_helm_val *v)
{
	size_t i;
	switch (v->kind) {
	case CF_HELM_STR:
		free(v->s.p);
		break;
	case CF_HELM_LIST:
		for (i = 0; i < v->l.len; i++)
			hv_unref(v->l.items[i]);
		free(v->l.items);
		break;
	case CF_HELM_MAP:
		for (i = 0; i < v->m.len; i++) {
			free(v->m.pairs[i].key);
			hv_unref(v->m.pairs[i].val);
		}
		free(v->m.pairs);
		break;
	case CF_HELM_OBJ:
		for (i = 0; i < v->o.n; i++) {
			free(v->o.names[i]);
			hv_unref(v->o.vals[i]);
		}
		free(v->o.names);
		free(v->o.vals);
		if (v->o.type && v->o.type->free)
			v->o.type->free(v->o.data);
		break;
	default:
		break;
	}
	free(v);
}

void hv_unref(cf_helm_val *v)
{
	if (!v || v->refs < 0)
		return;
	if (--v->refs == 0)
		release(v);
}

int hv_list_push(cf_helm_val *l, cf_helm_val *item)
{
	if (!item)
		return CF_ENOMEM;
	if (l->l.len == l->l.cap) {
		size_t cap = l->l.cap ? l->l.cap * 2 : 4;
		cf_helm_val **p = realloc(l->l.items, cap * sizeof(*p));
		if (!p) {
			hv_unref(item);
			return CF_ENOMEM;
		}
		l->l.items = p;
		l->l.cap = cap;
	}
	l->l.items[l->l.len++] = item;
	return 0;
}

static int keycmp(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Index of key, or -(insertion point)-1. */
static long find_key(const cf_helm_val *m, const char *key, size_t klen)
{
	size_t lo = 0, hi = m->m.len;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = keycmp(m->m.pairs[mid].key, key, klen);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

int hv_map_set(cf_helm_val *m, const char *key, size_t klen, cf_helm_val *v)
{
	long at;
	size_t pos;
	char *k;
	if (!v)
		return CF_ENOMEM;
	at = find_key(m, key, klen);
	if (at >= 0) {
		hv_unref(m->m.pairs[at].val);
		m->m.pairs[at].val = v;
		return 0;
	}
	pos = (size_t)(-at - 1);
	if (m->m.len == m->m.cap) {
		size_t cap = m->m.cap ? m->m.cap * 2 : 4;
		hv_pair *p = realloc(m->m.pairs, cap * sizeof(*p));
		if (!p) {
			hv_unref(v);
			return CF_ENOMEM;
		}
		m->m.pairs = p;
		m->m.cap = cap;
	}
	k = malloc(klen + 1);
	if (!k) {
		hv_unref(v);
		return CF_ENOMEM;
	}
	memcpy(k, key, klen);
	k[klen] = '\0';
	memmove(&m->m.pairs[pos + 1], &m->m.pairs[pos], (m->m.len - pos) * sizeof(hv_pair));
	m->m.pairs[pos].key = k;
	m->m.pairs[pos].val = v;
	m->m.len++;
	return 0;
}

cf_helm_val *hv_map_get(const cf_helm_val *m, const char *key, size_t klen)
{
	long at;
	if (!m || m->kind != CF_HELM_MAP)
		return NULL;
	at = find_key(m, key, klen);
	return at >= 0 ? m->m.pairs[at].val : NULL;
}

int hv_map_del(cf_helm_val *m, const char *key, size_t klen)
{
	long at = find_key(m, key, klen);
	if (at < 0)
		return CF_ENOTFOUND;
	free(m->m.pairs[at].key);
	hv_unref(m->m.pairs[at].val);
	memmove(&m->m.pairs[at], &m->m.pairs[at + 1], (m->m.len - (size_t)at - 1) * sizeof(hv_pair));
	m->m.len--;
	return 0;
}

cf_helm_val *hv_deep_copy(const cf_helm_val *v, int depth)
{
	cf_helm_val *c;
	size_t i;
	if (depth > HV_MAX_DEPTH)
		return NULL;
	switch (v->kind) {
	case CF_HELM_LIST:
		c = hv_list((cf_helm_list_type)v->sub, v->l.len);
		if (c)
			c->l.ltype = v->l.ltype;
		for (i = 0; c && i < v->l.len; i++)
			if (hv_list_push(c, hv_deep_copy(v->l.items[i], depth + 1)) < 0) {
				hv_unref(c);
				return NULL;
			}
		return c;
	case CF_HELM_MAP:
		c = hv_map();
		if (c) {
			c->sub = v->sub;
			c->m.mtype = v->m.mtype;
		}
		for (i = 0; c && i < v->m.len; i++) {
			const char *k = v->m.pairs[i].key;
			if (hv_map_set(c, k, strlen(k), hv_deep_copy(v->m.pairs[i].val, depth + 1)) < 0) {
				hv_unref(c);
				return NULL;
			}
		}
		return c;
	default:
		return hv_ref((cf_helm_val *)v); /* scalars are immutable; objects are shared */
	}
}

static const char *const list_types[] = { "[]interface {}", "[]string", "[]int" };

const char *hv_type_name(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_NIL: return "<nil>";
	case CF_HELM_BOOL: return "bool";
	case CF_HELM_INT: return v->sub == HV_INT_INT64 ? "int64" : "int";
	case CF_HELM_UINT: return "uint64";
	case CF_HELM_FLOAT: return "float64";
	case CF_HELM_STR: return v->sub == HV_STR_BYTES ? "[]uint8" : "string";
	case CF_HELM_LIST:
		return v->sub == HV_LIST_TYPED ? v->l.ltype->type_name : list_types[v->sub < 3 ? v->sub : 0];
	case CF_HELM_MAP:
		switch (v->sub) {
		case HV_MAP_VALUES: return "chartutil.Values";
		case HV_MAP_STRSTR: return "map[string]string";
		case HV_MAP_TYPED: return v->m.mtype->type_name;
		default: return "map[string]interface {}";
		}
	case CF_HELM_OBJ: return v->o.type->type_name;
	}
	return "<nil>";
}

/* reflect.Kind names, as Sprig's kindOf prints them. */
const char *hv_kind_name(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_NIL: return "invalid";
	case CF_HELM_BOOL: return "bool";
	case CF_HELM_INT: return v->sub == HV_INT_INT64 ? "int64" : "int";
	case CF_HELM_UINT: return "uint64";
	case CF_HELM_FLOAT: return "float64";
	case CF_HELM_STR: return v->sub == HV_STR_BYTES ? "slice" : "string";
	case CF_HELM_LIST: return "slice";
	case CF_HELM_MAP: return "map";
	case CF_HELM_OBJ: return v->o.type->is_ptr ? "ptr" : "struct";
	}
	return "invalid";
}

bool hv_truth(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_BOOL: return v->b;
	case CF_HELM_INT: return v->i != 0;
	case CF_HELM_UINT: return v->u != 0;
	case CF_HELM_FLOAT: return v->f != 0;
	case CF_HELM_STR: return v->s.len > 0;
	case CF_HELM_LIST: return v->l.len > 0;
	case CF_HELM_MAP: return v->m.len > 0;
	case CF_HELM_OBJ: return true;
	default: return false;
	}
}

bool hv_is_nil(const cf_helm_val *v)
{
	return !v || v->kind == CF_HELM_NIL;
}

bool hv_is_str(const cf_helm_val *v)
{
	return v && v->kind == CF_HELM_STR;
}

/* reflect.DeepEqual: same dynamic type and equal contents. */
bool hv_deep_equal(const cf_helm_val *a, const cf_helm_val *b, int depth)
{
	size_t i;
	if (a == b)
		return true;
	if (depth > HV_MAX_DEPTH || a->kind != b->kind || a->sub != b->sub)
		return false;
	switch (a->kind) {
	case CF_HELM_NIL: return true;
	case CF_HELM_BOOL: return a->b == b->b;
	case CF_HELM_INT: return a->i == b->i;
	case CF_HELM_UINT: return a->u == b->u;
	case CF_HELM_FLOAT: return a->f == b->f;
	case CF_HELM_STR: return a->s.len == b->s.len && !memcmp(a->s.p, b->s.p, a->s.len);
	case CF_HELM_LIST:
		if (a->l.len != b->l.len)
			return false;
		for (i = 0; i < a->l.len; i++)
			if (!hv_deep_equal(a->l.items[i], b->l.items[i], depth + 1))
				return false;
		return true;
	case CF_HELM_MAP:
		if (a->m.len != b->m.len)
			return false;
		for (i = 0; i < a->m.len; i++)
			if (strcmp(a->m.pairs[i].key, b->m.pairs[i].key) ||
			    !hv_deep_equal(a->m.pairs[i].val, b->m.pairs[i].val, depth + 1))
				return false;
		return true;
	case CF_HELM_OBJ:
		if (a->o.type != b->o.type || a->o.n != b->o.n)
			return false;
		for (i = 0; i < a->o.n; i++)
			if (!hv_deep_equal(a->o.vals[i], b->o.vals[i], depth + 1))
				return false;
		return true;
	}
	return false;
}

bool hv_reaches(const cf_helm_val *from, const cf_helm_val *target, size_t *budget)
{
	size_t i;
	if (from == target)
		return true;
	if (*budget == 0)
		return true;
	(*budget)--;
	switch (from->kind) {
	case CF_HELM_LIST:
		for (i = 0; i < from->l.len; i++)
			if (hv_reaches(from->l.items[i], target, budget))
				return true;
		return false;
	case CF_HELM_MAP:
		for (i = 0; i < from->m.len; i++)
			if (hv_reaches(from->m.pairs[i].val, target, budget))
				return true;
		return false;
	default:
		return false;
	}
}

void hv_map_clear(cf_helm_val *m)
{
	size_t i;
	hv_pair *pairs = m->m.pairs;
	size_t n = m->m.len;
	m->m.pairs = NULL;
	m->m.len = m->m.cap = 0;
	for (i = 0; i < n; i++) {
		free(pairs[i].key);
		hv_unref(pairs[i].val);
	}
	free(pairs);
}

int hv_obj_field(const cf_helm_val *o, const char *name, cf_helm_val **out)
{
	size_t i;
	for (i = 0; i < o->o.n; i++)
		if (!strcmp(o->o.names[i], name)) {
			*out = o->o.vals[i];
			return 0;
		}
	return CF_ENOTFOUND;
}

void *hv_memmem(const void *hay, size_t n, const void *needle, size_t k)
{
	const char *h = hay;
	size_t i;
	if (k == 0)
		return (void *)hay;
	for (i = 0; i + k <= n; i++)
		if (h[i] == *(const char *)needle && !memcmp(h + i, needle, k))
			return (void *)(h + i);
	return NULL;
}

/* ---- growable buffer ---- */

void hbuf_init(hbuf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void hbuf_free(hbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int hbuf_put(hbuf *b, const char *s, size_t n)
{
	if (b->err)
		return b->err;
	if (b->limit && b->len + n > b->limit)
		return b->err = CF_ELIMIT;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return b->err = CF_ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int hbuf_puts(hbuf *b, const char *s)
{
	return hbuf_put(b, s, strlen(s));
}

int hbuf_putc(hbuf *b, char c)
{
	return hbuf_put(b, &c, 1);
}

int hbuf_printf(hbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return CF_EINVALID;
	if ((size_t)n < sizeof(small))
		return hbuf_put(b, small, (size_t)n);
	{
		char *big = malloc((size_t)n + 1);
		int err;
		if (!big)
			return b->err = CF_ENOMEM;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		err = hbuf_put(b, big, (size_t)n);
		free(big);
		return err;
	}
}

char *hbuf_take(hbuf *b, size_t *len)
{
	char *p;
	if (!b->p && hbuf_put(b, "", 0) < 0)
		return NULL;
	p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/* ---- public API ---- */

#define NEW_OR_NOMEM(expr) \
	do { \
		cf_helm_val *v_ = (expr); \
		if (!v_) \
			return cf_error_set(CF_ENOMEM, "out of memory"); \
		*out = v_; \
		return 0; \
	} while (0)

int cf_helm_val_new_nil(cf_helm_val **out) { *out = HV_NIL; return 0; }
int cf_helm_val_new_bool(cf_helm_val **out, int b) { NEW_OR_NOMEM(hv_bool(b)); }
int cf_helm_val_new_int(cf_helm_val **out, int64_t i) { NEW_OR_NOMEM(hv_int(i)); }
int cf_helm_val_new_int64(cf_helm_val **out, int64_t i) { NEW_OR_NOMEM(hv_int64(i)); }
int cf_helm_val_new_float(cf_helm_val **out, double f) { NEW_OR_NOMEM(hv_float(f)); }
int cf_helm_val_new_str(cf_helm_val **out, const char *s) { NEW_OR_NOMEM(hv_str(s)); }
int cf_helm_val_new_strn(cf_helm_val **out, const char *s, size_t n) { NEW_OR_NOMEM(hv_strn(s, n)); }
int cf_helm_val_new_list(cf_helm_val **out, cf_helm_list_type t) { NEW_OR_NOMEM(hv_list(t, 0)); }
int cf_helm_val_new_map(cf_helm_val **out) { NEW_OR_NOMEM(hv_map()); }

int cf_helm_val_new_values_map(cf_helm_val **out)
{
	cf_helm_val *m = hv_map();
	if (!m)
		return cf_error_set(CF_ENOMEM, "out of memory");
	m->sub = 1;
	*out = m;
	return 0;
}

int cf_helm_val_new_obj(cf_helm_val **out, const cf_helm_obj_type *type, void *data,
                        const char *const *names, cf_helm_val *const *vals, size_t nfields)
{
	cf_helm_val *v = alloc(CF_HELM_OBJ);
	size_t i;
	if (v) {
		v->o.type = type;
		v->o.data = data;
		v->o.names = calloc(nfields ? nfields : 1, sizeof(char *));
		v->o.vals = calloc(nfields ? nfields : 1, sizeof(cf_helm_val *));
	}
	if (!v || !v->o.names || !v->o.vals) {
		for (i = 0; i < nfields; i++)
			hv_unref(vals[i]);
		if (v) {
			free(v->o.names);
			free(v->o.vals);
			free(v);
		}
		if (type && type->free)
			type->free(data);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	for (i = 0; i < nfields; i++) {
		v->o.names[i] = strdup(names[i]);
		v->o.vals[i] = vals[i];
		v->o.n++;
		if (!v->o.names[i]) {
			hv_unref(v);
			for (i = i + 1; i < nfields; i++)
				hv_unref(vals[i]);
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
	}
	*out = v;
	return 0;
}

cf_helm_val *cf_helm_val_ref(cf_helm_val *v) { return hv_ref(v); }
void cf_helm_val_unref(cf_helm_val *v) { hv_unref(v); }
cf_helm_kind cf_helm_val_kind(const cf_helm_val *v) { return (cf_helm_kind)v->kind; }
const char *cf_helm_val_type_name(const cf_helm_val *v) { return hv_type_name(v); }
int cf_helm_val_bool(const cf_helm_val *v) { return v->kind == CF_HELM_BOOL && v->b; }

int64_t cf_helm_val_int(const cf_helm_val *v)
{
	return v->kind == CF_HELM_INT ? v->i : v->kind == CF_HELM_UINT ? (int64_t)v->u : 0;
}

double cf_helm_val_float(const cf_helm_val *v)
{
	return v->kind == CF_HELM_FLOAT ? v->f : v->kind == CF_HELM_INT ? (double)v->i : 0;
}

const char *cf_helm_val_str(const cf_helm_val *v, size_t *len)
{
	if (v->kind != CF_HELM_STR) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = v->s.len;
	return v->s.p;
}

size_t cf_helm_val_len(const cf_helm_val *v)
{
	return v->kind == CF_HELM_LIST ? v->l.len : v->kind == CF_HELM_MAP ? v->m.len : 0;
}

cf_helm_val *cf_helm_list_item(const cf_helm_val *l, size_t i)
{
	return l->kind == CF_HELM_LIST && i < l->l.len ? l->l.items[i] : NULL;
}

int cf_helm_list_append(cf_helm_val *l, cf_helm_val *item)
{
	if (l->kind != CF_HELM_LIST) {
		hv_unref(item);
		return cf_error_set(CF_EINVALID, "not a list");
	}
	if (hv_list_push(l, item) < 0)
		return cf_error_set(CF_ENOMEM, "out of memory");
	return 0;
}

const char *cf_helm_map_key(const cf_helm_val *m, size_t i)
{
	return m->kind == CF_HELM_MAP && i < m->m.len ? m->m.pairs[i].key : NULL;
}

cf_helm_val *cf_helm_map_value(const cf_helm_val *m, size_t i)
{
	return m->kind == CF_HELM_MAP && i < m->m.len ? m->m.pairs[i].val : NULL;
}

cf_helm_val *cf_helm_map_get(const cf_helm_val *m, const char *key)
{
	return hv_map_get(m, key, strlen(key));
}

int cf_helm_map_set(cf_helm_val *m, const char *key, cf_helm_val *v)
{
	if (m->kind != CF_HELM_MAP) {
		hv_unref(v);
		return cf_error_set(CF_EINVALID, "not a map");
	}
	if (hv_map_set(m, key, strlen(key), v) < 0)
		return cf_error_set(CF_ENOMEM, "out of memory");
	return 0;
}

int cf_helm_val_format(char **out, const cf_helm_val *v)
{
	hbuf b;
	int err;
	hbuf_init(&b, 0);
	if ((err = fmt_value(&b, v)) < 0) {
		hbuf_free(&b);
		return cf_error_set(err, "formatting value failed");
	}
	*out = hbuf_take(&b, NULL);
	return *out ? 0 : cf_error_set(CF_ENOMEM, "out of memory");
}
