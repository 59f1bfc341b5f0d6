/* Metrics registry and the Prometheus text format, checked against Go's client output rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_float(double v, const char *want)
{
	char buf[64];

	cf_metrics_format_float(buf, sizeof(buf), v);
	assert_string_equal(buf, want);
}

/* Expected strings printed by Go 1.26 strconv.FormatFloat(v, 'g', -1, 64). */
static void test_float_format_matches_go(void **state)
{
	expect_float(1, "1");
	expect_float(0, "0");
	expect_float(0.01, "0.01");
	expect_float(123.5, "123.5");
	expect_float(1e6, "1e+06");
	expect_float(1234567, "1.234567e+06");
	expect_float(0.0001, "0.0001");
	expect_float(0.00001, "1e-05");
	expect_float(1800, "1800");
	expect_float(100000, "100000");
	expect_float(2.5e-7, "2.5e-07");
	expect_float(1e21, "1e+21");
	expect_float(-3.25, "-3.25");
	expect_float(INFINITY, "+Inf");
	expect_float(-INFINITY, "-Inf");
	expect_float(NAN, "NaN");
}

/* Flux's ExponentialBucketsRange(0.01, 1800, 10), as Go computes and prints them. */
static void test_flux_duration_buckets(void **state)
{
	static const char *const want[] = {
		"0.01", "0.038363583488692544", "0.1471764538093883", "0.5646216173286169",
		"2.166090855590701", "8.309900738254731", "31.879757075478317", "122.30217221643493",
		"469.19495946736544", "1799.9999999999986",
	};
	double b[10];

	for (int i = 0; i < 10; i++)
		expect_float(cf_metrics_flux_buckets[i], want[i]);
	/* libm's pow may differ from Go's in the last bit; the generic helper stays that close. */
	cf_metrics_buckets_exp_range(b, 0.01, 1800, 10);
	for (int i = 0; i < 10; i++)
		assert_true(fabs(b[i] - cf_metrics_flux_buckets[i]) <= 4e-16 * b[i]);
}

