/* helm-controller's internal interfaces: the reconcile environment, release storage and rendering steps. */
#ifndef HC_H
#define HC_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "cf/bus.h"
#include "cf/object.h"
#include "cf/kube.h"
#include "cf/runtime.h"

#define HC_CONTROLLER "helm-controller"
#define HC_GROUP "helm.toolkit.fluxcd.io"
#define HC_API_VERSION HC_GROUP "/v2"
#define HC_KIND "HelmRelease"
#define HC_FIELD_MANAGER "helm-controller"
#define HC_SOURCE_API "source.toolkit.fluxcd.io/v1"

/* Flux's reasons (helm-controller api/v2 condition_types.go). */
#define HC_COND_RELEASED "Released"
#define HC_REASON_ARTIFACT_FAILED "ArtifactFailed"
#define HC_REASON_SOURCE_NOT_READY "SourceNotReady"
#define HC_REASON_INIT_FAILED "InitFailed"
#define HC_REASON_VALUES_FAILED "ValuesError"
#define HC_REASON_INSTALL_SUCCEEDED "InstallSucceeded"
#define HC_REASON_INSTALL_FAILED "InstallFailed"
#define HC_REASON_UPGRADE_SUCCEEDED "UpgradeSucceeded"
#define HC_REASON_UPGRADE_FAILED "UpgradeFailed"
#define HC_COND_REMEDIATED "Remediated"
#define HC_REASON_ROLLBACK_SUCCEEDED "RollbackSucceeded"
#define HC_REASON_ROLLBACK_FAILED "RollbackFailed"
#define HC_REASON_UNINSTALL_SUCCEEDED "UninstallSucceeded"
#define HC_REASON_UNINSTALL_FAILED "UninstallFailed"
#define HC_REASON_PENDING_RELEASE "PendingRelease"
#define HC_REASON_RETRIES_EXCEEDED "RetriesExceeded"
#define HC_REASON_DEPENDENCY_NOT_READY "DependencyNotReady"
#define HC_ANNOTATION_FORCE_AT "reconcile.fluxcd.io/forceAt"
#define HC_ANNOTATION_RESET_AT "reconcile.fluxcd.io/resetAt"

/* What every reconcile shares; set up once by main. */
typedef struct {
	cf_runtime *rt;
	cf_kube *kube;
	cf_bus_pub *bus;     /* NULL when publishing is off */
	struct cf_discovery_listener *listener; /* ArtifactReady hints, NULL without --events-connect/-service */
	const char *tmp_dir; /* where charts are unpacked */
	int http_retry;
	int64_t requeue_dependency_ms;
} hc_env;

/* ---- release storage the helm CLI reads (storage.c) ---- */

/* One release revision as the helm CLI stores it. */
typedef struct {
	const char *name;         /* release name */
	const char *ns;           /* release namespace (where objects go) */
	int version;              /* revision, from 1 */
	const char *status;       /* "deployed", "superseded", "failed" */
	const char *description;  /* "Install complete" ... */
	const json_t *chart_meta; /* Chart.yaml as JSON */
	const json_t *chart_values; /* the chart's values.yaml as JSON */
	const json_t *config;     /* user-supplied values */
	const char *manifest;
	const json_t *hooks;      /* the record's hooks, NULL or empty for none */
	const char *first_deployed; /* RFC 3339 with nanoseconds */
	const char *last_deployed;
} hc_release;

/* "sh.helm.release.v1.<name>.v<version>". */
void hc_storage_key(char *buf, size_t size, const char *name, int version);
/* Writes (creates or replaces) the record Secret of rel in storage namespace ns. */
int hc_storage_write(cf_kube *kube, const char *ns, const hc_release *rel);
/* Writes a release already in Helm's JSON form (name, version and info.status are read from it). */
int hc_storage_write_json(cf_kube *kube, const char *ns, const json_t *rel);
/*
 * The newest record of release `name` as its Secret labels say: revision, status (into a buffer
 * of status_size) and modifiedAt (unix seconds; createdAt when absent, 0 when neither). CF_ENOTFOUND when the release has no record.
 */
int hc_storage_last(int *version, char *status, size_t status_size, int64_t *modified, cf_kube *kube, const char *ns,
		    const char *name);
