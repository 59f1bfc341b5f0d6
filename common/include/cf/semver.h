/* Semantic versions and version constraints with Masterminds/semver v3 rules (Flux and Helm). */
#ifndef CF_SEMVER_H
#define CF_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cf_semver cf_semver;
typedef struct cf_semver_constraint cf_semver_constraint;

/* Longest version or constraint string accepted; longer input fails with CF_ELIMIT. */
#define CF_SEMVER_MAX_LEN 4096

/* Parse flags. */
enum {
	/*
	 * Flux's version.ParseVersion: an optional lower-case "v", then exactly MAJOR.MINOR.PATCH
	 * without leading zeros. Without it partial versions ("1", "1.2") are coerced to "1.0.0",
	 * "1.2.0" and leading zeros are accepted, as Masterminds' NewVersion does.
	 */
	CF_SEMVER_STRICT = 1 << 0,
	/* cf_semver_select: a version string equal to the constraint text wins outright (Helm). */
	CF_SEMVER_EXACT_FIRST = 1 << 1,
};

/*
 * Parses s ("v1.2.3-rc.1+build.5", "1.2", ...). On success *out is a new version the caller
 * frees with cf_semver_free. Returns CF_EPARSE for malformed input (numeric prerelease
 * identifiers with leading zeros, empty identifiers, numbers above 2^64-1, ...), CF_ELIMIT above
 * CF_SEMVER_MAX_LEN, CF_ENOMEM.
 */
int cf_semver_parse(cf_semver **out, const char *s, unsigned flags);
void cf_semver_free(cf_semver *v);

uint64_t cf_semver_major(const cf_semver *v);
uint64_t cf_semver_minor(const cf_semver *v);
uint64_t cf_semver_patch(const cf_semver *v);
/* Prerelease and build metadata without their '-' / '+'; "" when absent. Borrowed from v. */
const char *cf_semver_prerelease(const cf_semver *v);
const char *cf_semver_metadata(const cf_semver *v);
/* The string given to cf_semver_parse (e.g. the git tag "v1.2"). Borrowed from v. */
const char *cf_semver_original(const cf_semver *v);

/*
 * Writes the canonical form "MAJOR.MINOR.PATCH[-pre][+meta]" (no "v") into buf, truncating to
 * size. Returns the length the full string needs, like snprintf.
 */
size_t cf_semver_format(const cf_semver *v, char *buf, size_t size);

/*
 * Precedence order of semver.org section 11: -1, 0 or 1. A prerelease sorts before its release;
 * prerelease identifiers compare numerically when both are numbers, numbers sort before words,
 * and a longer identifier list wins a tie. Build metadata is ignored.
 */
int cf_semver_compare(const cf_semver *a, const cf_semver *b);

/*
 * Parses a constraint: comparisons (=, !=, >, <, >=, =>, <=, =<), ~ / ~>, ^, wildcards x X *,
 * partial versions, hyphen ranges "1.2 - 1.4", AND by comma or whitespace, OR by "||".
 * *out is freed with cf_semver_constraint_free. Returns CF_EPARSE naming the bad part,
 * CF_ELIMIT, CF_ENOMEM.
 */
int cf_semver_constraint_parse(cf_semver_constraint **out, const char *s);
void cf_semver_constraint_free(cf_semver_constraint *c);

/*
 * Masterminds' IncludePrerelease: when set, prerelease versions are considered by every AND
 * group. By default an AND group only matches a prerelease version when one of its own
 * comparisons names a prerelease (">= 1.0.0-0").
 */
void cf_semver_constraint_set_include_prerelease(cf_semver_constraint *c, bool include);

/* true when v satisfies at least one OR group of c. */
bool cf_semver_constraint_check(const cf_semver_constraint *c, const cf_semver *v);

/*
 * Picks the highest of versions[0..n) that satisfies constraint (NULL or "" means "*"), as Flux
 * does for GitRepository ref.semver and HelmChart version. Strings that do not parse (with
 * flags & CF_SEMVER_STRICT as Flux does for tags) are skipped. Equal versions (differing only
 * in build metadata) are ordered by times[i] when times is not NULL (later wins), then by index
 * (earlier wins). With CF_SEMVER_EXACT_FIRST a string identical to the constraint is chosen
 * first, as Helm does. Writes the chosen index to *out_index. Returns CF_ENOTFOUND when nothing
 * matches, CF_EPARSE for a bad constraint.
 */
int cf_semver_select(size_t *out_index, const char *constraint, const char *const *versions,
		     size_t n, const int64_t *times, unsigned flags);

#endif
