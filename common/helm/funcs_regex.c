/* Sprig's regex functions: Go RE2 syntax run on PCRE2 with Go's match, replace and split rules. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "utf8.h"

#define MATCH_LIMIT 10000000u
#define DEPTH_LIMIT 10000u

typedef struct {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint32_t ncap;
} regex;

static void regex_free(regex *re)
{
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
}

/* Go's regexp error texts for the failures PCRE2 and RE2 share; RE2-only rejections first. */
static int compile_error(const char *pattern, int code, bool must_form)
{
	const char *what;
	hbuf b;
	switch (code) {
	case PCRE2_ERROR_MISSING_CLOSING_PARENTHESIS: what = "missing closing )"; break;
	case PCRE2_ERROR_MISSING_SQUARE_BRACKET: what = "missing closing ]"; break;
	case 122: what = "unexpected )"; break;
	case PCRE2_ERROR_QUANTIFIER_INVALID: what = "missing argument to repetition operator"; break;
	case 0: what = "invalid or unsupported Perl syntax"; break;
	default: what = "invalid or unsupported Perl syntax"; break;
	}
	hbuf_init(&b, 0);
	if (must_form) {
		hbuf_puts(&b, "regexp: Compile(");
		if (!strchr(pattern, '`')) {
			hbuf_putc(&b, '`');
			hbuf_puts(&b, pattern);
			hbuf_putc(&b, '`');
		} else {
			fmt_quote(&b, pattern, strlen(pattern));
		}
		hbuf_puts(&b, "): ");
	}
	hbuf_printf(&b, "error parsing regexp: %s: `%s`", what, pattern);
	cf_error_set(CF_EINVALID, "%s", b.p ? b.p : "regexp error");
	hbuf_free(&b);
	return CF_EINVALID;
}

/* Constructs RE2 has no equivalent for (lookaround, backreferences, possessive forms). */
static bool re2_unsupported(const char *p, size_t n)
{
	size_t i;
	bool in_class = false;
	for (i = 0; i < n; i++) {
		if (p[i] == '\\') {
			if (i + 1 < n && !in_class && p[i + 1] >= '1' && p[i + 1] <= '9')
				return true;
			i++;
			continue;
		}
		if (p[i] == '[')
			in_class = true;
		else if (p[i] == ']')
			in_class = false;
		else if (!in_class && p[i] == '(' && i + 2 < n && p[i + 1] == '?' &&
		         (p[i + 2] == '=' || p[i + 2] == '!' || p[i + 2] == '>' ||
		          (p[i + 2] == '<' && i + 3 < n && (p[i + 3] == '=' || p[i + 3] == '!'))))
			return true;
		else if (!in_class && (p[i] == '+' || p[i] == '*' || p[i] == '?' || p[i] == '}') &&
		         i + 1 < n && p[i + 1] == '+')
			return true;
	}
	return false;
}

static int regex_compile(regex *re, const cf_helm_val *pat, bool must_form)
{
	int err = 0;
	PCRE2_SIZE off;
	memset(re, 0, sizeof(*re));
	if (re2_unsupported(pat->s.p, pat->s.len))
		return compile_error(pat->s.p, 0, must_form);
	re->code = pcre2_compile((PCRE2_SPTR)pat->s.p, pat->s.len,
	                         PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off,
	                         NULL);
	if (!re->code)
		return compile_error(pat->s.p, err, must_form);
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->md || !re->mctx) {
		regex_free(re);
		return CF_ENOMEM;
	}
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ncap);
	return 0;
}

/* One search from pos: 1 with ov filled, 0 for no match, <0 on error (limits). */
static int regex_exec(regex *re, const char *s, size_t n, size_t pos, PCRE2_SIZE **ov)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, pos, 0, re->md, re->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return cf_error_set(CF_ELIMIT, "regexp: match limit exceeded");
	*ov = pcre2_get_ovector_pointer(re->md);
	return 1;
}

static size_t rune_width(const char *s, size_t n, size_t pos)
{
	uint32_t r;
	if (pos >= n)
		return 1;
	return utf8_decode(s + pos, n - pos, &r);
}

