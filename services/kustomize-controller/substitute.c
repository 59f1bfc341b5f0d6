/*
 * Post-build variable substitution as Flux's envsubst does it: only ${...} expands ($var stays),
 * $${...} escapes, defaults (- = :- :=), length, case, substring, trim (# ## % %%) and replace
 * (/ // /# /%) operators, and a strict mode where an unset variable without a default is an error.
 */
#include "kc.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

#define MAX_OUTPUT (64u << 20)
#define MAX_NESTING 32
/* Trimming tries every prefix against the glob: quadratic, so values are bounded. */
#define MAX_TRIM_VALUE 8192

typedef struct {
	char *buf;
	size_t len, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > MAX_OUTPUT)
		return cf_error_set(CF_ELIMIT, "substitution output exceeds %u bytes", MAX_OUTPUT);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *nb = realloc(b->buf, cap);
		if (!nb)
			return CF_ENOMEM;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

typedef struct {
	const json_t *vars;
	int strict;
} subst;

static int expand(sbuf *out, const char **pp, const subst *s, int depth, const char *stops, char *hit);

static size_t name_len(const char *p)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)p[0]) || p[0] == '_'))
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n;
}

static const char *lookup(const subst *s, const char *name, size_t n)
{
	char key[256];

	if (n >= sizeof(key))
		return NULL;
	memcpy(key, name, n);
	key[n] = '\0';
	return json_string_value(json_object_get(s->vars, key));
}

/* ${var:offset[:length]} with bash's negative offsets counted from the end. */
static int substring(sbuf *out, const char *val, const char **pp)
{
	const char *p = *pp;
	long len = (long)strlen(val), off, cnt = len;
	char *end;

	off = strtol(p, &end, 10);
	if (end == p)
		return cf_error_set(CF_EINVALID, "bad substitution");
	p = end;
	if (*p == ':') {
		cnt = strtol(p + 1, &end, 10);
		if (end == p + 1)
			return cf_error_set(CF_EINVALID, "bad substitution");
		p = end;
	}
	if (*p != '}')
		return cf_error_set(CF_EINVALID, "bad substitution");
	*pp = p + 1;
	if (off < 0)
		off = len + off < 0 ? 0 : len + off;
	if (off > len)
		off = len;
	if (cnt < 0)
		cnt = len - off + cnt < 0 ? 0 : len - off + cnt;
	if (off + cnt > len)
		cnt = len - off;
	return sb_add(out, val + off, (size_t)cnt);
}

static int change_case(sbuf *out, const char *val, int upper, int all)
{
	size_t start = out->len;
	int err = sb_add(out, val, strlen(val));

	for (size_t i = start; err == 0 && i < out->len; i++) {
		out->buf[i] = (char)(upper ? toupper((unsigned char)out->buf[i]) : tolower((unsigned char)out->buf[i]));
		if (!all)
			break;
	}
	return err;
}

/* The longest (or shortest) prefix of val matching pattern as Go's path.Match does; 0 when none. */
static size_t prefix_match(const char *val, size_t len, const char *pattern, int longest)
{
	size_t best = 0;
	char *buf = malloc(len + 1);

	if (!buf)
		return 0;
	memcpy(buf, val, len);
	for (size_t n = len; n > 0; n--) {
		buf[n] = '\0';
		if (fnmatch(pattern, buf, FNM_PATHNAME) == 0) {
			best = n;
			if (longest)
				break;
		}
	}
	free(buf);
	return best;
}

static void reverse(char *s)
{
	for (size_t i = 0, j = strlen(s); i + 1 < j; i++, j--) {
		char t = s[i];
		s[i] = s[j - 1];
		s[j - 1] = t;
	}
}

/* ${v#p} ${v##p} ${v%p} ${v%%p}: suffixes match the reversed pattern on the reversed value. */
static int trim(sbuf *out, const char *val, char *pattern, int suffix, int longest)
{
	size_t len = strlen(val), cut;
	char *v = strdup(val);
	int err;

	if (len > MAX_TRIM_VALUE) {
		free(v);
		return cf_error_set(CF_ELIMIT, "value longer than %d bytes for a trim operator", MAX_TRIM_VALUE);
	}
	if (!v)
		return CF_ENOMEM;
	if (suffix) {
		reverse(v);
		reverse(pattern);
	}
	cut = prefix_match(v, len, pattern, longest);
	if (suffix) {
		reverse(v);
		err = sb_add(out, v, len - cut);
	} else {
		err = sb_add(out, v + cut, len - cut);
	}
	free(v);
	return err;
}

