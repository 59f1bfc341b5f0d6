/*
 * Plain-scalar resolution as go-yaml does it: yaml.v3 (YAML12, kyaml/kubectl) and yaml.v2
 * (YAML11, Helm). The two only differ in which words are booleans.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
	const char *word;
	cf_doc_type type;
	int value;      /* bool value, or for floats: 1 +inf, -1 -inf, 0 nan */
	unsigned schemas; /* bit per cf_doc_schema */
} word_rule;

#define V12 (1u << CF_DOC_YAML12 | 1u << CF_DOC_JSON)
#define V11 (1u << CF_DOC_YAML11)
#define ALL (V12 | V11)

static const word_rule word_rules[] = {
	{"true", CF_DOC_BOOL, 1, ALL},  {"True", CF_DOC_BOOL, 1, ALL},  {"TRUE", CF_DOC_BOOL, 1, ALL},
	{"false", CF_DOC_BOOL, 0, ALL}, {"False", CF_DOC_BOOL, 0, ALL}, {"FALSE", CF_DOC_BOOL, 0, ALL},
	{"y", CF_DOC_BOOL, 1, V11},     {"Y", CF_DOC_BOOL, 1, V11},     {"yes", CF_DOC_BOOL, 1, V11},
	{"Yes", CF_DOC_BOOL, 1, V11},   {"YES", CF_DOC_BOOL, 1, V11},   {"on", CF_DOC_BOOL, 1, V11},
	{"On", CF_DOC_BOOL, 1, V11},    {"ON", CF_DOC_BOOL, 1, V11},    {"n", CF_DOC_BOOL, 0, V11},
	{"N", CF_DOC_BOOL, 0, V11},     {"no", CF_DOC_BOOL, 0, V11},    {"No", CF_DOC_BOOL, 0, V11},
	{"NO", CF_DOC_BOOL, 0, V11},    {"off", CF_DOC_BOOL, 0, V11},   {"Off", CF_DOC_BOOL, 0, V11},
	{"OFF", CF_DOC_BOOL, 0, V11},
	{"", CF_DOC_NULL, 0, ALL},      {"~", CF_DOC_NULL, 0, ALL},     {"null", CF_DOC_NULL, 0, ALL},
	{"Null", CF_DOC_NULL, 0, ALL},  {"NULL", CF_DOC_NULL, 0, ALL},
	{".nan", CF_DOC_FLOAT, 0, ALL}, {".NaN", CF_DOC_FLOAT, 0, ALL}, {".NAN", CF_DOC_FLOAT, 0, ALL},
	{".inf", CF_DOC_FLOAT, 1, ALL}, {".Inf", CF_DOC_FLOAT, 1, ALL}, {".INF", CF_DOC_FLOAT, 1, ALL},
	{"+.inf", CF_DOC_FLOAT, 1, ALL}, {"+.Inf", CF_DOC_FLOAT, 1, ALL}, {"+.INF", CF_DOC_FLOAT, 1, ALL},
	{"-.inf", CF_DOC_FLOAT, -1, ALL}, {"-.Inf", CF_DOC_FLOAT, -1, ALL}, {"-.INF", CF_DOC_FLOAT, -1, ALL},
};

static const char *const old_bools[] = {
	"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
	"n", "N", "no", "No", "NO", "off", "Off", "OFF",
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

int doc_is_old_bool(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(old_bools) / sizeof(old_bools[0]); i++)
		if (eq(s, len, old_bools[i]))
			return 1;
	return 0;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
int doc_is_base60_float(const char *s, size_t len)
{
	size_t i = 0, groups = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= len || !is_digit(s[i]))
		return 0;
	while (i < len && (is_digit(s[i]) || s[i] == '_'))
		i++;
	while (i < len && s[i] == ':') {
		size_t d = 0;
		i++;
		while (i + d < len && is_digit(s[i + d]) && d < 2)
			d++;
		if (d == 0 || (d == 2 && s[i] > '5'))
			return 0;
		i += d;
		groups++;
	}
	if (!groups)
		return 0;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && (is_digit(s[i]) || s[i] == '_'))
			i++;
	}
	return i == len;
}

