/*
 * Helm hooks: picked out of a rendered chart into the release record's `hooks` form, and run
 * for one event as Helm runs them (weight then name order, delete policies, Jobs and Pods
 * waited for), each run written back into the hook's last_run.
 */
#include "hc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/doc.h"
#include "cf/error.h"

#define POLL_US 250000

/* Helm's hook events; test-success is the old name of test. */
static const struct {
	const char *name, *event;
} events[] = {
	{"pre-install", "pre-install"}, {"post-install", "post-install"}, {"pre-delete", "pre-delete"},
	{"post-delete", "post-delete"}, {"pre-upgrade", "pre-upgrade"},   {"post-upgrade", "post-upgrade"},
	{"pre-rollback", "pre-rollback"}, {"post-rollback", "post-rollback"}, {"test", "test"},
	{"test-success", "test"},         {NULL, NULL},
};

static const char *event_of(const char *name)
{
	for (size_t i = 0; events[i].name; i++)
		if (strcasecmp(events[i].name, name) == 0)
			return events[i].event;
	return NULL;
}

/* Splits a comma-separated annotation into trimmed words; NULL when a word maps to nothing and map is set. */
static json_t *words(const char *text, const char *(*map)(const char *))
{
	json_t *out = json_array();
	char buf[1024], *save = NULL, *w;

	snprintf(buf, sizeof(buf), "%s", text);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		char *end;
		while (isspace((unsigned char)*w))
			w++;
		for (end = w + strlen(w); end > w && isspace((unsigned char)end[-1]); end--)
			end[-1] = '\0';
		if (!*w)
			continue;
		const char *v = map ? map(w) : w;
		if (!v) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_string(v));
	}
	return out;
}

