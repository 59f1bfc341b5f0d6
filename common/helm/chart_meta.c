/*
 * Chart.yaml as Helm reads it into chart.Metadata: sigs.k8s.io/yaml turns a non-string scalar
 * in a string field into Go's text of the value ("off" -> "false", 1.0 -> "1", 010 -> "8").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "internal.h"

#ifdef CF_HELM_HAVE_SEMVER
#include "cf/semver.h"
#endif

/* strconv.FormatFloat(f, 'g', -1, 32): the shortest digits that read back as the same float32. */
static void format_float32(char *buf, size_t size, double d)
{
	float f = (float)d;
	char tmp[64], mant[32];
	int prec, exp, nd = 0;
	char *e;

	if (isinf(f) || isnan(f)) {
		snprintf(buf, size, "%s", isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 0; prec < 9; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, (double)f);
		if ((float)strtod(tmp, NULL) == f)
			break;
	}
	/* tmp is "-d.ddde+XX": split digits and exponent. */
	e = strchr(tmp, 'e');
	exp = atoi(e + 1);
	for (const char *p = tmp; p < e; p++)
		if (*p >= '0' && *p <= '9' && nd < (int)sizeof(mant) - 1)
			mant[nd++] = *p;
	while (nd > 1 && mant[nd - 1] == '0')
		nd--;
	mant[nd] = '\0';
	if (f == 0) {
		snprintf(buf, size, "%s0", signbit(f) ? "-" : "");
		return;
	}
	if (exp < -4 || exp >= 6) {
		snprintf(buf, size, "%s%c%s%s%se%c%02d", f < 0 ? "-" : "", mant[0], nd > 1 ? "." : "",
		         mant + 1, "", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	hbuf b;
	hbuf_init(&b, 0);
	if (f < 0)
		hbuf_putc(&b, '-');
	if (exp < 0) {
		hbuf_puts(&b, "0.");
		for (int i = -1; i > exp; i--)
			hbuf_putc(&b, '0');
		hbuf_puts(&b, mant);
	} else {
		for (int i = 0; i <= exp || i < nd; i++) {
			if (i == exp + 1)
				hbuf_putc(&b, '.');
			hbuf_putc(&b, i < nd ? mant[i] : '0');
		}
	}
	snprintf(buf, size, "%s", b.p ? b.p : "0");
	hbuf_free(&b);
}

/* Turns a non-string scalar into the string Go would hold; nulls and collections stay. */
static int to_go_string(cf_doc *n)
{
	char buf[64];
	switch (cf_doc_type_of(n)) {
	case CF_DOC_BOOL:
		return cf_doc_set_str(n, cf_doc_bool(n) ? "true" : "false");
	case CF_DOC_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)cf_doc_int(n));
		return cf_doc_set_str(n, buf);
	case CF_DOC_FLOAT:
		format_float32(buf, sizeof(buf), cf_doc_float(n));
		return cf_doc_set_str(n, buf);
	default:
		return 0;
	}
}

static int fields_to_string(cf_doc *map, const char *const *keys)
{
	int err = 0;
	if (!map || cf_doc_type_of(map) != CF_DOC_MAP)
		return 0;
	for (size_t i = 0; err == 0 && keys[i]; i++) {
		cf_doc *v = cf_doc_get(map, keys[i]);
		if (v)
			err = to_go_string(v);
	}
	return err;
}

static int items_to_string(cf_doc *seq)
{
	int err = 0;
	if (!seq || cf_doc_type_of(seq) != CF_DOC_SEQ)
		return 0;
	for (size_t i = 0; err == 0 && i < cf_doc_len(seq); i++)
		err = to_go_string(cf_doc_item(seq, i));
	return err;
}