static void test_render_text_format(void **state)
{
	static const char *const kl[] = {"kind", "name", "namespace", NULL};
	static const char *const cl[] = {"controller", "result", NULL};
	static const double buckets[] = {0.5, 1, 2.5};
	cf_metrics *m = NULL;
	cf_metric *hist = NULL, *total = NULL, *gauge = NULL, *again = NULL;
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(cf_metrics_new(&m), 0);
	assert_int_equal(cf_metrics_register(&total, m, CF_METRIC_COUNTER,
					     "controller_runtime_reconcile_total",
					     "Total number of reconciliations per controller", cl, NULL, 0), 0);
	assert_int_equal(cf_metrics_register(&hist, m, CF_METRIC_HISTOGRAM,
					     "gotk_reconcile_duration_seconds",
					     "The duration in seconds of a GitOps Toolkit resource reconciliation.",
					     kl, buckets, 3), 0);
	assert_int_equal(cf_metrics_register(&gauge, m, CF_METRIC_GAUGE, "a_gauge",
					     "help with \\ and\nnewline", NULL, NULL, 0), 0);
	/* Same shape registers to the same family; a different shape is refused. */
	assert_int_equal(cf_metrics_register(&again, m, CF_METRIC_COUNTER,
					     "controller_runtime_reconcile_total", "", cl, NULL, 0), 0);
	assert_ptr_equal(again, total);
	assert_int_equal(cf_metrics_register(&again, m, CF_METRIC_GAUGE,
					     "controller_runtime_reconcile_total", "", cl, NULL, 0),
			 CF_EEXISTS);

	const char *ok[] = {"kustomization", "success", NULL};
	const char *err[] = {"kustomization", "error", NULL};
	assert_int_equal(cf_metric_add(total, ok, 1), 0);
	assert_int_equal(cf_metric_add(total, ok, 1), 0);
	assert_int_equal(cf_metric_add(total, err, 1), 0);
	assert_int_equal(cf_metric_add(total, ok, -1), CF_EINVALID);
	assert_int_equal(cf_metric_add(total, (const char *[]){"x", NULL}, 1), CF_EINVALID);
	const char *obj[] = {"Kustomization", "app \"q\"", "default", NULL};
	assert_int_equal(cf_metric_observe(hist, obj, 0.25), 0);
	assert_int_equal(cf_metric_observe(hist, obj, 2), 0);
	assert_int_equal(cf_metric_observe(hist, obj, 10), 0);
	assert_int_equal(cf_metric_set(gauge, NULL, 1.5), 0);
	assert_int_equal(cf_metric_set(total, ok, 3), CF_EINVALID);

	assert_int_equal(cf_metrics_render(&text, &len, m), 0);
	assert_string_equal(text,
		"# HELP a_gauge help with \\\\ and\\nnewline\n"
		"# TYPE a_gauge gauge\n"
		"a_gauge 1.5\n"
		"# HELP controller_runtime_reconcile_total Total number of reconciliations per controller\n"
		"# TYPE controller_runtime_reconcile_total counter\n"
		"controller_runtime_reconcile_total{controller=\"kustomization\",result=\"error\"} 1\n"
		"controller_runtime_reconcile_total{controller=\"kustomization\",result=\"success\"} 2\n"
		"# HELP gotk_reconcile_duration_seconds The duration in seconds of a GitOps Toolkit resource reconciliation.\n"
		"# TYPE gotk_reconcile_duration_seconds histogram\n"
		"gotk_reconcile_duration_seconds_bucket{kind=\"Kustomization\",name=\"app \\\"q\\\"\",namespace=\"default\",le=\"0.5\"} 1\n"
		"gotk_reconcile_duration_seconds_bucket{kind=\"Kustomization\",name=\"app \\\"q\\\"\",namespace=\"default\",le=\"1\"} 1\n"
		"gotk_reconcile_duration_seconds_bucket{kind=\"Kustomization\",name=\"app \\\"q\\\"\",namespace=\"default\",le=\"2.5\"} 2\n"
		"gotk_reconcile_duration_seconds_bucket{kind=\"Kustomization\",name=\"app \\\"q\\\"\",namespace=\"default\",le=\"+Inf\"} 3\n"
		"gotk_reconcile_duration_seconds_sum{kind=\"Kustomization\",name=\"app \\\"q\\\"\",namespace=\"default\"} 12.25\n"
		"gotk_reconcile_duration_seconds_count{kind=\"Kustomization\",name=\"app \\\"q\\\"\",namespace=\"default\"} 3\n");
	assert_int_equal(len, strlen(text));
	free(text);

	/* Removing the only series hides the family, as the Go client does for empty vectors. */
	double v = 0;
	assert_int_equal(cf_metric_value(&v, hist, obj), 0);
	assert_true(v == 3);
	assert_int_equal(cf_metric_remove(hist, obj), 0);
	assert_int_equal(cf_metric_remove(hist, obj), CF_ENOTFOUND);
	assert_int_equal(cf_metric_value(&v, hist, obj), CF_ENOTFOUND);
	assert_int_equal(cf_metrics_render(&text, NULL, m), 0);
	assert_null(strstr(text, "gotk_reconcile_duration_seconds"));
	free(text);
	cf_metrics_free(m);
}

static void test_empty_registry_renders_empty(void **state)
{
	cf_metrics *m = NULL;
	char *text = NULL;

	assert_int_equal(cf_metrics_new(&m), 0);
	assert_int_equal(cf_metrics_render(&text, NULL, m), 0);
	assert_string_equal(text, "");
	free(text);
	cf_metrics_free(m);
	cf_metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_float_format_matches_go),
		cmocka_unit_test(test_flux_duration_buckets),
		cmocka_unit_test(test_render_text_format),
		cmocka_unit_test(test_empty_registry_renders_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
