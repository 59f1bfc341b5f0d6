/*
 * values.schema.json validation as Helm does it (santhosh-tekuri/jsonschema v6): the keywords
 * of JSON Schema that chart schemas use, that validator's order of checks and its message texts.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "internal.h"

/* $ref chains and nested schemas followed for one value before giving up. */
#define SCHEMA_MAX_DEPTH 200

/* One failure: where in the values, what failed, and the failures it groups. */
typedef struct verr verr;
struct verr {
	char *loc;   /* JSON pointer of the value */
	char *msg;
	int ref;     /* a $ref's failure: not shown itself when it has a single cause */
	int group;   /* several failures of one schema ("validation failed") */
	verr **causes;
	size_t n, cap;
};

typedef struct {
	const cf_doc *root;
	int draft;      /* 4, 6, 7 or 2020 (also for 2019-09: the keywords here behave alike) */
	int err;        /* sticky CF_ENOMEM / CF_ELIMIT */
	hbuf path;      /* JSON pointer of the value being checked */
} vctx;

typedef struct {
	verr **v;
	size_t n, cap;
} verrs;

static void verr_free(verr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		verr_free(e->causes[i]);
	free(e->causes);
	free(e->loc);
	free(e->msg);
	free(e);
}

static void verrs_clear(verrs *l)
{
	for (size_t i = 0; i < l->n; i++)
		verr_free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int push(vctx *x, verrs *l, verr *e)
{
	if (!e)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		verr **v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			verr_free(e);
			return x->err = CF_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return 0;
}

/* A failure at the current path; msg is taken (NULL means out of memory). */
static verr *fail_take(vctx *x, char *msg)
{
	verr *e = calloc(1, sizeof(*e));
	if (!e || !msg || !(e->loc = strndup(x->path.p ? x->path.p : "", x->path.len))) {
		free(msg);
		if (e)
			free(e);
		x->err = CF_ENOMEM;
		return NULL;
	}
	e->msg = msg;
	return e;
}

static verr *failf(vctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static verr *failf(vctx *x, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(msg = malloc((size_t)n + 1)))
		return fail_take(x, NULL);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return fail_take(x, msg);
}

static verr *fail_buf(vctx *x, hbuf *b)
{
	size_t len;
	char *s = b->err ? NULL : hbuf_take(b, &len);
	hbuf_free(b);
	return fail_take(x, s);
}

/* A failure whose causes are l's (moved). */
static verr *fail_group(vctx *x, const char *msg, verrs *l)
{
	verr *e = failf(x, "%s", msg);
	if (!e) {
		verrs_clear(l);
		return NULL;
	}
	e->causes = l->v;
	e->n = e->cap = l->n;
	memset(l, 0, sizeof(*l));
	return e;
}

/* ---- texts as the validator prints them ---- */

/* kind.quote: Go's %q with \" unescaped and ' escaped, in single quotes. */
static void quote(hbuf *b, const char *s, size_t n)
{
	hbuf t;
	hbuf_init(&t, 0);
	fmt_quote(&t, s, n);
	hbuf_putc(b, '\'');
	for (size_t i = 1; t.p && i + 1 < t.len; i++) {
		if (t.p[i] == '\\' && t.p[i + 1] == '"') {
			hbuf_putc(b, '"');
			i++;
		} else if (t.p[i] == '\\') {
			hbuf_putc(b, '\\');
			hbuf_putc(b, t.p[++i]);
		} else if (t.p[i] == '\'') {
			hbuf_puts(b, "\\'");
		} else {
			hbuf_putc(b, t.p[i]);
		}
	}
	hbuf_putc(b, '\'');
	if (t.err)
		b->err = t.err;
	hbuf_free(&t);
}

/* Digits with thousands separators, as golang.org/x/text/message prints numbers in English. */
static void grouped(hbuf *b, const char *digits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			hbuf_putc(b, ',');
		hbuf_putc(b, digits[i]);
	}
}

static void print_int(hbuf *b, long long v)
{
	char d[32];
	int n = snprintf(d, sizeof(d), "%lld", v < 0 ? -v : v);
	if (v < 0)
		hbuf_putc(b, '-');
	grouped(b, d, (size_t)n);
}

