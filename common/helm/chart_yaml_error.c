/*
 * Rewrites a YAML error of the doc loader ("<file>:<line>:<col>: <problem>") the way go-yaml v2
 * words it inside Helm's messages ("yaml: line <n>: <problem>"): parser errors count lines from
 * 0, scanner errors from 1, and a problem on go-yaml's line 0 has no line at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "internal.h"

/* Parser problems of libyaml; every other problem comes from its scanner. */
static const char *const parser_problems[] = {
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected key", "did not find expected '-' indicator",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found undefined tag handle", "found duplicate %YAML directive",
	"found incompatible YAML document", "found duplicate %TAG directive",
};

char *chart_yaml_error(const char *msg, const char *filename)
{
	size_t fl = filename ? strlen(filename) : 0;
	const char *p = msg, *problem;
	char *end, *out;
	long line;
	int parser = 0;
	size_t n;

	if (fl && !strncmp(p, filename, fl) && p[fl] == ':')
		p += fl + 1;
	line = strtol(p, &end, 10);
	if (end == p || *end != ':')
		return strdup(msg);
	strtol(end + 1, &end, 10);
	if (*end != ':' || end[1] != ' ')
		return strdup(msg);
	problem = end + 2;
	for (size_t i = 0; i < sizeof(parser_problems) / sizeof(parser_problems[0]); i++)
		parser |= !strcmp(problem, parser_problems[i]);
	/* go-yaml keeps libyaml's 0-based mark and adds one for scanner errors unless it is 0. */
	if (line - 1 != 0)
		line = parser ? line - 1 : line;
	else
		line = 0;
	n = strlen(problem) + 32;
	if (!(out = malloc(n)))
		return NULL;
	if (line)
		snprintf(out, n, "yaml: line %ld: %s", line, problem);
	else
		snprintf(out, n, "yaml: %s", problem);
	return out;
}
