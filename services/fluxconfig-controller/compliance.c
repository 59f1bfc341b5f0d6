/* Azure's compliance view of Flux objects: a state per object, the statuses[] entries and their rollup. */
#include "fc.h"

#include <stdio.h>
#include <string.h>

/* Flux kinds worth reporting from an inventory, with the apiVersion to read them at. */
static const struct {
	const char *group, *kind, *api;
} flux_kinds[] = {
	{"helm.toolkit.fluxcd.io", "HelmRelease", FC_HR_API},
	{"kustomize.toolkit.fluxcd.io", "Kustomization", FC_KS_API},
	{"source.toolkit.fluxcd.io", "GitRepository", FC_SOURCE_API},
	{"source.toolkit.fluxcd.io", "HelmRepository", FC_SOURCE_API},
	{"source.toolkit.fluxcd.io", "OCIRepository", FC_SOURCE_API},
	{NULL},
};

static json_int_t generation_of(const json_t *obj)
{
	return json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Ready=False that is still moving: a first attempt in progress, or waiting on a dependency. */
static int failing_but_moving(const json_t *obj)
{
	const char *ready_reason = or_empty(cf_object_str(cf_cond_get(obj, CF_COND_READY), "reason"));
	const char *rec_reason = or_empty(cf_object_str(cf_cond_get(obj, CF_COND_RECONCILING), "reason"));

	if (strcmp(ready_reason, "DependencyNotReady") == 0)
		return 1;
	return cf_cond_has_status(obj, CF_COND_RECONCILING, "True") && !cf_cond_has_status(obj, CF_COND_STALLED, "True") &&
	       strcmp(rec_reason, CF_REASON_PROGRESSING_WITH_RETRY) != 0;
}

const char *fc_compliance_of(const json_t *obj)
{
	json_t *ready = cf_cond_get(obj, CF_COND_READY);
	const char *status = cf_object_str(ready, "status");
	json_t *og = json_object_get(ready, "observedGeneration");

	if (json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend")))
		return FC_SUSPENDED;
	/* A verdict about an older generation says nothing about what is asked now. */
	if (!status || (json_is_integer(og) && json_integer_value(og) < generation_of(obj)))
		return FC_PENDING;
	if (strcmp(status, "True") == 0)
		return cf_cond_has_status(obj, CF_COND_RECONCILING, "True") ? FC_PENDING : FC_COMPLIANT;
	if (strcmp(status, "False") == 0)
		return failing_but_moving(obj) ? FC_PENDING : FC_NON_COMPLIANT;
	return FC_PENDING;
}

static json_t *conditions_of(const json_t *obj)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions"), *out = json_array(), *c;
	static const char *const keep[] = {"type", "status", "reason", "message", "lastTransitionTime", NULL};
	size_t i;

	json_array_foreach(conds, i, c) {
		json_t *e = json_object();
		for (const char *const *k = keep; *k; k++)
			if (json_is_string(json_object_get(c, *k)))
				json_object_set(e, *k, json_object_get(c, *k));
		json_array_append_new(out, e);
	}
	return out;
}

/* Azure's helmReleaseProperties from helm-controller v2's status. */
static json_t *helm_properties(const json_t *hr)
{
	json_t *status = json_object_get(hr, "status");
	json_t *last = json_array_get(json_object_get(status, "history"), 0), *props = json_object();
	const char *chart = cf_object_str(hr, "status.helmChart"), *slash = chart ? strchr(chart, '/') : NULL;
	static const char *const counts[][2] = {
		{"failures", "failureCount"}, {"installFailures", "installFailureCount"},
		{"upgradeFailures", "upgradeFailureCount"},
	};

	if (json_is_integer(json_object_get(last, "version")))
		json_object_set(props, "lastRevisionApplied", json_object_get(last, "version"));
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		json_t *v = json_object_get(status, counts[i][0]);
		json_object_set_new(props, counts[i][1], json_integer(json_is_integer(v) ? json_integer_value(v) : 0));
	}
	if (slash)
		json_object_set_new(props, "helmChartRef", json_pack("{s:s#,s:s}", "namespace", chart, (int)(slash - chart),
								      "name", slash + 1));
	return props;
}

json_t *fc_compliance_entry(const json_t *obj, const char *applied_by_name, const char *applied_by_ns)
{
	const char *kind = cf_object_str(obj, "kind");
	json_t *e = json_pack("{s:s,s:s,s:s,s:s}", "name", or_empty(cf_object_str(obj, "metadata.name")), "namespace",
			      or_empty(cf_object_str(obj, "metadata.namespace")), "kind", or_empty(kind), "complianceState",
			      fc_compliance_of(obj));

	if (!e)
		return NULL;
	if (applied_by_name)
		json_object_set_new(e, "appliedBy", json_pack("{s:s,s:s}", "name", applied_by_name, "namespace",
							      or_empty(applied_by_ns)));
	json_object_set_new(e, "statusConditions", conditions_of(obj));
	if (kind && strcmp(kind, "HelmRelease") == 0)
		json_object_set_new(e, "helmReleaseProperties", helm_properties(obj));
	return e;
}