/* One rendered document (after its "# Source:" line) as a hook record, or NULL when it is no hook. */
static json_t *hook_of(const char *path, const char *text, size_t len)
{
	cf_doc *doc = NULL;
	const char *ann, *weight, *policy, *kind, *name;
	json_t *hook = NULL, *evs, *pols;
	char *manifest;

	if (cf_doc_load_yaml(&doc, text, len, NULL) < 0)
		return NULL;
	const cf_doc *meta = cf_doc_get(doc, "metadata"), *anns = cf_doc_get(meta, "annotations");
	if (!(ann = cf_doc_get_str(anns, "helm.sh/hook")) || !(evs = words(ann, event_of)))
		goto done;
	kind = cf_doc_get_str(doc, "kind");
	name = cf_doc_get_str(meta, "name");
	weight = cf_doc_get_str(anns, "helm.sh/hook-weight");
	policy = cf_doc_get_str(anns, "helm.sh/hook-delete-policy");
	pols = words(policy ? policy : "", NULL);
	/* Helm trims each split document. */
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	while (len && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	manifest = strndup(text, len);
	hook = json_pack("{s:s,s:s,s:s,s:s?,s:o,s:{s:s,s:s,s:s}}", "name", name ? name : "", "kind", kind ? kind : "", "path",
			 path, "manifest", manifest, "events", evs, "last_run", "started_at", "", "completed_at", "",
			 "phase", "");
	free(manifest);
	if (hook && weight && atoi(weight) != 0)
		json_object_set_new(hook, "weight", json_integer(atoi(weight)));
	if (hook && json_array_size(pols))
		json_object_set(hook, "delete_policies", pols);
	json_decref(pols);
done:
	cf_doc_free(doc);
	return hook;
}

int hc_hooks_parse(json_t **out, const char *rendered)
{
	json_t *hooks = json_array();
	const char *p = rendered;

	while (p && *p) {
		if (strncmp(p, "---", 3) == 0 && (p[3] == '\n' || p[3] == '\0'))
			p += p[3] ? 4 : 3;
		const char *next = strstr(p, "\n---\n"), *end = next ? next + 1 : p + strlen(p);
		const char *src = strncmp(p, "# Source: ", 10) == 0 ? p : NULL;
		char path[1024] = "";
		if (src) {
			const char *eol = memchr(src, '\n', (size_t)(end - src));
			size_t n = (size_t)((eol ? eol : end) - src) - 10;
			snprintf(path, sizeof(path), "%.*s", (int)(n < sizeof(path) ? n : sizeof(path) - 1), src + 10);
			p = eol ? eol + 1 : end;
		}
		json_t *hook = hook_of(path, p, (size_t)(end - p));
		if (hook)
			json_array_append_new(hooks, hook);
		p = end;
	}
	*out = hooks;
	return 0;
}

/* ---- running ---- */

static int has(const json_t *list, const char *word)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), word) == 0)
			return 1;
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void now_text(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* Deletes the hook's objects and waits until they are gone (before-hook-creation must not race the new one). */
static int delete_objects(cf_kube *kube, const json_t *objects, int64_t deadline)
{
	cf_kube_write_opts wo = {.propagation_policy = "Background"};
	const json_t *obj;
	size_t i;
	int err;

	json_array_foreach(objects, i, obj) {
		cf_kube_ref ref = {cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"),
				   cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name")};
		json_t *live = NULL;
		if ((err = cf_kube_delete(kube, NULL, &ref, &wo)) < 0 && err != CF_ENOTFOUND)
			return err;
		while (cf_object_get(&live, kube, ref.api_version, ref.kind, ref.namespace_, ref.name) == 0) {
			json_decref(live);
			live = NULL;
			if (mono_ms() >= deadline)
				return cf_error_set(CF_ETIMEOUT, "%s/%s is still being deleted", ref.kind, ref.name);
			usleep(POLL_US);
		}
	}
	return 0;
}

/* 1 done, 0 running, CF_ERROR failed: Jobs by their Complete/Failed conditions, Pods by phase. */
static int finished(cf_kube *kube, const json_t *obj)
{
	const char *kind = cf_object_str(obj, "kind");
	json_t *live = NULL;
	int res = 1;

	if (strcmp(kind, "Job") != 0 && strcmp(kind, "Pod") != 0)
		return 1;
	if (cf_object_get(&live, kube, cf_object_str(obj, "apiVersion"), kind, cf_object_str(obj, "metadata.namespace"),
			  cf_object_str(obj, "metadata.name")) < 0)
		return cf_error_set(CF_ERROR, "%s %s disappeared", kind, cf_object_str(obj, "metadata.name"));
	if (strcmp(kind, "Job") == 0) {
		if (cf_cond_has_status(live, "Failed", "True"))
			res = cf_error_set(CF_ERROR, "job %s failed: %s", cf_object_str(obj, "metadata.name"),
					   cf_object_str(cf_cond_get(live, "Failed"), "reason") ?
						   cf_object_str(cf_cond_get(live, "Failed"), "reason") : "Failed");
		else
			res = cf_cond_has_status(live, "Complete", "True");
	} else {
		const char *phase = cf_object_str(live, "status.phase");
		if (phase && strcmp(phase, "Failed") == 0)
			res = cf_error_set(CF_ERROR, "pod %s failed", cf_object_str(obj, "metadata.name"));
		else
			res = phase && strcmp(phase, "Succeeded") == 0;
	}
	json_decref(live);
	return res;
}

static int run_one(cf_kube *kube, json_t *hook, const char *event, const char *release, const char *ns, int64_t deadline)
{
	json_t *objects = NULL, *pols = json_object_get(hook, "delete_policies"), *last;
	char started[64], done_at[64];
	int err, res = 0;

	if (!json_array_size(pols)) {
		/* Helm's default, and Helm stores it with the hook once the hook ran. */
		json_object_set_new(hook, "delete_policies", pols = json_pack("[s]", "before-hook-creation"));
	}
	if ((err = hc_hook_objects(&objects, kube, cf_object_str(hook, "manifest"), release, ns)) < 0)
		return err;
	if (has(pols, "before-hook-creation") && (err = delete_objects(kube, objects, deadline)) < 0)
		goto done;
	now_text(started, sizeof(started));
	json_object_set_new(hook, "last_run", json_pack("{s:s,s:s,s:s}", "started_at", started, "completed_at", "", "phase", "Running"));
	if ((err = hc_apply(kube, objects, deadline - mono_ms())) < 0)
		goto finish;
	for (size_t i = 0; i < json_array_size(objects) && err == 0; i++) {
		while ((res = finished(kube, json_array_get(objects, i))) == 0 && mono_ms() < deadline)
			usleep(POLL_US);
		if (res < 0)
			err = res;
		else if (res == 0)
			err = cf_error_set(CF_ETIMEOUT, "timed out waiting for the condition");
	}
finish:
	now_text(done_at, sizeof(done_at));
	last = json_object_get(hook, "last_run");
	json_object_set_new(last, "completed_at", json_string(done_at));
	json_object_set_new(last, "phase", json_string(err < 0 ? "Failed" : "Succeeded"));
	if (err < 0) {
		char msg[2400];
		snprintf(msg, sizeof(msg), "%s", cf_error_last());
		if (has(pols, "hook-failed"))
			delete_objects(kube, objects, mono_ms() + 30000);
		err = cf_error_set(err, "warning: Hook %s %s failed: %s", event, cf_object_str(hook, "path"), msg);
	} else if (has(pols, "hook-succeeded")) {
		err = delete_objects(kube, objects, deadline);
	}
done:
	json_decref(objects);
	return err;
}

/* Helm's order: weight ascending, then name; stable otherwise (the render already sorted by kind). */
static int before(const json_t *a, const json_t *b)
{
	int64_t wa = json_integer_value(json_object_get(a, "weight")), wb = json_integer_value(json_object_get(b, "weight"));
	const char *na = cf_object_str(a, "name"), *nb = cf_object_str(b, "name");

	if (wa != wb)
		return wa < wb;
	return strcmp(na ? na : "", nb ? nb : "") < 0;
}

int hc_hooks_run(cf_kube *kube, json_t *hooks, const char *event, const char *release, const char *ns,
		 int64_t timeout_ms)
{
	size_t n = json_array_size(hooks), m = 0;
	json_t **order = calloc(n ? n : 1, sizeof(*order));
	int64_t deadline = mono_ms() + timeout_ms;
	int err = 0;

	if (!order)
		return CF_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(hooks, i);
		if (!has(json_object_get(h, "events"), event))
			continue;
		size_t j = m++;
		for (; j > 0 && before(h, order[j - 1]); j--)
			order[j] = order[j - 1];
		order[j] = h;
	}
	for (size_t i = 0; i < m && err == 0; i++)
		err = run_one(kube, order[i], event, release, ns, deadline);
	free(order);
	return err;
}
