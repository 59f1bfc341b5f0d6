/*
 * The Kubernetes API client: kubeconfig and in-cluster configuration, REST over libcurl with a
 * client-side rate limit, discovery, the verbs on JSON objects (get, list, watch, create, update,
 * patch incl. server-side apply, delete, status), Events and Leases.
 */
#ifndef CF_KUBE_H
#define CF_KUBE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Design in one paragraph. Objects cross this API as JSON text (NUL-terminated, allocated with
 * malloc, freed by the caller with free()); parse them with cf_doc_load_json() (cf/doc.h) or
 * jansson when the fields are needed. That keeps informer caches compact and avoids a tree copy
 * per object. A cf_kube client is safe to use from many threads at once: it keeps a pool of curl
 * handles (connections are reused), one token bucket and one discovery cache. Every fallible
 * function returns 0 or a negative cf_error_code (cf/error.h) and sets cf_error_last(); API errors
 * carry the server's Status message. Tokens, passwords and keys never appear in messages or logs.
 *
 * HTTP status to code: 401 CF_EAUTH, 403 CF_EFORBIDDEN, 404 CF_ENOTFOUND, 409 CF_EEXISTS when the
 * Status reason is AlreadyExists and CF_ECONFLICT otherwise, 410 CF_EGONE, 422 CF_EINVALID_OBJ,
 * 400 CF_EINVALID, 429/503 CF_EUNAVAILABLE, 504 and client-side deadlines CF_ETIMEOUT, other 5xx
 * CF_EINTERNAL; connection and TLS failures CF_ENET; cancellation CF_ECANCELED.
 */

typedef struct cf_kube_config cf_kube_config;
typedef struct cf_kube cf_kube;
typedef struct cf_kube_cancel cf_kube_cancel;

/* ---- configuration ----------------------------------------------------------------------- */

/*
 * Parses a kubeconfig (YAML or JSON) from memory. context: the context to use, or NULL for
 * current-context. base_dir: the folder relative file paths (tokenFile, certificate-authority,
 * client-certificate, client-key) are resolved against, or NULL for the working directory.
 * Supported: server, certificate-authority(-data), insecure-skip-tls-verify, tls-server-name,
 * token, tokenFile, client-certificate(-data), client-key(-data), username/password, context
 * namespace. exec and auth-provider plugins: CF_EUNSUPPORTED. Errors: CF_EPARSE for bad YAML or
 * base64, CF_EINVALID for a missing context/cluster/user or server (or a non-http(s) server),
 * CF_EIO for unreadable referenced files, CF_ELIMIT past 16 MiB or 64 levels of flow nesting. Files named in the kubeconfig are read now, except tokenFile which is re-read when it
 * changes. Caller frees *out with cf_kube_config_free().
 */
int cf_kube_config_parse(cf_kube_config **out, const char *buf, size_t len, const char *context,
                         const char *base_dir);

/* Reads the kubeconfig file at path (relative paths inside resolve against its folder). */
int cf_kube_config_load_file(cf_kube_config **out, const char *path, const char *context);

/*
 * In-cluster configuration: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, CA from
 * /var/run/secrets/kubernetes.io/serviceaccount/ca.crt, the token from .../token (re-read when the
 * file changes, as kubelet rotates it) and the namespace from .../namespace. CF_ENOTFOUND when
 * not running in a cluster (variables unset).
 */
int cf_kube_config_in_cluster(cf_kube_config **out);

/* The same with explicit values (host may be an IPv6 literal; sa_dir holds token/ca.crt/namespace). */
int cf_kube_config_in_cluster_at(cf_kube_config **out, const char *host, const char *port,
                                 const char *sa_dir);

/*
 * What controller-runtime does: explicit path if non-NULL (the --kubeconfig flag), else the first
 * existing file of $KUBECONFIG (a ':'-separated list; files are not merged), else in-cluster,
 * else $HOME/.kube/config. CF_ENOTFOUND when none applies.
 */
int cf_kube_config_load_default(cf_kube_config **out, const char *path, const char *context);

/* Frees cfg, wiping the secrets it holds. NULL is a no-op. */
void cf_kube_config_free(cf_kube_config *cfg);

/* Borrowed views of a loaded configuration. */
const char *cf_kube_config_server(const cf_kube_config *cfg);    /* "https://host:port" */
const char *cf_kube_config_namespace(const cf_kube_config *cfg); /* "default" when unset */
const char *cf_kube_config_context(const cf_kube_config *cfg);   /* NULL for in-cluster */

/* ---- the client -------------------------------------------------------------------------- */