/* The newest "deployed" revision of release `name`; CF_ENOTFOUND when none is. */
int hc_storage_deployed(int *version, cf_kube *kube, const char *ns, const char *name);
/* Marks every "deployed" record of the release other than revision `except` superseded, as Helm does. */
int hc_storage_supersede(cf_kube *kube, const char *ns, const char *name, int except);
/* Reads a record's release JSON into *out (caller json_decref). CF_ENOTFOUND when absent. */
int hc_storage_read(json_t **out, cf_kube *kube, const char *ns, const char *name, int version);
/* Rewrites a stored record with another status (label and JSON together); description NULL keeps it. */
int hc_storage_set_status(cf_kube *kube, const char *ns, const char *name, int version, const char *status,
			  const char *description);
/* Deletes a record; absent is fine. */
int hc_storage_delete(cf_kube *kube, const char *ns, const char *name, int version);
/* Base64 (standard) of buf; malloc'd. */
char *hc_b64_encode(const void *buf, size_t len);

/* ---- chart and values (chart.c) ---- */

/* Merges valuesFrom in order then spec.values into a new object (*out, caller json_decref). */
int hc_values_compose(json_t **out, cf_kube *kube, const json_t *hr);
/* Deep-merges src over dst (maps recursively, anything else replaced). */
void hc_values_merge(json_t *dst, const json_t *src);
/* "sha256:<hex>" of the canonical (sorted, compact) JSON of values; sha1 hex when algo is "sha1". */
void hc_values_digest(char *buf, size_t size, const json_t *values, const char *algo);

/* A chart unpacked below dir, with its Chart.yaml and values.yaml as JSON. */
typedef struct {
	char dir[4096];   /* the chart's directory */
	json_t *meta;     /* Chart.yaml */
	json_t *values;   /* values.yaml, {} when absent */
} hc_chart;

/* Unpacks a chart archive into work and reads its metadata. */
int hc_chart_open(hc_chart *c, const void *buf, size_t len, const char *work);
void hc_chart_close(hc_chart *c);
/* The cluster's capabilities for .Capabilities (capabilities.c). */
typedef struct {
	char kube_version[64]; /* the server's gitVersion, read once per process */
	char **apis;           /* "apps/v1", "apps/v1/Deployment", ... from discovery */
	size_t n_apis;
} hc_caps;
/*
 * Reads the server version and discovery's API versions (Helm's getCapabilities); the API list
 * is shared by all releases for up to 30 s (see capabilities.c). Free with hc_caps_free().
 */
int hc_caps_read(hc_caps *caps, cf_kube *kube);
void hc_caps_free(hc_caps *caps);
/* Makes the next hc_caps_read() read discovery again (after CRDs were applied). */
void hc_caps_invalidate(void);

/* How to render a release (helm install / helm upgrade's settings). */
typedef struct {
	const char *release, *ns; /* .Release.Name, .Release.Namespace */
	const char *values_path;  /* the composed values, as a file */
	int upgrade;              /* .Release.IsUpgrade (else IsInstall) */
	int revision;             /* .Release.Revision */
	int skip_schema;          /* <action>.disableSchemaValidation */
	const json_t *hr;         /* the HelmRelease: post-renderers, commonMetadata, origin labels */
	const char *work;         /* scratch directory for post-renderers */
} hc_render_opts;

/*
 * Renders the chart like `helm install` does (CRDs of crds/ first); *objects is a new array of
 * the release's objects for the target namespace, hooks left out. *manifest gets the rendered
 * text without CRDs and hooks, post-rendered (hc_post_render), malloc'd, for the release record;
 * *hooks, when hooks is not NULL, a new array of the hooks in the record's form; *n_crds, when
 * not NULL, how many leading objects come from crds/ directories. .Capabilities come from the
 * cluster.
 */
int hc_chart_render(json_t **objects, char **manifest, json_t **hooks, size_t *n_crds, hc_chart *c, cf_kube *kube,
		    const hc_render_opts *ro);

/*
 * Flux's post-renderers over a rendered manifest (hooks already left out): each
 * spec.postRenderers[].kustomize as a kustomize build in a new directory under work, then
 * spec.commonMetadata, then the origin labels helm.toolkit.fluxcd.io/name and /namespace of the
 * HelmRelease hr. *out (malloc'd) is the result as kustomize prints it: what the release stores.
 */
int hc_post_render(char **out, const char *manifest, const json_t *hr, const char *work);

/*
 * Objects of a stored or rendered manifest (hook documents left out), namespaced ones without a
 * namespace put in ns and all stamped with Helm's ownership metadata; *objects is a new array.
 */
int hc_manifest_objects(json_t **objects, cf_kube *kube, const char *text, const char *release, const char *ns);

/* Objects of a hook's manifest, namespaced ones put in ns, without Helm's ownership stamp. */
int hc_hook_objects(json_t **objects, cf_kube *kube, const char *text, const char *release, const char *ns);

/* ---- hooks (hooks.c) ---- */

