/* Sprig's list functions (list.go) and the integer sequences (until, untilStep, seq). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Sprig calls reflect.TypeOf(list).Kind(), which panics on nil. */
static int need_list(fcall *c, const cf_helm_val *v, const char *what)
{
	if (v->kind == CF_HELM_NIL)
		return cf_error_set(CF_EINVALID, "runtime error: invalid memory address or nil pointer dereference");
	if (v->kind != CF_HELM_LIST)
		return cf_error_set(CF_EINVALID, "%s %s", what, hv_kind_name(v));
	(void)c;
	return 0;
}

static cf_helm_val *new_list(size_t cap)
{
	return hv_list(CF_HELM_LIST_ANY, cap);
}

/* Copies items[from..to) into a new []interface{}. */
static int copy_range(cf_helm_val **out, const cf_helm_val *l, size_t from, size_t to)
{
	cf_helm_val *n = new_list(to > from ? to - from : 0);
	size_t i;
	if (!n)
		return CF_ENOMEM;
	for (i = from; i < to; i++)
		if (hv_list_push(n, hv_ref(l->l.items[i])) < 0) {
			hv_unref(n);
			return CF_ENOMEM;
		}
	*out = n;
	return 0;
}

static int fn_list(fcall *c, cf_helm_val **out)
{
	cf_helm_val *n = new_list(c->nargs);
	size_t i;
	if (!n)
		return CF_ENOMEM;
	for (i = 0; i < c->nargs; i++)
		if (hv_list_push(n, hv_ref(c->args[i])) < 0) {
			hv_unref(n);
			return CF_ENOMEM;
		}
	*out = n;
	return 0;
}

static int fn_push(fcall *c, cf_helm_val **out)
{
	int r = need_list(c, c->args[0], "Cannot push on type");
	if (r < 0 || (r = copy_range(out, c->args[0], 0, c->args[0]->l.len)) < 0)
		return r;
	if (hv_list_push(*out, hv_ref(c->args[1])) < 0) {
		hv_unref(*out);
		return CF_ENOMEM;
	}
	return 0;
}

static int fn_prepend(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *l = c->args[0];
	cf_helm_val *n;
	size_t i;
	int r = need_list(c, l, "Cannot prepend on type");
	if (r < 0)
		return r;
	n = new_list(l->l.len + 1);
	if (!n || hv_list_push(n, hv_ref(c->args[1])) < 0)
		goto oom;
	for (i = 0; i < l->l.len; i++)
		if (hv_list_push(n, hv_ref(l->l.items[i])) < 0)
			goto oom;
	*out = n;
	return 0;
oom:
	hv_unref(n);
	return CF_ENOMEM;
}

static int fn_first(fcall *c, cf_helm_val **out)
{
	int r = need_list(c, c->args[0], "Cannot find first on type");
	if (r < 0)
		return r;
	*out = c->args[0]->l.len ? hv_ref(c->args[0]->l.items[0]) : HV_NIL;
	return 0;
}

static int fn_last(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *l = c->args[0];
	int r = need_list(c, l, "Cannot find last on type");
	if (r < 0)
		return r;
	*out = l->l.len ? hv_ref(l->l.items[l->l.len - 1]) : HV_NIL;
	return 0;
}

static int fn_rest(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *l = c->args[0];
	int r = need_list(c, l, "Cannot find rest on type");
	if (r < 0)
		return r;
	if (!l->l.len)
		return copy_range(out, l, 0, 0);
	return copy_range(out, l, 1, l->l.len);
}

static int fn_initial(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *l = c->args[0];
	int r = need_list(c, l, "Cannot find initial on type");
	if (r < 0)
		return r;
	if (!l->l.len)
		return copy_range(out, l, 0, 0);
	return copy_range(out, l, 0, l->l.len - 1);
}

static int fn_reverse(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *l = c->args[0];
	cf_helm_val *n;
	size_t i;
	int r = need_list(c, l, "Cannot find reverse on type");
	if (r < 0)
		return r;
	n = new_list(l->l.len);
	for (i = l->l.len; n && i > 0; i--)
		if (hv_list_push(n, hv_ref(l->l.items[i - 1])) < 0) {
			hv_unref(n);
			return CF_ENOMEM;
		}
	*out = n;
	return n ? 0 : CF_ENOMEM;
}