/* Client options; zero fields take the defaults in brackets. */
typedef struct {
	double qps;                 /* sustained requests per second [20]; < 0 disables the limit */
	int burst;                  /* bucket size [30] */
	const char *user_agent;     /* ["cflux/<version>"] */
	long timeout_ms;            /* whole-request deadline for non-watch calls [60000] */
	long connect_timeout_ms;    /* [10000] */
	const char *impersonate_user;           /* Impersonate-User header, or NULL */
	const char *const *impersonate_groups;  /* Impersonate-Group values, NULL-terminated, or NULL */
} cf_kube_opts;

/*
 * A client for cfg (copied: cfg may be freed afterwards). opts may be NULL. Caller frees *out
 * with cf_kube_free().
 */
int cf_kube_new(cf_kube **out, const cf_kube_config *cfg, const cf_kube_opts *opts);

/*
 * A client that acts as another user through impersonation headers and shares parent's
 * connections, rate limit and discovery cache. groups may be NULL. Either may be freed first.
 * For a ServiceAccount (Flux's spec.serviceAccountName) use cf_kube_new_as_service_account(),
 * which impersonates "system:serviceaccount:<namespace>:<name>" (the API server then adds the
 * service-account groups itself).
 */
int cf_kube_new_impersonating(cf_kube **out, cf_kube *parent, const char *user,
                              const char *const *groups);
int cf_kube_new_as_service_account(cf_kube **out, cf_kube *parent, const char *namespace_,
                                   const char *name);

/* Frees a handle; call only after every request made with it has returned. NULL is a no-op. */
void cf_kube_free(cf_kube *k);

/* The configuration's default namespace (borrowed; "default" when unset). */
const char *cf_kube_namespace(const cf_kube *k);

/* ---- what a request is about --------------------------------------------------------------- */

/*
 * An object or a collection. api_version is "v1" for the core group, "<group>/<version>"
 * otherwise. namespace_ is ignored for cluster-scoped kinds; for list and watch NULL or "" means
 * all namespaces. name is ignored by list, watch and create.
 */
typedef struct {
	const char *api_version;
	const char *kind;
	const char *namespace_;
	const char *name;
} cf_kube_ref;

/* Discovery's answer for a kind. Fixed buffers: no ownership. */
typedef struct {
	char group[254];      /* "" for core */
	char version[64];
	char kind[128];
	char resource[128];   /* plural, e.g. "gitrepositories" */
	int namespaced;
} cf_kube_resource;

/*
 * Maps api_version + kind to its resource through discovery (/api/v1, /apis/<g>/<v>), cached per
 * group-version and fetched again when a kind is not in the cache (e.g. a CRD created since).
 * CF_ENOTFOUND ("no matches for kind ...") when the server does not serve it.
 */
int cf_kube_resolve(cf_kube *k, cf_kube_resource *out, const char *api_version, const char *kind);

/* Drops the discovery cache (e.g. after CRDs were deleted). */
void cf_kube_discovery_reset(cf_kube *k);

/*
 * Builds the request path for res: "/api/v1/namespaces/<ns>/configmaps/<name>[/<sub>]" or
 * "/apis/<g>/<v>/...". ns NULL or "" (or a cluster-scoped res) leaves the namespace out; name
 * and subresource may be NULL (a subresource needs a name). Segments are percent-encoded; "",
 * "." and ".." are refused with CF_EINVALID. Caller frees *out.
 */
int cf_kube_path(char **out, const cf_kube_resource *res, const char *ns, const char *name,
                 const char *subresource);

/* The cf_error_code for an HTTP status and the Status "reason" (may be NULL), as listed above. */
int cf_kube_error_code(long http_status, const char *reason);

/* ---- reading ----------------------------------------------------------------------------- */

/* GETs one object; *out is its JSON (caller frees). */
int cf_kube_get(cf_kube *k, char **out, const cf_kube_ref *ref);

/* GETs the status subresource (same object JSON). */
int cf_kube_get_status(cf_kube *k, char **out, const cf_kube_ref *ref);

typedef struct {
	const char *label_selector;       /* e.g. "app=x,tier!=db" or NULL */
	const char *field_selector;       /* e.g. "metadata.name=foo" or NULL */
	long limit;                       /* page size [500]; < 0: no limit (one response) */
	const char *resource_version;     /* NULL: most recent (quorum read) */
	const char *resource_version_match; /* "NotOlderThan" / "Exact" or NULL */
} cf_kube_list_opts;

/*
 * Called once per item, in order. item is the object's JSON as the server sent it, with
 * "apiVersion" and "kind" inserted first when the server left them out (it does for built-in
 * kinds); borrowed for the duration of the call. Return 0 to go on; any other value stops the
 * listing and cf_kube_list returns it.
 */
typedef int (*cf_kube_item_fn)(void *ctx, const char *item, size_t len);

/*
 * Lists every page (limit/continue) and calls fn for each item. On success *out_rv (if not NULL)
 * is the list's metadata.resourceVersion, the point to start a watch from (caller frees). A
 * continue token that expired mid-way returns CF_EGONE: list again from scratch.
 */
