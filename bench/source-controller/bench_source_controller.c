/*
 * source-controller under load against a real control plane and git server: resident memory idle
 * and with N GitRepositories ready, time until all are ready, and push-to-ArtifactReady latency
 * (reconcile requested by annotation) over a number of commits. Prints a Markdown table.
 * Usage: bench_source_controller [N] [COMMITS]   (needs CF_KUBECONFIG)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"
#include "e2e.h"
#include "testsupport.h"

/* VmRSS or VmHWM of a process, in KiB. */
static long proc_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, commits = argc > 2 ? atoi(argv[2]) : 20;
	char *url = NULL, name[64];
	sc_e2e e;

	if (!getenv("CF_KUBECONFIG")) {
		fprintf(stderr, "CF_KUBECONFIG is not set\n");
		return 2;
	}
	if (sc_e2e_up(&e) < 0) {
		fprintf(stderr, "set-up failed: %s\n", cf_error_last());
		return 1;
	}
	sleep(3);
	long idle = proc_kib(e.controller, "VmRSS:");
	if (asprintf(&url, "%s/app.git", sc_e2e_env("CF_GIT_HTTP_URL")) < 0)
		return 1;

	long long t0 = cft_now_ms();
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "repo-%d", i);
		sc_e2e_create(&e, "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\","
			      "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"interval\":\"1h\",\"url\":\"%s\","
			      "\"ref\":{\"branch\":\"main\"}}}", name, url);
	}
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "repo-%d", i);
		json_t *obj = sc_e2e_wait_ready(&e, name, "True", 600000);
		if (!obj) {
			fprintf(stderr, "%s never became ready\n", name);
			return 1;
		}
		json_decref(obj);
	}
	long long all_ready = cft_now_ms() - t0;
	sleep(2);
	long busy = proc_kib(e.controller, "VmRSS:"), peak = proc_kib(e.controller, "VmHWM:");
	long anon = proc_kib(e.controller, "RssAnon:"), file = proc_kib(e.controller, "RssFile:");

	/* Latency: push a commit, request a reconcile, wait for ArtifactReady with the new revision. */
	long long *lat = calloc((size_t)commits, sizeof(*lat));
	const char *repos = sc_e2e_env("CF_GIT_REPOS");
	char rev[128];
	for (int i = 0; i < commits; i++) {
		cft_sh("set -e; w=$(mktemp -d); git clone -q -b main '%s/app.git' $w/c 2>/dev/null;"
		       " echo %d > $w/c/bench.txt; git -C $w/c add .;"
		       " git -C $w/c -c user.name=b -c user.email=b@b commit -q -m bench;"
		       " git -C $w/c push -q origin main 2>/dev/null; rm -rf $w", repos, i);
		char *sha = cft_sh_out("git --git-dir='%s/app.git' rev-parse main", repos);
		snprintf(rev, sizeof(rev), "main@sha1:%s", sha);
		free(sha);
		long long s = cft_now_ms();
		sc_e2e_request(&e, "repo-0");
		cf_bus_msg *m = sc_e2e_wait_bus(&e, "repo-0", rev, 60000);
		lat[i] = m ? cft_now_ms() - s : -1;
		cf_bus_msg_free(m);
	}
	qsort(lat, (size_t)commits, sizeof(*lat), cmp_ll);

	printf("| measure | value |\n|---|---|\n");
	printf("| RSS idle (no objects) | %.1f MiB |\n", idle / 1024.0);
	printf("| time until %d GitRepositories are Ready | %.1f s |\n", n, all_ready / 1000.0);
	printf("| RSS with %d GitRepositories ready | %.1f MiB |\n", n, busy / 1024.0);
	printf("| of which heap (RssAnon) / file-backed (RssFile) | %.1f / %.1f MiB |\n", anon / 1024.0, file / 1024.0);
	printf("| peak RSS (VmHWM) | %.1f MiB |\n", peak / 1024.0);
	printf("| push to ArtifactReady, p50 over %d commits | %lld ms |\n", commits, lat[commits / 2]);
	printf("| push to ArtifactReady, p99 over %d commits | %lld ms |\n", commits,
	       lat[(commits * 99 + 99) / 100 - 1]);
	free(lat);
	free(url);
	sc_e2e_down(&e);
	return 0;
}
