/* Go's float64 text forms: strconv.FormatFloat 'g' shortest, and encoding/json's variant. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Shortest decimal digits that read back as f: digits[0..nd), value = 0.d1d2... * 10^dp. */
typedef struct {
	char d[20];
	int nd;
	int dp;
	int neg;
} digits;

static void shortest_bits(digits *out, double f, int bits)
{
	char buf[40];
	int max = bits == 32 ? 9 : 17;

	out->neg = signbit(f) != 0;
	f = fabs(f);
	if (f == 0) {
		out->d[0] = '0';
		out->nd = 1;
		out->dp = 1;
		return;
	}
	for (int p = 1; p <= max; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, f);
		if (p < max && (bits == 32 ? strtof(buf, NULL) != (float)f : strtod(buf, NULL) != f))
			continue;
		char *e = strchr(buf, 'e');
		int nd = 0;
		for (char *c = buf; c < e; c++)
			if (*c >= '0' && *c <= '9')
				out->d[nd++] = *c;
		while (nd > 1 && out->d[nd - 1] == '0')
			nd--;
		out->nd = nd;
		out->dp = atoi(e + 1) + 1;
		return;
	}
}

static void shortest(digits *out, double f)
{
	shortest_bits(out, f, 64);
}

/* %e with all digits: d.ddde±XX (two exponent digits at least, as Go prints). */
static void put_e(char *buf, const digits *g)
{
	char *p = buf;
	int exp = g->dp - 1;

	if (g->neg)
		*p++ = '-';
	*p++ = g->d[0];
	if (g->nd > 1) {
		*p++ = '.';
		memcpy(p, g->d + 1, (size_t)g->nd - 1);
		p += g->nd - 1;
	}
	*p++ = 'e';
	*p++ = exp < 0 ? '-' : '+';
	if (exp < 0)
		exp = -exp;
	sprintf(p, "%02d", exp);
}

/* %f with exactly the digits needed. */
static void put_f(char *buf, const digits *g)
{
	char *p = buf;

	if (g->neg)
		*p++ = '-';
	if (g->dp <= 0) {
		*p++ = '0';
	} else {
		for (int i = 0; i < g->dp; i++)
			*p++ = i < g->nd ? g->d[i] : '0';
	}
	if (g->nd > g->dp) {
		*p++ = '.';
		for (int i = g->dp; i < g->nd; i++)
			*p++ = i < 0 ? '0' : g->d[i];
	}
	*p = '\0';
}

static void format_g(char *buf, double f, int bits)
{
	digits g;
	int exp;

	if (isnan(f)) {
		strcpy(buf, "NaN");
		return;
	}
	if (isinf(f)) {
		strcpy(buf, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	shortest_bits(&g, f, bits);
	exp = g.dp - 1;
	if (exp < -4 || exp >= 6) /* shortest 'g' decides with precision 6 */
		put_e(buf, &g);
	else
		put_f(buf, &g);
}

void doc_go_format_g(char *buf, double f)
{
	format_g(buf, f, 64);
}

void doc_go_format_g32(char *buf, double f)
{
	format_g(buf, (float)f, 32);
}

void doc_go_format_json(char *buf, double f)
{
	digits g;
	double a = fabs(f);
	size_t n;

	shortest(&g, f);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		put_e(buf, &g);
		/* encoding/json writes e-7, not e-07 */
		n = strlen(buf);
		if (n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
			buf[n - 2] = buf[n - 1];
			buf[n - 1] = '\0';
		}
		return;
	}
	put_f(buf, &g);
}
