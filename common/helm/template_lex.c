/* Tokenizer for Go text/template source, following Go's lexer state machine token for token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_lex.h"
#include "utf8.h"

typedef struct {
	const char *in;
	size_t len, pos, start;
	int line, start_line;
	int paren_depth;
	bool inside;
	token *toks;
	size_t ntoks, cap;
	size_t max_tokens;
	int err;
} lexer;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(uint32_t r)
{
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
	       r >= 0x80; /* Go accepts Unicode letters; we accept any non-ASCII rune */
}

static bool starts(const lexer *l, size_t at, const char *s)
{
	size_t n = strlen(s);
	return at + n <= l->len && !memcmp(l->in + at, s, n);
}

static bool left_trim_marker(const lexer *l, size_t at)
{
	return at + 2 <= l->len && l->in[at] == '-' && is_space(l->in[at + 1]);
}

static bool right_trim_marker(const lexer *l, size_t at)
{
	return at + 2 <= l->len && is_space(l->in[at]) && l->in[at + 1] == '-';
}

static int count_nl(const char *s, size_t n)
{
	int c = 0;
	size_t i;
	for (i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

static int push(lexer *l, tok_type type, size_t start, size_t end, int line)
{
	token *t;
	if (l->err)
		return l->err;
	if (l->ntoks == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		token *p;
		if (l->max_tokens && cap > l->max_tokens + 2)
			cap = l->max_tokens + 2;
		if (l->ntoks >= cap)
			return l->err = CF_ELIMIT;
		p = realloc(l->toks, cap * sizeof(*p));
		if (!p)
			return l->err = CF_ENOMEM;
		l->toks = p;
		l->cap = cap;
	}
	t = &l->toks[l->ntoks++];
	t->type = type;
	t->pos = start;
	t->val = l->in + start;
	t->len = end - start;
	t->line = line;
	t->msg = NULL;
	return 0;
}

/* Emits the token from start to pos and advances start, counting lines. */
static int emit(lexer *l, tok_type type)
{
	int err = push(l, type, l->start, l->pos, l->start_line);
	l->line += count_nl(l->in + l->start, l->pos - l->start);
	l->start = l->pos;
	l->start_line = l->line;
	return err;
}

static void ignore(lexer *l)
{
	l->line += count_nl(l->in + l->start, l->pos - l->start);
	l->start = l->pos;
	l->start_line = l->line;
}

/* Records an error token (the lexer stops after it, as Go's does). */
static int lex_error(lexer *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lex_error(lexer *l, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int n;
	if (push(l, T_ERROR, l->start, l->start, l->start_line) < 0)
		return l->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = malloc((size_t)n + 1);
	if (!msg)
		return l->err = CF_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	l->toks[l->ntoks - 1].msg = msg;
	return 1;
}

/* Go's %#U: U+0078 'x'. */
static void fmt_rune_U(char *buf, size_t size, uint32_t r)
{
	char enc[8];
	size_t n = utf8_encode(enc, r);
	enc[n] = '\0';
	if (r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0))
		snprintf(buf, size, "U+%04X '%s'", r, enc);
	else
		snprintf(buf, size, "U+%04X", r);
}

static uint32_t peek_rune(const lexer *l, size_t *w)
{
	uint32_t r;
	if (l->pos >= l->len) {
		*w = 0;
		return 0xffffffffu; /* eof */
	}
	*w = utf8_decode(l->in + l->pos, l->len - l->pos, &r);
	return r;
}

static bool at_terminator(const lexer *l)
{
	char c;
	if (l->pos >= l->len)
		return true;
	c = l->in[l->pos];
	if (is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(')
		return true;
	return starts(l, l->pos, "}}");
}

static const struct {
	const char *word;
	tok_type type;
} keywords[] = {
	{ "block", T_BLOCK }, { "break", T_BREAK }, { "continue", T_CONTINUE },
	{ "define", T_DEFINE }, { "else", T_ELSE }, { "end", T_END }, { "if", T_IF },
	{ "range", T_RANGE }, { "nil", T_NIL }, { "template", T_TEMPLATE }, { "with", T_WITH },
};

static int lex_identifier(lexer *l)
{
	size_t w, i, n;
	uint32_t r;
	char buf[32];
	for (;;) {
		r = peek_rune(l, &w);
		if (w && is_alnum(r)) {
			l->pos += w;
			continue;
		}
		if (!at_terminator(l)) {
			fmt_rune_U(buf, sizeof(buf), r);
			l->pos += w;
			return lex_error(l, "bad character %s", buf);
		}
		break;
	}
	n = l->pos - l->start;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].word) == n && !memcmp(keywords[i].word, l->in + l->start, n))
			return emit(l, keywords[i].type);
	if ((n == 4 && !memcmp(l->in + l->start, "true", 4)) ||
	    (n == 5 && !memcmp(l->in + l->start, "false", 5)))
		return emit(l, T_BOOL);
	return emit(l, T_IDENT);
}

/* After '.' or '$': a field/variable name, or just the dot/dollar. */
static int lex_field_or_var(lexer *l, tok_type type)
{
	size_t w;
	uint32_t r;
	char buf[32];
	if (at_terminator(l))
		return emit(l, type == T_VARIABLE ? T_VARIABLE : T_DOT);
	for (;;) {
		r = peek_rune(l, &w);
		if (w && is_alnum(r)) {
			l->pos += w;
			continue;
		}
		if (!at_terminator(l)) {
			fmt_rune_U(buf, sizeof(buf), r);
			l->pos += w;
			return lex_error(l, "bad character %s", buf);
		}
		return emit(l, type);
	}
}

static bool accept(lexer *l, const char *valid)
{
	if (l->pos < l->len && strchr(valid, l->in[l->pos]) && l->in[l->pos]) {
		l->pos++;
		return true;
	}
	return false;
}

static void accept_run(lexer *l, const char *valid)
{
	while (accept(l, valid))
		;
}

static bool scan_number(lexer *l)
{
	const char *digits = "0123456789_";
	size_t w;
	accept(l, "+-");
	if (accept(l, "0")) {
		if (accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(l, "oO"))
			digits = "01234567_";
		else if (accept(l, "bB"))
			digits = "01_";
	}
	accept_run(l, digits);
	if (accept(l, "."))
		accept_run(l, digits);
	if (strlen(digits) == 11 && accept(l, "eE")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && accept(l, "pP")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	accept(l, "i");
	if (l->pos < l->len && is_alnum(peek_rune(l, &w))) {
		l->pos += w;
		return false;
	}
	return true;
}

static int lex_number(lexer *l)
{
	if (!scan_number(l))
		return lex_error(l, "bad number syntax: \"%.*s\"", (int)(l->pos - l->start), l->in + l->start);
	if (l->pos < l->len && (l->in[l->pos] == '+' || l->in[l->pos] == '-')) {
		if (!scan_number(l) || l->in[l->pos - 1] != 'i')
			return lex_error(l, "bad number syntax: \"%.*s\"", (int)(l->pos - l->start),
			                 l->in + l->start);
		return emit(l, T_COMPLEX);
	}
	return emit(l, T_NUMBER);
}

static int lex_quote(lexer *l, char q, tok_type type, const char *msg)
{
	for (;;) {
		char c;
		if (l->pos >= l->len)
			return lex_error(l, "%s", msg);
		c = l->in[l->pos++];
		if (c == '\\') {
			if (l->pos < l->len && l->in[l->pos] != '\n') {
				l->pos++;
				continue;
			}
			return lex_error(l, "%s", msg);
		}
		if (c == '\n')
			return lex_error(l, "%s", msg);
		if (c == q)
			return emit(l, type);
	}
}

static int lex_raw_quote(lexer *l)
{
	const char *end = memchr(l->in + l->pos, '`', l->len - l->pos);
	if (!end)
		return lex_error(l, "unterminated raw quoted string");
	l->pos = (size_t)(end - l->in) + 1;
	return emit(l, T_RAWSTRING);
}

static void skip_leading_space(lexer *l)
{
	while (l->pos < l->len && is_space(l->in[l->pos]))
		l->pos++;
	ignore(l);
}

static int lex_right_delim(lexer *l, bool trim)
{
	if (trim) {
		l->pos += 2;
		ignore(l);
	}
	l->pos += 2;
	if (emit(l, T_RIGHTDELIM) < 0)
		return l->err;
	if (trim)
		skip_leading_space(l);
	l->inside = false;
	return 0;
}

static int lex_space(lexer *l)
{
	int spaces = 0;
	while (l->pos < l->len && is_space(l->in[l->pos])) {
		l->pos++;
		spaces++;
	}
	/* A trim-marked right delimiter " -}}" starts with a space that belongs to it. */
	if (right_trim_marker(l, l->pos - 1) && starts(l, l->pos + 1, "}}")) {
		l->pos--;
		if (spaces == 1)
			return 0;
	}
	return emit(l, T_SPACE);
}

static int lex_inside(lexer *l)
{
	uint32_t r;
	size_t w;
	char buf[32];
	bool trim = right_trim_marker(l, l->pos) && starts(l, l->pos + 2, "}}");
	if (trim || starts(l, l->pos, "}}")) {
		if (l->paren_depth == 0)
			return lex_right_delim(l, trim);
		return lex_error(l, "unclosed left paren");
	}
	r = peek_rune(l, &w);
	if (!w)
		return lex_error(l, "unclosed action");
	l->pos += w;
	switch (r) {
	case ' ': case '\t': case '\r': case '\n':
		l->pos--;
		return lex_space(l);
	case '=':
		return emit(l, T_ASSIGN);
	case ':':
		if (l->pos >= l->len || l->in[l->pos] != '=')
			return lex_error(l, "expected :=");
		l->pos++;
		return emit(l, T_DECLARE);
	case '|':
		return emit(l, T_PIPE);
	case '"':
		return lex_quote(l, '"', T_STRING, "unterminated quoted string");
	case '`':
		return lex_raw_quote(l);
	case '$':
		return lex_field_or_var(l, T_VARIABLE);
	case '\'':
		return lex_quote(l, '\'', T_CHARCONST, "unterminated character constant");
	case '(':
		l->paren_depth++;
		return emit(l, T_LEFTPAREN);
	case ')':
		if (--l->paren_depth < 0)
			return lex_error(l, "unexpected right paren");
		return emit(l, T_RIGHTPAREN);
	case '.':
		if (l->pos < l->len && (l->in[l->pos] < '0' || l->in[l->pos] > '9'))
			return lex_field_or_var(l, T_FIELD);
		/* a number like .5 */
		/* fall through */
	case '+': case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6':
	case '7': case '8': case '9':
		l->pos -= w;
		return lex_number(l);
	}
	if (is_alnum(r)) {
		l->pos -= w;
		return lex_identifier(l);
	}
	if (r < 0x80 && r >= 0x20 && r != 0x7f)
		return emit(l, T_CHAR);
	fmt_rune_U(buf, sizeof(buf), r);
	return lex_error(l, "unrecognized character in action: %s", buf);
}

static int lex_comment(lexer *l)
{
	const char *end;
	bool trim;
	l->pos += 2;
	end = NULL;
	if (l->pos <= l->len) {
		const char *p = l->in + l->pos;
		size_t left = l->len - l->pos;
		while (left >= 2) {
			const char *star = memchr(p, '*', left - 1);
			if (!star)
				break;
			if (star[1] == '/') {
				end = star;
				break;
			}
			left -= (size_t)(star - p) + 1;
			p = star + 1;
		}
	}
	if (!end)
		return lex_error(l, "unclosed comment");
	l->pos = (size_t)(end - l->in) + 2;
	trim = right_trim_marker(l, l->pos) && starts(l, l->pos + 2, "}}");
	if (!trim && !starts(l, l->pos, "}}"))
		return lex_error(l, "comment ends before closing delimiter");
	if (trim)
		l->pos += 2;
	l->pos += 2;
	ignore(l);
	if (trim)
		skip_leading_space(l);
	return 0;
}

static int lex_left_delim(lexer *l)
{
	bool trim;
	l->pos += 2;
	trim = left_trim_marker(l, l->pos);
	if (starts(l, l->pos + (trim ? 2 : 0), "/*")) {
		l->pos += trim ? 2 : 0;
		ignore(l);
		return lex_comment(l);
	}
	if (emit(l, T_LEFTDELIM) < 0)
		return l->err;
	if (trim) {
		l->pos += 2;
		ignore(l);
	}
	l->paren_depth = 0;
	l->inside = true;
	return 0;
}

static int lex_text(lexer *l)
{
	const char *d = NULL;
	size_t x, end, trim = 0;
	if (l->pos < l->len) {
		const char *p = l->in + l->pos;
		size_t left = l->len - l->pos;
		while (left >= 2) {
			const char *c = memchr(p, '{', left - 1);
			if (!c)
				break;
			if (c[1] == '{') {
				d = c;
				break;
			}
			left -= (size_t)(c - p) + 1;
			p = c + 1;
		}
	}
	if (!d) {
		l->pos = l->len;
		if (l->pos > l->start && emit(l, T_TEXT) < 0)
			return l->err;
		return emit(l, T_EOF) < 0 ? l->err : 1;
	}
	x = (size_t)(d - l->in);
	end = x;
	if (left_trim_marker(l, x + 2))
		while (end > l->start && is_space(l->in[end - 1]))
			end--, trim++;
	l->pos = end;
	if (l->pos > l->start && emit(l, T_TEXT) < 0)
		return l->err;
	l->pos = x;
	ignore(l);
	return lex_left_delim(l);
}

int lex_all(token **out, size_t *n, const char *text, size_t len, size_t max_tokens)
{
	lexer l;
	int r = 0;
	memset(&l, 0, sizeof(l));
	l.in = text;
	l.len = len;
	l.line = l.start_line = 1;
	l.max_tokens = max_tokens;
	while (r == 0) {
		r = l.inside ? lex_inside(&l) : lex_text(&l);
		if (l.err)
			break;
	}
	if (!l.err && l.toks[l.ntoks - 1].type == T_ERROR)
		push(&l, T_EOF, l.pos, l.pos, l.line);
	if (l.err) {
		lex_free(l.toks, l.ntoks);
		return l.err;
	}
	*out = l.toks;
	*n = l.ntoks;
	return 0;
}

void lex_free(token *toks, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(toks[i].msg);
	free(toks);
}
