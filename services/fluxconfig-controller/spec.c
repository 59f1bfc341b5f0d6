/* Translates a FluxConfig's Azure-shaped spec into the GitRepository and Kustomizations it stands for. */
#include "fc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cf/error.h"

/* Azure's defaults for syncIntervalInSeconds and timeoutInSeconds. */
#define DEFAULT_SECONDS 600
/* A year: larger values are typos, and stay far from int64 nanosecond overflow. */
#define MAX_SECONDS (366LL * 24 * 3600)
#define MAX_KUSTOMIZATIONS 256

static const char *const ref_keys[] = {"branch", "tag", "semver", "commit", NULL};

const char *fc_spec_namespace(const json_t *config)
{
	const char *ns = cf_object_str(config, "spec.namespace");

	return ns && *ns ? ns : cf_object_str(config, "metadata.namespace");
}

/* Kubernetes name rules (RFC 1123 subdomain), so a bad key fails here, not at the API server. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	return 1;
}

/* An *InSeconds field as a Go duration into buf; dflt when absent (0: leave out, *buf = ""). */
static int seconds_field(char *buf, size_t size, const json_t *parent, const char *key, json_int_t dflt,
			 const char *where)
{
	json_t *v = json_object_get(parent, key);
	json_int_t s = dflt;

	buf[0] = '\0';
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > MAX_SECONDS)
			return cf_error_set(CF_EINVALID, "%s.%s must be a whole number of seconds between 1 and %lld",
					    where, key, MAX_SECONDS);
		s = json_integer_value(v);
	}
	if (s > 0)
		cf_duration_format(buf, size, (int64_t)s * CF_SECOND);
	return 0;
}

static int set_seconds(json_t *spec, const char *to, const json_t *from, const char *key, json_int_t dflt,
		       const char *where)
{
	char d[64];
	int err;

	if ((err = seconds_field(d, sizeof(d), from, key, dflt, where)) < 0)
		return err;
	if (*d)
		json_object_set_new(spec, to, json_string(d));
	return 0;
}

/* apiVersion, kind, metadata (name, namespace, labels, owner) and an empty spec. */
static json_t *new_child(const json_t *config, const char *api, const char *kind, const char *name)
{
	const char *ns = fc_spec_namespace(config), *uid = cf_object_str(config, "metadata.uid");
	const char *cns = cf_object_str(config, "metadata.namespace"), *cname = cf_object_str(config, "metadata.name");
	json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{}}", "apiVersion", api, "kind", kind, "metadata",
				"name", name, "namespace", ns, "labels", FC_LABEL_NAME, cname, FC_LABEL_NAMESPACE, cns,
				"spec");

	/* Owner references cannot cross namespaces; there the labels and the finalizer do the work. */
	if (obj && uid && strcmp(ns, cns) == 0)
		json_object_set_new(json_object_get(obj, "metadata"), "ownerReferences",
				    json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion", FC_API_VERSION, "kind", FC_KIND,
					      "name", cname, "uid", uid, "controller", 1, "blockOwnerDeletion", 1));
	return obj;
}

static int git_ref(json_t **out, const json_t *git)
{
	json_t *from = json_object_get(git, "repositoryRef"), *ref = json_object();

	for (const char *const *k = ref_keys; *k; k++) {
		json_t *v = json_object_get(from, *k);
		if (json_is_string(v) && *json_string_value(v))
			json_object_set(ref, *k, v);
	}
	if (!json_object_size(ref)) {
		json_decref(ref);
		return cf_error_set(CF_EINVALID, "spec.gitRepository.repositoryRef needs one of branch, tag, semver or commit");
	}
	*out = ref;
	return 0;
}

