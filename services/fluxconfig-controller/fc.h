/* fluxconfig-controller's internal interfaces: the FluxConfig kind, its translation and its compliance rollup. */
#ifndef FC_H
#define FC_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "cf/bus.h"
#include "cf/kube.h"
#include "cf/object.h"
#include "cf/runtime.h"

#define FC_CONTROLLER "fluxconfig-controller"
#define FC_GROUP "config.cflux.io"
#define FC_API_VERSION FC_GROUP "/v1"
#define FC_KIND "FluxConfig"
#define FC_FIELD_MANAGER "fluxconfig-controller"

/* Labels on every object a FluxConfig creates: how watches and prune find their owner. */
#define FC_LABEL_NAME FC_GROUP "/name"
#define FC_LABEL_NAMESPACE FC_GROUP "/namespace"

#define FC_SOURCE_API "source.toolkit.fluxcd.io/v1"
#define FC_KS_API "kustomize.toolkit.fluxcd.io/v1"
#define FC_HR_API "helm.toolkit.fluxcd.io/v2"
/* kustomize-controller's labels on what a Kustomization applied. */
#define FC_KS_LABEL_NAME "kustomize.toolkit.fluxcd.io/name"
#define FC_KS_LABEL_NAMESPACE "kustomize.toolkit.fluxcd.io/namespace"

/* Azure's complianceState values. */
#define FC_COMPLIANT "Compliant"
#define FC_NON_COMPLIANT "Non-Compliant"
#define FC_PENDING "Pending"
#define FC_SUSPENDED "Suspended"
#define FC_UNKNOWN "Unknown"

/* Ready reasons of a FluxConfig. */
#define FC_REASON_INVALID "InvalidSpec"
#define FC_REASON_APPLY_FAILED "ApplyFailed"
#define FC_REASON_NON_COMPLIANT "NonCompliant"
#define FC_REASON_SUSPENDED "Suspended"

/* What every reconcile shares; set up once by main. */
typedef struct {
	cf_runtime *rt;
	cf_kube *kube;
	cf_bus_pub *bus; /* NULL when publishing is off */
} fc_env;

extern const cf_object_reporter fc_reporter;

/* ---- translation (spec.c): pure, no cluster ---- */

/* The namespace a config's objects live in: spec.namespace, else the FluxConfig's own. Borrowed. */
const char *fc_spec_namespace(const json_t *config);

/*
 * The objects a FluxConfig stands for: the GitRepository named after it first, then one
 * Kustomization "<config>-<key>" per spec.kustomizations entry (sorted by key), each labelled
 * with FC_LABEL_NAME/FC_LABEL_NAMESPACE, owned by the config when in its namespace, and
 * suspended when the config is. secret_ref names the Secret the GitRepository authenticates
 * with (NULL: none). *out is a new array (caller json_decref). CF_EINVALID with a message that
 * names the offending field (cf_error_last()), e.g. an unsupported sourceKind.
 */
int fc_spec_desired(json_t **out, const json_t *config, const char *secret_ref);

/* ---- compliance (compliance.c): pure ---- */

/* Azure's complianceState of one Flux object from its conditions (FC_COMPLIANT, ...). */
const char *fc_compliance_of(const json_t *obj);

/*
 * One statuses[] entry for a live Flux object: name, namespace, kind, complianceState,
 * appliedBy ({name, namespace}, when applied_by_name is set), statusConditions and, for a
 * HelmRelease, helmReleaseProperties. Caller json_decrefs.
 */
json_t *fc_compliance_entry(const json_t *obj, const char *applied_by_name, const char *applied_by_ns);

/*
 * A Kustomization that failed only for want of an artifact waits on its source: while the
 * config's GitRepository (the first non-applied GitRepository entry) is not Compliant, such
 * entries (Ready reason ArtifactFailed) become Pending. The source's own state still counts.
 */
void fc_compliance_source_gate(json_t *statuses);

/*
 * The configuration's state from its statuses[]: Suspended when suspended; else Non-Compliant
 * when any entry is; else Pending when any is, or when there are none; else Compliant. error
 * gets "<Kind>/<namespace>/<name>: <Ready message>" of the first Non-Compliant entry, or "".
 */
const char *fc_compliance_rollup(const json_t *statuses, int suspended, char *error, size_t size);

/*
 * The Flux objects an applied Kustomization's inventory lists (HelmRelease, Kustomization,
 * GitRepository, HelmRepository, OCIRepository), as an array of {apiVersion, kind, namespace,
 * name}, at most limit of them. Caller json_decrefs.
 */
json_t *fc_compliance_inventory_refs(const json_t *ks, size_t limit);

/* ---- cluster work (children.c) ---- */

/*
 * Server-side applies each object as FC_FIELD_MANAGER, taking over conflicting fields, except
 * those the runtime's watch cache (rt may be NULL) already holds with the same spec, labels and
 * owner references.
 */
int fc_children_apply(cf_kube *kube, cf_runtime *rt, const json_t *objects);
/*
 * Deletes the config's Kustomizations (found by label in ns) that are not in desired. *out_pruned
 * gets their names (caller json_decrefs).
 */
int fc_children_prune(json_t **out_pruned, cf_kube *kube, const json_t *config, const json_t *desired);
/*
 * Deletes every object the config created (Kustomizations first, then the GitRepository and the
 * auth Secret). Returns 0 when all are gone, CF_EAGAIN while some still terminate.
 */
int fc_children_delete_all(cf_kube *kube, const json_t *config);
/*
 * Reads the GitRepository, the Kustomizations of desired, and the Flux objects in their
 * inventories, and returns statuses[] (caller json_decrefs). *out_source gets the live
 * GitRepository or NULL (caller json_decrefs).
 */
int fc_children_statuses(json_t **out, json_t **out_source, cf_kube *kube, const json_t *desired);

/* ---- credentials (auth.c) ---- */

/*
 * Writes the Secret "<config>-auth" the GitRepository uses when spec.gitRepository has
 * httpsUser (password from httpsKeySecretRef) or sshKnownHosts (base64, as Azure takes it), and
 * writes its name into out_name (size bytes). localAuthRef, when set, is used as is. With no
 * credentials out_name is "". CF_EINVALID / CF_ENOTFOUND / CF_ELIMIT with a message.
 */
int fc_auth_secret(char *out_name, size_t size, cf_kube *kube, const json_t *config);

/* ---- the reconciler (fluxconfig.c) ---- */

cf_result fc_reconcile(const cf_request *req);

#endif