static bool in_list(cf_helm_val *const *items, size_t n, const cf_helm_val *needle)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (hv_deep_equal(needle, items[i], 0))
			return true;
	return false;
}

/* Keeps items passing keep(); used by uniq, without, compact. */
static int filter(fcall *c, cf_helm_val **out, const char *what,
                  bool (*keep)(fcall *c, const cf_helm_val *dest, const cf_helm_val *item))
{
	const cf_helm_val *l = c->args[0];
	cf_helm_val *n;
	size_t i;
	int r = need_list(c, l, what);
	if (r < 0)
		return r;
	n = new_list(0);
	for (i = 0; n && i < l->l.len; i++)
		if (keep(c, n, l->l.items[i]) && hv_list_push(n, hv_ref(l->l.items[i])) < 0) {
			hv_unref(n);
			return CF_ENOMEM;
		}
	*out = n;
	return n ? 0 : CF_ENOMEM;
}

static bool keep_uniq(fcall *c, const cf_helm_val *dest, const cf_helm_val *item)
{
	(void)c;
	return !in_list(dest->l.items, dest->l.len, item);
}

static bool keep_without(fcall *c, const cf_helm_val *dest, const cf_helm_val *item)
{
	(void)dest;
	return !in_list(c->args + 1, c->nargs - 1, item);
}

/* Sprig's empty(). */
static bool is_empty(const cf_helm_val *v)
{
	return !hv_truth(v) && v->kind != CF_HELM_OBJ;
}

static bool keep_compact(fcall *c, const cf_helm_val *dest, const cf_helm_val *item)
{
	(void)c;
	(void)dest;
	return !is_empty(item);
}

static int fn_uniq(fcall *c, cf_helm_val **out) { return filter(c, out, "Cannot find uniq on type", keep_uniq); }
static int fn_without(fcall *c, cf_helm_val **out) { return filter(c, out, "Cannot find without on type", keep_without); }
static int fn_compact(fcall *c, cf_helm_val **out) { return filter(c, out, "Cannot compact on type", keep_compact); }

static int fn_has(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *h = c->args[1];
	if (h->kind == CF_HELM_NIL) {
		*out = hv_bool(0);
		return *out ? 0 : CF_ENOMEM;
	}
	if (h->kind != CF_HELM_LIST)
		return cf_error_set(CF_EINVALID, "Cannot find has on type %s", hv_kind_name(h));
	*out = hv_bool(in_list(h->l.items, h->l.len, c->args[0]));
	return *out ? 0 : CF_ENOMEM;
}

static int fn_slice(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *l = c->args[0];
	int64_t start = 0, end;
	cf_helm_val *n;
	size_t i;
	if (l->kind == CF_HELM_NIL)
		return need_list(c, l, "");
	if (l->kind != CF_HELM_LIST)
		return cf_error_set(CF_EINVALID, "list should be type of slice or array but %s",
		                    hv_kind_name(l));
	if (!l->l.len) {
		*out = HV_NIL;
		return 0;
	}
	end = (int64_t)l->l.len;
	if (c->nargs > 1)
		start = conv_to_int64(c->args[1]);
	if (c->nargs > 2)
		end = conv_to_int64(c->args[2]);
	if (end < 0 || (size_t)end > l->l.len)
		return cf_error_set(CF_EINVALID, "reflect.Value.Slice: slice index out of bounds");
	if (start < 0 || start > end)
		return cf_error_set(CF_EINVALID, "reflect.Value.Slice: slice index out of bounds");
	n = hv_list((cf_helm_list_type)l->sub, (size_t)(end - start));
	for (i = (size_t)start; n && i < (size_t)end; i++)
		if (hv_list_push(n, hv_ref(l->l.items[i])) < 0) {
			hv_unref(n);
			return CF_ENOMEM;
		}
	*out = n;
	return n ? 0 : CF_ENOMEM;
}

static int fn_concat(fcall *c, cf_helm_val **out)
{
	cf_helm_val *n = new_list(0);
	size_t i, j;
	if (!n)
		return CF_ENOMEM;
	for (i = 0; i < c->nargs; i++) {
		const cf_helm_val *l = c->args[i];
		if (l->kind != CF_HELM_LIST) {
			hv_unref(n);
			if (l->kind == CF_HELM_NIL)
				return need_list(c, l, "");
			return cf_error_set(CF_EINVALID, "Cannot concat type %s as list", hv_kind_name(l));
		}
		for (j = 0; j < l->l.len; j++)
			if (hv_list_push(n, hv_ref(l->l.items[j])) < 0) {
				hv_unref(n);
				return CF_ENOMEM;
			}
	}
	*out = n;
	return 0;
}

