/* `cflux build kustomize DIR`: what `kubectl kustomize DIR` prints, offline. */
#include <stdlib.h>
#include <string.h>

#include "cf/kustomize.h"
#include "cli.h"

static int build_kustomize(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	char *yaml = NULL;
	int nargs, rc;

	if (!args)
		return CLI_EXIT_FAIL;
	if ((rc = cli_parse(c, self, NULL, 0, argc, argv, args, &nargs)) != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
		goto done;
	}
	if (nargs != 1) {
		rc = cli_usage(c, "cflux build kustomize", "accepts 1 arg (the directory), received %d",
		               nargs);
		goto done;
	}
	if (cf_kustomize_build_dir(&yaml, args[0], NULL) < 0) {
		rc = cli_fail_err(c, NULL);
		goto done;
	}
	fputs(yaml, c->out);
	rc = fflush(c->out) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
done:
	free(yaml);
	free(args);
	return rc;
}

static const char *const kustomize_aliases[] = { "kustomization", "ks", NULL };

const cli_command cli_build_table[] = {
	{ "kustomize", kustomize_aliases, "Build a kustomization directory as kubectl kustomize does",
	  build_kustomize, NULL,
	  "Prints the objects the kustomization in DIR produces, byte for byte as\n"
	  "`kubectl kustomize DIR` prints them. Remote bases and plugins are refused.\n\n"
	  "Usage:\n  cflux build kustomize DIR [flags]\n" },
	{ 0 },
};