int cf_kube_list(cf_kube *k, char **out_rv, const cf_kube_ref *ref, const cf_kube_list_opts *opts,
                 cf_kube_item_fn fn, void *ctx);

/*
 * One page as the server sent it (the List JSON, items without apiVersion/kind). continue_token
 * is NULL for the first page; read metadata.continue from the result for the next.
 */
int cf_kube_list_page(cf_kube *k, char **out, const cf_kube_ref *ref,
                      const cf_kube_list_opts *opts, const char *continue_token);

/* ---- watching ---------------------------------------------------------------------------- */

typedef enum {
	CF_KUBE_ADDED,
	CF_KUBE_MODIFIED,
	CF_KUBE_DELETED,
	CF_KUBE_BOOKMARK,  /* object carries only apiVersion, kind and metadata.resourceVersion */
	CF_KUBE_ERROR,     /* object is a meta/v1 Status; code 410 means start again with a list */
} cf_kube_event_type;

typedef struct {
	cf_kube_event_type type;
	const char *object;           /* the object's JSON exactly as the server sent it; borrowed
	                                 for the duration of the callback */
	size_t object_len;
	const char *resource_version; /* object's metadata.resourceVersion, "" if none; borrowed */
	int status_code;              /* CF_KUBE_ERROR only: the Status code (e.g. 410), else 0 */
	int initial_events_end;       /* BOOKMARK annotated k8s.io/initial-events-end=true: with
	                                 send_initial_events, the current state has been sent */
} cf_kube_watch_event;

/* Return 0 to go on; any other value ends the watch and cf_kube_watch returns it. */
typedef int (*cf_kube_watch_fn)(void *ctx, const cf_kube_watch_event *ev);

typedef struct {
	const char *label_selector;
	const char *field_selector;
	const char *resource_version; /* where to start; NULL or "" starts at "now" with synthetic ADDs */
	int allow_bookmarks;           /* allowWatchBookmarks=true */
	long timeout_seconds;          /* server closes the stream after this [0: server default] */
	int send_initial_events;       /* watch-list: the current objects arrive first as ADDED events,
	                                  ended by an initial_events_end BOOKMARK, instead of a LIST
	                                  (sendInitialEvents=true, resourceVersionMatch=NotOlderThan;
	                                  implies allow_bookmarks) */
} cf_kube_watch_opts;

/*
 * Streams events to fn until the server ends the stream (returns 0: watch again from the last
 * resourceVersion seen), fn returns non-zero (that value), cancel fires (CF_ECANCELED) or an
 * error happens. An ERROR event is delivered to fn, and if fn returns 0 the watch then returns
 * the mapped code (CF_EGONE for 410). cancel may be NULL.
 */
int cf_kube_watch(cf_kube *k, const cf_kube_ref *ref, const cf_kube_watch_opts *opts,
                  cf_kube_watch_fn fn, void *ctx, cf_kube_cancel *cancel);

/*
 * A cancellation flag for watches. One token may be shared by many watches on many threads;
 * cf_kube_cancel_fire() (any thread, async-signal-unsafe) makes every watch using it return
 * CF_ECANCELED promptly, including watches started afterwards. Free only after the watches
 * using it have returned.
 */
int cf_kube_cancel_new(cf_kube_cancel **out);
void cf_kube_cancel_fire(cf_kube_cancel *c);
int cf_kube_cancel_fired(const cf_kube_cancel *c);
void cf_kube_cancel_free(cf_kube_cancel *c);

/* ---- writing ----------------------------------------------------------------------------- */

typedef enum {
	CF_KUBE_PATCH_MERGE,      /* application/merge-patch+json (RFC 7386) */
	CF_KUBE_PATCH_JSON,       /* application/json-patch+json (RFC 6902) */
	CF_KUBE_PATCH_STRATEGIC,  /* application/strategic-merge-patch+json (built-in kinds only) */
	CF_KUBE_PATCH_APPLY,      /* server-side apply: application/apply-patch+yaml (JSON is YAML) */
} cf_kube_patch_type;

/* Options for writes; a NULL pointer means all zero. */
typedef struct {
	const char *field_manager;      /* fieldManager; required by CF_KUBE_PATCH_APPLY */
	int force;                      /* apply only: take over fields owned by other managers */
	int dry_run;                    /* dryRun=All */
	const char *propagation_policy; /* delete: "Background", "Foreground", "Orphan" or NULL */
	const char *precondition_uid;   /* delete: only if metadata.uid matches */
	const char *precondition_rv;    /* delete: only if metadata.resourceVersion matches */
} cf_kube_write_opts;

