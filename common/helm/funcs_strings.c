/* Sprig's string functions (strings.go, goutils, xstrings) and the path functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "utf8.h"

#define ARG_S(k) (c->args[k]->s.p)
#define ARG_N(k) (c->args[k]->s.len)
#define ARG_I(k) (c->args[k]->i)

static int ret_strn(cf_helm_val **out, const char *s, size_t n)
{
	*out = hv_strn(s, n);
	return *out ? 0 : CF_ENOMEM;
}

static int ret_buf(fcall *c, cf_helm_val **out, hbuf *b)
{
	size_t len;
	char *s;
	if (b->err) {
		int e = b->err;
		hbuf_free(b);
		return e == CF_ELIMIT ? cf_error_set(CF_ELIMIT, "%s: result too long", c->name) : CF_ENOMEM;
	}
	s = hbuf_take(b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int ret_bool(cf_helm_val **out, bool b)
{
	*out = hv_bool(b);
	return *out ? 0 : CF_ENOMEM;
}

/* unicode.IsSpace */
static bool is_uspace(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xa0:
	case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
		return true;
	}
	return r >= 0x2000 && r <= 0x200a;
}

/* Case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic basics. */
static uint32_t to_upper(uint32_t r)
{
	if (r >= 'a' && r <= 'z') return r - 32;
	if (r < 0x80) return r;
	if ((r >= 0xe0 && r <= 0xfe && r != 0xf7)) return r - 32;
	if (r == 0xff) return 0x178;
	if (r >= 0x100 && r <= 0x17f && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 &&
	    r != 0x17f) {
		bool odd_upper = (r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e);
		if (odd_upper ? (r & 1) == 0 : (r & 1) == 1)
			return r - 1;
		return r;
	}
	if (r >= 0x3b1 && r <= 0x3c9 && r != 0x3c2) return r - 32;
	if (r >= 0x430 && r <= 0x44f) return r - 32;
	if (r >= 0x450 && r <= 0x45f) return r - 80;
	return r;
}

static uint32_t to_lower(uint32_t r)
{
	if (r >= 'A' && r <= 'Z') return r + 32;
	if (r < 0x80) return r;
	if ((r >= 0xc0 && r <= 0xde && r != 0xd7)) return r + 32;
	if (r == 0x178) return 0xff;
	if (r >= 0x100 && r <= 0x17f && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 &&
	    r != 0x17f) {
		bool odd_upper = (r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e);
		if (odd_upper ? (r & 1) == 1 : (r & 1) == 0)
			return r + 1;
		return r;
	}
	if (r >= 0x391 && r <= 0x3a9 && r != 0x3a2) return r + 32;
	if (r >= 0x410 && r <= 0x42f) return r + 32;
	if (r >= 0x400 && r <= 0x40f) return r + 80;
	return r;
}

static bool is_upper(uint32_t r) { return to_lower(r) != r; }
static bool is_lower(uint32_t r) { return to_upper(r) != r; }

static bool is_letter(uint32_t r)
{
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= 0xc0 && r != 0xd7 && r != 0xf7 &&
	                                                              !is_uspace(r));
}

static bool is_digit(uint32_t r)
{
	return r >= '0' && r <= '9';
}

/* Applies fn to every rune; invalid bytes become U+FFFD as in Go's strings.Map. */
static int map_runes(fcall *c, cf_helm_val **out, uint32_t (*fn)(uint32_t))
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i = 0;
	hbuf b;
	char enc[4];
	hbuf_init(&b, 0);
	while (i < n) {
		uint32_t r;
		size_t w = utf8_decode(s + i, n - i, &r);
		hbuf_put(&b, enc, utf8_encode(enc, fn(r)));
		i += w;
	}
	return ret_buf(c, out, &b);
}

static int fn_upper(fcall *c, cf_helm_val **out) { return map_runes(c, out, to_upper); }
static int fn_lower(fcall *c, cf_helm_val **out) { return map_runes(c, out, to_lower); }

/* strings.Title: upper-case letters that follow a separator. */
static bool is_separator(uint32_t r)
{
	if (r <= 0x7f)
		return !(is_digit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_');
	if (is_letter(r))
		return false;
	return is_uspace(r);
}

static int fn_title(fcall *c, cf_helm_val **out)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i = 0;
	uint32_t prev = ' ';
	hbuf b;
	char enc[4];
	hbuf_init(&b, 0);
	while (i < n) {
		uint32_t r;
		size_t w = utf8_decode(s + i, n - i, &r);
		uint32_t o = is_separator(prev) ? to_upper(r) : r;
		if (r == UTF8_BAD && w == 1)
			hbuf_put(&b, s + i, 1);
		else
			hbuf_put(&b, enc, utf8_encode(enc, o));
		prev = r;
		i += w;
	}
	return ret_buf(c, out, &b);
}

