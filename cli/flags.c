/* Command flags in cobra's syntax: --name value, --name=value, -x value, booleans, lists. */
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cf/error.h"
#include "cli.h"

void cli_strv_free(cli_strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int cli_strv_add(cli_strv *l, const char *s, size_t len)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	char *copy;

	if (!v)
		return CF_ENOMEM;
	l->v = v;
	if (!(copy = strndup(s, len)))
		return CF_ENOMEM;
	l->v[l->n++] = copy;
	return 0;
}

static const cli_flag *find_long(const cli_flag *flags, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

static const cli_flag *find_short(const cli_flag *flags, size_t n, char s)
{
	for (size_t i = 0; i < n; i++)
		if (flags[i].shorthand && flags[i].shorthand == s)
			return &flags[i];
	return NULL;
}

static int parse_bool(const char *v, int *out)
{
	static const struct { const char *text; int value; } words[] = {
		{ "true", 1 }, { "1", 1 }, { "t", 1 }, { "T", 1 }, { "TRUE", 1 }, { "True", 1 },
		{ "false", 0 }, { "0", 0 }, { "f", 0 }, { "F", 0 }, { "FALSE", 0 }, { "False", 0 },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(words[i].text, v) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return CF_EINVALID;
}

/* Stores value into f's destination. */
static int set_value(cli_ctx *c, const cli_flag *f, const char *value)
{
	const char *p, *comma;
	int64_t ns;

	switch (f->type) {
	case CLI_FLAG_BOOL:
		if (parse_bool(value, (int *)f->dest) < 0)
			return cli_usage(c, NULL, "invalid argument \"%s\" for \"--%s\" flag: "
			                 "strconv.ParseBool: parsing \"%s\": invalid syntax",
			                 value, f->name, value);
		return 0;
	case CLI_FLAG_STR:
		*(const char **)f->dest = value;
		return 0;
	case CLI_FLAG_ARRAY:
		return cli_strv_add(f->dest, value, strlen(value)) < 0 ? CLI_EXIT_FAIL : 0;
	case CLI_FLAG_SLICE:
		for (p = value; ; p = comma + 1) {
			comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			if (len > 0 && cli_strv_add(f->dest, p, len) < 0)
				return CLI_EXIT_FAIL;
			if (!comma)
				break;
		}
		return 0;
	case CLI_FLAG_DURATION:
		if (cf_duration_parse(&ns, value) < 0)
			return cli_usage(c, NULL, "invalid argument \"%s\" for \"--%s\" flag: %s", value,
			                 f->name, cf_error_last());
		*(int64_t *)f->dest = ns;
		return 0;
	}
	return CLI_EXIT_FAIL;
}

static void print_flags(FILE *out, const cli_flag *flags, size_t n)
{
	static const char *const type_names[] = {
		[CLI_FLAG_BOOL] = "", [CLI_FLAG_STR] = " string", [CLI_FLAG_ARRAY] = " stringArray",
		[CLI_FLAG_SLICE] = " strings", [CLI_FLAG_DURATION] = " duration",
	};
	char left[96];

	fprintf(out, "Flags:\n");
	for (size_t i = 0; i < n; i++) {
		if (flags[i].shorthand)
			snprintf(left, sizeof(left), "  -%c, --%s%s", flags[i].shorthand, flags[i].name,
			         type_names[flags[i].type]);
		else
			snprintf(left, sizeof(left), "      --%s%s", flags[i].name,
			         type_names[flags[i].type]);
		fprintf(out, "%-34s %s\n", left, flags[i].usage);
	}
	fprintf(out, "%-34s %s\n", "  -h, --help", "help for this command");
	fprintf(out, "\nGlobal Flags:\n"
	             "      --context string              kubernetes context to use\n"
	             "      --kubeconfig string           path to the kubeconfig file\n"
	             "  -n, --namespace string            the namespace scope for this operation "
	             "(default \"flux-system\")\n"
	             "      --timeout duration            timeout for this operation "
	             "(default 5m0s)\n");
}

/* Handles "--name[=value]" at argv[*i]; advances *i past a separate value. */
static int parse_long(cli_ctx *c, const cli_flag *flags, size_t n, int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const cli_flag *f = find_long(flags, n, name, len);

	if (!f)
		return cli_usage(c, NULL, "unknown flag: --%.*s", (int)len, name);
	if (eq)
		return set_value(c, f, eq + 1);
	if (f->type == CLI_FLAG_BOOL)
		return set_value(c, f, "true");
	if (*i + 1 >= argc)
		return cli_usage(c, NULL, "flag needs an argument: --%s", f->name);
	return set_value(c, f, argv[++*i]);
}

/* Handles "-x", "-xvalue", "-x=value" and "-x value". */
static int parse_short(cli_ctx *c, const cli_flag *flags, size_t n, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const cli_flag *f = find_short(flags, n, a[1]);

	if (!f)
		return cli_usage(c, NULL, "unknown shorthand flag: '%c' in %s", a[1], a);
	if (a[2] != '\0')
		return set_value(c, f, a[2] == '=' ? a + 3 : a + 2);
	if (f->type == CLI_FLAG_BOOL)
		return set_value(c, f, "true");
	if (*i + 1 >= argc)
		return cli_usage(c, NULL, "flag needs an argument: '%c' in -%c", a[1], a[1]);
	return set_value(c, f, argv[++*i]);
}

int cli_parse(cli_ctx *c, const cli_command *self, const cli_flag *flags, size_t nflags, int argc,
              char **argv, char **args, int *nargs)
{
	int rc, only_args = 0;

	*nargs = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (only_args || a[0] != '-' || a[1] == '\0') {
			args[(*nargs)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fprintf(c->out, "%s\n\n", self->summary);
			if (self->help)
				fprintf(c->out, "%s\n", self->help);
			print_flags(c->out, flags, nflags);
			return CLI_PARSE_HELP;
		}
		rc = a[1] == '-' ? parse_long(c, flags, nflags, argc, argv, &i)
		                 : parse_short(c, flags, nflags, argc, argv, &i);
		if (rc != 0)
			return rc;
	}
	return CLI_PARSE_OK;
}

int cli_parse_exit(int rc)
{
	return rc == CLI_PARSE_HELP ? CLI_EXIT_OK : rc;
}
