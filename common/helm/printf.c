/* Go's fmt package as templates use it: %v printing, Sprint/Sprintln/Sprintf and strconv quoting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "utf8.h"

#define MAX_PRINT_DEPTH HV_MAX_DEPTH

typedef struct {
	bool minus, plus, sharp, space, zero;
	bool has_wid, has_prec;
	int wid, prec;
} ffl;

/* ---- floats ---- */

/* Shortest digits that round-trip: digits (no dot) and decimal exponent of the first digit. */
static int shortest(double f, char *digits, int *exp10)
{
	char buf[40];
	int prec, n = 0;
	char *p, *e;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	for (p = buf; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	e = strchr(buf, 'e');
	*exp10 = e ? atoi(e + 1) : 0;
	return n;
}

static void put_exp(char **o, char e, int exp)
{
	*(*o)++ = e;
	*(*o)++ = exp < 0 ? '-' : '+';
	if (exp < 0)
		exp = -exp;
	*o += sprintf(*o, "%02d", exp);
}

/* strconv.FormatFloat(f, fmt, -1, 64) for fmt 'g', 'e' or 'f' (finite values only). */
static void format_shortest(char *buf, size_t size, double f, char fmt)
{
	char digits[24], out[400], *o = out;
	int nd, exp, i;
	if (f == 0) {
		snprintf(buf, size, "%s%s", signbit(f) ? "-" : "", fmt == 'e' ? "0e+00" : "0");
		return;
	}
	if (f < 0)
		*o++ = '-';
	nd = shortest(fabs(f), digits, &exp);
	if (fmt == 'g')
		fmt = (exp < -4 || exp >= 6) ? 'e' : 'f';
	if (fmt == 'e') {
		*o++ = digits[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, digits + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		put_exp(&o, 'e', exp);
	} else if (exp < 0) {
		*o++ = '0';
		*o++ = '.';
		for (i = -1; i > exp; i--)
			*o++ = '0';
		memcpy(o, digits, (size_t)nd);
		o += nd;
	} else {
		for (i = 0; i <= exp || i < nd; i++) {
			if (i == exp + 1)
				*o++ = '.';
			*o++ = i < nd ? digits[i] : '0';
		}
	}
	*o = '\0';
	snprintf(buf, size, "%s", out);
}

static bool special_float(char *buf, size_t size, double f)
{
	if (isnan(f))
		snprintf(buf, size, "NaN");
	else if (isinf(f))
		snprintf(buf, size, "%s", f > 0 ? "+Inf" : "-Inf");
	else
		return false;
	return true;
}

void fmt_float_g(char *buf, size_t size, double f)
{
	if (!special_float(buf, size, f))
		format_shortest(buf, size, f, 'g');
}

void fmt_float_json(char *buf, size_t size, double f)
{
	double a = fabs(f);
	char *e;
	if (special_float(buf, size, f))
		return;
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		format_shortest(buf, size, f, 'e');
		e = strchr(buf, 'e');
		if (e && e[1] == '-' && e[2] == '0' && e[3] && !e[4])
			memmove(e + 2, e + 3, 2);
	} else {
		format_shortest(buf, size, f, 'f');
	}
}

/* ---- quoting ---- */

static bool rune_printable(uint32_t r)
{
	if (r < 0x20 || r == 0x7f)
		return false;
	if (r >= 0x80 && r < 0xa0)
		return false;
	if (r == 0xad || (r >= 0x2028 && r <= 0x202e) || (r >= 0x2060 && r <= 0x206f) ||
	    r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) || (r >= 0xe000 && r <= 0xf8ff) ||
	    (r >= 0xd800 && r <= 0xdfff) || r > 0x10ffff || (r & 0xfffe) == 0xfffe)
		return false;
	return true;
}

static int quote_rune_into(hbuf *b, uint32_t r, char q, bool ascii_only)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char let[] = "abfnrtv";
	const char *p;
	char tmp[16];
	if (r == (uint32_t)q || r == '\\') {
		hbuf_putc(b, '\\');
		return hbuf_putc(b, (char)r);
	}
	if (r < 0x80 && rune_printable(r))
		return hbuf_putc(b, (char)r);
	if (r >= 0x80 && !ascii_only && rune_printable(r)) {
		size_t n = utf8_encode(tmp, r);
		return hbuf_put(b, tmp, n);
	}
	if (r && r < 0x80 && (p = strchr(esc, (int)r)) != NULL) {
		hbuf_putc(b, '\\');
		return hbuf_putc(b, let[p - esc]);
	}
	if (r < 0x20 || r == 0x7f)
		return hbuf_printf(b, "\\x%02x", r);
	if (r < 0x10000)
		return hbuf_printf(b, "\\u%04x", r);
	return hbuf_printf(b, "\\U%08x", r);
}

