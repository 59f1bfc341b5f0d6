/* Dispatch through nested command tables, and the help text of groups. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const cli_command *cli_find(const cli_command *table, const char *word)
{
	for (const cli_command *c = table; c && c->name; c++) {
		if (strcmp(c->name, word) == 0)
			return c;
		for (const char *const *a = c->aliases; a && *a; a++)
			if (strcmp(*a, word) == 0)
				return c;
	}
	return NULL;
}

static void print_globals(FILE *f)
{
	fprintf(f, "\nGlobal Flags:\n"
	           "      --context string      kubernetes context to use\n"
	           "      --kubeconfig string   path to the kubeconfig file "
	           "(default $KUBECONFIG, then ~/.kube/config)\n"
	           "  -n, --namespace string    the namespace scope for this operation "
	           "(default \"flux-system\")\n"
	           "      --timeout duration    timeout for this operation (default 5m0s)\n");
}

void cli_print_help(FILE *f, const cli_command *cmd, const char *path)
{
	fprintf(f, "%s\n\n", cmd->summary);
	if (cmd->help)
		fprintf(f, "%s\n", cmd->help);
	if (!cmd->sub)
		return;
	fprintf(f, "Usage:\n  %s [command]\n\nAvailable Commands:\n", path);
	for (const cli_command *s = cmd->sub; s->name; s++) {
		fprintf(f, "  %-16s %s", s->name, s->summary);
		if (s->aliases) {
			fprintf(f, " (alias:");
			for (const char *const *a = s->aliases; *a; a++)
				fprintf(f, " %s", *a);
			fprintf(f, ")");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\nFlags:\n  -h, --help   help for %s\n", cmd->name);
	print_globals(f);
	fprintf(f, "\nUse \"%s [command] --help\" for more information about a command.\n", path);
}

static int is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* Moves the n leading flags argv[0..n) behind the rest, keeping both orders. */
static void move_flags_back(char **argv, int n, int argc)
{
	for (int r = 0; r < n; r++) {
		char *first = argv[0];
		for (int i = 1; i < argc; i++)
			argv[i - 1] = argv[i];
		argv[argc - 1] = first;
	}
}

int cli_dispatch(cli_ctx *c, const cli_command *cmd, const char *path, int argc, char **argv)
{
	char sub_path[512];
	const cli_command *next;
	int i;

	if (cmd->run)
		return cmd->run(c, cmd, argc, argv);
	/* A group: the first word names the subcommand; a help flag before it asks for our help. */
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (is_help(argv[i])) {
			cli_print_help(c->out, cmd, path);
			return CLI_EXIT_OK;
		}
	}
	if (i == argc) {
		if (argc > 0)
			return cli_usage(c, path, "unknown flag: %s", argv[0]);
		cli_print_help(c->err, cmd, path);
		return CLI_EXIT_USAGE;
	}
	if (!(next = cli_find(cmd->sub, argv[i])))
		return cli_usage(c, path, "unknown command \"%s\" for \"%s\"", argv[i], path);
	snprintf(sub_path, sizeof(sub_path), "%s %s", path, next->name);
	/*
	 * Flags given before the word belong to the command below, as cobra's persistent flags
	 * do (`cflux get -A sources git`): they travel behind the remaining arguments.
	 */
	move_flags_back(argv, i, argc);
	return cli_dispatch(c, next, sub_path, argc - 1, argv + 1);
}
