/* libgit2 remote callbacks: credentials, SSH host verification, transfer limits, deadlines. */
#include <string.h>
#include <time.h>

#include "cf/error.h"
#include "internal.h"

int64_t cf_git__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cf_git__interrupted(cf_git_ctx *ctx)
{
	if (ctx->opts->cancel && *ctx->opts->cancel) {
		ctx->err = cf_error_set(CF_ECANCELED, "git operation on %s canceled", ctx->url_safe);
		return 1;
	}
	if (cf_git__now_ms() > ctx->deadline_ms) {
		ctx->err = cf_error_set(CF_ETIMEOUT, "git operation on %s timed out", ctx->url_safe);
		return 1;
	}
	return 0;
}

static int credentials(git_credential **out, const char *url, const char *user_from_url,
		       unsigned int allowed, void *payload)
{
	cf_git_ctx *ctx = payload;
	const cf_git_auth *a = ctx->auth;

	/* libgit2 asks again after a rejection; a second ask means the server said no. */
	if (++ctx->cred_attempts > 1) {
		ctx->err = cf_error_set(CF_EAUTH, "authentication to %s failed: credentials rejected",
					ctx->url_safe);
		return GIT_EUSER;
	}
	if ((allowed & GIT_CREDENTIAL_SSH_MEMORY) && a->ssh_identity)
		return git_credential_ssh_key_memory_new(out, user_from_url ? user_from_url : "git",
							 NULL, a->ssh_identity, a->ssh_passphrase);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && a->username && a->password)
		return git_credential_userpass_plaintext_new(out, a->username, a->password);
	ctx->err = cf_error_set(CF_EAUTH, "authentication to %s required but no %s credentials given",
				ctx->url_safe, (allowed & GIT_CREDENTIAL_SSH_KEY) ? "SSH" : "HTTPS");
	return GIT_EUSER;
}

static int check_hostkey(const git_cert_hostkey *hk, cf_git_ctx *ctx)
{
	int rc;

	if (!ctx->auth->known_hosts || !*ctx->auth->known_hosts) {
		ctx->err = cf_error_set(CF_EUNSAFE, "refusing SSH connection to %s: no known_hosts "
					"given to verify the host key", ctx->url_safe);
		return GIT_EUSER;
	}
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		ctx->err = cf_error_set(CF_EUNSAFE, "SSH server %s sent no host key", ctx->host);
		return GIT_EUSER;
	}
	rc = cf_git_known_hosts_check(ctx->auth->known_hosts, ctx->host, ctx->port,
				      (const unsigned char *)hk->hostkey, hk->hostkey_len);
	if (rc < 0) {
		ctx->err = rc == CF_EPARSE ? cf_error_set(CF_EUNSAFE, "known_hosts for %s has no host "
							  "keys", ctx->url_safe) : rc;
		return GIT_EUSER;
	}
	return 0;
}

/* Only SSH reaches here: HTTPS is verified by libcurl in http.c, with the call's CA. */
static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	cf_git_ctx *ctx = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return check_hostkey((const git_cert_hostkey *)cert, ctx);
	if (valid)
		return 0;
	ctx->err = cf_error_set(CF_ENET, "certificate of %s is not trusted", host);
	return GIT_ECERTIFICATE;
}

static int transfer_progress(const git_indexer_progress *stats, void *payload)
{
	cf_git_ctx *ctx = payload;
	uint64_t max = ctx->opts->max_transfer_size ? ctx->opts->max_transfer_size
						    : CF_GIT_DEFAULT_MAX_TRANSFER;

	/* A hostile server could otherwise stream packs until the disk is full. */
	if (stats->received_bytes > max) {
		ctx->err = cf_error_set(CF_ELIMIT, "fetch from %s exceeds the %llu byte transfer limit",
					ctx->url_safe, (unsigned long long)max);
		return GIT_EUSER;
	}
	return cf_git__interrupted(ctx) ? GIT_EUSER : 0;
}

static int sideband_progress(const char *str, int len, void *payload)
{
	return cf_git__interrupted(payload) ? GIT_EUSER : 0;
}

void cf_git__callbacks(git_remote_callbacks *cb, cf_git_ctx *ctx)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = credentials;
	cb->certificate_check = certificate_check;
	cb->transfer_progress = transfer_progress;
	cb->sideband_progress = sideband_progress;
	cb->payload = ctx;
}

int cf_git__owns_callbacks(const git_remote_callbacks *cb)
{
	return cb->credentials == credentials && cb->payload != NULL;
}