/* ${v/a/b} first, ${v//a/b} all, ${v/#a/b} prefix, ${v/%a/b} suffix: literal text, not globs. */
static int replace(sbuf *out, const char *val, char mode, const char *from, const char *to, int have_to)
{
	size_t flen = strlen(from), vlen = strlen(val);
	const char *hit;
	int err = 0;

	if (mode == '#' || mode == '%') {
		int at_start = strncmp(val, from, flen) == 0;
		int at_end = vlen >= flen && strcmp(val + vlen - flen, from) == 0;
		if (!have_to || !(mode == '#' ? at_start : at_end))
			return sb_add(out, val, vlen);
		if (mode == '#')
			return (err = sb_add(out, to, strlen(to))) < 0 ? err : sb_add(out, val + flen, vlen - flen);
		return (err = sb_add(out, val, vlen - flen)) < 0 ? err : sb_add(out, to, strlen(to));
	}
	if (!flen)
		return sb_add(out, val, vlen);
	while (err == 0 && (hit = strstr(val, from)) != NULL) {
		if ((err = sb_add(out, val, (size_t)(hit - val))) == 0)
			err = sb_add(out, to, strlen(to));
		val = hit + flen;
		if (mode != '/')
			break;
	}
	return err ? err : sb_add(out, val, strlen(val));
}

/* The trim and replace operators; *pp points at the operator and is left after the brace. */
static int pattern_op(sbuf *out, const char **pp, const subst *s, int depth, const char *val)
{
	const char *p = *pp;
	char op = *p++, mode = 0, hit = 0;
	int twice = 0, err;
	sbuf a = {0}, b = {0};

	if (op != '/' && *p == op) {
		twice = 1;
		p++;
	} else if (op == '/' && (*p == '/' || *p == '#' || *p == '%')) {
		mode = *p++;
	}
	if ((err = sb_add(&a, "", 0)) < 0 || (err = sb_add(&b, "", 0)) < 0 ||
	    (err = expand(&a, &p, s, depth + 1, op == '/' ? "/}" : "}", &hit)) < 0)
		goto done;
	if (op == '/' && hit == '/' && (err = expand(&b, &p, s, depth + 1, "}", NULL)) < 0)
		goto done;
	*pp = p;
	if (op == '/')
		err = replace(out, val, mode, a.buf, b.buf, hit == '/');
	else
		err = trim(out, val, a.buf, op == '%', twice);
done:
	free(a.buf);
	free(b.buf);
	return err;
}

/* One ${...} expression; *pp points after "${" and is left after the closing brace. */
static int expression(sbuf *out, const char **pp, const subst *s, int depth)
{
	const char *p = *pp;
	int length = 0, err;
	size_t n;
	const char *val;

	if (*p == '#' && name_len(p + 1)) {
		length = 1;
		p++;
	}
	if (!(n = name_len(p)))
		return cf_error_set(CF_EINVALID, "bad substitution");
	val = lookup(s, p, n);
	const char *name = p;
	p += n;
	if (length) {
		char num[32];
		if (*p != '}')
			return cf_error_set(CF_EINVALID, "bad substitution");
		*pp = p + 1;
		snprintf(num, sizeof(num), "%zu", val ? strlen(val) : 0);
		return sb_add(out, num, strlen(num));
	}
	/* Defaults: "-" and "=" apply when unset; ":-" and ":=" also when empty. */
	int colon = *p == ':' && (p[1] == '-' || p[1] == '=');
	if (*p == '-' || *p == '=' || colon) {
		int use_default = !val || (colon && !*val);
		p += colon ? 2 : 1;
		if (!use_default) {
			/* The default is parsed (so braces balance) but its output is dropped. */
			sbuf skip = {0};
			err = expand(&skip, &p, s, depth + 1, "}", NULL);
			free(skip.buf);
			if (err == 0)
				err = sb_add(out, val, strlen(val));
		} else {
			err = expand(out, &p, s, depth + 1, "}", NULL);
		}
		*pp = p;
		return err;
	}
	if (*p == '}') {
		*pp = p + 1;
		if (!val && s->strict)
			return cf_error_set(CF_EINVALID, "variable not set (strict mode): \"%.*s\"", (int)n, name);
		return val ? sb_add(out, val, strlen(val)) : 0;
	}
	if (!val && s->strict)
		return cf_error_set(CF_EINVALID, "variable not set (strict mode): \"%.*s\"", (int)n, name);
	if (!val)
		val = "";
	if (*p == '^' || *p == ',') {
		int upper = *p == '^', all = p[1] == p[0];
		p += all ? 2 : 1;
		if (*p != '}')
			return cf_error_set(CF_EINVALID, "bad substitution");
		*pp = p + 1;
		return change_case(out, val, upper, all);
	}
	if (*p == ':') {
		*pp = p + 1;
		return substring(out, val, pp);
	}
	if (*p == '#' || *p == '%' || *p == '/') {
		*pp = p;
		return pattern_op(out, pp, s, depth, val);
	}
	return cf_error_set(CF_EINVALID, "bad substitution");
}