static int fn_untitle(fcall *c, cf_helm_val **out)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i = 0;
	bool next = true;
	hbuf b;
	char enc[4];
	hbuf_init(&b, 0);
	while (i < n) {
		uint32_t r;
		size_t w = utf8_decode(s + i, n - i, &r);
		if (is_uspace(r)) {
			next = true;
		} else if (next) {
			r = to_lower(r);
			next = false;
		}
		hbuf_put(&b, enc, utf8_encode(enc, r));
		i += w;
	}
	return ret_buf(c, out, &b);
}

static int fn_swapcase(fcall *c, cf_helm_val **out)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i = 0;
	hbuf b;
	char enc[4];
	hbuf_init(&b, 0);
	/* goutils title-cases a lower-case letter after white space and upper-cases the others;
	 * for the scripts handled here both are the upper-case letter. */
	while (i < n) {
		uint32_t r;
		size_t w = utf8_decode(s + i, n - i, &r);
		if (is_upper(r))
			r = to_lower(r);
		else if (is_lower(r))
			r = to_upper(r);
		hbuf_put(&b, enc, utf8_encode(enc, r));
		i += w;
	}
	return ret_buf(c, out, &b);
}

static bool in_cutset(uint32_t r, const char *set, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t x;
		i += utf8_decode(set + i, n - i, &x);
		if (x == r)
			return true;
	}
	return false;
}

/* strings.Trim family; cutset NULL means unicode.IsSpace. */
static int trim(fcall *c, cf_helm_val **out, const char *s, size_t n, const char *set, size_t setn,
                bool left, bool right)
{
	size_t start = 0, end = n;
	while (left && start < end) {
		uint32_t r;
		size_t w = utf8_decode(s + start, end - start, &r);
		if (!(set ? in_cutset(r, set, setn) : is_uspace(r)))
			break;
		start += w;
	}
	while (right && end > start) {
		size_t k = end - 1;
		uint32_t r;
		while (k > start && ((unsigned char)s[k] & 0xc0) == 0x80 && end - k < 4)
			k--;
		if (utf8_decode(s + k, end - k, &r) != end - k) {
			k = end - 1;
			r = UTF8_BAD;
		}
		if (!(set ? in_cutset(r, set, setn) : is_uspace(r)))
			break;
		end = k;
	}
	(void)c;
	return ret_strn(out, s + start, end - start);
}

static int fn_trim(fcall *c, cf_helm_val **out)
{
	return trim(c, out, ARG_S(0), ARG_N(0), NULL, 0, true, true);
}

static int fn_trim_all(fcall *c, cf_helm_val **out)
{
	return trim(c, out, ARG_S(1), ARG_N(1), ARG_S(0), ARG_N(0), true, true);
}

static int fn_trim_suffix(fcall *c, cf_helm_val **out)
{
	size_t n = ARG_N(1), k = ARG_N(0);
	if (k <= n && !memcmp(ARG_S(1) + n - k, ARG_S(0), k))
		n -= k;
	return ret_strn(out, ARG_S(1), n);
}

static int fn_trim_prefix(fcall *c, cf_helm_val **out)
{
	size_t n = ARG_N(1), k = ARG_N(0);
	if (k <= n && !memcmp(ARG_S(1), ARG_S(0), k))
		return ret_strn(out, ARG_S(1) + k, n - k);
	return ret_strn(out, ARG_S(1), n);
}

/* goutils works byte by byte, writing each kept byte as a rune (so UTF-8 input is re-encoded). */
static int fn_nospace(fcall *c, cf_helm_val **out)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i, kept = 0;
	hbuf b;
	char enc[4];
	for (i = 0; i < n; i++)
		kept += !is_uspace((unsigned char)s[i]);
	if (kept == n)
		return ret_strn(out, s, n);
	hbuf_init(&b, 0);
	for (i = 0; i < n; i++)
		if (!is_uspace((unsigned char)s[i]))
			hbuf_put(&b, enc, utf8_encode(enc, (unsigned char)s[i]));
	return ret_buf(c, out, &b);
}

static int fn_initials(fcall *c, cf_helm_val **out)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i;
	bool gap = true;
	hbuf b;
	char enc[4];
	hbuf_init(&b, 0);
	for (i = 0; i < n; i++) {
		uint32_t ch = (unsigned char)s[i];
		if (is_uspace(ch)) {
			gap = true;
		} else if (gap) {
			hbuf_put(&b, enc, utf8_encode(enc, ch));
			gap = false;
		}
	}
	return ret_buf(c, out, &b);
}

