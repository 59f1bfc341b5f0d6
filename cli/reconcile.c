/*
 * `cflux reconcile`, `suspend` and `resume`: ask a controller to reconcile now through the
 * reconcile.fluxcd.io/requestedAt annotation, toggle spec.suspend, and wait for the outcome.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cli.h"

#define REQUESTED_AT "reconcile.fluxcd.io/requestedAt"
#define FORCE_AT "reconcile.fluxcd.io/forceAt"
#define RESET_AT "reconcile.fluxcd.io/resetAt"

/* The flags of a reconcile/suspend/resume leaf. */
typedef struct {
	int with_source;
	int force;  /* HelmRelease: one-off upgrade even without changes */
	int reset;  /* HelmRelease: reset the failure counts */
} run_opts;

static int get_object(cli_ctx *c, json_t **out, const cli_kind *k, const char *ns,
                      const char *name)
{
	cf_kube_ref ref = { k->api_version, k->kind, ns, name };
	cf_kube *kube;
	char *text = NULL;
	int err;

	if ((err = cli_kube(c, &kube)) < 0)
		return err;
	if ((err = cf_kube_get(kube, &text, &ref)) < 0)
		return err;
	*out = json_loads(text, 0, NULL);
	free(text);
	return *out ? 0 : cf_error_set(CF_EPARSE, "the server sent an object that is not JSON");
}

/* A merge patch of obj (a JSON object, reference stolen). */
static int merge_patch(cli_ctx *c, const cli_kind *k, const char *ns, const char *name,
                       json_t *patch)
{
	cf_kube_ref ref = { k->api_version, k->kind, ns, name };
	char *body = json_dumps(patch, JSON_COMPACT);
	cf_kube *kube;
	int err;

	json_decref(patch);
	if (!body)
		return cf_error_set(CF_ENOMEM, "out of memory");
	if ((err = cli_kube(c, &kube)) == 0)
		err = cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
	free(body);
	return err;
}

static json_t *annotation_patch(const char *requested_at)
{
	return json_pack("{s:{s:{s:s}}}", "metadata", "annotations", REQUESTED_AT, requested_at);
}

/*
 * Polls the object until the controller handled requested_at and settled, then reports Ready.
 * Returns the exit code; prints the outcome.
 */
