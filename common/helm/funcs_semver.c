/* Sprig's semver and semverCompare on the semver module (Masterminds/semver v3 rules). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef CF_HELM_HAVE_SEMVER
#include "cf/semver.h"

static const char *const methods[] = {
	"Major", "Minor", "Patch", "Prerelease", "Metadata", "Original", "String",
	"Compare", "LessThan", "GreaterThan", "Equal",
};

static int has_method(void *data, const char *name)
{
	size_t i;
	(void)data;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i], name))
			return 1;
	return 0;
}

static char *to_string(void *data)
{
	char small[256];
	size_t n = cf_semver_format(data, small, sizeof(small));
	char *s = malloc(n + 1);
	if (s)
		cf_semver_format(data, s, n + 1);
	return s;
}

static void version_free(void *data)
{
	cf_semver_free(data);
}

static const cf_helm_obj_type version_type;

static int method(cf_helm_val **out, void *data, const char *name, cf_helm_val *const *args,
                  size_t nargs)
{
	cf_semver *v = data;
	bool cmp = !strcmp(name, "Compare") || !strcmp(name, "LessThan") ||
	           !strcmp(name, "GreaterThan") || !strcmp(name, "Equal");
	if (nargs != (cmp ? 1u : 0u))
		return cf_error_set(CF_EINVALID, "wrong number of args for %s: want %d got %zu", name,
		                    cmp ? 1 : 0, nargs);
	if (cmp) {
		int c;
		if (args[0]->kind != CF_HELM_OBJ || args[0]->o.type != &version_type)
			return cf_error_set(CF_EINVALID, "wrong type for value; expected *semver.Version; got %s",
			                    hv_type_name(args[0]));
		c = cf_semver_compare(v, args[0]->o.data);
		if (!strcmp(name, "Compare"))
			*out = hv_int(c);
		else
			*out = hv_bool(!strcmp(name, "LessThan") ? c < 0 : !strcmp(name, "GreaterThan") ? c > 0 : c == 0);
	} else if (!strcmp(name, "Major")) {
		*out = hv_uint(cf_semver_major(v));
	} else if (!strcmp(name, "Minor")) {
		*out = hv_uint(cf_semver_minor(v));
	} else if (!strcmp(name, "Patch")) {
		*out = hv_uint(cf_semver_patch(v));
	} else if (!strcmp(name, "Prerelease")) {
		*out = hv_str(cf_semver_prerelease(v));
	} else if (!strcmp(name, "Metadata")) {
		*out = hv_str(cf_semver_metadata(v));
	} else if (!strcmp(name, "Original")) {
		*out = hv_str(cf_semver_original(v));
	} else if (!strcmp(name, "String")) {
		char *s = to_string(v);
		*out = s ? hv_str_take(s, strlen(s)) : NULL;
	} else {
		return CF_ENOTFOUND;
	}
	return *out ? 0 : CF_ENOMEM;
}

static const cf_helm_obj_type version_type = {
	.type_name = "*semver.Version",
	.is_ptr = 1,
	.method = method,
	.has_method = has_method,
	.string = to_string,
	.free = version_free,
};

static int parse_version(const cf_helm_val *s, cf_semver **out)
{
	if (cf_semver_parse(out, s->s.p, 0) < 0)
		return cf_error_set(CF_EINVALID, "invalid semantic version");
	return 0;
}

static int fn_semver(fcall *c, cf_helm_val **out)
{
	cf_semver *v;
	int r = parse_version(c->args[0], &v);
	if (r < 0)
		return r;
	return cf_helm_val_new_obj(out, &version_type, v, NULL, NULL, 0) < 0 ? CF_ENOMEM : 0;
}

static int fn_semver_compare(fcall *c, cf_helm_val **out)
{
	cf_semver_constraint *con;
	cf_semver *v;
	int r;
	if (cf_semver_constraint_parse(&con, c->args[0]->s.p) < 0)
		return cf_error_set(CF_EINVALID, "improper constraint: %s", c->args[0]->s.p);
	if ((r = parse_version(c->args[1], &v)) < 0) {
		cf_semver_constraint_free(con);
		return r;
	}
	*out = hv_bool(cf_semver_constraint_check(con, v));
	cf_semver_free(v);
	cf_semver_constraint_free(con);
	return *out ? 0 : CF_ENOMEM;
}

#else

static int fn_semver(fcall *c, cf_helm_val **out)
{
	(void)c;
	(void)out;
	return cf_error_set(CF_EUNSUPPORTED, "semver support is not built in");
}

#define fn_semver_compare fn_semver

#endif

const func_def funcs_semver[] = {
	{ "semver", fn_semver, 1, 0, { PT_STR }, 0 },
	{ "semverCompare", fn_semver_compare, 2, 0, { PT_STR, PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