/*
 * The hooks among rendered documents ("# Source:" comments give their path) in the release
 * record's form: name, kind, path, manifest, events, last_run, weight, delete_policies. A document
 * naming an unknown event is no hook, as in Helm. *out is a new array.
 */
int hc_hooks_parse(json_t **out, const char *rendered);
/*
 * Runs the hooks of event (e.g. "pre-install") in Helm's order: before-hook-creation deletes a
 * previous object first, Jobs and Pods are waited for, hook-succeeded / hook-failed delete after.
 * Updates each hook's last_run and delete_policies in hooks. Stops at the first failure
 * ("warning: Hook <event> <path> failed: ..."); the whole run is bounded by timeout_ms.
 */
int hc_hooks_run(cf_kube *kube, json_t *hooks, const char *event, const char *release, const char *ns,
		 int64_t timeout_ms);

/* ---- drift (drift.c) ---- */

/*
 * Compares each of objects (stamped as applied) with the cluster through a server-side apply
 * dry run, less the paths of the driftDetection.ignore rules that target it. *drifted is a new
 * array of {"text": "Kind/ns/name changed|removed", "object": the desired object, "patch": for a
 * changed one, the JSON Patch (RFC 6902) that puts back only what differs}.
 */
int hc_drift_detect(json_t **drifted, cf_kube *kube, const json_t *objects, const json_t *ignore);
/*
 * The JSON Patch (RFC 6902, new array) that turns live into want: members added, removed or
 * replaced, objects compared member by member, anything else (arrays too) replaced whole.
 */
json_t *hc_drift_patch(const json_t *live, const json_t *want);
/* Corrects one drifted entry of hc_drift_detect: a removed object is created again, a changed one patched. */
int hc_drift_correct(cf_kube *kube, const json_t *drifted, int64_t timeout_ms);

/* ---- uninstall (uninstall.c) ---- */

/* How to uninstall: spec.uninstall. */
typedef struct {
	int hooks;               /* run pre-delete and post-delete hooks */
	int keep_history;        /* keep the records, the newest marked uninstalled */
	const char *propagation; /* deletionPropagation: background (default), foreground, orphan */
	int64_t timeout_ms;
} hc_uninstall_opts;

/*
 * Deletes the objects of release revision `version`'s manifest (0: none known; objects marked
 * helm.sh/resource-policy: keep stay) and every record Secret of the release in storage_ns (with
 * keep_history the newest record is kept and marked uninstalled); with hooks, that revision's
 * pre-delete and post-delete hooks run around the deletion. Absent objects are fine.
 */
int hc_uninstall(cf_kube *kube, const char *storage_ns, const char *release, int version, const hc_uninstall_opts *o);
/* The options of a HelmRelease's spec.uninstall (timeout defaulting to spec.timeout, then 5m). */
void hc_uninstall_opts_read(hc_uninstall_opts *o, const json_t *hr);

/* Go's RFC3339Nano of now in UTC, as Helm writes its times. */
void hc_time_now(char *buf, size_t size);

/* ---- apply (apply.c) ---- */

/*
 * Server-side applies objects in order as field manager helm-controller; the leading CRDs are
 * waited for (Established, up to timeout_ms) before the rest, or before returning when there is no
 * rest. CF_ETIMEOUT, or the API error with a message naming the object.
 */
int hc_apply(cf_kube *kube, const json_t *objects, int64_t timeout_ms);
/*
 * Waits as Flux's helm-controller does until kstatus says every object of the release (read live
 * by apiVersion, kind, namespace and name) is Current, polling only those not Current yet. Paused
 * Deployments are not waited for. With wait_jobs a Job must have completed (Flux's Job reader);
 * without, kstatus's own rule applies (a started Job is Current). A Job with
 * ttlSecondsAfterFinished that is gone counts as Current. As soon as one object is Failed:
 * CF_ERROR "failed early due to stalled resources: [Kind/ns/name status: 'Failed']". After
 * timeout_ms: CF_ETIMEOUT "timeout waiting for: [Kind/ns/name status: 'InProgress', ...]" naming
 * every object not Current. Each such object's kstatus message is logged. A thin call of
 * cf_kstatus_wait (cf/kstatus.h), polling every 300 ms; objects without apiVersion, kind or
 * metadata.name are not waited for.
 */
int hc_wait(cf_kube *kube, const json_t *objects, int64_t timeout_ms, int wait_jobs);

/*
 * Applies Flux's CRD policy to the first *n_crds objects (those from crds/): "Skip" drops them,
 * "Create" keeps only those not yet in the cluster, "CreateReplace" keeps them all; *n_crds
 * becomes the number kept. CF_EINVALID for another policy.
 */