/* %v of a float64 through the message printer: 2,000 / 1.5 / 1.23456725×10⁰⁶ / 1×10⁻⁰⁵. */
static void print_float(hbuf *b, double f)
{
	static const char *const sup[] = { "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹" };
	char g[64];
	const char *p = g, *e, *dot;
	fmt_float_g(g, sizeof(g), f);
	if (!isfinite(f)) {
		hbuf_puts(b, g);
		return;
	}
	if (*p == '-')
		hbuf_putc(b, *p++);
	e = strchr(p, 'e');
	dot = strchr(p, '.');
	if (e) {
		hbuf_put(b, p, (size_t)(e - p));
		hbuf_puts(b, "×10");
		if (e[1] == '-')
			hbuf_puts(b, "⁻");
		for (e += 2; *e; e++)
			hbuf_puts(b, sup[*e - '0']);
		return;
	}
	grouped(b, p, dot ? (size_t)(dot - p) : strlen(p));
	if (dot)
		hbuf_puts(b, dot);
}

/* kind.display of a schema value (enum/const): strings quoted, numbers as written. */
static void display(hbuf *b, const cf_doc *v)
{
	switch (cf_doc_type_of(v)) {
	case CF_DOC_STR: quote(b, cf_doc_text(v), cf_doc_len(v)); break;
	case CF_DOC_NULL: hbuf_puts(b, "<nil>"); break;
	case CF_DOC_BOOL: hbuf_puts(b, cf_doc_bool(v) ? "true" : "false"); break;
	case CF_DOC_INT: hbuf_printf(b, "%lld", (long long)cf_doc_int(v)); break;
	case CF_DOC_FLOAT: {
		char g[64];
		fmt_float_g(g, sizeof(g), cf_doc_float(v));
		hbuf_puts(b, g);
		break;
	}
	default: hbuf_puts(b, "value"); break;
	}
}

static const char *json_type(const cf_helm_val *v)
{
	switch (cf_helm_val_kind(v)) {
	case CF_HELM_BOOL: return "boolean";
	case CF_HELM_INT:
	case CF_HELM_UINT:
	case CF_HELM_FLOAT: return "number";
	case CF_HELM_STR: return "string";
	case CF_HELM_LIST: return "array";
	case CF_HELM_MAP:
	case CF_HELM_OBJ: return "object";
	default: return "null";
	}
}

static int is_number(const cf_helm_val *v)
{
	return v->kind == CF_HELM_INT || v->kind == CF_HELM_UINT || v->kind == CF_HELM_FLOAT;
}

static double num_of(const cf_helm_val *v)
{
	return v->kind == CF_HELM_FLOAT ? v->f : v->kind == CF_HELM_UINT ? (double)v->u : (double)v->i;
}

static int is_integer(const cf_helm_val *v)
{
	return v->kind != CF_HELM_FLOAT || (isfinite(v->f) && floor(v->f) == v->f);
}

/* ---- equality (enum, const, uniqueItems): JSON equality, numbers by value ---- */

static int doc_equal_val(const cf_doc *d, const cf_helm_val *v, int depth)
{
	if (depth > HV_MAX_DEPTH)
		return 0;
	switch (cf_doc_type_of(d)) {
	case CF_DOC_NULL: return v->kind == CF_HELM_NIL;
	case CF_DOC_BOOL: return v->kind == CF_HELM_BOOL && !!v->b == !!cf_doc_bool(d);
	case CF_DOC_INT:
	case CF_DOC_FLOAT: return is_number(v) && num_of(v) == cf_doc_float(d);
	case CF_DOC_STR:
		return v->kind == CF_HELM_STR && v->s.len == cf_doc_len(d) &&
		       !memcmp(v->s.p, cf_doc_text(d), v->s.len);
	case CF_DOC_SEQ:
		if (v->kind != CF_HELM_LIST || v->l.len != cf_doc_len(d))
			return 0;
		for (size_t i = 0; i < v->l.len; i++)
			if (!doc_equal_val(cf_doc_item(d, i), v->l.items[i], depth + 1))
				return 0;
		return 1;
	case CF_DOC_MAP:
		if (v->kind != CF_HELM_MAP || v->m.len != cf_doc_len(d))
			return 0;
		for (size_t i = 0; i < cf_doc_len(d); i++) {
			const char *k = cf_doc_text(cf_doc_key(d, i));
			cf_helm_val *item = k ? hv_map_get(v, k, strlen(k)) : NULL;
			if (!item || !doc_equal_val(cf_doc_value(d, i), item, depth + 1))
				return 0;
		}
		return 1;
	}
	return 0;
}

