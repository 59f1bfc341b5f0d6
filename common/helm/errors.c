/* Helm's rewriting of template errors (engine.go cleanupParseError / cleanupExecError). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HELM_ERR_START "HELM_ERR_START"
#define HELM_ERR_END "HELM_ERR_END"

static char *finish(hbuf *b)
{
	if (b->err) {
		hbuf_free(b);
		return NULL;
	}
	return hbuf_take(b, NULL);
}

static char *parse_cleanup(const char *filename, const char *msg)
{
	const char *first = strstr(msg, ": "), *last = NULL, *p, *loc_end;
	hbuf b;
	hbuf_init(&b, 0);
	if (!first) {
		hbuf_printf(&b, "parse error in (%s): %s", filename, msg);
		return finish(&b);
	}
	for (p = msg; (p = strstr(p, ": ")) != NULL; p += 2)
		last = p;
	loc_end = strstr(first + 2, ": ");
	if (!loc_end)
		loc_end = first + 2 + strlen(first + 2);
	hbuf_puts(&b, "parse error at (");
	hbuf_put(&b, first + 2, (size_t)(loc_end - (first + 2)));
	hbuf_puts(&b, "): ");
	hbuf_puts(&b, last + 2);
	return finish(&b);
}

static char *exec_cleanup(const char *filename, const char *msg)
{
	const char *t1 = strstr(msg, ": "), *t2 = t1 ? strstr(t1 + 2, ": ") : NULL;
	const char *start, *end = NULL, *p;
	hbuf b;
	hbuf_init(&b, 0);
	if (!t2) {
		hbuf_printf(&b, "execution error in (%s): %s", filename, msg);
		return finish(&b);
	}
	start = strstr(t2 + 2, HELM_ERR_START);
	for (p = start; p && (p = strstr(p, HELM_ERR_END)) != NULL; p++)
		end = p; /* the regexp's (?s).* is greedy: the last end marker counts */
	if (!start || !end || end < start + strlen(HELM_ERR_START)) {
		hbuf_puts(&b, msg);
		return finish(&b);
	}
	start += strlen(HELM_ERR_START);
	hbuf_puts(&b, "execution error at (");
	hbuf_put(&b, t1 + 2, (size_t)(t2 - (t1 + 2)));
	hbuf_puts(&b, "): ");
	hbuf_put(&b, start, (size_t)(end - start));
	return finish(&b);
}

int cf_helm_error_cleanup(char **out, const char *filename, const char *msg, int parse_error)
{
	char *s = parse_error ? parse_cleanup(filename, msg) : exec_cleanup(filename, msg);
	if (!s)
		return cf_error_set(CF_ENOMEM, "out of memory");
	*out = s;
	return 0;
}

/*
 * cf_error_last() keeps 2 KiB of a message; a schema report or a nested include error can be
 * longer, so the whole text is kept here too and handed out through error_out.
 */
static _Thread_local char *long_msg;

int hv_error_long(int code, const char *msg)
{
	free(long_msg);
	long_msg = strdup(msg);
	return cf_error_set(code, "%s", msg);
}

char *hv_error_full(void)
{
	const char *last = cf_error_last();
	if (long_msg && !strncmp(long_msg, last, strlen(last)))
		return strdup(long_msg);
	return strdup(last);
}

void hv_error_long_clear(void)
{
	free(long_msg);
	long_msg = NULL;
}