static int fn_trunc(fcall *c, cf_helm_val **out)
{
	int64_t k = ARG_I(0);
	size_t n = ARG_N(1);
	if (k < 0 && (int64_t)n + k > 0)
		return ret_strn(out, ARG_S(1) + n + k, (size_t)-k);
	if (k >= 0 && (int64_t)n > k)
		return ret_strn(out, ARG_S(1), (size_t)k);
	return ret_strn(out, ARG_S(1), n);
}

/* goutils.AbbreviateFull. */
static int abbreviate(fcall *c, cf_helm_val **out, const char *s, size_t n, int64_t offset,
                      int64_t maxw)
{
	hbuf b;
	int64_t len = (int64_t)n;
	if (n == 0 || maxw < 4)
		return ret_strn(out, "", 0);
	if (len <= maxw)
		return ret_strn(out, s, n);
	if (offset > len)
		offset = len;
	if (len - offset < maxw - 3)
		offset = len - (maxw - 3);
	hbuf_init(&b, 0);
	if (offset <= 4) {
		hbuf_put(&b, s, (size_t)(maxw - 3));
		hbuf_puts(&b, "...");
		return ret_buf(c, out, &b);
	}
	if (maxw < 7)
		return ret_strn(out, "", 0);
	if (offset + maxw - 3 < len) {
		cf_helm_val *inner = NULL;
		int r = abbreviate(c, &inner, s + offset, (size_t)(len - offset), 0, maxw - 3);
		if (r < 0)
			return r;
		hbuf_puts(&b, "...");
		hbuf_put(&b, inner->s.p, inner->s.len);
		hv_unref(inner);
		return ret_buf(c, out, &b);
	}
	hbuf_puts(&b, "...");
	hbuf_put(&b, s + len - (maxw - 3), (size_t)(maxw - 3));
	return ret_buf(c, out, &b);
}

static int fn_abbrev(fcall *c, cf_helm_val **out)
{
	if (ARG_I(0) < 4)
		return ret_strn(out, ARG_S(1), ARG_N(1));
	return abbreviate(c, out, ARG_S(1), ARG_N(1), 0, ARG_I(0));
}

static int fn_abbrevboth(fcall *c, cf_helm_val **out)
{
	int64_t left = ARG_I(0), right = ARG_I(1);
	if (right < 4 || (left > 0 && right < 7))
		return ret_strn(out, ARG_S(2), ARG_N(2));
	return abbreviate(c, out, ARG_S(2), ARG_N(2), left, right);
}

static int slice_err(const char *fmt, int64_t a, int64_t b)
{
	return cf_error_set(CF_EINVALID, fmt, (long long)a, (long long)b);
}

static int fn_substr(fcall *c, cf_helm_val **out)
{
	int64_t start = ARG_I(0), end = ARG_I(1), n = (int64_t)ARG_N(2);
	const char *s = ARG_S(2);
	if (start < 0) {
		if (end < 0)
			return cf_error_set(CF_EINVALID, "runtime error: slice bounds out of range [:%lld]",
			                    (long long)end);
		if (end > n)
			return slice_err("runtime error: slice bounds out of range [:%lld] with length %lld", end, n);
		return ret_strn(out, s, (size_t)end);
	}
	if (end < 0 || end > n) {
		if (start > n)
			return slice_err("runtime error: slice bounds out of range [%lld:%lld]", start, n);
		return ret_strn(out, s + start, (size_t)(n - start));
	}
	if (start > end)
		return slice_err("runtime error: slice bounds out of range [%lld:%lld]", start, end);
	return ret_strn(out, s + start, (size_t)(end - start));
}

static int fn_repeat(fcall *c, cf_helm_val **out)
{
	int64_t k = ARG_I(0), i;
	hbuf b;
	if (k < 0)
		return cf_error_set(CF_EINVALID, "strings: negative Repeat count");
	if (ARG_N(1) && (uint64_t)k > exec_value_limit(c->st) / ARG_N(1))
		return cf_error_set(CF_ELIMIT, "repeat: result too long");
	hbuf_init(&b, exec_value_limit(c->st));
	for (i = 0; i < k && !b.err; i++)
		hbuf_put(&b, ARG_S(1), ARG_N(1));
	return ret_buf(c, out, &b);
}

