/* Go path.Match globs and gitignore-style pattern lists as .sourceignore and spec.ignore use. */
#ifndef CF_GLOB_H
#define CF_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Go's path.Match: '*' any run of non-'/' bytes, '?' one non-'/' character, '[...]' a class
 * ('^' negates, ranges "a-z"), '\\' escapes. Returns 1 on a match, 0 otherwise, CF_EINVALID
 * for a malformed pattern (unclosed '[', trailing '\\', ...), as Go returns ErrBadPattern.
 */
int cf_glob_match(const char *pattern, const char *name);

typedef struct cf_glob_list cf_glob_list;

typedef enum {
	CF_GLOB_NONE = 0,     /* no pattern matched */
	CF_GLOB_EXCLUDE = 1,  /* the last matching pattern excludes the path */
	CF_GLOB_INCLUDE = 2,  /* the last matching pattern is a "!" re-inclusion */
} cf_glob_result;

/* Limits that bound memory for hostile input. */
#define CF_GLOB_MAX_PATTERNS 10000
#define CF_GLOB_MAX_PATTERN_LEN 4096

/* An empty ordered pattern list; free with cf_glob_list_free. CF_ENOMEM on failure. */
int cf_glob_list_new(cf_glob_list **out);
void cf_glob_list_free(cf_glob_list *l);

/*
 * Appends one gitignore pattern with go-git's semantics (what Flux uses): leading "!" negates,
 * a trailing "/" matches directories only, a pattern containing "/" is anchored to the domain
 * (a leading "/" only anchors), "**" spans directories, otherwise the pattern matches any path
 * element at any depth (so a matched directory excludes everything below it). Trailing spaces
 * are dropped unless escaped ("\ "). domain is the directory, relative to the root and
 * '/'-separated, that the pattern belongs to ("" or NULL for the root, "sub/dir" for a
 * .sourceignore found there). Later patterns win. Returns CF_ELIMIT past the bounds above.
 */
int cf_glob_list_add(cf_glob_list *l, const char *pattern, const char *domain);

/*
 * Appends every line of text (a .sourceignore file or spec.ignore), skipping blank lines and
 * lines starting with '#', as Flux's sourceignore.ReadPatterns does.
 */
int cf_glob_list_add_lines(cf_glob_list *l, const char *text, size_t len, const char *domain);

/* Appends all patterns of src (in order) to l. */
int cf_glob_list_append(cf_glob_list *l, const cf_glob_list *src);

size_t cf_glob_list_count(const cf_glob_list *l);

/*
 * Matches a '/'-separated path relative to the root ("deploy/app.yaml"); is_dir says whether
 * the path is a directory. The last pattern that matches decides.
 */
cf_glob_result cf_glob_list_match(const cf_glob_list *l, const char *path, bool is_dir);

/* true when cf_glob_list_match says CF_GLOB_EXCLUDE. */
bool cf_glob_list_excluded(const cf_glob_list *l, const char *path, bool is_dir);

/* Flux's default exclusions (fluxcd/pkg sourceignore), comma-separated as upstream spells them. */
#define CF_GLOB_FLUX_EXCLUDE_VCS ".git/,.gitignore,.gitmodules,.gitattributes"
#define CF_GLOB_FLUX_EXCLUDE_EXT "*.jpg,*.jpeg,*.gif,*.png,*.wmv,*.flv,*.tar.gz,*.zip"
#define CF_GLOB_FLUX_EXCLUDE_CI                                                                \
	".github/,.circleci/,.travis.yml,.gitlab-ci.yml,appveyor.yml,.drone.yml,cloudbuild.yaml," \
	"codeship-services.yml,codeship-steps.yml"
#define CF_GLOB_FLUX_EXCLUDE_EXTRA "**/.goreleaser.yml,**/.sops.yaml,**/.flux.yaml"

/*
 * Builds the matcher source-controller archives with: user holds the patterns from .sourceignore
 * files (with their domains) and spec.ignore, in that order (may be NULL). When user is empty
 * the result is VCS + extension + CI + extra defaults; otherwise VCS patterns then user, so
 * spec.ignore replaces the non-VCS defaults. *out is freed with cf_glob_list_free.
 */
int cf_glob_list_new_flux(cf_glob_list **out, const cf_glob_list *user);

#endif
