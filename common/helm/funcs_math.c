/* Sprig's arithmetic: int64 integer math, shopspring/decimal float math, rounding helpers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int ret_i64(cf_helm_val **out, int64_t v)
{
	*out = hv_int64(v);
	return *out ? 0 : CF_ENOMEM;
}

static int ret_f(cf_helm_val **out, double v)
{
	*out = hv_float(v);
	return *out ? 0 : CF_ENOMEM;
}

/* Go integer arithmetic wraps around. */
static int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wrap_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }

static int fn_add1(fcall *c, cf_helm_val **out)
{
	return ret_i64(out, wrap_add(conv_to_int64(c->args[0]), 1));
}

static int fn_add(fcall *c, cf_helm_val **out)
{
	int64_t a = 0;
	size_t i;
	for (i = 0; i < c->nargs; i++)
		a = wrap_add(a, conv_to_int64(c->args[i]));
	return ret_i64(out, a);
}

static int fn_sub(fcall *c, cf_helm_val **out)
{
	return ret_i64(out, (int64_t)((uint64_t)conv_to_int64(c->args[0]) - (uint64_t)conv_to_int64(c->args[1])));
}

static int fn_div(fcall *c, cf_helm_val **out)
{
	int64_t a = conv_to_int64(c->args[0]), b = conv_to_int64(c->args[1]);
	if (b == 0)
		return cf_error_set(CF_EINVALID, "runtime error: integer divide by zero");
	return ret_i64(out, (a == INT64_MIN && b == -1) ? a : a / b);
}

static int fn_mod(fcall *c, cf_helm_val **out)
{
	int64_t a = conv_to_int64(c->args[0]), b = conv_to_int64(c->args[1]);
	if (b == 0)
		return cf_error_set(CF_EINVALID, "runtime error: integer divide by zero");
	return ret_i64(out, b == -1 ? 0 : a % b);
}

static int fn_mul(fcall *c, cf_helm_val **out)
{
	int64_t a = conv_to_int64(c->args[0]);
	size_t i;
	for (i = 1; i < c->nargs; i++)
		a = wrap_mul(a, conv_to_int64(c->args[i]));
	return ret_i64(out, a);
}

static int fn_max(fcall *c, cf_helm_val **out)
{
	int64_t a = conv_to_int64(c->args[0]);
	size_t i;
	for (i = 1; i < c->nargs; i++) {
		int64_t b = conv_to_int64(c->args[i]);
		if (b > a)
			a = b;
	}
	return ret_i64(out, a);
}

static int fn_min(fcall *c, cf_helm_val **out)
{
	int64_t a = conv_to_int64(c->args[0]);
	size_t i;
	for (i = 1; i < c->nargs; i++) {
		int64_t b = conv_to_int64(c->args[i]);
		if (b < a)
			a = b;
	}
	return ret_i64(out, a);
}

/* math.Max/Min: NaN wins, and +0 beats -0 for Max. */
static int fn_maxf(fcall *c, cf_helm_val **out)
{
	double a = conv_to_float64(c->args[0]);
	size_t i;
	for (i = 1; i < c->nargs; i++) {
		double b = conv_to_float64(c->args[i]);
		if (isnan(a) || isnan(b))
			a = NAN;
		else if (b > a || (b == 0 && a == 0 && !signbit(b)))
			a = b;
	}
	return ret_f(out, a);
}

static int fn_minf(fcall *c, cf_helm_val **out)
{
	double a = conv_to_float64(c->args[0]);
	size_t i;
	for (i = 1; i < c->nargs; i++) {
		double b = conv_to_float64(c->args[i]);
		if (isnan(a) || isnan(b))
			a = NAN;
		else if (b < a || (b == 0 && a == 0 && signbit(b)))
			a = b;
	}
	return ret_f(out, a);
}

static int fn_floor(fcall *c, cf_helm_val **out) { return ret_f(out, floor(conv_to_float64(c->args[0]))); }
static int fn_ceil(fcall *c, cf_helm_val **out) { return ret_f(out, ceil(conv_to_float64(c->args[0]))); }

