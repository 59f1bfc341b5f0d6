/*
 * Installs manifests/ on the real control plane with kubectl (client-side and server-side apply),
 * then checks what Flux users rely on: every CRD is Established with Flux's versions, short names
 * and printer columns; every sample object in samples/ (Flux documentation examples and the
 * reference setup, at every served version) is accepted under strict field validation and reads
 * back with no field pruned, at its own version and at the storage version; invalid objects are
 * rejected; and the controller Deployments and Services carry the documented security settings
 * and pass the "restricted" Pod Security profile.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "kubectl.h"

typedef struct {
	const char *crd;           /* <plural>.<group> */
	const char *kind;
	const char *storage;       /* storage version */
	const char *deprecated[3]; /* served, deprecated versions */
	const char *short_name;
} crd_case;

static const crd_case crds[] = {
	{"gitrepositories.source.toolkit.fluxcd.io", "GitRepository", "v1", {"v1beta1", "v1beta2"}, "gitrepo"},
	{"helmrepositories.source.toolkit.fluxcd.io", "HelmRepository", "v1", {"v1beta1", "v1beta2"}, "helmrepo"},
	{"helmcharts.source.toolkit.fluxcd.io", "HelmChart", "v1", {"v1beta1", "v1beta2"}, "hc"},
	{"ocirepositories.source.toolkit.fluxcd.io", "OCIRepository", "v1", {"v1beta2"}, "ocirepo"},
	{"buckets.source.toolkit.fluxcd.io", "Bucket", "v1", {"v1beta2"}, NULL},
	{"kustomizations.kustomize.toolkit.fluxcd.io", "Kustomization", "v1", {"v1beta1", "v1beta2"}, "ks"},
	{"helmreleases.helm.toolkit.fluxcd.io", "HelmRelease", "v2", {"v2beta1", "v2beta2"}, "hr"},
};

/* Objects that must be refused, and a fragment of the API server's reason. */
typedef struct {
	const char *what;
	const char *yaml;
	const char *reason;
} reject_case;

static const reject_case rejects[] = {
	{"git URL scheme",
	 "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: bad-url}\n"
	 "spec: {interval: 1m, url: 'ftp://example.com/repo'}\n",
	 "spec.url"},
	{"interval format",
	 "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: bad-interval}\n"
	 "spec: {interval: 5 minutes, url: 'https://example.com/repo'}\n",
	 "spec.interval"},
	{"prune is required",
	 "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: no-prune}\n"
	 "spec: {interval: 1m, sourceRef: {kind: GitRepository, name: x}}\n",
	 "spec.prune"},
	{"source kind enum",
	 "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: bad-kind}\n"
	 "spec: {interval: 1m, prune: true, sourceRef: {kind: HelmRepository, name: x}}\n",
	 "spec.sourceRef.kind"},
	{"chart XOR chartRef",
	 "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: both}\n"
	 "spec: {interval: 1m, chart: {spec: {chart: a, sourceRef: {kind: HelmRepository, name: r}}},"
	 " chartRef: {kind: OCIRepository, name: o}}\n",
	 "either chart or chartRef must be set"},
	{"bucket STS provider",
	 "apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: bad-sts}\n"
	 "spec: {interval: 1m, provider: gcp, bucketName: b, endpoint: e,"
	 " sts: {provider: aws, endpoint: 'https://sts.example.com'}}\n",
	 "STS configuration is only supported"},
	{"unknown field under strict validation",
	 "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: typo}\n"
	 "spec: {interval: 1m, url: 'https://example.com', intervall: 2m}\n",
	 "intervall"},
};

typedef struct {
	const char *name;
	int has_storage_port; /* source-controller serves artifacts on 9090 */
} controller_case;

static const controller_case controllers[] = {
	{"source-controller", 1},
	{"kustomize-controller", 0},
	{"helm-controller", 0},
};

static const char *kubeconfig;
static char ns[80];

/* json_string_value that never returns NULL, for comparisons. */
static const char *str(const json_t *j)
{
	const char *s = json_string_value(j);

	return s ? s : "";
}

