/* JSON loading through jansson, keeping key order; duplicate keys keep the last value (Go). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"
#include "load_opts.h"

/* Where a number literal sits in the input text. */
typedef struct {
	const char *p;
	size_t len;
} num_token;

typedef struct {
	cf_doc_load_opts o;
	size_t nodes;
	int ints_as_reals; /* the input had an integer beyond int64: jansson read all as reals */
	num_token *tokens; /* then: the number literals in text order, to keep their exact digits */
	size_t n_tokens, next_token;
} jloader;

static int convert(jloader *J, json_t *j, cf_doc **out, size_t depth);

/* An integer literal beyond int64: the uint64 range keeps its digits (as yaml.v3 reads it). */
static int big_integer(const num_token *t, double d, cf_doc **out)
{
	char buf[32];
	char *end;
	unsigned long long u;
	int err;

	if (t->len >= sizeof(buf) || t->p[0] == '-')
		return cf_doc_new_float(out, d);
	memcpy(buf, t->p, t->len);
	buf[t->len] = '\0';
	errno = 0;
	u = strtoull(buf, &end, 10);
	if (errno || *end)
		return cf_doc_new_float(out, d);
	if ((err = doc_scalar_new(out, CF_DOC_FLOAT, buf, t->len, NULL)) < 0)
		return err;
	(*out)->flags |= DOC_F_UINT;
	(*out)->u.s.v.i = (int64_t)u;
	return 0;
}

/* Number from its literal, after jansson had to read every number as a double. */
static int number_from_token(jloader *J, double d, cf_doc **out)
{
	const num_token *t = &J->tokens[J->next_token++];
	char buf[32];
	char *end;
	long long v;

	for (size_t i = 0; i < t->len; i++)
		if (t->p[i] == '.' || t->p[i] == 'e' || t->p[i] == 'E')
			return cf_doc_new_float(out, d);
	if (t->len >= sizeof(buf))
		return cf_doc_new_float(out, d);
	memcpy(buf, t->p, t->len);
	buf[t->len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno == 0 && *end == '\0')
		return cf_doc_new_int(out, (int64_t)v);
	return big_integer(t, d, out);
}

static int convert_number(jloader *J, json_t *j, cf_doc **out)
{
	double d;

	if (J->tokens)
		return number_from_token(J, json_is_integer(j) ? (double)json_integer_value(j)
		                                               : json_real_value(j), out);
	if (json_is_integer(j))
		return cf_doc_new_int(out, (int64_t)json_integer_value(j));
	d = json_real_value(j);
	/* Integers that fit int64 stay INT even when jansson had to read them as reals. */
	if (J->ints_as_reals && d == floor(d) && d >= -9223372036854775808.0 &&
	    d < 9223372036854775808.0)
		return cf_doc_new_int(out, (int64_t)d);
	return cf_doc_new_float(out, d);
}

static int convert_object(jloader *J, json_t *j, cf_doc **out, size_t depth)
{
	cf_doc *map = NULL, *k = NULL, *v = NULL;
	const char *key;
	size_t klen;
	json_t *value;
	void *it;
	int err;

	if ((err = cf_doc_new_map(&map)) < 0)
		return err;
	for (it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
		key = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		value = json_object_iter_value(it);
		if ((err = convert(J, value, &v, depth + 1)) < 0)
			goto done;
		if ((err = cf_doc_new_strn(&k, key, klen)) < 0)
			goto done;
		err = doc_map_append(map, k, v);
		k = v = NULL;
		if (err < 0)
			goto done;
	}
	*out = map;
	map = NULL;
done:
	cf_doc_free(v);
	cf_doc_free(map);
	return err;
}

static int convert_array(jloader *J, json_t *j, cf_doc **out, size_t depth)
{
	cf_doc *seq = NULL, *item = NULL;
	int err;

	if ((err = cf_doc_new_seq(&seq)) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(j); i++) {
		if ((err = convert(J, json_array_get(j, i), &item, depth + 1)) < 0 ||
		    (err = cf_doc_seq_append(seq, item)) < 0) {
			cf_doc_free(seq);
			return err;
		}
	}
	*out = seq;
	return 0;
}

