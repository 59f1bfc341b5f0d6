/* Internal shapes shared by the files of the kube module (not part of the public API). */
#ifndef CF_KUBE_INT_H
#define CF_KUBE_INT_H

#include "cf/kube.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* ---- growable byte buffer (buf.c) ---- */

typedef struct {
	char *data;   /* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t limit; /* 0: no limit */
} kube_buf;

int kube_buf_append(kube_buf *b, const char *p, size_t n);
int kube_buf_printf(kube_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s percent-encoded for a path segment or query value. */
int kube_buf_escape(kube_buf *b, const char *s);
/* Appends "?key=value" or "&key=value" (escaped) when value is non-NULL and non-empty. */
int kube_buf_query(kube_buf *b, const char *key, const char *value);
/* Hands the data over (caller frees), leaving b empty. */
char *kube_buf_take(kube_buf *b);
void kube_buf_free(kube_buf *b);

/* ---- configuration (config.c, incluster.c) ---- */

struct cf_kube_config {
	char *server;          /* no trailing slash */
	char *context;
	char *namespace_;
	char *token;
	char *token_file;
	char *username;
	char *password;
	char *tls_server_name;
	char *ca;   size_t ca_len;   /* PEM bytes */
	char *cert; size_t cert_len;
	char *key;  size_t key_len;
	int insecure;
};

int kube_config_clone(cf_kube_config **out, const cf_kube_config *src);
/* Reads a whole file (at most limit bytes) into *out (NUL-terminated). */
int kube_read_file(char **out, size_t *out_len, const char *path, size_t limit);

/* ---- client-side rate limit (ratelimit.c) ---- */

typedef struct {
	pthread_mutex_t mu;
	double qps;      /* <= 0: unlimited */
	double burst;
	double tokens;
	int64_t last_ns;
} kube_ratelimit;

void kube_ratelimit_init(kube_ratelimit *rl, double qps, int burst, int64_t now_ns);
/* Takes one token at now_ns and returns how long the caller must wait before using it (ns). */
int64_t kube_ratelimit_reserve(kube_ratelimit *rl, int64_t now_ns);
/* Reserves and sleeps. */
void kube_ratelimit_wait(kube_ratelimit *rl);
void kube_ratelimit_destroy(kube_ratelimit *rl);
int64_t kube_mono_ns(void);

/* ---- bearer token with file rotation (auth.c) ---- */

typedef struct {
	pthread_mutex_t mu;
	char *token;        /* current token (inline or from the file) */
	const char *file;   /* borrowed from the config, NULL when inline */
	struct timespec mtime;
	off_t size;
	int64_t checked_ns;
} kube_token;

int kube_token_init(kube_token *t, const cf_kube_config *cfg);
/* Writes "Authorization: Bearer <token>" into a new header string, or *out NULL when no token. */
int kube_token_header(kube_token *t, char **out);
void kube_token_destroy(kube_token *t);

/* ---- discovery cache (discovery.c) ---- */

typedef struct kube_gv kube_gv;
typedef struct {
	pthread_mutex_t mu;
	kube_gv *gvs;
} kube_discovery;

void kube_discovery_destroy(kube_discovery *d);

/* ---- event correlation (event.c) ---- */

typedef struct kube_event_seen kube_event_seen;
typedef struct {
	pthread_mutex_t mu;
	kube_event_seen *head;
	size_t count;
} kube_events;

void kube_events_destroy(kube_events *e);

/* ---- the client (client.c) ---- */

#define KUBE_POOL_MAX 32 /* idle curl handles kept for reuse */

typedef struct {
	atomic_int refs;
	cf_kube_config *cfg;
	char *user_agent;
	long timeout_ms;
	long connect_timeout_ms;
	pthread_mutex_t pool_mu;
	CURL **pool;
	size_t npool;
	kube_ratelimit rl;
	kube_token token;
	kube_discovery disc;
	kube_events events;
} kube_core;

struct cf_kube {
	kube_core *core;
	char *imp_user;
	char **imp_groups;
};

/* ---- cancellation (cancel.c) ---- */

struct cf_kube_cancel {
	atomic_int fired;
	pthread_mutex_t mu;
	CURLM **active;
	size_t nactive;
	size_t cap;
};

/* Runs h to completion, stopping early with CF_ECANCELED when c fires (c may be NULL). */
int kube_cancel_perform(cf_kube_cancel *c, CURL *h, CURLcode *out_res);

/* ---- transport (http.c) ---- */

/* Streaming sink: called with body bytes of a 2xx response; return 0 to go on. */
typedef int (*kube_sink_fn)(void *ctx, const char *p, size_t n);

typedef struct {
	const char *method;
	const char *path;          /* absolute path with query */
	const char *content_type;  /* NULL: no body */
	const char *body;
	size_t body_len;
	int stream;                /* watch: no whole-request deadline */
	long stream_deadline_s;    /* stream only: client-side cap, 0 = none */
	kube_sink_fn sink;         /* NULL: collect into *out */
	void *sink_ctx;
	cf_kube_cancel *cancel;
} kube_req;

/*
 * Sends req. 2xx: returns 0, *out (if out) the body. Other: the mapped code with the Status
 * message set. *out_status (if given) is the HTTP status (0 when none was received).
 */
int kube_do(cf_kube *k, const kube_req *req, char **out, long *out_status);

/* Builds the message and code for a non-2xx answer with body (may be NULL). */
int kube_status_error(const char *method, const char *path, long status, const char *body,
                      size_t len);

/* Maps a curl failure (detail: CURLOPT_ERRORBUFFER text) to a code and message. */
int kube_curl_error(CURLcode res, const char *method, const char *path, const char *detail);

/* ---- spans in validated JSON (jsonspan.c) ---- */

/* Offset and length of the raw value of a top-level member of the object in s. */
int kube_json_member(const char *s, size_t len, const char *key, size_t *off, size_t *vlen);
/*
 * Iterates the elements of the array in s: start with *pos = 0; returns 1 with the element's span,
 * 0 at the end.
 */
int kube_json_array_next(const char *s, size_t len, size_t *pos, size_t *off, size_t *vlen);

/* ---- watch stream decoding (watch.c) ---- */

typedef struct {
	cf_kube_watch_fn fn;
	void *ctx;
	kube_buf line;       /* a partial event waiting for its newline */
	int error_code;      /* mapped code of an ERROR event, returned by _finish */
	char error_msg[512];
} kube_watch_decoder;

void kube_watch_decoder_init(kube_watch_decoder *w, cf_kube_watch_fn fn, void *ctx);
/* Feeds stream bytes in any chunking (a kube_sink_fn); returns the callback's non-zero value. */
int kube_watch_decoder_feed(void *w, const char *p, size_t n);
/* At end of stream: decodes a last unterminated event; CF_EGONE etc. after an ERROR event. */
int kube_watch_decoder_finish(kube_watch_decoder *w);
void kube_watch_decoder_free(kube_watch_decoder *w);

/* ---- helpers shared by the verbs ---- */

/* Resolves ref and builds its path (+ subresource). Caller frees *out. */
int kube_ref_path(cf_kube *k, char **out, const cf_kube_ref *ref, int with_name,
                  const char *subresource, cf_kube_resource *out_res);

/* RFC 3339 with microseconds ("2006-01-02T15:04:05.000000Z") from us since the epoch. */
void kube_format_micro(char buf[64], int64_t us);
/* RFC 3339 with seconds only ("2006-01-02T15:04:05Z"). */
void kube_format_sec(char buf[64], int64_t us);
/* Parses RFC 3339 (fraction and offset optional). CF_EPARSE when malformed. */
int kube_parse_time(int64_t *out_us, const char *s);

#endif
