/* Runs the cflux binary for tests: exit code, stdout and stderr, in the foreground or background. */
#ifndef CFLUX_TEST_RUN_H
#define CFLUX_TEST_RUN_H

#include <sys/types.h>

typedef struct {
	int code;   /* exit status, or 128+signal */
	char *out;  /* stdout (malloc'ed, NUL-terminated) */
	char *err;  /* stderr */
} run_result;

/* A started cflux process whose output goes to temporary files. */
typedef struct {
	pid_t pid;
	char out_path[64];
	char err_path[64];
} run_proc;

/* Starts CFLUX_BIN with argv (NULL-terminated, without the program name). 0 or -1. */
int run_start(run_proc *p, const char *const *argv);

/* Waits for p and collects its result; free with run_result_free. */
int run_wait(run_proc *p, run_result *r);

/* run_start + run_wait. */
int run_cflux(run_result *r, const char *const *argv);

/* The same with a command line split at spaces (no quoting). */
int run_cflux_line(run_result *r, const char *line);

void run_result_free(run_result *r);

/* The whole file (malloc'ed) or NULL. */
char *run_read_file(const char *path);

#endif
