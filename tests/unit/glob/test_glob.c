/* Tests Go-compatible path.Match and go-git gitignore pattern lists, including Flux's defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf/error.h"
#include "cf/glob.h"

static int split_tabs(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		if (!(line = strchr(line, '\t')))
			break;
		*line++ = '\0';
	}
	return n;
}

/* Every path.Match answer recorded from Go itself (oracle/). */
static void test_match_against_go(void **state)
{
	FILE *fp = fopen("match_cases.txt", "r");
	char line[256], *f[3];
	int total = 0, failed = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		int rc, want;

		if (line[0] == '#' || split_tabs(line, f, 3) != 3)
			continue;
		want = strcmp(f[2], "bad") == 0 ? CF_EINVALID : atoi(f[2]);
		rc = cf_glob_match(f[0], f[1]);
		total++;
		if (rc != want) {
			failed++;
			fprintf(stderr, "match('%s', '%s') = %d, Go says %s\n", f[0], f[1], rc, f[2]);
		}
	}
	fclose(fp);
	assert_true(total > 3000);
	assert_int_equal(failed, 0);
}

static const char *result_name(cf_glob_result r)
{
	static const char *const names[] = {"none", "exclude", "include"};

	return names[r];
}

static void test_pattern_cases(void **state)
{
	FILE *fp = fopen("pattern_cases.txt", "r");
	char line[512], *f[5];
	int total = 0, failed = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		cf_glob_list *l = NULL;
		cf_glob_result r;

		if (line[0] == '#' || split_tabs(line, f, 5) != 5)
			continue;
		assert_int_equal(cf_glob_list_new(&l), 0);
		assert_int_equal(cf_glob_list_add(l, f[0], strcmp(f[1], "-") ? f[1] : NULL), 0);
		r = cf_glob_list_match(l, f[2], atoi(f[3]) == 1);
		total++;
		if (strcmp(result_name(r), f[4]) != 0) {
			failed++;
			fprintf(stderr, "pattern '%s' on '%s': %s, want %s\n", f[0], f[2],
				result_name(r), f[4]);
		}
		cf_glob_list_free(l);
	}
	fclose(fp);
	assert_true(total > 40);
	assert_int_equal(failed, 0);
}

static void test_last_match_wins(void **state)
{
	static const char text[] = "# comment\n*.yaml\n\n!keep.yaml\r\n   \nsecret/\n";
	cf_glob_list *l = NULL;

	assert_int_equal(cf_glob_list_new(&l), 0);
	assert_int_equal(cf_glob_list_add_lines(l, text, sizeof(text) - 1, NULL), 0);
	assert_int_equal(cf_glob_list_count(l), 3);
	assert_true(cf_glob_list_excluded(l, "deploy/app.yaml", false));
	assert_int_equal(cf_glob_list_match(l, "deploy/keep.yaml", false), CF_GLOB_INCLUDE);
	assert_false(cf_glob_list_excluded(l, "deploy/keep.yaml", false));
	assert_true(cf_glob_list_excluded(l, "secret", true));
	assert_true(cf_glob_list_excluded(l, "a/secret/x.txt", false));
	assert_false(cf_glob_list_excluded(l, "secret", false));
	assert_int_equal(cf_glob_list_match(l, "README.md", false), CF_GLOB_NONE);
	/* Escaped trailing space is part of the name; plain trailing spaces are not. */
	assert_int_equal(cf_glob_list_add(l, "name\\ ", NULL), 0);
	assert_int_equal(cf_glob_list_add(l, "other  ", NULL), 0);
	assert_true(cf_glob_list_excluded(l, "name ", false));
	assert_true(cf_glob_list_excluded(l, "other", false));
	/* Patterns from a nested .sourceignore only apply below their directory. */
	assert_int_equal(cf_glob_list_add(l, "*.txt", "sub/dir"), 0);
	assert_true(cf_glob_list_excluded(l, "sub/dir/a.txt", false));
	assert_false(cf_glob_list_excluded(l, "sub/a.txt", false));
	cf_glob_list_free(l);
	cf_glob_list_free(NULL);
}

static void test_flux_defaults(void **state)
{
	cf_glob_list *l = NULL, *user = NULL;

	assert_int_equal(cf_glob_list_new_flux(&l, NULL), 0);
	assert_true(cf_glob_list_excluded(l, ".git", true));
	assert_true(cf_glob_list_excluded(l, ".git/config", false));
	assert_true(cf_glob_list_excluded(l, "sub/.gitignore", false));
	assert_true(cf_glob_list_excluded(l, "img/logo.png", false));
	assert_true(cf_glob_list_excluded(l, "release.tar.gz", false));
	assert_true(cf_glob_list_excluded(l, ".github/workflows/ci.yaml", false));
	assert_true(cf_glob_list_excluded(l, "apps/.sops.yaml", false));
	assert_true(cf_glob_list_excluded(l, ".sops.yaml", false));
	assert_true(cf_glob_list_excluded(l, "codeship-steps.yml", false));
	assert_false(cf_glob_list_excluded(l, "apps/deploy.yaml", false));
	/* .git as a file (a submodule link) is kept: ".git/" only matches directories. */
	assert_false(cf_glob_list_excluded(l, "mod/.git", false));
	cf_glob_list_free(l);

	/* User rules replace every default except the VCS ones. */
	assert_int_equal(cf_glob_list_new(&user), 0);
	assert_int_equal(cf_glob_list_add_lines(user, "/*\n!/deploy\n", 12, NULL), 0);
	assert_int_equal(cf_glob_list_new_flux(&l, user), 0);
	assert_int_equal(cf_glob_list_count(l), 4 + 2);
	assert_true(cf_glob_list_excluded(l, "README.md", false));
	assert_false(cf_glob_list_excluded(l, "deploy/logo.png", false));
	assert_true(cf_glob_list_excluded(l, ".git", true));
	/* go-git: "!/deploy" re-includes everything below deploy/, VCS rules included. */
	assert_false(cf_glob_list_excluded(l, "deploy/.git", true));
	cf_glob_list_free(l);
	cf_glob_list_free(user);
}

static void test_limits(void **state)
{
	char *big = malloc(CF_GLOB_MAX_PATTERN_LEN + 2);
	cf_glob_list *l = NULL;
	int i, rc = 0;

	memset(big, 'a', CF_GLOB_MAX_PATTERN_LEN + 1);
	big[CF_GLOB_MAX_PATTERN_LEN + 1] = '\0';
	assert_int_equal(cf_glob_list_new(&l), 0);
	assert_int_equal(cf_glob_list_add(l, big, NULL), CF_ELIMIT);
	for (i = 0; i <= CF_GLOB_MAX_PATTERNS && rc == 0; i++)
		rc = cf_glob_list_add(l, "x", NULL);
	assert_int_equal(rc, CF_ELIMIT);
	cf_glob_list_free(l);
	/* A pattern made of 300 elements is refused rather than truncated. */
	big[0] = '\0';
	for (i = 0; i < 300; i++)
		strcat(big, "a/");
	assert_int_equal(cf_glob_list_new(&l), 0);
	assert_int_equal(cf_glob_list_add(l, big, NULL), CF_ELIMIT);
	cf_glob_list_free(l);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_against_go),
		cmocka_unit_test(test_pattern_cases),
		cmocka_unit_test(test_last_match_wins),
		cmocka_unit_test(test_flux_defaults),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