static const char *ready_reason(const json_t *entry)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(entry, "statusConditions"), i, c)
		if (strcmp(or_empty(cf_object_str(c, "type")), CF_COND_READY) == 0)
			return cf_object_str(c, "reason");
	return NULL;
}

void fc_compliance_source_gate(json_t *statuses)
{
	json_t *e, *source = NULL;
	size_t i;

	json_array_foreach(statuses, i, e)
		if (!source && strcmp(or_empty(cf_object_str(e, "kind")), "GitRepository") == 0 && !json_object_get(e, "appliedBy"))
			source = e;
	if (!source || strcmp(or_empty(cf_object_str(source, "complianceState")), FC_COMPLIANT) == 0)
		return;
	json_array_foreach(statuses, i, e)
		if (strcmp(or_empty(cf_object_str(e, "kind")), "Kustomization") == 0 && !json_object_get(e, "appliedBy") &&
		    strcmp(or_empty(cf_object_str(e, "complianceState")), FC_NON_COMPLIANT) == 0 &&
		    strcmp(or_empty(ready_reason(e)), "ArtifactFailed") == 0)
			json_object_set_new(e, "complianceState", json_string(FC_PENDING));
}

/* States ranked so that the worst one wins the rollup. */
enum { RANK_COMPLIANT, RANK_SUSPENDED, RANK_PENDING, RANK_NON_COMPLIANT };

static int rank(const char *state)
{
	static const char *const order[] = {FC_COMPLIANT, FC_SUSPENDED, FC_PENDING, FC_NON_COMPLIANT, NULL};

	for (int i = 0; order[i]; i++)
		if (state && strcmp(order[i], state) == 0)
			return i;
	return RANK_PENDING;
}

/* "<Kind>/<namespace>/<name>: <Ready message>" of a Non-Compliant entry. */
static void describe(char *buf, size_t size, const json_t *e)
{
	json_t *c, *conds = json_object_get(e, "statusConditions");
	const char *msg = NULL;
	size_t j;

	json_array_foreach(conds, j, c)
		if (strcmp(or_empty(cf_object_str(c, "type")), CF_COND_READY) == 0)
			msg = cf_object_str(c, "message");
	snprintf(buf, size, "%s/%s/%s: %s", or_empty(cf_object_str(e, "kind")), or_empty(cf_object_str(e, "namespace")),
		 or_empty(cf_object_str(e, "name")), msg ? msg : "not ready");
}

const char *fc_compliance_rollup(const json_t *statuses, int suspended, char *error, size_t size)
{
	int worst = RANK_COMPLIANT;
	json_t *e;
	size_t i;

	error[0] = '\0';
	if (suspended)
		return FC_SUSPENDED;
	if (!json_array_size(statuses))
		return FC_PENDING;
	json_array_foreach(statuses, i, e) {
		int r = rank(cf_object_str(e, "complianceState"));
		if (r == RANK_NON_COMPLIANT && !error[0])
			describe(error, size, e);
		if (r > worst)
			worst = r;
	}
	/* A suspended child of a running configuration has been taken out of its hands: Pending. */
	return worst == RANK_NON_COMPLIANT ? FC_NON_COMPLIANT : worst != RANK_COMPLIANT ? FC_PENDING : FC_COMPLIANT;
}

json_t *fc_compliance_inventory_refs(const json_t *ks, size_t limit)
{
	json_t *entries = json_object_get(json_object_get(json_object_get(ks, "status"), "inventory"), "entries");
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		/* The id is "<namespace>_<name>_<group>_<kind>"; none of these can hold '_'. */
		const char *id = cf_object_str(e, "id");
		char buf[1024], *parts[4], *p = buf;
		int n;

		if (json_array_size(out) >= limit || !id || strlen(id) >= sizeof(buf))
			continue;
		snprintf(buf, sizeof(buf), "%s", id);
		for (n = 0; n < 4 && p; n++) {
			parts[n] = p;
			if ((p = strchr(p, '_')) != NULL)
				*p++ = '\0';
		}
		if (n < 4 || p)
			continue;
		for (int k = 0; flux_kinds[k].kind; k++)
			if (strcmp(flux_kinds[k].group, parts[2]) == 0 && strcmp(flux_kinds[k].kind, parts[3]) == 0 &&
			    *parts[1])
				json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", flux_kinds[k].api,
								     "kind", parts[3], "namespace", parts[0], "name",
								     parts[1]));
	}
	return out;
}
