/*
 * Commit-to-cluster latency of kustomize-controller: for each of N commits, the time from asking
 * source-controller to reconcile (the reconcile.fluxcd.io/requestedAt annotation, right after the
 * push) until the changed ConfigMap is in the API server. Prints p50, p99 and the samples.
 * Usage: bench_kc_latency [--no-bus] [N]   (needs CF_KUBECONFIG from tests/cluster/up.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"
#include "e2e.h"
#include "testsupport.h"

#define KS_API "kustomize.toolkit.fluxcd.io/v1"
#define WAIT_MS 60000

static int commit(kc_e2e *e, int n)
{
	return cft_sh("set -e; cd '%s/work'; mkdir -p bench; printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n"
		      "  name: bench\\ndata:\\n  rev: \"%d\"\\n' > bench/cm.yaml; git add -A;"
		      " git commit -q -m 'bench %d'; git push -q -f origin HEAD:main", e->dir, n, n);
}

/* Polls the ConfigMap until data.rev is n; the latency in ms, or -1 after WAIT_MS. */
static long long wait_rev(kc_e2e *e, int n, long long t0)
{
	char want[32];

	snprintf(want, sizeof(want), "%d", n);
	while (cft_now_ms() - t0 < WAIT_MS) {
		json_t *cm = kc_e2e_get(e, "v1", "ConfigMap", NULL, "bench");
		const char *v = json_string_value(json_object_get(json_object_get(cm, "data"), "rev"));
		int hit = v && strcmp(v, want) == 0;
		json_decref(cm);
		if (hit)
			return cft_now_ms() - t0;
		usleep(2000);
	}
	return -1;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static long long pct(const long long *v, int n, int p)
{
	int rank = (p * n + 99) / 100;
	return v[rank < 1 ? 0 : rank - 1];
}

int main(int argc, char **argv)
{
	kc_e2e e = {0};
	int n = 20, rc = 1;
	long long *ms;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-bus") == 0)
			e.no_bus = 1;
		else
			n = atoi(argv[i]);
	}
	if (n < 1 || !(ms = calloc((size_t)n, sizeof(*ms))))
		return 2;
	if (kc_e2e_up(&e) < 0 || commit(&e, 0) != 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		goto done;
	}
	if (kc_e2e_create(&e, NULL, "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\","
			  "\"metadata\":{\"name\":\"repo\"},\"spec\":{\"interval\":\"10m\",\"url\":\"%s/kc.git\","
			  "\"ref\":{\"branch\":\"main\"}}}", getenv("CF_GIT_HTTP_URL")) < 0 ||
	    kc_e2e_create(&e, NULL, "{\"apiVersion\":\"" KS_API "\",\"kind\":\"Kustomization\",\"metadata\":"
			  "{\"name\":\"bench\"},\"spec\":{\"interval\":\"10m\",\"path\":\"./bench\",\"prune\":true,"
			  "\"targetNamespace\":\"%s\",\"sourceRef\":{\"kind\":\"GitRepository\",\"name\":\"repo\"}}}", e.ns) < 0 ||
	    wait_rev(&e, 0, cft_now_ms()) < 0) {
		fprintf(stderr, "the first revision was not applied\n");
		goto done;
	}
	for (int i = 1; i <= n; i++) {
		if (commit(&e, i) != 0)
			goto done;
		long long t0 = cft_now_ms();
		if (kc_e2e_request(&e, "source.toolkit.fluxcd.io/v1", "GitRepository", "repo") < 0 ||
		    (ms[i - 1] = wait_rev(&e, i, t0)) < 0) {
			fprintf(stderr, "commit %d was not applied in %d ms\n", i, WAIT_MS);
			goto done;
		}
	}
	printf("samples_ms");
	for (int i = 0; i < n; i++)
		printf(" %lld", ms[i]);
	printf("\n");
	qsort(ms, (size_t)n, sizeof(*ms), cmp_ll);
	printf("bus=%s commits=%d p50_ms=%lld p99_ms=%lld max_ms=%lld\n", e.no_bus ? "off" : "on", n, pct(ms, n, 50),
	       pct(ms, n, 99), ms[n - 1]);
	rc = 0;
done:
	kc_e2e_down(&e);
	free(ms);
	return rc;
}
