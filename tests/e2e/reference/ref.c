/* Runs cflux and kubectl for the reference-setup tests and reads their tables. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ref.h"
#include "testsupport.h"


/* The output of cmd with "\nrc=N" appended by the shell, split into r. */
static int run_split(ref_run *r, const char *cmd)
{
	char *out = cft_sh_out("%s 2>&1; echo \"\nrc=$?\"", cmd), *rc;

	r->code = -1;
	r->out = out;
	if (!out || !(rc = strrchr(out, '\n')) || strncmp(rc, "\nrc=", 4) != 0)
		return -1;
	r->code = atoi(rc + 4);
	*rc = '\0';
	return 0;
}

int ref_shell(ref_run *r, const char *cmd)
{
	int err = run_split(r, cmd);

	fprintf(stderr, "$ %s\n%s[exit %d]\n", cmd, r->out ? r->out : "", r->code);
	return err;
}

#ifdef CFLUX_BIN
int ref_cflux(ref_run *r, const char *fmt, ...)
{
	char *args = NULL, *cmd = NULL;
	va_list ap;
	int err;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		args = NULL;
	va_end(ap);
	if (!args || asprintf(&cmd, "'%s' --kubeconfig '%s' %s", CFLUX_BIN, getenv("CF_KUBECONFIG"),
	                      args) < 0) {
		free(args);
		return -1;
	}
	err = run_split(r, cmd);
	fprintf(stderr, "$ cflux %s\n%s[exit %d]\n", args, r->out ? r->out : "", r->code);
	free(args);
	free(cmd);
	return err;
}
#endif

static char *kubectl_v(const char *fmt, va_list ap)
{
	char *args = NULL, *out;

	if (vasprintf(&args, fmt, ap) < 0)
		return NULL;
	out = cft_sh_out("kubectl --kubeconfig '%s' %s 2>/dev/null", getenv("CF_KUBECONFIG"), args);
	free(args);
	return out;
}

char *ref_kubectl(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = kubectl_v(fmt, ap);
	va_end(ap);
	return out;
}

int ref_wait_kubectl(const char *want, int timeout_ms, const char *fmt, ...)
{
	long long end = cft_now_ms() + timeout_ms;
	char *out = NULL;

	for (;;) {
		va_list ap;

		free(out);
		va_start(ap, fmt);
		out = kubectl_v(fmt, ap);
		va_end(ap);
		if (out && strcmp(out, want) == 0) {
			free(out);
			return 1;
		}
		if (cft_now_ms() >= end)
			break;
		usleep(250000);
	}
	fprintf(stderr, "waited %d ms for \"%s\", last saw \"%s\"\n", timeout_ms, want, out ? out : "");
	free(out);
	return 0;
}

int ref_exists(const char *fmt, ...)
{
	char *args = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		args = NULL;
	va_end(ap);
	if (!args)
		return -1;
	rc = cft_sh("kubectl --kubeconfig '%s' get %s -o name >/dev/null 2>&1", getenv("CF_KUBECONFIG"), args);
	free(args);
	return rc == 0;
}

void ref_table_ready(char *buf, size_t size, const char *table, const char *name)
{
	const char *line = table;

	buf[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char row[2048], *save = NULL, *cell[6];
		int n = 0;

		snprintf(row, sizeof(row), "%.*s", (int)(len < sizeof(row) ? len : sizeof(row) - 1), line);
		/* NAMESPACE NAME REVISION SUSPENDED READY MESSAGE, tab-separated and space-padded. */
		for (char *c = strtok_r(row, "\t", &save); c && n < 6; c = strtok_r(NULL, "\t", &save)) {
			char *e = c + strlen(c);
			while (e > c && e[-1] == ' ')
				*--e = '\0';
			cell[n++] = c;
		}
		/* Other tests may leave objects of the same name in their own namespaces. */
		if (n >= 5 && strcmp(cell[0], REF_NS) == 0 && strcmp(cell[1], name) == 0) {
			snprintf(buf, size, "%s", cell[4]);
			return;
		}
		line = end ? end + 1 : NULL;
	}
}
