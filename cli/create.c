/*
 * `cflux create source git`, `create kustomization` and `create config`: Flux objects built as
 * the flux CLI builds them, printed with --export or applied server-side and waited for.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cf/error.h"
#include "configs.h"
#include "create.h"

#define FIELD_MANAGER "cflux"

json_t *cli_new_object(const char *api_version, const char *kind, const char *ns,
                       const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s},s:{}}", "apiVersion", api_version, "kind", kind,
	                 "metadata", "name", name, "namespace", ns, "spec");
}

void cli_set_interval(json_t *spec, int64_t ns)
{
	char buf[64];

	cf_duration_format(buf, sizeof(buf), ns);
	json_object_set_new(spec, "interval", json_string(buf));
}

int cli_git_repository(json_t **out, const cli_git_args *a, const char *ns, const char *name)
{
	json_t *obj, *spec, *ref;
	const char *colon;

	if (!a->url || !*a->url)
		return cf_error_set(CF_EINVALID, "url is required");
	colon = strstr(a->url, "://");
	if (!colon || !((colon - a->url == 3 && strncmp(a->url, "ssh", 3) == 0) ||
	                (colon - a->url == 4 && strncmp(a->url, "http", 4) == 0) ||
	                (colon - a->url == 5 && strncmp(a->url, "https", 5) == 0)))
		return cf_error_set(CF_EINVALID, "git URL scheme '%.*s' not supported, can be: ssh, "
		                    "http and https", colon ? (int)(colon - a->url) : 0, a->url);
	if (!a->branch && !a->tag && !a->semver && !a->commit)
		return cf_error_set(CF_EINVALID, "a Git ref is required, use one of the following: "
		                    "--branch, --tag, --commit or --tag-semver");
	if (!(obj = cli_new_object("source.toolkit.fluxcd.io/v1", "GitRepository", ns, name)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	spec = json_object_get(obj, "spec");
	cli_set_interval(spec, a->interval_ns);
	ref = json_object();
	/* flux's precedence: a commit (optionally on a branch), then semver, tag, branch. */
	if (a->commit) {
		json_object_set_new(ref, "commit", json_string(a->commit));
		if (a->branch)
			json_object_set_new(ref, "branch", json_string(a->branch));
	} else if (a->semver) {
		json_object_set_new(ref, "semver", json_string(a->semver));
	} else if (a->tag) {
		json_object_set_new(ref, "tag", json_string(a->tag));
	} else {
		json_object_set_new(ref, "branch", json_string(a->branch));
	}
	json_object_set_new(spec, "ref", ref);
	if (a->secret_ref && *a->secret_ref)
		json_object_set_new(spec, "secretRef", json_pack("{s:s}", "name", a->secret_ref));
	json_object_set_new(spec, "url", json_string(a->url));
	*out = obj;
	return 0;
}

/* flux's SafeRelativePath: the path cleaned lexically inside "./", never above it. */
static int clean_path(char *out, size_t size, const char *path)
{
	char *copy = strdup(path), *save = NULL, *seg;
	size_t len = 0, marks[256], depth = 0;

	if (!copy)
		return cf_error_set(CF_ENOMEM, "out of memory");
	out[0] = '\0';
	for (seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			if (depth > 0)
				len = marks[--depth];
			out[len] = '\0';
			continue;
		}
		if (depth == sizeof(marks) / sizeof(marks[0]) || len + strlen(seg) + 2 >= size) {
			free(copy);
			return cf_error_set(CF_ELIMIT, "path too long");
		}
		marks[depth++] = len;
		len += (size_t)snprintf(out + len, size - len, "/%s", seg);
	}
	free(copy);
	if (len == 0) {
		snprintf(out, size, "./");
	} else {
		memmove(out + 1, out, len + 1);
		out[0] = '.';
	}
	return 0;
}

