/*
 * How a release action changes the cluster, as Helm's kube client does: pre hooks, apply (or
 * replace), deletion of what the previous release had and this one dropped, the kstatus wait,
 * post hooks; on failure cleanupOnFail takes back what the action created.
 */
#include "release.h"

#include <stdio.h>
#include <string.h>

#include "cf/error.h"

void hc_rel_change_free(change *c)
{
	json_decref(c->old_objects);
	json_decref(c->created);
}

/*
 * Applies (or replaces) objects, deletes what the release no longer has, then waits unless the
 * section disables waiting: Helm's kube client Update followed by its wait.
 */
static int deploy(hc_rec *r, const json_t *objects, const char *section, const change *c)
{
	int64_t t = timeout_ms(r, section);
	json_t *kept;
	int err;

	if ((err = c->force ? hc_replace(r->kube, objects) : hc_apply(r->kube, objects, t)) < 0)
		return err;
	if (c->old_objects) {
		kept = json_array();
		if (hc_prune_dropped(r->kube, c->old_objects, objects, kept) < 0)
			cf_log_error(&r->log, "deleting objects the release no longer has: %s", cf_error_last());
		for (size_t i = 0; i < json_array_size(kept); i++)
			cf_log_info(&r->log, "kept %s/%s due to the helm.sh/resource-policy annotation",
				    str_or(json_array_get(kept, i), "kind", ""), str_or(json_array_get(kept, i), "metadata.name", ""));
		json_decref(kept);
	}
	return spec_flag(r, section, "disableWait") ? 0 :
	       hc_wait(r->kube, objects, t, !spec_flag(r, section, "disableWaitForJobs"));
}

/* Helm's wording when hooks fail, per action. */
static const struct {
	const char *section, *pre, *post, *pre_fmt, *post_fmt;
} phases[] = {
	{"install", "pre-install", "post-install", "failed pre-install: %s", "failed post-install: %s"},
	{"upgrade", "pre-upgrade", "post-upgrade", "pre-upgrade hooks failed: %s", "post-upgrade hooks failed: %s"},
	{"rollback", "pre-rollback", "post-rollback", "pre-rollback hooks failed: %s", "post-rollback hooks failed: %s"},
	{NULL, NULL, NULL, NULL, NULL},
};

/* cleanupOnFail: a failed action takes back the objects it created, as Helm's failRelease does. */
static void cleanup_on_fail(hc_rec *r, const char *section, const change *c, char *why, size_t size)
{
	size_t len;

	if (!spec_flag(r, section, "cleanupOnFail") || !json_array_size(c->created))
		return;
	cf_log_info(&r->log, "cleanup on fail set, cleaning up %zu resources", json_array_size(c->created));
	if (hc_cleanup_created(r->kube, c->created) < 0 && (len = strlen(why)) < size)
		snprintf(why + len, size - len, "; an error occurred while cleaning up resources: %s", cf_error_last());
}

/*
 * Pre hooks, apply and wait, post hooks (unless <section>.disableHooks); *why says what failed.
 * On failure, <section>.cleanupOnFail deletes the objects the action created.
 */
int hc_rel_perform(hc_rec *r, const json_t *objects, json_t *hooks, const char *section, const change *c, char *why,
		   size_t size)
{
	int hooks_on = !spec_flag(r, section, "disableHooks"), err = 0;
	int64_t t = timeout_ms(r, section);
	size_t i;

	for (i = 0; phases[i].section && strcmp(phases[i].section, section) != 0; i++)
		;
	if (hooks_on && phases[i].pre &&
	    (err = hc_hooks_run(r->kube, hooks, phases[i].pre, r->release, r->target_ns, t)) < 0) {
		snprintf(why, size, phases[i].pre_fmt, cf_error_last());
		goto done;
	}
	if ((err = deploy(r, objects, section, c)) < 0) {
		snprintf(why, size, "%s", cf_error_last());
		goto done;
	}
	if (hooks_on && phases[i].post &&
	    (err = hc_hooks_run(r->kube, hooks, phases[i].post, r->release, r->target_ns, t)) < 0)
		snprintf(why, size, phases[i].post_fmt, cf_error_last());
done:
	if (err < 0)
		cleanup_on_fail(r, section, c, why, size);
	return err;
}
