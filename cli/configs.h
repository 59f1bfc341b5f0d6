/* FluxConfig objects from the command line: `create config --as-object` and `get configs`. */
#ifndef CFLUX_CONFIGS_H
#define CFLUX_CONFIGS_H

#include "cli.h"

/*
 * `create config`: with --as-object, builds one FluxConfig (config.cflux.io/v1) from the same
 * flags and applies it (or prints it with --export), then waits for its complianceState;
 * without it, hands over to cli_create_config_run (separate objects).
 */
int cli_configs_create_run(cli_ctx *c, const cli_command *self, int argc, char **argv);

/* `get configs [name]`: NAME, COMPLIANCE, REVISION, SUSPENDED, MESSAGE (-A adds NAMESPACE). */
int cli_configs_get_run(cli_ctx *c, const cli_command *self, int argc, char **argv);

/*
 * The FluxConfig for a name, git flags and --kustomization values ("name=K,path=..,prune=..,
 * depends-on=A;B,interval=.."). *out is a new object (caller json_decref). CF_EINVALID with a
 * message.
 */
int cli_configs_build(json_t **out, const char *ns, const char *name, const char *url, const char *branch,
                      const char *tag, const char *semver, const char *commit, const char *secret_ref,
                      int64_t interval_ns, const cli_strv *kustomizations);

#endif