static void need_cluster(void)
{
	if (!kubeconfig)
		skip();
}

/* Runs kubectl with a NULL-terminated argument list; returns the result (caller frees). */
static kubectl_result run(const char *input, ...)
{
	const char *args[64];
	kubectl_result r;
	va_list ap;
	int n = 0;

	va_start(ap, input);
	while (n < 63 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	if (kubectl_run(&r, kubeconfig, input, args) < 0)
		fail_msg("kubectl could not be started");
	return r;
}

static void expect_ok(kubectl_result *r, const char *what)
{
	if (r->status != 0)
		fail_msg("%s: kubectl exited %d: %s", what, r->status, r->err);
}

static const crd_case *crd_for_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(crds) / sizeof(crds[0]); i++)
		if (strcmp(crds[i].kind, kind) == 0)
			return &crds[i];
	return NULL;
}

static int is_deprecated(const crd_case *c, const char *version)
{
	for (int i = 0; i < 3 && c->deprecated[i]; i++)
		if (strcmp(c->deprecated[i], version) == 0)
			return 1;
	return 0;
}

static int setup(void **state)
{
	kubeconfig = getenv("CF_KUBECONFIG");
	if (kubeconfig && !*kubeconfig)
		kubeconfig = NULL;
	snprintf(ns, sizeof(ns), "cflux-manifests-%ld-%d", (long)time(NULL), (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	kubectl_result r;
	const char *args[] = {"delete", "namespace", ns, "--ignore-not-found", "--wait=false", NULL};

	/* Without kube-controller-manager the namespace stays Terminating; each run uses a new name. */
	if (kubeconfig) {
		kubectl_run(&r, kubeconfig, NULL, args);
		kubectl_result_free(&r);
	}
	return 0;
}

static void test_install(void **state)
{
	kubectl_result r;

	need_cluster();
	r = run(NULL, "apply", "-k", CF_MANIFESTS_DIR, NULL);
	expect_ok(&r, "kubectl apply -k");
	assert_non_null(strstr(r.out, "deployment.apps/source-controller"));
	kubectl_result_free(&r);

	/* Server-side apply over the client-side install must find nothing to fight over: fields the
	 * API server normalises (quantities, defaulted fieldRef apiVersion) are written canonically. */
	r = run(NULL, "apply", "--server-side", "-k", CF_MANIFESTS_DIR, NULL);
	expect_ok(&r, "kubectl apply --server-side -k");
	assert_null(strstr(r.err, "conflict"));
	kubectl_result_free(&r);

	r = run(NULL, "create", "namespace", ns, NULL);
	expect_ok(&r, "create namespace");
	kubectl_result_free(&r);
}

static int condition_true(const json_t *obj, const char *type)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions");
	size_t i;
	json_t *c;

	json_array_foreach(conds, i, c) {
		if (strcmp(str(json_object_get(c, "type")), type) == 0)
			return strcmp(str(json_object_get(c, "status")), "True") == 0;
	}
	return 0;
}

static void check_crd_versions(const crd_case *c, json_t *crd)
{
	json_t *spec = json_object_get(crd, "spec"), *v;
	size_t i, served = 0, want = 1;
	char warning[128];

	for (int k = 0; k < 3 && c->deprecated[k]; k++)
		want++;
	assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "conversion"), "strategy")), "None");
	json_array_foreach(json_object_get(spec, "versions"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		assert_true(json_is_true(json_object_get(v, "served")));
		served++;
		assert_non_null(json_object_get(json_object_get(v, "subresources"), "status"));
		if (strcmp(name, c->storage) == 0) {
			assert_true(json_is_true(json_object_get(v, "storage")));
			assert_false(json_is_true(json_object_get(v, "deprecated")));
			continue;
		}
		assert_true(is_deprecated(c, name));
		assert_false(json_is_true(json_object_get(v, "storage")));
		assert_true(json_is_true(json_object_get(v, "deprecated")));
		snprintf(warning, sizeof(warning), "%s %s is deprecated, upgrade to %s", name, c->kind, c->storage);
		assert_string_equal(json_string_value(json_object_get(v, "deprecationWarning")), warning);
	}
	assert_int_equal(served, want);
}

