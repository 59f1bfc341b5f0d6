/* A running source-controller with git servers and a bus subscriber, for end-to-end tests. */
#ifndef SC_E2E_H
#define SC_E2E_H

#include <jansson.h>
#include <sys/types.h>

#include "cf/bus.h"
#include "cf/kube.h"

typedef struct {
	char *dir;             /* scratch directory: servers, storage, logs */
	char ns[64];           /* the test's namespace */
	cf_kube *kube;
	pid_t controller;
	int storage_port, bus_port, health_port;
	cf_bus_sub *sub;
	const char *const *extra_flags; /* more flags for sc_e2e_start_controller, NULL-terminated */
} sc_e2e;

/* Starts git servers, applies the CRDs, creates a namespace and starts the controller. */
int sc_e2e_up(sc_e2e *e);
void sc_e2e_down(sc_e2e *e);
/*
 * Starts (again) only the controller process, watching only the test's namespace (tests run in
 * parallel against one control plane), with e->extra_flags appended.
 */
int sc_e2e_start_controller(sc_e2e *e);

/* Starts one more controller (own storage, cache and bus port) with extra flags; returns its pid. */
pid_t sc_e2e_spawn(sc_e2e *e, const char *tag, int storage_port, const char *const *extra);

/* Creates an object from JSON text in the test namespace (printf-style). */
int sc_e2e_create(sc_e2e *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Creates an Opaque Secret in the namespace from key/value pairs ended by NULL. */
int sc_e2e_secret(sc_e2e *e, const char *name, ...);

/* GETs a GitRepository; NULL when absent. */
json_t *sc_e2e_get(sc_e2e *e, const char *name);

/*
 * Waits until the GitRepository's Ready condition has status ("True"/"False") for the object's
 * current generation, up to timeout_ms. Returns the object (caller json_decref) or NULL.
 */
json_t *sc_e2e_wait_ready(sc_e2e *e, const char *name, const char *status, int timeout_ms);

/* The Ready condition's reason/message (borrowed from obj). */
const char *sc_e2e_cond(const json_t *obj, const char *type, const char *field);

/* Sets reconcile.fluxcd.io/requestedAt to a fresh value. */
int sc_e2e_request(sc_e2e *e, const char *name);

/* Waits for an ArtifactReady about name; returns it (cf_bus_msg_free) or NULL. */
cf_bus_msg *sc_e2e_wait_bus(sc_e2e *e, const char *name, const char *revision, int timeout_ms);

/*
 * Starts the HTTPS front that requires a client certificate (mtls-front.sh) and loads its
 * CF_GIT_MTLS_URL, CF_GIT_CLIENT_CRT, ... into the environment; sc_e2e_down stops it.
 */
int sc_e2e_mtls(sc_e2e *e);

/* Environment value from the git servers' env file (borrowed), or "". */
const char *sc_e2e_env(const char *key);

#endif