static int fn_contains(fcall *c, cf_helm_val **out)
{
	return ret_bool(out, ARG_N(0) == 0 || hv_memmem(ARG_S(1), ARG_N(1), ARG_S(0), ARG_N(0)) != NULL);
}

static int fn_has_prefix(fcall *c, cf_helm_val **out)
{
	return ret_bool(out, ARG_N(0) <= ARG_N(1) && !memcmp(ARG_S(1), ARG_S(0), ARG_N(0)));
}

static int fn_has_suffix(fcall *c, cf_helm_val **out)
{
	return ret_bool(out, ARG_N(0) <= ARG_N(1) &&
	                         !memcmp(ARG_S(1) + ARG_N(1) - ARG_N(0), ARG_S(0), ARG_N(0)));
}

static int fn_quote(fcall *c, cf_helm_val **out)
{
	hbuf b;
	size_t i;
	bool first = true;
	hbuf_init(&b, exec_value_limit(c->st));
	for (i = 0; i < c->nargs; i++) {
		size_t len;
		char *s;
		if (c->args[i]->kind == CF_HELM_NIL)
			continue;
		s = hv_strval(c->args[i], &len);
		if (!s) {
			hbuf_free(&b);
			return CF_ENOMEM;
		}
		if (!first)
			hbuf_putc(&b, ' ');
		first = false;
		fmt_quote(&b, s, len);
		free(s);
	}
	return ret_buf(c, out, &b);
}

static int fn_squote(fcall *c, cf_helm_val **out)
{
	hbuf b;
	size_t i;
	bool first = true;
	hbuf_init(&b, exec_value_limit(c->st));
	for (i = 0; i < c->nargs; i++) {
		if (c->args[i]->kind == CF_HELM_NIL)
			continue;
		if (!first)
			hbuf_putc(&b, ' ');
		first = false;
		hbuf_putc(&b, '\'');
		fmt_value(&b, c->args[i]);
		hbuf_putc(&b, '\'');
	}
	return ret_buf(c, out, &b);
}

static int fn_cat(fcall *c, cf_helm_val **out)
{
	hbuf b;
	size_t i;
	bool first = true;
	hbuf_init(&b, exec_value_limit(c->st));
	for (i = 0; i < c->nargs; i++) {
		if (c->args[i]->kind == CF_HELM_NIL)
			continue;
		if (!first)
			hbuf_putc(&b, ' ');
		first = false;
		fmt_value(&b, c->args[i]);
	}
	return ret_buf(c, out, &b);
}

static int indent_into(fcall *c, hbuf *b, int64_t spaces, const char *s, size_t n)
{
	size_t i;
	int64_t k;
	if (spaces < 0)
		return cf_error_set(CF_EINVALID, "strings: negative Repeat count");
	if ((uint64_t)spaces > exec_value_limit(c->st))
		return cf_error_set(CF_ELIMIT, "indent: result too long");
	for (k = 0; k < spaces; k++)
		hbuf_putc(b, ' ');
	for (i = 0; i < n && !b->err; i++) {
		hbuf_putc(b, s[i]);
		if (s[i] == '\n')
			for (k = 0; k < spaces; k++)
				hbuf_putc(b, ' ');
	}
	return 0;
}

static int fn_indent(fcall *c, cf_helm_val **out)
{
	hbuf b;
	int r;
	hbuf_init(&b, exec_value_limit(c->st));
	if ((r = indent_into(c, &b, ARG_I(0), ARG_S(1), ARG_N(1))) < 0) {
		hbuf_free(&b);
		return r;
	}
	return ret_buf(c, out, &b);
}

static int fn_nindent(fcall *c, cf_helm_val **out)
{
	hbuf b;
	int r;
	hbuf_init(&b, exec_value_limit(c->st));
	hbuf_putc(&b, '\n');
	if ((r = indent_into(c, &b, ARG_I(0), ARG_S(1), ARG_N(1))) < 0) {
		hbuf_free(&b);
		return r;
	}
	return ret_buf(c, out, &b);
}

/* strings.Replace(src, old, new, -1); an empty old inserts new around every rune. */
static int fn_replace(fcall *c, cf_helm_val **out)
{
	const char *old = ARG_S(0), *nw = ARG_S(1), *s = ARG_S(2);
	size_t on = ARG_N(0), nn = ARG_N(1), n = ARG_N(2), i = 0;
	hbuf b;
	hbuf_init(&b, exec_value_limit(c->st));
	if (on == 0) {
		hbuf_put(&b, nw, nn);
		while (i < n) {
			uint32_t r;
			size_t w = utf8_decode(s + i, n - i, &r);
			hbuf_put(&b, s + i, w);
			hbuf_put(&b, nw, nn);
			i += w;
		}
		return ret_buf(c, out, &b);
	}
	while (i < n) {
		const char *hit = hv_memmem(s + i, n - i, old, on);
		if (!hit) {
			hbuf_put(&b, s + i, n - i);
			break;
		}
		hbuf_put(&b, s + i, (size_t)(hit - (s + i)));
		hbuf_put(&b, nw, nn);
		i = (size_t)(hit - s) + on;
	}
	return ret_buf(c, out, &b);
}