static int git_repository(json_t **out, const json_t *config, const char *secret_ref)
{
	const json_t *git = json_object_get(json_object_get(config, "spec"), "gitRepository");
	const char *url = cf_object_str(git, "url");
	json_t *obj = NULL, *spec, *ref = NULL;
	int err;

	if (!json_is_object(git))
		return cf_error_set(CF_EINVALID, "spec.gitRepository is required for sourceKind GitRepository");
	if (!url || !*url)
		return cf_error_set(CF_EINVALID, "spec.gitRepository.url is required");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 && strncmp(url, "ssh://", 6) != 0)
		return cf_error_set(CF_EINVALID, "spec.gitRepository.url '%s': the scheme must be http, https or ssh", url);
	if ((err = git_ref(&ref, git)) < 0)
		return err;
	if (!(obj = new_child(config, FC_SOURCE_API, "GitRepository", cf_object_str(config, "metadata.name")))) {
		json_decref(ref);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	spec = json_object_get(obj, "spec");
	json_object_set_new(spec, "url", json_string(url));
	json_object_set_new(spec, "ref", ref);
	if ((err = set_seconds(spec, "interval", git, "syncIntervalInSeconds", DEFAULT_SECONDS, "spec.gitRepository")) < 0 ||
	    (err = set_seconds(spec, "timeout", git, "timeoutInSeconds", DEFAULT_SECONDS, "spec.gitRepository")) < 0) {
		json_decref(obj);
		return err;
	}
	if (secret_ref && *secret_ref)
		json_object_set_new(spec, "secretRef", json_pack("{s:s}", "name", secret_ref));
	*out = obj;
	return 0;
}

/* dependsOn as Azure takes it: names (2022-03 on) or {kustomizationName} (older API versions). */
static int depends_on(json_t *spec, const json_t *config, const json_t *entry, const char *key)
{
	json_t *deps = json_object_get(entry, "dependsOn"), *d, *out;
	json_t *all = json_object_get(json_object_get(config, "spec"), "kustomizations");
	char name[600];
	size_t i;

	if (!deps || json_is_null(deps))
		return 0;
	if (!json_is_array(deps))
		return cf_error_set(CF_EINVALID, "spec.kustomizations.%s.dependsOn must be a list", key);
	out = json_array();
	json_array_foreach(deps, i, d) {
		const char *dep = json_is_string(d) ? json_string_value(d) : cf_object_str(d, "kustomizationName");
		if (!dep || !json_object_get(all, dep) || strcmp(dep, key) == 0) {
			json_decref(out);
			return cf_error_set(CF_EINVALID, "spec.kustomizations.%s.dependsOn: '%s' is not another kustomization "
					    "of this configuration", key, dep ? dep : "");
		}
		snprintf(name, sizeof(name), "%s-%s", cf_object_str(config, "metadata.name"), dep);
		json_array_append_new(out, json_pack("{s:s}", "name", name));
	}
	json_object_set_new(spec, "dependsOn", out);
	return 0;
}

