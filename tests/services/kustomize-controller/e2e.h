/* A running source-controller and kustomize-controller against the real control plane, for end-to-end tests. */
#ifndef KC_E2E_H
#define KC_E2E_H

#include <jansson.h>
#include <sys/types.h>

#include "cf/bus.h"
#include "cf/kube.h"

typedef struct {
	char *dir;             /* scratch directory: git servers, storage, work tree, logs */
	char ns[64];           /* the test's namespace */
	cf_kube *kube;
	pid_t source, kustomize;
	int storage_port, sc_bus_port, kc_bus_port;
	cf_bus_sub *sub;       /* ReconcileResult messages from kustomize-controller */
	int no_bus;            /* set before kc_e2e_up: kustomize-controller listens to no bus (watch only) */
	const char *kc_flag;   /* one more kustomize-controller flag for the next (re)start, or NULL */
} kc_e2e;

/* Git servers, CRDs, a namespace, a fixture repository and both controllers. */
int kc_e2e_up(kc_e2e *e);
void kc_e2e_down(kc_e2e *e);

/* SIGKILLs kustomize-controller (a crash: no cleanup, no status written) and reaps it. */
void kc_e2e_crash_kustomize(kc_e2e *e);
/* Starts kustomize-controller again with the same flags (its log is appended to). */
int kc_e2e_start_kustomize(kc_e2e *e);

/*
 * Commits fixtures/common plus the named layers (copied in order, NULL-terminated) as the whole
 * tree of branch main of repo.git, and returns the new commit's SHA-1 (caller frees) or NULL.
 */
char *kc_e2e_commit(kc_e2e *e, const char *message, ...);

/* Creates an object (JSON text, printf-style) in namespace ns (NULL: the test's). */
int kc_e2e_create(kc_e2e *e, const char *ns, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Merge-patches an object (JSON text). status=1 patches the status subresource. */
int kc_e2e_patch(kc_e2e *e, const char *api_version, const char *kind, const char *ns, const char *name,
		 int status, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* GETs an object; NULL when absent. */
json_t *kc_e2e_get(kc_e2e *e, const char *api_version, const char *kind, const char *ns, const char *name);
/* Sets reconcile.fluxcd.io/requestedAt on an object to a fresh value. */
int kc_e2e_request(kc_e2e *e, const char *api_version, const char *kind, const char *name);

/* A condition's field (borrowed from obj), or NULL. */
const char *kc_e2e_cond(const json_t *obj, const char *type, const char *field);

/*
 * Waits until Kustomization name has Ready=status for its current generation (and, when
 * revision is set, status.lastAttemptedRevision equal to it; for "True" also no Reconciling).
 * Returns the object (caller json_decref) or NULL after timeout_ms.
 */
json_t *kc_e2e_wait_ks(kc_e2e *e, const char *name, const char *status, const char *revision, int timeout_ms);

/* Waits until a ConfigMap's data key equals value ("" waits for absence of the object). */
int kc_e2e_wait_cm(kc_e2e *e, const char *ns, const char *name, const char *key, const char *value, int timeout_ms);

/* 1 when some Event about name in the test namespace has a message containing text. */
int kc_e2e_has_event(kc_e2e *e, const char *name, const char *text);

/* The "main@sha1:<sha>" revision of a commit (static buffer). */
const char *kc_e2e_rev(const char *sha);

#endif