/*
 * In the write calls, ref may be NULL: apiVersion, kind, metadata.namespace and metadata.name are
 * then read from the body (for create and update, and for apply whose body names the object).
 * When ref->namespace_ is NULL the body's metadata.namespace is used. out may be NULL; otherwise
 * it receives the server's answer (the object; for delete the object or a Status).
 */

/* POST. CF_EEXISTS when the name is taken. */
int cf_kube_create(cf_kube *k, char **out, const cf_kube_ref *ref, const char *body,
                   const cf_kube_write_opts *opts);

/* PUT. A stale metadata.resourceVersion in body gives CF_ECONFLICT. */
int cf_kube_update(cf_kube *k, char **out, const cf_kube_ref *ref, const char *body,
                   const cf_kube_write_opts *opts);
int cf_kube_update_status(cf_kube *k, char **out, const cf_kube_ref *ref, const char *body,
                          const cf_kube_write_opts *opts);

/*
 * PATCH with the given type. For CF_KUBE_PATCH_APPLY opts->field_manager is required
 * (CF_EINVALID otherwise) and a field owned by another manager gives CF_ECONFLICT unless
 * opts->force is set.
 */
int cf_kube_patch(cf_kube *k, char **out, const cf_kube_ref *ref, cf_kube_patch_type type,
                  const char *body, const cf_kube_write_opts *opts);
int cf_kube_patch_status(cf_kube *k, char **out, const cf_kube_ref *ref, cf_kube_patch_type type,
                         const char *body, const cf_kube_write_opts *opts);

/* DELETE. CF_ENOTFOUND when already gone. */
int cf_kube_delete(cf_kube *k, char **out, const cf_kube_ref *ref, const cf_kube_write_opts *opts);

/* ---- raw requests ------------------------------------------------------------------------ */

/*
 * Any request, e.g. GET /version or /readyz. path includes the query. content_type and body may
 * be NULL. Returns 0 for 2xx with *out the body (caller frees; out may be NULL); otherwise the
 * mapped code, and *out_status (if not NULL) is the HTTP status in both cases.
 */
int cf_kube_request(cf_kube *k, char **out, long *out_status, const char *method,
                    const char *path, const char *content_type, const char *body, size_t len);

/* ---- Events ------------------------------------------------------------------------------ */

/* A core/v1 Event about an object, as Flux's event recorder emits it. */
typedef struct {
	const char *api_version;        /* involvedObject */
	const char *kind;
	const char *namespace_;         /* the Event is created here ("default" when NULL/"") */
	const char *name;
	const char *uid;                /* may be NULL */
	const char *resource_version;   /* may be NULL */
	const char *type;               /* "Normal" or "Warning" */
	const char *reason;             /* UpperCamelCase, e.g. "ReconciliationSucceeded" */
	const char *message;            /* human text */
	const char *action;             /* may be NULL (left out, as the legacy recorder does) */
	const char *reporting_controller; /* e.g. "source-controller" (also source.component) */
	const char *reporting_instance; /* may be NULL: the host name */
	const char *const *annotations; /* "key", "value" pairs ended by NULL, e.g.
	                                   "source.toolkit.fluxcd.io/revision", "main@sha1:..." */
} cf_kube_event;

/*
 * Records ev. Repeats of the same (object, type, reason, message, controller) within 10 minutes
 * bump count and lastTimestamp of the existing Event instead of creating a new one, as client-go's
 * event correlator does.
 */
int cf_kube_event_record(cf_kube *k, const cf_kube_event *ev);

/* ---- Leases (coordination.k8s.io/v1) ----------------------------------------------------- */

/* The spec of a Lease plus its resourceVersion. Times are microseconds since the epoch, 0 = unset. */
typedef struct {
	char holder_identity[256];
	long lease_duration_seconds;
	int64_t acquire_time_us;
	int64_t renew_time_us;
	long lease_transitions;
	char resource_version[64];  /* filled by get/create/update; update sends it as a precondition */
} cf_kube_lease;

/* CF_ENOTFOUND when there is no such Lease. */
int cf_kube_lease_get(cf_kube *k, cf_kube_lease *out, const char *namespace_, const char *name);

/* CF_EEXISTS when another holder created it first. *out gets the stored Lease. */
int cf_kube_lease_create(cf_kube *k, cf_kube_lease *out, const char *namespace_, const char *name,
                         const cf_kube_lease *lease);

/*
 * Replaces the Lease's spec; lease->resource_version must be the one last read, so a concurrent
 * writer makes this fail with CF_ECONFLICT. *out gets the stored Lease (out may equal lease).
 */
int cf_kube_lease_update(cf_kube *k, cf_kube_lease *out, const char *namespace_, const char *name,
                         const cf_kube_lease *lease);

/* Current wall-clock time in microseconds, the unit of the Lease times. */
int64_t cf_kube_now_us(void);

#endif
