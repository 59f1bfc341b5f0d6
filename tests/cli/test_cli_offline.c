/*
 * The cflux command line without a cluster: `build kustomize` against `kubectl kustomize` output,
 * `create ... --export` against what flux prints, usage errors, help and exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define BUILD_DIR "testdata/build"
#define EXPORT_DIR "testdata/export"

static void expect_code(run_result *r, int code)
{
	if (r->code != code)
		fail_msg("exit code %d, want %d; stderr:\n%s", r->code, code, r->err);
}

static void test_build_cases(void **state)
{
	DIR *d = opendir(BUILD_DIR);
	struct dirent *e;
	int cases = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char dir[512], expected_path[512];
		run_result r;
		if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
			continue;
		snprintf(dir, sizeof(dir), BUILD_DIR "/%s/overlay", e->d_name);
		snprintf(expected_path, sizeof(expected_path), BUILD_DIR "/%s/expected.yaml", e->d_name);
		char *expected = run_read_file(expected_path);
		assert_non_null(expected);
		/* The command and its alias print the same bytes. */
		const char *const names[] = { "kustomize", "kustomization" };
		for (size_t i = 0; i < 2; i++) {
			const char *argv[] = { "build", names[i], dir, NULL };
			assert_int_equal(run_cflux(&r, argv), 0);
			expect_code(&r, 0);
			assert_string_equal(r.out, expected);
			assert_string_equal(r.err, "");
			run_result_free(&r);
		}
		free(expected);
		cases++;
	}
	closedir(d);
	assert_true(cases > 0);
}

static void test_build_errors(void **state)
{
	run_result r;
	const char *missing[] = { "build", "kustomize", BUILD_DIR "/does-not-exist", NULL };
	const char *no_arg[] = { "build", "kustomize", NULL };
	const char *two_args[] = { "build", "kustomize", "a", "b", NULL };

	assert_int_equal(run_cflux(&r, missing), 0);
	expect_code(&r, 1);
	assert_string_equal(r.out, "");
	assert_true(strncmp(r.err, "✗ ", strlen("✗ ")) == 0);
	assert_non_null(strstr(r.err, "does-not-exist"));
	run_result_free(&r);

	assert_int_equal(run_cflux(&r, no_arg), 0);
	expect_code(&r, 2);
	run_result_free(&r);
	assert_int_equal(run_cflux(&r, two_args), 0);
	expect_code(&r, 2);
	run_result_free(&r);
}

static void test_export_cases(void **state)
{
	DIR *d = opendir(EXPORT_DIR);
	struct dirent *e;
	int cases = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[512];
		run_result r;
		if (n < 6 || strcmp(e->d_name + n - 5, ".args") != 0)
			continue;
		snprintf(path, sizeof(path), EXPORT_DIR "/%s", e->d_name);
		char *args = run_read_file(path);
		snprintf(path, sizeof(path), EXPORT_DIR "/%.*s.yaml", (int)(n - 5), e->d_name);
		char *expected = run_read_file(path);
		assert_non_null(args);
		assert_non_null(expected);
		assert_int_equal(run_cflux_line(&r, args), 0);
		expect_code(&r, 0);
		if (strcmp(r.out, expected) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", e->d_name, r.out, expected);
		run_result_free(&r);
		free(args);
		free(expected);
		cases++;
	}
	closedir(d);
	assert_true(cases >= 6);
}

/* A command line that must fail with code and a message containing text. */
static void expect_failure(const char *line, int code, const char *text)
{
	run_result r;

	assert_int_equal(run_cflux_line(&r, line), 0);
	if (r.code != code || !strstr(r.err, text))
		fail_msg("%s: exit %d, stderr:\n%s\nwant exit %d and \"%s\"", line, r.code, r.err,
		         code, text);
	assert_string_equal(r.out, "");
	run_result_free(&r);
}

static void test_create_errors(void **state)
{
	expect_failure("create kustomization my-app --path=./deploy --export", 1,
	               "source is required");
	expect_failure("create kustomization a --source=HelmRepository/x --export", 1,
	               "source kind 'HelmRepository' is not supported");
	expect_failure("create source git x --url=https://h/r --export", 1, "a Git ref is required");
	expect_failure("create source git x --url=ftp://h/r --branch=main --export", 1,
	               "git URL scheme 'ftp' not supported");
	expect_failure("create source git x --branch=main --export", 1, "url is required");
	expect_failure("create source git --url=https://h/r --branch=main --export", 2,
	               "name is required");
	expect_failure("create source git x --url=https://h/r --branch=main --interval=soon --export",
	               2, "invalid argument \"soon\"");
	expect_failure("create config c --url=https://h/r --branch=main --export", 1,
	               "at least one --kustomization is required");
	expect_failure("create config c --url=https://h/r --branch=main --kustomization path=./x "
	               "--export", 1, "name is required");
	expect_failure("create config c --url=https://h/r --branch=main --kustomization name=a,x=y "
	               "--export", 1, "unknown key 'x'");
	expect_failure("create config c --url=https://h/r --branch=main --kustomization name=a "
	               "--kustomization name=a --export", 1, "used twice");
}

