/* The object builders behind `cflux create`, shared by its source, kustomization and config. */
#ifndef CFLUX_CREATE_H
#define CFLUX_CREATE_H

#include "cli.h"

/* Flags of `create source git`; NULL strings are unset. */
typedef struct {
	const char *url, *branch, *tag, *semver, *commit, *secret_ref;
	int64_t interval_ns;
} cli_git_args;

/* Flags of `create kustomization`. */
typedef struct {
	const char *source, *path, *target_namespace, *decryption_provider, *decryption_secret;
	int prune;
	cli_strv depends_on;
	int64_t interval_ns;
} cli_ks_args;

/* {"apiVersion", "kind", "metadata": {"name", "namespace"}, "spec": {}}, or NULL on OOM. */
json_t *cli_new_object(const char *api_version, const char *kind, const char *ns,
                       const char *name);

/* Sets spec.interval to Go's text for ns ("1m0s"). */
void cli_set_interval(json_t *spec, int64_t ns);

/* A GitRepository as `flux create source git` builds it. CF_EINVALID with flux's message. */
int cli_git_repository(json_t **out, const cli_git_args *a, const char *ns, const char *name);

/* A Kustomization as `flux create kustomization` builds it. CF_EINVALID with flux's message. */
int cli_kustomization(json_t **out, const cli_ks_args *a, const char *ns, const char *name);

/* Server-side applies obj as field manager "cflux" ("► applying <label>", "✔ <label> created"). */
int cli_apply(cli_ctx *c, json_t *obj, const char *label);

/* Waits until obj's Ready condition is True for its generation, as flux create does. */
int cli_wait_ready(cli_ctx *c, json_t *obj, const char *label);

/* cli_apply, then waits for Ready as flux create does. Returns the exit code. */
int cli_apply_and_wait(cli_ctx *c, json_t *obj, const char *label);

int cli_create_config_run(cli_ctx *c, const cli_command *self, int argc, char **argv);

#endif
