/* A small growable byte buffer with a size limit, used for URLs and response bodies. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kube_buf_append(kube_buf *b, const char *p, size_t n)
{
	size_t want;
	char *grown;

	if (b->limit && (b->len > b->limit || n > b->limit - b->len))
		return cf_error_set(CF_ELIMIT, "response larger than %zu bytes", b->limit);
	want = b->len + n + 1;
	if (want > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < want)
			cap *= 2;
		if (!(grown = realloc(b->data, cap)))
			return cf_error_set(CF_ENOMEM, "out of memory");
		b->data = grown;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int kube_buf_printf(kube_buf *b, const char *fmt, ...)
{
	char small[512];
	char *big = NULL;
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return cf_error_set(CF_EINVALID, "format error");
	if ((size_t)n < sizeof(small))
		return kube_buf_append(b, small, (size_t)n);
	if (!(big = malloc((size_t)n + 1)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	err = kube_buf_append(b, big, (size_t)n);
	free(big);
	return err;
}

/* RFC 3986 unreserved characters pass; everything else is %XX. */
int kube_buf_escape(kube_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int err;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			err = kube_buf_append(b, s, 1);
		else
			err = kube_buf_append(b, enc, 3);
		if (err < 0)
			return err;
	}
	return 0;
}

int kube_buf_query(kube_buf *b, const char *key, const char *value)
{
	int err;

	if (!value || !*value)
		return 0;
	if ((err = kube_buf_append(b, b->data && strchr(b->data, '?') ? "&" : "?", 1)) < 0 ||
	    (err = kube_buf_escape(b, key)) < 0 || (err = kube_buf_append(b, "=", 1)) < 0)
		return err;
	return kube_buf_escape(b, value);
}

char *kube_buf_take(kube_buf *b)
{
	char *p = b->data;

	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void kube_buf_free(kube_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
