/* Base64 and base32 with Go's StdEncoding rules (padding required, CR/LF ignored on decode). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int enc_b64(hbuf *b, const unsigned char *s, size_t n)
{
	size_t i;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63] };
		hbuf_put(b, q, 4);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)s[i] << 16;
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], '=', '=' };
		hbuf_put(b, q, 4);
	} else if (n - i == 2) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], '=' };
		hbuf_put(b, q, 4);
	}
	return b->err;
}

static int val_of(const char *alpha, char c)
{
	const char *p = c ? strchr(alpha, c) : NULL;
	return p ? (int)(p - alpha) : -1;
}

/*
 * Decodes base64 (bits 6) or base32 (bits 5) as Go's StdEncoding does. Returns the offset of the
 * first bad byte as Go reports it, or -1 on success.
 */
static long decode(hbuf *out, const char *s, size_t n, const char *alpha, int bits)
{
	size_t quantum = bits == 6 ? 4 : 8, i = 0;
	while (i < n) {
		int vals[8];
		size_t got = 0, start = i, pad = 0, k;
		while (got < quantum) {
			char c;
			if (i >= n) {
				if (got == 0)
					return -1;
				return (long)i - (long)got;
			}
			c = s[i];
			if (c == '\n' || c == '\r') {
				i++;
				continue;
			}
			if (c == '=') {
				/* Padding must complete the quantum and end the input. */
				size_t need = quantum - got, j = i;
				size_t min_data = bits == 6 ? 2 : 2;
				if (got < min_data)
					return (long)i;
				while (need && j < n) {
					if (s[j] == '\n' || s[j] == '\r') {
						j++;
						continue;
					}
					if (s[j] != '=')
						return (long)j;
					need--;
					j++;
				}
				if (need)
					return (long)n;
				while (j < n && (s[j] == '\n' || s[j] == '\r'))
					j++;
				if (j < n)
					return (long)j;
				if (bits == 5 && got != 2 && got != 4 && got != 5 && got != 7)
					return (long)i;
				pad = quantum - got;
				i = j;
				break;
			}
			vals[got] = val_of(alpha, c);
			if (vals[got] < 0)
				return (long)i;
			got++;
			i++;
		}
		(void)start;
		{
			uint64_t acc = 0;
			size_t nbytes = (got * (size_t)bits) / 8;
			for (k = 0; k < quantum; k++)
				acc = (acc << bits) | (uint64_t)(k < got ? vals[k] : 0);
			for (k = 0; k < nbytes; k++) {
				size_t shift = quantum * (size_t)bits - 8 * (k + 1);
				hbuf_putc(out, (char)((acc >> shift) & 0xff));
			}
		}
		if (pad)
			return -1;
	}
	return -1;
}

static int ret_buf(hbuf *b, cf_helm_val **out)
{
	size_t len;
	char *s;
	if (b->err) {
		hbuf_free(b);
		return CF_ENOMEM;
	}
	s = hbuf_take(b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_b64enc(fcall *c, cf_helm_val **out)
{
	hbuf b;
	hbuf_init(&b, 0);
	enc_b64(&b, (const unsigned char *)c->args[0]->s.p, c->args[0]->s.len);
	return ret_buf(&b, out);
}

static int dec_fn(fcall *c, cf_helm_val **out, const char *alpha, int bits)
{
	hbuf b;
	long bad;
	hbuf_init(&b, 0);
	bad = decode(&b, c->args[0]->s.p, c->args[0]->s.len, alpha, bits);
	if (bad >= 0) {
		hbuf_free(&b);
		hbuf_init(&b, 0);
		hbuf_printf(&b, "illegal base%d data at input byte %ld", bits == 6 ? 64 : 32, bad);
	}
	return ret_buf(&b, out);
}

static int fn_b64dec(fcall *c, cf_helm_val **out) { return dec_fn(c, out, b64, 6); }
static int fn_b32dec(fcall *c, cf_helm_val **out) { return dec_fn(c, out, b32, 5); }

static int fn_b32enc(fcall *c, cf_helm_val **out)
{
	const unsigned char *s = (const unsigned char *)c->args[0]->s.p;
	size_t n = c->args[0]->s.len, i, k;
	hbuf b;
	hbuf_init(&b, 0);
	for (i = 0; i < n; i += 5) {
		uint64_t acc = 0;
		size_t chunk = n - i < 5 ? n - i : 5, chars = (chunk * 8 + 4) / 5;
		for (k = 0; k < 5; k++)
			acc = (acc << 8) | (k < chunk ? s[i + k] : 0);
		for (k = 0; k < 8; k++)
			hbuf_putc(&b, k < chars ? b32[(acc >> (35 - 5 * k)) & 31] : '=');
	}
	return ret_buf(&b, out);
}

/* Decodes standard base64 into out; -1 on bad input (used by crypto functions). */
int dec_b64(hbuf *out, const char *s, size_t n)
{
	return decode(out, s, n, b64, 6) >= 0 ? -1 : 0;
}

const func_def funcs_encoding[] = {
	{ "b64enc", fn_b64enc, 1, 0, { PT_STR }, 0 },
	{ "b64dec", fn_b64dec, 1, 0, { PT_STR }, 0 },
	{ "b32enc", fn_b32enc, 1, 0, { PT_STR }, 0 },
	{ "b32dec", fn_b32dec, 1, 0, { PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
