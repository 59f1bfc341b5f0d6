/* namePrefix and nameSuffix: renaming every object except Namespaces and CRDs. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

/* Kinds whose names are part of their identity elsewhere and are never prefixed. */
static int skipped(const kz_res *r)
{
	const char *kind = kz_res_kind(r);
	return strcmp(kind, "Namespace") == 0 || strcmp(kind, "CustomResourceDefinition") == 0 ||
	       strcmp(kind, "APIService") == 0;
}

int kz_names_apply(kz_resmap *m, const char *prefix, const char *suffix)
{
	int err = 0;

	if (!prefix)
		prefix = "";
	if (!suffix)
		suffix = "";
	if (!*prefix && !*suffix)
		return 0;
	for (size_t i = 0; i < m->len && err == 0; i++) {
		kz_res *r = m->items[i];
		char *name;
		if (skipped(r))
			continue;
		if (!(name = kz_asprintf("%s%s%s", prefix, kz_res_name(r), suffix)))
			return cf_error_set(CF_ENOMEM, "out of memory");
		err = kz_res_set_name(r, name);
		free(name);
		/* remembered so name references can prefer objects renamed the same way */
		char *aff = kz_asprintf("%sp:%s|s:%s|", r->affixes ? r->affixes : "", prefix, suffix);
		if (!aff)
			return cf_error_set(CF_ENOMEM, "out of memory");
		free(r->affixes);
		r->affixes = aff;
	}
	return err;
}
