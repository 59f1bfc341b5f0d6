/*
 * `cflux template RELEASE CHART`: renders a chart directory or .tgz with the Helm engine
 * (cf/helm.h) and prints what `helm template` prints.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/error.h"
#include "cf/helm.h"
#include "cli.h"

typedef struct {
	cli_strv values;   /* -f/--values files, later ones win */
	cli_strv set;      /* --set k=v */
	cli_strv set_string; /* --set-string k=v */
	cli_strv api_versions; /* --api-versions, added to the default set */
	cli_strv show_only;    /* --show-only globs */
	const char *kube_version;
	int include_crds, skip_tests, is_upgrade, no_hooks, skip_schema;
} template_args;

/*
 * The global -n flag defaults to flux-system for the Flux commands; helm's default namespace is
 * "default", so that default is mapped back (an explicit `-n flux-system` is taken the same way).
 */
static const char *release_namespace(const cli_ctx *c)
{
	return !c->namespace_ || !strcmp(c->namespace_, "flux-system") ? "default" : c->namespace_;
}

/*
 * A CHART that is no local path would name a chart in a repository, which this command does
 * not fetch; the messages are helm's when it finds no such repository.
 */
static int locate(const char *path)
{
	struct stat st;
	const char *slash = strchr(path, '/');

	if (stat(path, &st) == 0 || path[0] == '/' || path[0] == '.')
		return 0;
	if (!slash)
		return cf_error_set(CF_ENOTFOUND, "non-absolute URLs should be in form of "
		                    "repo_name/path_to_chart, got: %s", path);
	return cf_error_set(CF_ENOTFOUND, "repo %.*s not found", (int)(slash - path), path);
}

static int render(cli_ctx *c, const template_args *a, const char *release, const char *path)
{
	cf_helm_template_opts o = {
		.release_name = release,
		.ns = release_namespace(c),
		.value_files = (const char *const *)a->values.v,
		.n_value_files = a->values.n,
		.set = (const char *const *)a->set.v,
		.n_set = a->set.n,
		.set_string = (const char *const *)a->set_string.v,
		.n_set_string = a->set_string.n,
		.include_crds = a->include_crds,
		.skip_schema_validation = a->skip_schema,
		.is_upgrade = a->is_upgrade,
		.no_hooks = a->no_hooks,
		.skip_tests = a->skip_tests,
		.kube_version = a->kube_version,
		.api_versions = (const char *const *)a->api_versions.v,
		.n_api_versions = a->api_versions.n,
		.show_only = (const char *const *)a->show_only.v,
		.n_show_only = a->show_only.n,
	};
	cf_helm_chart *chart = NULL;
	char *out = NULL, *full = NULL;
	size_t len = 0;
	int err, render_failed = 0;

	o.render_failed = &render_failed;
	o.error_out = &full;
	if ((err = locate(path)) == 0 && (err = cf_helm_chart_load(&chart, path)) == 0) {
		if (cf_helm_chart_deprecated(chart))
			fprintf(c->err, "WARNING: This chart is deprecated\n");
		err = cf_helm_chart_template(&out, &len, chart, &o);
	}
	if (err == 0) {
		fwrite(out, 1, len, c->out);
	} else {
		/* The whole message (cf_error_last() keeps 2 KiB); helm hints at --debug when the
		 * failure came from rendering. */
		cli_failure(c, "%s%s", full ? full : cf_error_last(),
		            render_failed ? "\n\nUse --debug flag to render out invalid YAML" : "");
	}
	free(full);
	free(out);
	cf_helm_chart_free(chart);
	return err;
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
		{ "set-string", 0, CLI_FLAG_ARRAY, &a.set_string,
		  "set STRING values on the command line (can specify multiple or separate values "
		  "with commas: key1=val1,key2=val2)" },
		{ "include-crds", 0, CLI_FLAG_BOOL, &a.include_crds,
		  "include CRDs in the templated output" },
		{ "kube-version", 0, CLI_FLAG_STR, &a.kube_version,
		  "Kubernetes version used for Capabilities.KubeVersion" },
		{ "api-versions", 'a', CLI_FLAG_SLICE, &a.api_versions,
		  "Kubernetes api versions used for Capabilities.APIVersions (can specify multiple)" },
		{ "show-only", 's', CLI_FLAG_ARRAY, &a.show_only,
		  "only show manifests rendered from the given templates (can specify multiple)" },
		{ "skip-tests", 0, CLI_FLAG_BOOL, &a.skip_tests,
		  "skip tests from templated output" },
		{ "is-upgrade", 0, CLI_FLAG_BOOL, &a.is_upgrade,
		  "set .Release.IsUpgrade instead of .Release.IsInstall" },
		{ "no-hooks", 0, CLI_FLAG_BOOL, &a.no_hooks,
		  "prevent hooks from running during install" },
		{ "skip-schema-validation", 0, CLI_FLAG_BOOL, &a.skip_schema,
		  "if set, disables JSON schema validation" },
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
	} else if (render(c, &a, args[0], args[1]) < 0) {
		rc = CLI_EXIT_FAIL;
	} else {
		rc = CLI_EXIT_OK;
	}
	cli_strv_free(&a.values);
	cli_strv_free(&a.set);
	cli_strv_free(&a.set_string);
	cli_strv_free(&a.api_versions);
	cli_strv_free(&a.show_only);
	free(args);
	return rc;
}
