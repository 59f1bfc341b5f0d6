/* kustomize-controller's internal interfaces: the environment reconcilers run in and the steps they share. */
#ifndef KC_H
#define KC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cf/bus.h"
#include "cf/kube.h"
#include "cf/object.h"
#include "cf/log.h"
#include "cf/runtime.h"

#define KC_CONTROLLER "kustomize-controller"
#define KC_GROUP "kustomize.toolkit.fluxcd.io"
#define KC_API_VERSION KC_GROUP "/v1"
#define KC_KIND "Kustomization"
#define KC_FINALIZER "finalizers.fluxcd.io"
#define KC_SOURCE_GROUP "source.toolkit.fluxcd.io"
#define KC_FIELD_MANAGER "kustomize-controller"

/* Labels and annotations Flux reads on applied objects. */
#define KC_LABEL_NAME KC_GROUP "/name"
#define KC_LABEL_NAMESPACE KC_GROUP "/namespace"
#define KC_ANN_PRUNE KC_GROUP "/prune"
#define KC_ANN_SSA KC_GROUP "/ssa"
#define KC_ANN_FORCE KC_GROUP "/force"
#define KC_ANN_RECONCILE KC_GROUP "/reconcile"
#define KC_ANN_SUBSTITUTE KC_GROUP "/substitute"
#define KC_ANN_REVISION KC_GROUP "/revision"

/* Flux's Ready reasons for Kustomizations (api/v1 condition_types.go and fluxcd/pkg meta). */
#define KC_REASON_ARTIFACT_FAILED "ArtifactFailed"
#define KC_REASON_BUILD_FAILED "BuildFailed"
#define KC_REASON_HEALTH_FAILED "HealthCheckFailed"
#define KC_REASON_DEPENDENCY "DependencyNotReady"
#define KC_REASON_PRUNE_FAILED "PruneFailed"
#define KC_REASON_SUCCEEDED "Succeeded"
#define KC_REASON_ACCESS_DENIED "AccessDenied"
/* Not Flux's: the spec asks for something this controller does not do (Stalled, see docs). */
#define KC_REASON_UNSUPPORTED "UnsupportedFeature"
#define KC_COND_HEALTHY "Healthy"
/* Flux's TerminalErrorMessage, the start of every Stalled message. */
#define KC_TERMINAL_MESSAGE "Reconciliation failed terminally due to configuration error"

/* What every reconcile shares; set up once by main. */
typedef struct {
	cf_runtime *rt;
	cf_kube *kube;
	cf_bus_pub *bus;             /* NULL when publishing is off */
	const char *tmp_dir;         /* where artifacts are unpacked */
	int http_retry;              /* artifact fetch retries */
	int64_t requeue_dependency_ms;
	int no_cross_namespace_refs; /* --no-cross-namespace-refs */
} kc_env;

/* Events are reported as kustomize-controller with its revision annotation (defined next to the reconciler). */
extern const cf_object_reporter kc_reporter;

/* ---- the kustomization file (generate.c) ---- */

/*
 * Prepares dir (below root) for a build as Flux does: writes a kustomization.yaml listing every
 * Kubernetes YAML file below dir when there is none, then merges the Kustomization's spec
 * overlay (targetNamespace, namePrefix, nameSuffix, patches, images, components) into it.
 */
int kc_generate(const char *dir, const json_t *spec);

/* ---- post-build substitution (substitute.c) ---- */

/*
 * Expands ${...} in text with vars (an object of strings) as Flux's envsubst does; strict makes
 * an unset variable without a default an error. *out is malloc'd. CF_EINVALID with Flux's
 * message on errors.
 */
int kc_substitute(char **out, const char *text, const json_t *vars, int strict);
/*
 * Collects postBuild variables: substituteFrom in order (optional ones may be missing), then
 * substitute, which overrides them. *out is a new object of strings (caller json_decref).
 */
int kc_substitute_vars(json_t **out, cf_kube *kube, const json_t *ks);

/* ---- build (build.c) ---- */

/*
 * Builds spec.path of the unpacked artifact in root, substitutes variables, and returns the
 * objects as a jansson array with owner labels and commonMetadata set.
 */
int kc_build(json_t **out, kc_env *env, const json_t *ks, const char *root);
/*
 * The directory spec.path names below root, into out. CF_EUNSAFE when it leaves root,
 * CF_ENOTFOUND ("kustomization path not found: ...") when it is no directory.
 */
