/* The HelmRelease end-to-end harness shared by the helm-controller end-to-end tests (hr_e2e.c). */
#ifndef HR_E2E_H
#define HR_E2E_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "e2e.h"

#define HRE_TIMEOUT_MS 120000
#define HR_API "helm.toolkit.fluxcd.io/v2"

extern sc_e2e hre;            /* namespace, kube client and scratch directory of the run */
extern pid_t hre_hc_pid;      /* the helm-controller process */
extern char hre_helm_dir[1200];
extern char hre_helm_bin[1024]; /* the real helm */
/*
 * 1 (the default): the test chart has a CRD in crds/ (widgets.hc.cflux.test) and a Widget. That
 * CRD is cluster-wide, so only one test binary may use it; the others set 0 before hre_setup.
 */
extern int hre_with_widgets;

/* cmocka group set-up: control plane objects, Helm repository with chart hello 0.1.0, helm-controller. */
int hre_setup(void **state);
/* Stops what hre_setup started; fails when the controller's log has a sanitizer report. */
int hre_teardown(void **state);
/* Creates the HelmRepository "hc-repo" over the test's Helm repository. */
int hre_create_repo(void);
/* The chart under test: a ConfigMap of values and a ServiceAccount, packaged by the real helm. */
int hre_make_chart(const char *version, const char *app_version);
int hre_start_helm_controller(void);
json_t *hre_get(const char *api, const char *kind, const char *name);
const char *hre_cond(const json_t *obj, const char *type, const char *field);
/* Waits for Ready=True at the current generation with release revision `version` recorded. */
json_t *hre_wait_released(const char *name, int version);
/* Output of the real helm against the test cluster, parsed as JSON. */
json_t *hre_helm_json(const char *args);
int hre_eq(const char *a, const char *b);
const char *hre_s(const json_t *obj, const char *key);
/* The API server's gitVersion, as GET /version gives it (malloc'd). */
char *hre_server_version(void);
void hre_assert_cm(const char *name, const char *key, const char *value);
/* Polls the HelmRelease until condition `type` has `status` (and `reason` unless NULL). */
json_t *hre_wait_cond(const char *name, const char *type, const char *status, const char *reason);
void hre_delete_hr(const char *name);
int64_t hre_status_int(const json_t *hr, const char *key);
void hre_assert_history_entry(const json_t *history, size_t i, int revision, const char *status, const char *desc_prefix);
char *hre_record_status(const char *release, int version);
/* Sets a Job's status to complete, as the job controller would (none runs here). */
void hre_complete_job(const char *name);
json_t *hre_wait_object(const char *api, const char *kind, const char *name);
int hre_gone(const char *api, const char *kind, const char *name);
int hre_annotate(const char *name, const char *key, const char *value);
int hre_crd_exists(void);
/* Annotates requestedAt and waits until the controller has handled it; the HelmRelease then. */
json_t *hre_reconcile_now(const char *name, const char *token);
int hre_has_inventory(const json_t *hr, const char *id);

#endif
