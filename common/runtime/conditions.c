/* kstatus-compatible status conditions with the rules of Flux's pkg/runtime/conditions. */
#include "cf/runtime.h"
#include "cf/error.h"

#include <stdlib.h>
#include <string.h>

void cf_cond_format_time(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *conditions_of(const json_t *obj)
{
	json_t *list = json_object_get(json_object_get(obj, "status"), "conditions");
	return json_is_array(list) ? list : NULL;
}

json_t *cf_cond_get(const json_t *obj, const char *type)
{
	json_t *list = conditions_of(obj), *c;
	size_t i;

	json_array_foreach(list, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

int cf_cond_has_status(const json_t *obj, const char *type, const char *status)
{
	const char *s = json_string_value(json_object_get(cf_cond_get(obj, type), "status"));
	return s && strcmp(s, status) == 0;
}

/* Stalled, Reconciling and Ready lead, in that order; the rest follow by type. */
static int weight(const char *type)
{
	static const char *const first[] = {CF_COND_STALLED, CF_COND_RECONCILING, CF_COND_READY};

	for (int i = 0; i < 3; i++)
		if (type && strcmp(type, first[i]) == 0)
			return i;
	return 3;
}

static int cond_cmp(const void *a, const void *b)
{
	const char *ta = json_string_value(json_object_get(*(json_t *const *)a, "type"));
	const char *tb = json_string_value(json_object_get(*(json_t *const *)b, "type"));
	int wa = weight(ta), wb = weight(tb);

	if (wa != wb || wa < 3)
		return wa - wb;
	return strcmp(ta ? ta : "", tb ? tb : "");
}

static int sort_conditions(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **items;

	if (n < 2)
		return 0;
	if (!(items = malloc(n * sizeof(*items))))
		return cf_error_set(CF_ENOMEM, "out of memory sorting conditions");
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(list, i));
	qsort(items, n, sizeof(*items), cond_cmp);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
	return 0;
}

static int str_eq(const json_t *c, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(c, key));
	return strcmp(s ? s : "", want ? want : "") == 0;
}

static json_t *ensure_object(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (json_is_object(o))
		return o;
	o = json_object();
	if (!o || json_object_set_new(parent, key, o) < 0)
		return NULL;
	return o;
}

static json_int_t generation_of(const json_t *obj)
{
	return json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
}

int cf_cond_set(json_t *obj, const char *type, const char *status, const char *reason,
		const char *message, time_t now)
{
	json_t *status_obj, *list, *old, *c;
	char ts[32];

	if (!json_is_object(obj) || !type || !status)
		return cf_error_set(CF_EINVALID, "cf_cond_set needs an object, a type and a status");
	if (!(status_obj = ensure_object(obj, "status")))
		return cf_error_set(CF_ENOMEM, "out of memory setting condition %s", type);
	if (!(list = json_object_get(status_obj, "conditions")) || !json_is_array(list)) {
		if (!(list = json_array()) || json_object_set_new(status_obj, "conditions", list) < 0)
			return cf_error_set(CF_ENOMEM, "out of memory setting condition %s", type);
	}
	old = cf_cond_get(obj, type);
	/* The transition time moves only when the state (status, reason, message) changes. */
	if (old && str_eq(old, "status", status) && str_eq(old, "reason", reason) &&
	    str_eq(old, "message", message) && json_is_string(json_object_get(old, "lastTransitionTime")))
		snprintf(ts, sizeof(ts), "%s", json_string_value(json_object_get(old, "lastTransitionTime")));
	else
		cf_cond_format_time(ts, sizeof(ts), now);
	c = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "type", type, "status", status,
		      "observedGeneration", (json_int_t)generation_of(obj), "lastTransitionTime", ts,
		      "reason", reason ? reason : "", "message", message ? message : "");
	if (!c)
		return cf_error_set(CF_ENOMEM, "out of memory setting condition %s", type);
	if (old) {
		json_object_update(old, c);
		json_decref(c);
		return 0;
	}
	if (json_array_append_new(list, c) < 0)
		return cf_error_set(CF_ENOMEM, "out of memory setting condition %s", type);
	return sort_conditions(list);
}

void cf_cond_delete(json_t *obj, const char *type)
{
	json_t *list = conditions_of(obj), *c;
	size_t i;

	json_array_foreach(list, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t && strcmp(t, type) == 0) {
			json_array_remove(list, i);
			return;
		}
	}
}

int cf_cond_mark_reconciling(json_t *obj, const char *reason, const char *message, time_t now)
{
	cf_cond_delete(obj, CF_COND_STALLED);
	return cf_cond_set(obj, CF_COND_RECONCILING, "True", reason, message, now);
}

int cf_cond_mark_stalled(json_t *obj, const char *reason, const char *message, time_t now)
{
	int err;

	cf_cond_delete(obj, CF_COND_RECONCILING);
	if ((err = cf_cond_set(obj, CF_COND_STALLED, "True", reason, message, now)) < 0)
		return err;
	return cf_cond_set(obj, CF_COND_READY, "False", reason, message, now);
}

int cf_cond_summarize(json_t *obj, time_t now)
{
	json_t *rc = cf_cond_get(obj, CF_COND_RECONCILING);
	int err;

	if (rc && cf_cond_has_status(obj, CF_COND_READY, "False")) {
		const char *st = json_string_value(json_object_get(rc, "status"));
		const char *msg = json_string_value(json_object_get(rc, "message"));
		char *status = strdup(st ? st : "True"), *message = strdup(msg ? msg : "");
		err = status && message ? cf_cond_set(obj, CF_COND_RECONCILING, status,
						      CF_REASON_PROGRESSING_WITH_RETRY, message, now)
					: cf_error_set(CF_ENOMEM, "out of memory summarising conditions");
		free(status);
		free(message);
		if (err < 0)
			return err;
	}
	if (cf_cond_has_status(obj, CF_COND_READY, "True")) {
		cf_cond_delete(obj, CF_COND_RECONCILING);
		cf_cond_delete(obj, CF_COND_STALLED);
	}
	if (cf_cond_has_status(obj, CF_COND_READY, "True") ||
	    cf_cond_has_status(obj, CF_COND_STALLED, "True")) {
		json_t *status = ensure_object(obj, "status");
		if (!status || json_object_set_new(status, "observedGeneration",
						   json_integer(generation_of(obj))) < 0)
			return cf_error_set(CF_ENOMEM, "out of memory summarising conditions");
	}
	return 0;
}

int cf_cond_handle_requested_at(json_t *obj)
{
	json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
	const char *req = json_string_value(json_object_get(ann, CF_ANNOTATION_REQUESTED_AT));
	json_t *status;

	if (!req)
		return 0;
	status = ensure_object(obj, "status");
	if (!status)
		return cf_error_set(CF_ENOMEM, "out of memory recording %s", CF_ANNOTATION_REQUESTED_AT);
	if (str_eq(status, "lastHandledReconcileAt", req) &&
	    json_is_string(json_object_get(status, "lastHandledReconcileAt")))
		return 0;
	if (json_object_set_new(status, "lastHandledReconcileAt", json_string(req)) < 0)
		return cf_error_set(CF_ENOMEM, "out of memory recording %s", CF_ANNOTATION_REQUESTED_AT);
	return 1;
}
