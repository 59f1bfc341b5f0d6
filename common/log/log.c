/* JSON log lines with Flux/controller-runtime keys; one fprintf per line so lines never interleave. */
#include "cf/log.h"
#include "cf/error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static FILE *log_out;
static cf_log_level log_level = CF_LOG_INFO;

void cf_log_init(FILE *out, cf_log_level level)
{
	log_out = out;
	log_level = level;
}

int cf_log_parse_level(const char *s, cf_log_level *out)
{
	static const struct {
		const char *name;
		cf_log_level level;
	} levels[] = {
		{"trace", CF_LOG_DEBUG}, {"debug", CF_LOG_DEBUG}, {"info", CF_LOG_INFO},
		{"error", CF_LOG_ERROR},
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	}
	return cf_error_set(CF_EINVALID, "invalid log level '%s' (want debug, info or error)", s);
}

int cf_log_enabled(cf_log_level level)
{
	return level >= log_level;
}

/* A growable line buffer; logging must never fail, so on OOM the line is cut. */
typedef struct {
	char *p;
	size_t len, cap;
} line;

static void put(line *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		size_t cap = (l->cap ? l->cap : 256);
		while (cap < l->len + n + 1)
			cap *= 2;
		char *np = realloc(l->p, cap);
		if (!np)
			return;
		l->p = np;
		l->cap = cap;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void puts_raw(line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void put_json_str(line *l, const char *s)
{
	char esc[8];

	put(l, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"': put(l, "\\\"", 2); break;
		case '\\': put(l, "\\\\", 2); break;
		case '\n': put(l, "\\n", 2); break;
		case '\r': put(l, "\\r", 2); break;
		case '\t': put(l, "\\t", 2); break;
		default:
			if (*c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *c);
				put(l, esc, 6);
			} else {
				put(l, (const char *)c, 1);
			}
		}
	}
	put(l, "\"", 1);
}

static void put_field(line *l, const char *key, const char *val)
{
	if (!val)
		return;
	put(l, ",", 1);
	put_json_str(l, key);
	put(l, ":", 1);
	put_json_str(l, val);
}

static const char *level_name(cf_log_level level)
{
	return level == CF_LOG_DEBUG ? "debug" : level == CF_LOG_ERROR ? "error" : "info";
}

static void put_head(line *l, cf_log_level level, const cf_log_ctx *ctx, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char tbuf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + n, sizeof(tbuf) - n, ".%03ldZ", ts.tv_nsec / 1000000);

	puts_raw(l, "{\"level\":");
	put_json_str(l, level_name(level));
	put_field(l, "ts", tbuf);
	put_field(l, "msg", msg);
	if (!ctx)
		return;
	put_field(l, "controller", ctx->controller);
	put_field(l, "controllerGroup", ctx->group);
	put_field(l, "controllerKind", ctx->kind);
	if (ctx->kind && ctx->name) {
		put(l, ",", 1);
		put_json_str(l, ctx->kind);
		puts_raw(l, ":{\"name\":");
		put_json_str(l, ctx->name);
		if (ctx->namespace_) {
			puts_raw(l, ",\"namespace\":");
			put_json_str(l, ctx->namespace_);
		}
		put(l, "}", 1);
	}
	put_field(l, "namespace", ctx->namespace_);
	put_field(l, "name", ctx->name);
	put_field(l, "reconcileID", ctx->reconcile_id);
	put_field(l, "revision", ctx->revision);
}

static void emit(line *l)
{
	FILE *out = log_out ? log_out : stderr;

	puts_raw(l, "}\n");
	if (l->p) {
		fputs(l->p, out);
		fflush(out);
	}
	free(l->p);
}

void cf_log(cf_log_level level, const cf_log_ctx *ctx, const char *fmt, ...)
{
	char msg[4096];
	line l = {0};
	va_list ap;

	if (!cf_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	put_head(&l, level, ctx, msg);
	emit(&l);
}

void cf_log_kv(cf_log_level level, const cf_log_ctx *ctx, const char *msg, ...)
{
	line l = {0};
	va_list ap;
	const char *k, *v;

	if (!cf_log_enabled(level))
		return;
	put_head(&l, level, ctx, msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		put_field(&l, k, v ? v : "");
	}
	va_end(ap);
	emit(&l);
}

char *cf_log_redact_url(char *buf, size_t size, const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *at, *slash;

	if (size == 0)
		return buf;
	if (!scheme) {
		snprintf(buf, size, "%s", url);
		return buf;
	}
	scheme += 3;
	slash = strchr(scheme, '/');
	at = strchr(scheme, '@');
	if (at && (!slash || at < slash))
		snprintf(buf, size, "%.*s%s", (int)(scheme - url), url, at + 1);
	else
		snprintf(buf, size, "%s", url);
	return buf;
}
