/* Parses golden case files (see golden.h). */
#include "golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *join(char **lines, size_t n)
{
	size_t len = 0, i;
	char *s, *p;
	for (i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	s = p = malloc(len + 1);
	if (!s)
		abort();
	for (i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		memcpy(p, lines[i], l);
		p += l;
		if (i + 1 < n)
			*p++ = '\n';
	}
	*p = '\0';
	return s;
}

int golden_load(const char *path, golden_case **out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **buf = NULL, section[32] = "";
	size_t cap = 0, nbuf = 0, capbuf = 0;
	ssize_t got;
	golden_case *cases = NULL, *cur = NULL;
	int n = 0;
	if (!f)
		return -1;
	for (;;) {
		got = getline(&line, &cap, f);
		if (got < 0 || !strncmp(line, "### ", 4) || !strncmp(line, "--- ", 4)) {
			if (cur && section[0]) {
				char *text = join(buf, nbuf);
				if (!strcmp(section, "template"))
					cur->tmpl = text;
				else if (!strcmp(section, "values"))
					cur->values = text;
				else if (!strcmp(section, "defines"))
					cur->defines = text;
				else {
					cur->expect = text;
					cur->is_error = !strcmp(section, "error");
				}
			}
			while (nbuf)
				free(buf[--nbuf]);
			if (got < 0)
				break;
			if (line[got - 1] == '\n')
				line[--got] = '\0';
			if (!strncmp(line, "### ", 4)) {
				cases = realloc(cases, (size_t)(n + 1) * sizeof(*cases));
				cur = &cases[n++];
				memset(cur, 0, sizeof(*cur));
				cur->name = strdup(line + 4);
				section[0] = '\0';
			} else {
				snprintf(section, sizeof(section), "%s", line + 4);
			}
			continue;
		}
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (nbuf == capbuf) {
			capbuf = capbuf ? capbuf * 2 : 16;
			buf = realloc(buf, capbuf * sizeof(char *));
		}
		buf[nbuf++] = strdup(line);
	}
	free(buf);
	free(line);
	fclose(f);
	*out = cases;
	return n;
}

void golden_free(golden_case *cases, int n)
{
	int i;
	for (i = 0; i < n; i++) {
		free(cases[i].name);
		free(cases[i].tmpl);
		free(cases[i].values);
		free(cases[i].defines);
		free(cases[i].expect);
	}
	free(cases);
}
