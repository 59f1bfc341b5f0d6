/*
 * test.enable: a release's test hooks after it is deployed, as `helm test` runs them (less what
 * test.filters leaves out), TestSuccess and the snapshot's testHooks; a failure counts against
 * the active remediation unless test failures are ignored.
 */
#include "release.h"

#include <stdio.h>
#include <string.h>

#include "cf/error.h"

/* A test hook's last run in the snapshot's form; a hook that has not run (filtered out) has none. */
static json_t *test_hook_status(const json_t *h)
{
	static const char *const fields[][2] = {
		{"lastStarted", "last_run.started_at"}, {"lastCompleted", "last_run.completed_at"}, {"phase", "last_run.phase"},
	};
	json_t *out = json_object();

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = str_or(h, fields[i][1], "");
		if (*v)
			json_object_set_new(out, fields[i][0], json_string(v));
	}
	return out;
}

static size_t count_tests(const json_t *hooks, json_t *snap_hooks)
{
	const json_t *h, *ev;
	size_t i, j, n = 0;

	json_array_foreach(hooks, i, h) {
		json_array_foreach(json_object_get(h, "events"), j, ev) {
			if (strcmp(json_string_value(ev), "test") != 0)
				continue;
			n++;
			if (snap_hooks)
				json_object_set_new(snap_hooks, str_or(h, "name", ""), test_hook_status(h));
		}
	}
	return n;
}

/*
 * test.filters as Helm's test filters: hooks named by an exclude filter are skipped, and when any
 * filter includes, only the named run. A new array sharing the hooks (their last_run lands in
 * the record).
 */
static json_t *test_filter(const json_t *hooks, const json_t *filters)
{
	json_t *run = json_array(), *h, *f;
	size_t i, j;
	int includes = 0;

	json_array_foreach(filters, j, f)
		includes |= !json_is_true(json_object_get(f, "exclude"));
	json_array_foreach(hooks, i, h) {
		const char *name = str_or(h, "name", "");
		int named_in = 0, named_out = 0;
		json_array_foreach(filters, j, f) {
			if (strcmp(str_or(f, "name", ""), name) != 0)
				continue;
			if (json_is_true(json_object_get(f, "exclude")))
				named_out = 1;
			else
				named_in = 1;
		}
		if (!named_out && (!includes || named_in))
			json_array_append(run, h);
	}
	return run;
}

/* test.enable: the release's test hooks run after it is deployed (Helm's `helm test`); TestSuccess says how it went. */
void hc_rel_run_tests(machine *m, hc_release *rel, json_t *hooks)
{
	hc_rec *r = m->r;
	json_t *snap_hooks;
	char id[600], msg[4400];
	size_t n;
	int err;

	if (!json_is_true(json_object_get(spec_of(r, "test"), "enable"))) {
		cf_cond_delete(r->obj, "TestSuccess");
		return;
	}
	snprintf(id, sizeof(id), "%s/%s.v%d with chart %s@%s", r->target_ns, r->release, rel->version,
		 str_or(m->chart->meta, "name", ""), r->revision);
	json_t *run = test_filter(hooks, json_object_get(spec_of(r, "test"), "filters"));
	err = hc_hooks_run(r->kube, run, "test", r->release, r->target_ns, timeout_ms(r, "test"));
	snap_hooks = json_object();
	count_tests(hooks, snap_hooks);
	n = count_tests(run, NULL);
	json_decref(run);
	json_object_set_new(hc_history_latest(r), "testHooks", snap_hooks);
	hc_storage_write(r->kube, r->storage_ns, rel); /* last_run of the test hooks, as `helm test` records */
	if (err < 0) {
		remediation rem;
		snprintf(msg, sizeof(msg), "Helm test failed for release %s: %s", id, cf_error_last());
		cf_cond_set(r->obj, "TestSuccess", "False", "TestFailed", msg, r->now);
		hc_rel_event(r, "Warning", "TestFailed", "%s", msg);
		/* The failure counts against the action's remediation unless test failures are ignored. */
		if (hc_rel_active_remediation(r, &rem) && !rem.ignore_tests && hc_history_test_failed(hc_history_latest(r)))
			hc_rel_count_failure(r, rem.counter);
		else
			hc_rel_count_failure(r, "failures");
		return;
	}
	if (n)
		snprintf(msg, sizeof(msg), "Helm test succeeded for release %s: %zu test hooks completed successfully", id, n);
	else
		snprintf(msg, sizeof(msg), "Helm test succeeded for release %s: no test hooks", id);
	cf_cond_set(r->obj, "TestSuccess", "True", "TestSucceeded", msg, r->now);
	hc_rel_event(r, "Normal", "TestSucceeded", "%s", msg);
}
