/* Watch: a streamed GET whose newline-separated JSON events are handed to a callback. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_MAX (64u << 20) /* one event: an object up to etcd's limit, with room to spare */

static const struct {
	const char *name;
	cf_kube_event_type type;
} event_types[] = {
	{ "ADDED", CF_KUBE_ADDED },       { "MODIFIED", CF_KUBE_MODIFIED },
	{ "DELETED", CF_KUBE_DELETED },   { "BOOKMARK", CF_KUBE_BOOKMARK },
	{ "ERROR", CF_KUBE_ERROR },
};

static int dispatch(kube_watch_decoder *w, const char *text, size_t len)
{
	json_t *root, *obj;
	cf_kube_watch_event ev = { 0 };
	const char *type, *rv;
	char *s = NULL;
	size_t i, off, olen;
	int rc;

	/*
	 * jansson lets a raw NUL byte through after a number, but the object is handed out as a C
	 * string: refuse it rather than give callers text whose strlen() is not its length.
	 */
	if (memchr(text, '\0', len))
		return cf_error_set(CF_EPARSE, "watch: NUL byte in an event");
	root = json_loadb(text, len, 0, NULL);
	obj = json_object_get(root, "object");
	type = json_string_value(json_object_get(root, "type"));
	for (i = 0; type && i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (!strcmp(type, event_types[i].name))
			break;
	if (!json_is_object(obj) || !type || i == sizeof(event_types) / sizeof(event_types[0])) {
		json_decref(root);
		return cf_error_set(CF_EPARSE, "watch: malformed event");
	}
	ev.type = event_types[i].type;
	rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	ev.resource_version = rv ? rv : "";
	if (ev.type == CF_KUBE_BOOKMARK) {
		json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
		const char *end = json_string_value(json_object_get(ann, "k8s.io/initial-events-end"));

		ev.initial_events_end = end && !strcmp(end, "true");
	}
	if (ev.type == CF_KUBE_ERROR) {
		const char *msg = json_string_value(json_object_get(obj, "message"));

		ev.status_code = (int)json_integer_value(json_object_get(obj, "code"));
		w->error_code = cf_kube_error_code(ev.status_code,
		                                   json_string_value(json_object_get(obj, "reason")));
		if (!w->error_code)
			w->error_code = CF_ERROR;
		snprintf(w->error_msg, sizeof(w->error_msg), "watch: %d: %s", ev.status_code,
		         msg ? msg : "(no message)");
	}
	/* hand out the server's own bytes for the object, not a re-serialisation */
	if (kube_json_member(text, len, "object", &off, &olen) < 0 || !(s = malloc(olen + 1))) {
		json_decref(root);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	memcpy(s, text + off, olen);
	s[olen] = '\0';
	ev.object = s;
	ev.object_len = olen;
	rc = w->fn(w->ctx, &ev);
	free(s);
	json_decref(root);
	return rc;
}

void kube_watch_decoder_init(kube_watch_decoder *w, cf_kube_watch_fn fn, void *ctx)
{
	memset(w, 0, sizeof(*w));
	w->fn = fn;
	w->ctx = ctx;
	w->line.limit = EVENT_MAX;
}

/* Splits the stream at newlines; a partial event waits in w->line. */
int kube_watch_decoder_feed(void *ud, const char *p, size_t n)
{
	kube_watch_decoder *w = ud;
	const char *nl;
	int rc;

	while (n > 0) {
		if (!(nl = memchr(p, '\n', n)))
			return kube_buf_append(&w->line, p, n);
		if (w->line.len) {
			if ((rc = kube_buf_append(&w->line, p, (size_t)(nl - p))) < 0)
				return rc;
			rc = dispatch(w, w->line.data, w->line.len);
			w->line.len = 0;
		} else {
			rc = nl > p ? dispatch(w, p, (size_t)(nl - p)) : 0;
		}
		if (rc)
			return rc;
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return 0;
}

static int watch_path(cf_kube *k, kube_buf *b, const cf_kube_ref *ref, const cf_kube_watch_opts *o)
{
	char *p = NULL, tmo[32];
	int err;

	if ((err = kube_ref_path(k, &p, ref, 0, NULL, NULL)) < 0)
		return err;
	err = kube_buf_append(b, p, strlen(p));
	free(p);
	if (err < 0 || (err = kube_buf_query(b, "watch", "true")) < 0 || !o)
		return err;
	snprintf(tmo, sizeof(tmo), "%ld", o->timeout_seconds);
	if ((err = kube_buf_query(b, "labelSelector", o->label_selector)) < 0 ||
	    (err = kube_buf_query(b, "fieldSelector", o->field_selector)) < 0 ||
	    (err = kube_buf_query(b, "resourceVersion", o->resource_version)) < 0 ||
	    ((o->allow_bookmarks || o->send_initial_events) &&
	     (err = kube_buf_query(b, "allowWatchBookmarks", "true")) < 0) ||
	    (o->send_initial_events &&
	     ((err = kube_buf_query(b, "sendInitialEvents", "true")) < 0 ||
	      (err = kube_buf_query(b, "resourceVersionMatch", "NotOlderThan")) < 0)) ||
	    (o->timeout_seconds > 0 && (err = kube_buf_query(b, "timeoutSeconds", tmo)) < 0))
		return err;
	return 0;
}

int kube_watch_decoder_finish(kube_watch_decoder *w)
{
	int err = 0;

	if (w->line.len)
		err = kube_watch_decoder_feed(w, "\n", 1);
	if (!err && w->error_code)
		err = cf_error_set(w->error_code, "%s", w->error_msg);
	return err;
}

void kube_watch_decoder_free(kube_watch_decoder *w)
{
	kube_buf_free(&w->line);
}

int cf_kube_watch(cf_kube *k, const cf_kube_ref *ref, const cf_kube_watch_opts *opts,
                  cf_kube_watch_fn fn, void *ctx, cf_kube_cancel *cancel)
{
	kube_watch_decoder w;
	kube_buf path = { 0 };
	kube_req req = { .method = "GET", .stream = 1, .sink = kube_watch_decoder_feed,
	                 .sink_ctx = &w, .cancel = cancel };
	int err;

	if (!fn)
		return cf_error_set(CF_EINVALID, "watch: no callback");
	kube_watch_decoder_init(&w, fn, ctx);
	if ((err = watch_path(k, &path, ref, opts)) < 0)
		goto done;
	req.path = path.data;
	/* A client-side cap a little past the server's own timeout catches a silent dead peer. */
	if (opts && opts->timeout_seconds > 0)
		req.stream_deadline_s = opts->timeout_seconds + 30;
	if ((err = kube_do(k, &req, NULL, NULL)) == 0)
		err = kube_watch_decoder_finish(&w);
done:
	kube_watch_decoder_free(&w);
	kube_buf_free(&path);
	return err;
}
