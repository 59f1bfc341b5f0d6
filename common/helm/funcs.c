/* The function table lookup and the cast helpers shared by Sprig's function families. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Later tables win: Helm's own functions override Sprig's, Sprig's override Go's builtins. */
static const func_def *const tables[] = {
	funcs_helm, funcs_yaml, funcs_url, funcs_json, funcs_semver, funcs_date, funcs_crypto, funcs_encoding, funcs_regex,
	funcs_conv, funcs_math, funcs_dicts, funcs_lists, funcs_strings, funcs_builtin,
};

/*
 * Every function, sorted by name once (the first table naming a function wins, as the tables'
 * order says), so the parser finds each call's function by binary search.
 */
static const func_def **sorted;
static size_t nsorted;
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static size_t table_index(const func_def *f)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const func_def *e = tables[t];
		while (e->name)
			e++;
		if (f >= tables[t] && f < e)
			return t;
	}
	return 0;
}

static int by_name_table(const void *a, const void *b)
{
	const func_def *fa = *(const func_def *const *)a, *fb = *(const func_def *const *)b;
	int c = strcmp(fa->name, fb->name);
	if (c)
		return c;
	size_t ta = table_index(fa), tb = table_index(fb);
	return ta < tb ? -1 : ta > tb;
}

static void sort_funcs(void)
{
	size_t n = 0, t;
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const func_def *f = tables[t]; f->name; f++)
			n++;
	if (!(sorted = malloc(n * sizeof(*sorted))))
		return;
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const func_def *f = tables[t]; f->name; f++)
			sorted[nsorted++] = f;
	qsort(sorted, nsorted, sizeof(*sorted), by_name_table);
}

static const func_def *find_linear(const char *name)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const func_def *f = tables[t]; f->name; f++)
			if (!strcmp(f->name, name))
				return f->fn ? f : NULL;
	return NULL;
}

const func_def *funcs_find(const char *name)
{
	size_t lo = 0, hi;
	pthread_once(&sorted_once, sort_funcs);
	if (!sorted)
		return find_linear(name);
	hi = nsorted;
	/* The first of equal names is the one the earliest table holds. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sorted[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < nsorted && !strcmp(sorted[lo]->name, name))
		return sorted[lo]->fn ? sorted[lo] : NULL;
	return NULL;
}

int fcall_err(fcall *c, const char *fmt, ...)
{
	va_list ap;
	(void)c;
	va_start(ap, fmt);
	cf_error_vset(CF_EINVALID, fmt, ap);
	va_end(ap);
	return CF_EINVALID;
}

/* strconv.ParseInt(s, 0, 64) as cast uses it (prefixes, legacy octal, underscores). */
static bool parse_int0(const char *s, int64_t *out)
{
	char buf[128];
	size_t i, o = 0;
	bool neg = false;
	int base = 10;
	const char *p;
	char *end;
	unsigned long long u;
	if (!*s || strlen(s) >= sizeof(buf))
		return false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	for (i = 0; s[i]; i++) {
		if (s[i] == '_') {
			if (i == 0 || !s[i + 1] || s[i + 1] == '_')
				return false;
			continue;
		}
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	if (!o)
		return false;
	for (p = buf; *p; p++)
		if (*p == '-' || *p == '+' || *p == ' ')
			return false;
	errno = 0;
	u = strtoull(buf, &end, base);
	if (*end || errno)
		return false;
	if (neg ? u > (unsigned long long)INT64_MAX + 1 : u > (unsigned long long)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

/* cast's trimZeroDecimal: "12.00" -> "12". */
static void trim_zero_decimal(char *s)
{
	size_t i = strlen(s);
	bool zero = false;
	while (i > 0) {
		char c = s[i - 1];
		if (c == '.') {
			if (zero)
				s[i - 1] = '\0';
			return;
		}
		if (c != '0')
			return;
		zero = true;
		i--;
	}
}

int64_t conv_to_int64(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_INT: return v->i;
	case CF_HELM_UINT: return (int64_t)v->u;
	case CF_HELM_FLOAT:
		if (v->f != v->f)
			return INT64_MIN;
		if (v->f >= 9223372036854775808.0 || v->f < -9223372036854775808.0)
			return INT64_MIN;
		return (int64_t)v->f;
	case CF_HELM_BOOL: return v->b ? 1 : 0;
	case CF_HELM_STR: {
		char buf[128];
		int64_t r;
		if (v->s.len >= sizeof(buf))
			return 0;
		memcpy(buf, v->s.p, v->s.len);
		buf[v->s.len] = '\0';
		trim_zero_decimal(buf);
		return parse_int0(buf, &r) ? r : 0;
	}
	default: return 0;
	}
}

double conv_to_float64(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_INT: return (double)v->i;
	case CF_HELM_UINT: return (double)v->u;
	case CF_HELM_FLOAT: return v->f;
	case CF_HELM_BOOL: return v->b ? 1 : 0;
	case CF_HELM_STR: {
		char buf[128], *end;
		double d;
		size_t i, o = 0;
		if (v->s.len >= sizeof(buf) || !v->s.len)
			return 0;
		for (i = 0; i < v->s.len; i++)
			if (v->s.p[i] != '_')
				buf[o++] = v->s.p[i];
		buf[o] = '\0';
		if (isspace((unsigned char)buf[0]))
			return 0;
		errno = 0;
		d = strtod(buf, &end);
		if (*end)
			return 0;
		return d;
	}
	default: return 0;
	}
}

cf_helm_val *conv_to_strlist(const cf_helm_val *v)
{
	cf_helm_val *out;
	size_t i;
	if (v->kind == CF_HELM_LIST && (v->sub == CF_HELM_LIST_STR || v->sub == HV_LIST_TYPED))
		return hv_ref((cf_helm_val *)v);
	out = hv_list(CF_HELM_LIST_STR, v->kind == CF_HELM_LIST ? v->l.len : 1);
	if (!out)
		return NULL;
	if (v->kind == CF_HELM_LIST) {
		for (i = 0; i < v->l.len; i++) {
			size_t len;
			char *s;
			if (v->l.items[i]->kind == CF_HELM_NIL)
				continue;
			s = hv_strval(v->l.items[i], &len);
			if (!s || hv_list_push(out, hv_str_take(s, len)) < 0) {
				hv_unref(out);
				return NULL;
			}
		}
		return out;
	}
	if (v->kind != CF_HELM_NIL) {
		size_t len;
		char *s = hv_strval(v, &len);
		if (!s || hv_list_push(out, hv_str_take(s, len)) < 0) {
			hv_unref(out);
			return NULL;
		}
	}
	return out;
}

bool conv_list(const cf_helm_val *v, cf_helm_val *const **items, size_t *n)
{
	if (v->kind != CF_HELM_LIST)
		return false;
	*items = v->l.items;
	*n = v->l.len;
	return true;
}
