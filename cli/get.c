/* `cflux get ...`: Flux objects and their Ready condition as flux's tables. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cf/error.h"
#include "cli.h"
#include "configs.h"

typedef struct {
	int all_namespaces;
	int no_header;
	const char *status_selector;
} get_opts;

/* One listing: the table being filled and how rows are written. */
typedef struct {
	cli_table *table;
	const get_opts *opts;
	const char *kind_prefix; /* "gitrepository/" for `get all`, else "" */
	const char *sel_type;    /* --status-selector split at '=' */
	const char *sel_status;
	int err;
} listing;

static int matches_selector(const listing *l, json_t *obj)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions"), *cond;
	json_t *found = NULL;
	size_t i;

	if (!l->sel_type)
		return 1;
	json_array_foreach(conds, i, cond) {
		const char *t = cli_json_str(cond, "type", NULL);
		if (t && strcasecmp(t, l->sel_type) == 0)
			found = cond;
	}
	const char *st = cli_json_str(found, "status", NULL);
	return st && strcasecmp(st, l->sel_status) == 0;
}

static int add_row(void *ctx, const char *item, size_t len)
{
	listing *l = ctx;
	json_t *obj = json_loadb(item, len, 0, NULL), *ready;
	const char *kind = cli_json_str(obj, "kind", NULL);
	const cli_kind *k = kind ? cli_kind_by_name(kind) : NULL;
	const char *rev, *cells[6], **p = cells;
	char name[512], revision[512];

	if (!obj || !k) {
		json_decref(obj);
		return 0;
	}
	if (!matches_selector(l, obj))
		goto done;
	rev = k->revision(obj);
	cli_truncate_hex(revision, sizeof(revision), rev ? rev : "");
	const char *n = cli_json_str(obj, "metadata", "name", NULL);
	snprintf(name, sizeof(name), "%s%s", l->kind_prefix, n ? n : "");
	ready = cli_condition(obj, "Ready");
	if (l->opts->all_namespaces)
		*p++ = cli_json_str(obj, "metadata", "namespace", NULL);
	*p++ = name;
	*p++ = revision;
	*p++ = json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend")) ? "True"
	                                                                                : "False";
	*p++ = ready ? cli_json_str(ready, "status", NULL) : "False";
	*p++ = ready ? cli_json_str(ready, "message", NULL) : "waiting to be reconciled";
	if (cli_table_add(l->table, cells) < 0)
		l->err = CF_ENOMEM;
done:
	json_decref(obj);
	return l->err;
}