static int fn_plural(fcall *c, cf_helm_val **out)
{
	return ARG_I(2) == 1 ? ret_strn(out, ARG_S(0), ARG_N(0)) : ret_strn(out, ARG_S(1), ARG_N(1));
}

static int fn_to_string(fcall *c, cf_helm_val **out)
{
	size_t len;
	char *s = hv_strval(c->args[0], &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

/* strings.SplitN semantics (n < 0: all). Appends the parts to list as strings. */
static int split_into(cf_helm_val *list, const char *s, size_t n, const char *sep, size_t sepn,
                      int64_t max)
{
	size_t i = 0;
	int64_t parts = 0;
	if (max == 0)
		return 0;
	if (sepn == 0) {
		while (i < n) {
			uint32_t r;
			size_t w = utf8_decode(s + i, n - i, &r);
			if (max > 0 && parts == max - 1)
				w = n - i;
			if (hv_list_push(list, hv_strn(s + i, w)) < 0)
				return CF_ENOMEM;
			parts++;
			i += w;
		}
		return 0;
	}
	for (;;) {
		const char *hit = (max < 0 || parts < max - 1) ? hv_memmem(s + i, n - i, sep, sepn) : NULL;
		if (!hit) {
			return hv_list_push(list, hv_strn(s + i, n - i));
		}
		if (hv_list_push(list, hv_strn(s + i, (size_t)(hit - (s + i)))) < 0)
			return CF_ENOMEM;
		parts++;
		i = (size_t)(hit - s) + sepn;
	}
}

static int fn_split_list(fcall *c, cf_helm_val **out)
{
	cf_helm_val *l = hv_list(CF_HELM_LIST_STR, 0);
	if (!l || split_into(l, ARG_S(1), ARG_N(1), ARG_S(0), ARG_N(0), -1) < 0) {
		hv_unref(l);
		return CF_ENOMEM;
	}
	*out = l;
	return 0;
}

static int split_map(cf_helm_val **out, const char *s, size_t n, const char *sep, size_t sepn,
                     int64_t max)
{
	cf_helm_val *l = hv_list(CF_HELM_LIST_STR, 0), *m = hv_map();
	size_t i;
	if (!l || !m || split_into(l, s, n, sep, sepn, max) < 0)
		goto oom;
	m->sub = 2; /* map[string]string */
	for (i = 0; i < l->l.len; i++) {
		char key[32];
		int kl = snprintf(key, sizeof(key), "_%zu", i);
		if (hv_map_set(m, key, (size_t)kl, hv_ref(l->l.items[i])) < 0)
			goto oom;
	}
	hv_unref(l);
	*out = m;
	return 0;
oom:
	hv_unref(l);
	hv_unref(m);
	return CF_ENOMEM;
}

static int fn_split(fcall *c, cf_helm_val **out)
{
	return split_map(out, ARG_S(1), ARG_N(1), ARG_S(0), ARG_N(0), -1);
}

static int fn_splitn(fcall *c, cf_helm_val **out)
{
	return split_map(out, ARG_S(2), ARG_N(2), ARG_S(0), ARG_N(0), ARG_I(1));
}

static int fn_join(fcall *c, cf_helm_val **out)
{
	cf_helm_val *l = conv_to_strlist(c->args[1]);
	hbuf b;
	size_t i;
	if (!l)
		return CF_ENOMEM;
	hbuf_init(&b, exec_value_limit(c->st));
	for (i = 0; i < l->l.len; i++) {
		if (i)
			hbuf_put(&b, ARG_S(0), ARG_N(0));
		hbuf_put(&b, l->l.items[i]->s.p, l->l.items[i]->s.len);
	}
	hv_unref(l);
	return ret_buf(c, out, &b);
}

/* goutils.WrapCustom. */
static int wrap(fcall *c, cf_helm_val **out, int64_t width, const char *nl, size_t nln, bool longw)
{
	const char *s = ARG_S(c->nargs - 1);
	size_t n = ARG_N(c->nargs - 1), off = 0;
	hbuf b;
	if (n == 0)
		return ret_strn(out, "", 0);
	if (nln == 0) {
		nl = "\n";
		nln = 1;
	}
	if (width < 1)
		width = 1;
	hbuf_init(&b, exec_value_limit(c->st));
	while ((int64_t)(n - off) > width) {
		size_t end, k;
		long at = -1;
		if (s[off] == ' ') {
			off++;
			continue;
		}
		end = (size_t)width + off + 1;
		for (k = off; k < end && k < n; k++)
			if (s[k] == ' ')
				at = (long)k;
		if (at >= (long)off) {
			hbuf_put(&b, s + off, (size_t)at - off);
			hbuf_put(&b, nl, nln);
			off = (size_t)at + 1;
		} else if (longw) {
			hbuf_put(&b, s + off, (size_t)width);
			hbuf_put(&b, nl, nln);
			off += (size_t)width;
		} else {
			const char *sp;
			end = (size_t)width + off;
			sp = memchr(s + end, ' ', n - end);
			if (!sp) {
				hbuf_put(&b, s + off, n - off);
				off = n;
			} else {
				hbuf_put(&b, s + off, (size_t)(sp - (s + off)));
				hbuf_put(&b, nl, nln);
				off = (size_t)(sp - s) + 1;
			}
		}
	}
	hbuf_put(&b, s + off, n - off);
	return ret_buf(c, out, &b);
}

static int fn_wrap(fcall *c, cf_helm_val **out)
{
	return wrap(c, out, ARG_I(0), "", 0, false);
}

static int fn_wrap_with(fcall *c, cf_helm_val **out)
{
	return wrap(c, out, ARG_I(0), ARG_S(1), ARG_N(1), true);
}

/* Word splitting shared by snakecase/kebabcase/camelcase (xstrings' rules for ASCII input). */
static int case_convert(fcall *c, cf_helm_val **out, char connector)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i;
	hbuf b;
	hbuf_init(&b, 0);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool up = ch >= 'A' && ch <= 'Z';
		if (ch == '_' || ch == '-' || ch == ' ' || ch == '.') {
			if (b.len && b.p[b.len - 1] != connector)
				hbuf_putc(&b, connector);
			continue;
		}
		if (up && b.len && b.p[b.len - 1] != connector) {
			unsigned char prev = (unsigned char)s[i - 1];
			bool prev_lower = (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9');
			bool next_lower = i + 1 < n && s[i + 1] >= 'a' && s[i + 1] <= 'z';
			if (prev_lower || (prev >= 'A' && prev <= 'Z' && next_lower))
				hbuf_putc(&b, connector);
		}
		hbuf_putc(&b, up ? (char)(ch + 32) : (char)ch);
	}
	while (b.len && b.p[b.len - 1] == connector)
		b.len--;
	return ret_buf(c, out, &b);
}

static int fn_snakecase(fcall *c, cf_helm_val **out) { return case_convert(c, out, '_'); }
static int fn_kebabcase(fcall *c, cf_helm_val **out) { return case_convert(c, out, '-'); }

static int fn_camelcase(fcall *c, cf_helm_val **out)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), i;
	bool up = true;
	hbuf b;
	hbuf_init(&b, 0);
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '_' || ch == '-' || ch == ' ' || ch == '.') {
			up = true;
			continue;
		}
		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		up = false;
		hbuf_putc(&b, ch);
	}
	return ret_buf(c, out, &b);
}

