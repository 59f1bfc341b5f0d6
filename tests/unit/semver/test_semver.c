/* Tests semver parsing, ordering, constraints and selection against Masterminds' own cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf/error.h"
#include "cf/semver.h"

/* Turns the two-character sequence "\n" of the fixture into a newline. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

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

static int run_case(char **f, int n)
{
	cf_semver *a = NULL, *b = NULL;
	cf_semver_constraint *c = NULL;
	char buf[256];
	int ok = 1, rc;

	switch (f[0][0]) {
	case 'V':
	case 'S':
		unescape(f[1]);
		rc = cf_semver_parse(&a, f[1], f[0][0] == 'S' ? CF_SEMVER_STRICT : 0);
		ok = (rc == 0) == (strcmp(f[2], "ok") == 0);
		break;
	case 'F':
		ok = cf_semver_parse(&a, f[1], 0) == 0 && cf_semver_format(a, buf, sizeof(buf)) &&
		     strcmp(buf, f[2]) == 0;
		break;
	case 'P':
		ok = cf_semver_parse(&a, f[1], 0) == 0 && cf_semver_parse(&b, f[2], 0) == 0 &&
		     cf_semver_compare(a, b) == atoi(f[3]) && cf_semver_compare(b, a) == -atoi(f[3]);
		break;
	case 'N':
		rc = cf_semver_constraint_parse(&c, n > 1 ? f[1] : "");
		ok = (rc == 0) == (strcmp(f[2], "ok") == 0);
		break;
	case 'C':
		rc = cf_semver_constraint_parse(&c, f[1]) == 0 && cf_semver_parse(&a, f[2], 0) == 0;
		if (strcmp(f[3], "ERR") == 0)
			ok = !rc;
		else
			ok = rc && cf_semver_constraint_check(c, a) == (atoi(f[3]) == 1);
		break;
	default:
		ok = 0;
	}
	cf_semver_free(a);
	cf_semver_free(b);
	cf_semver_constraint_free(c);
	return ok;
}

static int run_file(const char *name, int *total)
{
	FILE *fp = fopen(name, "r");
	char line[512], copy[512], *f[4];
	int failed = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		int n;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		memcpy(copy, line, sizeof(copy));
		n = split_tabs(line, f, 4);
		(*total)++;
		if (!run_case(f, n)) {
			failed++;
			fprintf(stderr, "case failed: %s", copy);
		}
	}
	fclose(fp);
	return failed;
}

/* Cases from Masterminds' own test suite. */
static void test_fixture_cases(void **state)
{
	int total = 0;

	assert_int_equal(run_file("cases.txt", &total), 0);
	assert_true(total > 250);
}

/* Random cases answered by Masterminds/semver itself (oracle/). */
static void test_differential_cases(void **state)
{
	int total = 0;

	assert_int_equal(run_file("random_cases.txt", &total), 0);
	assert_true(total > 4000);
}

static void test_parts_and_original(void **state)
{
	cf_semver *v = NULL;

	assert_int_equal(cf_semver_parse(&v, "v1.2.3-beta.1+build.123", 0), 0);
	assert_int_equal(cf_semver_major(v), 1);
	assert_int_equal(cf_semver_minor(v), 2);
	assert_int_equal(cf_semver_patch(v), 3);
	assert_string_equal(cf_semver_prerelease(v), "beta.1");
	assert_string_equal(cf_semver_metadata(v), "build.123");
	assert_string_equal(cf_semver_original(v), "v1.2.3-beta.1+build.123");
	cf_semver_free(v);
	cf_semver_free(NULL);
	cf_semver_constraint_free(NULL);
}

static void test_include_prerelease(void **state)
{
	cf_semver_constraint *c = NULL;
	cf_semver *v = NULL;

	assert_int_equal(cf_semver_constraint_parse(&c, ">=1.0.0 <2.0.0"), 0);
	assert_int_equal(cf_semver_parse(&v, "1.5.0-rc.1", 0), 0);
	assert_false(cf_semver_constraint_check(c, v));
	cf_semver_constraint_set_include_prerelease(c, true);
	assert_true(cf_semver_constraint_check(c, v));
	cf_semver_constraint_free(c);
	/* One comparison with a prerelease opens the whole AND group to prereleases. */
	assert_int_equal(cf_semver_constraint_parse(&c, ">=1.0.0-0 <2.0.0"), 0);
	assert_true(cf_semver_constraint_check(c, v));
	cf_semver_constraint_free(c);
	/* ... but not the other OR groups. */
	assert_int_equal(cf_semver_constraint_parse(&c, "<0.1.0-0 || >=1.0.0 <2.0.0"), 0);
	assert_false(cf_semver_constraint_check(c, v));
	cf_semver_constraint_free(c);
	cf_semver_free(v);
}

