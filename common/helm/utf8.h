/* UTF-8 helpers with Go's rules: invalid bytes decode as U+FFFD one byte at a time. */
#ifndef CF_HELM_UTF8_H
#define CF_HELM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_BAD 0xFFFDu

/* Decodes one rune from s (n > 0 bytes); returns its width (1 for an invalid byte). */
static inline size_t utf8_decode(const char *s, size_t n, uint32_t *r)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c = p[0], min;
	size_t w, i;
	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) { w = 2; c &= 0x1f; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { w = 3; c &= 0x0f; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { w = 4; c &= 0x07; min = 0x10000; }
	else { *r = UTF8_BAD; return 1; }
	if (n < w) { *r = UTF8_BAD; return 1; }
	for (i = 1; i < w; i++) {
		if ((p[i] & 0xc0) != 0x80) { *r = UTF8_BAD; return 1; }
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) { *r = UTF8_BAD; return 1; }
	*r = c;
	return w;
}

static inline size_t utf8_encode(char *out, uint32_t r)
{
	unsigned char *o = (unsigned char *)out;
	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = UTF8_BAD;
	if (r < 0x80) { o[0] = (unsigned char)r; return 1; }
	if (r < 0x800) { o[0] = (unsigned char)(0xc0 | (r >> 6)); o[1] = (unsigned char)(0x80 | (r & 0x3f)); return 2; }
	if (r < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (r >> 12)); o[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (r & 0x3f)); return 3;
	}
	o[0] = (unsigned char)(0xf0 | (r >> 18)); o[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3f)); o[3] = (unsigned char)(0x80 | (r & 0x3f));
	return 4;
}

static inline size_t utf8_count(const char *s, size_t n)
{
	size_t i = 0, c = 0;
	uint32_t r;
	while (i < n) {
		i += utf8_decode(s + i, n - i, &r);
		c++;
	}
	return c;
}

/* Byte length of the first `runes` runes of s. */
static inline size_t utf8_prefix(const char *s, size_t n, size_t runes)
{
	size_t i = 0;
	uint32_t r;
	while (i < n && runes--)
		i += utf8_decode(s + i, n - i, &r);
	return i;
}

static inline bool utf8_valid(const char *s, size_t n)
{
	size_t i = 0, w;
	uint32_t r;
	while (i < n) {
		w = utf8_decode(s + i, n - i, &r);
		if (r == UTF8_BAD && w == 1)
			return false;
		i += w;
	}
	return true;
}

#endif
