/* Go's path.Match, byte for byte: the single-element glob that gitignore patterns are built on. */
#include "cf/glob.h"

#include <string.h>

#include "cf/error.h"

enum { BAD = -1, NO = 0, YES = 1 };

/* Length of the UTF-8 sequence starting at s (1 for invalid bytes, as Go's RuneError width). */
static size_t rune_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t want = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
	size_t i;

	if (want > n)
		return 1;
	for (i = 1; i < want; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return 1;
	return want;
}

/* Decodes one rune to a comparable number (the bytes, big-endian). */
static unsigned long rune_at(const char *s, size_t n, size_t *len)
{
	unsigned long r = 0;
	size_t i;

	*len = rune_len(s, n);
	for (i = 0; i < *len; i++)
		r = (r << 8) | (unsigned char)s[i];
	return r;
}

/* Splits off "*"s and the literal chunk up to the next unbracketed, unescaped '*'. */
static void scan_chunk(const char **pat, size_t *plen, int *star, const char **chunk, size_t *clen)
{
	const char *p = *pat;
	size_t n = *plen, i;
	int in_range = 0;

	*star = 0;
	while (n > 0 && *p == '*') {
		p++;
		n--;
		*star = 1;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '\\') {
			if (i + 1 < n)
				i++;
		} else if (p[i] == '[') {
			in_range = 1;
		} else if (p[i] == ']') {
			in_range = 0;
		} else if (p[i] == '*' && !in_range) {
			break;
		}
	}
	*chunk = p;
	*clen = i;
	*pat = p + i;
	*plen = n - i;
}

/* One class bound, honouring '\\'; BAD for '-', ']' or a missing rune. */
static int get_esc(const char **c, size_t *n, unsigned long *r)
{
	size_t l;

	if (*n == 0 || **c == '-' || **c == ']')
		return BAD;
	if (**c == '\\') {
		(*c)++;
		(*n)--;
		if (*n == 0)
			return BAD;
	}
	*r = rune_at(*c, *n, &l);
	*c += l;
	*n -= l;
	return *n == 0 ? BAD : YES;
}

/* Matches chunk against the start of s; on YES *rest is what is left of s. */
static int match_chunk(const char *c, size_t cn, const char *s, size_t sn, const char **rest,
		       size_t *rest_n)
{
	int failed = 0;   /* keep scanning to report malformed patterns, as Go does */
	size_t l;

	while (cn > 0) {
		if (!failed && sn == 0)
			failed = 1;
		if (*c == '[') {
			unsigned long r = 0, lo, hi;
			int negated = 0, match = 0, nrange = 0;

			if (!failed) {
				r = rune_at(s, sn, &l);
				s += l;
				sn -= l;
			}
			c++;
			cn--;
			if (cn > 0 && *c == '^') {
				negated = 1;
				c++;
				cn--;
			}
			for (;;) {
				if (cn > 0 && *c == ']' && nrange > 0) {
					c++;
					cn--;
					break;
				}
				if (get_esc(&c, &cn, &lo) == BAD)
					return BAD;
				hi = lo;
				if (*c == '-') {
					c++;
					cn--;
					if (get_esc(&c, &cn, &hi) == BAD)
						return BAD;
				}
				if (lo <= r && r <= hi)
					match = 1;
				nrange++;
			}
			if (match == negated)
				failed = 1;
		} else if (*c == '?') {
			if (!failed) {
				if (*s == '/')
					failed = 1;
				l = rune_len(s, sn);
				s += l;
				sn -= l;
			}
			c++;
			cn--;
		} else {
			if (*c == '\\') {
				c++;
				cn--;
				if (cn == 0)
					return BAD;
			}
			if (!failed) {
				if (*c != *s)
					failed = 1;
				s++;
				sn--;
			}
			c++;
			cn--;
		}
	}
	if (failed)
		return NO;
	*rest = s;
	*rest_n = sn;
	return YES;
}

/* After a failed match Go still reports ErrBadPattern for a malformed remainder. */
static int check_rest(const char *p, size_t pn)
{
	const char *chunk, *t;
	size_t cn, tn;
	int star;

	while (pn > 0) {
		scan_chunk(&p, &pn, &star, &chunk, &cn);
		if (match_chunk(chunk, cn, "", 0, &t, &tn) == BAD)
			return BAD;
	}
	return NO;
}

static int match(const char *p, size_t pn, const char *s, size_t sn)
{
	const char *chunk, *t;
	size_t cn, tn, i;
	int star, rc;

next_chunk:
	while (pn > 0) {
		scan_chunk(&p, &pn, &star, &chunk, &cn);
		if (star && cn == 0)
			return memchr(s, '/', sn) ? NO : YES;
		rc = match_chunk(chunk, cn, s, sn, &t, &tn);
		if (rc == YES && (tn == 0 || pn > 0)) {
			s = t;
			sn = tn;
			continue;
		}
		if (rc == BAD)
			return BAD;
		if (star) {
			for (i = 0; i < sn && s[i] != '/'; i++) {
				rc = match_chunk(chunk, cn, s + i + 1, sn - i - 1, &t, &tn);
				if (rc == YES) {
					if (pn == 0 && tn > 0)
						continue;
					s = t;
					sn = tn;
					goto next_chunk;
				}
				if (rc == BAD)
					return BAD;
			}
		}
		return check_rest(p, pn);
	}
	return sn == 0 ? YES : NO;
}

int cf_glob_match(const char *pattern, const char *name)
{
	int rc = match(pattern, strlen(pattern), name, strlen(name));

	if (rc == BAD)
		return cf_error_set(CF_EINVALID, "malformed glob pattern '%.200s'", pattern);
	return rc;
}
