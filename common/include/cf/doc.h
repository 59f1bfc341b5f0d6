/*
 * The document model: one tree for YAML and JSON, with loaders and emitters that reproduce what
 * the Go libraries behind kubectl/kustomize (yaml.v3), Helm (go-yaml v2 via sigs.k8s.io/yaml) and
 * Go's encoding/json read and print.
 */
#ifndef CF_DOC_H
#define CF_DOC_H

#include <stddef.h>
#include <stdint.h>

typedef struct cf_doc cf_doc;

/* The resolved type of a node. Scalars keep their source text too (cf_doc_text). */
typedef enum {
	CF_DOC_NULL,
	CF_DOC_BOOL,
	CF_DOC_INT,   /* fits int64 */
	CF_DOC_FLOAT, /* double; also integers that do not fit int64 */
	CF_DOC_STR,
	CF_DOC_SEQ,
	CF_DOC_MAP,
} cf_doc_type;

/* How a scalar was written in the source (or should be written, for constructed nodes). */
typedef enum {
	CF_DOC_STYLE_ANY = 0, /* constructed: the emitter picks, quoting only when needed */
	CF_DOC_STYLE_PLAIN,
	CF_DOC_STYLE_SINGLE,
	CF_DOC_STYLE_DOUBLE,
	CF_DOC_STYLE_LITERAL,
	CF_DOC_STYLE_FOLDED,
	CF_DOC_STYLE_FLOW,    /* collections written as [..] or {..} */
} cf_doc_style;

/*
 * Which rules turn a plain scalar into a type.
 *  YAML12: yaml.v3, as kustomize/kyaml and kubectl read manifests: true/false (any case form of
 *          those words only), null/~/empty, ints in decimal, 0x, 0o, 0b and legacy 0-octal
 *          (Go's ParseInt base 0, underscores allowed), floats, .inf/.nan; timestamps are
 *          recognised (cf_doc_is_timestamp) but stay CF_DOC_STR.
 *  YAML11: go-yaml v2, as Helm reads values.yaml and chart files: also y/yes/on/n/no/off bools.
 *          As sigs.k8s.io/yaml does, non-string map keys become strings ("on:" is key "true",
 *          "1:" is "1"; a null key is CF_EPARSE), integers beyond int64 become plain floats,
 *          timestamps stay strings and duplicate keys keep the last value (YAML12: CF_EPARSE
 *          "mapping key "a" already defined at line N", as kubectl reports it).
 *  JSON:   only JSON literals; used by the JSON loader.
 * Integers between INT64_MAX and UINT64_MAX are CF_DOC_FLOAT (cf_doc_float gives the value)
 * but keep their exact digits in JSON and YAMLV2 output under YAML12, as yaml.v3's uint64 does.
 */
typedef enum { CF_DOC_YAML12, CF_DOC_YAML11, CF_DOC_JSON } cf_doc_schema;

/* Limits for loaders; zero fields take the defaults in brackets. */
typedef struct {
	cf_doc_schema schema;  /* [CF_DOC_YAML12] */
	size_t max_depth;      /* nesting depth [200] */
	size_t max_nodes;      /* total nodes after alias expansion [4,000,000] */
	size_t max_bytes;      /* input size [64 MiB] */
	size_t max_alias_expansion; /* nodes created by aliases [100,000] (alias bombs) */
	const char *filename;  /* used in error messages, may be NULL */
} cf_doc_load_opts;

/* ---- loading ----------------------------------------------------------------------------- */

/*
 * Parses a YAML stream into a sequence-like list of documents: *out is a CF_DOC_SEQ whose items are
 * the documents (an empty document is a CF_DOC_NULL item; a stream of only comments yields zero
 * items). Aliases are expanded (copies), merge keys (<<) are applied. Errors: CF_EPARSE with
 * "<file>:<line>:<col>: <problem>" (1-based), CF_ELIMIT when a limit is hit. Caller frees *out.
 */
int cf_doc_load_yaml_stream(cf_doc **out, const char *buf, size_t len, const cf_doc_load_opts *opts);

/* Parses exactly one YAML document (an empty input gives CF_DOC_NULL). More than one: CF_EPARSE. */
int cf_doc_load_yaml(cf_doc **out, const char *buf, size_t len, const cf_doc_load_opts *opts);

