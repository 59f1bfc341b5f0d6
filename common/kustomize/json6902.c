/* JSON patch (RFC 6902) on a document tree, with the json-patch v4 behaviour kustomize uses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

#define MAX_TOKENS 256

typedef struct {
	char *tok[MAX_TOKENS];
	size_t n;
} pointer;

static void pointer_free(pointer *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->tok[i]);
	p->n = 0;
}

/* RFC 6901: "/a/b~1c" -> ["a", "b/c"]. */
static int pointer_parse(pointer *p, const char *s)
{
	p->n = 0;
	if (!*s)
		return 0;
	if (*s != '/')
		return cf_error_set(CF_EINVALID, "JSON pointer must start with '/': %s", s);
	s++;
	for (;;) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s), o = 0;
		char *t;
		if (p->n == MAX_TOKENS) {
			pointer_free(p);
			return cf_error_set(CF_ELIMIT, "JSON pointer too long");
		}
		if (!(t = malloc(len + 1))) {
			pointer_free(p);
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '~' && i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1')) {
				t[o++] = s[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				t[o++] = s[i];
			}
		}
		t[o] = '\0';
		p->tok[p->n++] = t;
		if (!end)
			break;
		s = end + 1;
	}
	return 0;
}

/* Parses an array index; negative values count from the end (v4's SupportNegativeIndices). */
static int index_of(long *out, const char *tok, size_t len, int allow_end)
{
	char *end;
	long v;

	if (strcmp(tok, "-") == 0) {
		if (!allow_end)
			return -1;
		*out = (long)len;
		return 0;
	}
	if (!*tok)
		return -1;
	errno = 0;
	v = strtol(tok, &end, 10);
	if (*end || errno)
		return -1;
	if (v < 0)
		v += (long)len;
	if (v < 0 || v > (long)len || (!allow_end && v == (long)len))
		return -1;
	*out = v;
	return 0;
}

static cf_doc *child(cf_doc *node, const char *tok)
{
	long i;

	if (cf_doc_type_of(node) == CF_DOC_MAP)
		return cf_doc_get(node, tok);
	if (cf_doc_type_of(node) == CF_DOC_SEQ && index_of(&i, tok, cf_doc_len(node), 0) == 0)
		return cf_doc_item(node, (size_t)i);
	return NULL;
}

/* The container holding the pointer's last token. */
static cf_doc *parent_of(cf_doc *doc, const pointer *p)
{
	cf_doc *n = doc;
	for (size_t i = 0; n && i + 1 < p->n; i++)
		n = child(n, p->tok[i]);
	return n;
}

static int missing(const char *op, const char *path)
{
	return cf_error_set(CF_EINVALID, "%s operation does not apply: doc is missing path: %s: "
	                    "missing value", op, path);
}

static int do_add(cf_doc *doc, const pointer *p, const char *path, cf_doc *value)
{
	cf_doc *parent;
	long i;

	if (p->n == 0) {
		int err = cf_doc_assign(doc, value);
		cf_doc_free(value);
		return err;
	}
	parent = parent_of(doc, p);
	const char *last = p->tok[p->n - 1];
	if (cf_doc_type_of(parent) == CF_DOC_MAP)
		return cf_doc_map_set(parent, last, value);
	if (cf_doc_type_of(parent) == CF_DOC_SEQ && index_of(&i, last, cf_doc_len(parent), 1) == 0)
		return cf_doc_seq_insert(parent, (size_t)i, value);
	cf_doc_free(value);
	return missing("add", path);
}

static int do_remove(cf_doc *doc, const pointer *p, const char *path, const char *op,
                     cf_doc **taken)
{
	cf_doc *parent = parent_of(doc, p), *v = NULL;
	long i;

	if (p->n == 0)
		return cf_error_set(CF_EINVALID, "%s operation does not apply: cannot remove the root",
		                    op);
	const char *last = p->tok[p->n - 1];
	if (cf_doc_type_of(parent) == CF_DOC_MAP)
		v = cf_doc_map_take(parent, last);
	else if (cf_doc_type_of(parent) == CF_DOC_SEQ &&
	         index_of(&i, last, cf_doc_len(parent), 0) == 0)
		v = cf_doc_seq_take(parent, (size_t)i);
	if (!v)
		return missing(op, path);
	if (taken)
		*taken = v;
	else
		cf_doc_free(v);
	return 0;
}

static cf_doc *lookup(cf_doc *doc, const pointer *p)
{
	cf_doc *n = doc;
	for (size_t i = 0; n && i < p->n; i++)
		n = child(n, p->tok[i]);
	return n;
}

static int apply_op(cf_doc *doc, const cf_doc *op)
{
	const char *name = kz_scalar(cf_doc_get(op, "op"));
	const char *path = kz_scalar(cf_doc_get(op, "path"));
	const char *from = kz_scalar(cf_doc_get(op, "from"));
	const cf_doc *value = cf_doc_get(op, "value");
	pointer p = {0}, f = {0};
	cf_doc *v = NULL;
	int err = 0;

	if (!name)
		return cf_error_set(CF_EINVALID, "Unexpected kind: missing op");
	if (!path)
		return cf_error_set(CF_EINVALID, "%s operation: missing path", name);
	if ((err = pointer_parse(&p, path)) < 0)
		return err;
	if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
		if (!value) {
			err = cf_error_set(CF_EINVALID, "%s operation: missing value", name);
			goto done;
		}
		if ((err = cf_doc_clone(&v, value)) < 0)
			goto done;
		if (name[0] == 'r' && p.n > 0) {
			cf_doc *cur = lookup(doc, &p);
			if (!cur) {
				cf_doc_free(v);
				err = missing("replace", path);
				goto done;
			}
			err = cf_doc_assign(cur, v);
			cf_doc_free(v);
		} else {
			err = do_add(doc, &p, path, v);
		}
	} else if (strcmp(name, "remove") == 0) {
		err = do_remove(doc, &p, path, "remove", NULL);
	} else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
		if (!from) {
			err = cf_error_set(CF_EINVALID, "%s operation: missing from", name);
			goto done;
		}
		if ((err = pointer_parse(&f, from)) < 0)
			goto done;
		if (name[0] == 'm') {
			err = do_remove(doc, &f, from, "move", &v);
		} else {
			cf_doc *src = lookup(doc, &f);
			err = src ? cf_doc_clone(&v, src) : missing("copy", from);
		}
		if (err == 0)
			err = do_add(doc, &p, path, v);
	} else if (strcmp(name, "test") == 0) {
		cf_doc *cur = lookup(doc, &p);
		int ok = cur ? (value && cf_doc_equal(cur, value))
		             : (!value || cf_doc_type_of(value) == CF_DOC_NULL);
		if (!ok)
			err = cf_error_set(CF_EINVALID, "testing value %s failed: test failed", path);
	} else {
		err = cf_error_set(CF_EINVALID, "Unexpected kind: %s", name);
	}
done:
	pointer_free(&p);
	pointer_free(&f);
	return err;
}

int kz_json6902(cf_doc *doc, const cf_doc *ops)
{
	int err = 0;

	if (cf_doc_type_of(ops) != CF_DOC_SEQ)
		return cf_error_set(CF_EINVALID, "a JSON 6902 patch must be a list of operations");
	for (size_t i = 0; i < cf_doc_len(ops) && err == 0; i++) {
		if (cf_doc_type_of(cf_doc_item(ops, i)) != CF_DOC_MAP)
			return cf_error_set(CF_EINVALID, "JSON 6902 operation %zu is not a map", i);
		err = apply_op(doc, cf_doc_item(ops, i));
	}
	return err;
}
