/* Helm's .helmignore rules (pkg/ignore), which decide what of a chart directory is packaged. */
#define _GNU_SOURCE
#include "helmsource.h"
#include "helmfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cf/glob.h"

typedef struct {
	char *pattern;
	int negate, must_dir, whole_path;
} rule;

struct sc_helm_ignore {
	rule *rules;
	size_t n, cap;
};

static int add_rule(sc_helm_ignore *ig, const char *line, size_t len)
{
	rule r = {0};

	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (!len || *line == '#')
		return 0;
	if (*line == '!') {
		r.negate = 1;
		line++;
		len--;
	}
	if (len && line[len - 1] == '/') {
		r.must_dir = 1;
		len--;
	}
	if (!len)
		return 0;
	if (memmem(line, len, "**", 2))
		return cf_error_set(CF_EINVALID, ".helmignore: double-star (**) syntax is not supported");
	/* A leading "/" anchors to the chart root: a whole-path match, like one containing "/". */
	r.whole_path = memchr(line, '/', len) != NULL;
	if (*line == '/') {
		line++;
		len--;
	}
	if (ig->n == ig->cap) {
		size_t cap = ig->cap ? ig->cap * 2 : 8;
		rule *n = realloc(ig->rules, cap * sizeof(*n));
		if (!n)
			return CF_ENOMEM;
		ig->rules = n;
		ig->cap = cap;
	}
	if (!(r.pattern = strndup(line, len)))
		return CF_ENOMEM;
	ig->rules[ig->n++] = r;
	return 0;
}

int sc_helm_ignore_add(sc_helm_ignore *ig, const char *text)
{
	int err;

	while (*text) {
		size_t n = strcspn(text, "\n");
		if ((err = add_rule(ig, text, n)) < 0)
			return err;
		text += n;
		if (*text)
			text++;
	}
	return 0;
}

int sc_helm_ignore_load(sc_helm_ignore **out, const char *chart_dir)
{
	sc_helm_ignore *ig = calloc(1, sizeof(*ig));
	char path[4200], *text = NULL;
	size_t len;
	int err;

	if (!ig)
		return CF_ENOMEM;
	snprintf(path, sizeof(path), "%s/.helmignore", chart_dir);
	err = sc_helm_read_file(&text, &len, path, SC_HELM_DEFAULT_MAX_FILE);
	if (err == 0)
		err = sc_helm_ignore_add(ig, text);
	else if (err == CF_ENOTFOUND)
		err = 0;
	/* Helm's AddDefaults: dot files in templates/ never reach the engine. */
	if (err == 0)
		err = sc_helm_ignore_add(ig, "templates/.?*");
	free(text);
	if (err < 0) {
		sc_helm_ignore_free(ig);
		return err;
	}
	*out = ig;
	return 0;
}

void sc_helm_ignore_free(sc_helm_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		free(ig->rules[i].pattern);
	free(ig->rules);
	free(ig);
}

static int rule_match(const rule *r, const char *relpath)
{
	const char *base = strrchr(relpath, '/');
	return cf_glob_match(r->pattern, r->whole_path ? relpath : base ? base + 1 : relpath) == 1;
}

/* Helm's Rules.Ignore, including its treatment of negated rules. */
int sc_helm_ignore_match(const sc_helm_ignore *ig, const char *relpath, int is_dir)
{
	if (!*relpath || strcmp(relpath, ".") == 0 || strcmp(relpath, "./") == 0)
		return 0;
	for (size_t i = 0; i < ig->n; i++) {
		const rule *r = &ig->rules[i];
		if (r->negate) {
			if (r->must_dir && !is_dir)
				return 1;
			if (!rule_match(r, relpath))
				return 1;
			continue;
		}
		if (r->must_dir && !is_dir)
			continue;
		if (rule_match(r, relpath))
			return 1;
	}
	return 0;
}