/*
 * Copies text to out, expanding expressions. Inside an expression (stops set) it ends after the
 * first unescaped stop character, reported in *hit; "\\}", "\\/" and "\\\\" are escapes there.
 */
static int expand(sbuf *out, const char **pp, const subst *s, int depth, const char *stops, char *hit)
{
	const char *p = *pp;
	int err = 0;

	if (depth > MAX_NESTING)
		return cf_error_set(CF_ELIMIT, "substitution nested deeper than %d", MAX_NESTING);
	while (*p && err == 0) {
		if (stops && strchr(stops, *p)) {
			if (hit)
				*hit = *p;
			*pp = p + 1;
			return 0;
		}
		if (stops && *p == '\\' && (p[1] == '}' || p[1] == '\\' || p[1] == '/')) {
			err = sb_add(out, p + 1, 1);
			p += 2;
		} else if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			/* An escaped expression prints literally, but what is nested in it still expands. */
			err = sb_add(out, "${", 2);
			p += 3;
			if (err == 0)
				err = expand(out, &p, s, depth + 1, "}", NULL);
			if (err == 0)
				err = sb_add(out, "}", 1);
		} else if (p[0] == '$' && p[1] == '{') {
			p += 2;
			err = expression(out, &p, s, depth);
		} else {
			size_t n = strcspn(p + 1, stops ? "$}/\\" : "$") + 1;
			err = sb_add(out, p, n);
			p += n;
		}
	}
	if (err == 0 && stops)
		err = cf_error_set(CF_EINVALID, "missing closing brace");
	*pp = p;
	return err;
}

int kc_substitute(char **out, const char *text, const json_t *vars, int strict)
{
	subst s = {vars, strict};
	sbuf b = {0};
	const char *p = text;
	int err;

	if ((err = sb_add(&b, "", 0)) < 0 || (err = expand(&b, &p, &s, 0, NULL, NULL)) < 0) {
		free(b.buf);
		return err;
	}
	*out = b.buf;
	return 0;
}

/* Flux drops newlines from values and insists on shell-style names. */
static int put_var(json_t *vars, const char *key, const char *value)
{
	char *clean;
	size_t j = 0;

	if (name_len(key) != strlen(key))
		return cf_error_set(CF_EINVALID, "'%s' var name is invalid, must match "
				    "'^[_[:alpha:]][_[:alpha:][:digit:]]*$'", key);
	if (!(clean = malloc(strlen(value) + 1)))
		return CF_ENOMEM;
	for (const char *c = value; *c; c++)
		if (*c != '\n')
			clean[j++] = *c;
	clean[j] = '\0';
	json_object_set_new(vars, key, json_string(clean));
	free(clean);
	return 0;
}

int kc_substitute_vars(json_t **out, cf_kube *kube, const json_t *ks)
{
	json_t *post = json_object_get(json_object_get(ks, "spec"), "postBuild");
	const char *ns = cf_object_str(ks, "metadata.namespace");
	json_t *vars = json_object(), *ref, *v;
	const char *key;
	size_t i;
	int err = 0;

	json_array_foreach(json_object_get(post, "substituteFrom"), i, ref) {
		const char *kind = cf_object_str(ref, "kind"), *name = cf_object_str(ref, "name");
		json_t *data = NULL;
		if (!kind || !name || (strcmp(kind, "ConfigMap") != 0 && strcmp(kind, "Secret") != 0)) {
			err = cf_error_set(CF_EINVALID, "substitute from '%s/%s' error: unsupported kind",
					   kind ? kind : "", name ? name : "");
			goto done;
		}
		err = cf_object_data(&data, kube, kind, ns, name);
		if (err == CF_ENOTFOUND && json_is_true(json_object_get(ref, "optional"))) {
			err = 0;
			continue;
		}
		if (err < 0) {
			err = cf_error_wrap(err, "substitute from '%s/%s' error: ", kind, name);
			goto done;
		}
		json_object_foreach(data, key, v)
			if (err == 0)
				err = put_var(vars, key, json_string_value(v));
		json_decref(data);
		if (err < 0)
			goto done;
	}
	json_object_foreach(json_object_get(post, "substitute"), key, v)
		if (json_is_string(v) && (err = put_var(vars, key, json_string_value(v))) < 0)
			goto done;
	*out = vars;
	vars = NULL;
done:
	json_decref(vars);
	return err;
}
