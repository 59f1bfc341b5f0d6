/* `cflux version`: the version of this command line. */
#include <stdlib.h>

#include "cli.h"

#ifndef CFLUX_VERSION
#define CFLUX_VERSION "0.0.0"
#endif

int cli_version_run(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	int client = 0, nargs, rc;
	cli_flag flags[] = {
		{ "client", 0, CLI_FLAG_BOOL, &client, "print only the client version" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, 1, argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK)
		rc = cli_parse_exit(rc);
	else if (nargs > 0)
		rc = cli_usage(c, "cflux version", "unexpected argument '%s'", args[0]);
	else
		fprintf(c->out, "cflux: v%s\n", CFLUX_VERSION);
	free(args);
	return rc;
}
