/* HTTP downloads for Helm repositories: libcurl with basic auth, private CAs, client certificates and a size cap. */
#include "helmsource.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

typedef struct {
	char *buf;
	size_t len, cap;
	uint64_t max;
	int over;
} body;

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
	body *b = ctx;
	size_t len = size * n;

	if (b->max && b->len + len > b->max) {
		b->over = 1;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *nb = realloc(b->buf, cap);
		if (!nb)
			return 0;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

/* 1 when a and b have the same scheme and host[:port], as Helm compares them. */
static int same_origin(const char *a, const char *b)
{
	CURLU *ua = curl_url(), *ub = curl_url();
	char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
	int same = 0;

	if (ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	    curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK &&
	    curl_url_get(ua, CURLUPART_SCHEME, &sa, 0) == CURLUE_OK &&
	    curl_url_get(ub, CURLUPART_SCHEME, &sb, 0) == CURLUE_OK &&
	    curl_url_get(ua, CURLUPART_HOST, &ha, 0) == CURLUE_OK &&
	    curl_url_get(ub, CURLUPART_HOST, &hb, 0) == CURLUE_OK) {
		curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT);
		curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT);
		same = strcmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 &&
		       ((!pa && !pb) || (pa && pb && strcmp(pa, pb) == 0));
	}
	curl_free(sa);
	curl_free(sb);
	curl_free(ha);
	curl_free(hb);
	curl_free(pa);
	curl_free(pb);
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

static void set_blob(CURL *c, CURLoption opt, const char *pem)
{
	struct curl_blob blob = {(void *)pem, strlen(pem), CURL_BLOB_COPY};
	curl_easy_setopt(c, opt, &blob);
}

static void configure(CURL *c, const char *url, const sc_http_opts *o, body *b, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Helm/3 cflux-source-controller");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (o->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (o->max_size)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	if (o->ca_pem)
		set_blob(c, CURLOPT_CAINFO_BLOB, o->ca_pem);
	if (o->cert_pem && o->key_pem) {
		set_blob(c, CURLOPT_SSLCERT_BLOB, o->cert_pem);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(c, CURLOPT_SSLKEY_BLOB, o->key_pem);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (o->username && o->password &&
	    (o->pass_credentials || same_origin(o->auth_url ? o->auth_url : url, url))) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, o->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, o->password);
		curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, o->pass_credentials ? 1L : 0L);
	}
}

/* Helm's wording: "failed to fetch <url> : 404 Not Found". */
static int status_error(long status, const char *url)
{
	int code = status == 401 ? CF_EAUTH : status == 403 ? CF_EFORBIDDEN : status == 404 ? CF_ENOTFOUND : CF_ERROR;
	return cf_error_set(code, "failed to fetch %s : %ld %s", url, status,
			    status == 401 ? "Unauthorized" : status == 403 ? "Forbidden" :
			    status == 404 ? "Not Found" : "");
}

static int curl_error(CURLcode rc, const body *b, const sc_http_opts *o, const char *url, const char *errbuf)
{
	const char *what = o->what ? o->what : "file";

	if (b->over || rc == CURLE_FILESIZE_EXCEEDED)
		return cf_error_set(CF_ELIMIT, "%s exceeds the maximum size limit of %llu bytes", what,
				    (unsigned long long)o->max_size);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return cf_error_set(CF_ETIMEOUT, "fetching %s %s: timeout: %s", what, url, errbuf);
	if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
		return cf_error_set(CF_EINVALID, "invalid URL '%s': %s", url, *errbuf ? errbuf : curl_easy_strerror(rc));
	if (rc == CURLE_OUT_OF_MEMORY || rc == CURLE_WRITE_ERROR)
		return cf_error_set(CF_ENOMEM, "fetching %s %s: out of memory", what, url);
	if (rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER || rc == CURLE_BAD_FUNCTION_ARGUMENT)
		return cf_error_set(CF_EINVALID, "fetching %s %s: TLS configuration: %s", what, url,
				    *errbuf ? errbuf : curl_easy_strerror(rc));
	return cf_error_set(CF_ENET, "fetching %s %s: %s", what, url, *errbuf ? errbuf : curl_easy_strerror(rc));
}

int sc_http_get(void **out, size_t *out_len, const char *url, const sc_http_opts *opts)
{
	sc_http_opts o = opts ? *opts : (sc_http_opts){0};
	char errbuf[CURL_ERROR_SIZE] = "";
	body b = {.max = o.max_size};
	long status = 0;
	CURL *c = curl_easy_init();
	CURLcode rc;
	int err = 0;

	if (!c)
		return CF_ENOMEM;
	configure(c, url, &o, &b, errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		err = curl_error(rc, &b, &o, url, errbuf);
		goto done;
	}
	if (status < 200 || status > 299) {
		err = status_error(status, url);
		goto done;
	}
	if (!b.buf && !(b.buf = calloc(1, 1))) {
		err = CF_ENOMEM;
		goto done;
	}
	*out = b.buf;
	*out_len = b.len;
	b.buf = NULL;
done:
	free(b.buf);
	curl_easy_cleanup(c);
	return err;
}
