/*
 * Flux's post-renderers (postrender.c) against the real kustomize: each case in postrender/ holds
 * what helm renders (input.yaml) and a HelmRelease (hr.json); expected.yaml is what
 * `kubectl kustomize` makes of it the way Flux's helm-controller calls kustomize (regen.sh). The
 * release manifest we store must match it byte for byte.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf/error.h"
#include "hc.h"
#include "testsupport.h"

static int run_case(const char *name)
{
	char path[600];
	char *input, *expected, *out = NULL, *work = cft_tmpdir("hc-postrender");
	json_t *hr;
	int ok = 0;

	snprintf(path, sizeof(path), "postrender/%s/input.yaml", name);
	input = cft_read_file(path, NULL);
	snprintf(path, sizeof(path), "postrender/%s/expected.yaml", name);
	expected = cft_read_file(path, NULL);
	snprintf(path, sizeof(path), "postrender/%s/hr.json", name);
	hr = json_load_file(path, 0, NULL);
	if (!input || !expected || !hr || !work) {
		fprintf(stderr, "[%s] case files missing\n", name);
	} else if (hc_post_render(&out, input, hr, work) < 0) {
		fprintf(stderr, "[%s] post-render failed: %s\n", name, cf_error_last());
	} else if (strcmp(out, expected) != 0) {
		fprintf(stderr, "[%s] output differs from kubectl kustomize:\n--- got\n%s--- want\n%s", name, out, expected);
	} else {
		ok = 1;
	}
	if (work)
		cft_sh("rm -rf '%s'", work);
	free(work);
	free(out);
	free(input);
	free(expected);
	json_decref(hr);
	return ok;
}

static void test_corpus(void **state)
{
	DIR *d = opendir("postrender");
	struct dirent *de;
	int cases = 0, passed = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9') {
			cases++;
			passed += run_case(de->d_name);
		}
	closedir(d);
	assert_true(cases >= 3);
	assert_int_equal(passed, cases);
}

/* A patch that does not apply is an error naming the post-renderer, not a crash or a silent skip. */
static void test_bad_patch(void **state)
{
	json_t *hr = json_loads("{\"metadata\":{\"name\":\"x\",\"namespace\":\"y\"},\"spec\":{\"postRenderers\":[{\"kustomize\":"
				"{\"patches\":[{\"patch\":\"- op: replace\\n  path: /spec/missing/deep\\n  value: 1\\n\","
				"\"target\":{\"kind\":\"ConfigMap\"}}]}}]}}",
				0, NULL);
	char *out = NULL, *work = cft_tmpdir("hc-postrender");

	(void)state;
	assert_non_null(hr);
	assert_true(hc_post_render(&out, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", hr, work) < 0);
	assert_null(out);
	assert_non_null(strstr(cf_error_last(), "post-renderer: "));
	cft_sh("rm -rf '%s'", work);
	free(work);
	json_decref(hr);
}

/* Text that is no YAML is refused with a clear error. */
static void test_bad_yaml(void **state)
{
	json_t *hr = json_loads("{\"metadata\":{\"name\":\"x\",\"namespace\":\"y\"},\"spec\":{}}", 0, NULL);
	char *out = NULL;

	(void)state;
	assert_true(hc_post_render(&out, "a: [unclosed\n", hr, "/nonexistent") < 0);
	assert_null(out);
	assert_non_null(strstr(cf_error_last(), "not valid YAML"));
	json_decref(hr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_bad_patch),
		cmocka_unit_test(test_bad_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
