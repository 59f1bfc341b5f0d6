/* Git sources for Flux's GitRepository: fetch into a cache, resolve a ref, export a clean tree. */
#ifndef CF_GIT_H
#define CF_GIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Credentials, as read from a GitRepository's secretRef. Every field is optional (NULL); the
 * strings are borrowed for the duration of the call. Nothing here ever appears in an error
 * message.
 */
typedef struct {
	const char *username;        /* HTTPS basic auth ("username" key) */
	const char *password;        /* HTTPS basic auth ("password" key) */
	const char *bearer_token;    /* HTTPS "Authorization: Bearer" ("bearerToken" key) */
	const char *ca_pem;          /* extra trusted CAs for HTTPS, PEM ("ca.crt" key), added to
	                                the system roots */
	const char *cert_pem;        /* HTTPS client certificate, PEM ("tls.crt"); needs key_pem */
	const char *key_pem;         /* its private key, PEM ("tls.key"); needs cert_pem */
	const char *ssh_identity;    /* SSH private key, PEM or OpenSSH format ("identity") */
	const char *ssh_passphrase;  /* passphrase of ssh_identity ("password" key) */
	const char *known_hosts;     /* known_hosts text ("known_hosts"); required for SSH */
} cf_git_auth;

/*
 * What to check out, GitRepository spec.ref. When several are set the strongest wins:
 * commit > name > semver > tag > branch. commit together with branch fetches only that branch.
 * With nothing set the remote's default branch (its HEAD) is used; Flux itself falls back to
 * "master", so a controller wanting that passes branch = "master".
 */
typedef struct {
	const char *branch;
	const char *tag;
	const char *semver;          /* Masterminds constraint matched against tags (strict parse) */
	const char *name;            /* full reference name, "refs/heads/main", "refs/pull/1/head" */
	const char *commit;          /* full or abbreviated SHA-1 */
} cf_git_ref;

typedef struct {
	const char *url;             /* http://, https:// or ssh:// */
	const char *cache_dir;       /* a bare repository kept between calls (created if missing) */
	const char *out_dir;         /* receives the tree, without .git; must be absent or empty */
	cf_git_ref ref;
	const cf_git_auth *auth;     /* may be NULL */
	bool recurse_submodules;     /* check out submodules, fetched with the same auth */
	int timeout_ms;              /* whole operation; 0 means Flux's default of 60 s */
	uint64_t max_file_size;      /* per file; 0 means CF_GIT_DEFAULT_MAX_FILE */
	uint64_t max_total_size;     /* whole export; 0 means CF_GIT_DEFAULT_MAX_TOTAL */
	uint64_t max_transfer_size;  /* bytes received per fetch; 0 means CF_GIT_DEFAULT_MAX_TRANSFER */
	const volatile int *cancel;  /* optional: the call stops with CF_ECANCELED once *cancel != 0 */
} cf_git_checkout_opts;

#define CF_GIT_DEFAULT_MAX_FILE (256ULL << 20)
#define CF_GIT_DEFAULT_MAX_TOTAL (2ULL << 30)
#define CF_GIT_DEFAULT_MAX_TRANSFER (4ULL << 30)

typedef struct {
	char commit[41];             /* hex SHA-1 of the checked-out commit */
	char revision[1024];         /* Flux's revision: "main@sha1:<hex>", "v1.0.0@sha1:<hex>",
	                                "refs/heads/main@sha1:<hex>" or "sha1:<hex>" */
	char ref[512];               /* the reference that was resolved ("refs/tags/v1.0.0"), or "" */
} cf_git_result;

/*
 * Initialises libgit2 once for the process; safe to call from any thread, any number of times.
 * It also makes libgit2 use cf_git's own smart HTTP transport over libcurl for every http:// and
 * https:// remote of the process (client certificates, per-call CAs, deadlines during stalls);
 * only cf_git calls may then use such remotes. Returns CF_ERROR if libgit2 cannot start.
 */
int cf_git_init(void);

/*
 * Fetches opts->url into opts->cache_dir (cloning on first use, fetching only what is missing on
 * later calls), resolves opts->ref, and writes the commit's tree into opts->out_dir. Symbolic
 * links are recreated only when they stay inside out_dir. On success fills *out.
 *
 * Safe to call from several threads at once, also with different CAs per call; calls sharing a
 * cache_dir are serialised with a lock file there.
 *
 * Returns CF_EAUTH (credentials missing or rejected; a client certificate the server wants
 * and was not given, or did not accept; only one of cert_pem and key_pem), CF_EFORBIDDEN
 * (HTTP 403), CF_ENET (unreachable, TLS failure, untrusted server certificate), CF_EUNSAFE
 * (unknown or changed SSH host key, missing known_hosts, link out of the tree),
 * CF_ENOTFOUND (branch, tag, ref, commit or semver match missing, HTTP 404; the message names
 * it), CF_ELIMIT (a file, the tree or the transfer exceeds its limit), CF_ETIMEOUT,
 * CF_ECANCELED, CF_EINVALID (bad options or URL, unusable ca.crt, tls.crt or tls.key),
 * CF_EUNSUPPORTED (not a smart Git HTTP server), CF_EUNAVAILABLE (HTTP 429, 503),
 * CF_EINTERNAL (other HTTP 5xx), CF_EIO, CF_ENOMEM.
 * Messages never contain passwords, tokens or keys.
 *
 * Over HTTP(S) the deadline and cancellation also interrupt a server that stalls (checked every
 * 100 ms), redirects are followed only for the first request (at most 5, never from https to
 * http), basic auth is sent with the first request, and proxies come from the usual
 * environment variables (http_proxy, https_proxy, no_proxy), as Flux's Go client does. Over SSH
 * they are checked between transfer steps only. No shallow clones.
 */
int cf_git_checkout(cf_git_result *out, const cf_git_checkout_opts *opts);

/*
 * Resolves opts->ref to a commit by listing the remote only: nothing is fetched or written
 * (cache_dir and out_dir are ignored), so a controller can skip a checkout when the revision is
 * the one it already has. Annotated tags are peeled from the advertised "^{}" entries. A commit
 * ref must be a full SHA-1 and is returned as given (its existence is not checked). Same errors
 * and result format as cf_git_checkout.
 */
int cf_git_resolve(cf_git_result *out, const cf_git_checkout_opts *opts);

/*
 * Checks one SSH host key against known_hosts text (OpenSSH format, plain or hashed "|1|" host
 * names; "[host]:port" entries for ports other than 22). key_blob is the raw public key as the
 * server sent it. Returns 0 when a line for host:port carries this key, CF_EUNSAFE otherwise
 * (unknown host or changed key, with a message saying which and the key's SHA256 fingerprint),
 * CF_EPARSE when known_hosts has no usable line.
 */
int cf_git_known_hosts_check(const char *known_hosts, const char *host, int port,
			     const unsigned char *key_blob, size_t key_len);

#endif
