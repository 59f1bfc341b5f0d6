/* What the command line prints: flux's progress symbols, errors, and its table layout. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cli.h"

static void vline(cli_ctx *c, const char *symbol, const char *fmt, va_list ap)
{
	fputs(symbol, c->err);
	vfprintf(c->err, fmt, ap);
	fputc('\n', c->err);
	fflush(c->err);
}

#define CLI_LOGGER(fn, symbol)                                                           \
	void fn(cli_ctx *c, const char *fmt, ...)                                        \
	{                                                                                \
		va_list ap;                                                              \
		va_start(ap, fmt);                                                       \
		vline(c, symbol, fmt, ap);                                               \
		va_end(ap);                                                              \
	}

CLI_LOGGER(cli_action, "► ")
CLI_LOGGER(cli_generate, "✚ ")
CLI_LOGGER(cli_waiting, "◎ ")
CLI_LOGGER(cli_success, "✔ ")
CLI_LOGGER(cli_warning, "⚠️ ")
CLI_LOGGER(cli_failure, "✗ ")

int cli_fail_err(cli_ctx *c, const char *what)
{
	const char *msg = cf_error_last();

	if (what && *msg)
		cli_failure(c, "%s: %s", what, msg);
	else if (what)
		cli_failure(c, "%s", what);
	else
		cli_failure(c, "%s", *msg ? msg : "failed");
	return CLI_EXIT_FAIL;
}

int cli_usage(cli_ctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(c, "✗ ", fmt, ap);
	va_end(ap);
	if (path)
		fprintf(c->err, "Run '%s --help' for usage.\n", path);
	return CLI_EXIT_USAGE;
}

/* ---- tables -------------------------------------------------------------------------------- */

struct cli_table {
	size_t ncols;
	char **header;   /* ncols upper-cased names, or NULL */
	char ***rows;
	size_t nrows;
};

int cli_table_new(cli_table **out, const char *const *header, size_t ncols)
{
	cli_table *t = calloc(1, sizeof(*t));

	if (!t)
		return CF_ENOMEM;
	t->ncols = ncols;
	if (header) {
		if (!(t->header = calloc(ncols, sizeof(char *))))
			goto oom;
		for (size_t i = 0; i < ncols; i++) {
			if (!(t->header[i] = strdup(header[i])))
				goto oom;
			/* tablewriter's Title(): upper case, '_' and '.' become spaces. */
			for (char *p = t->header[i]; *p; p++) {
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
				else if (*p == '_' || *p == '.')
					*p = ' ';
			}
		}
	}
	*out = t;
	return 0;
oom:
	cli_table_free(t);
	return CF_ENOMEM;
}

int cli_table_add(cli_table *t, const char *const *cells)
{
	char ***rows = realloc(t->rows, (t->nrows + 1) * sizeof(*rows));
	char **row;

	if (!rows)
		return CF_ENOMEM;
	t->rows = rows;
	if (!(row = calloc(t->ncols, sizeof(char *))))
		return CF_ENOMEM;
	for (size_t i = 0; i < t->ncols; i++) {
		if (!(row[i] = strdup(cells[i] ? cells[i] : ""))) {
			for (size_t j = 0; j < i; j++)
				free(row[j]);
			free(row);
			return CF_ENOMEM;
		}
	}
	t->rows[t->nrows++] = row;
	return 0;
}

size_t cli_table_rows(const cli_table *t)
{
	return t->nrows;
}

/* Display width of the first n bytes of s in terminal cells: continuation bytes do not count. */
static size_t width_n(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n && s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

/* The widest line of a cell (tablewriter splits cells at newlines). */
static size_t cell_width(const char *s)
{
	size_t w = 0;

	for (;;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s), lw = width_n(s, n);
		if (lw > w)
			w = lw;
		if (!nl)
			return w;
		s = nl + 1;
	}
}

static size_t cell_lines(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Writes line k of a cell (empty past its end), padded to w. */
static void pad_line(FILE *f, const char *s, size_t k, size_t w)
{
	const char *nl;
	size_t n;

	for (; k > 0 && s; k--)
		s = (nl = strchr(s, '\n')) ? nl + 1 : NULL;
	if (!s)
		s = "";
	n = (nl = strchr(s, '\n')) ? (size_t)(nl - s) : strlen(s);
	fwrite(s, 1, n, f);
	for (size_t i = width_n(s, n); i < w; i++)
		fputc(' ', f);
}

void cli_table_print(const cli_table *t, FILE *f)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(size_t));

	if (!w)
		return;
	for (size_t i = 0; i < t->ncols; i++) {
		if (t->header)
			w[i] = cell_width(t->header[i]);
		for (size_t r = 0; r < t->nrows; r++)
			if (cell_width(t->rows[r][i]) > w[i])
				w[i] = cell_width(t->rows[r][i]);
	}
	if (t->header) {
		for (size_t i = 0; i < t->ncols; i++) {
			pad_line(f, t->header[i], 0, w[i]);
			fputs(i + 1 == t->ncols ? " " : "\t", f);
		}
		fputc('\n', f);
	}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t lines = 1;
		for (size_t i = 0; i < t->ncols; i++)
			if (cell_lines(t->rows[r][i]) > lines)
				lines = cell_lines(t->rows[r][i]);
		for (size_t k = 0; k < lines; k++) {
			for (size_t i = 0; i < t->ncols; i++) {
				pad_line(f, t->rows[r][i], k, w[i]);
				fputc('\t', f);
			}
			fputc('\n', f);
		}
	}
	free(w);
}

void cli_table_free(cli_table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	free(t->rows);
	if (t->header)
		for (size_t i = 0; i < t->ncols; i++)
			free(t->header[i]);
	free(t->header);
	free(t);
}
