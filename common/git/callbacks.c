/* libgit2 remote callbacks: credentials, per-call TLS and SSH host verification, deadlines. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
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

/* Loads every certificate of a PEM bundle into a fresh store owned by the caller. */
static X509_STORE *store_from_pem(const char *pem)
{
	X509_STORE *store = X509_STORE_new();
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int n = 0;

	if (!store || !bio)
		goto fail;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		X509_STORE_add_cert(store, x);
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	if (n == 0) {
		X509_STORE_free(store);
		return NULL;
	}
	return store;
fail:
	BIO_free(bio);
	X509_STORE_free(store);
	return NULL;
}

/* Verifies the server's leaf certificate against this call's CA bundle and the host name. */
static int verify_with_ca(const git_cert_x509 *cert, const char *host, const char *ca_pem)
{
	const unsigned char *der = cert->data;
	X509 *leaf = d2i_X509(NULL, &der, (long)cert->len);
	X509_STORE *store = store_from_pem(ca_pem);
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	int ok = 0;

	if (leaf && store && vctx && X509_STORE_CTX_init(vctx, store, leaf, NULL) == 1) {
		X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(vctx);

		/* An IP literal must match an IP SAN; anything else is a DNS name. */
		if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1)
			X509_VERIFY_PARAM_set1_host(param, host, 0);
		ok = X509_verify_cert(vctx) == 1;
	}
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	X509_free(leaf);
	return ok;
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

static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	cf_git_ctx *ctx = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return check_hostkey((const git_cert_hostkey *)cert, ctx);
	if (valid)
		return 0;
	/* The extra CA comes on top of the system roots, as Flux appends ca.crt to the pool. */
	if (cert->cert_type == GIT_CERT_X509 && ctx->auth->ca_pem &&
	    verify_with_ca((const git_cert_x509 *)cert, host, ctx->auth->ca_pem))
		return 0;
	ctx->err = cf_error_set(CF_ENET, "TLS certificate of %s is not trusted%s", host,
				ctx->auth->ca_pem ? " by the given CA" : "");
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