/* "[<kind>/]<name>[.<namespace>]" as flux's --source flag reads it. */
static int parse_source(json_t **out, const char *source)
{
	static const char *const kinds[] = { "OCIRepository", "GitRepository", "Bucket", NULL };
	const char *slash = strchr(source, '/'), *name = slash ? slash + 1 : source, *dot;
	char kind[64] = "GitRepository";
	const char *const *k;
	json_t *ref;

	if (slash) {
		snprintf(kind, sizeof(kind), "%.*s", (int)(slash - source), source);
		for (k = kinds; *k && strcmp(*k, kind) != 0; k++)
			;
		if (!*k)
			return cf_error_set(CF_EINVALID, "source kind '%s' is not supported, must be one "
			                    "of: OCIRepository, GitRepository, Bucket", kind);
	}
	if (!*name)
		return cf_error_set(CF_EINVALID, "no name specified for source of kind '%s'", kind);
	dot = strchr(name, '.');
	ref = json_pack("{s:s,s:s#}", "kind", kind, "name", name,
	                dot ? (int)(dot - name) : (int)strlen(name));
	if (ref && dot)
		json_object_set_new(ref, "namespace", json_string(dot + 1));
	*out = ref;
	return ref ? 0 : cf_error_set(CF_ENOMEM, "out of memory");
}

int cli_kustomization(json_t **out, const cli_ks_args *a, const char *ns, const char *name)
{
	char path[4096];
	json_t *obj, *spec, *deps, *source = NULL;
	int err;

	if (!a->source || !*a->source)
		return cf_error_set(CF_EINVALID, "source is required");
	if (a->decryption_provider && *a->decryption_provider &&
	    strcmp(a->decryption_provider, "sops") != 0)
		return cf_error_set(CF_EINVALID, "unsupported decryption provider '%s', must be one "
		                    "of: sops", a->decryption_provider);
	if ((err = clean_path(path, sizeof(path), a->path ? a->path : "./")) < 0 ||
	    (err = parse_source(&source, a->source)) < 0)
		return err;
	if (!(obj = cli_new_object("kustomize.toolkit.fluxcd.io/v1", "Kustomization", ns, name))) {
		json_decref(source);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	spec = json_object_get(obj, "spec");
	if (a->depends_on.n > 0) {
		deps = json_array();
		for (size_t i = 0; i < a->depends_on.n; i++) {
			const char *d = a->depends_on.v[i], *s = strchr(d, '/');
			json_t *ref = json_pack("{s:s}", "name", s ? s + 1 : d);
			if (s)
				json_object_set_new(ref, "namespace", json_stringn(d, (size_t)(s - d)));
			json_array_append_new(deps, ref);
		}
		json_object_set_new(spec, "dependsOn", deps);
	}
	if (a->decryption_provider && *a->decryption_provider) {
		json_t *dec = json_pack("{s:s}", "provider", a->decryption_provider);
		if (a->decryption_secret && *a->decryption_secret)
			json_object_set_new(dec, "secretRef",
			                    json_pack("{s:s}", "name", a->decryption_secret));
		json_object_set_new(spec, "decryption", dec);
	}
	cli_set_interval(spec, a->interval_ns);
	json_object_set_new(spec, "path", json_string(path));
	json_object_set_new(spec, "prune", json_boolean(a->prune));
	json_object_set_new(spec, "sourceRef", source);
	if (a->target_namespace && *a->target_namespace)
		json_object_set_new(spec, "targetNamespace", json_string(a->target_namespace));
	*out = obj;
	return 0;
}

enum { PENDING, READY, FAILED };

/* kstatus in short: Ready True (or False and settled) for the object's current generation. */
static int ready_state(json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *og = json_object_get(json_object_get(obj, "status"), "observedGeneration");
	const char *status = cli_json_str(cli_condition(obj, "Ready"), "status", NULL);

	if (og && json_integer_value(og) < json_integer_value(json_object_get(meta, "generation")))
		return PENDING;
	if (status && strcmp(status, "True") == 0)
		return READY;
	if (status && strcmp(status, "False") == 0 && !cli_condition_true(obj, "Reconciling"))
		return FAILED;
	return PENDING;
}

/* Waits until Ready is True for the current generation; prints the outcome. */
static int wait_ready(cli_ctx *c, const cli_kind *k, const char *ns, const char *name,
                      const char *label)
{
	cf_kube_ref ref = { k->api_version, k->kind, ns, name };
	int64_t deadline = cli_mono_ms() + c->timeout_ns / 1000000;
	json_t *obj = NULL;
	const char *rev;
	cf_kube *kube;
	int rc = CLI_EXIT_FAIL;

	if (cli_kube(c, &kube) < 0)
		return cli_fail_err(c, NULL);
	cli_waiting(c, "waiting for %s reconciliation", label);
	for (;;) {
		char *text = NULL;
		int state;

		json_decref(obj);
		obj = NULL;
		if (cf_kube_get(kube, &text, &ref) < 0)
			return cli_fail_err(c, NULL);
		obj = json_loads(text, 0, NULL);
		free(text);
		if ((state = ready_state(obj)) == READY)
			break;
		if (state == FAILED) {
			const char *msg = cli_json_str(cli_condition(obj, "Ready"), "message", NULL);
			cli_failure(c, "%s", msg ? msg : "not ready");
			goto done;
		}
		if (cli_mono_ms() >= deadline) {
			cli_failure(c, "timed out waiting for %s/%s/%s to become ready", k->kind, ns,
			            name);
			goto done;
		}
		cli_sleep_ns(c->poll_ns);
	}
	rev = k->revision(obj);
	if (strcmp(k->kind, "GitRepository") == 0) {
		cli_success(c, "%s reconciliation completed", label);
		if (!rev) {
			cli_failure(c, "%s reconciliation completed but no artifact was found", label);
			goto done;
		}
		cli_success(c, "fetched revision: %s", rev);
	} else {
		cli_success(c, "%s %s is ready", k->kind, name);
		cli_success(c, "applied revision %s", rev ? rev : "");
	}
	rc = CLI_EXIT_OK;
done:
	json_decref(obj);
	return rc;
}

int cli_apply(cli_ctx *c, json_t *obj, const char *label)
{
	const char *kind = cli_json_str(obj, "kind", NULL);
	const char *ns = cli_json_str(obj, "metadata", "namespace", NULL);
	const char *name = cli_json_str(obj, "metadata", "name", NULL);
	const cli_kind *k = cli_kind_by_name(kind);
	cf_kube_ref ref = { k->api_version, k->kind, ns, name };
	cf_kube_write_opts wo = { .field_manager = FIELD_MANAGER, .force = 1 };
	char *body = NULL, *existing = NULL;
	cf_kube *kube;
	int err, created;

	if (cli_kube(c, &kube) < 0)
		return cli_fail_err(c, NULL);
	cli_action(c, "applying %s", label);
	err = cf_kube_get(kube, &existing, &ref);
	free(existing);
	if (err < 0 && err != CF_ENOTFOUND)
		return cli_fail_err(c, NULL);
	created = err == CF_ENOTFOUND;
	if (!(body = json_dumps(obj, JSON_COMPACT)))
		return CLI_EXIT_FAIL;
	err = cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &wo);
	free(body);
	if (err < 0)
		return cli_fail_err(c, NULL);
	cli_success(c, "%s %s", label, created ? "created" : "updated");
	return CLI_EXIT_OK;
}

