/*
 * Output as kubectl kustomize prints it. kustomize turns each object into JSON (Go's
 * encoding/json: timestamps become RFC 3339 strings, map keys sorted) and that JSON into YAML with
 * sigs.k8s.io/yaml (go-yaml v2), so the printed form is the YAMLV2 dialect of that round trip.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

/* Reads n digits at *p; -1 when fewer. */
static int digits(const char **p, int min, int max, long *out)
{
	long v = 0;
	int n = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n >= min ? 0 : -1;
}

/*
 * yaml.v3 timestamp text ("2006-1-2", "2006-1-2T15:4:5.9Z07:00", "2006-1-2 15:4:5.9") to the
 * RFC 3339 text Go's time.Time marshals to (fraction without trailing zeros, Z for UTC).
 */
static int timestamp_rfc3339(char *out, size_t n, const char *s)
{
	long y, mo, d, h = 0, mi = 0, sec = 0;
	char frac[16] = "", zone[16] = "Z";
	const char *p = s;

	if (digits(&p, 4, 4, &y) || *p++ != '-' || digits(&p, 1, 2, &mo) || *p++ != '-' ||
	    digits(&p, 1, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ' || *p == '\t') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 'T' || *p == 't')
			p++;
		if (digits(&p, 1, 2, &h) || *p++ != ':' || digits(&p, 1, 2, &mi) || *p++ != ':' ||
		    digits(&p, 1, 2, &sec))
			return -1;
		if (*p == '.') {
			size_t fl = 0;
			p++;
			while (isdigit((unsigned char)*p) && fl < 9)
				frac[fl++] = *p++;
			while (isdigit((unsigned char)*p))
				p++;
			while (fl && frac[fl - 1] == '0')
				fl--;
			frac[fl] = '\0';
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			char sign = *p++;
			long zh, zm = 0;
			if (digits(&p, 1, 2, &zh))
				return -1;
			if (*p == ':') {
				p++;
				if (digits(&p, 2, 2, &zm))
					return -1;
			}
			if (zh || zm)
				snprintf(zone, sizeof(zone), "%c%02ld:%02ld", sign, zh, zm);
		}
	}
	if (*p)
		return -1;
	snprintf(out, n, "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld%s%s%s", y, mo, d, h, mi, sec,
	         *frac ? "." : "", frac, zone);
	return 0;
}

static int convert_timestamps(cf_doc *node)
{
	int err = 0;

	switch (cf_doc_type_of(node)) {
	case CF_DOC_SEQ:
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = convert_timestamps(cf_doc_item(node, i));
		return err;
	case CF_DOC_MAP:
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = convert_timestamps(cf_doc_value(node, i));
		return err;
	case CF_DOC_STR:
		if (cf_doc_is_timestamp(node)) {
			char buf[64];
			if (timestamp_rfc3339(buf, sizeof(buf), cf_doc_text(node)) == 0)
				return cf_doc_set_str(node, buf);
		}
		return 0;
	default:
		return 0;
	}
}

/* kustomize removes metadata.annotations when nothing but its own annotations were there. */
static void drop_empty_annotations(cf_doc *obj)
{
	cf_doc *meta = cf_doc_get(obj, "metadata");
	cf_doc *ann = cf_doc_get(meta, "annotations");

	if (ann && (cf_doc_type_of(ann) == CF_DOC_NULL ||
	            (cf_doc_type_of(ann) == CF_DOC_MAP && cf_doc_len(ann) == 0)))
		cf_doc_map_remove(meta, "annotations");
}

int kz_output_object(cf_doc **out, const cf_doc *obj)
{
	cf_doc *copy = NULL, *round = NULL;
	char *json = NULL;
	size_t len = 0;
	cf_doc_json_opts jo = {.sort_keys = 1, .escape_html = 1};
	cf_doc_load_opts lo = {.schema = CF_DOC_JSON};
	int err;

	if ((err = cf_doc_clone(&copy, obj)) < 0)
		goto done;
	drop_empty_annotations(copy);
	if ((err = convert_timestamps(copy)) < 0)
		goto done;
	if ((err = cf_doc_emit_json(&json, &len, copy, &jo)) < 0)
		goto done;
	if ((err = cf_doc_load_json(&round, json, len, &lo)) < 0)
		goto done;
	*out = round;
	round = NULL;
done:
	cf_doc_free(copy);
	cf_doc_free(round);
	free(json);
	return err;
}

int cf_kustomize_emit(char **out_yaml, const cf_doc *list)
{
	cf_doc_yaml_opts yo = {.dialect = CF_DOC_EMIT_YAMLV2, .sort_keys = 1};
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list); i++) {
		char *doc = NULL;
		size_t dl = 0;
		if ((err = cf_doc_emit_yaml(&doc, &dl, cf_doc_item(list, i), &yo)) < 0)
			break;
		size_t need = len + dl + 8;
		if (need > cap) {
			size_t nc = cap ? cap * 2 : 4096;
			while (nc < need)
				nc *= 2;
			char *nb = realloc(buf, nc);
			if (!nb) {
				free(doc);
				err = cf_error_set(CF_ENOMEM, "out of memory");
				break;
			}
			buf = nb;
			cap = nc;
		}
		if (i > 0) {
			memcpy(buf + len, "---\n", 4);
			len += 4;
		}
		memcpy(buf + len, doc, dl);
		len += dl;
		free(doc);
	}
	if (err == 0 && !buf && !(buf = calloc(1, 1)))
		err = cf_error_set(CF_ENOMEM, "out of memory");
	if (err < 0) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out_yaml = buf;
	return 0;
}
