/* Consumers' side of artifacts: HTTP GET with retries and a size cap, then a digest check. */
#include "cf/artifact.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cf/error.h"
#include "fsutil.h"

#define MAX_BACKOFF_MS 30000
#define MAX_REDIRECTS 10

/* Where the body goes: a growing buffer or a file descriptor, hashed and counted on the way. */
typedef struct {
	int fd;             /* -1 for memory */
	const char *path;
	char *buf;
	size_t len, cap;
	uint64_t max;
	cf_artifact_hash *hash;
	int err;            /* set by the write callback when it stops the transfer */
} body;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int grow(body *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 65536;
	char *p;

	while (cap < need + 1)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	if ((p = realloc(b->buf, cap)) == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	b->buf = p;
	b->cap = cap;
	return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *p)
{
	body *b = p;
	size_t n = size * nmemb;

	if (b->len + n > b->max) {
		b->err = cf_error_set(CF_ELIMIT, "artifact is bigger than the limit of %llu bytes",
				      (unsigned long long)b->max);
		return 0;
	}
	if (b->fd >= 0) {
		if ((b->err = cf_artifact__write_all(b->fd, data, n, b->path)) < 0)
			return 0;
	} else {
		if ((b->err = grow(b, b->len + n)) < 0)
			return 0;
		memcpy(b->buf + b->len, data, n);
	}
	cf_artifact_hash_update(b->hash, data, n);
	b->len += n;
	return n;
}

/* Starts an attempt from zero: empty buffer or truncated file, fresh hash. */
static int reset(body *b, const char *algo)
{
	cf_artifact_hash_free(b->hash);
	b->hash = NULL;
	b->len = 0;
	b->err = 0;
	if (b->fd >= 0 && (ftruncate(b->fd, 0) < 0 || lseek(b->fd, 0, SEEK_SET) < 0))
		return cf_error_set(CF_EIO, "truncate %s: %s", b->path, strerror(errno));
	return cf_artifact_hash_new(&b->hash, algo);
}

/* HTTP statuses that are not success, mapped to codes; retryable ones come back as such. */
static int status_error(long status, const char *url, int *retry)
{
	*retry = status == 429 || status >= 500;
	if (status == 404)
		return cf_error_set(CF_ENOTFOUND, "artifact not found: GET %s: 404", url);
	if (status == 401)
		return cf_error_set(CF_EAUTH, "GET %s: 401 Unauthorized", url);
	if (status == 403)
		return cf_error_set(CF_EFORBIDDEN, "GET %s: 403 Forbidden", url);
	if (status == 429 || status == 503)
		return cf_error_set(CF_EUNAVAILABLE, "GET %s: %ld", url, status);
	if (status >= 500)
		return cf_error_set(CF_EINTERNAL, "GET %s: %ld", url, status);
	return cf_error_set(CF_ERROR, "GET %s: unexpected status %ld", url, status);
}

static int curl_error(CURLcode rc, const char *url, const char *detail, int *retry)
{
	*retry = 1;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return cf_error_set(CF_ETIMEOUT, "GET %s: %s", url, detail[0] ? detail : curl_easy_strerror(rc));
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		*retry = 0;
		return cf_error_set(CF_EINVALID, "GET %s: %s", url, detail[0] ? detail : curl_easy_strerror(rc));
	case CURLE_FILESIZE_EXCEEDED:
		*retry = 0;
		return cf_error_set(CF_ELIMIT, "GET %s: artifact is bigger than the limit", url);
	default:
		return cf_error_set(CF_ENET, "GET %s: %s", url, detail[0] ? detail : curl_easy_strerror(rc));
	}
}

static int attempt(CURL *h, body *b, const char *url, const char *algo, int *retry)
{
	char detail[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	int err;

	*retry = 0;
	if ((err = reset(b, algo)) < 0)
		return err;
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	rc = curl_easy_perform(h);
	if (b->err < 0)
		return b->err;
	if (rc != CURLE_OK && rc != CURLE_HTTP_RETURNED_ERROR)
		return curl_error(rc, url, detail, retry);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300)
		return status_error(status, url, retry);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static CURL *new_handle(const char *url, body *b, const cf_artifact_fetch_opts *o)
{
	CURL *h = curl_easy_init();

	if (h == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (o->timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	return h;
}

/* Runs the attempts, then checks the digest of the bytes of the last (successful) one. */
static int fetch(body *b, const char *url, const char *digest, const cf_artifact_fetch_opts *opts)
{
	cf_artifact_fetch_opts o = opts ? *opts : (cf_artifact_fetch_opts){0};
	char algo[16], actual[CF_ARTIFACT_DIGEST_MAX];
	long backoff;
	CURL *h = NULL;
	int err, retry = 0;

	if ((err = cf_artifact_digest_algo(algo, sizeof(algo), digest)) < 0)
		return err;
	pthread_once(&curl_once, curl_init);
	b->max = o.max_size ? o.max_size : CF_ARTIFACT_MAX_TOTAL;
	backoff = o.backoff_ms > 0 ? o.backoff_ms : 1000;
	if ((h = new_handle(url, b, &o)) == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (int i = 0;; i++) {
		if ((err = attempt(h, b, url, algo, &retry)) == 0 || !retry || i >= o.retries)
			break;
		sleep_ms(backoff);
		backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
	}
	curl_easy_cleanup(h);
	if (err < 0)
		return err;
	cf_artifact_hash_final(actual, b->hash);
	return cf_artifact_digest_compare(digest, actual);
}

int cf_artifact_fetch_mem(void **out, size_t *out_len, const char *url, const char *digest,
			  const cf_artifact_fetch_opts *opts)
{
	body b = {.fd = -1, .path = url};
	int err;

	if ((err = fetch(&b, url, digest, opts)) == 0 && (err = grow(&b, b.len)) == 0) {
		b.buf[b.len] = '\0';
		*out = b.buf;
		*out_len = b.len;
		b.buf = NULL;
	}
	free(b.buf);
	cf_artifact_hash_free(b.hash);
	return err;
}

int cf_artifact_fetch_file(const char *dest_path, const char *url, const char *digest,
			   const cf_artifact_fetch_opts *opts)
{
	body b = {.fd = -1};
	char *tmp = NULL;
	int err;

	if ((err = cf_artifact__tmpfile(&tmp, &b.fd, dest_path)) < 0)
		return err;
	b.path = tmp;
	err = fetch(&b, url, digest, opts);
	if (close(b.fd) < 0 && err == 0)
		err = cf_error_set(CF_EIO, "close %s: %s", tmp, strerror(errno));
	if (err == 0)
		err = cf_artifact__commit(tmp, dest_path);
	else
		unlink(tmp);
	free(tmp);
	cf_artifact_hash_free(b.hash);
	return err;
}