/* Go time.Parse's getnum: one or two digits. */
static int get_num(const char *s, size_t len, size_t *i, int *out)
{
	if (*i >= len || !is_digit(s[*i]))
		return 0;
	*out = s[(*i)++] - '0';
	if (*i < len && is_digit(s[*i]))
		*out = *out * 10 + (s[(*i)++] - '0');
	return 1;
}

static int days_in(int month, int year)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* A timestamp's fields as time.Parse reads them. */
typedef struct {
	int year, month, day, hour, min, sec;
	const char *frac; /* digits after '.', or NULL */
	size_t frac_len;
	int zone_min;     /* offset east of UTC in minutes */
} stamp;

/* "15:4:5" then an optional fraction, as time.Parse reads it. */
static int parse_clock(const char *s, size_t len, size_t *i, stamp *t)
{
	if (!get_num(s, len, i, &t->hour) || *i >= len || s[(*i)++] != ':' ||
	    !get_num(s, len, i, &t->min) || *i >= len || s[(*i)++] != ':' ||
	    !get_num(s, len, i, &t->sec))
		return 0;
	if (t->hour > 23 || t->min > 59 || t->sec > 59)
		return 0;
	if (*i + 1 < len && (s[*i] == '.' || s[*i] == ',') && is_digit(s[*i + 1])) {
		t->frac = s + ++(*i);
		while (*i < len && is_digit(s[*i]))
			(*i)++;
		t->frac_len = (size_t)(s + *i - t->frac);
	}
	return 1;
}

/* "Z" or ±hh:mm (Go's Z07:00). */
static int parse_zone(const char *s, size_t len, size_t i, stamp *t)
{
	int h, m;

	if (i < len && s[i] == 'Z')
		return i + 1 == len;
	if (len - i != 6 || (s[i] != '+' && s[i] != '-') || !is_digit(s[i + 1]) ||
	    !is_digit(s[i + 2]) || s[i + 3] != ':' || !is_digit(s[i + 4]) || !is_digit(s[i + 5]))
		return 0;
	h = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	m = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
	if (h >= 24 || m >= 60)
		return 0;
	t->zone_min = (s[i] == '-' ? -1 : 1) * (h * 60 + m);
	return 1;
}

/* go-yaml's allowedTimestampFormats: 2006-1-2, with T/t + zone, or space without zone. */
static int parse_timestamp(const char *s, size_t len, stamp *t)
{
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	while (i < len && is_digit(s[i]))
		i++;
	if (i != 4 || i == len || s[i] != '-')
		return 0;
	t->year = atoi(s);
	i++;
	if (!get_num(s, len, &i, &t->month) || i >= len || s[i++] != '-' ||
	    !get_num(s, len, &i, &t->day))
		return 0;
	if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > days_in(t->month, t->year))
		return 0;
	if (i == len)
		return 1;
	if (s[i] == 'T' || s[i] == 't') {
		i++;
		return parse_clock(s, len, &i, t) && parse_zone(s, len, i, t);
	}
	if (s[i] == ' ') {
		i++;
		return parse_clock(s, len, &i, t) && i == len;
	}
	return 0;
}

static int is_timestamp(const char *s, size_t len)
{
	stamp t;

	return parse_timestamp(s, len, &t);
}

int doc_timestamp_rfc3339(char *buf, size_t size, const char *s, size_t len)
{
	stamp t;
	size_t flen;
	int n;

	if (!parse_timestamp(s, len, &t))
		return 0;
	flen = t.frac_len > 9 ? 9 : t.frac_len;
	while (flen > 0 && t.frac[flen - 1] == '0')
		flen--;
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour,
	             t.min, t.sec);
	if (flen)
		n += snprintf(buf + n, size - (size_t)n, ".%.*s", (int)flen, t.frac);
	if (t.zone_min == 0)
		snprintf(buf + n, size - (size_t)n, "Z");
	else
		snprintf(buf + n, size - (size_t)n, "%c%02d:%02d", t.zone_min < 0 ? '-' : '+',
		         abs(t.zone_min) / 60, abs(t.zone_min) % 60);
	return 1;
}

