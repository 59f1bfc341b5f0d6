/*
 * Measures parsing a Helm repository index and resolving chart versions: wall time and peak RSS,
 * streaming from the file (as HelmCharts load the stored index) and from a buffer (as the
 * HelmRepository reconciler validates a fetched index it holds in memory).
 * usage: bench_helm_index INDEX [file|buffer] [CHART]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cf/error.h"
#include "helmsource.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;

	if (!f || fstat(fileno(f), &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "index.yaml", *mode = argc > 2 ? argv[2] : "file";
	const char *chart = argc > 3 ? argv[3] : "chart-00250";
	static const char *const constraints[] = {"", "*", ">=1.0.0 <1.5.0", "~1.2", "^0.3.0", ">=1.0.0-0", "1.x"};
	sc_helm_index *idx = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	long rss0 = peak_rss_kib();
	double t0 = now_s(), c0 = cpu_s();
	if (strcmp(mode, "buffer") == 0) {
		if (!(buf = slurp(path, &len)))
			return 1;
		err = sc_helm_index_parse(&idx, buf, len);
	} else {
		err = sc_helm_index_parse_file(&idx, path);
	}
	double t1 = now_s(), c1 = cpu_s();
	if (err < 0) {
		fprintf(stderr, "parse: %s\n", cf_error_last());
		return 1;
	}
	const sc_helm_chart_version *cv = NULL;
	int resolved = 0;
	for (size_t i = 0; i < sizeof(constraints) / sizeof(*constraints); i++)
		if (sc_helm_index_get(&cv, idx, chart, constraints[i]) == 0)
			resolved++;
	double t2 = now_s(), c2 = cpu_s();
	printf("index %.1f MiB, %zu charts, %zu versions, mode %s\n", (double)st.st_size / 1048576.0,
	       sc_helm_index_chart_count(idx), sc_helm_index_version_count(idx), mode);
	printf("parse %.3f s wall, %.3f s CPU; resolve %d/%zu constraints %.6f s wall, %.6f s CPU (%.1f us each)\n",
	       t1 - t0, c1 - c0, resolved, sizeof(constraints) / sizeof(*constraints), t2 - t1, c2 - c1,
	       (t2 - t1) * 1e6 / (double)(sizeof(constraints) / sizeof(*constraints)));
	printf("kept index %.2f MiB; peak RSS %.1f MiB (before parse %.1f MiB)\n",
	       (double)sc_helm_index_bytes(idx) / 1048576.0, (double)peak_rss_kib() / 1024.0, (double)rss0 / 1024.0);
	sc_helm_index_free(idx);
	free(buf);
	return 0;
}