int chart_meta_normalize(cf_doc *meta)
{
	static const char *const meta_str[] = {
		"name", "home", "version", "description", "icon", "apiVersion", "condition", "tags",
		"appVersion", "kubeVersion", "type", NULL,
	};
	static const char *const maint_str[] = { "name", "email", "url", NULL };
	static const char *const dep_str[] = {
		"name", "version", "repository", "condition", "alias", NULL,
	};
	cf_doc *v;
	int err = fields_to_string(meta, meta_str);

	if (err == 0)
		err = items_to_string(cf_doc_get(meta, "sources"));
	if (err == 0)
		err = items_to_string(cf_doc_get(meta, "keywords"));
	if (err == 0 && (v = cf_doc_get(meta, "annotations")) && cf_doc_type_of(v) == CF_DOC_MAP)
		for (size_t i = 0; err == 0 && i < cf_doc_len(v); i++)
			err = to_go_string(cf_doc_value(v, i));
	if (err == 0 && (v = cf_doc_get(meta, "maintainers")) && cf_doc_type_of(v) == CF_DOC_SEQ)
		for (size_t i = 0; err == 0 && i < cf_doc_len(v); i++)
			err = fields_to_string(cf_doc_item(v, i), maint_str);
	if (err == 0 && (v = cf_doc_get(meta, "dependencies")) && cf_doc_type_of(v) == CF_DOC_SEQ)
		for (size_t i = 0; err == 0 && i < cf_doc_len(v); i++) {
			cf_doc *d = cf_doc_item(v, i);
			err = fields_to_string(d, dep_str);
			if (err == 0 && cf_doc_type_of(d) == CF_DOC_MAP)
				err = items_to_string(cf_doc_get(d, "tags"));
		}
	return err;
}

static int valid_semver(const char *v)
{
#ifdef CF_HELM_HAVE_SEMVER
	cf_semver *sv = NULL;
	int ok = cf_semver_parse(&sv, v, 0) == 0;
	cf_semver_free(sv);
	return ok;
#else
	return *v != '\0';
#endif
}

static const char *field(const cf_doc *m, const char *key)
{
	const char *s = cf_doc_get_str(m, key);
	return s ? s : "";
}

static int invalid(const char *fmt, const char *arg)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), fmt, arg);
	return cf_error_set(CF_EINVALID, "validation: %s", msg);
}

/* Dependencies: no null entries, aliases of [a-zA-Z0-9_-] only, no name or alias twice. */
static int validate_deps(const cf_doc *deps)
{
	for (size_t i = 0; deps && cf_doc_type_of(deps) == CF_DOC_SEQ && i < cf_doc_len(deps); i++) {
		const cf_doc *d = cf_doc_item(deps, i);
		const char *alias, *key;
		if (cf_doc_type_of(d) != CF_DOC_MAP)
			return invalid("%sdependencies must not contain empty or null nodes", "");
		alias = field(d, "alias");
		if (*alias && strspn(alias, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                            "0123456789_-") != strlen(alias))
			return invalid("dependency \"%s\" has disallowed characters in the alias",
			               field(d, "name"));
		key = *alias ? alias : field(d, "name");
		for (size_t j = 0; j < i; j++) {
			const cf_doc *o = cf_doc_item(deps, j);
			const char *ok = *field(o, "alias") ? field(o, "alias") : field(o, "name");
			if (!strcmp(ok, key))
				return invalid("more than one dependency with name or alias \"%s\"", key);
		}
	}
	return 0;
}

int chart_meta_validate(const cf_doc *meta)
{
	const char *name = field(meta, "name"), *version = field(meta, "version");
	const char *type = field(meta, "type"), *base = strrchr(name, '/');
	const cf_doc *maint = cf_doc_get(meta, "maintainers");

	if (!*field(meta, "apiVersion"))
		return invalid("chart.metadata.apiVersion is required%s", "");
	if (!*name)
		return invalid("chart.metadata.name is required%s", "");
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return invalid("chart.metadata.name \"%s\" is not allowed", name);
	/* filepath.Base(name) must be the name itself. */
	if (base)
		return invalid("chart.metadata.name \"%s\" is invalid", name);
	if (!*version)
		return invalid("chart.metadata.version is required%s", "");
	if (!valid_semver(version))
		return invalid("chart.metadata.version \"%s\" is invalid", version);
	if (*type && strcmp(type, "application") != 0 && strcmp(type, "library") != 0)
		return invalid("chart.metadata.type must be application or library%s", "");
	for (size_t i = 0; maint && cf_doc_type_of(maint) == CF_DOC_SEQ && i < cf_doc_len(maint); i++)
		if (cf_doc_type_of(cf_doc_item(maint, i)) != CF_DOC_MAP)
			return invalid("maintainers must not contain empty or null nodes%s", "");
	return validate_deps(cf_doc_get(meta, "dependencies"));
}
