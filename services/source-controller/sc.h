/* source-controller's internal interfaces: the environment reconcilers run in and shared helpers. */
#ifndef SC_H
#define SC_H

#include <jansson.h>
#include <stdint.h>

#include "cf/artifact.h"
#include "cf/bus.h"
#include "cf/kube.h"
#include "cf/object.h"

#define SC_CONTROLLER "source-controller"
#define SC_GROUP "source.toolkit.fluxcd.io"
#define SC_FINALIZER "finalizers.fluxcd.io"

/* What every reconciler of this service shares; set up once by main. */
typedef struct {
	cf_kube *kube;
	cf_artifact_storage *storage;
	cf_bus_pub *bus;            /* NULL when the bus is off */
	const char *git_cache_dir;  /* clones kept between reconciles, outside the served root */
	const char *tmp_dir;        /* scratch space for checkouts */
	int artifact_retention;     /* artifacts kept per object (Flux: 2) */
	volatile int *stopping;     /* set on shutdown; long operations check it */
} sc_env;

/* Outcome of one reconcile, mapped onto the work queue by the runtime glue. */
typedef struct {
	int failed;                 /* 1: retry with backoff */
	int64_t requeue_after_ms;   /* > 0: come back after this long */
} sc_result;

/* A kind this service reconciles. */
typedef struct {
	const char *kind;           /* "GitRepository" */
	const char *plural;         /* "gitrepositories" */
	const char *api_version;    /* storage version, "source.toolkit.fluxcd.io/v1" */
	int (*reconcile)(sc_env *env, const char *ns, const char *name, sc_result *res);
} sc_kind;

extern const sc_kind sc_kinds[];
extern const unsigned sc_nkinds;

int sc_gitrepository_reconcile(sc_env *env, const char *ns, const char *name, sc_result *res);

/* ---- helpers shared by the kinds (object.c; the rest is common/object) ---- */

/* Events are reported as source-controller with its revision annotation. */
extern const cf_object_reporter sc_reporter;

/*
 * Reads Secret ns/name into a jansson object of decoded strings (key -> value). CF_ENOTFOUND
 * with Flux's message when missing.
 */
int sc_secret_get(json_t **out, sc_env *env, const char *ns, const char *name);

/* ---- Helm sources (helmrepository.c, helmchart.c, helmcache.c) ---- */

#include "helmsource.h"

int sc_helmrepository_reconcile(sc_env *env, const char *ns, const char *name, sc_result *res);
int sc_helmchart_reconcile(sc_env *env, const char *ns, const char *name, sc_result *res);

/* Flags (Flux's names and defaults), set by main before the first reconcile. */
extern int sc_helm_index_max_size;      /* --helm-index-max-size [50 MiB] */
extern int sc_helm_chart_max_size;      /* --helm-chart-max-size [10 MiB] */
extern int sc_helm_chart_file_max_size; /* --helm-chart-file-max-size [5 MiB] */
/* cflux's own bounds on a Git checkout (Flux has none); 0 keeps cf_git's defaults. */
extern int sc_git_file_max_size;        /* --git-file-max-size [256 MiB] */
extern int sc_git_tree_max_size;        /* --git-tree-max-size [2 GiB] */

/*
 * HTTP options for a HelmRepository: basic auth from spec.secretRef (username, password),
 * TLS from spec.certSecretRef (tls.crt, tls.key, ca.crt; also accepted in secretRef, as Flux's
 * deprecated form), passCredentials and the repository URL as the credential origin, timeout.
 * *keep owns the strings (json_decref when done). CF_ENOTFOUND (Secret missing), CF_EINVALID
 * (only one of username/password, of tls.crt/tls.key).
 */
int sc_helmrepo_http_opts(sc_http_opts *out, json_t **keep, sc_env *env, const json_t *repo);

/*
 * A parsed index shared by every HelmChart of a repository revision. Looks up digest (the
 * index artifact's digest) in a small process-wide cache and parses the file at path on a
 * miss. Release with sc_helm_index_cache_release. CF_EPARSE and the parse errors.
 */
int sc_helm_index_cache_get(const sc_helm_index **out, const char *digest, const char *path);
/* Puts an index just parsed into the cache (taking it), so the first HelmChart need not. */
void sc_helm_index_cache_put(const char *digest, sc_helm_index *idx);
void sc_helm_index_cache_release(const sc_helm_index *idx);

/* Go's units.HumanSize ("1.234kB") into buf. */
void sc_human_size(char *buf, size_t size, double bytes);

#endif
