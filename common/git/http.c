/*
 * Git's smart HTTP protocol over libcurl, registered as libgit2's transport for http:// and
 * https://. libgit2 1.5's own HTTP client cannot present a client certificate; this one also
 * verifies the whole chain against the call's CA and applies the call's deadline and
 * cancellation while waiting for a server that stalls.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <git2/sys/remote.h>
#include <git2/sys/transport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cf/error.h"
#include "internal.h"

#define USER_AGENT "git/2.0 (cflux)"
#define MAX_PENDING (256 * 1024)  /* bytes received ahead of libgit2 before the transfer pauses */
#define POLL_MS 100               /* how often a quiet transfer checks deadline and cancellation */
#define MAX_REDIRECTS 5

/* The two requests of a fetch: the reference advertisement and one negotiation round. */
static const struct {
	git_smart_service_t service;
	const char *suffix;           /* appended to the repository URL */
	const char *request_type;     /* Content-Type of the POST body; NULL for a GET */
	const char *response_type;    /* the Content-Type a smart server answers with */
} services[] = {
	{GIT_SERVICE_UPLOADPACK_LS, "/info/refs?service=git-upload-pack", NULL,
	 "application/x-git-upload-pack-advertisement"},
	{GIT_SERVICE_UPLOADPACK, "/git-upload-pack", "application/x-git-upload-pack-request",
	 "application/x-git-upload-pack-result"},
};

/* HTTP statuses with a meaning of their own (401 depends on what was sent, see below). */
static const struct {
	long status;
	int code;
	const char *what;
} statuses[] = {
	{403, CF_EFORBIDDEN, "access denied (HTTP 403) to"},
	{404, CF_ENOTFOUND, "repository not found (HTTP 404) at"},
	{407, CF_EAUTH, "proxy authentication required (HTTP 407) for"},
	{429, CF_EUNAVAILABLE, "rate limited (HTTP 429) by"},
	{503, CF_EUNAVAILABLE, "service unavailable (HTTP 503) at"},
};

/* libcurl failures, with the cf_error code and the words that start the message. */
static const struct {
	CURLcode rc;
	int code;
	const char *what;
} failures[] = {
	{CURLE_COULDNT_RESOLVE_HOST, CF_ENET, "cannot resolve the host of"},
	{CURLE_COULDNT_RESOLVE_PROXY, CF_ENET, "cannot resolve the proxy for"},
	{CURLE_COULDNT_CONNECT, CF_ENET, "cannot connect to"},
	{CURLE_OPERATION_TIMEDOUT, CF_ETIMEOUT, "timed out talking to"},
	{CURLE_PEER_FAILED_VERIFICATION, CF_ENET, "TLS certificate not trusted for"},
	{CURLE_SSL_CACERT_BADFILE, CF_EINVALID, "no usable CA certificate (ca.crt) for"},
	{CURLE_SSL_CERTPROBLEM, CF_EINVALID, "unusable client certificate (tls.crt) for"},
	{CURLE_SSL_CIPHER, CF_EINVALID, "unusable client key (tls.key) for"},
	{CURLE_SSL_CONNECT_ERROR, CF_ENET, "TLS handshake failed with"},
	{CURLE_TOO_MANY_REDIRECTS, CF_ENET, "too many redirects from"},
	{CURLE_UNSUPPORTED_PROTOCOL, CF_EINVALID, "refusing a redirect to another scheme from"},
};

/* TLS alerts a server sends about the client's certificate (missing, or not one it trusts). */
static const char *const client_cert_alerts[] = {
	"alert certificate required", "alert bad certificate", "alert unknown ca",
	"alert certificate unknown",
};

/* How a connection ends when the server drops it during or right after the handshake. */
static const CURLcode dropped[] = {
	CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_SSL_CONNECT_ERROR,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
	git_smart_subtransport parent;
	git_transport *owner;
	CURL *easy;                   /* reused, so requests share the connection */
	CURLM *multi;
	char *base;                   /* the repository URL, updated by redirects of the first GET */
	cf_git_tls tls;
} http_sub;

typedef struct {
	git_smart_subtransport_stream parent;
	http_sub *sub;
	cf_git_ctx *ctx;
	size_t kind;                  /* index into services */
	struct curl_slist *headers;
	char *proxy;
	char *body;                   /* request body, sent with the first read */
	size_t body_len;
	char *in;                     /* received and not yet handed to libgit2: in[off, len) */
	size_t in_off, in_len, in_cap;
	int added, done, paused, checked, sent_auth;
	int err;                      /* a response that is not what a smart server sends */
	CURLcode result;
	char errbuf[CURL_ERROR_SIZE];
} http_stream;

