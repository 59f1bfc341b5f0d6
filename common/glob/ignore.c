/* gitignore-style pattern lists with go-git's matching rules, the ones Flux applies to sources. */
#include "cf/glob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

/* Path elements are split into at most this many parts; deeper paths are cut (never matched). */
#define MAX_DEPTH 256

typedef struct {
	char **elem;          /* pattern split on '/' (first may be "" when anchored) */
	size_t nelem;
	char **domain;        /* directory the pattern applies under */
	size_t ndomain;
	bool inclusion;       /* "!pattern" */
	bool dir_only;        /* "pattern/" */
	bool is_glob;         /* contains '/': matched element by element from the domain */
	char *buf;            /* storage for elem and domain strings */
} pattern;

struct cf_glob_list {
	pattern *p;
	size_t n, cap;
};

int cf_glob_list_new(cf_glob_list **out)
{
	cf_glob_list *l = calloc(1, sizeof(*l));

	if (!l)
		return cf_error_set(CF_ENOMEM, "out of memory");
	*out = l;
	return 0;
}

static void pattern_clear(pattern *p)
{
	free(p->elem);
	free(p->domain);
	free(p->buf);
}

void cf_glob_list_free(cf_glob_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		pattern_clear(&l->p[i]);
	free(l->p);
	free(l);
}

size_t cf_glob_list_count(const cf_glob_list *l)
{
	return l->n;
}

/* Splits s in place on '/', writing at most max pointers; returns the count or -1 if more. */
static long split(char *s, char **out, size_t max)
{
	size_t n = 0;

	for (;;) {
		char *slash = strchr(s, '/');

		if (n == max)
			return -1;
		out[n++] = s;
		if (!slash)
			return (long)n;
		*slash = '\0';
		s = slash + 1;
	}
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* Parses one pattern as go-git's ParsePattern does. */
static int pattern_parse(pattern *p, const char *text, const char *domain)
{
	size_t tlen = strlen(text), dlen = domain ? strlen(domain) : 0;
	char *pat, *dom;
	long ne, nd = 0;

	memset(p, 0, sizeof(*p));
	if (!(p->buf = malloc(tlen + dlen + 2)))
		return CF_ENOMEM;
	pat = p->buf;
	memcpy(pat, text, tlen + 1);
	dom = pat + tlen + 1;
	memcpy(dom, dlen ? domain : "", dlen + 1);
	if (*pat == '!') {
		p->inclusion = true;
		pat++;
		tlen--;
	}
	/* Trailing spaces go unless the last one is escaped. */
	if (!(tlen >= 2 && pat[tlen - 1] == ' ' && pat[tlen - 2] == '\\'))
		while (tlen > 0 && pat[tlen - 1] == ' ')
			pat[--tlen] = '\0';
	if (tlen > 0 && pat[tlen - 1] == '/') {
		p->dir_only = true;
		pat[--tlen] = '\0';
	}
	p->is_glob = strchr(pat, '/') != NULL;
	p->elem = malloc((count_char(pat, '/') + 1) * sizeof(char *));
	p->domain = malloc((count_char(dom, '/') + 1) * sizeof(char *));
	if (!p->elem || !p->domain)
		return CF_ENOMEM;
	if ((ne = split(pat, p->elem, MAX_DEPTH)) < 0)
		return cf_error_set(CF_ELIMIT, "pattern deeper than %d elements", MAX_DEPTH);
	/* Leading and trailing '/' of the domain are not elements; "" is the root. */
	while (*dom == '/')
		dom++;
	if (*dom) {
		size_t l = strlen(dom);

		while (l > 0 && dom[l - 1] == '/')
			dom[--l] = '\0';
		if ((nd = split(dom, p->domain, MAX_DEPTH)) < 0)
			return cf_error_set(CF_ELIMIT, "domain deeper than %d elements", MAX_DEPTH);
	}
	p->nelem = (size_t)ne;
	p->ndomain = (size_t)nd;
	return 0;
}

int cf_glob_list_add(cf_glob_list *l, const char *text, const char *domain)
{
	int err;

	if (strnlen(text, CF_GLOB_MAX_PATTERN_LEN + 1) > CF_GLOB_MAX_PATTERN_LEN ||
	    (domain && strnlen(domain, CF_GLOB_MAX_PATTERN_LEN + 1) > CF_GLOB_MAX_PATTERN_LEN))
		return cf_error_set(CF_ELIMIT, "ignore pattern longer than %d bytes",
				    CF_GLOB_MAX_PATTERN_LEN);
	if (l->n >= CF_GLOB_MAX_PATTERNS)
		return cf_error_set(CF_ELIMIT, "more than %d ignore patterns", CF_GLOB_MAX_PATTERNS);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		pattern *np = realloc(l->p, cap * sizeof(*np));

		if (!np)
			return cf_error_set(CF_ENOMEM, "out of memory");
		l->p = np;
		l->cap = cap;
	}
	if ((err = pattern_parse(&l->p[l->n], text, domain)) < 0) {
		pattern_clear(&l->p[l->n]);
		return err == CF_ENOMEM ? cf_error_set(CF_ENOMEM, "out of memory") : err;
	}
	l->n++;
	return 0;
}