static int fn_chunk(fcall *c, cf_helm_val **out)
{
	int64_t size = c->args[0]->i;
	const cf_helm_val *l = c->args[1];
	cf_helm_val *n, *chunk = NULL;
	size_t i;
	int r = need_list(c, l, "Cannot chunk type");
	if (r < 0)
		return r;
	if (size <= 0)
		return cf_error_set(CF_EINVALID, "runtime error: makeslice: len out of range");
	n = new_list(0);
	for (i = 0; n && i < l->l.len; i++) {
		if (i % (size_t)size == 0) {
			chunk = new_list((size_t)size);
			if (!chunk || hv_list_push(n, chunk) < 0)
				goto oom;
		}
		if (hv_list_push(chunk, hv_ref(l->l.items[i])) < 0)
			goto oom;
	}
	if (n && l->l.len == 0) {
		/* Sprig computes one chunk of length size even for an empty list and then panics. */
		hv_unref(n);
		return cf_error_set(CF_EINVALID, "runtime error: index out of range [0] with length 0");
	}
	*out = n;
	return n ? 0 : CF_ENOMEM;
oom:
	hv_unref(n);
	return CF_ENOMEM;
}

static int str_cmp(const void *a, const void *b)
{
	const cf_helm_val *x = *(cf_helm_val *const *)a, *y = *(cf_helm_val *const *)b;
	size_t n = x->s.len < y->s.len ? x->s.len : y->s.len;
	int r = memcmp(x->s.p, y->s.p, n);
	return r ? r : (x->s.len > y->s.len) - (x->s.len < y->s.len);
}

static int fn_sort_alpha(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *l = c->args[0];
	cf_helm_val *n;
	if (l->kind != CF_HELM_LIST) {
		size_t len;
		char *s = hv_strval(l, &len);
		n = hv_list(CF_HELM_LIST_STR, 1);
		if (!s || !n || hv_list_push(n, hv_str_take(s, len)) < 0) {
			hv_unref(n);
			return CF_ENOMEM;
		}
		*out = n;
		return 0;
	}
	n = conv_to_strlist(l);
	if (!n)
		return CF_ENOMEM;
	/* For a []string argument n is that list: Go's sort.Strings sorts the caller's slice too. */
	qsort(n->l.items, n->l.len, sizeof(cf_helm_val *), str_cmp);
	*out = n;
	return 0;
}

static int fn_to_strings(fcall *c, cf_helm_val **out)
{
	*out = conv_to_strlist(c->args[0]);
	return *out ? 0 : CF_ENOMEM;
}

static int until_step(fcall *c, cf_helm_val **out, int64_t start, int64_t stop, int64_t step)
{
	cf_helm_val *n = hv_list(CF_HELM_LIST_INT, 0);
	int64_t i;
	uint64_t count = 0, limit = exec_value_limit(c->st) / sizeof(void *);
	if (!n)
		return CF_ENOMEM;
	if (stop < start) {
		if (step < 0)
			for (i = start; i > stop; i += step) {
				if (++count > limit || hv_list_push(n, hv_int(i)) < 0)
					goto fail;
				if (i < INT64_MIN - step)
					break;
			}
	} else if (step > 0) {
		for (i = start; i < stop; i += step) {
			if (++count > limit || hv_list_push(n, hv_int(i)) < 0)
				goto fail;
			if (i > INT64_MAX - step)
				break;
		}
	}
	*out = n;
	return 0;
fail:
	hv_unref(n);
	return count > limit ? cf_error_set(CF_ELIMIT, "%s: list too long", c->name) : CF_ENOMEM;
}

static int fn_until(fcall *c, cf_helm_val **out)
{
	int64_t n = c->args[0]->i;
	return until_step(c, out, 0, n, n < 0 ? -1 : 1);
}

static int fn_until_step(fcall *c, cf_helm_val **out)
{
	return until_step(c, out, c->args[0]->i, c->args[1]->i, c->args[2]->i);
}