static int val_equal(const cf_helm_val *a, const cf_helm_val *b, int depth)
{
	if (depth > HV_MAX_DEPTH)
		return 0;
	if (is_number(a) || is_number(b))
		return is_number(a) && is_number(b) && num_of(a) == num_of(b);
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case CF_HELM_LIST:
		if (a->l.len != b->l.len)
			return 0;
		for (size_t i = 0; i < a->l.len; i++)
			if (!val_equal(a->l.items[i], b->l.items[i], depth + 1))
				return 0;
		return 1;
	case CF_HELM_MAP:
		if (a->m.len != b->m.len)
			return 0;
		for (size_t i = 0; i < a->m.len; i++)
			if (strcmp(a->m.pairs[i].key, b->m.pairs[i].key) != 0 ||
			    !val_equal(a->m.pairs[i].val, b->m.pairs[i].val, depth + 1))
				return 0;
		return 1;
	default:
		return hv_deep_equal(a, b, depth);
	}
}

/* ---- the validator ---- */

static verr *validate(vctx *x, const cf_doc *s, const cf_helm_val *v, int depth);

static const cf_doc *kw(const cf_doc *s, const char *name)
{
	return cf_doc_get(s, name);
}

static int kw_num(const cf_doc *s, const char *name, double *out)
{
	const cf_doc *d = kw(s, name);
	if (!d || (cf_doc_type_of(d) != CF_DOC_INT && cf_doc_type_of(d) != CF_DOC_FLOAT))
		return 0;
	*out = cf_doc_float(d);
	return 1;
}

/* Validates item (at path token tok) against s; path restored afterwards. */
static verr *validate_at(vctx *x, const cf_doc *s, const cf_helm_val *v, const char *tok,
                         int depth)
{
	size_t mark = x->path.len;
	verr *e;
	hbuf_putc(&x->path, '/');
	for (const char *p = tok; *p; p++) {
		if (*p == '~')
			hbuf_puts(&x->path, "~0");
		else if (*p == '/')
			hbuf_puts(&x->path, "~1");
		else
			hbuf_putc(&x->path, *p);
	}
	if (x->path.err)
		x->err = x->path.err;
	e = validate(x, s, v, depth + 1);
	x->path.len = mark;
	if (x->path.p)
		x->path.p[mark] = '\0';
	return e;
}

/* Resolves a local reference "#/a/b~1c" (percent-escapes and ~0/~1 decoded). */
static const cf_doc *resolve_ref(const vctx *x, const char *ref)
{
	const cf_doc *cur = x->root;
	char tok[512];
	if (ref[0] != '#')
		return NULL;
	ref++;
	while (*ref == '/' && cur) {
		size_t n = 0;
		for (ref++; *ref && *ref != '/' && n + 1 < sizeof(tok); ref++) {
			char c = *ref;
			if (c == '~' && (ref[1] == '0' || ref[1] == '1'))
				c = *++ref == '0' ? '~' : '/';
			else if (c == '%' && ref[1] && ref[2]) {
				char hex[3] = { ref[1], ref[2], 0 };
				c = (char)strtol(hex, NULL, 16);
				ref += 2;
			}
			tok[n++] = c;
		}
		tok[n] = '\0';
		if (cf_doc_type_of(cur) == CF_DOC_SEQ) {
			char *end;
			unsigned long i = strtoul(tok, &end, 10);
			cur = *end ? NULL : cf_doc_item(cur, i);
		} else {
			cur = cf_doc_get(cur, tok);
		}
	}
	return *ref ? NULL : cur;
}

static verr *check_ref(vctx *x, const cf_doc *s, const cf_helm_val *v, int depth)
{
	const cf_doc *r = kw(s, "$ref");
	const char *ref = r ? cf_doc_text(r) : NULL;
	const cf_doc *target;
	verr *e, *re;
	if (!ref || cf_doc_type_of(r) != CF_DOC_STR)
		return NULL;
	if (!(target = resolve_ref(x, ref))) {
		x->err = cf_error_set(CF_EINVALID, "values.schema.json: $ref %s cannot be resolved", ref);
		return NULL;
	}
	if (!(e = validate(x, target, v, depth + 1)))
		return NULL;
	/* A group's causes become the reference's own (same message, same place). */
	if (e->group) {
		e->group = 0;
		e->ref = 1;
		return e;
	}
	if (!(re = failf(x, "validation failed"))) {
		verr_free(e);
		return NULL;
	}
	re->ref = 1;
	if (!(re->causes = malloc(sizeof(*re->causes)))) {
		verr_free(e);
		verr_free(re);
		x->err = CF_ENOMEM;
		return NULL;
	}
	re->causes[0] = e;
	re->n = re->cap = 1;
	return re;
}