static int convert(jloader *J, json_t *j, cf_doc **out, size_t depth)
{
	if (depth > J->o.max_depth)
		return cf_error_set(CF_ELIMIT, "%s: nesting deeper than %zu", J->o.filename,
		                    J->o.max_depth);
	if (++J->nodes > J->o.max_nodes)
		return cf_error_set(CF_ELIMIT, "%s: more than %zu nodes", J->o.filename, J->o.max_nodes);
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return convert_object(J, j, out, depth);
	case JSON_ARRAY:
		return convert_array(J, j, out, depth);
	case JSON_STRING:
		return cf_doc_new_strn(out, json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
	case JSON_REAL:
		return convert_number(J, j, out);
	case JSON_TRUE:
		return cf_doc_new_bool(out, 1);
	case JSON_FALSE:
		return cf_doc_new_bool(out, 0);
	case JSON_NULL:
	default:
		return cf_doc_new_null(out);
	}
}

/* Collects the number literals outside strings, in text order; NULL when out of memory. */
static num_token *scan_numbers(const char *buf, size_t len, size_t *count)
{
	num_token *t = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < len;) {
		if (buf[i] == '"') {
			for (i++; i < len && buf[i] != '"'; i++)
				if (buf[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (buf[i] != '-' && !(buf[i] >= '0' && buf[i] <= '9')) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && (buf[i] == '-' || buf[i] == '+' || buf[i] == '.' || buf[i] == 'e' ||
		                   buf[i] == 'E' || (buf[i] >= '0' && buf[i] <= '9')))
			i++;
		if (n == cap) {
			num_token *grown;
			cap = cap ? 2 * cap : 64;
			if (!(grown = realloc(t, cap * sizeof(*t)))) {
				free(t);
				return NULL;
			}
			t = grown;
		}
		t[n++] = (num_token){buf + start, i - start};
	}
	*count = n;
	return t ? t : calloc(1, sizeof(*t));
}

static size_t count_numbers(json_t *j)
{
	size_t n = 0;
	void *it;

	if (json_is_number(j))
		return 1;
	if (json_is_array(j))
		for (size_t i = 0; i < json_array_size(j); i++)
			n += count_numbers(json_array_get(j, i));
	if (json_is_object(j))
		for (it = json_object_iter(j); it; it = json_object_iter_next(j, it))
			n += count_numbers(json_object_iter_value(it));
	return n;
}

int cf_doc_load_json(cf_doc **out, const char *buf, size_t len, const cf_doc_load_opts *opts)
{
	jloader J = {.o = doc_load_opts(opts, CF_DOC_JSON)};
	json_error_t jerr;
	json_t *root;
	size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
	int err;

	if (len > J.o.max_bytes)
		return cf_error_set(CF_ELIMIT, "%s: %zu bytes is over the %zu byte limit", J.o.filename,
		                    len, J.o.max_bytes);
	root = json_loadb(buf ? buf : "", len, flags, &jerr);
	if (!root && strstr(jerr.text, "too big")) {
		J.ints_as_reals = 1;
		root = json_loadb(buf, len, flags | JSON_DECODE_INT_AS_REAL, &jerr);
	}
	if (root && J.ints_as_reals) {
		/* Take the digits from the text, unless a repeated key hid some numbers from the tree. */
		if (!(J.tokens = scan_numbers(buf, len, &J.n_tokens))) {
			json_decref(root);
			return cf_error_set(CF_ENOMEM, "doc: out of memory");
		}
		if (count_numbers(root) != J.n_tokens) {
			free(J.tokens);
			J.tokens = NULL;
		}
	}
	if (!root)
		return cf_error_set(strstr(jerr.text, "depth") ? CF_ELIMIT : CF_EPARSE, "%s:%d:%d: %s", J.o.filename, jerr.line, jerr.column,
		                    jerr.text);
	err = convert(&J, root, out, 1);
	json_decref(root);
	free(J.tokens);
	return err;
}
