/* kstatus conditions with Flux's rules: transition times, ordering, summary, requestedAt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/runtime.h"

#include <stdlib.h>
#include <string.h>

#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static json_t *object(int generation)
{
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:i}}", "apiVersion", "test.cflux.io/v1",
			      "kind", "Widget", "metadata", "name", "w", "namespace", "default",
			      "generation", generation);
	assert_non_null(o);
	return o;
}

static const char *field(const json_t *obj, const char *type, const char *key)
{
	return json_string_value(json_object_get(cf_cond_get(obj, type), key));
}

static void test_set_new_condition(void **state)
{
	json_t *o = object(3);
	char *text;

	assert_int_equal(cf_cond_set(o, "Ready", "False", "Progressing", "working", T0), 0);
	text = json_dumps(json_object_get(o, "status"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text,
		"{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"observedGeneration\":3,"
		"\"lastTransitionTime\":\"2026-01-01T00:00:00Z\",\"reason\":\"Progressing\","
		"\"message\":\"working\"}]}");
	free(text);
	assert_true(cf_cond_has_status(o, "Ready", "False"));
	assert_false(cf_cond_has_status(o, "Ready", "True"));
	assert_false(cf_cond_has_status(o, "Stalled", "True"));
	assert_null(cf_cond_get(o, "Stalled"));
	assert_int_equal(cf_cond_set(NULL, "Ready", "True", "", "", T0), CF_EINVALID);
	json_decref(o);
}

static void test_transition_time_follows_state(void **state)
{
	json_t *o = object(1);

	cf_cond_set(o, "Ready", "True", "Succeeded", "ok", T0);
	/* Same state, new generation: generation follows, the transition time stays. */
	json_object_set_new(json_object_get(o, "metadata"), "generation", json_integer(2));
	cf_cond_set(o, "Ready", "True", "Succeeded", "ok", T0 + 60);
	assert_string_equal(field(o, "Ready", "lastTransitionTime"), "2026-01-01T00:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(cf_cond_get(o, "Ready"),
							    "observedGeneration")), 2);
	/* A new message is a new state (Flux's hasSameState compares status, reason, message). */
	cf_cond_set(o, "Ready", "True", "Succeeded", "ok again", T0 + 120);
	assert_string_equal(field(o, "Ready", "lastTransitionTime"), "2026-01-01T00:02:00Z");
	cf_cond_set(o, "Ready", "False", "Failed", "ok again", T0 + 180);
	assert_string_equal(field(o, "Ready", "lastTransitionTime"), "2026-01-01T00:03:00Z");
	assert_string_equal(field(o, "Ready", "status"), "False");
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "status"), "conditions")), 1);
	json_decref(o);
}

static void test_order_stalled_reconciling_ready_then_alphabetical(void **state)
{
	json_t *o = object(1), *list, *c;
	static const char *const want[] = {"Stalled", "Reconciling", "Ready", "ArtifactInStorage",
					   "FetchFailed"};
	size_t i;

	cf_cond_set(o, "FetchFailed", "True", "r", "m", T0);
	cf_cond_set(o, "Ready", "False", "r", "m", T0);
	cf_cond_set(o, "ArtifactInStorage", "True", "r", "m", T0);
	cf_cond_set(o, "Reconciling", "True", "r", "m", T0);
	cf_cond_set(o, "Stalled", "True", "r", "m", T0);
	list = json_object_get(json_object_get(o, "status"), "conditions");
	assert_int_equal(json_array_size(list), 5);
	json_array_foreach(list, i, c)
		assert_string_equal(json_string_value(json_object_get(c, "type")), want[i]);
	json_decref(o);
}

static void test_reconcile_success_summary(void **state)
{
	json_t *o = object(4);

	cf_cond_mark_stalled(o, "InvalidPath", "bad path", T0);
	cf_cond_mark_reconciling(o, CF_REASON_PROGRESSING, "Reconciliation in progress", T0 + 1);
	assert_null(cf_cond_get(o, "Stalled"));
	assert_true(cf_cond_has_status(o, "Reconciling", "True"));
	cf_cond_set(o, "Ready", "True", CF_REASON_SUCCEEDED, "Applied revision: main@sha1:abc", T0 + 2);
	assert_int_equal(cf_cond_summarize(o, T0 + 2), 0);
	assert_null(cf_cond_get(o, "Reconciling"));
	assert_null(cf_cond_get(o, "Stalled"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "status"),
							    "observedGeneration")), 4);
	json_decref(o);
}

