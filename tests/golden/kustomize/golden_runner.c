/*
 * Golden test: builds every case under cases/ with the kustomize engine and compares the result
 * byte for byte with the output of the real `kubectl kustomize` (expected.yaml), or, for error
 * cases, checks that our error message contains the case's key phrase. Cases listed in
 * known-failures.txt are reported but do not fail the run.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "cf/kustomize.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must name tests/golden/kustomize"
#endif

typedef struct {
	char name[256];
	int known_failure;
} golden_case;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1))) {
		size_t got = fread(buf, 1, (size_t)n, f);
		buf[got] = '\0';
	}
	fclose(f);
	return buf;
}

static void trim_newlines(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static void show_diff(const char *expected_path, const char *actual)
{
	char tmp[] = "/tmp/kz-golden-XXXXXX";
	int fd = mkstemp(tmp);
	char cmd[1024];

	if (fd < 0)
		return;
	if (write(fd, actual, strlen(actual)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "diff -u '%s' '%s' | head -60 >&2", expected_path, tmp);
	if (system(cmd) < 0)
		fprintf(stderr, "(diff failed)\n");
	unlink(tmp);
}

/* Returns 1 when the case passes; prints why not otherwise. */
static int run_case(const char *name)
{
	char dir[1024], path[1100], build_dir[1400];
	char *expected = NULL, *phrase = NULL, *out = NULL, *sub = NULL;
	int ok = 0, err;

	snprintf(dir, sizeof(dir), "%s/cases/%s", GOLDEN_DIR, name);
	snprintf(path, sizeof(path), "%s/dir", dir);
	if ((sub = slurp(path)))
		trim_newlines(sub);
	snprintf(build_dir, sizeof(build_dir), "%s/%s", dir, sub ? sub : "in");
	err = cf_kustomize_build_dir(&out, build_dir, NULL);

	snprintf(path, sizeof(path), "%s/expected.yaml", dir);
	if ((expected = slurp(path))) {
		if (err < 0) {
			fprintf(stderr, "[%s] build failed: %s\n", name, cf_error_last());
			goto done;
		}
		trim_newlines(expected);
		trim_newlines(out);
		ok = strcmp(expected, out) == 0;
		if (!ok) {
			fprintf(stderr, "[%s] output differs from kubectl kustomize:\n", name);
			show_diff(path, out);
		}
		goto done;
	}
	snprintf(path, sizeof(path), "%s/phrase", dir);
	if (!(phrase = slurp(path))) {
		fprintf(stderr, "[%s] has neither expected.yaml nor phrase\n", name);
		goto done;
	}
	if (err == 0) {
		fprintf(stderr, "[%s] built, but kubectl kustomize fails with '%s'\n", name, phrase);
		goto done;
	}
	ok = strstr(cf_error_last(), phrase) != NULL;
	if (!ok)
		fprintf(stderr, "[%s] error lacks '%s':\n  %s\n", name, phrase, cf_error_last());
done:
	free(expected);
	free(phrase);
	free(out);
	free(sub);
	return ok;
}

static void test_case(void **state)
{
	golden_case *c = *state;
	int ok = run_case(c->name);

	if (c->known_failure) {
		if (ok)
			fprintf(stderr, "[%s] passes now: remove it from known-failures.txt\n", c->name);
		else
			fprintf(stderr, "[%s] known failure\n", c->name);
		return;
	}
	assert_true(ok);
}

static int is_known_failure(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p = nl ? nl + 1 : p + len;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const golden_case *)a)->name, ((const golden_case *)b)->name);
}

int main(int argc, char **argv)
{
	char path[1024];
	DIR *d;
	struct dirent *e;
	golden_case *cases = NULL;
	struct CMUnitTest *tests = NULL;
	size_t n = 0, cap = 0;
	char *known;
	int rc;

	snprintf(path, sizeof(path), "%s/known-failures.txt", GOLDEN_DIR);
	known = slurp(path);
	snprintf(path, sizeof(path), "%s/cases", GOLDEN_DIR);
	if (!(d = opendir(path))) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (argc > 1 && !strstr(e->d_name, argv[1]))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 128;
			cases = realloc(cases, cap * sizeof(*cases));
			if (!cases)
				return 1;
		}
		snprintf(cases[n].name, sizeof(cases[n].name), "%s", e->d_name);
		cases[n].known_failure = is_known_failure(known, e->d_name);
		n++;
	}
	closedir(d);
	qsort(cases, n, sizeof(*cases), by_name);
	tests = calloc(n ? n : 1, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = &cases[i];
	}
	rc = _cmocka_run_group_tests("kustomize_golden", tests, n, NULL, NULL);
	free(tests);
	free(cases);
	free(known);
	return rc;
}
