/*
 * libFuzzer target: a whole chart render with hostile parts. The input, split at NUL bytes, is
 * values.schema.json, values.yaml and one template; this drives the schema validator, values
 * loading and the manifest sorting (quick head reader and full loader) on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf/helm.h"

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

/* The chart folder is made once; each input rewrites its three files. */
static void setup(void)
{
	static const char chart_yaml[] = "apiVersion: v2\nname: fuzz\nversion: 0.1.0\n";
	char templates[96];
	strcpy(dir, "/tmp/fuzz-helm-chart-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(templates, sizeof(templates), "%s/templates", dir);
	if (mkdir(templates, 0700) != 0)
		abort();
	write_file("Chart.yaml", (const uint8_t *)chart_yaml, sizeof(chart_yaml) - 1);
}

/* The next NUL-separated part of data from *pos. */
static const uint8_t *part(const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
	const uint8_t *p = data + *pos;
	size_t n = 0;
	while (*pos + n < size && p[n])
		n++;
	*len = n;
	*pos += n + (*pos + n < size);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_helm_template_opts o = { .release_name = "rel" };
	cf_helm_chart *chart = NULL;
	const uint8_t *schema, *values, *tmpl;
	size_t pos = 0, slen, vlen, tlen, olen;
	char *out = NULL, *full = NULL;

	if (size > 65536)
		return 0;
	if (!*dir)
		setup();
	schema = part(data, size, &pos, &slen);
	values = part(data, size, &pos, &vlen);
	tmpl = part(data, size, &pos, &tlen);
	write_file("values.schema.json", schema, slen);
	write_file("values.yaml", values, vlen);
	write_file("templates/t.yaml", tmpl, tlen);
	o.error_out = &full;
	if (cf_helm_chart_load(&chart, dir) == 0)
		cf_helm_chart_template(&out, &olen, chart, &o);
	cf_helm_chart_free(chart);
	free(out);
	free(full);
	return 0;
}