static void test_reconcile_retry_summary(void **state)
{
	json_t *o = object(5);

	json_object_set_new(o, "status", json_pack("{s:i}", "observedGeneration", 4));
	cf_cond_mark_reconciling(o, CF_REASON_PROGRESSING, "Reconciliation in progress", T0);
	cf_cond_set(o, "Ready", "False", "ArtifactFailed", "source not ready", T0);
	assert_int_equal(cf_cond_summarize(o, T0 + 5), 0);
	assert_string_equal(field(o, "Reconciling", "reason"), CF_REASON_PROGRESSING_WITH_RETRY);
	assert_string_equal(field(o, "Reconciling", "message"), "Reconciliation in progress");
	assert_string_equal(field(o, "Reconciling", "status"), "True");
	/* A retriable failure does not claim the new generation was observed. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "status"),
							    "observedGeneration")), 4);
	json_decref(o);
}

static void test_reconcile_stalled_summary(void **state)
{
	json_t *o = object(7);

	cf_cond_mark_reconciling(o, CF_REASON_PROGRESSING, "Reconciliation in progress", T0);
	cf_cond_mark_stalled(o, "InvalidCELExpression", "invalid expression", T0);
	assert_null(cf_cond_get(o, "Reconciling"));
	assert_true(cf_cond_has_status(o, "Stalled", "True"));
	assert_true(cf_cond_has_status(o, "Ready", "False"));
	assert_string_equal(field(o, "Ready", "reason"), "InvalidCELExpression");
	assert_int_equal(cf_cond_summarize(o, T0), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "status"),
							    "observedGeneration")), 7);
	json_decref(o);
}

static void test_requested_at_is_echoed(void **state)
{
	json_t *o = object(1);
	json_t *status;

	assert_int_equal(cf_cond_handle_requested_at(o), 0);
	assert_null(json_object_get(o, "status"));
	json_object_set_new(json_object_get(o, "metadata"), "annotations",
			    json_pack("{s:s}", CF_ANNOTATION_REQUESTED_AT, "2026-01-01T10:00:00.1Z"));
	assert_int_equal(cf_cond_handle_requested_at(o), 1);
	status = json_object_get(o, "status");
	assert_string_equal(json_string_value(json_object_get(status, "lastHandledReconcileAt")),
			    "2026-01-01T10:00:00.1Z");
	assert_int_equal(cf_cond_handle_requested_at(o), 0);
	json_decref(o);
}

static void test_hostile_status_shapes(void **state)
{
	json_t *o = object(1);

	/* status.conditions of the wrong type is replaced, not crashed on. */
	json_object_set_new(o, "status", json_pack("{s:s}", "conditions", "nope"));
	assert_null(cf_cond_get(o, "Ready"));
	assert_int_equal(cf_cond_set(o, "Ready", "True", "r", "m", T0), 0);
	assert_true(cf_cond_has_status(o, "Ready", "True"));
	/* Entries without a type are tolerated when sorting and searching. */
	json_array_append_new(json_object_get(json_object_get(o, "status"), "conditions"), json_integer(3));
	assert_int_equal(cf_cond_set(o, "Alpha", "True", "r", "m", T0), 0);
	cf_cond_delete(o, "Missing");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_new_condition),
		cmocka_unit_test(test_transition_time_follows_state),
		cmocka_unit_test(test_order_stalled_reconciling_ready_then_alphabetical),
		cmocka_unit_test(test_reconcile_success_summary),
		cmocka_unit_test(test_reconcile_retry_summary),
		cmocka_unit_test(test_reconcile_stalled_summary),
		cmocka_unit_test(test_requested_at_is_echoed),
		cmocka_unit_test(test_hostile_status_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
