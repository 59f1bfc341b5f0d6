/* Test helpers for the artifact tests: scratch directories and small files. */
#ifndef TEST_ARTIFACT_HELPERS_H
#define TEST_ARTIFACT_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

/* A fresh directory under $TMPDIR (or /tmp); the returned string is static per call site copy. */
char *scratch_dir(const char *tag);

/* Writes content to dir/rel (creating parents) with mode. */
void put_file(const char *dir, const char *rel, const char *content, mode_t mode);

/* dir/rel as a new string. */
char *path_join(const char *dir, const char *rel);

/* Reads a whole file; NULL when missing. *len may be NULL. */
char *slurp(const char *path, size_t *len);

/* rm -rf. */
void remove_tree(const char *path);

/* Number of entries in a directory (without . and ..), -1 if missing. */
int count_entries(const char *dir);

#endif
