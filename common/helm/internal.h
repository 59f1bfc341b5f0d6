/* Shared internals of the helm module: value layout, string buffers, AST and function table. */
#ifndef CF_HELM_INTERNAL_H
#define CF_HELM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cf/error.h"
#include "cf/helm.h"

/* ---- values ---- */

/* Nesting bound for every recursive walk over values (printing, JSON, copies, merges). */
#define HV_MAX_DEPTH 1000

typedef struct {
	char *key;
	cf_helm_val *val;
} hv_pair;

struct cf_helm_val {
	int refs;          /* < 0: static, never freed */
	uint8_t kind;      /* cf_helm_kind */
	uint8_t sub;       /* INT: HV_INT_*; STR: HV_STR_*; LIST: cf_helm_list_type; MAP: HV_MAP_* */
	union {
		int b;
		int64_t i;
		uint64_t u;
		double f;
		struct {
			char *p;
			size_t len;
		} s;
		struct {
			cf_helm_val **items;
			size_t len, cap;
			/* HV_LIST_TYPED: a named []string type with methods (data is the list itself). */
			const cf_helm_obj_type *ltype;
		} l;
		struct {
			hv_pair *pairs; /* sorted by key (bytewise) */
			size_t len, cap;
			/* HV_MAP_TYPED: a named map type with methods (data is the map itself). */
			const cf_helm_obj_type *mtype;
		} m;
		struct {
			const cf_helm_obj_type *type;
			void *data;
			char **names;
			cf_helm_val **vals;
			size_t n;
		} o;
	};
};

enum { HV_INT_INT = 0, HV_INT_INT64 = 1 };
/* A []byte is held as a string marked bytes: %v prints it as numbers, typeOf says []uint8. */
enum { HV_STR_STRING = 0, HV_STR_BYTES = 1 };
/* map[string]interface{}, chartutil.Values, map[string]string, a named map type (m.mtype). */
enum { HV_MAP_PLAIN = 0, HV_MAP_VALUES = 1, HV_MAP_STRSTR = 2, HV_MAP_TYPED = 3 };
/* Past cf_helm_list_type: a named []string type such as chartutil.VersionSet (l.ltype). */
enum { HV_LIST_TYPED = 3 };

extern cf_helm_val hv_nil_static;
#define HV_NIL (&hv_nil_static)
/* A nil read from an interface{} slot, as reflect.Value params (len, index) see it. */
extern cf_helm_val hv_nil_iface_static;
#define HV_NIL_IFACE (&hv_nil_iface_static)

/* Pointer-returning constructors (NULL on OOM) used across the module. */
cf_helm_val *hv_bool(int b);
cf_helm_val *hv_int(int64_t i);
cf_helm_val *hv_int64(int64_t i);
cf_helm_val *hv_uint(uint64_t u);
cf_helm_val *hv_float(double f);
cf_helm_val *hv_strn(const char *s, size_t len);
cf_helm_val *hv_str(const char *s);
cf_helm_val *hv_str_take(char *s, size_t len); /* takes a malloc'ed buffer */
cf_helm_val *hv_bytes(const char *s, size_t len); /* a []byte */
/* A map of the named type t, whose methods t->method gets called with the map as data. */
cf_helm_val *hv_typed_map(const cf_helm_obj_type *t);
/* An empty list of the named []string type t, whose methods get the list as data. */
cf_helm_val *hv_typed_list(const cf_helm_obj_type *t, size_t cap);
/* The method table of v (an object or a typed map) and the data its methods take; NULL if none. */
const cf_helm_obj_type *hv_methods(const cf_helm_val *v, void **data);
cf_helm_val *hv_list(cf_helm_list_type t, size_t cap);
cf_helm_val *hv_map(void);
cf_helm_val *hv_ref(cf_helm_val *v);
void hv_unref(cf_helm_val *v);
int hv_list_push(cf_helm_val *l, cf_helm_val *item);  /* takes item */
int hv_map_set(cf_helm_val *m, const char *key, size_t klen, cf_helm_val *v); /* takes v */
cf_helm_val *hv_map_get(const cf_helm_val *m, const char *key, size_t klen);
int hv_map_del(cf_helm_val *m, const char *key, size_t klen);
cf_helm_val *hv_deep_copy(const cf_helm_val *v, int depth);
const char *hv_type_name(const cf_helm_val *v);
const char *hv_kind_name(const cf_helm_val *v);
bool hv_truth(const cf_helm_val *v);
bool hv_is_nil(const cf_helm_val *v);
bool hv_is_str(const cf_helm_val *v);
bool hv_deep_equal(const cf_helm_val *a, const cf_helm_val *b, int depth);
int hv_obj_field(const cf_helm_val *o, const char *name, cf_helm_val **out); /* borrowed */
/* true when target is reachable from `from`, or when *budget (nodes to visit) runs out. */
bool hv_reaches(const cf_helm_val *from, const cf_helm_val *target, size_t *budget);
/* Empties a map (used to break reference cycles when a render ends). */
void hv_map_clear(cf_helm_val *m);

/* memmem (a GNU extension, so provided here). */
void *hv_memmem(const void *hay, size_t n, const void *needle, size_t k);

/* ---- long error messages (errors.c) ---- */

/* cf_error_set(code, "%s", msg) that also keeps msg whole (cf_error_last() keeps 2 KiB). */
int hv_error_long(int code, const char *msg);
/* The current error's whole message (malloc'ed; NULL on OOM): the kept one when it is current. */
char *hv_error_full(void);
void hv_error_long_clear(void);