/*
 * Parses one JSON value (jansson). Numbers without '.', 'e' or 'E' that fit int64 are CF_DOC_INT.
 * Key order is kept; a repeated key keeps its first place and its last value (encoding/json).
 * Integers beyond int64 but within uint64 are CF_DOC_FLOAT that keep their exact digits (as the
 * YAML12 loader keeps yaml.v3's uint64); larger ones are doubles. (If such an input also repeats
 * a key, every number is read as a double first: integral ones within int64 still come back as
 * CF_DOC_INT, the rest lose digits beyond double precision.)
 */
int cf_doc_load_json(cf_doc **out, const char *buf, size_t len, const cf_doc_load_opts *opts);

/* Reads a whole file (up to opts->max_bytes) and parses it as a YAML stream. */
int cf_doc_load_yaml_file(cf_doc **out, const char *path, const cf_doc_load_opts *opts);

/* ---- emitting ---------------------------------------------------------------------------- */

/* Emitter dialects; each reproduces its Go library byte for byte. */
typedef enum {
	CF_DOC_EMIT_YAMLV3,  /* gopkg.in/yaml.v3 as kyaml/kustomize configure it: indent 2, sequences
	                        not indented under their key ("- " at the key's column), no line folding */
	CF_DOC_EMIT_YAMLV2,  /* gopkg.in/yaml.v2 via sigs.k8s.io/yaml, as Helm's toYaml: keys sorted,
	                        sequences not indented, long strings folded at 80 columns */
} cf_doc_emit_dialect;

typedef struct {
	cf_doc_emit_dialect dialect;
	int sort_keys;       /* sort map keys (always on for YAMLV2, as Go maps are sorted) */
} cf_doc_yaml_opts;

/*
 * Appends the YAML of one document to a new NUL-terminated string *out (caller frees).
 * YAMLV2 models what kubectl kustomize and Helm print: the value goes through encoding/json
 * first, so floats print as JSON then go-yaml see them (1e6 -> 1000000, 0.000001 -> 1e-06),
 * yaml.v3 timestamps (cf_doc_is_timestamp) print as RFC 3339 strings, non-string keys become
 * strings, keys sort in go-yaml's order (digit runs compare as numbers), and NaN/Inf or
 * characters go-yaml refuses (DEL, C1 controls) are CF_EINVALID as they are there.
 * YAMLV3 models kyaml's yaml.v3 Node encoding: loaded scalars keep their text, style and
 * explicit tag; nodes built in code print like Go values (strings that YAML 1.1 would read
 * as bools are quoted). Comments and aliases are not kept by the tree, so they do not print.
 */
int cf_doc_emit_yaml(char **out, size_t *out_len, const cf_doc *doc, const cf_doc_yaml_opts *opts);

typedef struct {
	int indent;          /* 0: compact (Go's json.Marshal); >0: json.MarshalIndent with n spaces */
	int sort_keys;       /* Go maps marshal sorted; objects from structs keep order */
	int escape_html;     /* Go escapes <, >, & as \u003c... by default */
} cf_doc_json_opts;

/*
 * Serialises as Go's encoding/json would (float formatting included). Caller frees *out.
 * opts NULL means compact, unsorted, HTML-escaped. NaN/Inf are CF_EINVALID ("json: unsupported
 * value: +Inf"); yaml.v3 timestamps print as RFC 3339 strings, as a time.Time does.
 */
int cf_doc_emit_json(char **out, size_t *out_len, const cf_doc *doc, const cf_doc_json_opts *opts);

/* ---- construction and ownership ---------------------------------------------------------- */

/* Each returns 0 or CF_ENOMEM; the new node is owned by the caller until put into a parent. */
int cf_doc_new_map(cf_doc **out);
int cf_doc_new_seq(cf_doc **out);
int cf_doc_new_null(cf_doc **out);
int cf_doc_new_bool(cf_doc **out, int value);
int cf_doc_new_int(cf_doc **out, int64_t value);
int cf_doc_new_float(cf_doc **out, double value);
int cf_doc_new_str(cf_doc **out, const char *s);               /* NUL-terminated */
int cf_doc_new_strn(cf_doc **out, const char *s, size_t len);  /* may contain NUL bytes */

/* Deep copy (positions, styles and tags included). */
int cf_doc_clone(cf_doc **out, const cf_doc *node);

/* Frees a node and everything below it. NULL is a no-op. Never free a node that has a parent. */
void cf_doc_free(cf_doc *node);