static verr *check_type(vctx *x, const cf_doc *s, const cf_helm_val *v)
{
	static const char *const order[] = {
		"null", "boolean", "number", "integer", "string", "array", "object",
	};
	const cf_doc *t = kw(s, "type");
	const char *got = json_type(v);
	int want[7] = { 0 }, any = 0;
	hbuf b;
	if (!t)
		return NULL;
	for (size_t i = 0; i < 7; i++) {
		if (cf_doc_type_of(t) == CF_DOC_STR) {
			want[i] = !strcmp(cf_doc_text(t), order[i]);
		} else if (cf_doc_type_of(t) == CF_DOC_SEQ) {
			for (size_t j = 0; j < cf_doc_len(t); j++) {
				const cf_doc *it = cf_doc_item(t, j);
				want[i] |= cf_doc_type_of(it) == CF_DOC_STR && !strcmp(cf_doc_text(it), order[i]);
			}
		}
		any |= want[i];
	}
	if (!any)
		return NULL;
	for (size_t i = 0; i < 7; i++)
		if (want[i] && (!strcmp(order[i], got) || (i == 3 && is_number(v) && is_integer(v))))
			return NULL;
	hbuf_init(&b, 0);
	hbuf_printf(&b, "got %s, want ", got);
	for (size_t i = 0, n = 0; i < 7; i++)
		if (want[i])
			hbuf_printf(&b, "%s%s", n++ ? " or " : "", order[i]);
	return fail_buf(x, &b);
}

static verr *check_enum(vctx *x, const cf_doc *s, const cf_helm_val *v)
{
	const cf_doc *en = kw(s, "enum"), *c = kw(s, "const");
	hbuf b;
	if (c && !doc_equal_val(c, v, 0)) {
		if (cf_doc_type_of(c) == CF_DOC_SEQ || cf_doc_type_of(c) == CF_DOC_MAP)
			return failf(x, "'const' failed");
		hbuf_init(&b, 0);
		hbuf_puts(&b, "value must be ");
		display(&b, c);
		return fail_buf(x, &b);
	}
	if (!en || cf_doc_type_of(en) != CF_DOC_SEQ)
		return NULL;
	for (size_t i = 0; i < cf_doc_len(en); i++)
		if (doc_equal_val(cf_doc_item(en, i), v, 0))
			return NULL;
	for (size_t i = 0; i < cf_doc_len(en); i++) {
		cf_doc_type t = cf_doc_type_of(cf_doc_item(en, i));
		if (t == CF_DOC_SEQ || t == CF_DOC_MAP)
			return failf(x, "'enum' failed");
	}
	hbuf_init(&b, 0);
	hbuf_puts(&b, cf_doc_len(en) == 1 ? "value must be " : "value must be one of ");
	for (size_t i = 0; i < cf_doc_len(en); i++) {
		if (i)
			hbuf_puts(&b, ", ");
		display(&b, cf_doc_item(en, i));
	}
	return fail_buf(x, &b);
}

static int pattern_match(vctx *x, const char *pat, const char *s, size_t n, int *matched)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	                               PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
	                               &code, &off, NULL);
	pcre2_match_data *md;
	if (!re)
		return x->err = cf_error_set(CF_EINVALID, "values.schema.json: invalid pattern %s", pat);
	if (!(md = pcre2_match_data_create_from_pattern(re, NULL))) {
		pcre2_code_free(re);
		return x->err = CF_ENOMEM;
	}
	*matched = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}

/* minimum/maximum/exclusive*: cmp_ok tells whether v against the limit passes. */
typedef struct {
	const char *name;
	int (*ok)(double v, double lim);
} num_rule;

static int ok_min(double v, double l) { return v >= l; }
static int ok_max(double v, double l) { return v <= l; }
static int ok_xmin(double v, double l) { return v > l; }
static int ok_xmax(double v, double l) { return v < l; }

static const num_rule num_rules[] = {
	{ "minimum", ok_min }, { "maximum", ok_max },
	{ "exclusiveMinimum", ok_xmin }, { "exclusiveMaximum", ok_xmax },
};

/* Exact for decimal inputs of up to 15 significant digits, as big.Rat division is. */
static int is_multiple(double v, double m)
{
	for (int k = 0; k <= 15; k++) {
		double sc = pow(10, k), a = v * sc, b = m * sc;
		if (fabs(a) < 9e15 && fabs(b) < 9e15 && a == nearbyint(a) && b == nearbyint(b))
			return b != 0 && fmod(a, b) == 0;
		if (fabs(a) >= 9e15 || fabs(b) >= 9e15)
			break;
	}
	{
		double q = v / m;
		return isfinite(q) && q == nearbyint(q);
	}
}

