/* Flux source-controller's default exclusions and how they combine with user ignore rules. */
#include "cf/glob.h"

#include <string.h>

#include "cf/error.h"

/* Adds each comma-separated pattern of a Flux default list at the root. */
static int add_csv(cf_glob_list *l, const char *csv)
{
	char buf[512];
	const char *s = csv;
	int err;

	while (*s) {
		size_t n = strcspn(s, ",");

		memcpy(buf, s, n);
		buf[n] = '\0';
		if ((err = cf_glob_list_add(l, buf, NULL)) < 0)
			return err;
		s += n + (s[n] == ',');
	}
	return 0;
}

int cf_glob_list_new_flux(cf_glob_list **out, const cf_glob_list *user)
{
	static const char *const defaults[] = {
		CF_GLOB_FLUX_EXCLUDE_EXT, CF_GLOB_FLUX_EXCLUDE_CI, CF_GLOB_FLUX_EXCLUDE_EXTRA,
	};
	cf_glob_list *l = NULL;
	size_t i;
	int err;

	if ((err = cf_glob_list_new(&l)) < 0)
		return err;
	if ((err = add_csv(l, CF_GLOB_FLUX_EXCLUDE_VCS)) < 0)
		goto done;
	if (!user || cf_glob_list_count(user) == 0) {
		for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			if ((err = add_csv(l, defaults[i])) < 0)
				goto done;
	} else if ((err = cf_glob_list_append(l, user)) < 0) {
		goto done;
	}
	*out = l;
	l = NULL;
done:
	cf_glob_list_free(l);
	return err;
}
