/* Patch and replacement target selectors: anchored regexes on the id, label/annotation selectors. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

int kz_regex_match(const char *pattern, const char *s)
{
	char *anchored = kz_asprintf("^(?:%s)$", pattern);
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	pcre2_match_context *mc = NULL;
	int errcode, rc = 0;
	PCRE2_SIZE erroff;

	if (!anchored)
		return cf_error_set(CF_ENOMEM, "out of memory");
	re = pcre2_compile((PCRE2_SPTR)anchored, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_NO_UTF_CHECK,
	                   &errcode, &erroff, NULL);
	if (!re) {
		rc = cf_error_set(CF_EINVALID, "invalid regular expression '%s'", pattern);
		goto done;
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	mc = pcre2_match_context_create(NULL);
	if (!md || !mc) {
		rc = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	pcre2_set_match_limit(mc, 1000000);
	pcre2_set_depth_limit(mc, 10000);
	rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, mc) >= 0;
done:
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	free(anchored);
	return rc;
}

static int field_matches(const cf_doc *sel, const char *key, const char *value)
{
	const char *pat = kz_scalar(cf_doc_get(sel, key));
	if (!pat || !*pat)
		return 1;
	return kz_regex_match(pat, value);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Copies a label key or value token (letters, digits, -_./) into buf. */
static const char *token(const char *p, char *buf, size_t n)
{
	size_t len = 0;
	p = skip_ws(p);
	while (*p && !strchr(" \t,=!()", *p)) {
		if (len + 1 < n)
			buf[len++] = *p;
		p++;
	}
	buf[len] = '\0';
	return skip_ws(p);
}

static int value_in_set(const char *v, const char *set_start, const char *set_end)
{
	const char *p = set_start;
	char tok[256];

	while (p < set_end) {
		p = token(p, tok, sizeof(tok));
		if (v && strcmp(tok, v) == 0)
			return 1;
		if (*p == ',')
			p++;
		else
			break;
	}
	return 0;
}

/* One requirement of a label selector; *pp advances past it. */
static int requirement(const char **pp, const cf_doc *labels, const char *sel)
{
	const char *p = skip_ws(*pp);
	char key[256], val[256];
	int negate = 0, rc;

	if (*p == '!') {
		negate = 1;
		p++;
	}
	p = token(p, key, sizeof(key));
	if (!*key)
		return cf_error_set(CF_EINVALID, "invalid label selector '%s'", sel);
	const char *have = kz_scalar(cf_doc_get(labels, key));
	if (negate) {
		rc = have == NULL;
	} else if (p[0] == '=' || (p[0] == '!' && p[1] == '=')) {
		int ne = p[0] == '!';
		p += (p[0] == '=' && p[1] == '=') || ne ? 2 : 1;
		p = token(p, val, sizeof(val));
		rc = ne ? (!have || strcmp(have, val) != 0) : (have && strcmp(have, val) == 0);
	} else if (strncmp(p, "in", 2) == 0 || strncmp(p, "notin", 5) == 0) {
		int notin = p[0] == 'n';
		p = skip_ws(p + (notin ? 5 : 2));
		const char *close = *p == '(' ? strchr(p, ')') : NULL;
		if (!close)
			return cf_error_set(CF_EINVALID, "invalid label selector '%s'", sel);
		int in = value_in_set(have, p + 1, close);
		rc = notin ? (!have || !in) : in;
		p = skip_ws(close + 1);
	} else {
		rc = have != NULL;
	}
	*pp = p;
	return rc;
}

int kz_label_selector_match(const char *sel, const cf_doc *labels)
{
	const char *p = sel;
	int all = 1;

	while (*skip_ws(p)) {
		int rc = requirement(&p, labels, sel);
		if (rc < 0)
			return rc;
		all = all && rc;
		p = skip_ws(p);
		if (*p == ',')
			p++;
		else if (*p)
			return cf_error_set(CF_EINVALID, "invalid label selector '%s'", sel);
	}
	return all;
}

static int any_name_matches(const cf_doc *sel, const kz_res *r)
{
	int rc = field_matches(sel, "name", kz_res_name(r));
	for (size_t i = 0; rc == 0 && i < r->n_ids; i++)
		rc = field_matches(sel, "name", r->ids[i].name);
	return rc;
}

static int ns_matches(const cf_doc *sel, const char *ns)
{
	int rc = field_matches(sel, "namespace", ns);
	if (rc == 0 && !*ns)
		rc = field_matches(sel, "namespace", "default");
	return rc;
}

static int any_ns_matches(const cf_doc *sel, const kz_res *r)
{
	int rc = ns_matches(sel, kz_res_ns(r));
	for (size_t i = 0; rc == 0 && i < r->n_ids; i++)
		rc = ns_matches(sel, r->ids[i].ns);
	return rc;
}

int kz_selector_match(const cf_doc *sel, const kz_res *r)
{
	char group[256], version[256];
	const char *ls, *as;
	int rc;

	kz_res_gv(r, group, version, sizeof(group));
	if ((rc = any_ns_matches(sel, r)) <= 0 || (rc = any_name_matches(sel, r)) <= 0 ||
	    (rc = field_matches(sel, "group", group)) <= 0 ||
	    (rc = field_matches(sel, "version", version)) <= 0 ||
	    (rc = field_matches(sel, "kind", kz_res_kind(r))) <= 0)
		return rc;
	cf_doc *meta = cf_doc_get(r->obj, "metadata");
	ls = kz_scalar(cf_doc_get(sel, "labelSelector"));
	if (ls && *ls && (rc = kz_label_selector_match(ls, cf_doc_get(meta, "labels"))) <= 0)
		return rc;
	as = kz_scalar(cf_doc_get(sel, "annotationSelector"));
	if (as && *as && (rc = kz_label_selector_match(as, cf_doc_get(meta, "annotations"))) <= 0)
		return rc;
	return 1;
}
