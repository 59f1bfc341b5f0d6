/* Helpers shared by the reference-setup tests: the cflux and kubectl binaries against the test cluster. */
#ifndef REF_H
#define REF_H

/* The output (stdout and stderr together) and exit status of one command. */
typedef struct {
	int code;
	char *out;
} ref_run;

/* Runs a shell command line, echoing it and its output to stderr. Free r->out. */
int ref_shell(ref_run *r, const char *cmd);

/* Runs CFLUX_BIN --kubeconfig $CF_KUBECONFIG <args> (printf-style). Free r->out. */
int ref_cflux(ref_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* kubectl --kubeconfig $CF_KUBECONFIG <args> 2>/dev/null; stdout (caller frees) or NULL. */
char *ref_kubectl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Polls `kubectl <args>` every 250 ms until its output equals want, up to timeout_ms.
 * Returns 1 when it did; otherwise 0 and prints the last output.
 */
int ref_wait_kubectl(const char *want, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 1 when `kubectl get <what>` finds the object, 0 when NotFound. */
int ref_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The namespace of every object of the reference setup. */
#define REF_NS "flux-config"

/*
 * The READY column of the row naming name ("helmrelease/nginx") in namespace REF_NS of a
 * `cflux get ... -A` table, copied to buf; "" when no such row.
 */
void ref_table_ready(char *buf, size_t size, const char *table, const char *name);

#endif
