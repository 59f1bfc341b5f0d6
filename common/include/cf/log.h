/* Structured JSON logs in Flux's key style, one object per line. */
#ifndef CF_LOG_H
#define CF_LOG_H

#include <stdio.h>

typedef enum { CF_LOG_DEBUG = 0, CF_LOG_INFO = 1, CF_LOG_ERROR = 2 } cf_log_level;

/*
 * Who a line is about. Every field is optional (NULL leaves it out). Controller lines carry
 * "controller", "controllerGroup", "controllerKind", "<Kind>": {name, namespace}, "name",
 * "namespace" and "reconcileID" as controller-runtime writes them, so Flux log tooling works.
 */
typedef struct {
	const char *controller;      /* lower-case kind, e.g. "gitrepository" */
	const char *group;           /* e.g. "source.toolkit.fluxcd.io" */
	const char *kind;            /* e.g. "GitRepository" */
	const char *name;
	const char *namespace_;
	const char *reconcile_id;
	const char *revision;
} cf_log_ctx;

/* Sets where lines go (default stderr) and the lowest level written (default info). */
void cf_log_init(FILE *out, cf_log_level level);

/* Parses "debug", "info", "error" (Flux's --log-level values; "trace" maps to debug). */
int cf_log_parse_level(const char *s, cf_log_level *out);

int cf_log_enabled(cf_log_level level);

/*
 * Writes one line. After the format's arguments, extra string fields may follow as key, value
 * pairs ended by NULL via cf_log_kv(). Never pass secret values: URLs go through cf_log_redact_url().
 */
void cf_log(cf_log_level level, const cf_log_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like cf_log with extra "key", "value" string pairs terminated by NULL, and a literal message. */
void cf_log_kv(cf_log_level level, const cf_log_ctx *ctx, const char *msg, ...);

/* Copies url into buf with any user:password@ part removed. Returns buf. */
char *cf_log_redact_url(char *buf, size_t size, const char *url);

#define cf_log_info(ctx, ...) cf_log(CF_LOG_INFO, ctx, __VA_ARGS__)
#define cf_log_error(ctx, ...) cf_log(CF_LOG_ERROR, ctx, __VA_ARGS__)
#define cf_log_debug(ctx, ...) cf_log(CF_LOG_DEBUG, ctx, __VA_ARGS__)

#endif
