/* Version constraints ("^1.2", ">= 1.0, < 2 || 3.x", "1.2 - 1.4") with Masterminds v3 rules. */
#include "cf/semver.h"

#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

/* Bounds that keep a hostile constraint from costing more than a few kilobytes. */
#define MAX_TERMS 256

typedef struct term term;
typedef bool (*check_fn)(const cf_semver *v, const term *t);

struct term {
	check_fn check;
	cf_semver *con;          /* the version compared against, x parts zeroed */
	bool dirty;              /* some part was x, X, * or missing */
	bool minor_dirty;        /* the minor (and so the patch) was a wildcard */
	bool patch_dirty;        /* only the patch was a wildcard */
};

typedef struct {
	size_t first, count;     /* range in cf_semver_constraint.terms */
	bool has_pre;            /* a term names a prerelease: the group accepts prereleases */
} group;

struct cf_semver_constraint {
	term terms[MAX_TERMS];
	size_t nterms;
	group groups[MAX_TERMS];
	size_t ngroups;
	bool include_pre;
};

/* The text of one version inside a constraint, split like Masterminds' constraint regex. */
typedef struct {
	const char *start;
	size_t len;
	const char *part[3];
	size_t part_len[3];
	const char *pre;         /* includes the leading '-' */
	size_t pre_len;
} cv;

static int is_x(const char *s, size_t len)
{
	return len == 1 && (*s == 'x' || *s == 'X' || *s == '*');
}

/* --- the checks, one per operator ---------------------------------------------------------- */

static int cmp(const cf_semver *a, const cf_semver *b)
{
	return cf_semver_compare(a, b);
}

static bool check_tilde(const cf_semver *v, const term *t)
{
	const cf_semver *c = t->con;

	if (cmp(v, c) < 0)
		return false;
	/* "~0.0.0" and "~*" accept everything from 0.0.0 on. */
	if (cf_semver_major(c) == 0 && cf_semver_minor(c) == 0 && cf_semver_patch(c) == 0 &&
	    !t->minor_dirty && !t->patch_dirty)
		return true;
	if (cf_semver_major(v) != cf_semver_major(c))
		return false;
	return cf_semver_minor(v) == cf_semver_minor(c) || t->minor_dirty;
}

static bool check_equal(const cf_semver *v, const term *t)
{
	if (t->dirty)
		return check_tilde(v, t);
	return cmp(v, t->con) == 0;
}

static bool check_not_equal(const cf_semver *v, const term *t)
{
	const cf_semver *c = t->con;

	if (t->dirty) {
		if (cf_semver_major(c) != cf_semver_major(v))
			return true;
		if (t->minor_dirty)
			return false;
		if (cf_semver_minor(c) != cf_semver_minor(v))
			return true;
		if (!t->patch_dirty && cf_semver_patch(c) != cf_semver_patch(v))
			return true;
		if (t->patch_dirty) {
			/* "!=4.1-alpha" still differs from 4.1.x versions with another prerelease. */
			return strcmp(cf_semver_prerelease(v), cf_semver_prerelease(c)) != 0;
		}
	}
	return cmp(v, c) != 0;
}

static bool check_greater(const cf_semver *v, const term *t)
{
	const cf_semver *c = t->con;

	if (!t->dirty)
		return cmp(v, c) > 0;
	if (cf_semver_major(v) != cf_semver_major(c))
		return cf_semver_major(v) > cf_semver_major(c);
	if (t->minor_dirty)
		return false;   /* ">11" needs 12 or more */
	if (t->patch_dirty)
		return cf_semver_minor(v) > cf_semver_minor(c);
	return cmp(v, c) > 0;
}

static bool check_less(const cf_semver *v, const term *t)
{
	return cmp(v, t->con) < 0;
}

static bool check_greater_equal(const cf_semver *v, const term *t)
{
	return cmp(v, t->con) >= 0;
}

static bool check_less_equal(const cf_semver *v, const term *t)
{
	const cf_semver *c = t->con;

	if (!t->dirty)
		return cmp(v, c) <= 0;
	if (cf_semver_major(v) > cf_semver_major(c))
		return false;
	return !(cf_semver_major(v) == cf_semver_major(c) && cf_semver_minor(v) > cf_semver_minor(c) &&
		 !t->minor_dirty);
}

/* ^1.2.3 is >=1.2.3 <2; with major 0 the minor is the compatibility line, then the patch. */
static bool check_caret(const cf_semver *v, const term *t)
{
	const cf_semver *c = t->con;

	if (cmp(v, c) < 0)
		return false;
	if (cf_semver_major(c) > 0 || t->minor_dirty)
		return cf_semver_major(v) == cf_semver_major(c);
	if (cf_semver_major(v) > 0)
		return false;
	if (cf_semver_minor(c) > 0 || t->patch_dirty)
		return cf_semver_minor(v) == cf_semver_minor(c);
	if (cf_semver_minor(v) > 0)
		return false;
	return cf_semver_patch(v) == cf_semver_patch(c);
}

