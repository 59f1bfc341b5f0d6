/* One error-code type for all of cflux, with a human message kept per thread. */
#ifndef CF_ERROR_H
#define CF_ERROR_H

#include <stdarg.h>

/*
 * Fallible functions return int: 0 on success, one of these negative codes otherwise, and leave a
 * message retrievable with cf_error_last() on the calling thread. The enum only grows.
 */
typedef enum {
	CF_OK = 0,
	CF_ERROR = -1,        /* generic failure */
	CF_ENOMEM = -2,       /* allocation failed */
	CF_EINVALID = -3,     /* bad argument or malformed input */
	CF_ENOTFOUND = -4,    /* object, file, key or ref does not exist */
	CF_EEXISTS = -5,      /* already exists */
	CF_ECONFLICT = -6,    /* optimistic-concurrency or field-manager conflict */
	CF_EGONE = -7,        /* resourceVersion too old (HTTP 410) */
	CF_ETIMEOUT = -8,     /* deadline passed */
	CF_EIO = -9,          /* local I/O failed */
	CF_EAUTH = -10,       /* credentials missing or rejected (HTTP 401, git auth) */
	CF_EFORBIDDEN = -11,  /* authenticated but not allowed (HTTP 403) */
	CF_ELIMIT = -12,      /* a size, depth, count or step limit was exceeded */
	CF_EUNSUPPORTED = -13,/* valid input we do not support (yet) */
	CF_EPARSE = -14,      /* syntax error in YAML, JSON, template, ... */
	CF_ENET = -15,        /* network unreachable, connection refused, TLS failure */
	CF_EUNSAFE = -16,     /* path traversal, link out of a root, unknown host key */
	CF_ECANCELED = -17,   /* shutdown or caller asked to stop */
	CF_EDIGEST = -18,     /* checksum mismatch */
	CF_EUNAVAILABLE = -19,/* server said try later (HTTP 429/503) */
	CF_EINTERNAL = -20,   /* server-side or unexpected internal error (HTTP 5xx) */
	CF_EINVALID_OBJ = -21,/* the API server rejected the object (HTTP 422) */
	CF_EAGAIN = -22,      /* not ready yet; retry later (dependency, artifact) */
} cf_error_code;

/* Sets the thread's error message (printf-style) and returns code, so `return cf_error_set(...)`. */
int cf_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cf_error_vset(int code, const char *fmt, va_list ap);

/* Prepends context to the current message ("loading a.yaml: " + old) and returns code. */
int cf_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message on this thread (never NULL; "" when none). Borrowed until the next set. */
const char *cf_error_last(void);

/* The code passed to the last cf_error_set on this thread, CF_OK after cf_error_clear(). */
int cf_error_last_code(void);

void cf_error_clear(void);

/* Stable name of a code, e.g. "CF_ENOTFOUND". */
const char *cf_error_name(int code);

#endif
