/* The top of the command tree: every command group of cflux, one row each. */
#include "cli.h"

static const char *const build_aliases[] = { "b", NULL };

static const cli_command root_table[] = {
	{ "build", build_aliases, "Build a kustomization directory offline", NULL, cli_build_table,
	  NULL },
	{ "template", NULL, "Render a Helm chart's templates locally", cli_template_run, NULL,
	  "Usage:\n  cflux template RELEASE CHART [-f values.yaml]... [--set k=v]... "
	  "[--include-crds] [flags]\n" },
	{ "install", NULL, "Install or upgrade cflux's controllers, CRDs and RBAC", cli_install_run,
	  NULL,
	  "Builds the install set (a kustomization directory, manifests/ of the source tree unless\n"
	  "--manifests or $CFLUX_MANIFESTS names another), moves it to --namespace, applies it with\n"
	  "server-side apply as field manager cflux and waits for the Deployments.\n\n"
	  "Usage:\n  cflux install [--export] [--wait=false] [--manifests DIR] [-n NAMESPACE] "
	  "[flags]\n" },
	{ "get", NULL, "Get the resources and their status", NULL, cli_get_table, NULL },
	{ "reconcile", NULL, "Reconcile sources and resources", NULL, cli_reconcile_table, NULL },
	{ "suspend", NULL, "Suspend resources", NULL, cli_suspend_table, NULL },
	{ "resume", NULL, "Resume suspended resources", NULL, cli_resume_table, NULL },
	{ "create", NULL, "Create or update sources and resources", NULL, cli_create_table, NULL },
	{ "events", NULL, "Display Kubernetes events for Flux resources", cli_events_run, NULL,
	  "Usage:\n  cflux events [--for Kind/name] [-A] [flags]\n" },
	{ "tree", NULL, "Print the resources reconciled by Flux", NULL, cli_tree_table, NULL },
	{ "version", NULL, "Print the client version", cli_version_run, NULL,
	  "Usage:\n  cflux version [flags]\n" },
	{ 0 },
};

const cli_command cli_root = {
	"cflux", NULL, "Command line for the cflux GitOps toolkit (Flux v2 compatible)", NULL,
	root_table, NULL,
};
