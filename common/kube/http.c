/* One request to the API server over a pooled curl handle: auth, TLS, headers, body, status. */
#include "kube_int.h"

#include "cf/error.h"
#include "cf/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_LIMIT (512u << 20)   /* a page of large objects */
#define ERROR_LIMIT (1u << 20)

typedef struct {
	CURL *h;
	const kube_req *req;
	kube_buf body;
	long status;
	int sink_rc;
} xfer;

static long response_status(xfer *x)
{
	if (!x->status)
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	return x->status;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;
	long st = response_status(x);

	if (x->req->sink && st >= 200 && st < 300) {
		if ((x->sink_rc = x->req->sink(x->req->sink_ctx, p, n)) != 0)
			return 0;
		return n;
	}
	if (!(st >= 200 && st < 300))
		x->body.limit = ERROR_LIMIT;
	if (kube_buf_append(&x->body, p, n) < 0) {
		x->sink_rc = cf_error_last_code();
		return 0;
	}
	return n;
}

static CURL *pool_get(kube_core *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->pool_mu);
	if (c->npool > 0)
		h = c->pool[--c->npool];
	pthread_mutex_unlock(&c->pool_mu);
	if (h)
		curl_easy_reset(h);
	else
		h = curl_easy_init();
	return h;
}

#define POOL_MAX KUBE_POOL_MAX

