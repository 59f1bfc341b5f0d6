/*
 * `cflux create config`: a Flux configuration in one command, as Azure's fluxConfigurations
 * make it: a GitRepository NAME and a Kustomization NAME-<kname> per --kustomization.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cf/error.h"
#include "create.h"

/* One --kustomization value taken apart; strings point into `buf`. */
typedef struct {
	char *buf;
	const char *name, *path, *prune, *depends_on, *interval;
} ks_spec;

/* A key of the --kustomization value and where its value goes. */
typedef struct {
	const char *key;
	size_t offset;
} ks_key;

static const ks_key ks_keys[] = {
	{ "name", offsetof(ks_spec, name) },
	{ "path", offsetof(ks_spec, path) },
	{ "prune", offsetof(ks_spec, prune) },
	{ "depends-on", offsetof(ks_spec, depends_on) },
	{ "dependsOn", offsetof(ks_spec, depends_on) },
	{ "depends_on", offsetof(ks_spec, depends_on) },
	{ "interval", offsetof(ks_spec, interval) },
	{ "sync-interval", offsetof(ks_spec, interval) },
};

/* Splits "name=a,path=./x,prune=true,depends-on=b;c" into s. */
static int parse_ks_spec(ks_spec *s, const char *text)
{
	char *save = NULL, *pair;

	memset(s, 0, sizeof(*s));
	if (!(s->buf = strdup(text)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (pair = strtok_r(s->buf, ",", &save); pair; pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '=');
		size_t i;

		if (!eq)
			return cf_error_set(CF_EINVALID, "--kustomization: '%s' is not key=value", pair);
		*eq = '\0';
		for (i = 0; i < sizeof(ks_keys) / sizeof(ks_keys[0]); i++)
			if (strcmp(ks_keys[i].key, pair) == 0)
				break;
		if (i == sizeof(ks_keys) / sizeof(ks_keys[0]))
			return cf_error_set(CF_EINVALID, "--kustomization: unknown key '%s' (known: name, "
			                    "path, prune, depends-on, interval)", pair);
		*(const char **)((char *)s + ks_keys[i].offset) = eq + 1;
	}
	if (!s->name || !*s->name)
		return cf_error_set(CF_EINVALID, "--kustomization '%s': name is required", text);
	return 0;
}

/* The Kustomization for one spec; depends-on names are the config's other kustomizations. */
static int config_kustomization(json_t **out, const ks_spec *s, const char *config,
                                const char *ns, int64_t interval_ns)
{
	char source[512], name[512], *deps = NULL, *save = NULL, *dep;
	cli_ks_args a = { .path = s->path ? s->path : "./", .interval_ns = interval_ns };
	int err = 0;

	snprintf(source, sizeof(source), "GitRepository/%s", config);
	snprintf(name, sizeof(name), "%s-%s", config, s->name);
	a.source = source;
	if (s->prune && strcmp(s->prune, "true") != 0 && strcmp(s->prune, "false") != 0)
		return cf_error_set(CF_EINVALID, "--kustomization %s: prune must be true or false",
		                    s->name);
	a.prune = s->prune && strcmp(s->prune, "true") == 0;
	if (s->interval && (err = cf_duration_parse(&a.interval_ns, s->interval)) < 0)
		return cf_error_wrap(err, "--kustomization %s: ", s->name);
	if (s->depends_on) {
		if (!(deps = strdup(s->depends_on)))
			return cf_error_set(CF_ENOMEM, "out of memory");
		for (dep = strtok_r(deps, ";", &save); dep && err == 0;
		     dep = strtok_r(NULL, ";", &save)) {
			char full[512];
			int n = snprintf(full, sizeof(full), "%s-%s", config, dep);
			err = cli_strv_add(&a.depends_on, full, (size_t)n);
		}
		free(deps);
	}
	if (err == 0)
		err = cli_kustomization(out, &a, ns, name);
	cli_strv_free(&a.depends_on);
	return err;
}

/*
 * Azure's Flux configurations create their namespace; so does this command, before its objects,
 * when the namespace is missing ("✔ Namespace NAME created"). An existing one is left as it is.
 */
static int ensure_namespace(cli_ctx *c, const char *ns)
{
	cf_kube_ref ref = { "v1", "Namespace", NULL, ns };
	cf_kube_write_opts wo = { .field_manager = "cflux" };
	char *existing = NULL, *body;
	json_t *obj;
	cf_kube *kube;
	int err;

	if (cli_kube(c, &kube) < 0)
		return cli_fail_err(c, NULL);
	err = cf_kube_get(kube, &existing, &ref);
	free(existing);
	if (err == 0)
		return CLI_EXIT_OK;
	if (err != CF_ENOTFOUND)
		return cli_fail_err(c, NULL);
	obj = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
	                "name", ns);
	body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!body)
		return CLI_EXIT_FAIL;
	cli_action(c, "applying Namespace");
	err = cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &wo);
	free(body);
	if (err < 0)
		return cli_fail_err(c, NULL);
	cli_success(c, "Namespace %s created", ns);
	return CLI_EXIT_OK;
}