static int fn_shuffle(fcall *c, cf_helm_val **out)
{
	const char *s = ARG_S(0);
	size_t n = ARG_N(0), count = 0, i = 0, k;
	uint32_t *runes = malloc((n + 1) * sizeof(uint32_t));
	hbuf b;
	char enc[4];
	if (!runes)
		return CF_ENOMEM;
	while (i < n)
		i += utf8_decode(s + i, n - i, &runes[count++]);
	for (k = count; k > 1; k--) {
		uint32_t rnd, t;
		size_t j;
		if (exec_random(c->st, (unsigned char *)&rnd, sizeof(rnd)) < 0) {
			free(runes);
			return CF_EINTERNAL;
		}
		j = rnd % k;
		t = runes[k - 1];
		runes[k - 1] = runes[j];
		runes[j] = t;
	}
	hbuf_init(&b, 0);
	for (k = 0; k < count; k++)
		hbuf_put(&b, enc, utf8_encode(enc, runes[k]));
	free(runes);
	return ret_buf(c, out, &b);
}

/* goutils' crypto random strings: uniform choices from the allowed characters. */
static int rand_string(fcall *c, cf_helm_val **out, const char *alphabet)
{
	int64_t k = ARG_I(0), i;
	size_t an = strlen(alphabet);
	hbuf b;
	if (k <= 0)
		return ret_strn(out, "", 0);
	if ((uint64_t)k > exec_value_limit(c->st))
		return cf_error_set(CF_ELIMIT, "%s: length too large", c->name);
	hbuf_init(&b, 0);
	for (i = 0; i < k; i++) {
		uint32_t rnd;
		uint32_t lim = UINT32_MAX - UINT32_MAX % (uint32_t)an;
		do {
			if (exec_random(c->st, (unsigned char *)&rnd, sizeof(rnd)) < 0) {
				hbuf_free(&b);
				return CF_EINTERNAL;
			}
		} while (rnd >= lim);
		hbuf_putc(&b, alphabet[rnd % an]);
	}
	return ret_buf(c, out, &b);
}