int kc_build_path(char *out, size_t size, const json_t *ks, const char *root);

/* ---- history (history.c) ---- */

/* "sha256:<hex>" of the built objects (keys sorted), the snapshot key of status.history. */
int kc_history_digest(char *out, size_t size, const json_t *objects);
/*
 * Records a reconcile in obj's status.history as Flux's History.Upsert does: the snapshot with the
 * same digest and status is updated (lastReconciled, duration, totalReconciliations + 1, metadata)
 * and moved first; otherwise a new one goes first; at most 5 are kept.
 */
int kc_history_upsert(json_t *obj, const char *digest, time_t now, int64_t duration_ms, const char *status,
		      const char *revision);

/* ---- apply and prune (apply.c, inventory.c) ---- */

/* What happened to one object in an apply. */
typedef enum { KC_CREATED, KC_CONFIGURED, KC_UNCHANGED, KC_SKIPPED, KC_DELETED } kc_action;

/* How kc_apply works. */
typedef struct {
	int force;             /* spec.force: recreate objects whose immutable fields changed */
	/*
	 * 1 when the latest status.history snapshot has these manifests' digest with a successful
	 * apply: a live object already holding every desired field and value is then reported
	 * unchanged without a dry-run request.
	 */
	int applied_before;
	int64_t timeout_ms;    /* bounds the wait for CRDs and Namespaces */
} kc_apply_opts;

/*
 * Server-side applies objects in Flux's stages (definitions, waited for; classes; the rest).
 * *out gets the change set, also on failure: entries {id, v, action, kind, namespace, name} in
 * apply order.
 */
int kc_apply(json_t **out, cf_kube *kube, json_t *objects, const kc_apply_opts *opts);

/*
 * The inventory entries {id, v} objects will have once applied (the namespace dropped for
 * cluster-scoped kinds), for the kinds the server serves now. *out is a new array.
 */
int kc_apply_ids(json_t **out, cf_kube *kube, const json_t *objects);

/* The inventory id of an object: "<ns>_<name>_<group>_<kind>". */
void kc_inventory_id(char *buf, size_t size, const json_t *obj);
/*
 * Deletes the objects in old_entries that are not in new_entries, in reverse order, when they
 * still carry ks's owner labels and do not opt out. *out_deleted gets "Kind/ns/name deleted" lines.
 * On failure the ids that were not deleted are in *out_kept. An entry of a namespaced kind without
 * a namespace (recorded by older versions for an object that was never applied) names nothing: it
 * is dropped with a line on log.
 */
int kc_prune(json_t **out_deleted, json_t **out_kept, cf_kube *kube, const json_t *ks,
	     const json_t *old_entries, const json_t *new_entries, const cf_log_ctx *log);

/* Waits until no object of entries is terminating (deletionPolicy WaitForTermination). CF_ETIMEOUT. */
int kc_inventory_wait_gone(cf_kube *kube, const json_t *entries, int64_t timeout_ms);

/* ---- health (health.c) ---- */

/*
 * The health of one live object (borrowed) as kustomize-controller's poller sees it: Flux's Job
 * reader for batch Jobs (Current once complete), kstatus's Compute for everything else (see
 * cf/kstatus.h). Returns a cf_kstatus value (CF_KSTATUS_CURRENT is 0, so non-zero is not healthy)
 * and writes kstatus's message into why (truncated to why_size).
 */
int kc_health_status(const json_t *obj, char *why, size_t why_size);
/*
 * Polls the objects named by refs (array of {apiVersion, kind, name, namespace}; no apiVersion is
 * the core group) every second until every one is Current, one is Failed, or timeout_ms passed,
 * reading them all each round as kstatus's poller does. Returns 0, or with Flux's messages:
 * CF_ERROR "failed early due to stalled resources: [Kind/ns/name status: 'Failed', ...]" naming
 * the Failed ones; CF_ETIMEOUT "timeout waiting for: [Kind/ns/name status: 'InProgress', ...]"
 * naming every object not Current ('NotFound' when gone, "'Unknown': <error>" when unreadable).
 * Each object's kstatus message is logged at debug level. A thin call of cf_kstatus_wait
 * (cf/kstatus.h).
 */
int kc_health_wait(cf_kube *kube, const json_t *refs, int64_t timeout_ms);

/* ---- the reconciler (kustomization.c) ---- */

cf_result kc_reconcile(const cf_request *req);

#endif
