/* Helm's own template functions: include, tpl, required, fail and lookup. */
#include <string.h>

#include "internal.h"

#define HELM_ERR_START "HELM_ERR_START"
#define HELM_ERR_END "HELM_ERR_END"

static int fn_include(fcall *c, cf_helm_val **out)
{
	return exec_include(c->st, out, c->args[0]->s.p, c->args[1]);
}

static int fn_tpl(fcall *c, cf_helm_val **out)
{
	return exec_tpl(c->st, out, c->args[0]->s.p, c->args[0]->s.len, c->args[1]);
}

/* Helm wraps these messages so its error cleanup can show them without Go's prefix. */
static int fn_required(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *v = c->args[1];
	if (v->kind == CF_HELM_NIL || (v->kind == CF_HELM_STR && v->s.len == 0))
		return cf_error_set(CF_EINVALID, HELM_ERR_START "%s" HELM_ERR_END, c->args[0]->s.p);
	*out = hv_ref(c->args[1]);
	return 0;
}

static int fn_fail(fcall *c, cf_helm_val **out)
{
	(void)out;
	return cf_error_set(CF_EINVALID, HELM_ERR_START "%s" HELM_ERR_END, c->args[0]->s.p);
}

static int fn_lookup(fcall *c, cf_helm_val **out)
{
	int r = exec_lookup(c->st, out, c->args[0]->s.p, c->args[1]->s.p, c->args[2]->s.p,
	                    c->args[3]->s.p);
	if (r < 0)
		return r;
	return *out ? 0 : CF_ENOMEM;
}

const func_def funcs_helm[] = {
	{ "include", fn_include, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "tpl", fn_tpl, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "required", fn_required, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "fail", fn_fail, 1, 0, { PT_STR }, 0 },
	{ "lookup", fn_lookup, 4, 0, { PT_STR, PT_STR, PT_STR, PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
