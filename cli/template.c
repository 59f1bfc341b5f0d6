/*
 * `cflux template RELEASE CHART`: what `helm template` prints. The flags and inputs are checked
 * here; rendering needs the chart loader of the Helm engine (cf/helm.h), which has none yet.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cli.h"

typedef struct {
	cli_strv values;   /* -f/--values files, later ones win */
	cli_strv set;      /* --set k=v */
	int include_crds;
} template_args;

/* Every -f file must exist and hold YAML, as helm checks before rendering. */
static int check_values(const cli_strv *files)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_YAML11 };
	cf_doc *doc = NULL;
	int err;

	for (size_t i = 0; i < files->n; i++) {
		lo.filename = files->v[i];
		if ((err = cf_doc_load_yaml_file(&doc, files->v[i], &lo)) < 0)
			return cf_error_wrap(err, "failed to parse %s: ", files->v[i]);
		cf_doc_free(doc);
		doc = NULL;
	}
	return 0;
}

static int check_chart(const char *chart)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/Chart.yaml", chart);
	if (stat(chart, &st) != 0)
		return cf_error_set(CF_ENOTFOUND, "path \"%s\" not found", chart);
	if (!S_ISDIR(st.st_mode) || stat(path, &st) != 0)
		return cf_error_set(CF_EUNSUPPORTED, "%s: only chart directories are supported "
		                    "(Chart.yaml missing)", chart);
	return 0;
}

int cli_template_run(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	template_args a = { 0 };
	cli_flag flags[] = {
		{ "values", 'f', CLI_FLAG_ARRAY, &a.values,
		  "specify values in a YAML file (can specify multiple)" },
		{ "set", 0, CLI_FLAG_ARRAY, &a.set,
		  "set values on the command line (can specify multiple or separate values with "
		  "commas: key1=val1,key2=val2)" },
		{ "include-crds", 0, CLI_FLAG_BOOL, &a.include_crds,
		  "include CRDs in the templated output" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int nargs, rc;

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
	} else if (nargs != 2) {
		rc = cli_usage(c, "cflux template", "expected 2 arguments (RELEASE CHART), got %d",
		               nargs);
	} else if (check_chart(args[1]) < 0 || check_values(&a.values) < 0) {
		rc = cli_fail_err(c, NULL);
	} else {
		cf_error_set(CF_EUNSUPPORTED, "rendering charts needs a chart loader and values "
		             "coalescing in the Helm engine (cf/helm.h), which it does not have yet");
		rc = cli_fail_err(c, NULL);
	}
	cli_strv_free(&a.values);
	cli_strv_free(&a.set);
	free(args);
	return rc;
}