int cf_glob_list_add_lines(cf_glob_list *l, const char *text, size_t len, const char *domain)
{
	char line[CF_GLOB_MAX_PATTERN_LEN + 1];
	size_t i = 0;
	int err;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i, k;
		int blank = 1;

		if (n > CF_GLOB_MAX_PATTERN_LEN)
			return cf_error_set(CF_ELIMIT, "ignore line longer than %d bytes",
					    CF_GLOB_MAX_PATTERN_LEN);
		memcpy(line, text + i, n);
		line[n] = '\0';
		i += n + 1;
		/* bufio.Scanner drops a trailing '\r' with the '\n'. */
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		for (k = 0; k < n; k++)
			if (line[k] != ' ' && line[k] != '\t' && line[k] != '\r' && line[k] != '\v' &&
			    line[k] != '\f')
				blank = 0;
		if (blank || line[0] == '#' || memchr(line, '\0', n))
			continue;
		if ((err = cf_glob_list_add(l, line, domain)) < 0)
			return err;
	}
	return 0;
}

static int rebuild_text(const pattern *p, char *buf, size_t size, char *dom, size_t dsize)
{
	size_t i, n = 0, d = 0;

	n += (size_t)snprintf(buf, size, "%s", p->inclusion ? "!" : "");
	for (i = 0; i < p->nelem && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "/" : "", p->elem[i]);
	if (p->dir_only && n < size)
		n += (size_t)snprintf(buf + n, size - n, "/");
	dom[0] = '\0';
	for (i = 0; i < p->ndomain && d < dsize; i++)
		d += (size_t)snprintf(dom + d, dsize - d, "%s%s", i ? "/" : "", p->domain[i]);
	return n < size && d < dsize ? 0 : -1;
}

int cf_glob_list_append(cf_glob_list *l, const cf_glob_list *src)
{
	char text[CF_GLOB_MAX_PATTERN_LEN + 8], dom[CF_GLOB_MAX_PATTERN_LEN + 8];
	size_t i;
	int err;

	for (i = 0; src && i < src->n; i++) {
		if (rebuild_text(&src->p[i], text, sizeof(text), dom, sizeof(dom)) < 0)
			return cf_error_set(CF_ELIMIT, "ignore pattern too long");
		/* Escaped trailing spaces survive the rebuild because they were never trimmed. */
		if ((err = cf_glob_list_add(l, text, dom)) < 0)
			return err;
	}
	return 0;
}

/* filepath.Match as go-git uses it: a malformed pattern simply does not match. */
static bool elem_match(const char *pat, const char *name)
{
	return cf_glob_match(pat, name) == 1;
}

/* A pattern without '/': matches any element of the path. */
static bool simple_match(const pattern *p, char **path, size_t n, bool is_dir)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!elem_match(p->elem[0], path[i]))
			continue;
		return !(p->dir_only && !is_dir && i == n - 1);
	}
	return false;
}

/* A pattern with '/': matched element by element from the domain; "**" spans directories. */
static bool glob_match(const pattern *p, char **path, size_t n, bool is_dir)
{
	bool matched = false, traverse = false;
	size_t i;

	for (i = 0; i < p->nelem; i++) {
		const char *e = p->elem[i];

		if (*e == '\0') {
			traverse = false;
			continue;
		}
		if (strcmp(e, "**") == 0) {
			if (i == p->nelem - 1)
				break;
			traverse = true;
			continue;
		}
		if (strstr(e, "**"))
			return false;
		if (n == 0)
			return false;
		if (traverse) {
			traverse = false;
			while (n > 0) {
				const char *name = *path;

				path++;
				n--;
				if (elem_match(e, name)) {
					matched = true;
					break;
				} else if (n == 0) {
					matched = false;
				}
			}
		} else {
			if (!elem_match(e, *path))
				return false;
			matched = true;
			path++;
			n--;
		}
	}
	if (matched && p->dir_only && !is_dir && n == 0)
		matched = false;
	return matched;
}

static cf_glob_result pattern_match(const pattern *p, char **path, size_t n, bool is_dir)
{
	size_t i;

	if (n <= p->ndomain)
		return CF_GLOB_NONE;
	for (i = 0; i < p->ndomain; i++)
		if (strcmp(path[i], p->domain[i]) != 0)
			return CF_GLOB_NONE;
	path += p->ndomain;
	n -= p->ndomain;
	if (p->is_glob ? !glob_match(p, path, n, is_dir) : !simple_match(p, path, n, is_dir))
		return CF_GLOB_NONE;
	return p->inclusion ? CF_GLOB_INCLUDE : CF_GLOB_EXCLUDE;
}

cf_glob_result cf_glob_list_match(const cf_glob_list *l, const char *path, bool is_dir)
{
	char *copy, *elems[MAX_DEPTH];
	cf_glob_result r = CF_GLOB_NONE;
	long n;
	size_t i;

	if (!l->n || !(copy = strdup(path)))
		return CF_GLOB_NONE;
	if ((n = split(copy, elems, MAX_DEPTH)) < 0) {
		free(copy);
		return CF_GLOB_NONE;
	}
	for (i = l->n; i-- > 0;) {
		if ((r = pattern_match(&l->p[i], elems, (size_t)n, is_dir)) != CF_GLOB_NONE)
			break;
	}
	free(copy);
	return r;
}

bool cf_glob_list_excluded(const cf_glob_list *l, const char *path, bool is_dir)
{
	return cf_glob_list_match(l, path, is_dir) == CF_GLOB_EXCLUDE;
}
