/*
 * libFuzzer target for the kustomize engine. The input is a small directory tree: NUL bytes
 * split it into the contents of a fixed set of files (a kustomization, resources, a base, a
 * component, patch and env files), which are written to a scratch directory and built with
 * that directory as the confinement root.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kustomize.h"

static const char *const files[] = {
	"kustomization.yaml", "a.yaml", "b.yaml", "base/kustomization.yaml", "base/c.yaml",
	"comp/kustomization.yaml", "p.yaml", "x.env",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static char dir[64];

static void write_file(const char *name, const uint8_t *data, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		abort();
	if (len && fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_kustomize_opts opts = {
		.root = dir, .max_depth = 8, .max_file_bytes = 1 << 16, .max_total_bytes = 1 << 20,
		.max_resources = 1000,
	};
	size_t start = 0, n = 0;
	char *out = NULL;

	if (!dir[0]) {
		char path[128];
		snprintf(dir, sizeof(dir), "/tmp/kz-fuzz-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/base", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/comp", dir);
		mkdir(path, 0755);
	}
	for (size_t i = 0; i <= size && n < NFILES; i++) {
		if (i == size || data[i] == '\0') {
			write_file(files[n++], data + start, i - start);
			start = i + 1;
		}
	}
	for (; n < NFILES; n++)
		write_file(files[n], NULL, 0);
	if (cf_kustomize_build_dir(&out, dir, &opts) == 0)
		free(out);
	return 0;
}
