/*
 * Fuzzes the command tree with arbitrary argument vectors (NUL-separated in the input): flag
 * parsing, dispatch, help and the offline builders must answer with an exit code, never crash.
 * The kubeconfig points nowhere, so commands that need the cluster fail before any network use;
 * build and template are left out (their engines have fuzz targets of their own).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cli.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 1];
	int argc = 0;
	size_t start = 0;

	if (!buf)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && argc < MAX_ARGS; i++) {
		if (i == size || buf[i] == '\0') {
			buf[i] = '\0';
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	if (argc > 0 && (strcmp(argv[0], "build") == 0 || strcmp(argv[0], "b") == 0 ||
	                 strcmp(argv[0], "template") == 0)) {
		free(buf);
		return 0;
	}
	cli_ctx c = {
		.kubeconfig = "/nonexistent/cflux-fuzz/kubeconfig",
		.namespace_ = "flux-system",
		.timeout_ns = CF_SECOND,
		.poll_ns = CF_SECOND / 100,
		.out = devnull,
		.err = devnull,
	};
	int rc = cli_dispatch(&c, &cli_root, "cflux", argc, argv);
	if (rc < 0 || rc > 2)
		abort();
	cf_kube_free(c.kube);
	free(buf);
	return 0;
}
