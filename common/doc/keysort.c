/* go-yaml's "natural" order of string map keys, used when the YAML emitters sort. */
#include <stdlib.h>
#include "internal.h"
#include "utf8.h"

/* Decodes rune i..; invalid bytes count as U+FFFD, one byte each, as Go's []rune does. */
static size_t runes(const char *s, size_t len, unsigned *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < max;) {
		size_t k = doc_utf8_decode(s + i, len - i, &out[n]);
		if (!k) {
			out[n] = 0xfffd;
			k = 1;
		}
		i += k;
		n++;
	}
	return n;
}

static int is_digit(unsigned r)
{
	return r >= '0' && r <= '9';
}

/* unicode.IsLetter, approximated: ASCII letters, and non-ASCII code points outside the common
 * punctuation, symbol, space and emoji blocks. */
static int is_letter(unsigned r)
{
	if (r < 0x80)
		return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
	if (r < 0xc0)
		return r == 0xaa || r == 0xb5 || r == 0xba;
	if (r == 0xd7 || r == 0xf7)
		return 0;
	if ((r >= 0x2000 && r <= 0x2bff) || (r >= 0x3000 && r <= 0x3003) || (r >= 0x3008 && r <= 0x3020) ||
	    (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff20) || (r >= 0x1f000 && r <= 0x1faff) ||
	    (r >= 0xe000 && r <= 0xf8ff) || r == 0xfffd)
		return 0;
	return 1;
}

static int less_runes(const unsigned *ar, size_t an_, const unsigned *br, size_t bn_)
{
	for (size_t i = 0; i < an_ && i < bn_; i++) {
		if (ar[i] == br[i])
			continue;
		int al = is_letter(ar[i]), bl = is_letter(br[i]);
		if (al && bl)
			return ar[i] < br[i];
		if (al || bl)
			return bl;
		uint64_t an = 0, bn = 0; /* wraps like Go's int64 does on very long digit runs */
		size_t ai, bi;
		if (ar[i] == '0' || br[i] == '0') {
			for (size_t j = i; j-- > 0 && is_digit(ar[j]);) {
				if (ar[j] != '0') {
					an = bn = 1;
					break;
				}
			}
		}
		for (ai = i; ai < an_ && is_digit(ar[ai]); ai++)
			an = an * 10 + (ar[ai] - '0');
		for (bi = i; bi < bn_ && is_digit(br[bi]); bi++)
			bn = bn * 10 + (br[bi] - '0');
		if (an != bn)
			return (int64_t)an < (int64_t)bn;
		if (ai != bi)
			return ai < bi;
		return ar[i] < br[i];
	}
	return an_ < bn_;
}

int doc_key_less(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned sa[64], sb[64], *fa = sa, *fb = sb;
	int r = 0;

	if (alen > 64)
		fa = malloc(alen * sizeof(*fa));
	if (blen > 64)
		fb = malloc(blen * sizeof(*fb));
	if (fa && fb)
		r = less_runes(fa, runes(a, alen, fa, alen), fb, runes(b, blen, fb, blen));
	if (fa != sa)
		free(fa);
	if (fb != sb)
		free(fb);
	return r;
}