static void check_number(vctx *x, const cf_doc *s, const cf_helm_val *v, verrs *errs)
{
	double n = num_of(v), lim;
	for (size_t i = 0; i < sizeof(num_rules) / sizeof(num_rules[0]); i++) {
		hbuf b;
		if (!kw_num(s, num_rules[i].name, &lim) || num_rules[i].ok(n, lim))
			continue;
		hbuf_init(&b, 0);
		hbuf_printf(&b, "%s: got ", num_rules[i].name);
		print_float(&b, n);
		hbuf_puts(&b, ", want ");
		print_float(&b, lim);
		push(x, errs, fail_buf(x, &b));
	}
	if (kw_num(s, "multipleOf", &lim) && lim > 0 && !is_multiple(n, lim)) {
		hbuf b;
		hbuf_init(&b, 0);
		hbuf_puts(&b, "multipleOf: got ");
		print_float(&b, n);
		hbuf_puts(&b, ", want ");
		print_float(&b, lim);
		push(x, errs, fail_buf(x, &b));
	}
}

/* minLength/maxLength/minItems/... : "<name>: got N, want M". */
static void check_count(vctx *x, const cf_doc *s, const char *name, size_t got, int is_min,
                        verrs *errs)
{
	double lim;
	hbuf b;
	if (!kw_num(s, name, &lim) || (is_min ? (double)got >= lim : (double)got <= lim))
		return;
	hbuf_init(&b, 0);
	hbuf_printf(&b, "%s: got ", name);
	print_int(&b, (long long)got);
	hbuf_puts(&b, ", want ");
	print_int(&b, (long long)lim);
	push(x, errs, fail_buf(x, &b));
}

static void check_string(vctx *x, const cf_doc *s, const cf_helm_val *v, verrs *errs)
{
	const cf_doc *p = kw(s, "pattern");
	size_t runes = 0;
	for (size_t i = 0; i < v->s.len; i++)
		runes += ((unsigned char)v->s.p[i] & 0xc0) != 0x80;
	check_count(x, s, "minLength", runes, 1, errs);
	check_count(x, s, "maxLength", runes, 0, errs);
	if (p && cf_doc_type_of(p) == CF_DOC_STR) {
		int matched = 1;
		hbuf b;
		if (pattern_match(x, cf_doc_text(p), v->s.p, v->s.len, &matched) < 0 || matched)
			return;
		hbuf_init(&b, 0);
		quote(&b, v->s.p, v->s.len);
		hbuf_puts(&b, " does not match pattern ");
		quote(&b, cf_doc_text(p), cf_doc_len(p));
		push(x, errs, fail_buf(x, &b));
	}
}

static void check_array(vctx *x, const cf_doc *s, const cf_helm_val *v, int depth, verrs *errs)
{
	const cf_doc *items = kw(s, "items"), *prefix = kw(s, "prefixItems");
	const cf_doc *uniq = kw(s, "uniqueItems");
	size_t from = 0;
	char tok[32];
	check_count(x, s, "minItems", v->l.len, 1, errs);
	check_count(x, s, "maxItems", v->l.len, 0, errs);
	if (uniq && cf_doc_bool(uniq) && v->l.len > 1) {
		for (size_t i = 0; i < v->l.len; i++)
			for (size_t j = i + 1; j < v->l.len; j++)
				if (val_equal(v->l.items[i], v->l.items[j], 0)) {
					push(x, errs, failf(x, "items at %zu and %zu are equal", i, j));
					goto uniq_done;
				}
	}
uniq_done:
	/* Before 2020-12 an array of schemas in items is what prefixItems is now. */
	if (x->draft < 2020 && items && cf_doc_type_of(items) == CF_DOC_SEQ) {
		prefix = items;
		items = kw(s, "additionalItems");
	}
	for (size_t i = 0; prefix && cf_doc_type_of(prefix) == CF_DOC_SEQ && i < v->l.len &&
	                   i < cf_doc_len(prefix); i++, from++) {
		snprintf(tok, sizeof(tok), "%zu", i);
		push(x, errs, validate_at(x, cf_doc_item(prefix, i), v->l.items[i], tok, depth));
	}
	if (!items || cf_doc_type_of(items) == CF_DOC_SEQ)
		return;
	if (cf_doc_type_of(items) == CF_DOC_BOOL && !cf_doc_bool(items) && from < v->l.len &&
	    x->draft < 2020 && prefix) {
		push(x, errs, failf(x, "last %zu additionalItem(s) not allowed", v->l.len - from));
		return;
	}
	for (size_t i = from; i < v->l.len; i++) {
		snprintf(tok, sizeof(tok), "%zu", i);
		push(x, errs, validate_at(x, items, v->l.items[i], tok, depth));
	}
}