int hc_crds_policy(cf_kube *kube, json_t *objects, size_t *n_crds, const char *policy);

/* ---- upgrade side effects (update.c) ---- */

/* The objects of `from` that `in` has no object of the same group, kind, namespace and name for (new array). */
json_t *hc_objects_missing(const json_t *from, const json_t *in);
/*
 * Deletes the objects of old_objects that new_objects dropped, as Helm's upgrade and rollback do;
 * a live object annotated helm.sh/resource-policy: keep stays and is appended to kept (may be NULL).
 */
int hc_prune_dropped(cf_kube *kube, const json_t *old_objects, const json_t *new_objects, json_t *kept);
/*
 * Reads each of objects from the cluster; *absent gets those that do not exist (new array). With
 * check_ownership, an existing object without the release's ownership metadata (managed-by Helm,
 * release name and namespace) fails as Helm's does: CF_EEXISTS, "<Kind> "<name>" in namespace
 * "<ns>" exists and cannot be imported into the current release: invalid ownership metadata; ...".
 */
int hc_objects_lookup(json_t **absent, cf_kube *kube, const json_t *objects, const char *release, const char *ns,
		      int check_ownership);
/*
 * upgrade.force: each object is replaced as Helm's --force does (PUT over the live object, which
 * drops fields the chart no longer sets, whoever set them), or created when absent.
 */
int hc_replace(cf_kube *kube, const json_t *objects);
/* cleanupOnFail: deletes the objects a failed upgrade created. */
int hc_cleanup_created(cf_kube *kube, const json_t *created);

/* ---- one reconcile of one HelmRelease ---- */

typedef struct {
	hc_env *env;
	cf_kube *kube;           /* release actions: env->kube, or impersonating spec.serviceAccountName */
	json_t *obj;             /* the HelmRelease, status changed in place */
	json_t *old;             /* as read, for the status diff */
	json_t *helmchart;       /* the HelmChart */
	const char *revision;    /* chart version from the HelmChart artifact (borrowed) */
	char release[128];       /* release name */
	char target_ns[254];
	char storage_ns[254];
	char chart_name[254];    /* "<ns>-<name>" */
	char chart_ns[254];
	char work[4096];
	cf_log_ctx log;
	int64_t retry_ms;        /* requeue delay when the reconcile does not finish */
	time_t now;
} hc_rec;

/* status of the HelmRelease, created when missing (borrowed). */
json_t *hc_status(hc_rec *r);

/* ---- release snapshots and inventory in status (status.c) ---- */

/* status.history[0] (borrowed), or NULL. */
json_t *hc_history_latest(hc_rec *r);
/* Flux's snapshot of a release revision (new reference); first_k8s NULL means now. */
json_t *hc_history_snapshot(hc_rec *r, const hc_release *rel, const char *config_digest, const char *first_k8s);
/*
 * Puts snap (reference stolen; NULL ignored) first; the history then runs down to the previous
 * successful release of the same name, and a deployed snapshot supersedes older deployed ones.
 */
void hc_history_push(hc_rec *r, json_t *snap);
/* Sets the status of the snapshot of `version`, when the history has one. */
void hc_history_mark(hc_rec *r, int64_t version, const char *status);
/*
 * The snapshot a rollback returns to: the newest successful one after the latest (borrowed), or
 * NULL; unless ignore_tests, one whose tests failed does not count.
 */
json_t *hc_history_previous(hc_rec *r, int ignore_tests);
/* 1 when a test hook of the snapshot ended in phase Failed. */
int hc_history_test_failed(const json_t *snap);
/* status.inventory from objects: "<ns>_<name>_<group>_<kind>" ids and versions. */
void hc_inventory_set(hc_rec *r, const json_t *objects);

/* ---- the release state machine (release.c) ---- */

/*
 * Brings the release to the desired chart and values as Flux's atomic release does: it reads
 * the release's state from Helm's storage, then runs install, upgrade, unlock of a stale pending
 * release, rollback or uninstall remediation until the release is in sync, a remediation ran or
 * retries are exhausted. 0 when done for this interval, CF_EAGAIN to come back after
 * r->retry_ms, another code on error (conditions and Events are set in every case).
 */
int hc_release_reconcile(hc_rec *r, hc_chart *chart);

/* ---- the reconciler (helmrelease.c) ---- */

cf_result hc_reconcile(const cf_request *req);

/* Events are reported as helm-controller with its revision annotation (defined next to the reconciler). */
extern const cf_object_reporter hc_reporter;

#endif