static int fn_seq(fcall *c, cf_helm_val **out)
{
	int64_t start, end, step = 1, inc = 1;
	cf_helm_val *l = NULL;
	hbuf b;
	size_t i, len;
	char *s;
	int r;
	switch (c->nargs) {
	case 1:
		start = 1;
		end = c->args[0]->i;
		if (end < start)
			inc = -1;
		r = until_step(c, &l, start, end + inc, inc);
		break;
	case 2:
		start = c->args[0]->i;
		end = c->args[1]->i;
		if (end < start)
			step = -1;
		r = until_step(c, &l, start, end + step, step);
		break;
	case 3:
		start = c->args[0]->i;
		end = c->args[2]->i;
		step = c->args[1]->i;
		if (end < start) {
			inc = -1;
			if (step > 0) {
				*out = hv_str("");
				return *out ? 0 : CF_ENOMEM;
			}
		}
		r = until_step(c, &l, start, end + inc, step);
		break;
	default:
		*out = hv_str("");
		return *out ? 0 : CF_ENOMEM;
	}
	if (r < 0)
		return r;
	hbuf_init(&b, exec_value_limit(c->st));
	for (i = 0; i < l->l.len; i++)
		hbuf_printf(&b, i ? " %lld" : "%lld", (long long)l->l.items[i]->i);
	hv_unref(l);
	if (b.err) {
		hbuf_free(&b);
		return CF_ENOMEM;
	}
	s = hbuf_take(&b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

const func_def funcs_lists[] = {
	{ "list", fn_list, 0, 1, { 0 }, PT_ANY },
	{ "tuple", fn_list, 0, 1, { 0 }, PT_ANY },
	{ "append", fn_push, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "push", fn_push, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "mustAppend", fn_push, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "mustPush", fn_push, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "prepend", fn_prepend, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "mustPrepend", fn_prepend, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "first", fn_first, 1, 0, { PT_ANY }, 0 },
	{ "mustFirst", fn_first, 1, 0, { PT_ANY }, 0 },
	{ "last", fn_last, 1, 0, { PT_ANY }, 0 },
	{ "mustLast", fn_last, 1, 0, { PT_ANY }, 0 },
	{ "rest", fn_rest, 1, 0, { PT_ANY }, 0 },
	{ "mustRest", fn_rest, 1, 0, { PT_ANY }, 0 },
	{ "initial", fn_initial, 1, 0, { PT_ANY }, 0 },
	{ "mustInitial", fn_initial, 1, 0, { PT_ANY }, 0 },
	{ "reverse", fn_reverse, 1, 0, { PT_ANY }, 0 },
	{ "mustReverse", fn_reverse, 1, 0, { PT_ANY }, 0 },
	{ "uniq", fn_uniq, 1, 0, { PT_ANY }, 0 },
	{ "mustUniq", fn_uniq, 1, 0, { PT_ANY }, 0 },
	{ "without", fn_without, 1, 1, { PT_ANY }, PT_ANY },
	{ "mustWithout", fn_without, 1, 1, { PT_ANY }, PT_ANY },
	{ "has", fn_has, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "mustHas", fn_has, 2, 0, { PT_ANY, PT_ANY }, 0 },
	{ "compact", fn_compact, 1, 0, { PT_ANY }, 0 },
	{ "mustCompact", fn_compact, 1, 0, { PT_ANY }, 0 },
	{ "slice", fn_slice, 1, 1, { PT_ANY }, PT_ANY },
	{ "mustSlice", fn_slice, 1, 1, { PT_ANY }, PT_ANY },
	{ "concat", fn_concat, 0, 1, { 0 }, PT_ANY },
	{ "chunk", fn_chunk, 2, 0, { PT_INT, PT_ANY }, 0 },
	{ "mustChunk", fn_chunk, 2, 0, { PT_INT, PT_ANY }, 0 },
	{ "sortAlpha", fn_sort_alpha, 1, 0, { PT_ANY }, 0 },
	{ "toStrings", fn_to_strings, 1, 0, { PT_ANY }, 0 },
	{ "until", fn_until, 1, 0, { PT_INT }, 0 },
	{ "untilStep", fn_until_step, 3, 0, { PT_INT, PT_INT, PT_INT }, 0 },
	{ "seq", fn_seq, 0, 1, { 0 }, PT_INT },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
