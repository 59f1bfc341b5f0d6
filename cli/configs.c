/*
 * FluxConfig objects from the command line: `create config --as-object` builds one FluxConfig
 * from the flags `create config` takes, and `get configs` lists their compliance.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cf/error.h"
#include "configs.h"
#include "create.h"

#define FC_API "config.cflux.io/v1"
#define FIELD_MANAGER "cflux"

/* Seconds for Azure's *InSeconds fields; a duration under a second is refused. */
static int seconds_of(json_int_t *out, int64_t ns, const char *what)
{
	if (ns < CF_SECOND)
		return cf_error_set(CF_EINVALID, "%s must be at least 1s", what);
	*out = (json_int_t)(ns / CF_SECOND);
	return 0;
}

/* Parses one --kustomization value into the map as key -> Azure kustomization. */
static int add_kustomization(json_t *map, const char *text)
{
	char *buf = strdup(text), *save = NULL, *pair, *name = NULL;
	json_t *ks = json_object();
	int err = 0;

	if (!buf || !ks) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	for (pair = strtok_r(buf, ",", &save); pair && err == 0; pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '='), *v;
		if (!eq) {
			err = cf_error_set(CF_EINVALID, "--kustomization: '%s' is not key=value", pair);
			break;
		}
		*eq = '\0';
		v = eq + 1;
		if (strcmp(pair, "name") == 0) {
			name = v;
		} else if (strcmp(pair, "path") == 0) {
			json_object_set_new(ks, "path", json_string(v));
		} else if (strcmp(pair, "prune") == 0) {
			if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				err = cf_error_set(CF_EINVALID, "--kustomization: prune must be true or false");
			json_object_set_new(ks, "prune", json_boolean(strcmp(v, "true") == 0));
		} else if (strcmp(pair, "depends-on") == 0 || strcmp(pair, "dependsOn") == 0 ||
		           strcmp(pair, "depends_on") == 0) {
			json_t *deps = json_array();
			char *s2 = NULL;
			for (char *d = strtok_r(v, ";", &s2); d; d = strtok_r(NULL, ";", &s2))
				json_array_append_new(deps, json_string(d));
			json_object_set_new(ks, "dependsOn", deps);
		} else if (strcmp(pair, "interval") == 0 || strcmp(pair, "sync-interval") == 0) {
			int64_t ns = 0;
			json_int_t s = 0;
			if ((err = cf_duration_parse(&ns, v)) < 0 ||
			    (err = seconds_of(&s, ns, "--kustomization interval")) < 0)
				break;
			json_object_set_new(ks, "syncIntervalInSeconds", json_integer(s));
		} else {
			err = cf_error_set(CF_EINVALID, "--kustomization: unknown key '%s' (known: name, path, "
			                   "prune, depends-on, interval)", pair);
		}
	}
	if (err == 0 && (!name || !*name))
		err = cf_error_set(CF_EINVALID, "--kustomization '%s': name is required", text);
	if (err == 0 && json_object_get(map, name))
		err = cf_error_set(CF_EINVALID, "--kustomization name '%s' is used twice", name);
	if (err == 0)
		json_object_set(map, name, ks);
done:
	json_decref(ks);
	free(buf);
	return err;
}