/* Paths are cleaned as flux's SafeRelativePath flag does. */
static void test_kustomization_path(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "./apps", "  path: ./apps\n" }, { "apps/", "  path: ./apps\n" },
		{ "../../x/./y", "  path: ./x/y\n" }, { "./", "  path: ./\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[256];
		run_result r;
		snprintf(line, sizeof(line), "create ks a --source=s --path=%s --export", cases[i].in);
		assert_int_equal(run_cflux_line(&r, line), 0);
		expect_code(&r, 0);
		if (!strstr(r.out, cases[i].want))
			fail_msg("%s: %s", cases[i].in, r.out);
		run_result_free(&r);
	}
}

/*
 * `create config` is a GitRepository plus one Kustomization NAME-<k> per --kustomization, each
 * exactly what `create source git` and `create kustomization` print for the same settings.
 */
static void test_config_export(void **state)
{
	static const char *const parts[] = {
		"create source git cfg --url=https://h/r --branch=main --interval=5m -n team --export",
		"create kustomization cfg-infra --source=GitRepository/cfg --path=./infra --prune "
		"--interval=5m -n team --export",
		"create kustomization cfg-apps --source=GitRepository/cfg --path=./apps "
		"--depends-on=cfg-infra,cfg-crds --interval=10m -n team --export",
	};
	char expected[8192] = "";
	run_result r;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		assert_int_equal(run_cflux_line(&r, parts[i]), 0);
		expect_code(&r, 0);
		strncat(expected, r.out, sizeof(expected) - strlen(expected) - 1);
		run_result_free(&r);
	}
	assert_int_equal(run_cflux_line(&r,
		"create config cfg --url=https://h/r --branch=main --interval=5m --namespace=team "
		"--kustomization name=infra,path=./infra,prune=true "
		"--kustomization name=apps,path=apps,depends-on=infra;crds,interval=10m --export"), 0);
	expect_code(&r, 0);
	assert_string_equal(r.out, expected);
	run_result_free(&r);
}

static void test_usage_and_help(void **state)
{
	static const struct { const char *line; int code; const char *out; } cases[] = {
		{ "--help", 0, "Available Commands:" },
		{ "get --help", 0, "kustomizations" },
		{ "get sources --help", 0, "chart" },
		{ "get sources git --help", 0, "--all-namespaces" },
		{ "reconcile kustomization --help", 0, "--with-source" },
		{ "create source git -h", 0, "--secret-ref" },
		{ "create config --help", 0, "NAME-<kname>" },
		{ "build kustomize --help", 0, "Usage:" },
		{ "version", 0, "cflux: v" },
	};
	run_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run_cflux_line(&r, cases[i].line), 0);
		if (r.code != cases[i].code || !strstr(r.out, cases[i].out))
			fail_msg("%s: exit %d, stdout:\n%s", cases[i].line, r.code, r.out);
		run_result_free(&r);
	}
	/* Flags before a subcommand word belong to the command below, as with cobra. */
	assert_int_equal(run_cflux_line(&r, "create --export source git x --url=https://h/r "
	                                    "--branch=main"), 0);
	expect_code(&r, 0);
	assert_non_null(strstr(r.out, "kind: GitRepository\n"));
	run_result_free(&r);
	expect_failure("bogus", 2, "unknown command \"bogus\" for \"cflux\"");
	expect_failure("get sources svn", 2, "unknown command \"svn\"");
	expect_failure("get sources git --bogus", 2, "unknown flag: --bogus");
	expect_failure("get kustomizations -Z", 2, "unknown shorthand flag: 'Z'");
	expect_failure("reconcile kustomization", 2, "name is required");
	expect_failure("get sources git --timeout", 2, "flag needs an argument");
	expect_failure("template onlyrelease", 2, "expected 2 arguments");
	expect_failure("template r testdata/no-such-chart", 1, "not found");
	/* A group without a subcommand prints its help to stderr and fails as a usage error. */
	assert_int_equal(run_cflux_line(&r, "get"), 0);
	expect_code(&r, 2);
	assert_non_null(strstr(r.err, "Available Commands:"));
	run_result_free(&r);
}

/* Without a reachable kubeconfig the cluster commands fail cleanly with exit code 1. */
static void test_missing_kubeconfig(void **state)
{
	expect_failure("get sources git --kubeconfig=/nonexistent/kubeconfig", 1, "kubeconfig");
	expect_failure("reconcile source git x --kubeconfig /nonexistent/kubeconfig", 1,
	               "kubeconfig");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_cases),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_export_cases),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_kustomization_path),
		cmocka_unit_test(test_config_export),
		cmocka_unit_test(test_usage_and_help),
		cmocka_unit_test(test_missing_kubeconfig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
