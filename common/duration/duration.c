/* Parsing and printing Go durations, digit for digit as Go's time package does. */
#include "cf/duration.h"
#include "cf/error.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", 1000000},
	{"s", 1000000000ULL}, {"m", 60000000000ULL}, {"h", 3600000000000ULL},
};

/* The unit is everything up to the next digit or '.', as Go reads it; 0 when unknown. */
static uint64_t lookup_unit(const char *u, size_t n)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && strncmp(u, units[i].name, n) == 0)
			return units[i].ns;
	return 0;
}

static int invalid(const char *s)
{
	return cf_error_set(CF_EINVALID, "time: invalid duration \"%s\"", s);
}

int cf_duration_parse(int64_t *out_ns, const char *s)
{
	const char *p = s;
	int neg = 0;
	uint64_t total = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*out_ns = 0;
		return 0;
	}
	if (*p == '\0')
		return invalid(s);
	while (*p) {
		uint64_t whole = 0, frac = 0, scale = 1, unit = 0;
		int digits = 0;

		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			return invalid(s);
		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (whole > (UINT64_C(1) << 63) / 10)
				return cf_error_set(CF_ELIMIT, "time: invalid duration \"%s\"", s);
			whole = whole * 10 + (uint64_t)(*p - '0');
		}
		if (*p == '.') {
			p++;
			for (; *p >= '0' && *p <= '9'; p++, digits++) {
				/* Extra precision beyond what fits is dropped, as Go does. */
				if (scale < UINT64_C(1000000000000000000)) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					scale *= 10;
				}
			}
		}
		if (digits == 0)
			return invalid(s);
		size_t ulen = strcspn(p, ".0123456789");
		if (ulen == 0)
			return cf_error_set(CF_EINVALID, "time: missing unit in duration \"%s\"", s);
		if ((unit = lookup_unit(p, ulen)) == 0)
			return cf_error_set(CF_EINVALID, "time: unknown unit \"%.*s\" in duration \"%s\"",
					    (int)ulen, p, s);
		p += ulen;
		if (whole > (UINT64_C(1) << 63) / unit)
			return cf_error_set(CF_ELIMIT, "time: invalid duration \"%s\"", s);
		uint64_t v = whole * unit;
		/* frac/scale of a unit, computed without overflow for units up to an hour. */
		v += (uint64_t)((long double)frac * (long double)unit / (long double)scale);
		if (v > (UINT64_C(1) << 63) || total > (UINT64_C(1) << 63) - v)
			return cf_error_set(CF_ELIMIT, "time: invalid duration \"%s\"", s);
		total += v;
	}
	if (total > (UINT64_C(1) << 63) - (neg ? 0 : 1))
		return cf_error_set(CF_ELIMIT, "time: invalid duration \"%s\"", s);
	*out_ns = neg ? -(int64_t)(total - 1) - 1 : (int64_t)total;
	return 0;
}

/* Writes v/10^prec with trailing zeros of the fraction dropped, at the end of buf (Go's fmtFrac). */
static char *put_frac(char *w, uint64_t *v, int prec)
{
	int print = 0;

	for (int i = 0; i < prec; i++) {
		unsigned digit = (unsigned)(*v % 10);
		print = print || digit != 0;
		if (print)
			*--w = (char)('0' + digit);
		*v /= 10;
	}
	if (print)
		*--w = '.';
	return w;
}

static char *put_int(char *w, uint64_t v)
{
	if (v == 0)
		*--w = '0';
	while (v > 0) {
		*--w = (char)('0' + v % 10);
		v /= 10;
	}
	return w;
}

void cf_duration_format(char *buf, size_t size, int64_t ns)
{
	char tmp[40], *end = tmp + sizeof(tmp) - 1, *w = end;
	uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;

	*end = '\0';
	if (u < 1000000000ULL) {
		/* Under a second: the largest of ns, µs, ms that keeps an integer part. */
		int prec;
		const char *unit;
		if (u == 0) {
			snprintf(buf, size, "0s");
			return;
		} else if (u < 1000) {
			prec = 0, unit = "ns";
		} else if (u < 1000000) {
			prec = 3, unit = "\xc2\xb5s";
		} else {
			prec = 6, unit = "ms";
		}
		w -= strlen(unit);
		memcpy(w, unit, strlen(unit));
		w = put_frac(w, &u, prec);
		w = put_int(w, u);
	} else {
		*--w = 's';
		w = put_frac(w, &u, 9);
		w = put_int(w, u % 60);
		u /= 60;
		if (u > 0) {
			*--w = 'm';
			w = put_int(w, u % 60);
			u /= 60;
			if (u > 0) {
				*--w = 'h';
				w = put_int(w, u);
			}
		}
	}
	if (ns < 0)
		*--w = '-';
	snprintf(buf, size, "%s", w);
}