int cli_configs_build(json_t **out, const char *ns, const char *name, const char *url, const char *branch,
                      const char *tag, const char *semver, const char *commit, const char *secret_ref,
                      int64_t interval_ns, const cli_strv *kustomizations)
{
	json_t *obj, *spec, *git, *ref, *map;
	json_int_t interval = 0;
	int err;

	if (!url || !*url)
		return cf_error_set(CF_EINVALID, "url is required");
	if (!branch && !tag && !semver && !commit)
		return cf_error_set(CF_EINVALID, "a Git ref is required, use one of the following: "
		                    "--branch, --tag, --commit or --tag-semver");
	if (kustomizations->n == 0)
		return cf_error_set(CF_EINVALID, "at least one --kustomization is required");
	if ((err = seconds_of(&interval, interval_ns, "--interval")) < 0)
		return err;
	if (!(obj = cli_new_object(FC_API, "FluxConfig", ns, name)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	spec = json_object_get(obj, "spec");
	ref = json_object();
	if (branch)
		json_object_set_new(ref, "branch", json_string(branch));
	if (tag)
		json_object_set_new(ref, "tag", json_string(tag));
	if (semver)
		json_object_set_new(ref, "semver", json_string(semver));
	if (commit)
		json_object_set_new(ref, "commit", json_string(commit));
	git = json_pack("{s:s,s:o,s:I}", "url", url, "repositoryRef", ref, "syncIntervalInSeconds", interval);
	if (secret_ref && *secret_ref)
		json_object_set_new(git, "localAuthRef", json_string(secret_ref));
	json_object_set_new(spec, "sourceKind", json_string("GitRepository"));
	json_object_set_new(spec, "gitRepository", git);
	map = json_object();
	json_object_set_new(spec, "kustomizations", map);
	for (size_t i = 0; i < kustomizations->n; i++) {
		if ((err = add_kustomization(map, kustomizations->v[i])) < 0) {
			json_decref(obj);
			return err;
		}
	}
	*out = obj;
	return 0;
}

static int apply(cli_ctx *c, cf_kube *kube, json_t *obj)
{
	cf_kube_ref ref = { FC_API, "FluxConfig", cli_json_str(obj, "metadata", "namespace", NULL),
		            cli_json_str(obj, "metadata", "name", NULL) };
	cf_kube_write_opts wo = { .field_manager = FIELD_MANAGER, .force = 1 };
	char *body = json_dumps(obj, JSON_COMPACT), *existing = NULL;
	int err, created;

	if (!body)
		return cf_error_set(CF_ENOMEM, "out of memory");
	cli_action(c, "applying FluxConfig");
	err = cf_kube_get(kube, &existing, &ref);
	free(existing);
	created = err == CF_ENOTFOUND;
	err = err < 0 && !created ? err : cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &wo);
	free(body);
	if (err == 0)
		cli_success(c, "FluxConfig %s", created ? "created" : "updated");
	return err;
}

/* Waits until the config is Compliant for its generation; Non-Compliant (settled) fails. */
static int wait_compliant(cli_ctx *c, cf_kube *kube, const char *ns, const char *name)
{
	cf_kube_ref ref = { FC_API, "FluxConfig", ns, name };
	int64_t deadline = cli_mono_ms() + c->timeout_ns / 1000000;

	cli_waiting(c, "waiting for FluxConfig reconciliation");
	for (;;) {
		char *text = NULL;
		json_t *obj;
		int rc = -1;
		if (cf_kube_get(kube, &text, &ref) < 0)
			return cli_fail_err(c, NULL);
		obj = json_loads(text, 0, NULL);
		free(text);
		json_t *og = json_object_get(json_object_get(obj, "status"), "observedGeneration");
		json_t *gen = json_object_get(json_object_get(obj, "metadata"), "generation");
		const char *state = cli_json_str(obj, "status", "complianceState", NULL);
		int current = json_is_integer(og) && json_integer_value(og) == json_integer_value(gen);
		if (current && state && strcmp(state, "Compliant") == 0) {
			const char *rev = cli_json_str(obj, "status", "sourceSyncedCommitId", NULL);
			cli_success(c, "FluxConfig %s is Compliant", name);
			cli_success(c, "applied revision %s", rev ? rev : "");
			rc = CLI_EXIT_OK;
		} else if (current && state && strcmp(state, "Non-Compliant") == 0) {
			const char *msg = cli_json_str(obj, "status", "errorMessage", NULL);
			cli_failure(c, "%s", msg ? msg : "Non-Compliant");
			rc = CLI_EXIT_FAIL;
		} else if (cli_mono_ms() >= deadline) {
			cli_failure(c, "timed out waiting for FluxConfig/%s/%s to become Compliant", ns, name);
			rc = CLI_EXIT_FAIL;
		}
		json_decref(obj);
		if (rc >= 0)
			return rc;
		cli_sleep_ns(c->poll_ns);
	}
}

int cli_configs_create_run(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	const char *url = NULL, *branch = NULL, *tag = NULL, *semver = NULL, *commit = NULL, *secret = NULL;
	const char *scope = NULL;
	int64_t interval_ns = 60 * CF_SECOND;
	int as_object = 0, export_ = 0, nargs, rc;
	cli_strv specs = { 0 };
	cli_flag flags[] = {
		{ "as-object", 0, CLI_FLAG_BOOL, &as_object,
		  "create one FluxConfig (config.cflux.io/v1) that fluxconfig-controller reconciles" },
		{ "scope", 0, CLI_FLAG_STR, &scope,
		  "with --as-object: cluster, or namespace to apply everything into --namespace (Azure's --scope)" },
		{ "url", 0, CLI_FLAG_STR, &url, "git address" },
		{ "branch", 0, CLI_FLAG_STR, &branch, "git branch" },
		{ "tag", 0, CLI_FLAG_STR, &tag, "git tag" },
		{ "tag-semver", 0, CLI_FLAG_STR, &semver, "git tag semver range" },
		{ "semver", 0, CLI_FLAG_STR, &semver, "git tag semver range" },
		{ "commit", 0, CLI_FLAG_STR, &commit, "git commit" },
		{ "secret-ref", 0, CLI_FLAG_STR, &secret, "secret with the git credentials" },
		{ "interval", 0, CLI_FLAG_DURATION, &interval_ns, "sync interval (default 1m0s)" },
		{ "kustomization", 0, CLI_FLAG_ARRAY, &specs,
		  "name=..,path=..,prune=..,depends-on=a;b,interval=.. (repeatable)" },
		{ "export", 0, CLI_FLAG_BOOL, &export_, "export in YAML format to stdout" },
	};
	char **args = NULL;
	json_t *obj = NULL;
	cf_kube *kube;

	/* Without --as-object the separate objects are built, by `create config` as it always was. */
	for (int i = 0; i < argc && !as_object; i++)
		as_object = strcmp(argv[i], "--as-object") == 0 || strcmp(argv[i], "--as-object=true") == 0;
	if (!as_object)
		return cli_create_config_run(c, self, argc, argv);
	if (!(args = calloc((size_t)argc + 1, sizeof(char *))))
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
	} else if (nargs != 1) {
		rc = cli_usage(c, NULL, "configuration name is required");
	} else if (cli_configs_build(&obj, c->namespace_, args[0], url, branch, tag, semver, commit, secret,
	                             interval_ns, &specs) < 0) {
		rc = cli_fail_err(c, NULL);
	} else if (scope && strcmp(scope, "cluster") != 0 && strcmp(scope, "namespace") != 0) {
		rc = cli_usage(c, NULL, "--scope must be cluster or namespace");
	} else if (export_) {
		if (scope)
			json_object_set_new(json_object_get(obj, "spec"), "scope", json_string(scope));
		rc = cli_print_export(c, obj) < 0 ? cli_fail_err(c, NULL) : CLI_EXIT_OK;
	} else if (cli_kube(c, &kube) < 0) {
		rc = cli_fail_err(c, NULL);
	} else {
		if (scope)
			json_object_set_new(json_object_get(obj, "spec"), "scope", json_string(scope));
		cli_generate(c, "generating FluxConfig %s", args[0]);
		rc = apply(c, kube, obj) < 0 ? cli_fail_err(c, NULL) : wait_compliant(c, kube, c->namespace_, args[0]);
	}
	json_decref(obj);
	cli_strv_free(&specs);
	free(args);
	return rc;
}