static int fn_round(fcall *c, cf_helm_val **out)
{
	double on = 0.5, val = conv_to_float64(c->args[0]), places = (double)c->args[1]->i, pw, digit, ip;
	if (c->nargs > 2)
		on = c->args[2]->f;
	pw = pow(10, places);
	digit = pw * val;
	if (modf(digit, &ip) >= on)
		digit = ceil(digit);
	else
		digit = floor(digit);
	return ret_f(out, digit / pw);
}

static int fn_rand_int(fcall *c, cf_helm_val **out)
{
	int64_t lo = c->args[0]->i, hi = c->args[1]->i;
	uint64_t n = (uint64_t)hi - (uint64_t)lo, r;
	if (hi <= lo)
		return cf_error_set(CF_EINVALID, "invalid argument to Intn");
	if (exec_random(c->st, (unsigned char *)&r, sizeof(r)) < 0)
		return CF_EINTERNAL;
	*out = hv_int((int64_t)((uint64_t)lo + r % n));
	return *out ? 0 : CF_ENOMEM;
}

/* ---- shopspring/decimal: exact decimal arithmetic on the shortest form of each float ---- */

typedef struct {
	__int128 m;
	int exp;
	bool ok;
} dec;

static dec dec_from_float(double f)
{
	char buf[64], *e;
	dec d = { 0, 0, true };
	bool neg = f < 0;
	size_t i;
	int frac = 0;
	bool in_frac = false;
	if (isnan(f) || isinf(f)) {
		d.ok = false;
		return d;
	}
	fmt_float_g(buf, sizeof(buf), fabs(f));
	e = strchr(buf, 'e');
	for (i = 0; buf + i != e && buf[i]; i++) {
		if (buf[i] == '.') {
			in_frac = true;
			continue;
		}
		d.m = d.m * 10 + (buf[i] - '0');
		frac += in_frac;
	}
	d.exp = (e ? atoi(e + 1) : 0) - frac;
	if (neg)
		d.m = -d.m;
	return d;
}