/* Builds every object of the configuration into the array objs. */
static int build_config(json_t *objs, const cli_git_args *git, const cli_strv *specs,
                        const char *ns, const char *name)
{
	json_t *obj = NULL;
	int err;

	if (specs->n == 0)
		return cf_error_set(CF_EINVALID, "at least one --kustomization is required");
	if ((err = cli_git_repository(&obj, git, ns, name)) < 0)
		return err;
	json_array_append_new(objs, obj);
	for (size_t i = 0; i < specs->n; i++) {
		ks_spec s;
		err = parse_ks_spec(&s, specs->v[i]);
		for (size_t j = 0; err == 0 && j < json_array_size(objs); j++) {
			char full[512];
			snprintf(full, sizeof(full), "%s-%s", name, s.name);
			if (strcmp(cli_json_str(json_array_get(objs, j), "metadata", "name", NULL),
			           full) == 0)
				err = cf_error_set(CF_EINVALID, "--kustomization name '%s' is used twice",
				                   s.name);
		}
		if (err == 0 && (err = config_kustomization(&obj, &s, name, ns, git->interval_ns)) == 0)
			json_array_append_new(objs, obj);
		free(s.buf);
		if (err < 0)
			return err;
	}
	return 0;
}

int cli_create_config_run(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	cli_git_args git = { .interval_ns = 60 * CF_SECOND };
	cli_strv specs = { 0 };
	int export_ = 0, nargs, rc;
	cli_flag flags[] = {
		{ "url", 0, CLI_FLAG_STR, &git.url, "git address" },
		{ "branch", 0, CLI_FLAG_STR, &git.branch, "git branch" },
		{ "tag", 0, CLI_FLAG_STR, &git.tag, "git tag" },
		{ "tag-semver", 0, CLI_FLAG_STR, &git.semver, "git tag semver range" },
		{ "semver", 0, CLI_FLAG_STR, &git.semver, "git tag semver range" },
		{ "commit", 0, CLI_FLAG_STR, &git.commit, "git commit" },
		{ "secret-ref", 0, CLI_FLAG_STR, &git.secret_ref, "secret with the git credentials" },
		{ "interval", 0, CLI_FLAG_DURATION, &git.interval_ns,
		  "sync interval of the source and, unless given per kustomization, the "
		  "kustomizations (default 1m0s)" },
		{ "kustomization", 0, CLI_FLAG_ARRAY, &specs,
		  "name=..,path=..,prune=..,depends-on=a;b,interval=.. (repeatable)" },
		{ "export", 0, CLI_FLAG_BOOL, &export_, "export in YAML format to stdout" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	json_t *objs = json_array(), *obj;
	size_t i;

	if (!args || !objs) {
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
		goto done;
	}
	if (nargs != 1) {
		rc = cli_usage(c, NULL, "configuration name is required");
		goto done;
	}
	if (build_config(objs, &git, &specs, c->namespace_, args[0]) < 0) {
		rc = cli_fail_err(c, NULL);
		goto done;
	}
	if (export_) {
		json_array_foreach(objs, i, obj)
			if (cli_print_export(c, obj) < 0) {
				rc = cli_fail_err(c, NULL);
				goto done;
			}
		goto done;
	}
	cli_generate(c, "generating configuration %s", args[0]);
	if ((rc = ensure_namespace(c, c->namespace_)) != CLI_EXIT_OK)
		goto done;
	json_array_foreach(objs, i, obj) {
		rc = cli_apply(c, obj, i == 0 ? "GitRepository source" : "Kustomization");
		if (rc != CLI_EXIT_OK)
			goto done;
	}
	/* Object by object, in the order dependencies become ready. */
	json_array_foreach(objs, i, obj) {
		rc = cli_wait_ready(c, obj, i == 0 ? "GitRepository source" : "Kustomization");
		if (rc != CLI_EXIT_OK)
			goto done;
	}
done:
	json_decref(objs);
	cli_strv_free(&specs);
	free(args);
	return rc;
}