/* Longest operators first so ">=" is not read as ">" followed by "=". */
static const struct {
	const char *text;
	check_fn check;
} ops[] = {
	{"!=", check_not_equal},   {">=", check_greater_equal}, {"=>", check_greater_equal},
	{"<=", check_less_equal},  {"=<", check_less_equal},    {"~>", check_tilde},
	{"=", check_equal},        {">", check_greater},        {"<", check_less},
	{"~", check_tilde},        {"^", check_caret},          {"", check_equal},
};

/* --- parsing -------------------------------------------------------------------------------- */

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static size_t skip_space(const char *s, size_t i, size_t end)
{
	while (i < end && is_space((unsigned char)s[i]))
		i++;
	return i;
}

static int is_num_char(int c)
{
	return (c >= '0' && c <= '9') || c == 'x' || c == 'X' || c == '*';
}

static int is_ident_char(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Dot-separated identifiers after '-' or '+'; returns the length consumed (0 if none). */
static size_t scan_idents(const char *s, size_t i, size_t end)
{
	size_t start = i;

	for (;;) {
		size_t r = i;

		while (r < end && is_ident_char((unsigned char)s[r]))
			r++;
		if (r == i)
			return i > start ? i - 1 - start : 0;
		i = r;
		if (i + 1 >= end || s[i] != '.' || !is_ident_char((unsigned char)s[i + 1]))
			return i - start;
		i++;
	}
}

/* Reads one version "v?N(.N)?(.N)?(-pre)?(+meta)?" where N may be x, X or *. */
static int scan_cv(cv *out, const char *s, size_t i, size_t end, size_t *next)
{
	size_t k, n;

	memset(out, 0, sizeof(*out));
	out->start = s + i;
	if (i < end && s[i] == 'v')
		i++;
	for (k = 0; k < 3; k++) {
		size_t j = i;

		if (k > 0) {
			if (j >= end || s[j] != '.' || j + 1 >= end || !is_num_char((unsigned char)s[j + 1]))
				break;
			j++;
		}
		for (n = 0; j + n < end && is_num_char((unsigned char)s[j + n]); n++)
			;
		if (n == 0)
			return -1;
		out->part[k] = s + j;
		out->part_len[k] = n;
		i = j + n;
	}
	if (i < end && s[i] == '-' && (n = scan_idents(s, i + 1, end)) > 0) {
		out->pre = s + i;
		out->pre_len = n + 1;
		i += n + 1;
	}
	if (i < end && s[i] == '+' && (n = scan_idents(s, i + 1, end)) > 0)
		i += n + 1;
	out->len = (size_t)(s + i - out->start);
	*next = i;
	return 0;
}

static size_t scan_op(const char *s, size_t i, size_t end, size_t *op)
{
	size_t k;

	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t l = strlen(ops[k].text);

		if (l <= end - i && memcmp(s + i, ops[k].text, l) == 0) {
			*op = k;
			return i + l;
		}
	}
	return i;   /* unreachable: "" always matches */
}

/* Appends a string to a small fixed buffer, failing when it would not fit. */
static int put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n >= size)
		return -1;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return 0;
}

/* Builds the comparison version: wildcard and missing parts become 0 and mark the term dirty. */
static int make_term(term *t, size_t op, const cv *c)
{
	char ver[CF_SEMVER_MAX_LEN + 16];
	size_t len = 0;
	int rc = 0, k, wild = 3;

	memset(t, 0, sizeof(*t));
	t->check = ops[op].check;
	for (k = 0; k < 3; k++)
		if (c->part_len[k] == 0 || is_x(c->part[k], c->part_len[k])) {
			wild = k;
			break;
		}
	ver[0] = '\0';
	if (wild == 3) {
		rc = put(ver, sizeof(ver), &len, c->start, c->len);
	} else {
		t->dirty = true;
		t->minor_dirty = wild == 1;
		t->patch_dirty = wild == 2;
		for (k = 0; k < 3 && rc == 0; k++) {
			if (k > 0)
				rc = put(ver, sizeof(ver), &len, ".", 1);
			if (rc == 0)
				rc = k < wild ? put(ver, sizeof(ver), &len, c->part[k], c->part_len[k])
					      : put(ver, sizeof(ver), &len, "0", 1);
		}
		if (rc == 0 && c->pre)
			rc = put(ver, sizeof(ver), &len, c->pre, c->pre_len);
	}
	if (rc < 0)
		return cf_error_set(CF_ELIMIT, "constraint version too long");
	if (cf_semver_parse(&t->con, ver, 0) < 0)
		return cf_error_set(CF_EPARSE, "improper constraint: %.*s", (int)c->len, c->start);
	return 0;
}

