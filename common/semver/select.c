/* Picks the latest version matching a constraint, as Flux does for semver tags and charts. */
#include "cf/semver.h"

#include <string.h>

#include "cf/error.h"

/* true when candidate (index i) should replace the current best (index b). */
static bool better(const cf_semver *cand, size_t i, const cf_semver *best, size_t b,
		   const int64_t *times)
{
	int c = cf_semver_compare(cand, best);

	if (c != 0)
		return c > 0;
	/* Versions differing only in build metadata: the more recent one wins. */
	return times && times[i] > times[b];
}

int cf_semver_select(size_t *out_index, const char *constraint, const char *const *versions,
		     size_t n, const int64_t *times, unsigned flags)
{
	cf_semver_constraint *c = NULL;
	cf_semver *best = NULL, *v = NULL;
	size_t i, best_i = 0;
	int err;

	if (!constraint || !*constraint)
		constraint = "*";
	if ((flags & CF_SEMVER_EXACT_FIRST) && strcmp(constraint, "*") != 0) {
		for (i = 0; i < n; i++) {
			if (versions[i] && strcmp(versions[i], constraint) == 0) {
				*out_index = i;
				return 0;
			}
		}
	}
	if ((err = cf_semver_constraint_parse(&c, constraint)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (!versions[i] || cf_semver_parse(&v, versions[i], flags & CF_SEMVER_STRICT) < 0)
			continue;
		if (cf_semver_constraint_check(c, v) && (!best || better(v, i, best, best_i, times))) {
			cf_semver_free(best);
			best = v;
			best_i = i;
		} else {
			cf_semver_free(v);
		}
		v = NULL;
	}
	if (!best) {
		err = cf_error_set(CF_ENOTFOUND, "no version matching '%.200s' found", constraint);
		goto done;
	}
	*out_index = best_i;
	err = 0;
done:
	cf_semver_free(best);
	cf_semver_constraint_free(c);
	return err;
}
