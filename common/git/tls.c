/* TLS settings of git HTTPS requests: the repository's extra CA and its client certificate. */
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static int ex_index = -1;      /* where an SSL_CTX keeps its cf_git_tls */

/*
 * The system roots as a hashed directory (/etc/ssl/certs): OpenSSL reads only the issuer a
 * verification needs, where loading the bundle file costs about 1.4 MiB of heap if kept, or
 * tens of thousands of allocations per connection if parsed each time.
 */
static char roots_dir[512];

/* Adds every certificate of a PEM bundle to store; returns how many were added. */
static int add_pem_certs(X509_STORE *store, const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int n = 0;

	if (!bio)
		return 0;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error();
	return n;
}

/*
 * OpenSSL calls this when the server asks for a client certificate: remembered, so a connection
 * the server then drops is reported as a certificate problem rather than "empty reply".
 */
static int on_cert_request(SSL *ssl, void *arg)
{
	cf_git_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);

	(void)arg;
	if (t)
		t->cert_requested = 1;
	return 1;
}

/*
 * Runs when curl has set up the OpenSSL context of a new connection, whose store looks up the
 * system roots: the repository's CA goes on top, as Flux appends ca.crt to the system pool.
 */
static CURLcode on_ssl_ctx(CURL *h, void *ssl_ctx, void *data)
{
	cf_git_tls *t = data;

	(void)h;
	if (t->ca_pem && add_pem_certs(SSL_CTX_get_cert_store(ssl_ctx), t->ca_pem) == 0)
		return CURLE_SSL_CACERT_BADFILE;
	SSL_CTX_set_ex_data(ssl_ctx, ex_index, t);
	SSL_CTX_set_cert_cb(ssl_ctx, on_cert_request, NULL);
	return CURLE_OK;
}

static int set_blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob blob = {(void *)pem, strlen(pem), CURL_BLOB_COPY};

	return curl_easy_setopt(h, opt, &blob) == CURLE_OK ? 0 : -1;
}

int cf_git__tls_init(void)
{
	CURL *h = curl_easy_init();
	const char *dir = NULL;

	/* libcurl's built-in directory, else OpenSSL's. */
	if (h)
		curl_easy_getinfo(h, CURLINFO_CAPATH, &dir);
	snprintf(roots_dir, sizeof(roots_dir), "%s", dir ? dir : X509_get_default_cert_dir());
	curl_easy_cleanup(h);
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return ex_index < 0 ? -1 : 0;
}

int cf_git__tls_setup(void *curl, cf_git_tls *t, const cf_git_auth *a)
{
	CURL *h = curl;

	t->ca_pem = a->ca_pem;
	t->cert_requested = 0;
	/* Each connection has a store of its own, never a cached one another call added to. */
	if (curl_easy_setopt(h, CURLOPT_CAINFO, NULL) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CAPATH, roots_dir) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CA_CACHE_TIMEOUT, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, t) != CURLE_OK)
		return cf_error_set(CF_EUNSUPPORTED, "libcurl's TLS backend is not OpenSSL");
	if (a->cert_pem && a->key_pem) {
		if (curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK ||
		    set_blob(h, CURLOPT_SSLCERT_BLOB, a->cert_pem) < 0 ||
		    set_blob(h, CURLOPT_SSLKEY_BLOB, a->key_pem) < 0)
			return cf_error_set(CF_EUNSUPPORTED, "libcurl cannot present a client certificate");
	}
	return 0;
}