/* ---- growable byte buffer ---- */

typedef struct {
	char *p;
	size_t len, cap;
	size_t limit;   /* 0: none */
	int err;        /* sticky: CF_ENOMEM or CF_ELIMIT */
} hbuf;

void hbuf_init(hbuf *b, size_t limit);
void hbuf_free(hbuf *b);
int hbuf_put(hbuf *b, const char *s, size_t n);
int hbuf_puts(hbuf *b, const char *s);
int hbuf_putc(hbuf *b, char c);
int hbuf_printf(hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *hbuf_take(hbuf *b, size_t *len); /* NUL-terminated; b is reset */

/* ---- fmt (Go's fmt package) ---- */

/* %v of one value as fmt.Sprint prints it (nil as <nil>). */
int fmt_value(hbuf *b, const cf_helm_val *v);
/* fmt.Sprint / Sprintln / Sprintf over args. */
int fmt_sprint(hbuf *b, cf_helm_val *const *args, size_t n);
int fmt_sprintln(hbuf *b, cf_helm_val *const *args, size_t n);
int fmt_sprintf(hbuf *b, const char *fmt, size_t flen, cf_helm_val *const *args, size_t n);
/* strconv.FormatFloat(f, 'g', -1, 64) and the JSON form used by encoding/json. */
void fmt_float_g(char *buf, size_t size, double f);
void fmt_float_json(char *buf, size_t size, double f);
/* strconv.Quote. */
int fmt_quote(hbuf *b, const char *s, size_t n);
/* Sprig's strval: strings as is, everything else through %v. New malloc'ed string. */
char *hv_strval(const cf_helm_val *v, size_t *len);

/* ---- function calls ---- */

typedef struct exec_state exec_state;

/* Parameter types of template functions, as Go's reflection checks them. */
typedef enum {
	PT_ANY,    /* interface{} */
	PT_STR,    /* string */
	PT_INT,    /* int */
	PT_INT64,  /* int64 */
	PT_FLOAT,  /* float64 */
	PT_BOOL,   /* bool */
	PT_MAP,    /* map[string]interface{} */
	PT_LIST,   /* []interface{} */
	PT_VALUE,  /* reflect.Value (Go builtins): nothing checked */
} param_type;

typedef struct {
	exec_state *st;
	cf_helm_val **args; /* borrowed */
	size_t nargs;
	const char *name;
} fcall;

typedef int (*func_impl)(fcall *c, cf_helm_val **out);

typedef struct {
	const char *name;
	func_impl fn;
	uint8_t nparams;       /* fixed parameters */
	uint8_t variadic;      /* 1: further args of type vtype */
	uint8_t types[6];
	uint8_t vtype;
} func_def;

/* Sets a function's error message (prefixed later with "error calling NAME: "). */
int fcall_err(fcall *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Function tables of each family; each ends with a { NULL } row. */
extern const func_def funcs_builtin[];
extern const func_def funcs_strings[];
extern const func_def funcs_lists[];
extern const func_def funcs_dicts[];
extern const func_def funcs_math[];
extern const func_def funcs_conv[];
extern const func_def funcs_regex[];
extern const func_def funcs_encoding[];
extern const func_def funcs_crypto[];
extern const func_def funcs_date[];
extern const func_def funcs_semver[];
extern const func_def funcs_json[];
extern const func_def funcs_helm[];
extern const func_def funcs_yaml[];
extern const func_def funcs_url[];
const func_def *funcs_find(const char *name);

/* Services the executor offers functions. */
int exec_random(exec_state *st, unsigned char *buf, size_t n);
struct timespec exec_now(exec_state *st);
size_t exec_value_limit(exec_state *st);
int exec_include(exec_state *st, cf_helm_val **out, const char *name, cf_helm_val *data);
int exec_tpl(exec_state *st, cf_helm_val **out, const char *text, size_t len, cf_helm_val *data);
int exec_lookup(exec_state *st, cf_helm_val **out, const char *av, const char *kind,
                const char *ns, const char *name);
const char *exec_template_name(exec_state *st);
/*
 * Called after a container was stored into map: when that closes a reference cycle, the map is
 * remembered and emptied when the render ends, so reference counting can free the cycle.
 */
int exec_after_store(exec_state *st, cf_helm_val *map, const cf_helm_val *stored);

/* Shared conversions used by several function families (sprig's cast helpers). */
int64_t conv_to_int64(const cf_helm_val *v);
double conv_to_float64(const cf_helm_val *v);
/* Sprig's strslice: a list of strings from a list/value; NULL on OOM. */
cf_helm_val *conv_to_strlist(const cf_helm_val *v);
/* Items of any list-like value (list only here); returns false if v is no list. */
bool conv_list(const cf_helm_val *v, cf_helm_val *const **items, size_t *n);

/* Standard base64 (funcs_encoding.c); dec_b64 returns -1 on bad input. */
int enc_b64(hbuf *b, const unsigned char *s, size_t n);
int dec_b64(hbuf *out, const char *s, size_t n);

/* A document of v without the JSON step (floats stay floats), as yaml.v3 encodes Go values. */
int hv_to_doc_direct(cf_doc **out, const cf_helm_val *v);

/* JSON (encoding/json): emit and parse. */
int json_emit(hbuf *b, const cf_helm_val *v, int indent, int escape_html, int depth);
int json_parse(cf_helm_val **out, const char *s, size_t len, char **err);

#endif