static double dec_to_float(dec d)
{
	char buf[80];
	unsigned __int128 u;
	char digits[48];
	int n = 0;
	bool neg = d.m < 0;
	if (!d.ok)
		return NAN;
	u = neg ? (unsigned __int128)(-d.m) : (unsigned __int128)d.m;
	do {
		digits[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	{
		int i, o = 0;
		if (neg)
			buf[o++] = '-';
		for (i = n - 1; i >= 0; i--)
			buf[o++] = digits[i];
		snprintf(buf + o, sizeof(buf) - (size_t)o, "e%d", d.exp);
	}
	return strtod(buf, NULL);
}

static const __int128 DEC_LIMIT = (__int128)1 << 120;

static bool scale_up(dec *d, int exp)
{
	while (d->exp > exp) {
		if (d->m > DEC_LIMIT / 10 || d->m < -DEC_LIMIT / 10)
			return false;
		d->m *= 10;
		d->exp--;
	}
	return true;
}

static dec dec_op(dec a, dec b, char op)
{
	dec r = { 0, 0, a.ok && b.ok };
	if (!r.ok)
		return r;
	switch (op) {
	case '+':
	case '-': {
		int e = a.exp < b.exp ? a.exp : b.exp;
		if (!scale_up(&a, e) || !scale_up(&b, e)) {
			r.ok = false;
			return r;
		}
		r.m = op == '+' ? a.m + b.m : a.m - b.m;
		r.exp = e;
		return r;
	}
	case '*':
		if ((a.m > ((__int128)1 << 62) || a.m < -((__int128)1 << 62)) &&
		    (b.m > ((__int128)1 << 62) || b.m < -((__int128)1 << 62))) {
			r.ok = false;
			return r;
		}
		r.m = a.m * b.m;
		r.exp = a.exp + b.exp;
		return r;
	default: {
		/* DivRound to 16 decimal places, half away from zero. */
		__int128 q, rem;
		bool neg;
		if (b.m == 0) {
			r.ok = false;
			return r;
		}
		neg = (a.m < 0) != (b.m < 0);
		if (a.m < 0)
			a.m = -a.m;
		if (b.m < 0)
			b.m = -b.m;
		/* value = a.m/b.m * 10^(a.exp-b.exp); want mantissa at exponent -16. */
		{
			int shift = a.exp - b.exp + 16;
			while (shift > 0) {
				if (a.m > DEC_LIMIT / 10) {
					r.ok = false;
					return r;
				}
				a.m *= 10;
				shift--;
			}
			while (shift < 0) {
				if (b.m > DEC_LIMIT / 10) {
					r.ok = false;
					return r;
				}
				b.m *= 10;
				shift++;
			}
		}
		q = a.m / b.m;
		rem = a.m % b.m;
		if (rem * 2 >= b.m)
			q++;
		r.m = neg ? -q : q;
		r.exp = -16;
		return r;
	}
	}
}

static double float_op(double a, double b, char op)
{
	switch (op) {
	case '+': return a + b;
	case '-': return a - b;
	case '*': return a * b;
	default: return a / b;
	}
}

/* Sprig's execDecimalOp; falls back to float math outside the exact range. */
static int decimal_op(fcall *c, cf_helm_val **out, double start, size_t from, char op)
{
	dec acc = dec_from_float(start);
	double facc = start;
	size_t i;
	for (i = from; i < c->nargs; i++) {
		double x = conv_to_float64(c->args[i]);
		if (op == '/' && x == 0)
			return cf_error_set(CF_EINVALID, "decimal division by 0");
		acc = dec_op(acc, dec_from_float(x), op);
		facc = float_op(facc, x, op);
	}
	return ret_f(out, acc.ok ? dec_to_float(acc) : facc);
}

static int fn_addf(fcall *c, cf_helm_val **out) { return decimal_op(c, out, 0, 0, '+'); }

static int fn_add1f(fcall *c, cf_helm_val **out)
{
	dec r = dec_op(dec_from_float(conv_to_float64(c->args[0])), dec_from_float(1), '+');
	return ret_f(out, r.ok ? dec_to_float(r) : conv_to_float64(c->args[0]) + 1);
}

static int fn_subf(fcall *c, cf_helm_val **out) { return decimal_op(c, out, conv_to_float64(c->args[0]), 1, '-'); }
static int fn_mulf(fcall *c, cf_helm_val **out) { return decimal_op(c, out, conv_to_float64(c->args[0]), 1, '*'); }
static int fn_divf(fcall *c, cf_helm_val **out) { return decimal_op(c, out, conv_to_float64(c->args[0]), 1, '/'); }

const func_def funcs_math[] = {
	{ "add1", fn_add1, 1, 0, { PT_ANY }, 0 },
	{ "add", fn_add, 0, 1, { 0 }, PT_ANY },
	{ "sub", fn_sub, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "div", fn_div, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "mod", fn_mod, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "mul", fn_mul, 1, 1, { PT_ANY }, PT_ANY },
	{ "randInt", fn_rand_int, 2, 0, { PT_INT, PT_INT }, 0 },
	{ "add1f", fn_add1f, 1, 0, { PT_ANY }, 0 },
	{ "addf", fn_addf, 0, 1, { 0 }, PT_ANY },
	{ "subf", fn_subf, 1, 1, { PT_ANY }, PT_ANY },
	{ "divf", fn_divf, 1, 1, { PT_ANY }, PT_ANY },
	{ "mulf", fn_mulf, 1, 1, { PT_ANY }, PT_ANY },
	{ "biggest", fn_max, 1, 1, { PT_ANY }, PT_ANY },
	{ "max", fn_max, 1, 1, { PT_ANY }, PT_ANY },
	{ "min", fn_min, 1, 1, { PT_ANY }, PT_ANY },
	{ "maxf", fn_maxf, 1, 1, { PT_ANY }, PT_ANY },
	{ "minf", fn_minf, 1, 1, { PT_ANY }, PT_ANY },
	{ "ceil", fn_ceil, 1, 0, { PT_ANY }, 0 },
	{ "floor", fn_floor, 1, 0, { PT_ANY }, 0 },
	{ "round", fn_round, 2, 1, { PT_ANY, PT_INT }, PT_FLOAT },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
