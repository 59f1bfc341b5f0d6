/* Executor for parsed templates with Go's evaluation, typing, truth and error rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "template.h"

#define DEFAULT_MAX_STEPS 10000000u
#define DEFAULT_MAX_OUTPUT (64u << 20)
#define DEFAULT_MAX_DEPTH 1100u
#define DEFAULT_MAX_VALUE (64u << 20)
#define DEFAULT_MAX_ALLOC (1u << 30)

/* An evaluated value: iface marks a value read from an interface{} slot (map value, list item). */
typedef struct {
	cf_helm_val *v;
	bool iface;
} ev;

typedef struct {
	const char *name;
	ev val;
} var;

typedef struct {
	const char *name;
	size_t count;
} include_count;

/* State shared by a render and every include/tpl it runs. */
typedef struct {
	const cf_helm_opts *opts;
	size_t steps, max_steps, max_output, max_depth, max_value, max_alloc, alloc;
	include_count *incs;
	size_t nincs;
	cf_helm_val **cycles; /* maps that closed a reference cycle; emptied at the end */
	size_t ncycles;
} shared;

struct exec_state {
	shared *sh;
	cf_helm_tmpl *set;
	const tree *tmpl;
	hbuf *out;
	var *vars;
	size_t nvars, capvars;
	const node *node;
	size_t depth;
	char *err;
	int code;
	char *fn_err; /* full message of a failed include/tpl (cf_error's buffer is bounded) */
};

enum { WALK_OK = 0, WALK_BREAK = 1, WALK_CONTINUE = 2 };

static const ev missing = { NULL, false };

static bool is_missing(ev e)
{
	return e.v == NULL;
}

static void ev_drop(ev e)
{
	hv_unref(e.v);
}