/* Hands a cf_error to libgit2, which reports it through cf_git__error (ctx->err wins there). */
static int fail(http_stream *s, int err)
{
	s->ctx->err = err;
	git_error_set_str(GIT_ERROR_NET, cf_error_last());
	return -1;
}

static int check_response(http_stream *s)
{
	CURL *h = s->sub->easy;
	const char *want = services[s->kind].response_type, *url = s->ctx->url_safe;
	char *type = NULL, *eff = NULL;
	long status = 0;
	size_t i, n;

	s->checked = 1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
	if (status == 401)
		return s->err = s->sent_auth
			? cf_error_set(CF_EAUTH, "authentication to %s failed: credentials rejected", url)
			: cf_error_set(CF_EAUTH, "authentication to %s required but no HTTPS credentials "
				       "given", url);
	for (i = 0; i < COUNT(statuses); i++)
		if (statuses[i].status == status)
			return s->err = cf_error_set(statuses[i].code, "%s %s", statuses[i].what, url);
	if (status != 200)
		return s->err = cf_error_set(status >= 500 ? CF_EINTERNAL : CF_ENET,
					     "unexpected HTTP status %ld from %s", status, url);
	if (!type || strncasecmp(type, want, strlen(want)) != 0)
		return s->err = cf_error_set(CF_EUNSUPPORTED, "%s is not a smart Git HTTP server "
					     "(Content-Type '%.100s')", url, type ? type : "");
	/* Later requests go where the advertisement was finally found. */
	n = strlen(services[s->kind].suffix);
	if (services[s->kind].service == GIT_SERVICE_UPLOADPACK_LS &&
	    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff &&
	    strlen(eff) > n && strcmp(eff + strlen(eff) - n, services[s->kind].suffix) == 0) {
		char *base = strndup(eff, strlen(eff) - n);

		if (base) {
			free(s->sub->base);
			s->sub->base = base;
		}
	}
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	http_stream *s = userdata;
	size_t n = size * nmemb, pending;

	if (!s->checked && check_response(s) < 0)
		return 0;
	pending = s->in_len - s->in_off;
	if (pending >= MAX_PENDING) {
		s->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (s->in_off > 0) {
		memmove(s->in, s->in + s->in_off, pending);
		s->in_off = 0;
		s->in_len = pending;
	}
	if (s->in_len + n > s->in_cap) {
		size_t cap = s->in_len + n > 2 * s->in_cap ? s->in_len + n : 2 * s->in_cap;
		char *p = realloc(s->in, cap);

		if (!p) {
			s->err = cf_error_set(CF_ENOMEM, "out of memory");
			return 0;
		}
		s->in = p;
		s->in_cap = cap;
	}
	memcpy(s->in + s->in_len, ptr, n);
	s->in_len += n;
	return n;
}

/* The words for a failed transfer; a missing client certificate gets its own. */
static int transfer_error(http_stream *s)
{
	const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result);
	const char *what = "HTTP request failed for";
	int code = CF_ENET;
	char msg[CURL_ERROR_SIZE + 64];
	size_t i;

	cf_git__scrub(msg, sizeof(msg), detail, s->ctx->auth);
	/* A server that wants a certificate drops the connection, with or without an alert. */
	for (i = 0; i < COUNT(dropped) && s->sub->tls.cert_requested; i++) {
		if (dropped[i] != s->result)
			continue;
		if (!s->ctx->auth->cert_pem)
			return cf_error_set(CF_EAUTH, "TLS client certificate required by %s and none "
					    "given (tls.crt and tls.key): %s", s->ctx->url_safe, msg);
		return cf_error_set(CF_EAUTH, "TLS client certificate (tls.crt) not accepted by %s: %s",
				    s->ctx->url_safe, msg);
	}
	for (i = 0; i < COUNT(client_cert_alerts); i++)
		if (strstr(msg, client_cert_alerts[i]))
			return cf_error_set(CF_EAUTH, "TLS client certificate rejected by %s: %s",
					    s->ctx->url_safe, msg);
	for (i = 0; i < COUNT(failures); i++) {
		if (failures[i].rc == s->result) {
			code = failures[i].code;
			what = failures[i].what;
			break;
		}
	}
	return cf_error_set(code, "%s %s: %s", what, s->ctx->url_safe, msg);
}

/* What the stream ends with once the transfer is over and everything was read. */
static int finish(http_stream *s)
{
	if (s->err)
		return s->err;
	if (s->result != CURLE_OK)
		return transfer_error(s);
	if (!s->checked)
		return check_response(s);
	return 0;
}