int cli_wait_ready(cli_ctx *c, json_t *obj, const char *label)
{
	return wait_ready(c, cli_kind_by_name(cli_json_str(obj, "kind", NULL)),
	                  cli_json_str(obj, "metadata", "namespace", NULL),
	                  cli_json_str(obj, "metadata", "name", NULL), label);
}

int cli_apply_and_wait(cli_ctx *c, json_t *obj, const char *label)
{
	int rc = cli_apply(c, obj, label);

	return rc != CLI_EXIT_OK ? rc : cli_wait_ready(c, obj, label);
}

/* ---- the commands -------------------------------------------------------------------------- */

static int create_git(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	cli_git_args a = { .interval_ns = 60 * CF_SECOND };
	int export_ = 0, nargs, rc;
	cli_flag flags[] = {
		{ "url", 0, CLI_FLAG_STR, &a.url, "git address, e.g. ssh://git@host/org/repository" },
		{ "branch", 0, CLI_FLAG_STR, &a.branch, "git branch" },
		{ "tag", 0, CLI_FLAG_STR, &a.tag, "git tag" },
		{ "tag-semver", 0, CLI_FLAG_STR, &a.semver, "git tag semver range" },
		{ "semver", 0, CLI_FLAG_STR, &a.semver, "git tag semver range (same as --tag-semver)" },
		{ "commit", 0, CLI_FLAG_STR, &a.commit, "git commit" },
		{ "secret-ref", 0, CLI_FLAG_STR, &a.secret_ref,
		  "the name of an existing secret containing SSH or basic credentials" },
		{ "interval", 0, CLI_FLAG_DURATION, &a.interval_ns, "source sync interval (default 1m0s)" },
		{ "export", 0, CLI_FLAG_BOOL, &export_, "export in YAML format to stdout" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	json_t *obj = NULL;

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
	} else if (nargs != 1) {
		rc = cli_usage(c, NULL, "GitRepository source name is required");
	} else if (cli_git_repository(&obj, &a, c->namespace_, args[0]) < 0) {
		rc = cli_fail_err(c, NULL);
	} else if (export_) {
		rc = cli_print_export(c, obj) < 0 ? cli_fail_err(c, NULL) : CLI_EXIT_OK;
	} else {
		cli_generate(c, "generating GitRepository source");
		rc = cli_apply_and_wait(c, obj, "GitRepository source");
	}
	json_decref(obj);
	free(args);
	return rc;
}

static int create_ks(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	cli_ks_args a = { .interval_ns = 60 * CF_SECOND, .path = "./" };
	int export_ = 0, nargs, rc;
	cli_flag flags[] = {
		{ "source", 0, CLI_FLAG_STR, &a.source,
		  "source that contains the Kubernetes manifests in the format "
		  "'[<kind>/]<name>.<namespace>', where kind must be one of: (GitRepository, "
		  "OCIRepository, Bucket), if kind is not specified it defaults to GitRepository" },
		{ "path", 0, CLI_FLAG_STR, &a.path,
		  "path to the directory containing a kustomization.yaml file (default \"./\")" },
		{ "prune", 0, CLI_FLAG_BOOL, &a.prune, "enable garbage collection" },
		{ "depends-on", 0, CLI_FLAG_SLICE, &a.depends_on,
		  "Kustomization that must be ready before this Kustomization can be applied, "
		  "supported formats '<name>' and '<namespace>/<name>'" },
		{ "target-namespace", 0, CLI_FLAG_STR, &a.target_namespace,
		  "overrides the namespace of all Kustomization objects reconciled by this "
		  "Kustomization" },
		{ "decryption-provider", 0, CLI_FLAG_STR, &a.decryption_provider,
		  "decryption provider, available options are: (sops)" },
		{ "decryption-secret", 0, CLI_FLAG_STR, &a.decryption_secret,
		  "set the Kubernetes secret name that contains the keys used for sops decryption" },
		{ "interval", 0, CLI_FLAG_DURATION, &a.interval_ns,
		  "source sync interval (default 1m0s)" },
		{ "export", 0, CLI_FLAG_BOOL, &export_, "export in YAML format to stdout" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	json_t *obj = NULL;

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK) {
		rc = cli_parse_exit(rc);
	} else if (nargs != 1) {
		rc = cli_usage(c, NULL, "Kustomization name is required");
	} else if (cli_kustomization(&obj, &a, c->namespace_, args[0]) < 0) {
		rc = cli_fail_err(c, NULL);
	} else if (export_) {
		rc = cli_print_export(c, obj) < 0 ? cli_fail_err(c, NULL) : CLI_EXIT_OK;
	} else {
		cli_generate(c, "generating Kustomization");
		rc = cli_apply_and_wait(c, obj, "Kustomization");
	}
	json_decref(obj);
	cli_strv_free(&a.depends_on);
	free(args);
	return rc;
}

static const cli_command source_table[] = {
	{ "git", NULL, "Create or update a GitRepository source", create_git, NULL,
	  "Usage:\n  cflux create source git NAME --url=URL --branch|--tag|--tag-semver|--commit=REF "
	  "[--secret-ref=NAME] [--interval=1m] [--export] [flags]\n" },
	{ 0 },
};

static const char *const ks_aliases[] = { "ks", NULL };

const cli_command cli_create_table[] = {
	{ "source", NULL, "Create or update sources", NULL, source_table, NULL },
	{ "kustomization", ks_aliases, "Create or update a Kustomization resource", create_ks, NULL,
	  "Usage:\n  cflux create kustomization NAME --source=[<kind>/]<name>[.<namespace>] "
	  "[--path=./dir] [--prune] [--depends-on=...] [--target-namespace=NS] [--interval=1m] "
	  "[--export] [flags]\n" },
	{ "config", NULL, "Create or update a Flux configuration (a GitRepository and its "
	  "Kustomizations)", cli_configs_create_run, NULL,
	  "Creates one GitRepository named NAME and one Kustomization named NAME-<kname> per\n"
	  "--kustomization, all in --namespace, as Azure's Flux configurations name them; with\n"
	  "--as-object, one FluxConfig that fluxconfig-controller turns into those objects.\n\n"
	  "Usage:\n  cflux create config NAME --url=URL --branch|--tag|--tag-semver|--commit=REF\n"
	  "    --kustomization name=K,path=./dir,prune=true,depends-on=A;B [--kustomization ...]\n"
	  "    [--secret-ref=NAME] [--interval=1m] [--as-object] [--export] [flags]\n" },
	{ 0 },
};
