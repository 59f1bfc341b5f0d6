/*
 * `cflux install`: the install set in manifests/ built with the kustomize engine, moved to
 * --namespace, then server-side applied (or printed with --export) and its Deployments waited for,
 * as `flux install` does with Flux's manifests.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cf/kustomize.h"
#include "cli.h"

/* Where the manifests are read from when neither --manifests nor $CFLUX_MANIFESTS says. */
#ifndef CFLUX_MANIFESTS_DIR
#define CFLUX_MANIFESTS_DIR "/usr/share/cflux/manifests"
#endif

/* The namespace manifests/kustomization.yaml installs into; --namespace replaces it. */
#define HOME_NS "flux-system"
#define FIELD_MANAGER "cflux"

typedef struct {
	const char *manifests;
	int export_;
	int wait;
} install_opts;

/* Sets the string under key in map to to when it equals HOME_NS. */
static int move_str(cf_doc *map, const char *key, const char *to)
{
	const char *v = cf_doc_get_str(map, key);

	return v && strcmp(v, HOME_NS) == 0 ? cf_doc_map_set_str(map, key, to) : 0;
}

/*
 * Moves one object from HOME_NS to ns: its namespace, the Namespace itself, Flux's instance label
 * and the service-account subjects of bindings. Arguments name the namespace through
 * $(RUNTIME_NAMESPACE), so nothing else mentions it.
 */
static int retarget(cf_doc *obj, const char *ns)
{
	cf_doc *meta = cf_doc_get(obj, "metadata"), *subjects = cf_doc_get(obj, "subjects");
	const char *kind = cf_doc_get_str(obj, "kind");
	int err = 0;

	if (!meta)
		return 0;
	if (kind && strcmp(kind, "Namespace") == 0)
		err = move_str(meta, "name", ns);
	if (err == 0)
		err = move_str(meta, "namespace", ns);
	if (err == 0 && cf_doc_get(meta, "labels"))
		err = move_str(cf_doc_get(meta, "labels"), "app.kubernetes.io/instance", ns);
	for (size_t i = 0; err == 0 && i < cf_doc_len(subjects); i++)
		err = move_str(cf_doc_item(subjects, i), "namespace", ns);
	return err;
}

/* 1 when name is an RFC 1123 label, as Kubernetes wants a namespace name. */
static int dns_label(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			return 0;
	return 1;
}

/* Builds the install set for namespace ns into *out (a sequence of objects). */
static int build(cf_doc **out, const char *dir, const char *ns)
{
	cf_doc *list = NULL;
	int err;

	if ((err = cf_kustomize_build(&list, dir, NULL)) < 0)
		return cf_error_wrap(err, "building %s: ", dir);
	if (strcmp(ns, HOME_NS) != 0)
		for (size_t i = 0; err == 0 && i < cf_doc_len(list); i++)
			err = retarget(cf_doc_item(list, i), ns);
	if (err < 0) {
		cf_doc_free(list);
		return err;
	}
	*out = list;
	return 0;
}

/* "Kind/name" or "Kind/namespace/name", as flux prints an object in a change set. */
static void subject(char *buf, size_t size, json_t *obj)
{
	const char *ns = cli_json_str(obj, "metadata", "namespace", NULL);

	if (ns)
		snprintf(buf, size, "%s/%s/%s", cli_json_str(obj, "kind", NULL), ns,
		         cli_json_str(obj, "metadata", "name", NULL));
	else
		snprintf(buf, size, "%s/%s", cli_json_str(obj, "kind", NULL),
		         cli_json_str(obj, "metadata", "name", NULL));
}

/* The object's metadata.resourceVersion in a server answer, copied to buf ("" when none). */
static void resource_version(char *buf, size_t size, const char *answer)
{
	json_t *obj = answer ? json_loads(answer, 0, NULL) : NULL;
	const char *rv = cli_json_str(obj, "metadata", "resourceVersion", NULL);

	snprintf(buf, size, "%s", rv ? rv : "");
	json_decref(obj);
}

/* Applies one object and prints "<subject> created|configured|unchanged" on stdout. */
static int apply_one(cli_ctx *c, cf_kube *kube, const cf_doc *doc)
{
	cf_kube_write_opts wo = { .field_manager = FIELD_MANAGER, .force = 1 };
	char *body = NULL, *before = NULL, *after = NULL, name[768], rv0[64], rv1[64];
	json_t *obj = NULL;
	size_t len;
	int err;

	if ((err = cf_doc_emit_json(&body, &len, doc, NULL)) < 0)
		return err;
	if (!(obj = json_loadb(body, len, 0, NULL)) || !cli_json_str(obj, "kind", NULL) ||
	    !cli_json_str(obj, "metadata", "name", NULL)) {
		err = cf_error_set(CF_EINVALID, "an object of the install set has no kind or name");
		goto done;
	}
	subject(name, sizeof(name), obj);
	err = cf_kube_get(kube, &before, &(cf_kube_ref){ cli_json_str(obj, "apiVersion", NULL),
	                                                 cli_json_str(obj, "kind", NULL),
	                                                 cli_json_str(obj, "metadata", "namespace", NULL),
	                                                 cli_json_str(obj, "metadata", "name", NULL) });
	if (err < 0 && err != CF_ENOTFOUND)
		goto done;
	resource_version(rv0, sizeof(rv0), err == 0 ? before : NULL);
	if ((err = cf_kube_patch(kube, &after, NULL, CF_KUBE_PATCH_APPLY, body, &wo)) < 0) {
		err = cf_error_wrap(err, "%s: ", name);
		goto done;
	}
	resource_version(rv1, sizeof(rv1), after);
	fprintf(c->out, "%s %s\n", name,
	        !*rv0 ? "created" : strcmp(rv0, rv1) == 0 ? "unchanged" : "configured");
done:
	json_decref(obj);
	free(body);
	free(before);
	free(after);
	return err;
}