static void test_crds_established(void **state)
{
	need_cluster();
	for (size_t i = 0; i < sizeof(crds) / sizeof(crds[0]); i++) {
		const char *args[] = {"get", "crd", crds[i].crd, "-o", "json", NULL};
		json_t *crd = NULL;
		int tries;

		for (tries = 0; tries < 120; tries++) {
			json_decref(crd);
			crd = kubectl_json(kubeconfig, args);
			if (crd && condition_true(crd, "Established") && condition_true(crd, "NamesAccepted"))
				break;
			usleep(250000);
		}
		if (tries == 120)
			fail_msg("%s is not Established", crds[i].crd);
		check_crd_versions(&crds[i], crd);
		json_t *names = json_object_get(json_object_get(crd, "spec"), "names");
		if (crds[i].short_name)
			assert_string_equal(json_string_value(json_array_get(json_object_get(names, "shortNames"), 0)),
					    crds[i].short_name);
		json_decref(crd);
	}
}

/* Reads one object back at `version` and checks the sample's spec is all there. */
static void check_read_back(const crd_case *c, const char *version, const char *name, const json_t *want)
{
	char resource[160], api_version[160], where[512];
	const char *args[] = {"get", resource, name, "-n", ns, "-o", "json", NULL};
	size_t plural_len = strcspn(c->crd, ".");
	const char *group = c->crd + plural_len + 1;
	json_t *got;

	snprintf(resource, sizeof(resource), "%.*s.%s.%s", (int)plural_len, c->crd, version, group);
	snprintf(api_version, sizeof(api_version), "%s/%s", group, version);
	got = kubectl_json(kubeconfig, args);
	if (!got)
		fail_msg("cannot read %s %s", resource, name);
	assert_string_equal(str(json_object_get(got, "apiVersion")), api_version);
	if (!json_is_subset(json_object_get(want, "spec"), json_object_get(got, "spec"), where, sizeof(where)))
		fail_msg("%s %s read at %s lost or changed .spec%s", c->kind, name, version, where);
	json_decref(got);
}

static void check_sample(const char *file)
{
	json_t *items, *obj;
	kubectl_result r;
	size_t i;

	/* kubectl itself turns the YAML into JSON, one value per document. */
	r = run(NULL, "create", "--dry-run=client", "-o", "json", "-f", file, NULL);
	expect_ok(&r, file);
	items = json_load_all(r.out);
	kubectl_result_free(&r);
	if (!items || json_array_size(items) == 0)
		fail_msg("kubectl cannot read sample %s", file);

	r = run(NULL, "apply", "--server-side", "--field-manager=cflux-manifests-test", "--validate=strict",
		"-n", ns, "-f", file, NULL);
	expect_ok(&r, file);

	json_array_foreach(items, i, obj) {
		const char *api = json_string_value(json_object_get(obj, "apiVersion"));
		const char *kind = json_string_value(json_object_get(obj, "kind"));
		const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
		const char *version = strchr(api, '/') + 1;
		const crd_case *c = crd_for_kind(kind);
		char warning[128];

		if (!c)
			fail_msg("%s: no CRD for kind %s", file, kind);
		if (is_deprecated(c, version)) {
			snprintf(warning, sizeof(warning), "%s %s is deprecated, upgrade to %s", version, kind, c->storage);
			if (!strstr(r.err, warning))
				fail_msg("%s: no deprecation warning '%s' in: %s", file, warning, r.err);
		}
		check_read_back(c, version, name, obj);
		check_read_back(c, c->storage, name, obj);
	}
	kubectl_result_free(&r);
	json_decref(items);
}

static int yaml_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

static void test_samples_accepted_unpruned(void **state)
{
	struct dirent **list = NULL;
	char path[1024];
	int n;

	need_cluster();
	n = scandir(CF_SAMPLES_DIR, &list, yaml_file, alphasort);
	assert_true(n >= 10);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", CF_SAMPLES_DIR, list[i]->d_name);
		check_sample(path);
		free(list[i]);
	}
	free(list);
}

