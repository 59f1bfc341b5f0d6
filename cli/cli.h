/* Shared declarations of the cflux command line: the command table, flags, output helpers. */
#ifndef CFLUX_CLI_H
#define CFLUX_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cf/kube.h"

/* The exit codes of every command. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* What every command sees: the global flags and a lazily built API client. */
typedef struct {
	const char *kubeconfig;  /* --kubeconfig, or NULL for $KUBECONFIG then ~/.kube/config */
	const char *context;     /* --context, or NULL for current-context */
	const char *namespace_;  /* -n/--namespace [flux-system] */
	int64_t timeout_ns;      /* --timeout [5m] */
	int64_t poll_ns;         /* how often waits look at an object again */
	FILE *out;               /* results (tables, YAML) */
	FILE *err;               /* progress lines and errors */
	cf_kube *kube;           /* created by cli_kube() */
} cli_ctx;

typedef struct cli_command cli_command;

/*
 * A command: a row of a static table. A group has `sub` (a table ended by a zeroed row) and no
 * handler; a leaf has a handler that gets the arguments after its own name and returns an exit
 * code. `aliases` is a NULL-terminated list or NULL.
 */
struct cli_command {
	const char *name;
	const char *const *aliases;
	const char *summary;
	int (*run)(cli_ctx *c, const cli_command *self, int argc, char **argv);
	const cli_command *sub;
	const char *help;  /* usage line and longer text printed by --help */
};

/* Finds the row for word in table (name or alias), or NULL. */
const cli_command *cli_find(const cli_command *table, const char *word);

/*
 * Walks argv through nested tables starting at cmd and runs the leaf. path is the words so far
 * (for help and errors). Returns the exit code.
 */
int cli_dispatch(cli_ctx *c, const cli_command *cmd, const char *path, int argc, char **argv);

/* Prints a group's help (its subcommands) or the head of a leaf's help to f. */
void cli_print_help(FILE *f, const cli_command *cmd, const char *path);

/* ---- flags --------------------------------------------------------------------------------- */

typedef enum {
	CLI_FLAG_BOOL,     /* --x, --x=true, --x=false */
	CLI_FLAG_STR,      /* --x v, --x=v; the last one wins */
	CLI_FLAG_ARRAY,    /* repeatable, each value kept whole (cobra StringArray) */
	CLI_FLAG_SLICE,    /* repeatable, values split at commas (cobra StringSlice) */
	CLI_FLAG_DURATION, /* a Go duration into an int64_t of nanoseconds */
} cli_flag_type;

/* A string list filled by CLI_FLAG_ARRAY / CLI_FLAG_SLICE flags; free with cli_strv_free. */
typedef struct {
	char **v;
	size_t n;
} cli_strv;

void cli_strv_free(cli_strv *l);
int cli_strv_add(cli_strv *l, const char *s, size_t len);

/* One flag; `dest` points to an int, const char *, cli_strv or int64_t by type. */
typedef struct {
	const char *name;   /* long name without "--" */
	char shorthand;     /* 0 when none */
	cli_flag_type type;
	void *dest;
	const char *usage;
} cli_flag;

/* Result of cli_parse besides an exit code. */
enum { CLI_PARSE_OK = 0, CLI_PARSE_HELP = -1 };

/*
 * Parses a leaf's arguments: flags (anywhere, "--" ends them) into their dest, the rest into
 * args (borrowed pointers into argv; args must hold argc entries). Prints the help of self with
 * the flag list on --help/-h and returns CLI_PARSE_HELP; prints a usage error and returns
 * CLI_EXIT_USAGE on unknown flags or bad values; returns CLI_PARSE_OK otherwise.
 */
int cli_parse(cli_ctx *c, const cli_command *self, const cli_flag *flags, size_t nflags, int argc,
              char **argv, char **args, int *nargs);

/* Exit code for a cli_parse result that is not CLI_PARSE_OK. */
int cli_parse_exit(int rc);

/* ---- output -------------------------------------------------------------------------------- */

