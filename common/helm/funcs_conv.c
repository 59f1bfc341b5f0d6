/* Sprig's type conversions, defaults (default, empty, coalesce, ternary) and reflection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int ret(cf_helm_val **out, cf_helm_val *v)
{
	*out = v;
	return v ? 0 : CF_ENOMEM;
}

/* strconv.Atoi: optional sign and decimal digits only. */
static int fn_atoi(fcall *c, cf_helm_val **out)
{
	const char *s = c->args[0]->s.p;
	size_t n = c->args[0]->s.len, i = 0;
	bool neg = false;
	uint64_t v = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n)
		return ret(out, hv_int(0));
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return ret(out, hv_int(0));
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return ret(out, hv_int(0));
	return ret(out, hv_int(neg ? (int64_t)(0 - v) : (int64_t)v));
}

static int fn_int64(fcall *c, cf_helm_val **out) { return ret(out, hv_int64(conv_to_int64(c->args[0]))); }
static int fn_int(fcall *c, cf_helm_val **out) { return ret(out, hv_int(conv_to_int64(c->args[0]))); }
static int fn_float64(fcall *c, cf_helm_val **out) { return ret(out, hv_float(conv_to_float64(c->args[0]))); }

static int fn_to_decimal(fcall *c, cf_helm_val **out)
{
	size_t len;
	char *s = hv_strval(c->args[0], &len), *end;
	long long v;
	if (!s)
		return CF_ENOMEM;
	errno = 0;
	v = strtoll(s, &end, 8);
	if (!len || *end || errno || s[0] == ' ' || strchr(s, '_') || (s[0] == '0' && strchr("xXoObB", s[1] ? s[1] : ' ') && s[1]))
		v = 0;
	free(s);
	return ret(out, hv_int64(v));
}

/* Sprig's empty: nil, zero numbers, false, and zero-length strings, lists and maps. */
static bool empty(const cf_helm_val *v)
{
	return v->kind != CF_HELM_OBJ && !hv_truth(v);
}

static int fn_default(fcall *c, cf_helm_val **out)
{
	if (c->nargs < 2 || empty(c->args[1]))
		return ret(out, hv_ref(c->args[0]));
	return ret(out, hv_ref(c->args[1]));
}

static int fn_empty(fcall *c, cf_helm_val **out) { return ret(out, hv_bool(empty(c->args[0]))); }

static int fn_coalesce(fcall *c, cf_helm_val **out)
{
	size_t i;
	for (i = 0; i < c->nargs; i++)
		if (!empty(c->args[i]))
			return ret(out, hv_ref(c->args[i]));
	*out = HV_NIL;
	return 0;
}

static int fn_all(fcall *c, cf_helm_val **out)
{
	size_t i;
	for (i = 0; i < c->nargs; i++)
		if (empty(c->args[i]))
			return ret(out, hv_bool(0));
	return ret(out, hv_bool(1));
}

static int fn_any(fcall *c, cf_helm_val **out)
{
	size_t i;
	for (i = 0; i < c->nargs; i++)
		if (!empty(c->args[i]))
			return ret(out, hv_bool(1));
	return ret(out, hv_bool(0));
}

static int fn_ternary(fcall *c, cf_helm_val **out)
{
	return ret(out, hv_ref(c->args[2]->b ? c->args[0] : c->args[1]));
}

static int fn_type_of(fcall *c, cf_helm_val **out) { return ret(out, hv_str(hv_type_name(c->args[0]))); }
static int fn_kind_of(fcall *c, cf_helm_val **out) { return ret(out, hv_str(hv_kind_name(c->args[0]))); }

static int fn_type_is(fcall *c, cf_helm_val **out)
{
	return ret(out, hv_bool(!strcmp(c->args[0]->s.p, hv_type_name(c->args[1]))));
}

static int fn_type_is_like(fcall *c, cf_helm_val **out)
{
	const char *t = hv_type_name(c->args[1]);
	return ret(out, hv_bool(!strcmp(c->args[0]->s.p, t) || (t[0] == '*' && !strcmp(c->args[0]->s.p, t + 1))));
}

static int fn_kind_is(fcall *c, cf_helm_val **out)
{
	return ret(out, hv_bool(!strcmp(c->args[0]->s.p, hv_kind_name(c->args[1]))));
}

static int fn_deep_equal(fcall *c, cf_helm_val **out)
{
	return ret(out, hv_bool(hv_deep_equal(c->args[0], c->args[1], 0)));
}

const func_def funcs_conv[] = {
	{ "atoi", fn_atoi, 1, 0, { PT_STR }, 0 },
	{ "int64", fn_int64, 1, 0, { PT_ANY }, 0 },
	{ "int", fn_int, 1, 0, { PT_ANY }, 0 },
	{ "float64", fn_float64, 1, 0, { PT_ANY }, 0 },
	{ "toDecimal", fn_to_decimal, 1, 0, { PT_ANY }, 0 },
	{ "default", fn_default, 1, 1, { PT_ANY }, PT_ANY },
	{ "empty", fn_empty, 1, 0, { PT_ANY }, 0 },
	{ "coalesce", fn_coalesce, 0, 1, { 0 }, PT_ANY },
	{ "all", fn_all, 0, 1, { 0 }, PT_ANY },
	{ "any", fn_any, 0, 1, { 0 }, PT_ANY },
	{ "ternary", fn_ternary, 3, 0, { PT_ANY, PT_ANY, PT_BOOL }, 0 },
	{ "typeOf", fn_type_of, 1, 0, { PT_ANY }, 0 },
	{ "typeIs", fn_type_is, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "typeIsLike", fn_type_is_like, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "kindOf", fn_kind_of, 1, 0, { PT_ANY }, 0 },
	{ "kindIs", fn_kind_is, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "deepEqual", fn_deep_equal, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