/* ---- reading ----------------------------------------------------------------------------- */

cf_doc_type cf_doc_type_of(const cf_doc *node);
const char *cf_doc_type_name(cf_doc_type type);  /* "map", "string", ... for messages */
cf_doc_style cf_doc_style_of(const cf_doc *node);
void cf_doc_set_style(cf_doc *node, cf_doc_style style);

/* Explicit tag from the source ("!!str", "!custom", ...), or NULL when none was written. */
const char *cf_doc_tag(const cf_doc *node);

/* 1-based source position, 0 for constructed nodes. */
int cf_doc_line(const cf_doc *node);
int cf_doc_col(const cf_doc *node);

/*
 * Scalar text: for strings the value (NUL-terminated; see cf_doc_len for embedded NULs), for other
 * scalars the text as written in the source, or a canonical form for constructed ones. NULL for
 * collections.
 */
const char *cf_doc_text(const cf_doc *node);

int cf_doc_bool(const cf_doc *node);       /* 0 unless CF_DOC_BOOL true */
int64_t cf_doc_int(const cf_doc *node);    /* CF_DOC_INT value (0 otherwise) */
double cf_doc_float(const cf_doc *node);   /* CF_DOC_FLOAT, or an INT converted */
int cf_doc_is_timestamp(const cf_doc *node); /* plain scalar that yaml.v3 resolves to !!timestamp */

/* Items in a sequence, pairs in a map, bytes in a string; 0 otherwise. */
size_t cf_doc_len(const cf_doc *node);

/* i-th item of a sequence (borrowed) or NULL. */
cf_doc *cf_doc_item(const cf_doc *seq, size_t i);

/* i-th pair of a map in insertion order (borrowed), or NULL. Keys are scalar nodes. */
cf_doc *cf_doc_key(const cf_doc *map, size_t i);
cf_doc *cf_doc_value(const cf_doc *map, size_t i);

/* Value under a string key (compared with the key's text), or NULL; borrowed. */
cf_doc *cf_doc_get(const cf_doc *map, const char *key);

/* Follows a path of keys, ended by NULL: cf_doc_get_path(obj, "metadata", "name", NULL). */
cf_doc *cf_doc_get_path(const cf_doc *node, ...);

/* String value under key when it is a CF_DOC_STR, else NULL; borrowed. */
const char *cf_doc_get_str(const cf_doc *map, const char *key);

/* Structural equality (types, values, map pairs compared regardless of order). */
int cf_doc_equal(const cf_doc *a, const cf_doc *b);

/* ---- changing ---------------------------------------------------------------------------- */

/*
 * Sets key to value, taking ownership of value (also on error). An existing key keeps its
 * position and its old value is freed; a new key is appended.
 */
int cf_doc_map_set(cf_doc *map, const char *key, cf_doc *value);
int cf_doc_map_set_str(cf_doc *map, const char *key, const char *value);

/* Child map under key, created (appended) when missing; CF_EINVALID if it exists and is no map. */
int cf_doc_map_ensure(cf_doc **out, cf_doc *map, const char *key);

/* Removes key (freeing its value). Returns CF_ENOTFOUND when absent. */
int cf_doc_map_remove(cf_doc *map, const char *key);

/* Detaches and returns the value under key (caller owns it), or NULL. */
cf_doc *cf_doc_map_take(cf_doc *map, const char *key);

/* Appends item (ownership taken, also on error). */
int cf_doc_seq_append(cf_doc *seq, cf_doc *item);
/* Inserts item before index i (i == len appends). */
int cf_doc_seq_insert(cf_doc *seq, size_t i, cf_doc *item);
/* Detaches item i (caller owns it), or NULL. */
cf_doc *cf_doc_seq_take(cf_doc *seq, size_t i);
/* Replaces item i, freeing the old one; ownership of item taken. */
int cf_doc_seq_replace(cf_doc *seq, size_t i, cf_doc *item);

/* Replaces a node's content in place with a deep copy of src's (keeps the node's identity and
 * position; src may lie below dst). A map key only accepts a scalar with the same text. */
int cf_doc_assign(cf_doc *dst, const cf_doc *src);

/* Turns any scalar node into a string node with text s (explicit tag dropped). Map keys cannot
 * change this way (CF_EINVALID): remove and set the pair instead. */
int cf_doc_set_str(cf_doc *node, const char *s);

#endif