/* Flux's progress lines on c->err: "► ", "✚ ", "◎ ", "✔ ", "⚠️ ", "✗ " followed by the text. */
void cli_action(cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_generate(cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_waiting(cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_success(cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warning(cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_failure(cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "✗ <what>: <cf_error_last()>" (or without what) and returns CLI_EXIT_FAIL. */
int cli_fail_err(cli_ctx *c, const char *what);

/* A usage error: "✗ <message>" plus a pointer to --help; returns CLI_EXIT_USAGE. */
int cli_usage(cli_ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Flux's table layout (tablewriter without borders): every cell left-aligned and padded to its
 * column's width; header cells upper-cased and separated by tabs with one trailing space, data
 * cells each followed by a tab. header may be NULL (--no-header).
 */
typedef struct cli_table cli_table;
int cli_table_new(cli_table **out, const char *const *header, size_t ncols);
/* Adds a row of ncols cells (copied). */
int cli_table_add(cli_table *t, const char *const *cells);
size_t cli_table_rows(const cli_table *t);
void cli_table_print(const cli_table *t, FILE *f);
void cli_table_free(cli_table *t);

/* ---- the cluster --------------------------------------------------------------------------- */

/* The API client for the global flags, created on first use. Errors leave a message. */
int cli_kube(cli_ctx *c, cf_kube **out);

/* The current time as Go's time.RFC3339Nano prints it in UTC (trailing zeros dropped). */
void cli_now_rfc3339nano(char *buf, size_t size);

/* Monotonic milliseconds. */
int64_t cli_mono_ms(void);

/* Sleeps for ns nanoseconds. */
void cli_sleep_ns(int64_t ns);

/* A string at a path of object keys ended by NULL, or NULL (borrowed from obj). */
const char *cli_json_str(json_t *obj, ...);

/* The condition of type in obj's status.conditions, or NULL (borrowed). */
json_t *cli_condition(json_t *obj, const char *type);

/* 1 when that condition exists with status "True". */
int cli_condition_true(json_t *obj, const char *type);

/* "main@sha1:0123456789abcdef..." -> "main@sha1:01234567", as flux shortens revisions. */
void cli_truncate_hex(char *buf, size_t size, const char *revision);

/* Writes a JSON object as "---\n" + YAML (sorted keys, as sigs.k8s.io/yaml prints Go structs). */
int cli_print_export(cli_ctx *c, json_t *obj);

/* ---- Flux kinds ---------------------------------------------------------------------------- */

/* What the commands need to know about one Flux kind; a row of cli_kinds[]. */
typedef struct {
	const char *human;        /* the words in commands and messages: "source git", "kustomization" */
	const char *kind;         /* "GitRepository" */
	const char *api_version;  /* "source.toolkit.fluxcd.io/v1" */
	/* The revision `get` shows and reconcile reports (borrowed), or NULL. */
	const char *(*revision)(json_t *obj);
	/* Writes reconcile's success line for obj into buf, as flux words it per kind. */
	void (*success)(char *buf, size_t size, json_t *obj);
} cli_kind;

extern const cli_kind cli_kinds[];

/* The row for a Kind name ("GitRepository"), or NULL. */
const cli_kind *cli_kind_by_name(const char *kind);

/* ---- the command tables (one per file, gathered by main.c) ------------------------------ */

/* The root command ("cflux"), whose table lists the groups below. */
extern const cli_command cli_root;

extern const cli_command cli_build_table[];
extern const cli_command cli_get_table[];
extern const cli_command cli_reconcile_table[];
extern const cli_command cli_suspend_table[];
extern const cli_command cli_resume_table[];
extern const cli_command cli_create_table[];
extern const cli_command cli_tree_table[];
int cli_template_run(cli_ctx *c, const cli_command *self, int argc, char **argv);
int cli_install_run(cli_ctx *c, const cli_command *self, int argc, char **argv);
int cli_events_run(cli_ctx *c, const cli_command *self, int argc, char **argv);
int cli_version_run(cli_ctx *c, const cli_command *self, int argc, char **argv);

#endif