static void pool_put(kube_core *c, CURL *h)
{
	pthread_mutex_lock(&c->pool_mu);
	if (c->npool < POOL_MAX) {
		c->pool[c->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_mu);
	if (h)
		curl_easy_cleanup(h);
}

static int header_ok(const char *v)
{
	return v && !strpbrk(v, "\r\n");
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	kube_buf b = { 0 };
	struct curl_slist *n;
	int err;

	if (!header_ok(value))
		return cf_error_set(CF_EINVALID, "header %s: value contains a line break", name);
	if ((err = kube_buf_printf(&b, "%s: %s", name, value)) < 0)
		return err;
	n = curl_slist_append(*list, b.data);
	kube_buf_free(&b);
	if (!n)
		return cf_error_set(CF_ENOMEM, "out of memory");
	*list = n;
	return 0;
}

static int build_headers(cf_kube *k, const kube_req *req, struct curl_slist **out)
{
	struct curl_slist *list = NULL, *n;
	char *auth = NULL;
	char **g;
	int err;

	if ((err = add_header(&list, "Accept", "application/json")) < 0)
		goto done;
	/* "Name:" with nothing after it tells curl not to send its own Expect: 100-continue */
	if (!(n = curl_slist_append(list, "Expect:"))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	list = n;
	if (req->content_type && (err = add_header(&list, "Content-Type", req->content_type)) < 0)
		goto done;
	if (k->imp_user && (err = add_header(&list, "Impersonate-User", k->imp_user)) < 0)
		goto done;
	for (g = k->imp_groups; g && *g; g++)
		if ((err = add_header(&list, "Impersonate-Group", *g)) < 0)
			goto done;
	if ((err = kube_token_header(&k->core->token, &auth)) < 0)
		goto done;
	if (auth) {
		n = curl_slist_append(list, auth);
		memset(auth, 0, strlen(auth));
		if (!n) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
		list = n;
	}
	*out = list;
	list = NULL;
done:
	free(auth);
	curl_slist_free_all(list);
	return err;
}

/* Host and port of the server URL, for tls-server-name's connect-to mapping. */
static int connect_to(kube_buf *b, const cf_kube_config *cfg)
{
	const char *h = strstr(cfg->server, "://") + 3;
	size_t hl = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/");
	const char *port = h[hl] == ':' ? h + hl + 1 : NULL;
	size_t pl = port ? strcspn(port, "/") : 0;
	const char *defport = strncmp(cfg->server, "https", 5) ? "80" : "443";

	return kube_buf_printf(b, "%s:%.*s:%.*s:%.*s", cfg->tls_server_name, (int)(port ? pl : 3),
	                       port ? port : defport, (int)hl, h, (int)(port ? pl : 3),
	                       port ? port : defport);
}

/* URL = server (or server with host swapped for tls-server-name) + path. */
static int build_url(kube_buf *b, const cf_kube_config *cfg, const char *path)
{
	const char *h, *rest;

	if (!cfg->tls_server_name)
		return kube_buf_printf(b, "%s%s", cfg->server, path);
	h = strstr(cfg->server, "://") + 3;
	rest = h[0] == '[' ? h + strcspn(h, "]") + 1 : h + strcspn(h, ":/");
	return kube_buf_printf(b, "%.*s%s%s%s", (int)(h - cfg->server), cfg->server,
	                       cfg->tls_server_name, rest, path);
}

static void set_tls(CURL *h, const cf_kube_config *cfg)
{
	struct curl_blob blob;

	if (cfg->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (cfg->ca) {
		blob = (struct curl_blob){ cfg->ca, cfg->ca_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (cfg->cert) {
		blob = (struct curl_blob){ cfg->cert, cfg->cert_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		blob = (struct curl_blob){ cfg->key, cfg->key_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (cfg->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
}

static void set_request(CURL *h, kube_core *c, const kube_req *req)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!req->stream)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	else if (req->stream_deadline_s > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, req->stream_deadline_s);
	if (!strcmp(req->method, "GET"))
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
	}
}

/* One debug line per request; only method, path, status and time, never headers or bodies. */
static void log_request(const kube_req *req, long status, int64_t start_ns, int err)
{
	char st[16], ms[32];

	if (!cf_log_enabled(CF_LOG_DEBUG))
		return;
	snprintf(st, sizeof(st), "%ld", status);
	snprintf(ms, sizeof(ms), "%.1f", (double)(kube_mono_ns() - start_ns) / 1e6);
	cf_log_kv(CF_LOG_DEBUG, NULL, "kube request", "verb", req->method, "path", req->path,
	          "status", st, "durationMs", ms, "error", err < 0 ? cf_error_name(err) : "", NULL);
}

int kube_do(cf_kube *k, const kube_req *req, char **out, long *out_status)
{
	kube_core *c = k->core;
	xfer x = { .req = req, .body = { .limit = BODY_LIMIT } };
	struct curl_slist *headers = NULL, *resolve = NULL;
	kube_buf url = { 0 }, ct = { 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode res = CURLE_OK;
	int64_t start = 0;
	int err;

	if (out_status)
		*out_status = 0;
	if (!(x.h = pool_get(c)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if ((err = build_url(&url, c->cfg, req->path)) < 0 ||
	    (err = build_headers(k, req, &headers)) < 0)
		goto done;
	if (c->cfg->tls_server_name) {
		if ((err = connect_to(&ct, c->cfg)) < 0)
			goto done;
		if (!(resolve = curl_slist_append(NULL, ct.data))) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
		curl_easy_setopt(x.h, CURLOPT_CONNECT_TO, resolve);
	}
	curl_easy_setopt(x.h, CURLOPT_URL, url.data);
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, errbuf);
	set_request(x.h, c, req);
	set_tls(x.h, c->cfg);
	kube_ratelimit_wait(&c->rl);
	start = kube_mono_ns();
	err = kube_cancel_perform(req->cancel, x.h, &res);
	response_status(&x);
	if (out_status)
		*out_status = x.status;
	if (err < 0)
		goto done;
	if (x.sink_rc) {
		err = x.sink_rc;
		goto done;
	}
	if (res != CURLE_OK) {
		err = kube_curl_error(res, req->method, req->path, errbuf);
		goto done;
	}
	if (x.status < 200 || x.status >= 300) {
		err = kube_status_error(req->method, req->path, x.status, x.body.data, x.body.len);
		goto done;
	}
	if (out)
		*out = kube_buf_take(&x.body);
done:
	if (start)
		log_request(req, x.status, start, err);
	/* The handle must not keep pointers into this frame when it goes back to the pool. */
	curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(x.h, CURLOPT_CONNECT_TO, NULL);
	pool_put(c, x.h);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
	kube_buf_free(&url);
	kube_buf_free(&ct);
	kube_buf_free(&x.body);
	return err;
}

int cf_kube_request(cf_kube *k, char **out, long *out_status, const char *method,
                    const char *path, const char *content_type, const char *body, size_t len)
{
	kube_req req = { .method = method, .path = path, .content_type = content_type,
	                 .body = body, .body_len = len };

	if (!method || !path || path[0] != '/')
		return cf_error_set(CF_EINVALID, "request: method and an absolute path are required");
	return kube_do(k, &req, out, out_status);
}
