/* Small string and tree helpers used across the kustomize module. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

char *kz_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *out;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(out = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return out;
}

char *kz_path_join(const char *a, const char *b)
{
	if (b[0] == '/')
		return strdup(b);
	size_t la = strlen(a);
	return kz_asprintf("%s%s%s", a, (la && a[la - 1] == '/') ? "" : "/", b);
}

int kz_ensure_map(cf_doc **out, cf_doc *map, const char *key)
{
	cf_doc *v = cf_doc_get(map, key);
	int err;

	if (v && cf_doc_type_of(v) == CF_DOC_NULL) {
		cf_doc *m = NULL;
		if ((err = cf_doc_new_map(&m)) < 0)
			return err;
		if ((err = cf_doc_map_set(map, key, m)) < 0)
			return err;
	}
	return cf_doc_map_ensure(out, map, key);
}

const char *kz_scalar(const cf_doc *node)
{
	if (!node)
		return NULL;
	switch (cf_doc_type_of(node)) {
	case CF_DOC_SEQ:
	case CF_DOC_MAP:
		return NULL;
	default:
		return cf_doc_text(node);
	}
}