static void test_select_git_tags(void **state)
{
	const char *tags[] = {"v1.0.0", "v1.2.0", "1.1.0", "v2.0.0-rc.1", "v1.3", "latest",
			      "v1.2.1+build.1", "01.9.9"};
	size_t idx = 99;

	/* Flux's tag parsing is strict: "v1.3" and "01.9.9" are skipped. */
	assert_int_equal(cf_semver_select(&idx, "^1.0", tags, 8, NULL, CF_SEMVER_STRICT), 0);
	assert_string_equal(tags[idx], "v1.2.1+build.1");
	assert_int_equal(cf_semver_select(&idx, "*", tags, 8, NULL, 0), 0);
	assert_string_equal(tags[idx], "01.9.9");
	assert_int_equal(cf_semver_select(&idx, ">=2.0.0-0", tags, 8, NULL, CF_SEMVER_STRICT), 0);
	assert_string_equal(tags[idx], "v2.0.0-rc.1");
	assert_int_equal(cf_semver_select(&idx, ">=3", tags, 8, NULL, CF_SEMVER_STRICT),
			 CF_ENOTFOUND);
	assert_int_equal(cf_semver_select(&idx, ">= bad", tags, 8, NULL, 0), CF_EPARSE);
}

static void test_select_ties_and_exact(void **state)
{
	const char *v[] = {"1.0.0+a", "1.0.0+b", "0.9.0"};
	int64_t t[] = {200, 100, 300};
	size_t idx = 99;

	assert_int_equal(cf_semver_select(&idx, "", v, 3, NULL, 0), 0);
	assert_int_equal(idx, 0);
	t[1] = 300;
	assert_int_equal(cf_semver_select(&idx, NULL, v, 3, t, 0), 0);
	assert_int_equal(idx, 1);
	/* Helm: an exact string match wins even over a higher version. */
	assert_int_equal(cf_semver_select(&idx, "0.9.0", v, 3, NULL, CF_SEMVER_EXACT_FIRST), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(cf_semver_select(&idx, "1.0.0+b", v, 3, NULL, CF_SEMVER_EXACT_FIRST), 0);
	assert_int_equal(idx, 1);
}

static void test_hostile_input(void **state)
{
	char *big = malloc(CF_SEMVER_MAX_LEN + 10);
	cf_semver_constraint *c = NULL;
	cf_semver *v = NULL;
	int i;

	memset(big, '1', CF_SEMVER_MAX_LEN + 9);
	big[CF_SEMVER_MAX_LEN + 9] = '\0';
	assert_int_equal(cf_semver_parse(&v, big, 0), CF_ELIMIT);
	assert_int_equal(cf_semver_constraint_parse(&c, big), CF_ELIMIT);
	/* 300 OR groups exceed the group bound. */
	big[0] = '\0';
	for (i = 0; i < 300; i++)
		strcat(big, "1||");
	strcat(big, "1");
	assert_int_equal(cf_semver_constraint_parse(&c, big), CF_ELIMIT);
	assert_int_equal(cf_semver_parse(&v, "99999999999999999999.0.0", 0), CF_EPARSE);
	assert_int_equal(cf_semver_constraint_parse(&c, ">=99999999999999999999"), CF_EPARSE);
	assert_int_equal(cf_semver_constraint_parse(&c, "||"), CF_EPARSE);
	assert_int_equal(cf_semver_constraint_parse(&c, "1.2 - "), CF_EPARSE);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_cases),
		cmocka_unit_test(test_differential_cases),
		cmocka_unit_test(test_parts_and_original),
		cmocka_unit_test(test_include_prerelease),
		cmocka_unit_test(test_select_git_tags),
		cmocka_unit_test(test_select_ties_and_exact),
		cmocka_unit_test(test_hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
