/* The Lease name for leader election, plain and sharded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/runtime.h"

static void test_lease_names(void **state)
{
	char buf[128], tiny[8];

	assert_int_equal(cf_runtime_lease_name(buf, sizeof(buf), "kustomize-controller", NULL), 0);
	assert_string_equal(buf, "kustomize-controller-leader-election");
	assert_int_equal(cf_runtime_lease_name(buf, sizeof(buf), "kustomize-controller", ""), 0);
	assert_string_equal(buf, "kustomize-controller-leader-election");
	/* Suffix: the first 8 hex digits of sha256, as `printf '%s' "$sel" | sha256sum` prints. */
	assert_int_equal(cf_runtime_lease_name(buf, sizeof(buf), "kustomize-controller",
					       "sharding.fluxcd.io/key in (shard1)"), 0);
	assert_string_equal(buf, "kustomize-controller-leader-election-7ee98f29");
	assert_int_equal(cf_runtime_lease_name(tiny, sizeof(tiny), "kustomize-controller", NULL),
			 CF_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