static void test_schema_defaults(void **state)
{
	const char *chart[] = {"get", "helmcharts.v1beta2.source.toolkit.fluxcd.io", "podinfo-git", "-n", ns,
			       "-o", "json", NULL};
	const char *git[] = {"get", "gitrepositories.source.toolkit.fluxcd.io", "webapp", "-n", ns, "-o", "json", NULL};
	json_t *o;

	need_cluster();
	/* HelmChart.spec.version defaults to "*" when omitted. */
	o = kubectl_json(kubeconfig, chart);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "spec"), "version")), "*");
	json_decref(o);
	/* Until a controller reports, status.observedGeneration reads -1 (kstatus: not yet observed). */
	o = kubectl_json(kubeconfig, git);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "status"), "observedGeneration")), -1);
	json_decref(o);
}

static void test_rejects(void **state)
{
	need_cluster();
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		kubectl_result r = run(rejects[i].yaml, "apply", "--validate=strict", "-n", ns, "-f", "-", NULL);
		if (r.status == 0)
			fail_msg("%s: accepted, expected a rejection", rejects[i].what);
		if (!strstr(r.err, rejects[i].reason))
			fail_msg("%s: rejection does not mention '%s': %s", rejects[i].what, rejects[i].reason, r.err);
		kubectl_result_free(&r);
	}
}

/* Checks that `line` holds the given words in order, separated by runs of blanks. */
static int has_columns(const char *line, const char *const cols[])
{
	const char *p = line;

	for (int i = 0; cols[i]; i++) {
		while (*p == ' ')
			p++;
		size_t n = strlen(cols[i]);
		if (strncmp(p, cols[i], n) != 0 || (p[n] != ' ' && p[n] != '\n' && p[n] != '\0'))
			return 0;
		p += n;
	}
	return 1;
}

static void test_printer_columns(void **state)
{
	static const char *const git_cols[] = {"NAME", "URL", "AGE", "READY", "STATUS", NULL};
	static const char *const hc_cols[] = {"NAME", "CHART", "VERSION", "SOURCE KIND", "SOURCE NAME", "AGE",
					      "READY", "STATUS", NULL};
	kubectl_result r;

	need_cluster();
	r = run(NULL, "get", "gitrepositories", "-n", ns, NULL);
	expect_ok(&r, "get gitrepositories");
	if (!has_columns(r.out, git_cols))
		fail_msg("gitrepositories columns: %s", r.out);
	assert_non_null(strstr(r.out, "https://github.com/stefanprodan/podinfo"));
	kubectl_result_free(&r);

	r = run(NULL, "get", "hc", "-n", ns, NULL);
	expect_ok(&r, "get hc");
	if (!has_columns(r.out, hc_cols))
		fail_msg("helmcharts columns: %s", r.out);
	kubectl_result_free(&r);

	/* The fluxcd category lists every kind, as `kubectl get fluxcd` does with Flux. */
	r = run(NULL, "get", "fluxcd", "-n", ns, "-o", "name", NULL);
	expect_ok(&r, "get fluxcd");
	assert_non_null(strstr(r.out, "gitrepository.source.toolkit.fluxcd.io/podinfo"));
	assert_non_null(strstr(r.out, "kustomization.kustomize.toolkit.fluxcd.io/webapp"));
	assert_non_null(strstr(r.out, "helmrelease.helm.toolkit.fluxcd.io/nginx"));
	kubectl_result_free(&r);
}

/* The namespace warns on "restricted" Pod Security violations; the controllers must cause none. */
static void test_pod_security_restricted(void **state)
{
	kubectl_result r;

	need_cluster();
	/* Control: a default pod template does get the warning, so its absence below means something. */
	r = run(NULL, "create", "deployment", "cflux-psa-probe", "--image=registry.k8s.io/pause:3.10", "-n",
		"flux-system", "--dry-run=server", "-o", "name", NULL);
	expect_ok(&r, "dry-run probe deployment");
	if (!strstr(r.err, "would violate PodSecurity \"restricted"))
		fail_msg("PodSecurity admission gave no warning for a default pod template: %s", r.err);
	kubectl_result_free(&r);

	/* Server-side apply always reaches admission, even for unchanged objects. */
	r = run(NULL, "apply", "--server-side", "--dry-run=server", "-k", CF_MANIFESTS_DIR, NULL);
	expect_ok(&r, "server-side dry-run apply");
	if (strstr(r.err, "violate PodSecurity"))
		fail_msg("controller pods violate the restricted profile: %s", r.err);
	kubectl_result_free(&r);
}