/* Lists one kind and prints its table. all: part of `get all` (kind-prefixed names, quiet). */
static int get_kind(cli_ctx *c, const cli_kind *k, const get_opts *o, const char *name, int all)
{
	static const char *const header[] = { "Namespace", "Name", "Revision", "Suspended", "Ready",
		                              "Message" };
	cf_kube_ref ref = { k->api_version, k->kind, o->all_namespaces ? NULL : c->namespace_, NULL };
	cf_kube_list_opts lo = { 0 };
	listing l = { NULL, o, "", NULL, NULL, 0 };
	char field[512], prefix[64], sel[128];
	cf_kube *kube;
	size_t ncols = o->all_namespaces ? 6 : 5;
	int err;

	if (cli_kube(c, &kube) < 0)
		return cli_fail_err(c, NULL);
	if (name) {
		snprintf(field, sizeof(field), "metadata.name=%s", name);
		lo.field_selector = field;
	}
	if (all) {
		snprintf(prefix, sizeof(prefix), "%s/", k->kind);
		for (char *p = prefix; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		l.kind_prefix = prefix;
	}
	if (o->status_selector) {
		char *eq;
		snprintf(sel, sizeof(sel), "%s", o->status_selector);
		if (!(eq = strchr(sel, '=')))
			return cli_usage(c, NULL, "expected status selector in type=status format, "
			                 "but found: %s", o->status_selector);
		*eq = '\0';
		l.sel_type = sel;
		l.sel_status = eq + 1;
	}
	if (cli_table_new(&l.table, o->no_header ? NULL : header + (o->all_namespaces ? 0 : 1),
	                  ncols) < 0)
		return CLI_EXIT_FAIL;
	err = cf_kube_list(kube, NULL, &ref, &lo, add_row, &l);
	if (err < 0) {
		/* `get all` leaves out kinds whose CRD is missing and reports other errors. */
		cli_table_free(l.table);
		if (all && err == CF_ENOTFOUND)
			return CLI_EXIT_OK;
		cli_fail_err(c, NULL);
		return all ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	if (cli_table_rows(l.table) == 0) {
		char where[300];
		if (o->all_namespaces)
			snprintf(where, sizeof(where), "any");
		else
			snprintf(where, sizeof(where), "\"%s\"", c->namespace_);
		if (name)
			cli_failure(c, "%s object '%s' not found in %s namespace", k->kind, name, where);
		else if (!all)
			cli_failure(c, "no %s objects found in %s namespace", k->kind, where);
	} else {
		cli_table_print(l.table, c->out);
		if (all)
			fputc('\n', c->out);
	}
	cli_table_free(l.table);
	return CLI_EXIT_OK;
}

/* Parses the flags every `get` command takes, then lists kinds (NULL-ended). */
static int get_run(cli_ctx *c, const cli_command *self, int argc, char **argv,
                   const char *const *kinds, int all)
{
	get_opts o = { 0 };
	cli_flag flags[] = {
		{ "all-namespaces", 'A', CLI_FLAG_BOOL, &o.all_namespaces,
		  "list the requested object(s) across all namespaces" },
		{ "no-header", 0, CLI_FLAG_BOOL, &o.no_header, "skip the header when printing the results" },
		{ "status-selector", 0, CLI_FLAG_STR, &o.status_selector,
		  "specify the status condition name and the desired state to filter the get result, "
		  "e.g. ready=false" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int nargs, rc;

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
	} else if (nargs > (all ? 0 : 1)) {
		rc = cli_usage(c, NULL, "accepts at most %d arg(s), received %d", all ? 0 : 1, nargs);
	} else {
		for (; *kinds && rc == CLI_EXIT_OK; kinds++)
			rc = get_kind(c, cli_kind_by_name(*kinds), &o, nargs ? args[0] : NULL, all);
	}
	free(args);
	return rc;
}

#define GET_HANDLER(fn, all, ...)                                                          \
	static int fn(cli_ctx *c, const cli_command *self, int argc, char **argv)          \
	{                                                                                  \
		static const char *const kinds[] = { __VA_ARGS__, NULL };                  \
		return get_run(c, self, argc, argv, kinds, all);                           \
	}

GET_HANDLER(get_git, 0, "GitRepository")
GET_HANDLER(get_helmrepo, 0, "HelmRepository")
GET_HANDLER(get_chart, 0, "HelmChart")
GET_HANDLER(get_oci, 0, "OCIRepository")
GET_HANDLER(get_bucket, 0, "Bucket")
GET_HANDLER(get_sources_all, 1, "OCIRepository", "Bucket", "GitRepository", "HelmRepository",
            "HelmChart")
GET_HANDLER(get_ks, 0, "Kustomization")
GET_HANDLER(get_hr, 0, "HelmRelease")
GET_HANDLER(get_all, 1, "OCIRepository", "Bucket", "GitRepository", "HelmRepository",
            "HelmChart", "HelmRelease", "Kustomization")

static const cli_command sources_table[] = {
	{ "git", NULL, "Get GitRepository source statuses", get_git, NULL,
	  "Usage:\n  cflux get sources git [name] [flags]\n" },
	{ "helm", NULL, "Get HelmRepository source statuses", get_helmrepo, NULL,
	  "Usage:\n  cflux get sources helm [name] [flags]\n" },
	{ "chart", NULL, "Get HelmChart statuses", get_chart, NULL,
	  "Usage:\n  cflux get sources chart [name] [flags]\n" },
	{ "oci", NULL, "Get OCIRepository statuses", get_oci, NULL,
	  "Usage:\n  cflux get sources oci [name] [flags]\n" },
	{ "bucket", NULL, "Get Bucket source statuses", get_bucket, NULL,
	  "Usage:\n  cflux get sources bucket [name] [flags]\n" },
	{ "all", NULL, "Get all source statuses", get_sources_all, NULL,
	  "Usage:\n  cflux get sources all [flags]\n" },
	{ 0 },
};

static const char *const sources_aliases[] = { "source", NULL };
static const char *const ks_aliases[] = { "ks", "kustomization", NULL };
static const char *const hr_aliases[] = { "hr", "helmrelease", NULL };

const cli_command cli_get_table[] = {
	{ "sources", sources_aliases, "Get source statuses", NULL, sources_table, NULL },
	{ "kustomizations", ks_aliases, "Get Kustomization statuses", get_ks, NULL,
	  "Usage:\n  cflux get kustomizations [name] [flags]\n" },
	{ "helmreleases", hr_aliases, "Get HelmRelease statuses", get_hr, NULL,
	  "Usage:\n  cflux get helmreleases [name] [flags]\n" },
	{ "configs", NULL, "Get FluxConfig compliance", cli_configs_get_run, NULL,
	  "Usage:\n  cflux get configs [name] [-A] [flags]\n" },
	{ "all", NULL, "Get all resources and statuses", get_all, NULL,
	  "Usage:\n  cflux get all [flags]\n" },
	{ 0 },
};
