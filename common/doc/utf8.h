/* Strict UTF-8 decoding as Go's utf8.DecodeRune accepts it. */
#ifndef CF_DOC_UTF8_H
#define CF_DOC_UTF8_H

#include <stddef.h>

/* Bytes of the valid sequence at s (writing its code point), or 0 when invalid. */
static inline size_t doc_utf8_decode(const char *s, size_t len, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	unsigned c, min;

	if (!len)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0)
		n = 2, c = u[0] & 0x1f, min = 0x80;
	else if ((u[0] & 0xf0) == 0xe0)
		n = 3, c = u[0] & 0x0f, min = 0x800;
	else if ((u[0] & 0xf8) == 0xf0)
		n = 4, c = u[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static inline int doc_utf8_valid(const char *s, size_t len)
{
	unsigned cp;

	for (size_t i = 0; i < len;) {
		size_t n = doc_utf8_decode(s + i, len - i, &cp);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

#endif
