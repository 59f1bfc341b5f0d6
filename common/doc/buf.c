/* A growing byte buffer for the emitters; a failed allocation sticks until the end. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int doc_buf_put(doc_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->ptr, cap))) {
			b->failed = 1;
			return -1;
		}
		b->ptr = p;
		b->cap = cap;
	}
	memcpy(b->ptr + b->len, s, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int doc_buf_puts(doc_buf *b, const char *s)
{
	return doc_buf_put(b, s, strlen(s));
}

int doc_buf_putc(doc_buf *b, char c)
{
	return doc_buf_put(b, &c, 1);
}

void doc_buf_free(doc_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}