static int set_request(http_stream *s, CURL *h, const char *url)
{
	const cf_git_auth *a = s->ctx->auth;
	int64_t left = s->ctx->deadline_ms - cf_git__now_ms();
	int https = strncmp(url, "https://", 8) == 0, rc = 0;

	curl_easy_reset(h);
	rc |= curl_easy_setopt(h, CURLOPT_URL, url);
	rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	rc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->headers);
	rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	rc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(left > 1 ? left : 1));
	rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, https ? "https" : "http,https");
	if (services[s->kind].request_type) {
		rc |= curl_easy_setopt(h, CURLOPT_POST, 1L);
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body ? s->body : "");
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len);
	} else {
		/* As git does: the first request may be redirected, never to plain http from https. */
		rc |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		rc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		rc |= curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
		rc |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	}
	if (a->username && a->password) {
		rc |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		rc |= curl_easy_setopt(h, CURLOPT_USERNAME, a->username);
		rc |= curl_easy_setopt(h, CURLOPT_PASSWORD, a->password);
		s->sent_auth = 1;
	}
	if (s->proxy)
		rc |= curl_easy_setopt(h, CURLOPT_PROXY, s->proxy);
	if (rc != CURLE_OK)
		return cf_error_set(CF_ERROR, "libcurl rejected the request options for %s",
				    s->ctx->url_safe);
	return cf_git__tls_setup(h, &s->sub->tls, a);
}

static int start(http_stream *s)
{
	char *url = NULL;
	int err;

	if (asprintf(&url, "%s%s", s->sub->base, services[s->kind].suffix) < 0)
		return cf_error_set(CF_ENOMEM, "out of memory");
	err = set_request(s, s->sub->easy, url);
	free(url);
	if (err < 0)
		return err;
	if (curl_multi_add_handle(s->sub->multi, s->sub->easy) != CURLM_OK)
		return cf_error_set(CF_ERROR, "libcurl cannot start a request to %s", s->ctx->url_safe);
	s->added = 1;
	return 0;
}

/* Moves the transfer on until data arrives, it ends, or one quiet poll interval passed. */
static int pump(http_stream *s)
{
	CURLMsg *m;
	int running, left;

	if (curl_multi_perform(s->sub->multi, &running) != CURLM_OK)
		return cf_error_set(CF_ERROR, "libcurl failed transferring from %s", s->ctx->url_safe);
	while ((m = curl_multi_info_read(s->sub->multi, &left))) {
		if (m->msg == CURLMSG_DONE) {
			s->done = 1;
			s->result = m->data.result;
		}
	}
	if (s->done || s->in_off < s->in_len)
		return 0;
	if (cf_git__interrupted(s->ctx))
		return s->ctx->err;
	curl_multi_poll(s->sub->multi, NULL, 0, POLL_MS, NULL);
	return 0;
}

static int stream_read(git_smart_subtransport_stream *st, char *buf, size_t size, size_t *got)
{
	http_stream *s = (http_stream *)st;
	size_t n;
	int err;

	*got = 0;
	if (!s->added && (err = start(s)) < 0)
		return fail(s, err);
	while (s->in_off == s->in_len && !s->done)
		if ((err = pump(s)) < 0)
			return fail(s, err);
	if (s->in_off == s->in_len)
		return (err = finish(s)) < 0 ? fail(s, err) : 0;
	n = s->in_len - s->in_off < size ? s->in_len - s->in_off : size;
	memcpy(buf, s->in + s->in_off, n);
	s->in_off += n;
	*got = n;
	if (s->paused && s->in_len - s->in_off < MAX_PENDING / 2) {
		s->paused = 0;
		curl_easy_pause(s->sub->easy, CURLPAUSE_CONT);
	}
	return 0;
}

/* libgit2 writes a whole negotiation round before reading the answer; it is sent as one POST. */
static int stream_write(git_smart_subtransport_stream *st, const char *buf, size_t len)
{
	http_stream *s = (http_stream *)st;
	char *p;

	if (s->added || !services[s->kind].request_type) {
		git_error_set_str(GIT_ERROR_NET, "git HTTP request already sent");
		return -1;
	}
	if (!(p = realloc(s->body, s->body_len + len + 1))) {
		git_error_set_oom();
		return -1;
	}
	memcpy(p + s->body_len, buf, len);
	s->body = p;
	s->body_len += len;
	return 0;
}

static void stream_free(git_smart_subtransport_stream *st)
{
	http_stream *s = (http_stream *)st;

	if (s->added)
		curl_multi_remove_handle(s->sub->multi, s->sub->easy);
	curl_slist_free_all(s->headers);
	free(s->proxy);
	free(s->body);
	free(s->in);
	free(s);
}

