/*
 * Byte spans inside JSON text that jansson has already validated, so list items and watch objects
 * reach callers exactly as the server wrote them (no float or escape reformatting).
 */
#include "kube_int.h"

#include "cf/error.h"

#include <string.h>

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* s[i] is the opening quote; returns the index after the closing one, or len. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

/* Returns the index just past the value starting at s[i]; nesting is counted, not recursed. */
static size_t skip_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	if (i >= len)
		return len;
	if (s[i] == '"')
		return skip_string(s, len, i);
	if (s[i] != '{' && s[i] != '[') {
		while (i < len && !strchr(",}] \t\r\n", s[i]))
			i++;
		return i;
	}
	while (i < len) {
		if (s[i] == '"') {
			i = skip_string(s, len, i);
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return len;
}

int kube_json_member(const char *s, size_t len, const char *key, size_t *off, size_t *vlen)
{
	size_t klen = strlen(key), i = skip_ws(s, len, 0);

	if (i >= len || s[i] != '{')
		return cf_error_set(CF_EPARSE, "JSON: not an object");
	i++;
	for (;;) {
		size_t ks, ke, vs, ve;

		i = skip_ws(s, len, i);
		if (i >= len || s[i] != '"')
			break;
		ks = i + 1;
		ke = skip_string(s, len, i);
		i = skip_ws(s, len, ke);
		if (i >= len || s[i] != ':')
			break;
		vs = skip_ws(s, len, i + 1);
		ve = skip_value(s, len, vs);
		/* raw comparison: the keys looked up here never need escapes */
		if (ke - 1 - ks == klen && !memcmp(s + ks, key, klen)) {
			*off = vs;
			*vlen = ve - vs;
			return 0;
		}
		i = skip_ws(s, len, ve);
		if (i >= len || s[i] != ',')
			break;
		i++;
	}
	return cf_error_set(CF_ENOTFOUND, "JSON: no member \"%s\"", key);
}

int kube_json_array_next(const char *s, size_t len, size_t *pos, size_t *off, size_t *vlen)
{
	size_t i = skip_ws(s, len, *pos);

	if (i < len && (s[i] == '[' || s[i] == ','))
		i = skip_ws(s, len, i + 1);
	if (i >= len || s[i] == ']')
		return 0;
	*off = i;
	*pos = skip_value(s, len, i);
	*vlen = *pos - i;
	return 1;
}
