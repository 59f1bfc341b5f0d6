/* State shared by the files of the git module during one cf_git_checkout call. */
#ifndef CF_GIT_INTERNAL_H
#define CF_GIT_INTERNAL_H

#include <git2.h>
#include <stdint.h>

#include "cf/git.h"

typedef struct {
	const cf_git_checkout_opts *opts;
	const cf_git_auth *auth;       /* never NULL inside the module (points to a zeroed struct) */
	char url_safe[1024];           /* the URL without user info, for messages */
	const char *url;               /* the URL libgit2 connects to (the top one or a submodule's) */
	char host[256];
	int port;
	int64_t deadline_ms;           /* CLOCK_MONOTONIC */
	int cred_attempts;
	int err;                       /* a cf_error code set by a callback, reported over libgit2's */
	uint64_t written;              /* bytes exported so far */
	int depth;                     /* submodule nesting */
	git_strarray headers;          /* extra HTTP headers (the bearer token) */
	char *header_buf[1];
} cf_git_ctx;

int64_t cf_git__now_ms(void);

/* Fills the remote callbacks (credentials, SSH host key check, progress) for ctx. */
void cf_git__callbacks(git_remote_callbacks *cb, cf_git_ctx *ctx);

/* true when cb was filled by cf_git__callbacks, so cb->payload is a cf_git_ctx. */
int cf_git__owns_callbacks(const git_remote_callbacks *cb);

/* Registers the libcurl smart HTTP transport for http:// and https:// (once, from init). */
int cf_git__http_register(void);

/* TLS state of one HTTP transport; it outlives every connection the transport opens. */
typedef struct {
	const char *ca_pem;            /* added to the system roots of each new connection */
	int cert_requested;            /* the server asked for a client certificate */
} cf_git_tls;

/* Once per process: the OpenSSL index tls.c keeps its state under. */
int cf_git__tls_init(void);

/* Sets auth's CA and client certificate on a curl handle; t records what the handshake saw. */
int cf_git__tls_setup(void *curl, cf_git_tls *t, const cf_git_auth *auth);

/* Maps the last libgit2 error (or the one a callback recorded) to a cf_error code + message. */
int cf_git__error(cf_git_ctx *ctx, int gitrc, const char *what);

/* true once the deadline passed or the caller asked to stop; sets ctx->err. */
int cf_git__interrupted(cf_git_ctx *ctx);

/* Connects, lists the remote, picks the reference for opts->ref and fetches it into repo. */
typedef struct {
	git_oid oid;                   /* the commit to export */
	char ref[512];                 /* full reference name or "" for a bare commit */
	char label[512];               /* the revision prefix before '@', or "" */
} cf_git_target;

/* What the remote advertised (borrowed from the connected git_remote). */
typedef struct {
	const git_remote_head **heads;
	size_t n;
} cf_git_listing;

const git_remote_head *cf_git__find_head(const cf_git_listing *ls, const char *name);

/* Applies Flux's precedence (commit > name > semver > tag > branch, else remote HEAD). */
int cf_git__pick(cf_git_target *t, git_remote *remote, const cf_git_listing *ls,
		 const cf_git_ref *ref, cf_git_ctx *ctx);

int cf_git__fetch(cf_git_target *out, git_repository *repo, cf_git_ctx *ctx, const cf_git_ref *ref);

/* Like cf_git__fetch without a repository: only lists the remote (tags peeled via "^{}"). */
int cf_git__resolve(cf_git_target *out, cf_git_ctx *ctx, const cf_git_ref *ref);

/* Writes commit's tree into dir (which exists and is empty). */
int cf_git__export(git_repository *repo, const git_oid *commit, const char *dir, cf_git_ctx *ctx);

/* Checks out the submodule at rel (gitlink commit) into path, using root's .gitmodules. */
int cf_git__submodule(git_repository *repo, git_tree *root, const char *path, const char *rel,
		      const git_oid *commit, cf_git_ctx *ctx);

/* Parses url into ctx (host, port, url_safe); CF_EINVALID for schemes Flux does not accept. */
int cf_git__parse_url(cf_git_ctx *ctx, const char *url);

/* Copies s into out with user info removed from URLs and secrets replaced by "***". */
void cf_git__scrub(char *out, size_t size, const char *s, const cf_git_auth *auth);

/* Opens (or creates) the bare cache repository at path and takes its lock; fd receives it. */
int cf_git__open_cache(git_repository **out, int *lock_fd, const char *path, cf_git_ctx *ctx);

#endif
