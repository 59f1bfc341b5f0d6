/* Helpers for end-to-end tests: child processes, shell commands, polling and free ports. */
#ifndef CF_TESTSUPPORT_H
#define CF_TESTSUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* Starts argv (NULL-terminated) with stdout and stderr appended to log_path. Returns the pid or -1. */
pid_t cft_spawn(const char *log_path, char *const argv[]);

/* SIGTERM, then SIGKILL after timeout_ms; returns the exit status (or 128+signal). */
int cft_stop(pid_t pid, int timeout_ms);

/* SIGKILL without grace (a crash), and reap. */
void cft_kill9(pid_t pid);

/* Runs a shell command (printf-style); returns its exit status. Output goes to the test's stderr. */
int cft_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command and returns its stdout (malloc'd, trailing newline removed) or NULL. */
char *cft_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Calls cond(ctx) every 100 ms until it returns non-zero or timeout_ms passes. Returns the last value. */
int cft_wait(int (*cond)(void *ctx), void *ctx, int timeout_ms);

/* A TCP port on 127.0.0.1 that is free right now. */
int cft_free_port(void);

/* A fresh directory under /tmp (malloc'd path). */
char *cft_tmpdir(const char *prefix);

/* The whole file (malloc'd, NUL-terminated) or NULL. */
char *cft_read_file(const char *path, size_t *len);

/* Sets the KEY=VALUE lines of an env file (what the test servers write) in the environment; -1 when unreadable. */
int cft_load_env(const char *path);

/* Milliseconds on a monotonic clock. */
long long cft_now_ms(void);

#endif
