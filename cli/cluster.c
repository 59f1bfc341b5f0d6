/* Helpers for commands that talk to the cluster: the client, clocks, object fields, export. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cli.h"

int cli_kube(cli_ctx *c, cf_kube **out)
{
	cf_kube_config *cfg = NULL;
	cf_kube_opts opts = { 0 };
	int err;

	if (c->kube) {
		*out = c->kube;
		return 0;
	}
	if ((err = cf_kube_config_load_default(&cfg, c->kubeconfig, c->context)) < 0)
		return cf_error_wrap(err, "loading kubeconfig: ");
	opts.timeout_ms = (long)(c->timeout_ns / 1000000);
	opts.user_agent = "cflux";
	err = cf_kube_new(&c->kube, cfg, &opts);
	cf_kube_config_free(cfg);
	if (err < 0)
		return cf_error_wrap(err, "creating the Kubernetes client: ");
	*out = c->kube;
	return 0;
}

void cli_now_rfc3339nano(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char frac[16] = "";
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (ts.tv_nsec > 0) {
		/* Go's RFC3339Nano prints up to nine digits and drops trailing zeros. */
		snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
		for (n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int64_t cli_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_sleep_ns(int64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };

	while (nanosleep(&ts, &ts) != 0)
		;
}

const char *cli_json_str(json_t *obj, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, obj);
	while (obj && (key = va_arg(ap, const char *)))
		obj = json_object_get(obj, key);
	va_end(ap);
	return json_is_string(obj) ? json_string_value(obj) : NULL;
}

json_t *cli_condition(json_t *obj, const char *type)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions"), *cond;
	size_t i;

	json_array_foreach(conds, i, cond) {
		const char *t = cli_json_str(cond, "type", NULL);
		if (t && strcmp(t, type) == 0)
			return cond;
	}
	return NULL;
}

int cli_condition_true(json_t *obj, const char *type)
{
	const char *status = cli_json_str(cli_condition(obj, type), "status", NULL);

	return status && strcmp(status, "True") == 0;
}

static int is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

void cli_truncate_hex(char *buf, size_t size, const char *revision)
{
	const char *colon = strrchr(revision, ':');
	size_t keep = strlen(revision);

	/* A digest after the last ':' is shortened to 8 hex digits; other revisions stay. */
	if (colon && strlen(colon + 1) > 8 && is_hex(colon + 1))
		keep = (size_t)(colon + 1 - revision) + 8;
	snprintf(buf, size, "%.*s", (int)keep, revision);
}

/* Copies a jansson value into a document tree, sorting keys as Go's map marshalling does. */
static int to_doc(cf_doc **out, json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	int err;

	if (!text)
		return cf_error_set(CF_ENOMEM, "out of memory");
	err = cf_doc_load_json(out, text, strlen(text), NULL);
	free(text);
	return err;
}

int cli_print_export(cli_ctx *c, json_t *obj)
{
	cf_doc_yaml_opts opts = { CF_DOC_EMIT_YAMLV2, 1 };
	cf_doc *doc = NULL;
	char *yaml = NULL;
	size_t len;
	int err;

	if ((err = to_doc(&doc, obj)) < 0 || (err = cf_doc_emit_yaml(&yaml, &len, doc, &opts)) < 0)
		goto done;
	fputs("---\n", c->out);
	fwrite(yaml, 1, len, c->out);
done:
	free(yaml);
	cf_doc_free(doc);
	return err;
}
