/*
 * Internal to the release state machine (release*.c): what one reconcile of a release knows
 * (the machine), what an action changes, and the helpers the actions share.
 */
#ifndef HC_RELEASE_H
#define HC_RELEASE_H

#include "hc.h"

#define DEFAULT_TIMEOUT_MS (5 * 60 * 1000)

typedef enum { ST_ABSENT, ST_LOCKED, ST_FAILED, ST_IN_SYNC, ST_OUT_OF_SYNC } release_state;

/* The remediation settings in force for the last attempted action (Flux's GetActiveRemediation). */
typedef struct {
	const char *action;      /* "install" or "upgrade" */
	const char *counter;     /* status field counting its failures */
	int64_t retries;         /* < 0: unlimited */
	int remediate_last;
	int uninstall;           /* strategy uninstall (always for install) */
	int ignore_tests;        /* remediation.ignoreTestFailures, else test.ignoreFailures */
} remediation;

/* One reconcile of one release. */
typedef struct {
	hc_rec *r;
	hc_chart *chart;
	json_t *values;
	char cfg_digest[96];
	int force;               /* a forceAt request is being handled */
	int state_error;         /* Ready already says why the state is unknown */
	release_state state;
	int last_version;        /* newest stored revision, 0 when none */
	char last_status[32];
	int64_t last_modified;
	int retrying;            /* RetryOnFailure set Reconciling and the requeue */
	json_t *records;         /* release records read since the last observation, by version */
	int recorded;            /* last_* were set by the action that wrote the newest record */
} machine;

/* What an action changes besides applying its objects. */
typedef struct {
	json_t *old_objects; /* the release being replaced (NULL on install): what it drops is deleted */
	json_t *created;     /* objects absent before the action, deleted again on failure (cleanupOnFail) */
	int force;           /* upgrade.force: replace instead of apply */
} change;

/* ---- small helpers ---- */

static inline json_t *spec_of(hc_rec *r, const char *section)
{
	json_t *spec = json_object_get(r->obj, "spec");
	return section ? json_object_get(spec, section) : spec;
}

static inline int64_t counter(hc_rec *r, const char *key)
{
	return json_integer_value(json_object_get(hc_status(r), key));
}

/* An action's timeout: spec.<action>.timeout, else spec.timeout, else 5m. */
static inline int64_t timeout_ms(hc_rec *r, const char *section)
{
	int64_t dflt = cf_object_duration_ms(r->obj, "spec.timeout", DEFAULT_TIMEOUT_MS);
	json_t *sec = spec_of(r, section);

	return sec ? cf_object_duration_ms(sec, "timeout", dflt) : dflt;
}

/* spec.<section>.<flag> is true. */
static inline int spec_flag(hc_rec *r, const char *section, const char *flag)
{
	return json_is_true(json_object_get(spec_of(r, section), flag));
}

static inline const char *str_or(const json_t *obj, const char *path, const char *dflt)
{
	const char *v = cf_object_str(obj, path);
	return v ? v : dflt;
}

/* ---- shared by the actions (release.c) ---- */

/* Release record `version` as stored (borrowed; NULL with the error in *err), read once per observation. */
const json_t *hc_rel_record(machine *m, int version, int *err);
/* Counts a failure in status.<key> (and in failures, when key is another counter). */
void hc_rel_count_failure(hc_rec *r, const char *key);
/* Clears failures, installFailures and upgradeFailures. */
void hc_rel_reset_failures(hc_rec *r);
/* An Event about the HelmRelease (Normal logs at info, Warning at error). */
void hc_rel_event(hc_rec *r, const char *type, const char *reason, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Helm's maxHistory: records older than the newest `maxHistory` go. */
void hc_rel_prune(hc_rec *r, int newest);
/* The remediation of the last attempted action into *out; 0 when no install or upgrade was attempted. */
int hc_rel_active_remediation(hc_rec *r, remediation *out);
/* RetryOnFailure of the last attempted action: its retryInterval in ms, or 0 when it remediates. */
int64_t hc_rel_active_retry_ms(hc_rec *r);

/* ---- the actions ---- */

/* release_apply.c: pre hooks, apply, prune of dropped objects, wait, post hooks; *why says what failed. */
int hc_rel_perform(hc_rec *r, const json_t *objects, json_t *hooks, const char *section, const change *c, char *why,
		   size_t size);
void hc_rel_change_free(change *c);
/* release_install.c: install (upgrade 0) or upgrade (1) to revision last + 1. */
int hc_rel_release(machine *m, int upgrade);
/* release_remediate.c */
int hc_rel_unlock(machine *m);
int hc_rel_rollback(machine *m);
int hc_rel_uninstall(machine *m);
/* release_test.c: the test hooks of the release just deployed (rel, with its hooks). */
void hc_rel_run_tests(machine *m, hc_release *rel, json_t *hooks);

#endif
