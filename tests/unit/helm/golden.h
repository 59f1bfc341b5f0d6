/* Reader for golden case files shared by the helm tests. */
#ifndef CF_TEST_HELM_GOLDEN_H
#define CF_TEST_HELM_GOLDEN_H

#include <stddef.h>

/* One case: "### name", then "--- template", "--- values", "--- output" or "--- error". */
typedef struct {
	char *name;
	char *tmpl;
	char *values;  /* JSON; NULL when absent */
	char *defines; /* helm cases: a second template file of defines; NULL when absent */
	char *expect;
	int is_error;
} golden_case;

/* Reads all cases of path; returns the count or -1. Caller frees with golden_free. */
int golden_load(const char *path, golden_case **out);
void golden_free(golden_case *cases, int n);

#endif