static int add_term(cf_semver_constraint *cs, size_t op, const cv *c)
{
	int err;

	if (cs->nterms >= MAX_TERMS)
		return cf_error_set(CF_ELIMIT, "constraint has more than %d comparisons", MAX_TERMS);
	if ((err = make_term(&cs->terms[cs->nterms], op, c)) < 0)
		return err;
	if (*cf_semver_prerelease(cs->terms[cs->nterms].con))
		cs->groups[cs->ngroups].has_pre = true;
	cs->nterms++;
	cs->groups[cs->ngroups].count++;
	return 0;
}

/* "A - B" (spaces required around the dash) means ">= A, <= B". */
static int try_hyphen(cf_semver_constraint *cs, const cv *low, const char *s, size_t *i,
		      size_t end, int *done)
{
	size_t j = *i, k;
	cv high;

	*done = 0;
	if (j >= end || !is_space((unsigned char)s[j]))
		return 0;
	j = skip_space(s, j, end);
	if (j + 1 >= end || s[j] != '-' || !is_space((unsigned char)s[j + 1]))
		return 0;
	j = skip_space(s, j + 1, end);
	if (scan_cv(&high, s, j, end, &k) < 0)
		return 0;
	*done = 1;
	*i = k;
	if (add_term(cs, 1 /* >= */, low) < 0)
		return CF_EPARSE;
	return add_term(cs, 3 /* <= */, &high);
}

static int parse_group(cf_semver_constraint *cs, const char *s, size_t begin, size_t end)
{
	size_t i = skip_space(s, begin, end), op = 0, after;
	int err, hyphen;
	cv c;

	cs->groups[cs->ngroups].first = cs->nterms;
	for (;;) {
		i = skip_space(s, scan_op(s, i, end, &op), end);
		if (scan_cv(&c, s, i, end, &i) < 0)
			return cf_error_set(CF_EPARSE, "improper constraint: %.*s", (int)(end - begin),
					    s + begin);
		hyphen = 0;
		if (ops[op].text[0] == '\0' && (err = try_hyphen(cs, &c, s, &i, end, &hyphen)) < 0)
			return err;
		if (!hyphen && (err = add_term(cs, op, &c)) < 0)
			return err;
		after = skip_space(s, i, end);
		if (after == end)
			return 0;
		if (s[after] == ',')
			i = skip_space(s, after + 1, end);
		else if (after > i)
			i = after;
		else
			return cf_error_set(CF_EPARSE, "improper constraint: %.*s", (int)(end - begin),
					    s + begin);
	}
}

static const char *find_or(const char *s, size_t from, size_t end)
{
	size_t i;

	for (i = from; i + 1 < end; i++)
		if (s[i] == '|' && s[i + 1] == '|')
			return s + i;
	return NULL;
}

int cf_semver_constraint_parse(cf_semver_constraint **out, const char *s)
{
	cf_semver_constraint *cs = NULL;
	size_t len, at = 0;
	const char *bar;
	int err = 0;

	if (!s)
		return cf_error_set(CF_EPARSE, "constraint is empty");
	if ((len = strnlen(s, CF_SEMVER_MAX_LEN + 1)) > CF_SEMVER_MAX_LEN)
		return cf_error_set(CF_ELIMIT, "constraint longer than %d bytes", CF_SEMVER_MAX_LEN);
	if (!(cs = calloc(1, sizeof(*cs))))
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (;;) {
		bar = find_or(s, at, len);
		if (cs->ngroups >= MAX_TERMS) {
			err = cf_error_set(CF_ELIMIT, "constraint has more than %d groups", MAX_TERMS);
			goto done;
		}
		if ((err = parse_group(cs, s, at, bar ? (size_t)(bar - s) : len)) < 0)
			goto done;
		cs->ngroups++;
		if (!bar)
			break;
		at = (size_t)(bar - s) + 2;
	}
	*out = cs;
	cs = NULL;
done:
	cf_semver_constraint_free(cs);
	return err;
}

void cf_semver_constraint_free(cf_semver_constraint *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nterms; i++)
		cf_semver_free(c->terms[i].con);
	free(c);
}

void cf_semver_constraint_set_include_prerelease(cf_semver_constraint *c, bool include)
{
	c->include_pre = include;
}

bool cf_semver_constraint_check(const cf_semver_constraint *c, const cf_semver *v)
{
	bool pre = *cf_semver_prerelease(v) != '\0';
	size_t g, k;

	for (g = 0; g < c->ngroups; g++) {
		const group *gr = &c->groups[g];
		bool ok = true;

		/* A prerelease only satisfies groups that ask for prereleases (semver.org item 9). */
		if (pre && !c->include_pre && !gr->has_pre)
			continue;
		for (k = gr->first; k < gr->first + gr->count && ok; k++)
			ok = c->terms[k].check(v, &c->terms[k]);
		if (ok)
			return true;
	}
	return false;
}
