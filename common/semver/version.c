/* Parsing, printing and ordering of single semantic versions. */
#include "cf/semver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

struct cf_semver {
	uint64_t major, minor, patch;
	const char *pre;      /* point into text */
	const char *meta;
	const char *original;
	char text[];          /* original\0pre\0meta\0 */
};

/* Spans of the parts found in the input; len 0 means absent. */
typedef struct {
	const char *num[3];
	size_t num_len[3];
	const char *pre, *meta;
	size_t pre_len, meta_len;
} parts;

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_char(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Scans dot-separated non-empty identifiers of [0-9A-Za-z-]; returns the length consumed. */
static size_t scan_idents(const char *s)
{
	size_t n = 0, run;

	for (;;) {
		for (run = 0; is_ident_char((unsigned char)s[n + run]); run++)
			;
		if (run == 0)
			return 0;
		n += run;
		if (s[n] != '.' || !is_ident_char((unsigned char)s[n + 1]))
			return n;
		n++;
	}
}

/* Splits "v?N(.N)?(.N)?(-pre)?(+meta)?" exactly; 0 on success. */
static int split(parts *p, const char *s)
{
	size_t i, k;

	memset(p, 0, sizeof(*p));
	if (*s == 'v')
		s++;
	for (k = 0; k < 3; k++) {
		if (k > 0) {
			if (*s != '.' || !is_digit((unsigned char)s[1]))
				break;
			s++;
		}
		for (i = 0; is_digit((unsigned char)s[i]); i++)
			;
		if (i == 0)
			return -1;
		p->num[k] = s;
		p->num_len[k] = i;
		s += i;
	}
	if (*s == '-') {
		p->pre = s + 1;
		p->pre_len = scan_idents(s + 1);
		if (p->pre_len == 0)
			return -1;
		s += 1 + p->pre_len;
	}
	if (*s == '+') {
		p->meta = s + 1;
		p->meta_len = scan_idents(s + 1);
		if (p->meta_len == 0)
			return -1;
		s += 1 + p->meta_len;
	}
	return *s == '\0' ? 0 : -1;
}

static int parse_u64(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Numeric prerelease identifiers must not have leading zeros (semver.org item 9). */
static int prerelease_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i, digits = 1;

		while (j < len && s[j] != '.') {
			if (!is_digit((unsigned char)s[j]))
				digits = 0;
			j++;
		}
		if (digits && j - i > 1 && s[i] == '0')
			return 0;
		i = j + 1;
	}
	return 1;
}

static int strict_ok(const parts *p)
{
	int k;

	for (k = 0; k < 3; k++)
		if (p->num_len[k] == 0 || (p->num_len[k] > 1 && p->num[k][0] == '0'))
			return 0;
	return 1;
}

static cf_semver *build(const char *s, const parts *p)
{
	size_t olen = strlen(s);
	cf_semver *v = malloc(sizeof(*v) + olen + p->pre_len + p->meta_len + 3);
	char *t;

	if (!v)
		return NULL;
	t = v->text;
	memcpy(t, s, olen + 1);
	v->original = t;
	t += olen + 1;
	memcpy(t, p->pre ? p->pre : "", p->pre_len);
	t[p->pre_len] = '\0';
	v->pre = t;
	t += p->pre_len + 1;
	memcpy(t, p->meta ? p->meta : "", p->meta_len);
	t[p->meta_len] = '\0';
	v->meta = t;
	return v;
}

int cf_semver_parse(cf_semver **out, const char *s, unsigned flags)
{
	parts p;
	uint64_t n[3] = {0, 0, 0};
	cf_semver *v;
	int k;

	if (!s || !*s)
		return cf_error_set(CF_EPARSE, "version string empty");
	if (strnlen(s, CF_SEMVER_MAX_LEN + 1) > CF_SEMVER_MAX_LEN)
		return cf_error_set(CF_ELIMIT, "version longer than %d bytes", CF_SEMVER_MAX_LEN);
	if (split(&p, s) < 0)
		return cf_error_set(CF_EPARSE, "invalid semantic version '%.64s'", s);
	if ((flags & CF_SEMVER_STRICT) && !strict_ok(&p))
		return cf_error_set(CF_EPARSE, "'%.64s' is not a strict MAJOR.MINOR.PATCH version", s);
	for (k = 0; k < 3; k++)
		if (p.num_len[k] && parse_u64(&n[k], p.num[k], p.num_len[k]) < 0)
			return cf_error_set(CF_EPARSE, "version segment too large in '%.64s'", s);
	if (p.pre && !prerelease_valid(p.pre, p.pre_len))
		return cf_error_set(CF_EPARSE, "prerelease of '%.64s' has a leading zero", s);
	if (!(v = build(s, &p)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	v->major = n[0];
	v->minor = n[1];
	v->patch = n[2];
	*out = v;
	return 0;
}

void cf_semver_free(cf_semver *v)
{
	free(v);
}

uint64_t cf_semver_major(const cf_semver *v) { return v->major; }
uint64_t cf_semver_minor(const cf_semver *v) { return v->minor; }
uint64_t cf_semver_patch(const cf_semver *v) { return v->patch; }
const char *cf_semver_prerelease(const cf_semver *v) { return v->pre; }
const char *cf_semver_metadata(const cf_semver *v) { return v->meta; }
const char *cf_semver_original(const cf_semver *v) { return v->original; }

size_t cf_semver_format(const cf_semver *v, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%llu.%llu.%llu%s%s%s%s", (unsigned long long)v->major,
			 (unsigned long long)v->minor, (unsigned long long)v->patch,
			 *v->pre ? "-" : "", v->pre, *v->meta ? "+" : "", v->meta);
	return n < 0 ? 0 : (size_t)n;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* A numeric identifier is all digits and fits in 64 bits; anything else compares as text. */
static int ident_number(const char *s, size_t len, uint64_t *out)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)s[i]))
			return 0;
	return parse_u64(out, s, len) == 0;
}

static int cmp_ident(const char *a, size_t alen, const char *b, size_t blen)
{
	uint64_t an, bn;
	int anum, bnum, c;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 0;
	if (alen == 0)
		return -1;   /* fewer identifiers sort first */
	if (blen == 0)
		return 1;
	anum = ident_number(a, alen, &an);
	bnum = ident_number(b, blen, &bn);
	if (anum && bnum)
		return cmp_u64(an, bn);
	if (anum != bnum)
		return anum ? -1 : 1;
	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c == 0)
		c = alen < blen ? -1 : 1;
	return c < 0 ? -1 : 1;
}

static size_t ident_len(const char *s)
{
	const char *dot = strchr(s, '.');

	return dot ? (size_t)(dot - s) : strlen(s);
}

static int cmp_prerelease(const char *a, const char *b)
{
	while (*a || *b) {
		size_t al = ident_len(a), bl = ident_len(b);
		int c = cmp_ident(a, al, b, bl);

		if (c != 0)
			return c;
		a += al + (a[al] == '.');
		b += bl + (b[bl] == '.');
	}
	return 0;
}

int cf_semver_compare(const cf_semver *a, const cf_semver *b)
{
	int c;

	if ((c = cmp_u64(a->major, b->major)) != 0 || (c = cmp_u64(a->minor, b->minor)) != 0 ||
	    (c = cmp_u64(a->patch, b->patch)) != 0)
		return c;
	if (!*a->pre || !*b->pre)
		return (*a->pre == '\0') - (*b->pre == '\0');
	return cmp_prerelease(a->pre, b->pre);
}