/* Go's allMatches: calls fn(start, end, ov) for up to max (<0: all) non-overlapping matches. */
typedef int (*match_fn)(void *ctx, size_t a, size_t b, const PCRE2_SIZE *ov);

static int all_matches(regex *re, const char *s, size_t n, int64_t max, match_fn fn, void *ctx)
{
	size_t pos = 0;
	long prev_end = -1;
	int64_t count = 0;
	while ((max < 0 || count < max) && pos <= n) {
		PCRE2_SIZE *ov;
		int r = regex_exec(re, s, n, pos, &ov);
		bool accept = true;
		size_t a, b;
		if (r <= 0)
			return r;
		a = ov[0];
		b = ov[1];
		if (b == pos) {
			if ((long)a == prev_end)
				accept = false;
			pos += rune_width(s, n, pos);
		} else {
			pos = b;
		}
		prev_end = (long)b;
		if (accept) {
			if ((r = fn(ctx, a, b, ov)) < 0)
				return r;
			count++;
		}
	}
	return 0;
}

static int ret_bool(cf_helm_val **out, bool b)
{
	*out = hv_bool(b);
	return *out ? 0 : CF_ENOMEM;
}

static int match_impl(fcall *c, cf_helm_val **out, bool must)
{
	regex re;
	PCRE2_SIZE *ov;
	int r = regex_compile(&re, c->args[0], false);
	if (r < 0)
		return must ? r : ret_bool(out, false);
	r = regex_exec(&re, c->args[1]->s.p, c->args[1]->s.len, 0, &ov);
	regex_free(&re);
	return r < 0 ? r : ret_bool(out, r == 1);
}

static int fn_regex_match(fcall *c, cf_helm_val **out) { return match_impl(c, out, false); }
static int fn_must_regex_match(fcall *c, cf_helm_val **out) { return match_impl(c, out, true); }

typedef struct {
	const char *s;
	cf_helm_val *list;
} collect_ctx;

static int collect(void *vctx, size_t a, size_t b, const PCRE2_SIZE *ov)
{
	collect_ctx *ctx = vctx;
	(void)ov;
	return hv_list_push(ctx->list, hv_strn(ctx->s + a, b - a));
}

static int find_all(fcall *c, cf_helm_val **out, bool must)
{
	regex re;
	collect_ctx ctx;
	int64_t max = c->args[2]->i;
	int r = regex_compile(&re, c->args[0], !must);
	if (r < 0)
		return r;
	ctx.s = c->args[1]->s.p;
	ctx.list = hv_list(CF_HELM_LIST_STR, 0);
	if (!ctx.list) {
		regex_free(&re);
		return CF_ENOMEM;
	}
	r = max == 0 ? 0 : all_matches(&re, ctx.s, c->args[1]->s.len, max, collect, &ctx);
	regex_free(&re);
	if (r < 0) {
		hv_unref(ctx.list);
		return r;
	}
	*out = ctx.list;
	return 0;
}

static int fn_regex_find_all(fcall *c, cf_helm_val **out) { return find_all(c, out, false); }
static int fn_must_regex_find_all(fcall *c, cf_helm_val **out) { return find_all(c, out, true); }