static int xerr(exec_state *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int xerr(exec_state *st, int code, const char *fmt, ...)
{
	hbuf b;
	va_list ap;
	char *msg;
	int n;
	if (st->err)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = malloc((size_t)n + 1);
	if (!msg) {
		st->code = CF_ENOMEM;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	hbuf_init(&b, 0);
	if (!st->node) {
		hbuf_printf(&b, "template: %s: %s", st->tmpl->name, msg);
	} else {
		int line, col;
		node_location(st->tmpl, st->node, &line, &col);
		hbuf_printf(&b, "template: %s:%d:%d: executing \"%s\" at <", st->tmpl->parse_name, line, col,
		            st->tmpl->name);
		node_string(&b, st->node);
		hbuf_puts(&b, ">: ");
		hbuf_puts(&b, msg);
	}
	free(msg);
	st->err = hbuf_take(&b, NULL);
	st->code = code;
	return -1;
}

static int nomem(exec_state *st)
{
	if (!st->err)
		st->err = strdup("out of memory");
	st->code = CF_ENOMEM;
	return -1;
}

static void at(exec_state *st, const node *n)
{
	st->node = n;
}

static int step(exec_state *st)
{
	if (++st->sh->steps > st->sh->max_steps)
		return xerr(st, CF_ELIMIT, "execution step limit (%zu) exceeded", st->sh->max_steps);
	return 0;
}

static char *node_str(const node *n)
{
	hbuf b;
	hbuf_init(&b, 0);
	node_string(&b, n);
	return hbuf_take(&b, NULL);
}

/* ---- variables ---- */

static int push_var(exec_state *st, const char *name, ev val)
{
	if (st->nvars == st->capvars) {
		size_t cap = st->capvars ? st->capvars * 2 : 16;
		var *nv = realloc(st->vars, cap * sizeof(var));
		if (!nv) {
			ev_drop(val);
			return nomem(st);
		}
		st->vars = nv;
		st->capvars = cap;
	}
	st->vars[st->nvars].name = name;
	st->vars[st->nvars].val = val;
	st->nvars++;
	return 0;
}

static void pop_vars(exec_state *st, size_t mark)
{
	while (st->nvars > mark)
		ev_drop(st->vars[--st->nvars].val);
}

static int set_var(exec_state *st, const char *name, ev val)
{
	size_t i = st->nvars;
	while (i-- > 0)
		if (!strcmp(st->vars[i].name, name)) {
			ev_drop(st->vars[i].val);
			st->vars[i].val = val;
			return 0;
		}
	ev_drop(val);
	return xerr(st, CF_EINVALID, "undefined variable: %s", name);
}

static void set_top_var(exec_state *st, size_t n, ev val)
{
	ev_drop(st->vars[st->nvars - n].val);
	st->vars[st->nvars - n].val = val;
}

static int var_value(exec_state *st, const char *name, ev *out)
{
	size_t i = st->nvars;
	while (i-- > 0)
		if (!strcmp(st->vars[i].name, name)) {
			out->v = hv_ref(st->vars[i].val.v);
			out->iface = st->vars[i].val.iface;
			return 0;
		}
	return xerr(st, CF_EINVALID, "undefined variable: %s", name);
}

/* ---- evaluation ---- */

static int eval_pipeline(exec_state *st, ev dot, const node *pipe, ev *out);
static int eval_arg(exec_state *st, ev dot, int type, const node *n, ev *out);
static int walk(exec_state *st, ev dot, const node *n);

static const char *const ptype_names[] = {
	"interface {}", "string", "int", "int64", "float64", "bool", "map[string]interface {}",
	"[]interface {}", "reflect.Value",
};

static bool can_be_nil(int type)
{
	return type == PT_ANY || type == PT_MAP || type == PT_LIST || type == PT_VALUE;
}

static bool assignable(const cf_helm_val *v, int type)
{
	switch (type) {
	case PT_ANY:
	case PT_VALUE: return true;
	case PT_STR: return v->kind == CF_HELM_STR && v->sub != HV_STR_BYTES;
	case PT_INT: return v->kind == CF_HELM_INT && v->sub == HV_INT_INT;
	case PT_INT64: return v->kind == CF_HELM_INT && v->sub == HV_INT_INT64;
	case PT_FLOAT: return v->kind == CF_HELM_FLOAT;
	case PT_BOOL: return v->kind == CF_HELM_BOOL;
	case PT_MAP:
		return v->kind == CF_HELM_MAP && (v->sub == HV_MAP_PLAIN || v->sub == HV_MAP_VALUES);
	case PT_LIST: return v->kind == CF_HELM_LIST && v->sub == CF_HELM_LIST_ANY;
	}
	return false;
}

/* Go's validateType: consumes val; on success *out holds a plain value (never iface). */
static int validate(exec_state *st, ev val, int type, ev *out)
{
	if (val.v->kind == CF_HELM_NIL && !val.iface) {
		if (can_be_nil(type)) {
			*out = (ev){ HV_NIL, false };
			return 0;
		}
		return xerr(st, CF_EINVALID, "invalid value; expected %s", ptype_names[type]);
	}
	if (type == PT_ANY || type == PT_VALUE) {
		*out = val;
		return 0;
	}
	if (val.v->kind == CF_HELM_NIL) {
		ev_drop(val);
		return xerr(st, CF_EINVALID, "wrong type for value; expected %s; got interface {}",
		            ptype_names[type]);
	}
	if (!assignable(val.v, type)) {
		int r = xerr(st, CF_EINVALID, "wrong type for value; expected %s; got %s", ptype_names[type],
		             hv_type_name(val.v));
		ev_drop(val);
		return r;
	}
	out->v = val.v;
	out->iface = false;
	return 0;
}

static bool is_hex_int(const char *s)
{
	return strlen(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strpbrk(s, "pP");
}

static int ideal_constant(exec_state *st, const node *n, ev *out)
{
	cf_helm_val *v;
	at(st, n);
	if (n->is_float && !is_hex_int(n->orig) && n->orig[0] != '\'' && strpbrk(n->orig, ".eEpP"))
		v = hv_float(n->f);
	else if (n->is_int)
		v = hv_int(n->i);
	else
		return xerr(st, CF_EINVALID, "%s overflows int", n->orig);
	if (!v)
		return nomem(st);
	*out = (ev){ v, false };
	return 0;
}

static int not_a_function(exec_state *st, const node *const *args, size_t nargs, ev final)
{
	if (nargs > 1 || !is_missing(final)) {
		char *s = node_str(args[0]);
		int r = xerr(st, CF_EINVALID, "can't give argument to non-function %s", s ? s : "");
		free(s);
		return r;
	}
	return 0;
}

/* Evaluates call arguments against the function's parameter types. */
static int eval_call_args(exec_state *st, ev dot, const func_def *fn, const node *const *args,
                          size_t nargs, ev final, cf_helm_val ***argv_out, size_t *argc_out)
{
	size_t numin = nargs + (is_missing(final) ? 0 : 1), i = 0;
	cf_helm_val **argv = calloc(numin ? numin : 1, sizeof(*argv));
	if (!argv)
		return nomem(st);
	*argv_out = argv;
	*argc_out = 0;
	for (; i < fn->nparams && i < nargs; i++) {
		ev a;
		if (eval_arg(st, dot, fn->types[i], args[i], &a) < 0)
			return -1;
		if (fn->types[i] == PT_VALUE && a.v->kind == CF_HELM_NIL && a.iface)
			a.v = HV_NIL_IFACE;
		argv[(*argc_out)++] = a.v;
	}
	for (; fn->variadic && i < nargs; i++) {
		ev a;
		if (eval_arg(st, dot, fn->vtype, args[i], &a) < 0)
			return -1;
		if (fn->vtype == PT_VALUE && a.v->kind == CF_HELM_NIL && a.iface)
			a.v = HV_NIL_IFACE;
		argv[(*argc_out)++] = a.v;
	}
	if (!is_missing(final)) {
		int t = fn->variadic ? (numin - 1 < fn->nparams ? fn->types[numin - 1] : fn->vtype)
		                     : fn->types[fn->nparams - 1];
		ev a;
		if (validate(st, (ev){ hv_ref(final.v), final.iface }, t, &a) < 0)
			return -1;
		argv[(*argc_out)++] = a.v;
	}
	return 0;
}

static void free_argv(cf_helm_val **argv, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		hv_unref(argv[i]);
	free(argv);
}

static int eval_and_or(exec_state *st, ev dot, const node *const *args, size_t nargs, ev final,
                       bool is_or, ev *out)
{
	ev v = { HV_NIL, false };
	size_t i;
	for (i = 0; i < nargs; i++) {
		ev_drop(v);
		if (eval_arg(st, dot, PT_VALUE, args[i], &v) < 0)
			return -1;
		if (v.v->kind == CF_HELM_NIL)
			v.iface = false;
		if (hv_truth(v.v) == is_or) {
			*out = v;
			return 0;
		}
	}
	if (!is_missing(final)) {
		ev_drop(v);
		v = (ev){ hv_ref(final.v), false };
	}
	*out = v;
	return 0;
}

static size_t val_size(const cf_helm_val *v)
{
	switch (v->kind) {
	case CF_HELM_STR: return v->s.len;
	case CF_HELM_LIST: return v->l.len * sizeof(void *);
	case CF_HELM_MAP: return v->m.len * sizeof(hv_pair);
	default: return 0;
	}
}

static int eval_call(exec_state *st, ev dot, const func_def *fn, const node *call_node,
                     const char *name, const node *const *args, size_t nargs, ev final, ev *out)
{
	size_t numin, argc = 0;
	cf_helm_val **argv = NULL;
	cf_helm_val *res = NULL;
	fcall c;
	int r;
	if (args) {
		args++;
		nargs--;
	} else {
		nargs = 0;
	}
	numin = nargs + (is_missing(final) ? 0 : 1);
	if (fn->variadic) {
		if (numin < fn->nparams)
			return xerr(st, CF_EINVALID, "wrong number of args for %s: want at least %d got %zu",
			            name, fn->nparams, nargs);
	} else if (numin != fn->nparams) {
		return xerr(st, CF_EINVALID, "wrong number of args for %s: want %d got %zu", name,
		            fn->nparams, numin);
	}
	if (!strcmp(name, "and") || !strcmp(name, "or"))
		return eval_and_or(st, dot, args, nargs, final, name[0] == 'o', out);
	if (eval_call_args(st, dot, fn, args, nargs, final, &argv, &argc) < 0) {
		free_argv(argv, argc);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.args = argv;
	c.nargs = argc;
	c.name = name;
	at(st, call_node);
	cf_error_clear();
	r = fn->fn(&c, &res);
	if (r < 0 || !res) {
		const char *msg = st->fn_err ? st->fn_err : cf_error_last();
		int code = r == CF_ELIMIT ? CF_ELIMIT : CF_EINVALID;
		free_argv(argv, argc);
		if (r == CF_ENOMEM || (!res && r >= 0)) {
			free(st->fn_err);
			st->fn_err = NULL;
			return nomem(st);
		}
		r = xerr(st, code, "error calling %s: %s", name, msg);
		free(st->fn_err);
		st->fn_err = NULL;
		return r;
	}
	free_argv(argv, argc);
	st->sh->alloc += val_size(res);
	if (st->sh->alloc > st->sh->max_alloc) {
		hv_unref(res);
		return xerr(st, CF_ELIMIT, "error calling %s: render allocation limit (%zu bytes) exceeded",
		            name, st->sh->max_alloc);
	}
	*out = (ev){ res, false };
	return 0;
}

static int eval_method(exec_state *st, ev dot, const cf_helm_val *recv, const char *name,
                       const node *n, const node *const *args, size_t nargs, ev final, ev *out)
{
	size_t i, argc = 0;
	cf_helm_val **argv;
	cf_helm_val *res = NULL;
	const cf_helm_obj_type *mt;
	void *data;
	int r;
	if (args) {
		args++;
		nargs--;
	} else {
		nargs = 0;
	}
	argv = calloc(nargs + 2, sizeof(*argv));
	if (!argv)
		return nomem(st);
	for (i = 0; i < nargs; i++) {
		ev a;
		if (eval_arg(st, dot, PT_ANY, args[i], &a) < 0) {
			free_argv(argv, argc);
			return -1;
		}
		argv[argc++] = a.v;
	}
	if (!is_missing(final))
		argv[argc++] = hv_ref(final.v);
	at(st, n);
	cf_error_clear();
	mt = hv_methods(recv, &data);
	r = mt->method(&res, data, name, argv, argc);
	free_argv(argv, argc);
	if (r < 0 || !res)
		return xerr(st, r == CF_ENOMEM ? CF_ENOMEM : CF_EINVALID, "error calling %s: %s", name,
		            cf_error_last());
	*out = (ev){ res, false };
	return 0;
}

/* Go's evalField: one step of .a.b.c on receiver (consumed). */
static int eval_field(exec_state *st, ev dot, const char *fname, const node *n,
                      const node *const *args, size_t nargs, ev final, ev recv, ev *out)
{
	bool has_args = nargs > 1 || !is_missing(final);
	const char *tname;
	cf_helm_val *f;
	int r;
	if (recv.v->kind == CF_HELM_NIL && !recv.iface) {
		ev_drop(recv);
		if (st->sh->opts && st->sh->opts->strict)
			return xerr(st, CF_EINVALID, "nil data; no entry for key \"%s\"", fname);
		*out = (ev){ HV_NIL, false };
		return 0;
	}
	tname = recv.iface ? "interface {}" : hv_type_name(recv.v);
	switch (recv.v->kind) {
	case CF_HELM_NIL:
		return xerr(st, CF_EINVALID, "nil pointer evaluating %s.%s", tname, fname);
	case CF_HELM_OBJ:
		if (recv.v->o.type->has_method && recv.v->o.type->has_method(recv.v->o.data, fname)) {
			r = eval_method(st, dot, recv.v, fname, n, args, nargs, final, out);
			ev_drop(recv);
			return r;
		}
		if (hv_obj_field(recv.v, fname, &f) == 0) {
			if (has_args) {
				ev_drop(recv);
				return xerr(st, CF_EINVALID, "%s has arguments but cannot be invoked as function",
				            fname);
			}
			*out = (ev){ hv_ref(f), false };
			ev_drop(recv);
			return 0;
		}
		break;
	case CF_HELM_LIST:
		if (recv.v->sub == HV_LIST_TYPED && recv.v->l.ltype->has_method &&
		    recv.v->l.ltype->has_method(recv.v, fname)) {
			r = eval_method(st, dot, recv.v, fname, n, args, nargs, final, out);
			ev_drop(recv);
			return r;
		}
		break;
	case CF_HELM_MAP:
		/* A named map type's methods come before its keys, as in Go's evalField. */
		if (recv.v->sub == HV_MAP_TYPED && recv.v->m.mtype->has_method &&
		    recv.v->m.mtype->has_method(recv.v, fname)) {
			r = eval_method(st, dot, recv.v, fname, n, args, nargs, final, out);
			ev_drop(recv);
			return r;
		}
		if (has_args) {
			ev_drop(recv);
			return xerr(st, CF_EINVALID, "%s is not a method but has arguments", fname);
		}
		f = hv_map_get(recv.v, fname, strlen(fname));
		if (!f && st->sh->opts && st->sh->opts->strict) {
			ev_drop(recv);
			return xerr(st, CF_EINVALID, "map has no entry for key \"%s\"", fname);
		}
		*out = (ev){ f ? hv_ref(f) : HV_NIL, true };
		ev_drop(recv);
		return 0;
	default:
		break;
	}
	r = xerr(st, CF_EINVALID, "can't evaluate field %s in type %s", fname, tname);
	ev_drop(recv);
	return r;
}

static int eval_field_chain(exec_state *st, ev dot, ev recv, const node *n, char *const *ident,
                            size_t nident, const node *const *args, size_t nargs, ev final, ev *out)
{
	size_t i;
	for (i = 0; i + 1 < nident; i++) {
		ev nx;
		if (eval_field(st, dot, ident[i], n, NULL, 0, missing, recv, &nx) < 0)
			return -1;
		recv = nx;
	}
	return eval_field(st, dot, ident[nident - 1], n, args, nargs, final, recv, out);
}

static int eval_field_node(exec_state *st, ev dot, const node *n, const node *const *args,
                           size_t nargs, ev final, ev *out)
{
	at(st, n);
	return eval_field_chain(st, dot, (ev){ hv_ref(dot.v), dot.iface }, n, n->ident, n->nident, args,
	                        nargs, final, out);
}

static int eval_chain_node(exec_state *st, ev dot, const node *n, const node *const *args,
                           size_t nargs, ev final, ev *out)
{
	ev pipe;
	at(st, n);
	if (n->sub->type == N_NIL) {
		char *s = node_str(n);
		int r = xerr(st, CF_EINVALID, "indirection through explicit nil in %s", s ? s : "");
		free(s);
		return r;
	}
	if (eval_arg(st, dot, PT_ANY, n->sub, &pipe) < 0)
		return -1;
	return eval_field_chain(st, dot, pipe, n, n->ident, n->nident, args, nargs, final, out);
}

static int eval_variable_node(exec_state *st, ev dot, const node *n, const node *const *args,
                              size_t nargs, ev final, ev *out)
{
	ev v;
	at(st, n);
	if (var_value(st, n->ident[0], &v) < 0)
		return -1;
	if (n->nident == 1) {
		if (not_a_function(st, args, nargs, final) < 0) {
			ev_drop(v);
			return -1;
		}
		*out = v;
		return 0;
	}
	return eval_field_chain(st, dot, v, n, n->ident + 1, n->nident - 1, args, nargs, final, out);
}

static int eval_function(exec_state *st, ev dot, const node *ident, const node *cmd,
                         const node *const *args, size_t nargs, ev final, ev *out)
{
	at(st, ident);
	return eval_call(st, dot, ident->fn, cmd, ident->text, args, nargs, final, out);
}

static int eval_empty_interface(exec_state *st, ev dot, const node *n, ev *out)
{
	at(st, n);
	switch (n->type) {
	case N_BOOL:
		out->v = hv_bool(n->flag);
		out->iface = false;
		return out->v ? 0 : nomem(st);
	case N_NUMBER:
		return ideal_constant(st, n, out);
	case N_STRING:
		out->v = hv_strn(n->text, n->text_len);
		out->iface = false;
		return out->v ? 0 : nomem(st);
	default:
		break;
	}
	{
		char *s = node_str(n);
		int r = xerr(st, CF_EINVALID, "can't handle assignment of %s to empty interface argument",
		             s ? s : "");
		free(s);
		return r;
	}
}

static int eval_arg(exec_state *st, ev dot, int type, const node *n, ev *out)
{
	ev v;
	char *s;
	int r;
	const node *self[1] = { n };
	at(st, n);
	switch (n->type) {
	case N_DOT:
		return validate(st, (ev){ hv_ref(dot.v), dot.iface }, type, out);
	case N_NIL:
		if (can_be_nil(type)) {
			*out = (ev){ HV_NIL, false };
			return 0;
		}
		return xerr(st, CF_EINVALID, "cannot assign nil to %s", ptype_names[type]);
	case N_FIELD:
		if (eval_field_node(st, dot, n, self, 1, missing, &v) < 0)
			return -1;
		return validate(st, v, type, out);
	case N_VARIABLE:
		if (eval_variable_node(st, dot, n, NULL, 0, missing, &v) < 0)
			return -1;
		return validate(st, v, type, out);
	case N_PIPE:
		if (eval_pipeline(st, dot, n, &v) < 0)
			return -1;
		return validate(st, v, type, out);
	case N_IDENT:
		if (eval_function(st, dot, n, n, NULL, 0, missing, &v) < 0)
			return -1;
		return validate(st, v, type, out);
	case N_CHAIN:
		if (eval_chain_node(st, dot, n, NULL, 0, missing, &v) < 0)
			return -1;
		return validate(st, v, type, out);
	default:
		break;
	}
	switch (type) {
	case PT_BOOL:
		if (n->type == N_BOOL) {
			out->v = hv_bool(n->flag);
			out->iface = false;
			return out->v ? 0 : nomem(st);
		}
		s = node_str(n);
		r = xerr(st, CF_EINVALID, "expected bool; found %s", s ? s : "");
		free(s);
		return r;
	case PT_INT:
	case PT_INT64:
		if (n->type == N_NUMBER && n->is_int) {
			out->v = type == PT_INT ? hv_int(n->i) : hv_int64(n->i);
			out->iface = false;
			return out->v ? 0 : nomem(st);
		}
		s = node_str(n);
		r = xerr(st, CF_EINVALID, "expected integer; found %s", s ? s : "");
		free(s);
		return r;
	case PT_FLOAT:
		if (n->type == N_NUMBER && n->is_float) {
			out->v = hv_float(n->f);
			out->iface = false;
			return out->v ? 0 : nomem(st);
		}
		s = node_str(n);
		r = xerr(st, CF_EINVALID, "expected float; found %s", s ? s : "");
		free(s);
		return r;
	case PT_STR:
		if (n->type == N_STRING) {
			out->v = hv_strn(n->text, n->text_len);
			out->iface = false;
			return out->v ? 0 : nomem(st);
		}
		s = node_str(n);
		r = xerr(st, CF_EINVALID, "expected string; found %s", s ? s : "");
		free(s);
		return r;
	case PT_ANY:
	case PT_VALUE:
		return eval_empty_interface(st, dot, n, out);
	}
	s = node_str(n);
	r = xerr(st, CF_EINVALID, "can't handle %s for arg of type %s", s ? s : "", ptype_names[type]);
	free(s);
	return r;
}

static int eval_command(exec_state *st, ev dot, const node *cmd, ev final, ev *out)
{
	const node *first = cmd->kids[0];
	const node *const *args = (const node *const *)cmd->kids;
	size_t nargs = cmd->nkids;
	if (step(st) < 0)
		return -1;
	switch (first->type) {
	case N_FIELD:
		return eval_field_node(st, dot, first, args, nargs, final, out);
	case N_CHAIN:
		return eval_chain_node(st, dot, first, args, nargs, final, out);
	case N_IDENT:
		return eval_function(st, dot, first, cmd, args, nargs, final, out);
	case N_PIPE:
		if (not_a_function(st, args, nargs, final) < 0)
			return -1;
		return eval_pipeline(st, dot, first, out);
	case N_VARIABLE:
		return eval_variable_node(st, dot, first, args, nargs, final, out);
	default:
		break;
	}
	at(st, first);
	if (not_a_function(st, args, nargs, final) < 0)
		return -1;
	switch (first->type) {
	case N_BOOL:
		out->v = hv_bool(first->flag);
		out->iface = false;
		return out->v ? 0 : nomem(st);
	case N_DOT:
		*out = (ev){ hv_ref(dot.v), dot.iface };
		return 0;
	case N_NIL:
		return xerr(st, CF_EINVALID, "nil is not a command");
	case N_NUMBER:
		return ideal_constant(st, first, out);
	case N_STRING:
		out->v = hv_strn(first->text, first->text_len);
		out->iface = false;
		return out->v ? 0 : nomem(st);
	}
	return xerr(st, CF_EINVALID, "can't evaluate command");
}

static int eval_pipeline(exec_state *st, ev dot, const node *pipe, ev *out)
{
	ev value = missing;
	size_t i;
	at(st, pipe);
	for (i = 0; i < pipe->nkids; i++) {
		ev nv;
		int r = eval_command(st, dot, pipe->kids[i], value, &nv);
		ev_drop(value);
		if (r < 0)
			return -1;
		nv.iface = false; /* the interface{} is unwrapped after each command */
		value = nv;
	}
	for (i = 0; i < pipe->ndecl; i++) {
		ev copy = { hv_ref(value.v), false };
		int r = pipe->flag ? set_var(st, pipe->decl[i]->ident[0], copy)
		                   : push_var(st, pipe->decl[i]->ident[0], copy);
		if (r < 0) {
			ev_drop(value);
			return -1;
		}
	}
	*out = value;
	return 0;
}

/* ---- walking ---- */

static int print_value(exec_state *st, const node *n, const cf_helm_val *v)
{
	int r;
	at(st, n);
	if (v->kind == CF_HELM_NIL) {
		r = hbuf_puts(st->out, "<no value>");
	} else if (v->kind == CF_HELM_OBJ && v->o.type->ptr_string && v->o.type->string) {
		/* Go takes the address of the field to reach its String method. */
		char *s = v->o.type->string(v->o.data);
		r = s ? hbuf_puts(st->out, s) : CF_ENOMEM;
		free(s);
	} else if (v->kind == CF_HELM_OBJ && v->o.type->is_ptr && !v->o.type->string) {
		/* A pointer prints as the struct it points to. */
		cf_helm_val copy = *v;
		cf_helm_obj_type t = *v->o.type;
		t.is_ptr = 0;
		copy.o.type = &t;
		copy.refs = -1;
		r = fmt_value(st->out, &copy);
	} else {
		r = fmt_value(st->out, v);
	}
	if (r == CF_ELIMIT)
		return xerr(st, CF_ELIMIT, "output limit (%zu bytes) exceeded", st->sh->max_output);
	return r < 0 ? nomem(st) : 0;
}

static int walk_if_with(exec_state *st, ev dot, const node *n)
{
	size_t mark = st->nvars;
	ev val;
	int r;
	if (eval_pipeline(st, dot, n->pipe, &val) < 0)
		return -1;
	if (hv_truth(val.v))
		r = walk(st, n->type == N_WITH ? val : dot, n->list);
	else if (n->else_list)
		r = walk(st, dot, n->else_list);
	else
		r = 0;
	ev_drop(val);
	pop_vars(st, mark);
	return r;
}

/* One range iteration; returns walk's status. */
static int range_once(exec_state *st, const node *r, size_t mark, ev index, ev elem)
{
	const node *pipe = r->pipe;
	int res;
	if (pipe->ndecl > 0) {
		if (pipe->flag) {
			ev v = pipe->ndecl > 1 ? index : elem;
			if (set_var(st, pipe->decl[0]->ident[0], (ev){ hv_ref(v.v), v.iface }) < 0)
				return -1;
		} else {
			set_top_var(st, 1, (ev){ hv_ref(elem.v), elem.iface });
		}
	}
	if (pipe->ndecl > 1) {
		if (pipe->flag) {
			if (set_var(st, pipe->decl[1]->ident[0], (ev){ hv_ref(elem.v), elem.iface }) < 0)
				return -1;
		} else {
			set_top_var(st, 2, (ev){ hv_ref(index.v), index.iface });
		}
	}
	res = walk(st, elem, r->list);
	pop_vars(st, mark);
	if (res == WALK_CONTINUE)
		res = WALK_OK;
	return res;
}

static int walk_range(exec_state *st, ev dot, const node *r)
{
	size_t mark0 = st->nvars, mark, i;
	ev val;
	int res = 0;
	bool ran = false;
	at(st, r);
	if (eval_pipeline(st, dot, r->pipe, &val) < 0)
		return -1;
	mark = st->nvars;
	switch (val.v->kind) {
	case CF_HELM_INT:
	case CF_HELM_UINT:
		if (r->pipe->ndecl > 1) {
			char *s = hv_strval(val.v, NULL);
			res = xerr(st, CF_EINVALID, "can't use %s to iterate over more than one variable",
			           s ? s : "");
			free(s);
			break;
		}
		for (i = 0; res == 0 && (val.v->kind == CF_HELM_INT ? (int64_t)i < val.v->i : i < val.v->u);
		     i++) {
			cf_helm_val *e = val.v->kind == CF_HELM_INT ? hv_int(i) : hv_uint(i);
			if (!e) {
				res = nomem(st);
				break;
			}
			if (val.v->sub == HV_INT_INT64)
				e->sub = HV_INT_INT64;
			ran = true;
			res = step(st) < 0 ? -1 : range_once(st, r, mark, (ev){ HV_NIL, false }, (ev){ e, false });
			hv_unref(e);
		}
		break;
	case CF_HELM_LIST: {
		cf_helm_val *list = val.v;
		bool iface = list->sub == CF_HELM_LIST_ANY;
		for (i = 0; res == 0 && i < list->l.len; i++) {
			cf_helm_val *idx = hv_int((int64_t)i);
			cf_helm_val *e = hv_ref(list->l.items[i]);
			if (!idx) {
				hv_unref(e);
				res = nomem(st);
				break;
			}
			ran = true;
			res = step(st) < 0 ? -1
			                   : range_once(st, r, mark, (ev){ idx, false }, (ev){ e, iface });
			hv_unref(idx);
			hv_unref(e);
		}
		break;
	}
	case CF_HELM_MAP: {
		/* Snapshot the keys: the body may change the map. */
		cf_helm_val *map = val.v;
		size_t n = map->m.len;
		hv_pair *snap = n ? malloc(n * sizeof(*snap)) : NULL;
		if (n && !snap) {
			res = nomem(st);
			break;
		}
		for (i = 0; i < n; i++) {
			snap[i].key = map->m.pairs[i].key;
			snap[i].val = NULL;
		}
		for (i = 0; i < n; i++) {
			snap[i].val = hv_strn(snap[i].key, strlen(snap[i].key));
			if (!snap[i].val)
				break;
		}
		for (i = 0; res == 0 && i < n; i++) {
			cf_helm_val *k = snap[i].val, *e;
			if (!k) {
				res = nomem(st);
				break;
			}
			e = hv_map_get(map, k->s.p, k->s.len);
			ran = true;
			res = step(st) < 0 ? -1
			                   : range_once(st, r, mark, (ev){ k, false },
			                                (ev){ e ? e : HV_NIL, true });
		}
		for (i = 0; i < n; i++)
			hv_unref(snap[i].val);
		free(snap);
		break;
	}
	case CF_HELM_NIL:
		break;
	default: {
		char *s = hv_strval(val.v, NULL);
		res = xerr(st, CF_EINVALID, "range can't iterate over %s", s ? s : "");
		free(s);
		break;
	}
	}
	if (res == WALK_BREAK)
		res = WALK_OK;
	if (res == 0 && !ran && r->else_list)
		res = walk(st, dot, r->else_list);
	ev_drop(val);
	pop_vars(st, mark0);
	return res;
}

static int run_tree(exec_state *st, const tree *t, ev dot);

static int walk_template(exec_state *st, ev dot, const node *n)
{
	const tree *t;
	ev val = { HV_NIL, false };
	const tree *saved_tmpl;
	var *saved_vars;
	size_t saved_n, saved_cap;
	int r;
	at(st, n);
	t = tmpl_lookup(st->set, n->text);
	if (!t)
		return xerr(st, CF_EINVALID, "template \"%s\" not defined", n->text);
	if (st->depth >= st->sh->max_depth)
		return xerr(st, CF_ELIMIT, "exceeded maximum template depth (%zu)", st->sh->max_depth);
	if (n->pipe && eval_pipeline(st, dot, n->pipe, &val) < 0)
		return -1;
	saved_tmpl = st->tmpl;
	saved_vars = st->vars;
	saved_n = st->nvars;
	saved_cap = st->capvars;
	st->vars = NULL;
	st->nvars = st->capvars = 0;
	st->depth++;
	r = run_tree(st, t, val);
	st->depth--;
	pop_vars(st, 0);
	free(st->vars);
	st->vars = saved_vars;
	st->nvars = saved_n;
	st->capvars = saved_cap;
	st->tmpl = saved_tmpl;
	ev_drop(val);
	return r < 0 ? -1 : 0;
}

static int walk(exec_state *st, ev dot, const node *n)
{
	size_t i;
	int r;
	at(st, n);
	if (step(st) < 0)
		return -1;
	switch (n->type) {
	case N_ACTION: {
		ev val;
		if (eval_pipeline(st, dot, n->pipe, &val) < 0)
			return -1;
		r = n->pipe->ndecl == 0 ? print_value(st, n, val.v) : 0;
		ev_drop(val);
		return r;
	}
	case N_BREAK:
		return WALK_BREAK;
	case N_CONTINUE:
		return WALK_CONTINUE;
	case N_COMMENT:
		return 0;
	case N_IF:
	case N_WITH:
		return walk_if_with(st, dot, n);
	case N_LIST:
		for (i = 0; i < n->nkids; i++)
			if ((r = walk(st, dot, n->kids[i])) != 0)
				return r;
		return 0;
	case N_RANGE:
		return walk_range(st, dot, n);
	case N_TEMPLATE:
		return walk_template(st, dot, n);
	case N_TEXT:
		if (hbuf_put(st->out, n->text, n->text_len) < 0) {
			if (st->out->err == CF_ELIMIT)
				return xerr(st, CF_ELIMIT, "output limit (%zu bytes) exceeded", st->sh->max_output);
			return nomem(st);
		}
		return 0;
	}
	return xerr(st, CF_EINVALID, "unknown node");
}

/* Executes tree t with a fresh variable frame holding only $ = dot (borrowed). */
static int run_tree(exec_state *st, const tree *t, ev dot)
{
	st->tmpl = t;
	st->node = NULL;
	if (!t->root)
		return xerr(st, CF_EINVALID, "\"%s\" is an incomplete or empty template", t->name);
	if (push_var(st, "$", (ev){ hv_ref(dot.v), dot.iface }) < 0)
		return -1;
	return walk(st, dot, t->root) < 0 ? -1 : 0;
}

/* Runs template name into a new buffer; the message of a failure is left in *err. */
static int execute(shared *sh, cf_helm_tmpl *set, size_t depth, const char *name, const tree *direct,
                   cf_helm_val *data, hbuf *out, char **err)
{
	exec_state st;
	const tree *t = direct ? direct : tmpl_lookup(set, name);
	int r;
	memset(&st, 0, sizeof(st));
	st.sh = sh;
	st.set = set;
	st.out = out;
	st.depth = depth;
	*err = NULL;
	if (!t) {
		hbuf m;
		hbuf_init(&m, 0);
		hbuf_printf(&m, "template: no template \"%s\" associated with template \"gotpl\"", name);
		*err = hbuf_take(&m, NULL);
		return CF_ENOTFOUND;
	}
	r = run_tree(&st, t, (ev){ data, false });
	pop_vars(&st, 0);
	free(st.vars);
	free(st.fn_err);
	if (r < 0) {
		*err = st.err;
		return st.code ? st.code : CF_EINVALID;
	}
	return 0;
}

/* ---- services for functions ---- */

int exec_random(exec_state *st, unsigned char *buf, size_t n)
{
	const cf_helm_opts *o = st->sh->opts;
	if (o && o->random)
		return o->random(o->random_ctx, buf, n);
	return RAND_bytes(buf, (int)n) == 1 ? 0 : cf_error_set(CF_EINTERNAL, "random source failed");
}

struct timespec exec_now(exec_state *st)
{
	const cf_helm_opts *o = st->sh->opts;
	struct timespec ts;
	if (o && o->now)
		return o->now(o->now_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

size_t exec_value_limit(exec_state *st)
{
	return st->sh->max_value;
}

const char *exec_template_name(exec_state *st)
{
	return st->tmpl ? st->tmpl->parse_name : "";
}

static include_count *include_slot(shared *sh, const char *name)
{
	size_t i;
	include_count *n;
	for (i = 0; i < sh->nincs; i++)
		if (!strcmp(sh->incs[i].name, name))
			return &sh->incs[i];
	n = realloc(sh->incs, (sh->nincs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	sh->incs = n;
	n[sh->nincs].name = strdup(name);
	n[sh->nincs].count = 0;
	if (!n[sh->nincs].name)
		return NULL;
	return &n[sh->nincs++];
}

int exec_include(exec_state *st, cf_helm_val **out, const char *name, cf_helm_val *data)
{
	include_count *slot = include_slot(st->sh, name);
	hbuf b;
	char *err = NULL;
	int r;
	if (!slot)
		return CF_ENOMEM;
	if (slot->count > 1000)
		return cf_error_set(CF_ELIMIT,
		                    "rendering template has a nested reference name: %s: unable to execute template",
		                    name);
	if (st->depth + 1 >= st->sh->max_depth)
		return cf_error_set(CF_ELIMIT, "exceeded maximum template depth (%zu)", st->sh->max_depth);
	slot->count++;
	hbuf_init(&b, st->sh->max_output);
	r = execute(st->sh, st->set, st->depth + 1, name, NULL, data, &b, &err);
	slot = include_slot(st->sh, name);
	if (slot)
		slot->count--;
	if (r < 0) {
		hbuf_free(&b);
		free(st->fn_err);
		st->fn_err = err;
		return r == CF_ELIMIT ? CF_ELIMIT : CF_EINVALID;
	}
	{
		size_t len;
		char *p = hbuf_take(&b, &len);
		*out = p ? hv_str_take(p, len) : NULL;
	}
	return *out ? 0 : CF_ENOMEM;
}

static char *strip_no_value(const char *s, size_t n, size_t *outlen)
{
	hbuf b;
	size_t i = 0;
	hbuf_init(&b, 0);
	while (i < n) {
		const char *hit = NULL;
		size_t j;
		for (j = i; j + 10 <= n; j++)
			if (s[j] == '<' && !memcmp(s + j, "<no value>", 10)) {
				hit = s + j;
				break;
			}
		if (!hit) {
			hbuf_put(&b, s + i, n - i);
			break;
		}
		hbuf_put(&b, s + i, (size_t)(hit - (s + i)));
		i = (size_t)(hit - s) + 10;
	}
	if (b.err) {
		hbuf_free(&b);
		return NULL;
	}
	return hbuf_take(&b, outlen);
}

/* Helm wraps tpl failures as "<what>%q: <cause>". */
static void tpl_error(exec_state *st, const char *what, const char *text, size_t len, const char *cause)
{
	hbuf m;
	hbuf_init(&m, 0);
	hbuf_puts(&m, what);
	fmt_quote(&m, text, len);
	hbuf_puts(&m, ": ");
	hbuf_puts(&m, cause ? cause : "");
	free(st->fn_err);
	st->fn_err = hbuf_take(&m, NULL);
}

int exec_tpl(exec_state *st, cf_helm_val **out, const char *text, size_t len, cf_helm_val *data)
{
	cf_helm_tmpl overlay;
	tree *main = NULL;
	hbuf b;
	char *err = NULL, *res;
	size_t rlen;
	int r;
	memset(&overlay, 0, sizeof(overlay));
	overlay.parent = st->set;
	if (st->depth + 1 >= st->sh->max_depth)
		return cf_error_set(CF_ELIMIT, "exceeded maximum template depth (%zu)", st->sh->max_depth);
	r = tmpl_parse(&overlay, "gotpl", text, len, &err, &main);
	if (r < 0) {
		tpl_error(st, "cannot parse template ", text, len, err);
		goto done;
	}
	hbuf_init(&b, st->sh->max_output);
	r = execute(st->sh, &overlay, st->depth + 1, "gotpl", main, data, &b, &err);
	if (r < 0) {
		hbuf_free(&b);
		tpl_error(st, "error during tpl function execution for ", text, len, err);
		r = r == CF_ELIMIT ? CF_ELIMIT : CF_EINVALID;
		goto done;
	}
	res = strip_no_value(b.p ? b.p : "", b.len, &rlen);
	hbuf_free(&b);
	*out = res ? hv_str_take(res, rlen) : NULL;
	r = *out ? 0 : CF_ENOMEM;
done:
	free(err);
	tmpl_clear(&overlay);
	return r;
}

int exec_after_store(exec_state *st, cf_helm_val *map, const cf_helm_val *stored)
{
	shared *sh = st->sh;
	size_t budget = 100000, i;
	cf_helm_val **n;
	if (stored->kind != CF_HELM_LIST && stored->kind != CF_HELM_MAP)
		return 0;
	if (!hv_reaches(stored, map, &budget))
		return 0;
	for (i = 0; i < sh->ncycles; i++)
		if (sh->cycles[i] == map)
			return 0;
	n = realloc(sh->cycles, (sh->ncycles + 1) * sizeof(*n));
	if (!n)
		return CF_ENOMEM;
	sh->cycles = n;
	sh->cycles[sh->ncycles++] = hv_ref(map);
	return 0;
}

int exec_lookup(exec_state *st, cf_helm_val **out, const char *av, const char *kind,
                const char *ns, const char *name)
{
	const cf_helm_opts *o = st->sh->opts;
	if (o && o->lookup)
		return o->lookup(o->lookup_ctx, out, av, kind, ns, name);
	*out = hv_map();
	return *out ? 0 : CF_ENOMEM;
}

/* ---- public entry ---- */

int cf_helm_tmpl_exec(char **out, size_t *out_len, cf_helm_tmpl *set, const char *name,
                      cf_helm_val *root, const cf_helm_opts *opts)
{
	shared sh;
	hbuf b;
	char *err = NULL;
	int r;
	size_t i;
	memset(&sh, 0, sizeof(sh));
	sh.opts = opts;
	sh.max_steps = opts && opts->max_steps ? opts->max_steps : DEFAULT_MAX_STEPS;
	sh.max_output = opts && opts->max_output ? opts->max_output : DEFAULT_MAX_OUTPUT;
	sh.max_depth = opts && opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
	sh.max_value = opts && opts->max_value_bytes ? opts->max_value_bytes : DEFAULT_MAX_VALUE;
	sh.max_alloc = opts && opts->max_alloc ? opts->max_alloc : DEFAULT_MAX_ALLOC;
	hbuf_init(&b, sh.max_output);
	r = execute(&sh, set, 0, name, NULL, root ? root : HV_NIL, &b, &err);
	for (i = 0; i < sh.nincs; i++)
		free((char *)sh.incs[i].name);
	free(sh.incs);
	for (i = 0; i < sh.ncycles; i++) {
		hv_map_clear(sh.cycles[i]);
		hv_unref(sh.cycles[i]);
	}
	free(sh.cycles);
	if (r < 0) {
		hbuf_free(&b);
		cf_error_set(r, "%s", err ? err : "template execution failed");
		if (opts && opts->error_out)
			*opts->error_out = err;
		else
			free(err);
		return r;
	}
	if (opts && opts->helm_strip) {
		size_t len;
		char *s = strip_no_value(b.p ? b.p : "", b.len, &len);
		hbuf_free(&b);
		if (!s)
			return cf_error_set(CF_ENOMEM, "out of memory");
		*out = s;
		if (out_len)
			*out_len = len;
		return 0;
	}
	*out = hbuf_take(&b, out_len);
	return *out ? 0 : cf_error_set(CF_ENOMEM, "out of memory");
}
