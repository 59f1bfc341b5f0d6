/*
 * source-controller under load against a real control plane and git server: resident memory idle,
 * with N GitRepositories ready and after reconciling them all twice more, time until all are
 * ready, and push-to-ArtifactReady latency
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

/* Private (not shared with any other process) resident memory in KiB, from smaps_rollup. */
static long private_kib(pid_t pid)
{
	char path[64], line[256];
	long v = 0, kib;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if ((sscanf(line, "Private_Clean: %ld", &kib) == 1) ||
		    (sscanf(line, "Private_Dirty: %ld", &kib) == 1))
			v += kib;
	fclose(f);
	return v;
}

/* Waits until every repo-<i> has handled the reconcile requested with token. */
static int all_handled(sc_e2e *e, int n, const char *token, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;
	char name[64];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "repo-%d", i);
		for (;;) {
			json_t *obj = sc_e2e_get(e, name);
			const char *h = json_string_value(json_object_get(json_object_get(obj, "status"),
									  "lastHandledReconcileAt"));
			int done = h && strcmp(h, token) == 0;
			json_decref(obj);
			if (done)
				break;
			if (cft_now_ms() > end)
				return -1;
			usleep(100000);
		}
	}
	return 0;
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
	long busy = proc_kib(e.controller, "VmRSS:");
	long anon = proc_kib(e.controller, "RssAnon:"), file = proc_kib(e.controller, "RssFile:");
	long priv = private_kib(e.controller);

	/* Every object reconciled twice more: memory must stay where it is (no growth per fetch). */
	char token[64];
	for (int round = 0; round < 2; round++) {
		snprintf(token, sizeof(token), "bench-%d-%lld", round, cft_now_ms());
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "repo-%d", i);
			cf_kube_ref ref = {"source.toolkit.fluxcd.io/v1", "GitRepository", e.ns, name};
			char body[160];
			snprintf(body, sizeof(body), "{\"metadata\":{\"annotations\":{"
				 "\"reconcile.fluxcd.io/requestedAt\":\"%s\"}}}", token);
			cf_kube_patch(e.kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
		}
		if (all_handled(&e, n, token, 600000) < 0) {
			fprintf(stderr, "the requested reconciles did not all happen\n");
			return 1;
		}
	}
	sleep(2);
	long again = proc_kib(e.controller, "VmRSS:"), peak = proc_kib(e.controller, "VmHWM:");

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
	printf("| of which anonymous (RssAnon) / file-backed, shared libraries (RssFile) | %.1f / %.1f MiB |\n",
	       anon / 1024.0, file / 1024.0);
	printf("| of which private to the process (Private_Clean + Private_Dirty) | %.1f MiB |\n", priv / 1024.0);
	printf("| RSS after reconciling all %d twice more | %.1f MiB |\n", n, again / 1024.0);
	printf("| peak RSS (VmHWM) | %.1f MiB |\n", peak / 1024.0);
	printf("| push to ArtifactReady, p50 over %d commits | %lld ms |\n", commits, lat[commits / 2]);
	printf("| push to ArtifactReady, p99 over %d commits | %lld ms |\n", commits,
	       lat[(commits * 99 + 99) / 100 - 1]);
	free(lat);
	free(url);
	sc_e2e_down(&e);
	return 0;
}