/* A boolean field with Azure's default. */
static int flag(const json_t *entry, const char *key, int dflt)
{
	json_t *v = json_object_get(entry, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static int post_build(json_t *spec, const json_t *entry, const char *key)
{
	json_t *pb = json_object_get(entry, "postBuild"), *out = json_object(), *v;

	if (!pb || json_is_null(pb)) {
		json_decref(out);
		return 0;
	}
	if (!json_is_object(pb)) {
		json_decref(out);
		return cf_error_set(CF_EINVALID, "spec.kustomizations.%s.postBuild must be an object", key);
	}
	if ((v = json_object_get(pb, "substitute")) && json_is_object(v))
		json_object_set(out, "substitute", v);
	if ((v = json_object_get(pb, "substituteFrom")) && json_is_array(v))
		json_object_set(out, "substituteFrom", v);
	if (json_object_size(out))
		json_object_set_new(spec, "postBuild", out);
	else
		json_decref(out);
	return 0;
}

static int kustomization(json_t **out, const json_t *config, const char *key, const json_t *entry)
{
	const char *cname = cf_object_str(config, "metadata.name"), *path = cf_object_str(entry, "path");
	const char *scope = cf_object_str(config, "spec.scope");
	char name[600], where[400];
	json_t *obj, *spec;
	int err;

	snprintf(name, sizeof(name), "%s-%s", cname, key);
	snprintf(where, sizeof(where), "spec.kustomizations.%s", key);
	if (!valid_name(key) || !valid_name(name))
		return cf_error_set(CF_EINVALID, "%s: '%s' is not a valid name (lower case letters, digits, '-', '.')",
				    where, name);
	if (!json_is_object(entry))
		return cf_error_set(CF_EINVALID, "%s must be an object", where);
	if (!(obj = new_child(config, FC_KS_API, "Kustomization", name)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	spec = json_object_get(obj, "spec");
	json_object_set_new(spec, "sourceRef", json_pack("{s:s,s:s}", "kind", "GitRepository", "name", cname));
	json_object_set_new(spec, "path", json_string(path && *path ? path : "./"));
	json_object_set_new(spec, "prune", json_boolean(flag(entry, "prune", 0)));
	json_object_set_new(spec, "force", json_boolean(flag(entry, "force", 0)));
	json_object_set_new(spec, "wait", json_boolean(flag(entry, "wait", 1)));
	if (scope && strcmp(scope, "namespace") == 0)
		json_object_set_new(spec, "targetNamespace", json_string(fc_spec_namespace(config)));
	if ((err = set_seconds(spec, "interval", entry, "syncIntervalInSeconds", DEFAULT_SECONDS, where)) < 0 ||
	    (err = set_seconds(spec, "timeout", entry, "timeoutInSeconds", DEFAULT_SECONDS, where)) < 0 ||
	    (err = set_seconds(spec, "retryInterval", entry, "retryIntervalInSeconds", 0, where)) < 0 ||
	    (err = depends_on(spec, config, entry, key)) < 0 || (err = post_build(spec, entry, key)) < 0) {
		json_decref(obj);
		return err;
	}
	*out = obj;
	return 0;
}

static int check_top(const json_t *config)
{
	const char *kind = cf_object_str(config, "spec.sourceKind"), *scope = cf_object_str(config, "spec.scope");
	const json_t *ks = json_object_get(json_object_get(config, "spec"), "kustomizations");

	if (!cf_object_str(config, "metadata.name") || !cf_object_str(config, "metadata.namespace"))
		return cf_error_set(CF_EINVALID, "metadata.name and metadata.namespace are required");
	if (kind && strcmp(kind, "GitRepository") != 0)
		return cf_error_set(CF_EUNSUPPORTED, "spec.sourceKind '%s' is not supported: cflux configurations take "
				    "GitRepository only", kind);
	if (scope && strcmp(scope, "cluster") != 0 && strcmp(scope, "namespace") != 0)
		return cf_error_set(CF_EINVALID, "spec.scope must be cluster or namespace, not '%s'", scope);
	if (ks && !json_is_null(ks) && !json_is_object(ks))
		return cf_error_set(CF_EINVALID, "spec.kustomizations must be a map of name to kustomization");
	if (json_object_size(ks) > MAX_KUSTOMIZATIONS)
		return cf_error_set(CF_ELIMIT, "spec.kustomizations has more than %d entries", MAX_KUSTOMIZATIONS);
	if (!valid_name(fc_spec_namespace(config)))
		return cf_error_set(CF_EINVALID, "spec.namespace '%s' is not a valid namespace", fc_spec_namespace(config));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int fc_spec_desired(json_t **out, const json_t *config, const char *secret_ref)
{
	const json_t *ks = json_object_get(json_object_get(config, "spec"), "kustomizations");
	int suspend = json_is_true(json_object_get(json_object_get(config, "spec"), "suspend"));
	const char *keys[MAX_KUSTOMIZATIONS];
	json_t *objs = NULL, *obj = NULL, *v;
	size_t n = 0, i;
	const char *key;
	int err;

	if ((err = check_top(config)) < 0 || (err = git_repository(&obj, config, secret_ref)) < 0)
		return err;
	objs = json_array();
	json_array_append_new(objs, obj);
	json_object_foreach((json_t *)ks, key, v)
		keys[n++] = key;
	/* Sorted so the apply order, and so the test output, do not depend on hash order. */
	qsort(keys, n, sizeof(keys[0]), cmp_str);
	for (i = 0; i < n; i++) {
		if ((err = kustomization(&obj, config, keys[i], json_object_get(ks, keys[i]))) < 0) {
			json_decref(objs);
			return err;
		}
		json_array_append_new(objs, obj);
	}
	json_array_foreach(objs, i, obj)
		if (suspend)
			json_object_set_new(json_object_get(obj, "spec"), "suspend", json_true());
	*out = objs;
	return 0;
}
