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
#define HC_REASON_INIT_FAILED "InitFailed"
#define HC_REASON_VALUES_FAILED "ValuesError"
#define HC_REASON_INSTALL_SUCCEEDED "InstallSucceeded"
#define HC_REASON_INSTALL_FAILED "InstallFailed"
#define HC_REASON_UPGRADE_SUCCEEDED "UpgradeSucceeded"
#define HC_REASON_UPGRADE_FAILED "UpgradeFailed"

/* What every reconcile shares; set up once by main. */
typedef struct {
	cf_runtime *rt;
	cf_kube *kube;
	cf_bus_pub *bus;     /* NULL when publishing is off */
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
	const char *first_deployed; /* RFC 3339 with nanoseconds */
	const char *last_deployed;
} hc_release;

/* "sh.helm.release.v1.<name>.v<version>". */
void hc_storage_key(char *buf, size_t size, const char *name, int version);
/* Writes (creates or replaces) the record Secret of rel in storage namespace ns. */
int hc_storage_write(cf_kube *kube, const char *ns, const hc_release *rel);
/* Reads a record's release JSON into *out (caller json_decref). CF_ENOTFOUND when absent. */
int hc_storage_read(json_t **out, cf_kube *kube, const char *ns, const char *name, int version);
/* Rewrites a stored record with another status (label and JSON together). */
int hc_storage_set_status(cf_kube *kube, const char *ns, const char *name, int version, const char *status);
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
/*
 * Renders the chart like `helm install --no-hooks` does (CRDs of crds/ first; hook objects left out) with values
 * written to values_path; *objects is a new array of objects for the target namespace.
 * *manifest gets the rendered text without CRDs (malloc'd) for the release record.
 */
int hc_chart_render(json_t **objects, char **manifest, hc_chart *c, const char *release, const char *ns,
		    const char *values_path, cf_kube *kube);

/* ---- uninstall (uninstall.c) ---- */

/*
 * Deletes the objects of release revision `version`'s manifest (0: none known) and every record
 * Secret of the release in storage_ns. Hooks are not run. Absent objects are fine.
 */
int hc_uninstall(cf_kube *kube, const char *storage_ns, const char *release, int version);

/* ---- apply (apply.c) ---- */

/*
 * Server-side applies objects in order as field manager helm-controller; the leading CRDs are
 * waited for (Established, up to timeout_ms) before the rest. CF_ETIMEOUT, or the API error with
 * a message naming the object.
 */
int hc_apply(cf_kube *kube, const json_t *objects, int64_t timeout_ms);

/* ---- the reconciler (helmrelease.c) ---- */

cf_result hc_reconcile(const cf_request *req);

/* Events are reported as helm-controller with its revision annotation (defined next to the reconciler). */
extern const cf_object_reporter hc_reporter;

#endif