#define DIGITS "0123456789"
#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

static int fn_rand_alpha_num(fcall *c, cf_helm_val **out) { return rand_string(c, out, LETTERS DIGITS); }
static int fn_rand_alpha(fcall *c, cf_helm_val **out) { return rand_string(c, out, LETTERS); }
static int fn_rand_numeric(fcall *c, cf_helm_val **out) { return rand_string(c, out, DIGITS); }

static int fn_rand_ascii(fcall *c, cf_helm_val **out)
{
	char set[96];
	int i;
	for (i = 0; i < 95; i++)
		set[i] = (char)(32 + i);
	set[95] = '\0';
	return rand_string(c, out, set);
}

static int fn_hello(fcall *c, cf_helm_val **out)
{
	(void)c;
	return ret_strn(out, "Hello!", 6);
}

static int fn_get_host_by_name(fcall *c, cf_helm_val **out)
{
	(void)c;
	return ret_strn(out, "", 0);
}

/* ---- path.* (slash-separated; filepath.* is the same on Linux) ---- */

/* path.Clean into b. */
static void clean_path(hbuf *b, const char *p, size_t n)
{
	bool rooted = n > 0 && p[0] == '/';
	size_t r = 0, dotdot;
	size_t start = b->len;
	if (n == 0) {
		hbuf_putc(b, '.');
		return;
	}
	if (rooted) {
		hbuf_putc(b, '/');
		r = 1;
	}
	dotdot = b->len - start;
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (b->len - start > dotdot) {
				b->len--;
				while (b->len - start > dotdot && b->p[b->len] != '/')
					b->len--;
			} else if (!rooted) {
				if (b->len - start > 0)
					hbuf_putc(b, '/');
				hbuf_put(b, "..", 2);
				dotdot = b->len - start;
			}
		} else {
			if ((rooted && b->len - start != 1) || (!rooted && b->len - start != 0))
				hbuf_putc(b, '/');
			for (; r < n && p[r] != '/'; r++)
				hbuf_putc(b, p[r]);
		}
	}
	if (b->len == start)
		hbuf_putc(b, '.');
	if (b->p)
		b->p[b->len] = '\0';
}

static int fn_clean(fcall *c, cf_helm_val **out)
{
	hbuf b;
	hbuf_init(&b, 0);
	clean_path(&b, ARG_S(0), ARG_N(0));
	return ret_buf(c, out, &b);
}

static int fn_base(fcall *c, cf_helm_val **out)
{
	const char *p = ARG_S(0);
	size_t n = ARG_N(0), i;
	if (n == 0)
		return ret_strn(out, ".", 1);
	while (n > 0 && p[n - 1] == '/')
		n--;
	for (i = n; i > 0 && p[i - 1] != '/'; i--)
		;
	if (n == 0)
		return ret_strn(out, "/", 1);
	return ret_strn(out, p + i, n - i);
}

static int fn_dir(fcall *c, cf_helm_val **out)
{
	const char *p = ARG_S(0);
	size_t n = ARG_N(0), i;
	hbuf b;
	for (i = n; i > 0 && p[i - 1] != '/'; i--)
		;
	hbuf_init(&b, 0);
	clean_path(&b, p, i);
	return ret_buf(c, out, &b);
}

static int fn_ext(fcall *c, cf_helm_val **out)
{
	const char *p = ARG_S(0);
	size_t n = ARG_N(0), i;
	for (i = n; i > 0 && p[i - 1] != '/'; i--)
		if (p[i - 1] == '.')
			return ret_strn(out, p + i - 1, n - i + 1);
	return ret_strn(out, "", 0);
}