/* ---- get configs --------------------------------------------------------------------------- */

typedef struct {
	cli_table *table;
	int all_namespaces;
	int err;
} listing;

static int add_row(void *ctx, const char *item, size_t len)
{
	listing *l = ctx;
	json_t *obj = json_loadb(item, len, 0, NULL);
	const char *cells[6], **p = cells, *rev, *msg, *state;
	char revision[512];

	if (!obj)
		return 0;
	rev = cli_json_str(obj, "status", "sourceSyncedCommitId", NULL);
	cli_truncate_hex(revision, sizeof(revision), rev ? rev : "");
	state = cli_json_str(obj, "status", "complianceState", NULL);
	msg = cli_json_str(obj, "status", "errorMessage", NULL);
	if (l->all_namespaces)
		*p++ = cli_json_str(obj, "metadata", "namespace", NULL);
	*p++ = cli_json_str(obj, "metadata", "name", NULL);
	*p++ = state ? state : "Unknown";
	*p++ = revision;
	*p++ = json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend")) ? "True" : "False";
	*p++ = msg ? msg : state ? "" : "waiting to be reconciled";
	if (cli_table_add(l->table, cells) < 0)
		l->err = CF_ENOMEM;
	json_decref(obj);
	return l->err;
}

int cli_configs_get_run(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	static const char *const header[] = { "Namespace", "Name", "Compliance", "Revision", "Suspended",
		                              "Message" };
	int all = 0, no_header = 0, nargs, rc;
	cli_flag flags[] = {
		{ "all-namespaces", 'A', CLI_FLAG_BOOL, &all, "list the configurations across all namespaces" },
		{ "no-header", 0, CLI_FLAG_BOOL, &no_header, "skip the header when printing the results" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *)), field[512];
	cf_kube_list_opts lo = { 0 };
	listing l = { NULL, 0, 0 };
	cf_kube *kube;

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
		goto done;
	}
	if (nargs > 1) {
		rc = cli_usage(c, NULL, "accepts at most 1 arg(s), received %d", nargs);
		goto done;
	}
	if (cli_kube(c, &kube) < 0) {
		rc = cli_fail_err(c, NULL);
		goto done;
	}
	if (nargs) {
		snprintf(field, sizeof(field), "metadata.name=%s", args[0]);
		lo.field_selector = field;
	}
	cf_kube_ref ref = { FC_API, "FluxConfig", all ? NULL : c->namespace_, NULL };
	l.all_namespaces = all;
	if (cli_table_new(&l.table, no_header ? NULL : header + (all ? 0 : 1), all ? 6 : 5) < 0) {
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	if (cf_kube_list(kube, NULL, &ref, &lo, add_row, &l) < 0)
		rc = cli_fail_err(c, NULL);
	else if (cli_table_rows(l.table) == 0)
		cli_failure(c, "no FluxConfig objects found in %s%s%s namespace", all ? "any" : "\"",
		            all ? "" : c->namespace_, all ? "" : "\"");
	else
		cli_table_print(l.table, c->out);
	cli_table_free(l.table);
done:
	free(args);
	return rc;
}