static int find_one(fcall *c, cf_helm_val **out, bool must)
{
	regex re;
	PCRE2_SIZE *ov;
	int r = regex_compile(&re, c->args[0], !must);
	if (r < 0)
		return r;
	r = regex_exec(&re, c->args[1]->s.p, c->args[1]->s.len, 0, &ov);
	if (r == 1)
		*out = hv_strn(c->args[1]->s.p + ov[0], ov[1] - ov[0]);
	else if (r == 0)
		*out = hv_str("");
	regex_free(&re);
	if (r < 0)
		return r;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_regex_find(fcall *c, cf_helm_val **out) { return find_one(c, out, false); }
static int fn_must_regex_find(fcall *c, cf_helm_val **out) { return find_one(c, out, true); }

/* Go's Regexp.Expand of template for one match. */
static void expand(hbuf *b, regex *re, const char *tpl, size_t tn, const char *s, const PCRE2_SIZE *ov)
{
	size_t i = 0;
	while (i < tn) {
		const char *d = memchr(tpl + i, '$', tn - i);
		size_t name_start, name_len, next;
		bool brace = false, digits = true;
		if (!d) {
			hbuf_put(b, tpl + i, tn - i);
			return;
		}
		hbuf_put(b, tpl + i, (size_t)(d - (tpl + i)));
		i = (size_t)(d - tpl) + 1;
		if (i < tn && tpl[i] == '$') {
			hbuf_putc(b, '$');
			i++;
			continue;
		}
		if (i < tn && tpl[i] == '{') {
			brace = true;
			name_start = i + 1;
		} else {
			name_start = i;
		}
		next = name_start;
		while (next < tn && (tpl[next] == '_' || (tpl[next] >= '0' && tpl[next] <= '9') ||
		                     (tpl[next] >= 'a' && tpl[next] <= 'z') || (tpl[next] >= 'A' && tpl[next] <= 'Z'))) {
			digits &= tpl[next] >= '0' && tpl[next] <= '9';
			next++;
		}
		name_len = next - name_start;
		if (name_len == 0 || (brace && (next >= tn || tpl[next] != '}'))) {
			hbuf_putc(b, '$');
			continue;
		}
		i = brace ? next + 1 : next;
		if (digits) {
			long num = 0;
			size_t k;
			for (k = 0; k < name_len && num < 100000000; k++)
				num = num * 10 + (tpl[name_start + k] - '0');
			if (num <= (long)re->ncap && ov[2 * num] != PCRE2_UNSET)
				hbuf_put(b, s + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
		} else {
			char name[256];
			int grp;
			if (name_len >= sizeof(name))
				continue;
			memcpy(name, tpl + name_start, name_len);
			name[name_len] = '\0';
			grp = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
			if (grp > 0 && ov[2 * grp] != PCRE2_UNSET)
				hbuf_put(b, s + ov[2 * grp], ov[2 * grp + 1] - ov[2 * grp]);
		}
	}
}

/* Go's replaceAll: literal or expanded replacement of every match. */
static int replace_all(fcall *c, cf_helm_val **out, bool literal, bool must)
{
	regex re;
	const char *s = c->args[1]->s.p, *repl = c->args[2]->s.p;
	size_t n = c->args[1]->s.len, rn = c->args[2]->s.len, search = 0, last_end = 0, len;
	hbuf b;
	char *res;
	int r = regex_compile(&re, c->args[0], !must);
	if (r < 0)
		return r;
	hbuf_init(&b, exec_value_limit(c->st));
	while (search <= n) {
		PCRE2_SIZE *ov;
		size_t w;
		r = regex_exec(&re, s, n, search, &ov);
		if (r < 0) {
			regex_free(&re);
			hbuf_free(&b);
			return r;
		}
		if (r == 0)
			break;
		hbuf_put(&b, s + last_end, ov[0] - last_end);
		if (ov[1] > last_end || ov[0] == 0) {
			if (literal)
				hbuf_put(&b, repl, rn);
			else
				expand(&b, &re, repl, rn, s, ov);
		}
		last_end = ov[1];
		w = rune_width(s, n, search);
		if (search + w > ov[1])
			search += w;
		else if (search + 1 > ov[1])
			search++;
		else
			search = ov[1];
	}
	hbuf_put(&b, s + last_end, n - last_end);
	regex_free(&re);
	if (b.err) {
		r = b.err;
		hbuf_free(&b);
		return r == CF_ELIMIT ? cf_error_set(CF_ELIMIT, "regexReplaceAll: result too long") : r;
	}
	res = hbuf_take(&b, &len);
	*out = res ? hv_str_take(res, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_regex_replace_all(fcall *c, cf_helm_val **out) { return replace_all(c, out, false, false); }
static int fn_must_regex_replace_all(fcall *c, cf_helm_val **out) { return replace_all(c, out, false, true); }
static int fn_regex_replace_literal(fcall *c, cf_helm_val **out) { return replace_all(c, out, true, false); }
static int fn_must_regex_replace_literal(fcall *c, cf_helm_val **out) { return replace_all(c, out, true, true); }

typedef struct {
	const char *s;
	cf_helm_val *list;
	size_t beg, end;
	int64_t max;
} split_ctx;

static int split_step(void *vctx, size_t a, size_t b, const PCRE2_SIZE *ov)
{
	split_ctx *ctx = vctx;
	(void)ov;
	if (ctx->max > 0 && (int64_t)ctx->list->l.len == ctx->max - 1)
		return 0;
	ctx->end = a;
	if (b != 0 && hv_list_push(ctx->list, hv_strn(ctx->s + ctx->beg, ctx->end - ctx->beg)) < 0)
		return CF_ENOMEM;
	ctx->beg = b;
	return 0;
}

static int split_impl(fcall *c, cf_helm_val **out, bool must)
{
	regex re;
	split_ctx ctx;
	size_t n = c->args[1]->s.len;
	int r = regex_compile(&re, c->args[0], !must);
	if (r < 0)
		return r;
	memset(&ctx, 0, sizeof(ctx));
	ctx.s = c->args[1]->s.p;
	ctx.max = c->args[2]->i;
	ctx.list = hv_list(CF_HELM_LIST_STR, 0);
	if (!ctx.list) {
		regex_free(&re);
		return CF_ENOMEM;
	}
	if (ctx.max == 0) {
		r = 0;
	} else if (c->args[0]->s.len > 0 && n == 0) {
		r = hv_list_push(ctx.list, hv_str(""));
	} else {
		r = all_matches(&re, ctx.s, n, ctx.max, split_step, &ctx);
		if (r == 0 && ctx.end != n)
			r = hv_list_push(ctx.list, hv_strn(ctx.s + ctx.beg, n - ctx.beg));
	}
	regex_free(&re);
	if (r < 0) {
		hv_unref(ctx.list);
		return r;
	}
	*out = ctx.list;
	return 0;
}

static int fn_regex_split(fcall *c, cf_helm_val **out) { return split_impl(c, out, false); }
static int fn_must_regex_split(fcall *c, cf_helm_val **out) { return split_impl(c, out, true); }

static int fn_regex_quote_meta(fcall *c, cf_helm_val **out)
{
	const char *s = c->args[0]->s.p;
	size_t n = c->args[0]->s.len, i, len;
	hbuf b;
	char *res;
	hbuf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (strchr("\\.+*?()|[]{}^$", s[i]) && s[i])
			hbuf_putc(&b, '\\');
		hbuf_putc(&b, s[i]);
	}
	if (b.err) {
		hbuf_free(&b);
		return CF_ENOMEM;
	}
	res = hbuf_take(&b, &len);
	*out = res ? hv_str_take(res, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

const func_def funcs_regex[] = {
	{ "regexMatch", fn_regex_match, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "mustRegexMatch", fn_must_regex_match, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "regexFindAll", fn_regex_find_all, 3, 0, { PT_STR, PT_STR, PT_INT }, 0 },
	{ "mustRegexFindAll", fn_must_regex_find_all, 3, 0, { PT_STR, PT_STR, PT_INT }, 0 },
	{ "regexFind", fn_regex_find, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "mustRegexFind", fn_must_regex_find, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "regexReplaceAll", fn_regex_replace_all, 3, 0, { PT_STR, PT_STR, PT_STR }, 0 },
	{ "mustRegexReplaceAll", fn_must_regex_replace_all, 3, 0, { PT_STR, PT_STR, PT_STR }, 0 },
	{ "regexReplaceAllLiteral", fn_regex_replace_literal, 3, 0, { PT_STR, PT_STR, PT_STR }, 0 },
	{ "mustRegexReplaceAllLiteral", fn_must_regex_replace_literal, 3, 0, { PT_STR, PT_STR, PT_STR }, 0 },
	{ "regexSplit", fn_regex_split, 3, 0, { PT_STR, PT_STR, PT_INT }, 0 },
	{ "mustRegexSplit", fn_must_regex_split, 3, 0, { PT_STR, PT_STR, PT_INT }, 0 },
	{ "regexQuoteMeta", fn_regex_quote_meta, 1, 0, { PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
