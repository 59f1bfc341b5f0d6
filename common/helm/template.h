/* The parsed form of templates (Go's text/template/parse trees) and the template set. */
#ifndef CF_HELM_TEMPLATE_H
#define CF_HELM_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

typedef enum {
	N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_LIST, N_BREAK, N_CONTINUE,
	N_COMMENT, N_END, N_ELSE,
	N_PIPE, N_COMMAND, N_FIELD, N_VARIABLE, N_CHAIN, N_IDENT, N_DOT, N_NIL, N_BOOL,
	N_NUMBER, N_STRING,
} node_type;

typedef struct node node;
typedef struct tree tree;

struct node {
	uint8_t type;
	bool flag;            /* BOOL: value; PIPE: is assignment */
	uint32_t pos;         /* byte offset in the source text */
	int line;
	node **kids;          /* LIST items, PIPE commands, COMMAND args */
	size_t nkids;
	node **decl;          /* PIPE declared variables */
	size_t ndecl;
	char **ident;         /* FIELD/VARIABLE/CHAIN names (FIELD without the dots) */
	size_t nident;
	node *pipe, *list, *else_list; /* control nodes; TEMPLATE uses pipe */
	node *sub;            /* CHAIN: the term the fields apply to */
	char *text;           /* TEXT bytes, STRING value, IDENT name, TEMPLATE name */
	size_t text_len;
	char *orig;           /* STRING/NUMBER source text */
	const func_def *fn;   /* IDENT: the function, resolved at parse time */
	/* NUMBER */
	bool is_int, is_uint, is_float;
	int64_t i;
	uint64_t u;
	double f;
};

/* One arena per parsed text; trees and nodes live in it until the set is freed. */
typedef struct arena arena;
void *arena_alloc(arena *a, size_t n);
char *arena_strndup(arena *a, const char *s, size_t n);

struct tree {
	char *name;          /* template name (define name or file name) */
	char *parse_name;    /* file the text came from, for error positions */
	const char *text;    /* whole source text (owned by the arena) */
	size_t text_len;
	node *root;
};

typedef struct {
	char *name;
	tree *t;
} tmpl_entry;

struct cf_helm_tmpl {
	tmpl_entry *entries; /* sorted by name */
	size_t n, cap;
	arena **arenas;
	size_t narenas;
	cf_helm_tmpl *parent; /* tpl's overlay falls back to the set it was cloned from */
};

tree *tmpl_lookup(const cf_helm_tmpl *set, const char *name);
/*
 * Parses into set; on error returns a code with the message in *err (malloc'ed). *main_out (may be
 * NULL) gets the tree of the text itself, even when an empty body did not replace a definition.
 */
int tmpl_parse(cf_helm_tmpl *set, const char *name, const char *text, size_t len, char **err,
               tree **main_out);
bool tree_is_empty(const node *list);
/* Frees what a set holds (not the struct itself). */
void tmpl_clear(cf_helm_tmpl *set);

/* Node.String() as Go prints nodes in error messages. */
int node_string(hbuf *b, const node *n);
/* "name:line:col" of a node (col 0-based bytes, as Go's ErrorContext). */
void node_location(const tree *t, const node *n, int *line, int *col);

#endif
