/* File helpers shared by the doc tests (they run with the test folder as working directory). */
#ifndef TEST_DOC_HELPERS_H
#define TEST_DOC_HELPERS_H

#include <stddef.h>

/* Whole file into a NUL-terminated buffer (caller frees), or NULL when missing. */
char *read_file(const char *path, size_t *len);

#endif
