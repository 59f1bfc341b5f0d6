/* Sprig's dict functions (dict.go): construction, access, mergo-style merging, deep copies. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_MERGE_DEPTH HV_MAX_DEPTH

static int nil_map_write(void)
{
	return cf_error_set(CF_EINVALID, "assignment to entry in nil map");
}

static int fn_dict(fcall *c, cf_helm_val **out)
{
	cf_helm_val *m = hv_map();
	size_t i;
	if (!m)
		return CF_ENOMEM;
	for (i = 0; i < c->nargs; i += 2) {
		size_t klen;
		char *k = hv_strval(c->args[i], &klen);
		cf_helm_val *v = i + 1 < c->nargs ? hv_ref(c->args[i + 1]) : hv_str("");
		int r = k ? hv_map_set(m, k, klen, v) : CF_ENOMEM;
		if (!k)
			hv_unref(v);
		free(k);
		if (r < 0) {
			hv_unref(m);
			return CF_ENOMEM;
		}
	}
	*out = m;
	return 0;
}

static int fn_get(fcall *c, cf_helm_val **out)
{
	cf_helm_val *v = hv_map_get(c->args[0], c->args[1]->s.p, c->args[1]->s.len);
	*out = v ? hv_ref(v) : hv_str("");
	return *out ? 0 : CF_ENOMEM;
}

static int fn_set(fcall *c, cf_helm_val **out)
{
	cf_helm_val *m = c->args[0];
	if (m->kind == CF_HELM_NIL)
		return nil_map_write();
	if (hv_map_set(m, c->args[1]->s.p, c->args[1]->s.len, hv_ref(c->args[2])) < 0 ||
	    exec_after_store(c->st, m, c->args[2]) < 0)
		return CF_ENOMEM;
	*out = hv_ref(m);
	return 0;
}

static int fn_unset(fcall *c, cf_helm_val **out)
{
	cf_helm_val *m = c->args[0];
	if (m->kind == CF_HELM_MAP)
		hv_map_del(m, c->args[1]->s.p, c->args[1]->s.len);
	*out = hv_ref(m);
	return 0;
}

static int fn_has_key(fcall *c, cf_helm_val **out)
{
	*out = hv_bool(hv_map_get(c->args[0], c->args[1]->s.p, c->args[1]->s.len) != NULL);
	return *out ? 0 : CF_ENOMEM;
}

static int fn_pluck(fcall *c, cf_helm_val **out)
{
	cf_helm_val *l = hv_list(CF_HELM_LIST_ANY, 0);
	size_t i;
	for (i = 1; l && i < c->nargs; i++) {
		cf_helm_val *v = hv_map_get(c->args[i], c->args[0]->s.p, c->args[0]->s.len);
		if (v && hv_list_push(l, hv_ref(v)) < 0) {
			hv_unref(l);
			return CF_ENOMEM;
		}
	}
	*out = l;
	return l ? 0 : CF_ENOMEM;
}

/* Go's map order is random; sorted order is one of the orders Go may produce. */
static int fn_keys(fcall *c, cf_helm_val **out)
{
	cf_helm_val *l = hv_list(CF_HELM_LIST_STR, 0);
	size_t i, j;
	for (i = 0; l && i < c->nargs; i++) {
		const cf_helm_val *m = c->args[i];
		if (m->kind != CF_HELM_MAP)
			continue;
		for (j = 0; j < m->m.len; j++)
			if (hv_list_push(l, hv_str(m->m.pairs[j].key)) < 0) {
				hv_unref(l);
				return CF_ENOMEM;
			}
	}
	*out = l;
	return l ? 0 : CF_ENOMEM;
}

static int fn_values(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *m = c->args[0];
	cf_helm_val *l = hv_list(CF_HELM_LIST_ANY, 0);
	size_t j;
	for (j = 0; l && m->kind == CF_HELM_MAP && j < m->m.len; j++)
		if (hv_list_push(l, hv_ref(m->m.pairs[j].val)) < 0) {
			hv_unref(l);
			return CF_ENOMEM;
		}
	*out = l;
	return l ? 0 : CF_ENOMEM;
}

static bool listed(fcall *c, const char *key)
{
	size_t i, kl = strlen(key);
	for (i = 1; i < c->nargs; i++)
		if (c->args[i]->s.len == kl && !memcmp(c->args[i]->s.p, key, kl))
			return true;
	return false;
}

static int pick_omit(fcall *c, cf_helm_val **out, bool pick)
{
	const cf_helm_val *m = c->args[0];
	cf_helm_val *res = hv_map();
	size_t j;
	for (j = 0; res && m->kind == CF_HELM_MAP && j < m->m.len; j++) {
		const char *k = m->m.pairs[j].key;
		if (listed(c, k) == pick && hv_map_set(res, k, strlen(k), hv_ref(m->m.pairs[j].val)) < 0) {
			hv_unref(res);
			return CF_ENOMEM;
		}
	}
	*out = res;
	return res ? 0 : CF_ENOMEM;
}

static int fn_pick(fcall *c, cf_helm_val **out) { return pick_omit(c, out, true); }
static int fn_omit(fcall *c, cf_helm_val **out) { return pick_omit(c, out, false); }

/* mergo's isEmptyValue for interface{} values. */
static bool empty_value(const cf_helm_val *v)
{
	return !hv_truth(v) && v->kind != CF_HELM_OBJ;
}