/* Request headers: what git sends for the service, then the caller's (a bearer token). */
static int add_headers(http_stream *s, const git_strarray *custom)
{
	const char *type = services[s->kind].request_type;
	char line[160];
	size_t i;

	if (type) {
		snprintf(line, sizeof(line), "Content-Type: %s", type);
		if (!(s->headers = curl_slist_append(s->headers, line)))
			return -1;
		snprintf(line, sizeof(line), "Accept: %s", services[s->kind].response_type);
		/* No "Expect: 100-continue" round trip before a negotiation body. */
		if (!(s->headers = curl_slist_append(s->headers, line)) ||
		    !(s->headers = curl_slist_append(s->headers, "Expect:")))
			return -1;
	}
	for (i = 0; i < custom->count; i++) {
		if (!(s->headers = curl_slist_append(s->headers, custom->strings[i])))
			return -1;
		if (strncasecmp(custom->strings[i], "Authorization:", 14) == 0)
			s->sent_auth = 1;
	}
	return 0;
}

static int new_stream(http_stream **out, http_sub *sub, size_t kind,
		      const git_remote_connect_options *co)
{
	http_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->parent.subtransport = &sub->parent;
	s->parent.read = stream_read;
	s->parent.write = stream_write;
	s->parent.free = stream_free;
	s->sub = sub;
	s->kind = kind;
	s->ctx = co->callbacks.payload;
	if (add_headers(s, &co->custom_headers) < 0 ||
	    (co->proxy_opts.type == GIT_PROXY_SPECIFIED && co->proxy_opts.url &&
	     !(s->proxy = strdup(co->proxy_opts.url)))) {
		stream_free(&s->parent);
		return -1;
	}
	*out = s;
	return 0;
}

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *t,
		      const char *url, git_smart_service_t service)
{
	http_sub *sub = (http_sub *)t;
	git_remote_connect_options co;
	http_stream *s = NULL;
	size_t kind;
	int rc = -1;

	for (kind = 0; kind < COUNT(services) && services[kind].service != service; kind++)
		;
	if (kind == COUNT(services)) {
		git_error_set_str(GIT_ERROR_NET, "the git HTTP transport only fetches");
		return -1;
	}
	if (git_transport_remote_connect_options(&co, sub->owner) < 0)
		return -1;
	if (!cf_git__owns_callbacks(&co.callbacks)) {
		git_error_set_str(GIT_ERROR_NET, "the git HTTP transport serves cf_git calls only");
		goto done;
	}
	if (service == GIT_SERVICE_UPLOADPACK_LS || !sub->base) {
		size_t n = strlen(url);

		while (n > 0 && url[n - 1] == '/')
			n--;
		free(sub->base);
		if (!(sub->base = strndup(url, n))) {
			git_error_set_oom();
			goto done;
		}
	}
	if (new_stream(&s, sub, kind, &co) < 0) {
		git_error_set_oom();
		goto done;
	}
	*out = &s->parent;
	rc = 0;
done:
	git_remote_connect_options_dispose(&co);
	return rc;
}

static int sub_close(git_smart_subtransport *t)
{
	http_sub *sub = (http_sub *)t;

	free(sub->base);
	sub->base = NULL;
	return 0;
}

static void sub_free(git_smart_subtransport *t)
{
	http_sub *sub = (http_sub *)t;

	sub_close(t);
	curl_multi_cleanup(sub->multi);
	curl_easy_cleanup(sub->easy);
	free(sub);
}

static int sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
	http_sub *sub = calloc(1, sizeof(*sub));

	(void)param;
	if (!sub || !(sub->easy = curl_easy_init()) || !(sub->multi = curl_multi_init())) {
		if (sub)
			curl_easy_cleanup(sub->easy);
		free(sub);
		git_error_set_oom();
		return -1;
	}
	sub->parent.action = sub_action;
	sub->parent.close = sub_close;
	sub->parent.free = sub_free;
	sub->owner = owner;
	*out = &sub->parent;
	return 0;
}

/* Stateless RPC: each request is answered on its own, as smart HTTP is. */
static git_smart_subtransport_definition definition = {sub_new, 1, NULL};

static int make_transport(git_transport **out, git_remote *owner, void *param)
{
	(void)param;
	return git_transport_smart(out, owner, &definition);
}

int cf_git__http_register(void)
{
	/* libgit2 appends "://" to the scheme it is given, whatever its header says. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || cf_git__tls_init() < 0 ||
	    git_transport_register("http", make_transport, NULL) < 0 ||
	    git_transport_register("https", make_transport, NULL) < 0)
		return -1;
	return 0;
}
