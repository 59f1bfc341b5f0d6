/* `cflux tree kustomization NAME`: the objects a Kustomization applied, from its inventory. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cli.h"

#define KS_GROUP "kustomize.toolkit.fluxcd.io"
#define MAX_DEPTH 32
#define MAX_EXPANDED 4096

/* Kustomizations already expanded, so a cycle or a repeated entry is walked once. */
typedef struct {
	char (*keys)[512];
	size_t n;
} visited;

/* An inventory id "<namespace>_<name>_<group>_<kind>" taken apart (names hold no '_'). */
typedef struct {
	char ns[254], name[254], group[254], kind[128];
} inv_id;

static int parse_id(inv_id *out, const char *id)
{
	char *parts[4] = { out->ns, out->name, out->group, out->kind };
	size_t sizes[4] = { sizeof(out->ns), sizeof(out->name), sizeof(out->group),
		            sizeof(out->kind) };
	const char *p = id;

	for (int i = 0; i < 4; i++) {
		const char *end = i < 3 ? strchr(p, '_') : p + strlen(p);
		if (!end || (size_t)(end - p) >= sizes[i])
			return cf_error_set(CF_EPARSE, "malformed inventory entry '%s'", id);
		memcpy(parts[i], p, (size_t)(end - p));
		parts[i][end - p] = '\0';
		p = end + 1;
	}
	return 0;
}

static void print_node(cli_ctx *c, const char *prefix, int last, const inv_id *id)
{
	fprintf(c->out, "%s%s%s/", prefix, last ? "└── " : "├── ", id->kind);
	if (id->ns[0])
		fprintf(c->out, "%s/", id->ns);
	fprintf(c->out, "%s\n", id->name);
}

static int print_inventory(cli_ctx *c, visited *seen, const char *ns, const char *name,
                           const char *prefix, int depth);

/* 1 when ns/name was expanded before; otherwise records it and returns 0. */
static int seen_before(visited *seen, const char *ns, const char *name)
{
	char key[512];

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->keys[i], key) == 0)
			return 1;
	if (seen->n == MAX_EXPANDED)
		return 1;
	memcpy(seen->keys[seen->n++], key, sizeof(key));
	return 0;
}

/* Prints the entries of one Kustomization's status.inventory below prefix. */
static int print_entries(cli_ctx *c, visited *seen, json_t *entries, const char *prefix,
                         int depth)
{
	json_t *e;
	size_t i, n = json_array_size(entries);
	char child[1024];
	inv_id id;
	int err;

	json_array_foreach(entries, i, e) {
		const char *s = cli_json_str(e, "id", NULL);
		if (!s || (err = parse_id(&id, s)) < 0)
			return s ? err : cf_error_set(CF_EPARSE, "inventory entry without an id");
		print_node(c, prefix, i + 1 == n, &id);
		if (strcmp(id.group, KS_GROUP) != 0 || strcmp(id.kind, "Kustomization") != 0 ||
		    seen_before(seen, id.ns, id.name))
			continue;
		snprintf(child, sizeof(child), "%s%s", prefix, i + 1 == n ? "    " : "│   ");
		if ((err = print_inventory(c, seen, id.ns, id.name, child, depth + 1)) < 0 &&
		    err != CF_ENOTFOUND)
			return err;
	}
	return 0;
}

static int print_inventory(cli_ctx *c, visited *seen, const char *ns, const char *name,
                           const char *prefix, int depth)
{
	cf_kube_ref ref = { "kustomize.toolkit.fluxcd.io/v1", "Kustomization", ns, name };
	char *text = NULL;
	json_t *obj;
	cf_kube *kube;
	int err;

	if (depth > MAX_DEPTH)
		return cf_error_set(CF_ELIMIT, "Kustomizations nest deeper than %d levels", MAX_DEPTH);
	if ((err = cli_kube(c, &kube)) < 0)
		return err;
	if ((err = cf_kube_get(kube, &text, &ref)) < 0)
		return err;
	obj = json_loads(text, 0, NULL);
	free(text);
	if (!obj)
		return cf_error_set(CF_EPARSE, "the server sent an object that is not JSON");
	err = print_entries(c, seen, json_object_get(json_object_get(json_object_get(obj, "status"),
	                                                        "inventory"), "entries"),
	                    prefix, depth);
	json_decref(obj);
	return err;
}

/* Prints the root line and everything below the Kustomization NAME in -n's namespace. */
static int print_tree(cli_ctx *c, const char *name)
{
	cf_kube_ref ref = { "kustomize.toolkit.fluxcd.io/v1", "Kustomization", c->namespace_, name };
	visited seen = { NULL, 0 };
	char *text = NULL;
	cf_kube *kube;
	int rc = CLI_EXIT_FAIL;

	if (cli_kube(c, &kube) < 0)
		return cli_fail_err(c, NULL);
	/* The root line comes after the object is known to exist. */
	if (cf_kube_get(kube, &text, &ref) < 0)
		return cli_fail_err(c, NULL);
	free(text);
	if (!(seen.keys = calloc(MAX_EXPANDED, sizeof(*seen.keys))))
		return CLI_EXIT_FAIL;
	seen_before(&seen, c->namespace_, name);
	fprintf(c->out, "Kustomization/%s/%s\n", c->namespace_, name);
	if (print_inventory(c, &seen, c->namespace_, name, "", 0) < 0)
		rc = cli_fail_err(c, NULL);
	else
		rc = CLI_EXIT_OK;
	free(seen.keys);
	return rc;
}

static int tree_ks(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int nargs, rc;

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, NULL, 0, argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK)
		rc = cli_parse_exit(rc);
	else if (nargs != 1)
		rc = cli_usage(c, "cflux tree kustomization", "Kustomization name is required");
	else
		rc = print_tree(c, args[0]);
	free(args);
	return rc;
}

static const char *const ks_aliases[] = { "ks", NULL };

const cli_command cli_tree_table[] = {
	{ "kustomization", ks_aliases, "Print the resources reconciled by a Kustomization", tree_ks,
	  NULL, "Usage:\n  cflux tree kustomization NAME [flags]\n" },
	{ 0 },
};