static int quote_with(hbuf *b, const char *s, size_t n, bool ascii_only)
{
	size_t i = 0;
	hbuf_putc(b, '"');
	while (i < n) {
		uint32_t r;
		size_t w = utf8_decode(s + i, n - i, &r);
		if (r == UTF8_BAD && w == 1) {
			hbuf_printf(b, "\\x%02x", (unsigned char)s[i]);
			i++;
			continue;
		}
		quote_rune_into(b, r, '"', ascii_only);
		i += w;
	}
	return hbuf_putc(b, '"');
}

int fmt_quote(hbuf *b, const char *s, size_t n)
{
	return quote_with(b, s, n, false);
}

/* ---- %v ---- */

static int print_value(hbuf *b, const cf_helm_val *v, char verb, const ffl *f, int depth);

static int print_obj(hbuf *b, const cf_helm_val *v, char verb, const ffl *f, int depth)
{
	size_t i;
	if (v->o.type->string && !v->o.type->ptr_string && (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')) {
		char *s = v->o.type->string(v->o.data);
		int err;
		if (!s)
			return CF_ENOMEM;
		err = hbuf_puts(b, s);
		free(s);
		return err;
	}
	if (v->o.type->is_ptr && depth == 0)
		hbuf_putc(b, '&');
	hbuf_putc(b, '{');
	for (i = 0; i < v->o.n && !b->err; i++) {
		if (i)
			hbuf_putc(b, ' ');
		if (f && f->plus) {
			hbuf_puts(b, v->o.names[i]);
			hbuf_putc(b, ':');
		}
		print_value(b, v->o.vals[i], verb, f, depth + 1);
	}
	return hbuf_putc(b, '}');
}

static int fmt_arg(hbuf *b, const cf_helm_val *v, char verb, const ffl *f, int depth);
static int fmt_bytes(hbuf *b, const cf_helm_val *v, char verb, const ffl *f, int depth);

static int print_value(hbuf *b, const cf_helm_val *v, char verb, const ffl *f, int depth)
{
	size_t i;
	if (depth > MAX_PRINT_DEPTH)
		return b->err = CF_ELIMIT;
	switch (v->kind) {
	case CF_HELM_LIST:
		hbuf_putc(b, '[');
		for (i = 0; i < v->l.len && !b->err; i++) {
			if (i)
				hbuf_putc(b, ' ');
			fmt_arg(b, v->l.items[i], verb, f, depth + 1);
		}
		return hbuf_putc(b, ']');
	case CF_HELM_MAP:
		hbuf_puts(b, "map[");
		for (i = 0; i < v->m.len && !b->err; i++) {
			cf_helm_val key = { .refs = -1, .kind = CF_HELM_STR };
			if (i)
				hbuf_putc(b, ' ');
			key.s.p = v->m.pairs[i].key;
			key.s.len = strlen(key.s.p);
			fmt_arg(b, &key, verb, f, depth + 1);
			hbuf_putc(b, ':');
			fmt_arg(b, v->m.pairs[i].val, verb, f, depth + 1);
		}
		return hbuf_putc(b, ']');
	case CF_HELM_OBJ:
		return print_obj(b, v, verb, f, depth);
	default:
		return fmt_arg(b, v, verb, f, depth);
	}
}

int fmt_value(hbuf *b, const cf_helm_val *v)
{
	return fmt_arg(b, v, 'v', NULL, 0);
}

/* ---- padding and numbers ---- */

static int pad(hbuf *b, const char *s, size_t n, const ffl *f, bool zero_ok)
{
	size_t runes = utf8_count(s, n);
	size_t w = f && f->has_wid && f->wid > 0 ? (size_t)f->wid : 0;
	size_t fill = w > runes ? w - runes : 0, i;
	if (!fill)
		return hbuf_put(b, s, n);
	if (f->minus) {
		hbuf_put(b, s, n);
		for (i = 0; i < fill; i++)
			hbuf_putc(b, ' ');
		return b->err;
	}
	if (f->zero && zero_ok) {
		/* Zeros go after the sign. */
		if (n && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
			hbuf_putc(b, s[0]);
			s++;
			n--;
		}
		for (i = 0; i < fill; i++)
			hbuf_putc(b, '0');
		return hbuf_put(b, s, n);
	}
	for (i = 0; i < fill; i++)
		hbuf_putc(b, ' ');
	return hbuf_put(b, s, n);
}

static int fmt_integer(hbuf *b, uint64_t mag, bool neg, int base, char verb, const ffl *f)
{
	char digits[80], out[200];
	const char *set = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0, o = 0, i, prec = f && f->has_prec ? f->prec : -1;
	if (prec > 60)
		prec = 60;
	if (mag == 0 && prec != 0)
		digits[n++] = '0';
	while (mag) {
		digits[n++] = set[mag % (uint64_t)base];
		mag /= (uint64_t)base;
	}
	while (n < prec)
		digits[n++] = '0';
	if (neg)
		out[o++] = '-';
	else if (f && f->plus)
		out[o++] = '+';
	else if (f && f->space)
		out[o++] = ' ';
	if (verb == 'O') {
		out[o++] = '0';
		out[o++] = 'o';
	} else if (f && f->sharp) {
		if (base == 16) {
			out[o++] = '0';
			out[o++] = verb == 'X' ? 'X' : 'x';
		} else if (base == 8 && digits[n - 1] != '0') {
			out[o++] = '0';
		} else if (base == 2) {
			out[o++] = '0';
			out[o++] = 'b';
		}
	}
	for (i = n - 1; i >= 0; i--)
		out[o++] = digits[i];
	return pad(b, out, (size_t)o, f, prec < 0);
}

static int fmt_float(hbuf *b, double x, char verb, const ffl *f)
{
	char num[400], spec[16];
	int prec = f && f->has_prec ? f->prec : -1;
	if (prec > 300)
		prec = 300;
	if (special_float(num, sizeof(num), x)) {
		const char *s = num;
		if (num[0] == '+' && !(f && f->plus))
			s = f && f->space ? (num[0] = ' ', num) : num + 1;
		return pad(b, s, strlen(s), f, false);
	}
	if (verb == 'v')
		verb = 'g';
	if (verb == 'F')
		verb = 'f';
	if (prec < 0 && (verb == 'g' || verb == 'G')) {
		format_shortest(num, sizeof(num), x, 'g');
		if (verb == 'G') {
			char *e = strchr(num, 'e');
			if (e)
				*e = 'E';
		}
	} else {
		snprintf(spec, sizeof(spec), "%%.%d%c", prec < 0 ? 6 : prec, verb);
		snprintf(num, sizeof(num), spec, x);
	}
	if (num[0] != '-' && f && (f->plus || f->space)) {
		char tmp[402];
		snprintf(tmp, sizeof(tmp), "%c%s", f->plus ? '+' : ' ', num);
		return pad(b, tmp, strlen(tmp), f, true);
	}
	return pad(b, num, strlen(num), f, true);
}

static int fmt_string(hbuf *b, const char *s, size_t n, char verb, const ffl *f)
{
	hbuf t;
	int err;
	size_t i;
	if (f && f->has_prec && f->prec >= 0)
		n = utf8_prefix(s, n, (size_t)f->prec);
	switch (verb) {
	case 'v':
	case 's':
		return pad(b, s, n, f, true);
	case 'q':
		hbuf_init(&t, 0);
		if (f && f->sharp && !memchr(s, '`', n) && utf8_valid(s, n)) {
			hbuf_putc(&t, '`');
			hbuf_put(&t, s, n);
			hbuf_putc(&t, '`');
		} else {
			quote_with(&t, s, n, f && f->plus);
		}
		err = t.err ? t.err : pad(b, t.p, t.len, f, false);
		hbuf_free(&t);
		return err;
	case 'x':
	case 'X':
		hbuf_init(&t, 0);
		for (i = 0; i < n; i++) {
			if (i && f && f->space)
				hbuf_putc(&t, ' ');
			if (f && f->sharp && (i == 0 || f->space))
				hbuf_puts(&t, verb == 'x' ? "0x" : "0X");
			hbuf_printf(&t, verb == 'x' ? "%02x" : "%02X", (unsigned char)s[i]);
		}
		err = t.err ? t.err : pad(b, t.p ? t.p : "", t.len, f, false);
		hbuf_free(&t);
		return err;
	}
	return 1; /* bad verb */
}

static int bad_verb(hbuf *b, const cf_helm_val *v, char verb)
{
	hbuf_puts(b, "%!");
	hbuf_putc(b, verb);
	hbuf_putc(b, '(');
	if (v->kind == CF_HELM_NIL) {
		hbuf_puts(b, "<nil>");
	} else {
		hbuf_puts(b, hv_type_name(v));
		hbuf_putc(b, '=');
		print_value(b, v, 'v', NULL, 1);
	}
	return hbuf_putc(b, ')');
}

static int fmt_int_verb(hbuf *b, uint64_t mag, bool neg, char verb, const ffl *f)
{
	char tmp[8];
	hbuf t;
	int err;
	switch (verb) {
	case 'v':
	case 'd':
		return fmt_integer(b, mag, neg, 10, verb, f);
	case 'b':
		return fmt_integer(b, mag, neg, 2, verb, f);
	case 'o':
	case 'O':
		return fmt_integer(b, mag, neg, 8, verb, f);
	case 'x':
	case 'X':
		return fmt_integer(b, mag, neg, 16, verb, f);
	case 'c':
		if (neg || mag > 0x10ffff)
			mag = 0xfffd;
		return pad(b, tmp, utf8_encode(tmp, (uint32_t)mag), f, false);
	case 'q':
		hbuf_init(&t, 0);
		hbuf_putc(&t, '\'');
		quote_rune_into(&t, neg || mag > 0x10ffff ? 0xfffd : (uint32_t)mag, '\'', f && f->plus);
		hbuf_putc(&t, '\'');
		err = t.err ? t.err : pad(b, t.p, t.len, f, false);
		hbuf_free(&t);
		return err;
	case 'U':
		hbuf_init(&t, 0);
		hbuf_printf(&t, "U+%04llX", (unsigned long long)(neg ? 0 : mag));
		err = t.err ? t.err : pad(b, t.p, t.len, f, false);
		hbuf_free(&t);
		return err;
	}
	return 1;
}

static int fmt_bytes(hbuf *b, const cf_helm_val *v, char verb, const ffl *f, int depth)
{
	hbuf_putc(b, '[');
	for (size_t i = 0; i < v->s.len && !b->err; i++) {
		cf_helm_val byte = { .refs = -1, .kind = CF_HELM_INT };
		byte.i = (unsigned char)v->s.p[i];
		if (i)
			hbuf_putc(b, ' ');
		fmt_arg(b, &byte, verb, f, depth + 1);
	}
	return hbuf_putc(b, ']');
}

/* One operand with one verb; composites recurse through print_value. */
static int fmt_arg(hbuf *b, const cf_helm_val *v, char verb, const ffl *f, int depth)
{
	int r = 1;
	if (b->err)
		return b->err;
	if (verb == 'T')
		return pad(b, hv_type_name(v), strlen(hv_type_name(v)), f, false);
	switch (v->kind) {
	case CF_HELM_NIL:
		/* A nil inside a list or map prints as <nil> whatever the verb. */
		if (verb == 'v' || depth > 0)
			return pad(b, "<nil>", 5, f, false);
		break;
	case CF_HELM_BOOL:
		if (verb == 'v' || verb == 't')
			return pad(b, v->b ? "true" : "false", v->b ? 4 : 5, f, false);
		break;
	case CF_HELM_INT:
		r = fmt_int_verb(b, v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i, v->i < 0, verb, f);
		break;
	case CF_HELM_UINT:
		r = fmt_int_verb(b, v->u, false, verb, f);
		break;
	case CF_HELM_FLOAT:
		if (verb && strchr("vgGeEfF", verb))
			return fmt_float(b, v->f, verb, f);
		break;
	case CF_HELM_STR:
		/* Go prints a []byte as a string for %s %q %x %X and as a list of numbers otherwise. */
		if (v->sub == HV_STR_BYTES && !strchr("sqxX", verb))
			return fmt_bytes(b, v, verb, f, depth);
		r = fmt_string(b, v->s.p, v->s.len, verb, f);
		break;
	case CF_HELM_LIST:
	case CF_HELM_MAP:
	case CF_HELM_OBJ:
		return print_value(b, v, verb, f, depth);
	}
	if (r <= 0)
		return r;
	return bad_verb(b, v, verb);
}

/* ---- Sprint family ---- */

int fmt_sprint(hbuf *b, cf_helm_val *const *args, size_t n)
{
	size_t i;
	bool prev_str = false;
	for (i = 0; i < n; i++) {
		bool is_str = args[i]->kind == CF_HELM_STR;
		if (i > 0 && !is_str && !prev_str)
			hbuf_putc(b, ' ');
		fmt_value(b, args[i]);
		prev_str = is_str;
	}
	return b->err;
}

int fmt_sprintln(hbuf *b, cf_helm_val *const *args, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (i)
			hbuf_putc(b, ' ');
		fmt_value(b, args[i]);
	}
	return hbuf_putc(b, '\n');
}

