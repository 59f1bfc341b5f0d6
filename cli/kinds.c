/* The Flux kinds the command line reads and changes, as one table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *artifact_revision(json_t *obj)
{
	return cli_json_str(obj, "status", "artifact", "revision", NULL);
}

static const char *kustomization_revision(json_t *obj)
{
	return cli_json_str(obj, "status", "lastAppliedRevision", NULL);
}

/* helm-controller v2 keeps releases newest first in status.history. */
static const char *helmrelease_revision(json_t *obj)
{
	json_t *history = json_object_get(json_object_get(obj, "status"), "history");
	const char *v = cli_json_str(json_array_get(history, 0), "chartVersion", NULL);

	return v ? v : cli_json_str(obj, "status", "lastAttemptedRevision", NULL);
}

static void fetched(char *buf, size_t size, json_t *obj)
{
	const char *rev = artifact_revision(obj);

	snprintf(buf, size, "fetched revision %s", rev ? rev : "");
}

static void pulled_chart(char *buf, size_t size, json_t *obj)
{
	const char *chart = cli_json_str(obj, "spec", "chart", NULL);
	const char *rev = artifact_revision(obj);

	snprintf(buf, size, "pulled '%s' chart with version '%s'", chart ? chart : "",
	         rev ? rev : "");
}

static void applied(char *buf, size_t size, json_t *obj)
{
	const char *rev = kustomization_revision(obj);

	snprintf(buf, size, "applied revision %s", rev ? rev : "");
}

/* The latest release's chart version, else what helm-controller is still working on. */
static void released(char *buf, size_t size, json_t *obj)
{
	json_t *history = json_object_get(json_object_get(obj, "status"), "history");
	const char *v = cli_json_str(json_array_get(history, 0), "chartVersion", NULL);
	const char *attempted = cli_json_str(obj, "status", "lastAttemptedRevision", NULL);
	const char *applied_rev = cli_json_str(obj, "status", "lastAppliedRevision", NULL);

	if (applied_rev && *applied_rev)
		snprintf(buf, size, "applied revision %s", applied_rev); /* older controllers */
	else if (v)
		snprintf(buf, size, "applied revision %s", v);
	else if (attempted)
		snprintf(buf, size, "reconciliation in progress for revision %s", attempted);
	else
		snprintf(buf, size, "reconciliation in progress");
}

const cli_kind cli_kinds[] = {
	{ "source git", "GitRepository", "source.toolkit.fluxcd.io/v1", artifact_revision, fetched },
	{ "source helm", "HelmRepository", "source.toolkit.fluxcd.io/v1", artifact_revision, fetched },
	{ "source oci", "OCIRepository", "source.toolkit.fluxcd.io/v1", artifact_revision, fetched },
	{ "source bucket", "Bucket", "source.toolkit.fluxcd.io/v1", artifact_revision, fetched },
	{ "source chart", "HelmChart", "source.toolkit.fluxcd.io/v1", artifact_revision,
	  pulled_chart },
	{ "kustomization", "Kustomization", "kustomize.toolkit.fluxcd.io/v1", kustomization_revision,
	  applied },
	{ "helmrelease", "HelmRelease", "helm.toolkit.fluxcd.io/v2", helmrelease_revision,
	  released },
	{ 0 },
};

const cli_kind *cli_kind_by_name(const char *kind)
{
	for (const cli_kind *k = cli_kinds; k->kind; k++)
		if (strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}