static int pattern_props(vctx *x, const cf_doc *pp, const char *key, const cf_helm_val *val,
                         int depth, verrs *errs)
{
	int hit = 0;
	for (size_t i = 0; pp && cf_doc_type_of(pp) == CF_DOC_MAP && i < cf_doc_len(pp); i++) {
		const char *pat = cf_doc_text(cf_doc_key(pp, i));
		int matched = 0;
		if (!pat)
			continue;
		if (pattern_match(x, pat, key, strlen(key), &matched) < 0)
			return 0;
		if (matched) {
			hit = 1;
			push(x, errs, validate_at(x, cf_doc_value(pp, i), val, key, depth));
		}
	}
	return hit;
}

static void check_object(vctx *x, const cf_doc *s, const cf_helm_val *v, int depth, verrs *errs)
{
	const cf_doc *req = kw(s, "required"), *props = kw(s, "properties");
	const cf_doc *add = kw(s, "additionalProperties"), *pp = kw(s, "patternProperties");
	hbuf miss, extra;
	size_t nmiss = 0, nextra = 0;

	check_count(x, s, "minProperties", v->m.len, 1, errs);
	check_count(x, s, "maxProperties", v->m.len, 0, errs);
	hbuf_init(&miss, 0);
	for (size_t i = 0; req && cf_doc_type_of(req) == CF_DOC_SEQ && i < cf_doc_len(req); i++) {
		const cf_doc *r = cf_doc_item(req, i);
		if (cf_doc_type_of(r) != CF_DOC_STR || hv_map_get(v, cf_doc_text(r), cf_doc_len(r)))
			continue;
		if (nmiss++)
			hbuf_puts(&miss, ", ");
		quote(&miss, cf_doc_text(r), cf_doc_len(r));
	}
	if (nmiss) {
		hbuf b;
		hbuf_init(&b, 0);
		hbuf_printf(&b, "missing propert%s %.*s", nmiss == 1 ? "y" : "ies", (int)miss.len,
		            miss.p ? miss.p : "");
		push(x, errs, fail_buf(x, &b));
	}
	hbuf_free(&miss);
	/* Go visits the keys in map order (random); sorted order is one of the orders it can take. */
	hbuf_init(&extra, 0);
	for (size_t i = 0; i < v->m.len && !x->err; i++) {
		const char *key = v->m.pairs[i].key;
		const cf_helm_val *val = v->m.pairs[i].val;
		const cf_doc *ps = props && cf_doc_type_of(props) == CF_DOC_MAP ? cf_doc_get(props, key) : NULL;
		int seen = ps != NULL;
		if (ps)
			push(x, errs, validate_at(x, ps, val, key, depth));
		seen |= pattern_props(x, pp, key, val, depth, errs);
		if (seen || !add)
			continue;
		if (cf_doc_type_of(add) == CF_DOC_BOOL) {
			if (!cf_doc_bool(add)) {
				if (nextra++)
					hbuf_puts(&extra, ", ");
				quote(&extra, key, strlen(key));
			}
		} else {
			push(x, errs, validate_at(x, add, val, key, depth));
		}
	}
	if (nextra) {
		hbuf b;
		hbuf_init(&b, 0);
		hbuf_printf(&b, "additional properties %.*s not allowed", (int)extra.len,
		            extra.p ? extra.p : "");
		push(x, errs, fail_buf(x, &b));
	}
	hbuf_free(&extra);
}

/* not, allOf, anyOf, oneOf, if/then/else. */
static void check_applicators(vctx *x, const cf_doc *s, const cf_helm_val *v, int depth,
                              verrs *errs)
{
	static const char *const lists[] = { "allOf", "anyOf", "oneOf" };
	const cf_doc *not = kw(s, "not"), *cond = kw(s, "if");
	verr *e;

	if (not) {
		if (!(e = validate(x, not, v, depth + 1)))
			push(x, errs, failf(x, "'not' failed"));
		verr_free(e);
	}
	for (size_t k = 0; k < 3; k++) {
		const cf_doc *l = kw(s, lists[k]);
		verrs sub = { 0 };
		size_t ok = 0, first = 0;
		if (!l || cf_doc_type_of(l) != CF_DOC_SEQ || !cf_doc_len(l))
			continue;
		for (size_t i = 0; i < cf_doc_len(l) && !x->err; i++) {
			if ((e = validate(x, cf_doc_item(l, i), v, depth + 1)))
				push(x, &sub, e);
			else if (ok++ == 0)
				first = i;
			else if (k == 2) {
				verrs_clear(&sub);
				push(x, errs, failf(x, "'oneOf' failed, subschemas %zu, %zu matched", first, i));
				break;
			}
		}
		if (k == 0 && sub.n)
			push(x, errs, fail_group(x, "'allOf' failed", &sub));
		else if (k == 1 && !ok)
			push(x, errs, fail_group(x, "'anyOf' failed", &sub));
		else if (k == 2 && !ok)
			push(x, errs, fail_group(x, "'oneOf' failed, none matched", &sub));
		verrs_clear(&sub);
	}
	if (cond) {
		const cf_doc *branch;
		e = validate(x, cond, v, depth + 1);
		branch = kw(s, e ? "else" : "then");
		verr_free(e);
		if (branch)
			push(x, errs, validate(x, branch, v, depth + 1));
	}
}