static int fn_is_abs(fcall *c, cf_helm_val **out)
{
	return ret_bool(out, ARG_N(0) > 0 && ARG_S(0)[0] == '/');
}

const func_def funcs_strings[] = {
	{ "hello", fn_hello, 0, 0, { 0 }, 0 },
	{ "abbrev", fn_abbrev, 2, 0, { PT_INT, PT_STR }, 0 },
	{ "abbrevboth", fn_abbrevboth, 3, 0, { PT_INT, PT_INT, PT_STR }, 0 },
	{ "trunc", fn_trunc, 2, 0, { PT_INT, PT_STR }, 0 },
	{ "trim", fn_trim, 1, 0, { PT_STR }, 0 },
	{ "upper", fn_upper, 1, 0, { PT_STR }, 0 },
	{ "lower", fn_lower, 1, 0, { PT_STR }, 0 },
	{ "title", fn_title, 1, 0, { PT_STR }, 0 },
	{ "untitle", fn_untitle, 1, 0, { PT_STR }, 0 },
	{ "substr", fn_substr, 3, 0, { PT_INT, PT_INT, PT_STR }, 0 },
	{ "repeat", fn_repeat, 2, 0, { PT_INT, PT_STR }, 0 },
	{ "trimall", fn_trim_all, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "trimAll", fn_trim_all, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "trimSuffix", fn_trim_suffix, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "trimPrefix", fn_trim_prefix, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "nospace", fn_nospace, 1, 0, { PT_STR }, 0 },
	{ "initials", fn_initials, 1, 0, { PT_STR }, 0 },
	{ "randAlphaNum", fn_rand_alpha_num, 1, 0, { PT_INT }, 0 },
	{ "randAlpha", fn_rand_alpha, 1, 0, { PT_INT }, 0 },
	{ "randAscii", fn_rand_ascii, 1, 0, { PT_INT }, 0 },
	{ "randNumeric", fn_rand_numeric, 1, 0, { PT_INT }, 0 },
	{ "swapcase", fn_swapcase, 1, 0, { PT_STR }, 0 },
	{ "shuffle", fn_shuffle, 1, 0, { PT_STR }, 0 },
	{ "snakecase", fn_snakecase, 1, 0, { PT_STR }, 0 },
	{ "camelcase", fn_camelcase, 1, 0, { PT_STR }, 0 },
	{ "kebabcase", fn_kebabcase, 1, 0, { PT_STR }, 0 },
	{ "wrap", fn_wrap, 2, 0, { PT_INT, PT_STR }, 0 },
	{ "wrapWith", fn_wrap_with, 3, 0, { PT_INT, PT_STR, PT_STR }, 0 },
	{ "contains", fn_contains, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "hasPrefix", fn_has_prefix, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "hasSuffix", fn_has_suffix, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "quote", fn_quote, 0, 1, { 0 }, PT_ANY },
	{ "squote", fn_squote, 0, 1, { 0 }, PT_ANY },
	{ "cat", fn_cat, 0, 1, { 0 }, PT_ANY },
	{ "indent", fn_indent, 2, 0, { PT_INT, PT_STR }, 0 },
	{ "nindent", fn_nindent, 2, 0, { PT_INT, PT_STR }, 0 },
	{ "replace", fn_replace, 3, 0, { PT_STR, PT_STR, PT_STR }, 0 },
	{ "plural", fn_plural, 3, 0, { PT_STR, PT_STR, PT_INT }, 0 },
	{ "toString", fn_to_string, 1, 0, { PT_ANY }, 0 },
	{ "split", fn_split, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "splitList", fn_split_list, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "splitn", fn_splitn, 3, 0, { PT_STR, PT_INT, PT_STR }, 0 },
	{ "join", fn_join, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "getHostByName", fn_get_host_by_name, 1, 0, { PT_STR }, 0 },
	{ "base", fn_base, 1, 0, { PT_STR }, 0 },
	{ "dir", fn_dir, 1, 0, { PT_STR }, 0 },
	{ "clean", fn_clean, 1, 0, { PT_STR }, 0 },
	{ "ext", fn_ext, 1, 0, { PT_STR }, 0 },
	{ "isAbs", fn_is_abs, 1, 0, { PT_STR }, 0 },
	{ "osBase", fn_base, 1, 0, { PT_STR }, 0 },
	{ "osDir", fn_dir, 1, 0, { PT_STR }, 0 },
	{ "osClean", fn_clean, 1, 0, { PT_STR }, 0 },
	{ "osExt", fn_ext, 1, 0, { PT_STR }, 0 },
	{ "osIsAbs", fn_is_abs, 1, 0, { PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
