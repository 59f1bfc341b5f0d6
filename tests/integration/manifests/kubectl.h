/* Runs the real kubectl against the test control plane and hands back what it printed. */
#ifndef CF_TEST_KUBECTL_H
#define CF_TEST_KUBECTL_H

#include <jansson.h>

typedef struct {
	int status; /* exit status, or -1 when kubectl could not be run or was killed */
	char *out;  /* stdout, NUL-terminated, owned */
	char *err;  /* stderr, NUL-terminated, owned */
} kubectl_result;

/*
 * Runs `kubectl --kubeconfig <kubeconfig> <args...>` (args NULL-terminated), feeding `input` (may
 * be NULL) on stdin. Fills *res; release it with kubectl_result_free. Returns 0 when kubectl ran
 * (whatever its exit status), -1 when it could not be started.
 */
int kubectl_run(kubectl_result *res, const char *kubeconfig, const char *input, const char *const args[]);

void kubectl_result_free(kubectl_result *res);

/* Runs kubectl and parses its stdout as JSON; returns a new reference or NULL (exit status != 0
 * or unparsable output). */
json_t *kubectl_json(const char *kubeconfig, const char *const args[]);

/* Parses a sequence of JSON values (as `kubectl -o json` prints for several objects) into a new
 * array; NULL when any of them does not parse. */
json_t *json_load_all(const char *text);

/*
 * Checks that every member of `want` is in `got` with an equal value (objects recursively, arrays
 * element by element with equal length). Returns 1 when it holds; otherwise 0 and writes the
 * JSON path of the first difference to `where`.
 */
int json_is_subset(const json_t *want, const json_t *got, char *where, size_t where_len);

#endif