static int parse_num(const char *s, size_t len, size_t *i, int *out)
{
	int n = 0;
	bool any = false;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (n < 1000000)
			n = n * 10 + (s[*i] - '0');
		(*i)++;
		any = true;
	}
	*out = n;
	return any;
}

/* A '*' width or precision from the next argument (must be an int). */
static bool star_arg(cf_helm_val *const *args, size_t n, size_t *argi, int *out)
{
	const cf_helm_val *a;
	if (*argi >= n)
		return false;
	a = args[(*argi)++];
	if (a->kind != CF_HELM_INT || a->i > 1000000 || a->i < -1000000)
		return false;
	*out = (int)a->i;
	return true;
}

int fmt_sprintf(hbuf *b, const char *s, size_t len, cf_helm_val *const *args, size_t n)
{
	size_t i = 0, argi = 0, start;
	while (i < len) {
		ffl f;
		uint32_t verb;
		size_t w;
		char vb[8];
		start = i;
		while (i < len && s[i] != '%')
			i++;
		hbuf_put(b, s + start, i - start);
		if (i >= len)
			break;
		i++;
		memset(&f, 0, sizeof(f));
		for (; i < len; i++) {
			char c = s[i];
			if (c == '#') f.sharp = true;
			else if (c == '0') f.zero = !f.minus;
			else if (c == '+') f.plus = true;
			else if (c == '-') { f.minus = true; f.zero = false; }
			else if (c == ' ') f.space = true;
			else break;
		}
		if (i < len && s[i] == '*') {
			i++;
			f.has_wid = star_arg(args, n, &argi, &f.wid);
			if (!f.has_wid)
				hbuf_puts(b, "%!(BADWIDTH)");
			else if (f.wid < 0) {
				f.minus = true;
				f.zero = false;
				f.wid = -f.wid;
			}
		} else {
			f.has_wid = parse_num(s, len, &i, &f.wid);
		}
		if (i < len && s[i] == '.') {
			i++;
			if (i < len && s[i] == '*') {
				i++;
				f.has_prec = star_arg(args, n, &argi, &f.prec);
				if (f.has_prec && f.prec < 0)
					f.has_prec = false;
				else if (!f.has_prec)
					hbuf_puts(b, "%!(BADPREC)");
			} else {
				f.has_prec = true;
				parse_num(s, len, &i, &f.prec);
			}
		}
		if (i >= len) {
			hbuf_puts(b, "%!(NOVERB)");
			break;
		}
		w = utf8_decode(s + i, len - i, &verb);
		i += w;
		if (verb == '%') {
			hbuf_putc(b, '%');
			continue;
		}
		if (argi >= n) {
			hbuf_puts(b, "%!");
			hbuf_put(b, vb, utf8_encode(vb, verb));
			hbuf_puts(b, "(MISSING)");
			continue;
		}
		if (verb >= 0x80) {
			hbuf_puts(b, "%!");
			hbuf_put(b, vb, utf8_encode(vb, verb));
			hbuf_putc(b, '(');
			hbuf_puts(b, hv_type_name(args[argi]));
			hbuf_putc(b, '=');
			fmt_value(b, args[argi++]);
			hbuf_putc(b, ')');
			continue;
		}
		fmt_arg(b, args[argi++], (char)verb, &f, 0);
	}
	if (argi < n) {
		hbuf_puts(b, "%!(EXTRA ");
		for (; argi < n; argi++) {
			if (args[argi]->kind == CF_HELM_NIL) {
				hbuf_puts(b, "<nil>");
			} else {
				hbuf_puts(b, hv_type_name(args[argi]));
				hbuf_putc(b, '=');
				fmt_value(b, args[argi]);
			}
			if (argi + 1 < n)
				hbuf_puts(b, ", ");
		}
		hbuf_putc(b, ')');
	}
	return b->err;
}

char *hv_strval(const cf_helm_val *v, size_t *len)
{
	hbuf b;
	if (v->kind == CF_HELM_STR) {
		char *p = malloc(v->s.len + 1);
		if (p) {
			memcpy(p, v->s.p, v->s.len);
			p[v->s.len] = '\0';
			if (len)
				*len = v->s.len;
		}
		return p;
	}
	hbuf_init(&b, 0);
	if (fmt_value(&b, v) < 0) {
		hbuf_free(&b);
		return NULL;
	}
	return hbuf_take(&b, len);
}