/* One schema against one value: NULL when it holds (or on an error set in x->err). */
static verr *validate(vctx *x, const cf_doc *s, const cf_helm_val *v, int depth)
{
	verrs errs = { 0 };
	verr *e;

	if (x->err)
		return NULL;
	if (depth > SCHEMA_MAX_DEPTH) {
		x->err = cf_error_set(CF_ELIMIT, "values.schema.json: schema nesting or $ref chain "
		                      "deeper than %d", SCHEMA_MAX_DEPTH);
		return NULL;
	}
	if (cf_doc_type_of(s) == CF_DOC_BOOL)
		return cf_doc_bool(s) ? NULL : failf(x, "false schema");
	if (cf_doc_type_of(s) != CF_DOC_MAP)
		return NULL;
	if ((e = check_type(x, s, v)) || (e = check_enum(x, s, v)))
		return e;
	if (kw(s, "$ref")) {
		e = check_ref(x, s, v, depth);
		if (x->draft < 2019)
			return e;
		push(x, &errs, e);
	}
	switch (v->kind) {
	case CF_HELM_MAP: check_object(x, s, v, depth, &errs); break;
	case CF_HELM_LIST: check_array(x, s, v, depth, &errs); break;
	case CF_HELM_STR: check_string(x, s, v, &errs); break;
	case CF_HELM_INT:
	case CF_HELM_UINT:
	case CF_HELM_FLOAT: check_number(x, s, v, &errs); break;
	default: break;
	}
	check_applicators(x, s, v, depth, &errs);
	if (x->err) {
		verrs_clear(&errs);
		return NULL;
	}
	if (errs.n == 0)
		return NULL;
	if (errs.n == 1) {
		e = errs.v[0];
		free(errs.v);
		return e;
	}
	if ((e = fail_group(x, "validation failed", &errs)))
		e->group = 1;
	return e;
}

/* ---- references, checked before validating as the validator's compiler checks them ---- */

/* Keywords whose value is one schema, and those whose value is a list or map of schemas. */
static const char *const schema_kws[] = {
	"additionalProperties", "items", "additionalItems", "not", "if", "then", "else", "contains",
	"propertyNames", NULL,
};
static const char *const schema_list_kws[] = {
	"allOf", "anyOf", "oneOf", "prefixItems", "items", "properties", "patternProperties",
	"dependentSchemas", NULL,
};

/*
 * Every $ref reachable from s must resolve: a local pointer that points nowhere, or a file next
 * to the schema (which a chart cannot ship), is reported with the validator's words in *msg.
 */
static int check_refs(vctx *x, const cf_doc *s, int depth, hbuf *msg)
{
	const cf_doc *r;
	if (depth > 64 || cf_doc_type_of(s) != CF_DOC_MAP)
		return 0;
	if ((r = kw(s, "$ref")) && cf_doc_type_of(r) == CF_DOC_STR) {
		const char *ref = cf_doc_text(r);
		const cf_doc *target;
		if (ref[0] != '#') {
			size_t n = strcspn(ref, "#");
			if (!strncmp(ref, "http://", 7) || !strncmp(ref, "https://", 8))
				return 0;
			hbuf_printf(msg, "failing loading \"file:///%.*s\": open /%.*s: no such file or "
			            "directory", (int)n, ref, (int)n, ref);
			return 1;
		}
		if (!(target = resolve_ref(x, ref))) {
			hbuf_printf(msg, "json-pointer in \"file:///values.schema.json%s\" not found", ref);
			return 1;
		}
		if (check_refs(x, target, depth + 1, msg))
			return 1;
	}
	for (size_t i = 0; schema_kws[i]; i++)
		if ((r = kw(s, schema_kws[i])) && check_refs(x, r, depth + 1, msg))
			return 1;
	for (size_t i = 0; schema_list_kws[i]; i++) {
		r = kw(s, schema_list_kws[i]);
		if (!r || (cf_doc_type_of(r) != CF_DOC_SEQ && cf_doc_type_of(r) != CF_DOC_MAP))
			continue;
		for (size_t j = 0; j < cf_doc_len(r); j++) {
			const cf_doc *sub = cf_doc_type_of(r) == CF_DOC_SEQ ? cf_doc_item(r, j) :
			                                                     cf_doc_value(r, j);
			if (check_refs(x, sub, depth + 1, msg))
				return 1;
		}
	}
	return 0;
}