static int wait_reconciled(cli_ctx *c, const cli_kind *k, const char *ns, const char *name,
                           const char *requested_at)
{
	int64_t deadline = cli_mono_ms() + c->timeout_ns / 1000000;
	json_t *obj = NULL, *ready;
	char line[1024];
	int rc;

	cli_waiting(c, "waiting for %s reconciliation", k->kind);
	for (;;) {
		const char *handled, *status;

		json_decref(obj);
		obj = NULL;
		if (get_object(c, &obj, k, ns, name) < 0) {
			rc = cli_fail_err(c, NULL);
			goto done;
		}
		handled = cli_json_str(obj, "status", "lastHandledReconcileAt", NULL);
		ready = cli_condition(obj, "Ready");
		status = cli_json_str(ready, "status", NULL);
		if (handled && strcmp(handled, requested_at) == 0 && status &&
		    strcmp(status, "Unknown") != 0 && !cli_condition_true(obj, "Reconciling"))
			break;
		if (cli_mono_ms() >= deadline) {
			cli_failure(c, "timed out waiting for %s/%s/%s reconciliation", k->kind, ns,
			            name);
			rc = CLI_EXIT_FAIL;
			goto done;
		}
		cli_sleep_ns(c->poll_ns);
	}
	if (strcmp(cli_json_str(ready, "status", NULL), "True") != 0) {
		const char *msg = cli_json_str(ready, "message", NULL);
		cli_failure(c, "%s reconciliation failed: '%s'", k->kind, msg ? msg : "");
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	k->success(line, sizeof(line), obj);
	cli_success(c, "%s", line);
	rc = CLI_EXIT_OK;
done:
	json_decref(obj);
	return rc;
}

/*
 * Annotates one object and waits for it; the shared body of reconcile and --with-source. extra
 * (NULL-ended, may be NULL) names annotations set to the same time, e.g. forceAt.
 */
static int reconcile_one(cli_ctx *c, const cli_kind *k, const char *ns, const char *name,
                         const char *const *extra)
{
	char now[64];
	json_t *obj = NULL;
	int suspended;

	if (get_object(c, &obj, k, ns, name) < 0)
		return cli_fail_err(c, NULL);
	suspended = json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend"));
	json_decref(obj);
	if (suspended) {
		cli_failure(c, "resource is suspended");
		return CLI_EXIT_FAIL;
	}
	cli_action(c, "annotating %s %s in %s namespace", k->kind, name, ns);
	cli_now_rfc3339nano(now, sizeof(now));
	json_t *patch = annotation_patch(now);
	json_t *annotations = json_object_get(json_object_get(patch, "metadata"), "annotations");
	for (; extra && *extra; extra++)
		json_object_set_new(annotations, *extra, json_string(now));
	if (merge_patch(c, k, ns, name, patch) < 0)
		return cli_fail_err(c, NULL);
	cli_success(c, "%s annotated", k->kind);
	return wait_reconciled(c, k, ns, name, now);
}


/* Where a source is: its kind row, namespace and name, and whether it has a source itself. */
typedef struct {
	const cli_kind *kind;
	char ns[256];
	char name[256];
	int chained;
} source_ref;

static int set_source(source_ref *out, const char *kind, const char *ns, const char *name,
                      int chained)
{
	if (!kind || !name || !(out->kind = cli_kind_by_name(kind)))
		return cf_error_set(CF_EUNSUPPORTED, "cannot reconcile the source %s/%s",
		                    kind ? kind : "?", name ? name : "?");
	snprintf(out->ns, sizeof(out->ns), "%s", ns);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->chained = chained;
	return 0;
}

/*
 * The source flux reconciles first with --with-source: a Kustomization's spec.sourceRef; a
 * HelmRelease's spec.chartRef, else the HelmChart "<namespace>-<name>" helm-controller makes
 * from spec.chart (itself reconciled with its source); a HelmChart's spec.sourceRef.
 */
static int find_source(source_ref *out, const cli_kind *k, json_t *obj)
{
	const char *obj_ns = cli_json_str(obj, "metadata", "namespace", NULL);
	const char *obj_name = cli_json_str(obj, "metadata", "name", NULL);
	json_t *spec = json_object_get(obj, "spec"), *ref;
	const char *rns;
	char chart[512];

	if (!obj_ns || !obj_name)
		return cf_error_set(CF_EINVALID, "object without metadata.name/namespace");
	if (strcmp(k->kind, "HelmRelease") == 0) {
		if ((ref = json_object_get(spec, "chartRef"))) {
			const char *kind = cli_json_str(ref, "kind", NULL);
			rns = cli_json_str(ref, "namespace", NULL);
			return set_source(out, kind, rns && *rns ? rns : obj_ns,
			                  cli_json_str(ref, "name", NULL),
			                  kind && strcmp(kind, "HelmChart") == 0);
		}
		rns = cli_json_str(spec, "chart", "spec", "sourceRef", "namespace", NULL);
		snprintf(chart, sizeof(chart), "%s-%s", obj_ns, obj_name);
		return set_source(out, "HelmChart", rns && *rns ? rns : obj_ns, chart, 1);
	}
	ref = json_object_get(spec, "sourceRef");
	rns = strcmp(k->kind, "HelmChart") == 0 ? NULL : cli_json_str(ref, "namespace", NULL);
	return set_source(out, cli_json_str(ref, "kind", NULL), rns && *rns ? rns : obj_ns,
	                  cli_json_str(ref, "name", NULL), 0);
}

/* Which flags a leaf takes, as bits. */
enum { WITH_SOURCE = 1, FORCE_RESET = 2 };

/* Runs a reconcile/suspend/resume leaf: flags, one NAME, then fn. */
static int run_named(cli_ctx *c, const cli_command *self, int argc, char **argv,
                     const char *kind, int which,
                     int (*fn)(cli_ctx *c, const cli_kind *k, const char *name,
                               const run_opts *o))
{
	run_opts o = { 0 };
	cli_flag all[] = {
		{ "with-source", 0, CLI_FLAG_BOOL, &o.with_source, "reconcile the source as well" },
		{ "force", 0, CLI_FLAG_BOOL, &o.force,
		  "force a one-off install or upgrade of the HelmRelease resource" },
		{ "reset", 0, CLI_FLAG_BOOL, &o.reset,
		  "reset the failure counts of the HelmRelease resource" },
	};
	cli_flag flags[3];
	size_t nflags = 0;
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int nargs, rc;

	if (!args)
		return CLI_EXIT_FAIL;
	memset(flags, 0, sizeof(flags));
	if (which & WITH_SOURCE)
		flags[nflags++] = all[0];
	if (which & FORCE_RESET) {
		flags[nflags++] = all[1];
		flags[nflags++] = all[2];
	}
	rc = cli_parse(c, self, flags, nflags, argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK)
		rc = cli_parse_exit(rc);
	else if (nargs != 1)
		rc = cli_usage(c, NULL, "%s name is required", kind);
	else
		rc = fn(c, cli_kind_by_name(kind), args[0], &o);
	free(args);
	return rc;
}

/* Reconciles ns/name of kind k, its source chain first when with_source. */
static int reconcile_chain(cli_ctx *c, const cli_kind *k, const char *ns, const char *name,
                           int with_source, const char *const *extra)
{
	source_ref src;
	json_t *obj = NULL;
	int rc;

	if (with_source) {
		if (get_object(c, &obj, k, ns, name) < 0)
			return cli_fail_err(c, NULL);
		rc = find_source(&src, k, obj);
		json_decref(obj);
		if (rc < 0)
			return cli_fail_err(c, NULL);
		rc = reconcile_chain(c, src.kind, src.ns, src.name, src.chained, NULL);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	return reconcile_one(c, k, ns, name, extra);
}

static int do_reconcile(cli_ctx *c, const cli_kind *k, const char *name, const run_opts *o)
{
	const char *extra[3] = { NULL, NULL, NULL };
	size_t n = 0;

	if (o->force)
		extra[n++] = FORCE_AT;
	if (o->reset)
		extra[n++] = RESET_AT;
	return reconcile_chain(c, k, c->namespace_, name, o->with_source, extra);
}

static int do_suspend(cli_ctx *c, const cli_kind *k, const char *name, const run_opts *o)
{
	json_t *patch = json_pack("{s:{s:b}}", "spec", "suspend", 1);

	cli_action(c, "suspending %s %s in %s namespace", k->human, name, c->namespace_);
	if (merge_patch(c, k, c->namespace_, name, patch) < 0)
		return cli_fail_err(c, NULL);
	cli_success(c, "%s suspended", k->human);
	return CLI_EXIT_OK;
}

static int do_resume(cli_ctx *c, const cli_kind *k, const char *name, const run_opts *o)
{
	char now[64];
	json_t *patch;

	cli_action(c, "resuming %s %s in %s namespace", k->human, name, c->namespace_);
	cli_now_rfc3339nano(now, sizeof(now));
	/* Clearing suspend and requesting a reconcile in one patch, so the wait has a marker. */
	patch = json_pack("{s:{s:b},s:{s:{s:s}}}", "spec", "suspend", 0, "metadata", "annotations",
	                  REQUESTED_AT, now);
	if (merge_patch(c, k, c->namespace_, name, patch) < 0)
		return cli_fail_err(c, NULL);
	cli_success(c, "%s resumed", k->human);
	return wait_reconciled(c, k, c->namespace_, name, now);
}

#define NAMED_HANDLER(fn, kind, which, action)                                             \
	static int fn(cli_ctx *c, const cli_command *self, int argc, char **argv)          \
	{                                                                                  \
		return run_named(c, self, argc, argv, kind, which, action);                \
	}

NAMED_HANDLER(reconcile_git, "GitRepository", 0, do_reconcile)
NAMED_HANDLER(reconcile_helmrepo, "HelmRepository", 0, do_reconcile)
NAMED_HANDLER(reconcile_oci, "OCIRepository", 0, do_reconcile)
NAMED_HANDLER(reconcile_bucket, "Bucket", 0, do_reconcile)
NAMED_HANDLER(reconcile_chart, "HelmChart", WITH_SOURCE, do_reconcile)
NAMED_HANDLER(reconcile_ks, "Kustomization", WITH_SOURCE, do_reconcile)
NAMED_HANDLER(reconcile_hr, "HelmRelease", WITH_SOURCE | FORCE_RESET, do_reconcile)
NAMED_HANDLER(suspend_git, "GitRepository", 0, do_suspend)
NAMED_HANDLER(suspend_helmrepo, "HelmRepository", 0, do_suspend)
NAMED_HANDLER(suspend_oci, "OCIRepository", 0, do_suspend)
NAMED_HANDLER(suspend_bucket, "Bucket", 0, do_suspend)
NAMED_HANDLER(suspend_chart, "HelmChart", 0, do_suspend)
NAMED_HANDLER(suspend_ks, "Kustomization", 0, do_suspend)
NAMED_HANDLER(suspend_hr, "HelmRelease", 0, do_suspend)
NAMED_HANDLER(resume_git, "GitRepository", 0, do_resume)
NAMED_HANDLER(resume_helmrepo, "HelmRepository", 0, do_resume)
NAMED_HANDLER(resume_oci, "OCIRepository", 0, do_resume)
NAMED_HANDLER(resume_bucket, "Bucket", 0, do_resume)
NAMED_HANDLER(resume_chart, "HelmChart", 0, do_resume)
NAMED_HANDLER(resume_ks, "Kustomization", 0, do_resume)
NAMED_HANDLER(resume_hr, "HelmRelease", 0, do_resume)

static const char *const ks_aliases[] = { "ks", "kustomizations", NULL };
static const char *const hr_aliases[] = { "hr", "helmreleases", NULL };

/* One table shape per verb: source git|helm|chart, kustomization, helmrelease. */
#define VERB_TABLES(verb, Verb, git, helm, chart, oci, bucket, ks, hr, ks_extra)            \
	static const cli_command verb##_source_table[] = {                                 \
		{ "git", NULL, Verb " a GitRepository source", git, NULL,                  \
		  "Usage:\n  cflux " #verb " source git NAME [flags]\n" },                   \
		{ "helm", NULL, Verb " a HelmRepository source", helm, NULL,               \
		  "Usage:\n  cflux " #verb " source helm NAME [flags]\n" },                  \
		{ "chart", NULL, Verb " a HelmChart source", chart, NULL,                  \
		  "Usage:\n  cflux " #verb " source chart NAME [flags]\n" },                 \
		{ "oci", NULL, Verb " an OCIRepository source", oci, NULL,                 \
		  "Usage:\n  cflux " #verb " source oci NAME [flags]\n" },                   \
		{ "bucket", NULL, Verb " a Bucket source", bucket, NULL,                   \
		  "Usage:\n  cflux " #verb " source bucket NAME [flags]\n" },                \
		{ 0 },                                                                     \
	};                                                                                 \
	const cli_command cli_##verb##_table[] = {                                         \
		{ "source", NULL, Verb " sources", NULL, verb##_source_table, NULL },      \
		{ "kustomization", ks_aliases, Verb " a Kustomization", ks, NULL,          \
		  "Usage:\n  cflux " #verb " kustomization NAME " ks_extra "[flags]\n" },    \
		{ "helmrelease", hr_aliases, Verb " a HelmRelease", hr, NULL,              \
		  "Usage:\n  cflux " #verb " helmrelease NAME " ks_extra "[flags]\n" },      \
		{ 0 },                                                                     \
	};

VERB_TABLES(reconcile, "Reconcile", reconcile_git, reconcile_helmrepo, reconcile_chart,
            reconcile_oci, reconcile_bucket, reconcile_ks, reconcile_hr, "[--with-source] ")
VERB_TABLES(suspend, "Suspend", suspend_git, suspend_helmrepo, suspend_chart, suspend_oci,
            suspend_bucket, suspend_ks, suspend_hr, "")
VERB_TABLES(resume, "Resume", resume_git, resume_helmrepo, resume_chart, resume_oci,
            resume_bucket, resume_ks, resume_hr, "")
