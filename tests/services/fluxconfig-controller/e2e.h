/* source-, kustomize-, helm- and fluxconfig-controller running against the real control plane, for end-to-end tests. */
#ifndef FC_E2E_H
#define FC_E2E_H

#include <jansson.h>
#include <sys/types.h>

#include "cf/kube.h"

typedef struct {
	char *dir;   /* scratch: git servers, storage, work tree, logs */
	char ns[64]; /* the test's namespace */
	cf_kube *kube;
	pid_t source, kustomize, helm, fluxconfig;
	int storage_port, sc_bus_port, kc_bus_port, hc_bus_port, fc_bus_port;
} fc_e2e;

/* Git servers, CRDs (Flux's and FluxConfig), a namespace, an empty fleet repository, the four controllers. */
int fc_e2e_up(fc_e2e *e);
void fc_e2e_down(fc_e2e *e);

/* Commits fixtures/base plus the named layers (NULL-terminated) as branch main of fleet.git; the SHA-1 (caller frees). */
char *fc_e2e_commit(fc_e2e *e, const char *message, ...);

/* Creates an object from JSON text (printf-style) in the test namespace. */
int fc_e2e_create(fc_e2e *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Merge-patches an object in the test namespace. */
int fc_e2e_patch(fc_e2e *e, const char *api_version, const char *kind, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Deletes an object in the test namespace. */
int fc_e2e_delete(fc_e2e *e, const char *api_version, const char *kind, const char *name);
/* GETs an object of the test namespace; NULL when absent. */
json_t *fc_e2e_get(fc_e2e *e, const char *api_version, const char *kind, const char *name);
/* Sets reconcile.fluxcd.io/requestedAt on an object to a fresh value. */
int fc_e2e_request(fc_e2e *e, const char *api_version, const char *kind, const char *name);

#endif
