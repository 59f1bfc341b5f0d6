/* Parser for Go text/template: tokens to trees, with Go's grammar, checks and error messages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "template_lex.h"
#include "utf8.h"

#define MAX_PARSE_DEPTH 200
#define MAX_TOKENS 4000000

/* ---- arena ---- */

struct arena {
	struct block {
		struct block *next;
		size_t used, size;
		max_align_t data[];
	} *head;
	size_t next_size; /* blocks double up to 256 KiB, so small sets stay small */
};

/* align: a power of two; strings take 1, nodes and arrays 8. */
static void *arena_alloc_aligned(arena *a, size_t n, size_t align)
{
	struct block *b = a->head;
	void *p;
	if (b)
		b->used = (b->used + align - 1) & ~(align - 1);
	if (b && b->used > b->size)
		b->used = b->size;
	if (!b || b->size - b->used < n) {
		size_t size = a->next_size < 1024 ? 1024 : a->next_size;
		if (size < n)
			size = n;
		a->next_size = size < (1u << 18) ? size * 2 : a->next_size;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

/* Nodes and arrays hold pointers, 64-bit integers and doubles: 8-byte alignment is enough. */
void *arena_alloc(arena *a, size_t n)
{
	return arena_alloc_aligned(a, n, _Alignof(double) > _Alignof(void *) ? _Alignof(double) :
	                                 _Alignof(void *));
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc_aligned(a, n + 1, 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void arena_free(arena *a)
{
	struct block *b, *next;
	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

/* ---- parser state ---- */

typedef struct {
	arena *a;
	token *toks;
	size_t ntoks, cur, furthest;
	const char *parse_name;
	const char *text;
	size_t text_len;
	char **vars;
	size_t nvars, capvars;
	int range_depth;
	int depth;
	int action_line;
	tree **trees; /* trees of this text (main + defines), in order */
	size_t ntrees, captrees;
	char *err;
	int code;
	const cf_helm_tmpl *set;
} parser;

static int perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(parser *p, const char *fmt, ...)
{
	hbuf b;
	va_list ap;
	char msg[512];
	if (p->err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hbuf_init(&b, 0);
	hbuf_printf(&b, "template: %s:%d: %s", p->parse_name, p->toks[p->furthest].line, msg);
	p->err = hbuf_take(&b, NULL);
	if (!p->code)
		p->code = CF_EPARSE;
	return -1;
}

static int oom(parser *p)
{
	p->code = CF_ENOMEM;
	return perr(p, "out of memory");
}

static token *at(parser *p, size_t i)
{
	if (i >= p->ntoks)
		i = p->ntoks - 1;
	if (i > p->furthest)
		p->furthest = i;
	return &p->toks[i];
}

static token *next(parser *p)
{
	return at(p, p->cur++);
}

static token *peek(parser *p)
{
	return at(p, p->cur);
}

static void backup(parser *p, size_t n)
{
	p->cur -= n;
}

static token *next_non_space(parser *p)
{
	token *t;
	do
		t = next(p);
	while (t->type == T_SPACE);
	return t;
}

static token *peek_non_space(parser *p)
{
	token *t = next_non_space(p);
	backup(p, 1);
	return t;
}

/* Go's item.String() for messages. */
static void tok_string(char *buf, size_t size, const token *t)
{
	hbuf b;
	size_t n;
	if (t->type == T_EOF) {
		snprintf(buf, size, "EOF");
		return;
	}
	if (t->type == T_ERROR) {
		snprintf(buf, size, "%s", t->msg ? t->msg : "");
		return;
	}
	if (t->type > T_KEYWORD) {
		snprintf(buf, size, "<%.*s>", (int)t->len, t->val);
		return;
	}
	hbuf_init(&b, 0);
	n = utf8_count(t->val, t->len);
	if (n > 10) {
		fmt_quote(&b, t->val, utf8_prefix(t->val, t->len, 10));
		hbuf_puts(&b, "...");
	} else {
		fmt_quote(&b, t->val, t->len);
	}
	snprintf(buf, size, "%s", b.p ? b.p : "");
	hbuf_free(&b);
}

static int unexpected(parser *p, const token *t, const char *context)
{
	char s[160];
	tok_string(s, sizeof(s), t);
	if (t->type == T_ERROR) {
		if (p->action_line && p->action_line != t->line) {
			size_t n = strlen(t->msg ? t->msg : "");
			bool action = n >= 7 && !strcmp(t->msg + n - 7, " action");
			return perr(p, "%s%s started at %s:%d", s, action ? "" : " in action", p->parse_name,
			            p->action_line);
		}
		return perr(p, "%s", s);
	}
	return perr(p, "unexpected %s in %s", s, context);
}

static token *expect(parser *p, tok_type type, const char *context)
{
	token *t = next_non_space(p);
	if (t->type != type) {
		unexpected(p, t, context);
		return NULL;
	}
	return t;
}

/* The node layout is what keeps large charts' parse trees small (see template.h). */
_Static_assert(sizeof(node) <= 56, "parse nodes grew past 56 bytes");

static node *new_node(parser *p, node_type type, size_t pos)
{
	node *n = arena_alloc(p->a, sizeof(node));
	if (!n) {
		oom(p);
		return NULL;
	}
	n->type = (uint8_t)type;
	n->pos = (uint32_t)pos;
	return n;
}

static int append_kid(parser *p, node ***arr, uint32_t *n, node *kid)
{
	/* Arrays grow by doubling inside the arena; the old copy is simply abandoned. */
	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? (size_t)*n * 2 : 1;
		node **na = arena_alloc(p->a, cap * sizeof(node *));
		if (!na)
			return oom(p);
		if (*n)
			memcpy(na, *arr, *n * sizeof(node *));
		*arr = na;
	}
	(*arr)[(*n)++] = kid;
	return 0;
}

/* ---- literals ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* strconv.UnquoteChar: one (possibly escaped) rune from s; q is the quote in use. */
static int unquote_char(const char *s, size_t n, char q, uint32_t *r, size_t *used)
{
	size_t i, k;
	uint32_t v = 0;
	if (!n)
		return -1;
	if (s[0] == q && (q == '\'' || q == '"'))
		return -1;
	if ((unsigned char)s[0] >= 0x80) {
		*used = utf8_decode(s, n, r);
		return 0;
	}
	if (s[0] != '\\') {
		*r = (unsigned char)s[0];
		*used = 1;
		return 0;
	}
	if (n < 2)
		return -1;
	switch (s[1]) {
	case 'a': *r = 7; *used = 2; return 0;
	case 'b': *r = 8; *used = 2; return 0;
	case 'f': *r = 12; *used = 2; return 0;
	case 'n': *r = 10; *used = 2; return 0;
	case 'r': *r = 13; *used = 2; return 0;
	case 't': *r = 9; *used = 2; return 0;
	case 'v': *r = 11; *used = 2; return 0;
	case '\\': *r = '\\'; *used = 2; return 0;
	case '\'': case '"':
		if (s[1] != q)
			return -1;
		*r = (uint32_t)s[1];
		*used = 2;
		return 0;
	case 'x': case 'u': case 'U':
		k = s[1] == 'x' ? 2 : s[1] == 'u' ? 4 : 8;
		if (n < 2 + k)
			return -1;
		for (i = 0; i < k; i++) {
			int h = hexval(s[2 + i]);
			if (h < 0)
				return -1;
			v = v * 16 + (uint32_t)h;
		}
		if (s[1] != 'x' && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)))
			return -1;
		*r = v | (s[1] == 'x' ? 0x80000000u : 0); /* flag: raw byte */
		*used = 2 + k;
		return 0;
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		if (n < 4)
			return -1;
		for (i = 1; i < 4; i++) {
			if (s[i] < '0' || s[i] > '7')
				return -1;
			v = v * 8 + (uint32_t)(s[i] - '0');
		}
		if (v > 255)
			return -1;
		*r = v | 0x80000000u;
		*used = 4;
		return 0;
	}
	return -1;
}

/* strconv.Unquote of a "..." or `...` token into an arena string. */
static int unquote(parser *p, const token *t, char **out, size_t *outlen)
{
	const char *s = t->val;
	size_t n = t->len, i, o = 0;
	char *buf;
	if (n < 2)
		return perr(p, "invalid syntax");
	/* An invalid UTF-8 byte decodes to U+FFFD, three bytes for one. */
	buf = arena_alloc_aligned(p->a, 3 * n + 1, 1);
	if (!buf)
		return oom(p);
	if (s[0] == '`') {
		for (i = 1; i + 1 < n; i++)
			if (s[i] != '\r')
				buf[o++] = s[i];
	} else {
		for (i = 1; i + 1 < n;) {
			uint32_t r;
			size_t used;
			if (unquote_char(s + i, n - 1 - i, '"', &r, &used) < 0 || s[i] == '\n')
				return perr(p, "invalid syntax");
			if (r & 0x80000000u)
				buf[o++] = (char)(r & 0xff);
			else
				o += utf8_encode(buf + o, r);
			i += used;
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
}

/* Go's underscoreOK: underscores only between digits or after a base prefix. */
static bool underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;
	if (n && (s[0] == '-' || s[0] == '+'))
		i++;
	if (n - i >= 2 && s[i] == '0') {
		char c = (char)(s[i + 1] | 0x20);
		if (c == 'x' || c == 'o' || c == 'b') {
			hex = c == 'x';
			i += 2;
			saw = '0';
		}
	}
	for (; i < n; i++) {
		char c = s[i];
		if ((c >= '0' && c <= '9') || (hex && hexval(c) >= 0)) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* strconv.ParseUint(s, 0, 64) magnitude parse; sign handled by callers. */
static bool parse_uint_base0(const char *s, size_t n, uint64_t *out)
{
	int base = 10;
	size_t i = 0;
	uint64_t v = 0;
	bool any = false, prefixed = false;
	if (!n)
		return false;
	if (s[0] == '0' && n > 1) {
		char c = (char)(s[1] | 0x20);
		if (c == 'x') base = 16, i = 2, prefixed = true;
		else if (c == 'o') base = 8, i = 2, prefixed = true;
		else if (c == 'b') base = 2, i = 2, prefixed = true;
		else base = 8, i = 1, any = true;
	}
	for (; i < n; i++) {
		int d;
		if (s[i] == '_')
			continue;
		d = hexval(s[i]);
		if (d < 0 || d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
		any = true;
	}
	if (!any || (prefixed && n == 2))
		return false;
	if (memchr(s, '_', n) && !underscore_ok(s, n))
		return false;
	*out = v;
	return true;
}

static bool parse_float_go(const char *s, size_t n, double *out)
{
	char buf[128], *end;
	size_t i, o = 0;
	if (n >= sizeof(buf) || !n)
		return false;
	if (memchr(s, '_', n) && !underscore_ok(s, n))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			buf[o++] = s[i];
	buf[o] = '\0';
	/* Go does not accept "inf"/"nan" spelled by the lexer's number rules anyway. */
	if (strpbrk(buf, "nN") && !strpbrk(buf, "xX"))
		return false;
	errno = 0;
	*out = strtod(buf, &end);
	if (*end)
		return false;
	if (errno == ERANGE && isinf(*out))
		return false;
	return true;
}

static node *new_number(parser *p, const token *t)
{
	node *n = new_node(p, N_NUMBER, t->pos);
	const char *s = t->val;
	size_t len = t->len;
	uint64_t u;
	if (!n)
		return NULL;
	n->orig = arena_strndup(p->a, s, len);
	if (t->type == T_CHARCONST) {
		uint32_t r;
		size_t used;
		if (unquote_char(s + 1, len - 1, '\'', &r, &used) < 0) {
			perr(p, "invalid syntax");
			return NULL;
		}
		r &= 0x7fffffffu;
		if (1 + used != len - 1 || s[len - 1] != '\'') {
			perr(p, "malformed character constant: %.*s", (int)len, s);
			return NULL;
		}
		n->is_int = n->is_uint = n->is_float = true;
		n->i = r;
		n->u = r;
		n->f = r;
		return n;
	}
	if (t->type == T_COMPLEX || (len && s[len - 1] == 'i')) {
		perr(p, "complex number constants are not supported: %.*s", (int)len, s);
		p->code = CF_EUNSUPPORTED;
		return NULL;
	}
	{
		bool neg = len && s[0] == '-';
		size_t off = (len && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
		if (parse_uint_base0(s + off, len - off, &u)) {
			if (!neg && s[0] != '+') {
				n->is_uint = true;
				n->u = u;
			}
			if (neg ? u <= (uint64_t)INT64_MAX + 1 : u <= (uint64_t)INT64_MAX) {
				n->is_int = true;
				n->i = neg ? (int64_t)(0 - u) : (int64_t)u;
				if (n->i == 0) {
					n->is_uint = true;
					n->u = 0;
				}
			}
		}
	}
	if (n->is_int) {
		n->is_float = true;
		n->f = (double)n->i;
	} else if (n->is_uint) {
		n->is_float = true;
		n->f = (double)n->u;
	} else {
		double f;
		if (parse_float_go(s, len, &f)) {
			if (!strpbrk(n->orig, ".eEpP")) {
				perr(p, "integer overflow: \"%s\"", n->orig);
				return NULL;
			}
			n->is_float = true;
			n->f = f;
			if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && (double)(int64_t)f == f) {
				n->is_int = true;
				n->i = (int64_t)f;
			}
			if (f >= 0 && f < 18446744073709551616.0 && (double)(uint64_t)f == f) {
				n->is_uint = true;
				n->u = (uint64_t)f;
			}
		}
	}
	if (!n->is_int && !n->is_uint && !n->is_float) {
		perr(p, "illegal number syntax: \"%s\"", n->orig);
		return NULL;
	}
	return n;
}

/* Splits "a.b.c" (after an optional leading '.') into idents. */
static int split_idents(parser *p, node *n, const char *s, size_t len)
{
	size_t i = 0, start;
	if (len && s[0] == '.')
		i = 1;
	while (i <= len) {
		char *id;
		start = i;
		while (i < len && s[i] != '.')
			i++;
		id = arena_strndup(p->a, s + start, i - start);
		if (!id)
			return oom(p);
		if ((n->nident & (n->nident - 1)) == 0) {
			size_t cap = n->nident ? n->nident * 2 : 1;
			char **na = arena_alloc(p->a, cap * sizeof(char *));
			if (!na)
				return oom(p);
			if (n->nident)
				memcpy(na, n->ident, n->nident * sizeof(char *));
			n->ident = na;
		}
		n->ident[n->nident++] = id;
		i++;
	}
	return 0;
}

/* ---- grammar ---- */

static node *pipeline(parser *p, const char *context, tok_type end);
static node *item_list(parser *p, node **end_out);
static node *text_or_action(parser *p);

static int push_var(parser *p, const char *name, size_t len)
{
	if (p->nvars == p->capvars) {
		size_t cap = p->capvars ? p->capvars * 2 : 16;
		char **nv = realloc(p->vars, cap * sizeof(char *));
		if (!nv)
			return oom(p);
		p->vars = nv;
		p->capvars = cap;
	}
	p->vars[p->nvars] = arena_strndup(p->a, name, len);
	if (!p->vars[p->nvars])
		return oom(p);
	p->nvars++;
	return 0;
}

static node *new_variable(parser *p, size_t pos, const char *s, size_t len)
{
	node *n = new_node(p, N_VARIABLE, pos);
	if (!n || split_idents(p, n, s, len) < 0)
		return NULL;
	return n;
}

static node *use_var(parser *p, const token *t)
{
	node *v = new_variable(p, t->pos, t->val, t->len);
	size_t i;
	if (!v)
		return NULL;
	for (i = 0; i < p->nvars; i++)
		if (!strcmp(p->vars[i], v->ident[0]))
			return v;
	perr(p, "undefined variable \"%s\"", v->ident[0]);
	return NULL;
}

static node *term(parser *p)
{
	token *t = next_non_space(p);
	node *n;
	switch (t->type) {
	case T_IDENT: {
		char *name = arena_strndup(p->a, t->val, t->len);
		if (!name) {
			oom(p);
			return NULL;
		}
		const func_def *fn = funcs_find(name);
		if (!fn) {
			perr(p, "function \"%s\" not defined", name);
			return NULL;
		}
		n = new_node(p, N_IDENT, t->pos);
		if (n) {
			n->text = name;
			n->fn = fn;
		}
		return n;
	}
	case T_DOT:
		return new_node(p, N_DOT, t->pos);
	case T_NIL:
		return new_node(p, N_NIL, t->pos);
	case T_VARIABLE:
		return use_var(p, t);
	case T_FIELD:
		n = new_node(p, N_FIELD, t->pos);
		if (n && split_idents(p, n, t->val, t->len) < 0)
			return NULL;
		return n;
	case T_BOOL:
		n = new_node(p, N_BOOL, t->pos);
		if (n)
			n->flag = t->len == 4;
		return n;
	case T_CHARCONST:
	case T_COMPLEX:
	case T_NUMBER:
		return new_number(p, t);
	case T_LEFTPAREN:
		if (++p->depth > MAX_PARSE_DEPTH) {
			p->code = CF_ELIMIT;
			perr(p, "expression nested too deeply");
			return NULL;
		}
		n = pipeline(p, "parenthesized pipeline", T_RIGHTPAREN);
		p->depth--;
		return n;
	case T_STRING:
	case T_RAWSTRING: {
		size_t len = 0;
		n = new_node(p, N_STRING, t->pos);
		if (!n)
			return NULL;
		n->orig = arena_strndup(p->a, t->val, t->len);
		if (!n->orig || unquote(p, t, &n->text, &len) < 0)
			return NULL;
		n->text_len = (uint32_t)len;
		return n;
	}
	default:
		backup(p, 1);
		return NULL;
	}
}

static node *operand(parser *p, bool *failed)
{
	node *n = term(p), *chain;
	hbuf b;
	*failed = p->err != NULL;
	if (!n)
		return NULL;
	if (peek(p)->type != T_FIELD)
		return n;
	chain = new_node(p, N_CHAIN, peek(p)->pos);
	if (!chain)
		return NULL;
	chain->sub = n;
	hbuf_init(&b, 0);
	while (peek(p)->type == T_FIELD) {
		token *f = next(p);
		hbuf_put(&b, f->val, f->len);
	}
	if (b.err || !b.p) {
		hbuf_free(&b);
		oom(p);
		*failed = true;
		return NULL;
	}
	if (split_idents(p, chain, b.p, b.len) < 0) {
		hbuf_free(&b);
		*failed = true;
		return NULL;
	}
	switch (n->type) {
	case N_FIELD:
	case N_VARIABLE: {
		/* Go folds .a.b and $x.a.b into one node placed at the first field. */
		node *m = new_node(p, (node_type)n->type, chain->pos);
		if (m)
			m->ident = arena_alloc(p->a, (n->nident + chain->nident) * sizeof(char *));
		hbuf_free(&b);
		if (!m || !m->ident) {
			oom(p);
			*failed = true;
			return NULL;
		}
		memcpy(m->ident, n->ident, n->nident * sizeof(char *));
		memcpy(m->ident + n->nident, chain->ident, chain->nident * sizeof(char *));
		m->nident = n->nident + chain->nident;
		return m;
	}
	case N_BOOL:
	case N_STRING:
	case N_NUMBER:
	case N_NIL:
	case N_DOT: {
		hbuf s, q;
		hbuf_init(&s, 0);
		hbuf_init(&q, 0);
		node_string(&s, n);
		fmt_quote(&q, s.p ? s.p : "", s.len);
		perr(p, "unexpected . after term %s", q.p ? q.p : "");
		hbuf_free(&s);
		hbuf_free(&q);
		hbuf_free(&b);
		*failed = true;
		return NULL;
	}
	default:
		hbuf_free(&b);
		return chain;
	}
}

static node *command(parser *p)
{
	node *cmd = new_node(p, N_COMMAND, peek_non_space(p)->pos);
	if (!cmd)
		return NULL;
	for (;;) {
		bool failed;
		node *op;
		token *t;
		peek_non_space(p);
		op = operand(p, &failed);
		if (failed)
			return NULL;
		if (op && append_kid(p, &cmd->kids, &cmd->nkids, op) < 0)
			return NULL;
		t = next(p);
		switch (t->type) {
		case T_SPACE:
			continue;
		case T_RIGHTDELIM:
		case T_RIGHTPAREN:
			backup(p, 1);
			break;
		case T_PIPE:
			break;
		default:
			unexpected(p, t, "operand");
			return NULL;
		}
		break;
	}
	if (cmd->nkids == 0) {
		perr(p, "empty command");
		return NULL;
	}
	return cmd;
}

static int check_pipeline(parser *p, node *pipe, const char *context)
{
	size_t i;
	if (pipe->nkids == 0)
		return perr(p, "missing value for %s", context);
	for (i = 1; i < pipe->nkids; i++) {
		switch (pipe->kids[i]->kids[0]->type) {
		case N_BOOL:
		case N_DOT:
		case N_NIL:
		case N_NUMBER:
		case N_STRING:
			return perr(p, "non executable command in pipeline stage %zu", i + 1);
		}
	}
	return 0;
}

static node *pipeline(parser *p, const char *context, tok_type end)
{
	token *t = peek_non_space(p), *v;
	node *pipe = new_node(p, N_PIPE, t->pos);
	if (!pipe)
		return NULL;
	pipe->line = t->line;
decls:
	v = peek_non_space(p);
	if (v->type == T_VARIABLE) {
		size_t vat;
		token *nx;
		next_non_space(p);
		vat = p->cur - 1;
		nx = peek_non_space(p);
		if (nx->type == T_ASSIGN || nx->type == T_DECLARE) {
			node *var;
			pipe->flag = nx->type == T_ASSIGN;
			next_non_space(p);
			var = new_variable(p, v->pos, v->val, v->len);
			if (!var || append_kid(p, &pipe->decl, &pipe->ndecl, var) < 0 ||
			    push_var(p, v->val, v->len) < 0)
				return NULL;
		} else if (nx->type == T_CHAR && nx->len == 1 && nx->val[0] == ',') {
			node *var;
			next_non_space(p);
			var = new_variable(p, v->pos, v->val, v->len);
			if (!var || append_kid(p, &pipe->decl, &pipe->ndecl, var) < 0 ||
			    push_var(p, v->val, v->len) < 0)
				return NULL;
			if (!strcmp(context, "range") && pipe->ndecl < 2) {
				switch (peek_non_space(p)->type) {
				case T_VARIABLE:
				case T_RIGHTDELIM:
				case T_RIGHTPAREN:
					goto decls;
				default:
					perr(p, "range can only initialize variables");
					return NULL;
				}
			}
			perr(p, "too many declarations in %s", context);
			return NULL;
		} else {
			/* "$x foo": the variable is an operand, not a declaration. */
			p->cur = vat;
		}
	}
	for (;;) {
		t = next_non_space(p);
		if (t->type == end) {
			if (check_pipeline(p, pipe, context) < 0)
				return NULL;
			return pipe;
		}
		switch (t->type) {
		case T_BOOL: case T_CHARCONST: case T_COMPLEX: case T_DOT: case T_FIELD: case T_IDENT:
		case T_NUMBER: case T_NIL: case T_RAWSTRING: case T_STRING: case T_VARIABLE:
		case T_LEFTPAREN: {
			node *cmd;
			backup(p, 1);
			cmd = command(p);
			if (!cmd || append_kid(p, &pipe->kids, &pipe->nkids, cmd) < 0)
				return NULL;
			break;
		}
		default:
			unexpected(p, t, context);
			return NULL;
		}
	}
}

static node *if_control(parser *p);
static node *with_control(parser *p);

/* Parses "pipeline }} list [{{else}} list] {{end}}" for if/range/with. */
static node *parse_control(parser *p, node_type type, const char *context)
{
	size_t mark = p->nvars;
	node *n = NULL, *pipe, *list, *end = NULL, *else_list = NULL;
	if (++p->depth > MAX_PARSE_DEPTH) {
		p->code = CF_ELIMIT;
		perr(p, "control structures nested too deeply");
		goto done;
	}
	pipe = pipeline(p, context, T_RIGHTDELIM);
	if (!pipe)
		goto done;
	if (type == N_RANGE)
		p->range_depth++;
	list = item_list(p, &end);
	if (type == N_RANGE)
		p->range_depth--;
	if (!list)
		goto done;
	if (end->type == N_ELSE) {
		if (type == N_IF && peek(p)->type == T_IF) {
			node *sub;
			next(p);
			else_list = new_node(p, N_LIST, end->pos);
			sub = if_control(p);
			if (!else_list || !sub || append_kid(p, &else_list->kids, &else_list->nkids, sub) < 0)
				goto done;
		} else if (type == N_WITH && peek(p)->type == T_WITH) {
			node *sub;
			next(p);
			else_list = new_node(p, N_LIST, end->pos);
			sub = with_control(p);
			if (!else_list || !sub || append_kid(p, &else_list->kids, &else_list->nkids, sub) < 0)
				goto done;
		} else {
			else_list = item_list(p, &end);
			if (!else_list)
				goto done;
			if (end->type != N_END) {
				perr(p, "expected end; found {{else}}");
				goto done;
			}
		}
	}
	n = new_node(p, type, pipe->pos);
	if (n) {
		n->line = pipe->line;
		n->pipe = pipe;
		n->list = list;
		n->else_list = else_list;
	}
done:
	p->depth--;
	p->nvars = mark;
	return n;
}

static node *if_control(parser *p)
{
	return parse_control(p, N_IF, "if");
}

static node *with_control(parser *p)
{
	return parse_control(p, N_WITH, "with");
}

static int template_name(parser *p, const token *t, const char *context, char **name)
{
	size_t len;
	if (t->type != T_STRING && t->type != T_RAWSTRING)
		return unexpected(p, t, context);
	return unquote(p, t, name, &len);
}

static int add_tree(parser *p, tree *t);

static tree *new_tree(parser *p, const char *name)
{
	tree *t = arena_alloc(p->a, sizeof(tree));
	if (!t) {
		oom(p);
		return NULL;
	}
	t->name = arena_strndup(p->a, name, strlen(name));
	t->parse_name = (char *)p->parse_name;
	t->text = p->text;
	t->text_len = p->text_len;
	return t;
}

/* Body of define/block: a list up to {{end}}, parsed with fresh variables. */
static int parse_definition_body(parser *p, tree *t, const char *context)
{
	char **saved = p->vars;
	size_t nsaved = p->nvars, capsaved = p->capvars;
	int saved_range = p->range_depth;
	node *end = NULL;
	int err = 0;
	p->vars = NULL;
	p->nvars = p->capvars = 0;
	p->range_depth = 0;
	if (push_var(p, "$", 1) < 0) {
		err = -1;
		goto done;
	}
	t->root = item_list(p, &end);
	if (!t->root) {
		err = -1;
		goto done;
	}
	if (end->type != N_END) {
		hbuf s;
		hbuf_init(&s, 0);
		node_string(&s, end);
		err = perr(p, "unexpected %s in %s", s.p, context);
		hbuf_free(&s);
		goto done;
	}
	err = add_tree(p, t);
done:
	free(p->vars);
	p->vars = saved;
	p->nvars = nsaved;
	p->capvars = capsaved;
	p->range_depth = saved_range;
	return err;
}

static node *template_control(parser *p)
{
	token *t = next_non_space(p);
	char *name;
	node *pipe = NULL, *n;
	if (template_name(p, t, "template clause", &name) < 0)
		return NULL;
	if (next_non_space(p)->type != T_RIGHTDELIM) {
		backup(p, 1);
		pipe = pipeline(p, "template clause", T_RIGHTDELIM);
		if (!pipe)
			return NULL;
	}
	n = new_node(p, N_TEMPLATE, t->pos);
	if (n) {
		n->line = t->line;
		n->text = name;
		n->pipe = pipe;
	}
	return n;
}

static node *block_control(parser *p)
{
	token *t = next_non_space(p);
	char *name;
	node *pipe, *n;
	tree *bt;
	if (template_name(p, t, "block clause", &name) < 0)
		return NULL;
	pipe = pipeline(p, "block clause", T_RIGHTDELIM);
	if (!pipe)
		return NULL;
	bt = new_tree(p, name);
	if (!bt || parse_definition_body(p, bt, "block clause") < 0)
		return NULL;
	n = new_node(p, N_TEMPLATE, t->pos);
	if (n) {
		n->line = t->line;
		n->text = name;
		n->pipe = pipe;
	}
	return n;
}

static node *action(parser *p)
{
	token *t = next_non_space(p);
	node *n;
	switch (t->type) {
	case T_BLOCK:
		return block_control(p);
	case T_BREAK:
	case T_CONTINUE: {
		bool brk = t->type == T_BREAK;
		token *r = next_non_space(p);
		if (r->type != T_RIGHTDELIM) {
			unexpected(p, r, brk ? "{{break}}" : "{{continue}}");
			return NULL;
		}
		if (p->range_depth == 0) {
			perr(p, "{{%s}} outside {{range}}", brk ? "break" : "continue");
			return NULL;
		}
		n = new_node(p, brk ? N_BREAK : N_CONTINUE, t->pos);
		if (n)
			n->line = t->line;
		return n;
	}
	case T_ELSE: {
		token *pk = peek_non_space(p);
		if (pk->type == T_IF || pk->type == T_WITH)
			return new_node(p, N_ELSE, pk->pos);
		pk = expect(p, T_RIGHTDELIM, "else");
		return pk ? new_node(p, N_ELSE, pk->pos) : NULL;
	}
	case T_END: {
		token *r = expect(p, T_RIGHTDELIM, "end");
		return r ? new_node(p, N_END, r->pos) : NULL;
	}
	case T_IF:
		return if_control(p);
	case T_RANGE:
		return parse_control(p, N_RANGE, "range");
	case T_TEMPLATE:
		return template_control(p);
	case T_WITH:
		return with_control(p);
	default:
		break;
	}
	backup(p, 1);
	t = peek(p);
	{
		node *pipe = pipeline(p, "command", T_RIGHTDELIM);
		if (!pipe)
			return NULL;
		n = new_node(p, N_ACTION, t->pos);
		if (n) {
			n->line = t->line;
			n->pipe = pipe;
		}
		return n;
	}
}

static node *text_or_action(parser *p)
{
	token *t = next_non_space(p);
	node *n;
	int saved;
	switch (t->type) {
	case T_TEXT:
		n = new_node(p, N_TEXT, t->pos);
		if (n) {
			n->text = (char *)t->val;
			n->text_len = (uint32_t)t->len;
		}
		return n;
	case T_LEFTDELIM:
		saved = p->action_line;
		p->action_line = t->line;
		n = action(p);
		p->action_line = saved;
		return n;
	default:
		unexpected(p, t, "input");
		return NULL;
	}
}

static node *item_list(parser *p, node **end_out)
{
	node *list = new_node(p, N_LIST, peek_non_space(p)->pos);
	if (!list)
		return NULL;
	while (peek_non_space(p)->type != T_EOF) {
		node *n = text_or_action(p);
		if (!n)
			return NULL;
		if (n->type == N_END || n->type == N_ELSE) {
			*end_out = n;
			return list;
		}
		if (append_kid(p, &list->kids, &list->nkids, n) < 0)
			return NULL;
	}
	perr(p, "unexpected EOF");
	return NULL;
}

bool tree_is_empty(const node *n)
{
	size_t i;
	if (!n)
		return true;
	switch (n->type) {
	case N_COMMENT:
		return true;
	case N_LIST:
		for (i = 0; i < n->nkids; i++)
			if (!tree_is_empty(n->kids[i]))
				return false;
		return true;
	case N_TEXT:
		for (i = 0; i < n->text_len; i++) {
			char c = n->text[i];
			if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'))
				return false;
		}
		return true;
	default:
		return false;
	}
}

/* Go's Tree.add: a second non-empty definition in one text is an error. */
static int add_tree(parser *p, tree *t)
{
	size_t i;
	for (i = 0; i < p->ntrees; i++) {
		if (strcmp(p->trees[i]->name, t->name))
			continue;
		if (tree_is_empty(p->trees[i]->root)) {
			p->trees[i] = t;
			return 0;
		}
		if (!tree_is_empty(t->root))
			return perr(p, "template: multiple definition of template \"%s\"", t->name);
		return 0;
	}
	if (p->ntrees == p->captrees) {
		size_t cap = p->captrees ? p->captrees * 2 : 8;
		tree **nt = realloc(p->trees, cap * sizeof(tree *));
		if (!nt)
			return oom(p);
		p->trees = nt;
		p->captrees = cap;
	}
	p->trees[p->ntrees++] = t;
	return 0;
}

static int parse_top(parser *p, tree *main)
{
	main->root = new_node(p, N_LIST, peek(p)->pos);
	if (!main->root)
		return -1;
	if (push_var(p, "$", 1) < 0)
		return -1;
	while (peek(p)->type != T_EOF) {
		node *n;
		if (peek(p)->type == T_LEFTDELIM) {
			size_t at = p->cur;
			next(p);
			if (next_non_space(p)->type == T_DEFINE) {
				token *nt = next_non_space(p);
				char *name;
				tree *dt;
				if (nt->type != T_STRING && nt->type != T_RAWSTRING)
					return unexpected(p, nt, "define clause");
				if (unquote(p, nt, &name, &(size_t){ 0 }) < 0)
					return -1;
				if (!expect(p, T_RIGHTDELIM, "define clause"))
					return -1;
				dt = new_tree(p, name);
				if (!dt || parse_definition_body(p, dt, "define clause") < 0)
					return -1;
				continue;
			}
			p->cur = at;
		}
		n = text_or_action(p);
		if (!n)
			return -1;
		if (n->type == N_END || n->type == N_ELSE) {
			hbuf s;
			hbuf_init(&s, 0);
			node_string(&s, n);
			perr(p, "unexpected %s", s.p);
			hbuf_free(&s);
			return -1;
		}
		if (append_kid(p, &main->root->kids, &main->root->nkids, n) < 0)
			return -1;
	}
	return add_tree(p, main);
}

/* ---- the set ---- */

static long entry_find(const cf_helm_tmpl *set, const char *name)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(set->entries[mid].name, name);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

tree *tmpl_lookup(const cf_helm_tmpl *set, const char *name)
{
	for (; set; set = set->parent) {
		long at = entry_find(set, name);
		if (at >= 0)
			return set->entries[at].t;
	}
	return NULL;
}

/* Template.AddParseTree: an empty body never replaces an existing template. */
static int set_add(cf_helm_tmpl *set, tree *t)
{
	long at = entry_find(set, t->name);
	size_t pos;
	if (at >= 0) {
		if (!tree_is_empty(t->root))
			set->entries[at].t = t;
		return 0;
	}
	if (tree_is_empty(t->root) && set->parent && tmpl_lookup(set->parent, t->name))
		return 0;
	pos = (size_t)(-at - 1);
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		tmpl_entry *e = realloc(set->entries, cap * sizeof(*e));
		if (!e)
			return CF_ENOMEM;
		set->entries = e;
		set->cap = cap;
	}
	memmove(&set->entries[pos + 1], &set->entries[pos], (set->n - pos) * sizeof(tmpl_entry));
	set->entries[pos].name = t->name;
	set->entries[pos].t = t;
	set->n++;
	return 0;
}

int tmpl_parse(cf_helm_tmpl *set, const char *name, const char *text, size_t len, char **err,
               tree **main_out)
{
	parser p;
	arena *a;
	tree *main;
	char *copy;
	size_t i;
	int code = 0;
	memset(&p, 0, sizeof(p));
	*err = NULL;
	/* Node positions and text lengths are 32-bit. */
	if (len > UINT32_MAX) {
		*err = strdup("template: text larger than 4 GiB");
		return CF_ELIMIT;
	}
	/* The texts of one set share an arena: a chart's many small templates then fill its
	 * blocks instead of each leaving most of its own first block idle. */
	if (set->narenas) {
		a = set->arenas[set->narenas - 1];
	} else {
		arena **na = realloc(set->arenas, sizeof(arena *));
		if (!na || !(a = calloc(1, sizeof(arena)))) {
			if (na)
				set->arenas = na;
			return CF_ENOMEM;
		}
		set->arenas = na;
		set->arenas[set->narenas++] = a;
		/* A first block fitted to the text: a `tpl` of a short string stays small. */
		a->next_size = len < 128 ? 1024 : len < 2048 ? len * 8 : 16384;
	}
	copy = arena_strndup(a, text, len);
	p.parse_name = copy ? arena_strndup(a, name, strlen(name)) : NULL;
	if (!copy || !p.parse_name)
		return CF_ENOMEM;
	p.a = a;
	p.text = copy;
	p.text_len = len;
	p.set = set;
	code = lex_all(&p.toks, &p.ntoks, copy, len, MAX_TOKENS);
	if (code < 0) {
		if (code == CF_ELIMIT) {
			hbuf m;
			hbuf_init(&m, 0);
			hbuf_printf(&m, "template: %s: too many tokens", name);
			*err = hbuf_take(&m, NULL);
		}
		return code;
	}
	main = new_tree(&p, name);
	if (!main || parse_top(&p, main) < 0) {
		code = p.code ? p.code : CF_EPARSE;
		*err = p.err;
		p.err = NULL;
		goto done;
	}
	for (i = 0; i < p.ntrees; i++)
		if ((code = set_add(set, p.trees[i])) < 0)
			goto done;
	if (main_out)
		*main_out = main;
done:
	free(p.err);
	free(p.trees);
	free(p.vars);
	lex_free(p.toks, p.ntoks);
	return code;
}

int cf_helm_tmpl_new(cf_helm_tmpl **out)
{
	cf_helm_tmpl *s = calloc(1, sizeof(*s));
	if (!s)
		return cf_error_set(CF_ENOMEM, "out of memory");
	*out = s;
	return 0;
}

void tmpl_clear(cf_helm_tmpl *set)
{
	size_t i;
	for (i = 0; i < set->narenas; i++)
		arena_free(set->arenas[i]);
	free(set->arenas);
	free(set->entries);
	memset(set, 0, sizeof(*set));
}

void cf_helm_tmpl_free(cf_helm_tmpl *set)
{
	if (!set)
		return;
	tmpl_clear(set);
	free(set);
}

int cf_helm_tmpl_parse(cf_helm_tmpl *set, const char *name, const char *text, size_t len)
{
	char *err = NULL;
	int code = tmpl_parse(set, name, text, len, &err, NULL);
	if (code < 0) {
		cf_error_set(code, "%s", err ? err : "template: parse failed");
		free(err);
	}
	return code;
}

int cf_helm_tmpl_has(const cf_helm_tmpl *set, const char *name)
{
	return tmpl_lookup(set, name) != NULL;
}

/* ---- Node.String() ---- */

static int pipe_string(hbuf *b, const node *pipe);

int node_string(hbuf *b, const node *n)
{
	size_t i;
	switch (n->type) {
	case N_TEXT:
		return hbuf_put(b, n->text, n->text_len);
	case N_ACTION:
		hbuf_puts(b, "{{");
		pipe_string(b, n->pipe);
		return hbuf_puts(b, "}}");
	case N_IF:
	case N_RANGE:
	case N_WITH:
		hbuf_puts(b, n->type == N_IF ? "{{if " : n->type == N_RANGE ? "{{range " : "{{with ");
		pipe_string(b, n->pipe);
		hbuf_puts(b, "}}");
		node_string(b, n->list);
		if (n->else_list) {
			hbuf_puts(b, "{{else}}");
			node_string(b, n->else_list);
		}
		return hbuf_puts(b, "{{end}}");
	case N_TEMPLATE:
		hbuf_puts(b, "{{template ");
		fmt_quote(b, n->text, strlen(n->text));
		if (n->pipe) {
			hbuf_putc(b, ' ');
			pipe_string(b, n->pipe);
		}
		return hbuf_puts(b, "}}");
	case N_LIST:
		for (i = 0; i < n->nkids; i++)
			node_string(b, n->kids[i]);
		return b->err;
	case N_BREAK: return hbuf_puts(b, "{{break}}");
	case N_CONTINUE: return hbuf_puts(b, "{{continue}}");
	case N_END: return hbuf_puts(b, "{{end}}");
	case N_ELSE: return hbuf_puts(b, "{{else}}");
	case N_PIPE: return pipe_string(b, n);
	case N_COMMAND:
		for (i = 0; i < n->nkids; i++) {
			if (i)
				hbuf_putc(b, ' ');
			if (n->kids[i]->type == N_PIPE) {
				hbuf_putc(b, '(');
				pipe_string(b, n->kids[i]);
				hbuf_putc(b, ')');
			} else {
				node_string(b, n->kids[i]);
			}
		}
		return b->err;
	case N_FIELD:
		for (i = 0; i < n->nident; i++) {
			hbuf_putc(b, '.');
			hbuf_puts(b, n->ident[i]);
		}
		return b->err;
	case N_VARIABLE:
		for (i = 0; i < n->nident; i++) {
			if (i)
				hbuf_putc(b, '.');
			hbuf_puts(b, n->ident[i]);
		}
		return b->err;
	case N_CHAIN:
		if (n->sub->type == N_PIPE) {
			hbuf_putc(b, '(');
			pipe_string(b, n->sub);
			hbuf_putc(b, ')');
		} else {
			node_string(b, n->sub);
		}
		for (i = 0; i < n->nident; i++) {
			hbuf_putc(b, '.');
			hbuf_puts(b, n->ident[i]);
		}
		return b->err;
	case N_IDENT: return hbuf_puts(b, n->text);
	case N_DOT: return hbuf_putc(b, '.');
	case N_NIL: return hbuf_puts(b, "nil");
	case N_BOOL: return hbuf_puts(b, n->flag ? "true" : "false");
	case N_NUMBER:
	case N_STRING: return hbuf_puts(b, n->orig);
	}
	return b->err;
}

static int pipe_string(hbuf *b, const node *pipe)
{
	size_t i;
	for (i = 0; i < pipe->ndecl; i++) {
		if (i)
			hbuf_puts(b, ", ");
		node_string(b, pipe->decl[i]);
	}
	if (pipe->ndecl)
		hbuf_puts(b, pipe->flag ? " = " : " := ");
	for (i = 0; i < pipe->nkids; i++) {
		if (i)
			hbuf_puts(b, " | ");
		node_string(b, pipe->kids[i]);
	}
	return b->err;
}

void node_location(const tree *t, const node *n, int *line, int *col)
{
	size_t pos = n->pos < t->text_len ? n->pos : t->text_len, i, last_nl = (size_t)-1;
	int l = 1;
	for (i = 0; i < pos; i++)
		if (t->text[i] == '\n') {
			l++;
			last_nl = i;
		}
	*line = l;
	*col = last_nl == (size_t)-1 ? (int)pos : (int)(pos - last_nl - 1);
}
