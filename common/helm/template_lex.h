/* Tokens of Go text/template source. */
#ifndef CF_HELM_TEMPLATE_LEX_H
#define CF_HELM_TEMPLATE_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

typedef enum {
	T_ERROR, T_BOOL, T_CHAR, T_CHARCONST, T_COMPLEX, T_ASSIGN, T_DECLARE, T_EOF, T_FIELD,
	T_IDENT, T_LEFTDELIM, T_LEFTPAREN, T_NUMBER, T_PIPE, T_RAWSTRING, T_RIGHTDELIM,
	T_RIGHTPAREN, T_SPACE, T_STRING, T_TEXT, T_VARIABLE,
	T_KEYWORD, /* keywords follow */
	T_BLOCK, T_BREAK, T_CONTINUE, T_DOT, T_DEFINE, T_ELSE, T_END, T_IF, T_NIL, T_RANGE,
	T_TEMPLATE, T_WITH,
} tok_type;

typedef struct {
	tok_type type;
	size_t pos;
	const char *val; /* points into the source */
	size_t len;
	int line;
	char *msg;       /* T_ERROR message (owned) */
} token;

/*
 * Tokenizes the whole text. A lexical error becomes a T_ERROR token followed by T_EOF, as Go's
 * lexer reports it when the parser reaches it. Returns CF_ENOMEM or CF_ELIMIT (more than
 * max_tokens tokens).
 */
int lex_all(token **out, size_t *n, const char *text, size_t len, size_t max_tokens);
void lex_free(token *toks, size_t n);

#endif