/*
 * mergo.Merge / MergeWithOverwrite of src into dst: nested maps merge recursively (in place);
 * otherwise src's value is taken when overwrite is set or dst's value is missing or empty. nil
 * values in src are skipped unless overwriting.
 */
static int merge_into(fcall *c, cf_helm_val *dst, const cf_helm_val *src, bool overwrite, int depth)
{
	size_t i;
	if (depth > MAX_MERGE_DEPTH)
		return cf_error_set(CF_ELIMIT, "merge: maps nested too deeply");
	for (i = 0; i < src->m.len; i++) {
		const char *k = src->m.pairs[i].key;
		size_t kl = strlen(k);
		cf_helm_val *sv = src->m.pairs[i].val, *dv = hv_map_get(dst, k, kl);
		int r;
		if (sv->kind == CF_HELM_NIL) {
			if (overwrite && hv_map_set(dst, k, kl, HV_NIL) < 0)
				return CF_ENOMEM;
			continue;
		}
		if (sv->kind == CF_HELM_MAP && dv && dv->kind == CF_HELM_MAP) {
			if (dv != sv && (r = merge_into(c, dv, sv, overwrite, depth + 1)) < 0)
				return r;
			continue;
		}
		if (!overwrite && dv && !empty_value(dv) && sv->kind == CF_HELM_LIST)
			continue;
		if (overwrite || !dv || empty_value(dv))
			if (hv_map_set(dst, k, kl, hv_ref(sv)) < 0 || exec_after_store(c->st, dst, sv) < 0)
				return CF_ENOMEM;
	}
	return 0;
}

static int merge(fcall *c, cf_helm_val **out, bool overwrite)
{
	cf_helm_val *dst = c->args[0];
	size_t i;
	for (i = 1; i < c->nargs; i++) {
		int r;
		if (c->args[i]->kind != CF_HELM_MAP)
			continue;
		if (dst->kind != CF_HELM_MAP)
			return cf_error_set(CF_EINVALID, "src and dst must be of same type");
		if ((r = merge_into(c, dst, c->args[i], overwrite, 0)) < 0)
			return r;
	}
	*out = hv_ref(dst);
	return 0;
}

static int fn_merge(fcall *c, cf_helm_val **out) { return merge(c, out, false); }
static int fn_merge_overwrite(fcall *c, cf_helm_val **out) { return merge(c, out, true); }

static int fn_deep_copy(fcall *c, cf_helm_val **out)
{
	if (c->args[0]->kind == CF_HELM_NIL)
		return cf_error_set(CF_EINVALID, "copy: nil value");
	*out = hv_deep_copy(c->args[0], 0);
	return *out ? 0 : CF_ENOMEM;
}

static int fn_dig(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *d = c->args[c->nargs - 1];
	size_t i;
	if (c->nargs < 3)
		return cf_error_set(CF_EINVALID, "dig needs at least three arguments");
	for (i = 0; i + 2 < c->nargs; i++)
		if (c->args[i]->kind != CF_HELM_STR)
			return cf_error_set(CF_EINVALID, "interface conversion: interface {} is %s, not string",
			                    hv_type_name(c->args[i]));
	for (i = 0; i + 2 < c->nargs; i++) {
		cf_helm_val *step;
		if (d->kind != CF_HELM_MAP || d->sub == 2)
			return cf_error_set(CF_EINVALID,
			                    "interface conversion: interface {} is %s, not map[string]interface {}",
			                    hv_type_name(d));
		step = hv_map_get(d, c->args[i]->s.p, c->args[i]->s.len);
		if (!step) {
			*out = hv_ref(c->args[c->nargs - 2]);
			return 0;
		}
		d = step;
	}
	*out = hv_ref((cf_helm_val *)d);
	return 0;
}

const func_def funcs_dicts[] = {
	{ "dict", fn_dict, 0, 1, { 0 }, PT_ANY },
	{ "get", fn_get, 2, 0, { PT_MAP, PT_STR }, 0 },
	{ "set", fn_set, 3, 0, { PT_MAP, PT_STR, PT_ANY }, 0 },
	{ "unset", fn_unset, 2, 0, { PT_MAP, PT_STR }, 0 },
	{ "hasKey", fn_has_key, 2, 0, { PT_MAP, PT_STR }, 0 },
	{ "pluck", fn_pluck, 1, 1, { PT_STR }, PT_MAP },
	{ "keys", fn_keys, 0, 1, { 0 }, PT_MAP },
	{ "pick", fn_pick, 1, 1, { PT_MAP }, PT_STR },
	{ "omit", fn_omit, 1, 1, { PT_MAP }, PT_STR },
	{ "merge", fn_merge, 1, 1, { PT_MAP }, PT_MAP },
	{ "mustMerge", fn_merge, 1, 1, { PT_MAP }, PT_MAP },
	{ "mergeOverwrite", fn_merge_overwrite, 1, 1, { PT_MAP }, PT_MAP },
	{ "mustMergeOverwrite", fn_merge_overwrite, 1, 1, { PT_MAP }, PT_MAP },
	{ "values", fn_values, 1, 0, { PT_MAP }, 0 },
	{ "deepCopy", fn_deep_copy, 1, 0, { PT_ANY }, 0 },
	{ "mustDeepCopy", fn_deep_copy, 1, 0, { PT_ANY }, 0 },
	{ "dig", fn_dig, 0, 1, { 0 }, PT_ANY },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
