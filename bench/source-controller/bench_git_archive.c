/*
 * Clone-and-archive, as source-controller does it for a GitRepository: fetch URL into a fresh
 * cache, export the tree, write the deterministic tar.gz. Prints "seconds max_rss_kib digest".
 * Usage: bench_git_archive URL WORKDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "cf/artifact.h"
#include "cf/error.h"
#include "cf/git.h"

int main(int argc, char **argv)
{
	char cache[4096], out[4096], tgz[4096];
	cf_git_result res;
	cf_artifact_file_info info;
	struct timespec t0, t1;
	struct rusage ru;

	if (argc != 3) {
		fprintf(stderr, "usage: %s URL WORKDIR\n", argv[0]);
		return 2;
	}
	snprintf(cache, sizeof(cache), "%s/cache", argv[2]);
	snprintf(out, sizeof(out), "%s/tree", argv[2]);
	snprintf(tgz, sizeof(tgz), "%s/artifact.tar.gz", argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cf_git_init() < 0)
		return 1;
	cf_git_checkout_opts opts = {.url = argv[1], .cache_dir = cache, .out_dir = out,
				     .ref = {.branch = "main"}, .timeout_ms = 600000};
	if (cf_git_checkout(&res, &opts) < 0 || cf_artifact_archive(&info, tgz, out, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "failed: %s\n", cf_error_last());
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("%.3f %ld %s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ru.ru_maxrss, info.digest);
	return 0;
}