/* ValidationError.Error(): "- at '<loc>': <msg>" lines, causes indented two spaces more. */
static void show(hbuf *b, const verr *e, int indent)
{
	if (!(e->ref && e->n == 1)) {
		if (b->len)
			hbuf_putc(b, '\n');
		for (int i = 0; i < indent - 1; i++)
			hbuf_puts(b, "  ");
		hbuf_puts(b, "- at ");
		quote(b, e->loc, strlen(e->loc));
		hbuf_printf(b, ": %s", e->msg);
		indent++;
	}
	for (size_t i = 0; i < e->n; i++)
		show(b, e->causes[i], indent);
}

static int draft_of(const cf_doc *root)
{
	const char *s = cf_doc_get_str(root, "$schema");
	if (!s)
		return 2020;
	return strstr(s, "draft-04") ? 4 : strstr(s, "draft-06") ? 6 : strstr(s, "draft-07") ? 7 :
	       strstr(s, "2019-09") ? 2019 : 2020;
}

/* Appends "<name>:\n- at ...\n" to out when vals fail c's own schema. */
static int validate_one(const cf_helm_chart *c, const cf_helm_val *vals, hbuf *out)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_JSON, .filename = "values.schema.json" };
	cf_doc *root = NULL;
	cf_helm_val *empty = NULL;
	vctx x = { 0 };
	verr *e;
	int err;

	if ((err = cf_doc_load_json(&root, c->schema, c->schema_len, &lo)) < 0)
		return err;
	if (!vals && !(vals = empty = hv_map())) {
		cf_doc_free(root);
		return CF_ENOMEM;
	}
	x.root = root;
	x.draft = draft_of(root);
	hbuf_init(&x.path, 0);
	{
		/* A schema the validator would not compile: its message is the chart's whole block. */
		hbuf bad;
		hbuf_init(&bad, 0);
		if (check_refs(&x, root, 0, &bad)) {
			hbuf_printf(out, "%s:\n%.*s", c->name, (int)bad.len, bad.p ? bad.p : "");
			hbuf_free(&bad);
			hbuf_free(&x.path);
			hv_unref(empty);
			cf_doc_free(root);
			return out->err;
		}
		hbuf_free(&bad);
	}
	e = validate(&x, root, vals, 0);
	if (x.err == 0 && e) {
		/* The schema-level error's causes are what Helm prints (its header line is cut). */
		hbuf body;
		hbuf_init(&body, 0);
		if (e->group)
			for (size_t i = 0; i < e->n; i++)
				show(&body, e->causes[i], 1);
		else
			show(&body, e, 1);
		hbuf_printf(out, "%s:\n%.*s\n", c->name, (int)body.len, body.p ? body.p : "");
		if (body.err)
			x.err = body.err;
		hbuf_free(&body);
	}
	verr_free(e);
	hbuf_free(&x.path);
	hv_unref(empty);
	cf_doc_free(root);
	if (x.err == CF_ENOMEM)
		return cf_error_set(CF_ENOMEM, "out of memory");
	return x.err ? x.err : out->err;
}

static int validate_tree(const cf_helm_chart *c, const cf_helm_val *vals, hbuf *out)
{
	int err;
	if (c->schema && (err = validate_one(c, vals, out)) < 0)
		return err;
	for (size_t i = 0; i < c->ndeps; i++) {
		const cf_helm_chart *d = c->deps[i];
		const cf_helm_val *sub = vals && vals->kind == CF_HELM_MAP ?
		                         hv_map_get(vals, d->name, strlen(d->name)) : NULL;
		if (sub && sub->kind != CF_HELM_MAP)
			sub = NULL;
		if ((err = validate_tree(d, sub, out)) < 0)
			return err;
	}
	return 0;
}

int chart_schema_validate(const cf_helm_chart *c, const cf_helm_val *vals)
{
	hbuf out;
	int err;
	hbuf_init(&out, 0);
	err = validate_tree(c, vals, &out);
	if (err == 0 && out.len) {
		hbuf msg;
		hbuf_init(&msg, 0);
		hbuf_printf(&msg, "values don't meet the specifications of the schema(s) in the following "
		            "chart(s):\n%s", out.p);
		err = msg.err ? cf_error_set(CF_ENOMEM, "out of memory") :
		      hv_error_long(CF_EINVALID, msg.p);
		hbuf_free(&msg);
	}
	hbuf_free(&out);
	return err;
}
