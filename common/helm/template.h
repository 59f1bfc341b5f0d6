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

/*
 * One parse node. Each kind uses only its own fields, so kinds that never share a node overlay
 * each other (56 bytes a node instead of 160): code must read a field only on the kinds listed
 * beside it.
 */
struct node {
	uint8_t type;
	bool flag : 1;        /* BOOL: value; PIPE: is assignment */
	bool is_int : 1, is_uint : 1, is_float : 1; /* NUMBER */
	uint32_t pos;         /* byte offset in the source text */
	int line;             /* ACTION, IF, RANGE, WITH, TEMPLATE, PIPE */
	uint32_t text_len;    /* TEXT, STRING (texts are limited to 4 GiB) */
	union {
		struct {
			node **kids;  /* LIST items, PIPE commands, COMMAND args */
			node **decl;  /* PIPE declared variables */
			uint32_t nkids, ndecl; /* a text has at most 4,000,000 tokens */
		};
		struct {
			node *pipe, *list, *else_list; /* ACTION/IF/RANGE/WITH; TEMPLATE uses pipe */
		};
		struct {
			char **ident; /* FIELD/VARIABLE/CHAIN names (FIELD without the dots) */
			size_t nident;
			node *sub;    /* CHAIN: the term the fields apply to */
		};
		struct {
			int64_t i;    /* NUMBER */
			uint64_t u;
			double f;
		};
	};
	char *text;           /* TEXT bytes, STRING value, IDENT name, TEMPLATE name */
	union {
		char *orig;           /* STRING/NUMBER source text */
		const func_def *fn;   /* IDENT: the function, resolved at parse time */
	};
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