static int digit_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* strconv.ParseUint(s, 0, 64) on the magnitude part (prefix rules of base 0). */
static int parse_base0(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	size_t i = 0;
	uint64_t v = 0;

	if (len >= 2 && s[0] == '0') {
		char p = s[1];
		if (p == 'x' || p == 'X')
			base = 16, i = 2;
		else if (p == 'b' || p == 'B')
			base = 2, i = 2;
		else if (p == 'o' || p == 'O')
			base = 8, i = 2;
		else
			base = 8, i = 1;
	}
	if (len == 0 || (i == 2 && len == 2))
		return 0; /* nothing, or a bare 0x/0b/0o prefix */
	for (; i < len; i++) {
		unsigned d = (unsigned)digit_value(s[i]);
		if (d >= base)
			return 0;
		if (v > (UINT64_MAX - d) / base)
			return 0;
		v = v * base + d;
	}
	*out = v;
	return 1;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s, size_t len)
{
	size_t i = 0, d = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && is_digit(s[i]))
			i++, d++;
		if (!d)
			return 0;
	} else {
		while (i < len && is_digit(s[i]))
			i++, d++;
		if (!d)
			return 0;
		if (i < len && s[i] == '.') {
			i++;
			while (i < len && is_digit(s[i]))
				i++;
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t e = 0;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < len && is_digit(s[i]))
			i++, e++;
		if (!e)
			return 0;
	}
	return i == len;
}

/* Go's ParseFloat on text already checked to be a decimal float: overflow is an error. */
static int parse_float(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !isinf(*out) && *end == '\0';
}

static void resolve_number(doc_resolved *out, const char *s, size_t len)
{
	char buf[128];
	size_t n = 0;
	int neg = 0, signed_ = 0;
	uint64_t mag;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_')
			continue;
		if (n + 1 >= sizeof(buf))
			return; /* far too long to be a number go-yaml accepts as int; stays a string */
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	if (n && (buf[0] == '+' || buf[0] == '-')) {
		neg = buf[0] == '-';
		signed_ = 1;
	}
	if (parse_base0(buf + signed_, n - (size_t)signed_, &mag)) {
		if (!neg && mag <= (uint64_t)INT64_MAX) {
			out->type = CF_DOC_INT;
			out->v.i = (int64_t)mag;
			return;
		}
		if (neg && mag <= (uint64_t)INT64_MAX + 1) {
			out->type = CF_DOC_INT;
			out->v.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
			return;
		}
		if (!signed_) {
			out->type = CF_DOC_FLOAT;
			out->is_uint = 1;
			out->v.i = (int64_t)mag; /* the uint64 bits; see DOC_F_UINT */
			return;
		}
	}
	if (yaml_style_float(buf, n) && parse_float(buf, &out->v.d))
		out->type = CF_DOC_FLOAT;
}

/* Go's ParseFloat on ".5"-like text: single underscores allowed between digits. */
static void resolve_dot_float(doc_resolved *out, const char *s, size_t len)
{
	char buf[64];
	size_t n = 0;

	if (len >= sizeof(buf))
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '_') {
			buf[n++] = s[i];
			continue;
		}
		if (i == 0 || !is_digit(s[i - 1]) || i + 1 >= len || !is_digit(s[i + 1]))
			return;
	}
	buf[n] = '\0';
	if (yaml_style_float(buf, n) && parse_float(buf, &out->v.d))
		out->type = CF_DOC_FLOAT;
}

void doc_resolve_plain(doc_resolved *out, const char *s, size_t len, cf_doc_schema schema)
{
	memset(out, 0, sizeof(*out));
	out->type = CF_DOC_STR;
	for (size_t i = 0; i < sizeof(word_rules) / sizeof(word_rules[0]); i++) {
		const word_rule *r = &word_rules[i];
		if (!(r->schemas & (1u << schema)) || !eq(s, len, r->word))
			continue;
		out->type = r->type;
		if (r->type == CF_DOC_BOOL)
			out->v.b = r->value;
		else if (r->type == CF_DOC_FLOAT)
			out->v.d = r->value ? r->value * INFINITY : NAN;
		return;
	}
	if (eq(s, len, "<<")) {
		out->merge = 1;
		return;
	}
	if (len == 0 || memchr(s, '\0', len))
		return;
	if (s[0] == '.') {
		resolve_dot_float(out, s, len);
		return;
	}
	if (!is_digit(s[0]) && s[0] != '+' && s[0] != '-')
		return;
	if (is_timestamp(s, len)) {
		out->timestamp = 1;
		return;
	}
	resolve_number(out, s, len);
}