static json_t *get_json(const char *kind, const char *name)
{
	const char *args[] = {"get", kind, name, "-n", "flux-system", "-o", "json", NULL};
	json_t *o = kubectl_json(kubeconfig, args);

	if (!o)
		fail_msg("cannot read %s/%s in flux-system", kind, name);
	return o;
}

static json_t *named(json_t *array, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(array, i, e)
		if (strcmp(str(json_object_get(e, "name")), name) == 0)
			return e;
	return NULL;
}

static void check_deployment(const controller_case *c)
{
	json_t *d = get_json("deployment", c->name);
	json_t *pod = json_object_get(json_object_get(json_object_get(d, "spec"), "template"), "spec");
	json_t *psc = json_object_get(pod, "securityContext");
	json_t *ctr = json_array_get(json_object_get(pod, "containers"), 0);
	json_t *sc = json_object_get(ctr, "securityContext");
	json_t *ports = json_object_get(ctr, "ports");

	assert_string_equal(json_string_value(json_object_get(pod, "serviceAccountName")), c->name);
	assert_true(json_is_true(json_object_get(psc, "runAsNonRoot")));
	assert_int_equal(json_integer_value(json_object_get(psc, "runAsUser")), 65532);
	assert_true(json_is_true(json_object_get(sc, "readOnlyRootFilesystem")));
	assert_true(json_is_false(json_object_get(sc, "allowPrivilegeEscalation")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(sc, "capabilities"),
									      "drop"), 0)), "ALL");
	assert_string_equal(json_string_value(json_object_get(json_object_get(sc, "seccompProfile"), "type")),
			    "RuntimeDefault");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(ctr, "livenessProbe"),
									       "httpGet"), "path")), "/healthz");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(ctr, "readinessProbe"),
									       "httpGet"), "path")), "/readyz");
	assert_int_equal(json_integer_value(json_object_get(named(ports, "healthz"), "containerPort")), 9440);
	assert_int_equal(json_integer_value(json_object_get(named(ports, "http-prom"), "containerPort")), 8080);
	assert_int_equal(json_integer_value(json_object_get(named(ports, "events"), "containerPort")), 9091);
	if (c->has_storage_port)
		assert_int_equal(json_integer_value(json_object_get(named(ports, "http"), "containerPort")), 9090);
	assert_non_null(named(json_object_get(ctr, "env"), "RUNTIME_NAMESPACE"));
	json_decref(d);
}

static void test_workloads(void **state)
{
	char events[96];
	json_t *svc, *port;

	need_cluster();
	for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++) {
		check_deployment(&controllers[i]);
		snprintf(events, sizeof(events), "%s-events", controllers[i].name);
		svc = get_json("service", events);
		assert_string_equal(json_string_value(json_object_get(json_object_get(svc, "spec"), "clusterIP")), "None");
		port = named(json_object_get(json_object_get(svc, "spec"), "ports"), "events");
		assert_int_equal(json_integer_value(json_object_get(port, "port")), 9091);
		json_decref(svc);
	}
	svc = get_json("service", "source-controller");
	port = named(json_object_get(json_object_get(svc, "spec"), "ports"), "http");
	assert_int_equal(json_integer_value(json_object_get(port, "port")), 80);
	assert_string_equal(json_string_value(json_object_get(port, "targetPort")), "http");
	json_decref(svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_crds_established),
		cmocka_unit_test(test_samples_accepted_unpruned),
		cmocka_unit_test(test_schema_defaults),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_printer_columns),
		cmocka_unit_test(test_workloads),
		cmocka_unit_test(test_pod_security_restricted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
