/* Go text/template semantics checked against outputs recorded from Go's own text/template. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../common/helm/internal.h"
#include "cf/helm.h"
#include "golden.h"

static int run_case(const golden_case *c, char **got)
{
	cf_helm_tmpl *set = NULL;
	cf_helm_val *root = NULL;
	cf_helm_opts opts;
	char *err = NULL;
	size_t len;
	int r;
	memset(&opts, 0, sizeof(opts));
	if (c->values && c->values[0]) {
		assert_int_equal(json_parse(&root, c->values, strlen(c->values), &err), 0);
	} else {
		root = cf_helm_map_get(NULL, "") ? NULL : NULL;
		assert_int_equal(cf_helm_val_new_map(&root), 0);
	}
	assert_int_equal(cf_helm_tmpl_new(&set), 0);
	r = cf_helm_tmpl_parse(set, "t", c->tmpl, strlen(c->tmpl));
	if (r == 0)
		r = cf_helm_tmpl_exec(got, &len, set, "t", root, &opts);
	if (r < 0)
		*got = strdup(cf_error_last());
	cf_helm_tmpl_free(set);
	cf_helm_val_unref(root);
	return r;
}

static void test_gotmpl_cases(void **state)
{
	golden_case *cases;
	int n = golden_load("../../golden/helm-funcs/gotmpl.txt", &cases), i, failed = 0;
	(void)state;
	assert_true(n > 50);
	for (i = 0; i < n; i++) {
		char *got = NULL;
		int r = run_case(&cases[i], &got);
		if ((r < 0) != cases[i].is_error || strcmp(got, cases[i].expect)) {
			fprintf(stderr, "MISMATCH %s\n  want %s: [%s]\n  got  %s: [%s]\n", cases[i].name,
			        cases[i].is_error ? "error" : "output", cases[i].expect, r < 0 ? "error" : "output",
			        got);
			failed++;
		}
		free(got);
	}
	golden_free(cases, n);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gotmpl_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