/* 1 when a Deployment has rolled out: observed, updated and available for every replica. */
static int deployment_ready(json_t *d)
{
	json_t *spec = json_object_get(d, "spec"), *st = json_object_get(d, "status");
	json_int_t want = json_is_integer(json_object_get(spec, "replicas"))
		? json_integer_value(json_object_get(spec, "replicas")) : 1;
	json_int_t gen = json_integer_value(json_object_get(json_object_get(d, "metadata"),
	                                                    "generation"));

	return json_integer_value(json_object_get(st, "observedGeneration")) >= gen &&
	       json_integer_value(json_object_get(st, "updatedReplicas")) >= want &&
	       json_integer_value(json_object_get(st, "availableReplicas")) >= want;
}

/* Waits for every Deployment of the set, in order, within --timeout. */
static int wait_deployments(cli_ctx *c, cf_kube *kube, const cf_doc *list)
{
	int64_t deadline = cli_mono_ms() + c->timeout_ns / 1000000;

	cli_waiting(c, "verifying installation");
	for (size_t i = 0; i < cf_doc_len(list); i++) {
		const cf_doc *d = cf_doc_item(list, i);
		const char *kind = cf_doc_get_str(d, "kind");
		cf_kube_ref ref = { "apps/v1", "Deployment",
			            cf_doc_get_str(cf_doc_get(d, "metadata"), "namespace"),
			            cf_doc_get_str(cf_doc_get(d, "metadata"), "name") };

		if (!kind || strcmp(kind, "Deployment") != 0 || !ref.name)
			continue;
		for (;;) {
			char *text = NULL;
			json_t *obj;
			int ready;

			if (cf_kube_get(kube, &text, &ref) < 0)
				return cli_fail_err(c, NULL);
			obj = json_loads(text, 0, NULL);
			free(text);
			ready = deployment_ready(obj);
			json_decref(obj);
			if (ready)
				break;
			if (cli_mono_ms() >= deadline) {
				cli_failure(c, "%s: deployment not ready within the timeout "
				            "(--timeout, or --wait=false not to wait)", ref.name);
				return CLI_EXIT_FAIL;
			}
			cli_sleep_ns(c->poll_ns);
		}
		cli_success(c, "%s: deployment ready", ref.name);
	}
	return CLI_EXIT_OK;
}

static int install(cli_ctx *c, const install_opts *o)
{
	cf_doc *list = NULL;
	char *yaml = NULL;
	cf_kube *kube;
	int rc = CLI_EXIT_FAIL;

	if (!o->export_)
		cli_generate(c, "generating manifests from %s", o->manifests);
	if (build(&list, o->manifests, c->namespace_) < 0) {
		rc = cli_fail_err(c, NULL);
		goto done;
	}
	if (o->export_) {
		if (cf_kustomize_emit(&yaml, list) < 0) {
			rc = cli_fail_err(c, NULL);
			goto done;
		}
		fputs("---\n", c->out);
		fputs(yaml, c->out);
		rc = CLI_EXIT_OK;
		goto done;
	}
	cli_success(c, "manifests build completed");
	if (cli_kube(c, &kube) < 0) {
		rc = cli_fail_err(c, NULL);
		goto done;
	}
	cli_action(c, "installing components in %s namespace", c->namespace_);
	/* kustomize's order puts Namespaces and CRDs first, Deployments last. */
	for (size_t i = 0; i < cf_doc_len(list); i++)
		if (apply_one(c, kube, cf_doc_item(list, i)) < 0) {
			rc = cli_fail_err(c, NULL);
			goto done;
		}
	fflush(c->out);
	cli_success(c, "install completed");
	if (o->wait && (rc = wait_deployments(c, kube, list)) != CLI_EXIT_OK)
		goto done;
	cli_success(c, "install finished");
	rc = CLI_EXIT_OK;
done:
	free(yaml);
	cf_doc_free(list);
	return rc;
}

int cli_install_run(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	const char *env = getenv("CFLUX_MANIFESTS");
	install_opts o = { env && *env ? env : CFLUX_MANIFESTS_DIR, 0, 1 };
	cli_flag flags[] = {
		{ "export", 0, CLI_FLAG_BOOL, &o.export_,
		  "write the install manifests to stdout and exit" },
		{ "wait", 0, CLI_FLAG_BOOL, &o.wait,
		  "wait for the controllers' Deployments to be ready (default true)" },
		{ "manifests", 0, CLI_FLAG_STR, &o.manifests,
		  "the install set to build: a kustomization directory (default $CFLUX_MANIFESTS, "
		  "else " CFLUX_MANIFESTS_DIR ")" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int nargs, rc;

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK)
		rc = cli_parse_exit(rc);
	else if (nargs != 0)
		rc = cli_usage(c, NULL, "install takes no arguments, received %d", nargs);
	else if (!*o.manifests)
		rc = cli_usage(c, NULL, "--manifests must not be empty");
	else if (!dns_label(c->namespace_))
		rc = cli_usage(c, NULL, "namespace '%s' is not a valid name (lower case letters, "
		               "digits and '-', at most 63)", c->namespace_);
	else
		rc = install(c, &o);
	free(args);
	return rc;
}
