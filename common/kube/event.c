/* core/v1 Events as Flux's recorder writes them, with repeats folded into a count. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEEN_MAX 4096
#define SEEN_WINDOW_US (10LL * 60 * 1000000) /* client-go's correlator window */

struct kube_event_seen {
	kube_event_seen *next;
	char *key;
	char *name;       /* the Event object's name */
	char *namespace_;
	long count;
	int64_t last_us;
};

static void seen_free(kube_event_seen *s)
{
	if (s) {
		free(s->key);
		free(s->name);
		free(s->namespace_);
		free(s);
	}
}

void kube_events_destroy(kube_events *e)
{
	kube_event_seen *s, *next;

	for (s = e->head; s; s = next) {
		next = s->next;
		seen_free(s);
	}
	e->head = NULL;
	pthread_mutex_destroy(&e->mu);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *event_ns(const cf_kube_event *ev)
{
	return ev->namespace_ && *ev->namespace_ ? ev->namespace_ : "default";
}

/* What makes two events the same one: object, type, reason, message and reporter. */
static int event_key(kube_buf *b, const cf_kube_event *ev)
{
	return kube_buf_printf(b, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s",
	                       or_empty(ev->api_version), or_empty(ev->kind), event_ns(ev),
	                       or_empty(ev->name), or_empty(ev->uid), or_empty(ev->type),
	                       or_empty(ev->reason), or_empty(ev->message),
	                       or_empty(ev->reporting_controller));
}

static json_t *annotations(const cf_kube_event *ev)
{
	json_t *a = json_object();
	const char *const *p;

	for (p = ev->annotations; a && p && p[0] && p[1]; p += 2)
		json_object_set_new(a, p[0], json_string(p[1]));
	return a;
}

static void put_str(json_t *obj, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(obj, key, json_string(v));
}

static char *event_json(const cf_kube_event *ev, const char *name, int64_t now_us)
{
	json_t *root = json_object(), *meta = json_object(), *io = json_object(), *src = json_object();
	char ts[64], host[256] = "";
	const char *instance = ev->reporting_instance;
	char *s = NULL;

	if (!root || !meta || !io || !src)
		goto done;
	if (!instance && gethostname(host, sizeof(host) - 1) == 0)
		instance = host;
	kube_format_sec(ts, now_us);
	put_str(root, "apiVersion", "v1");
	put_str(root, "kind", "Event");
	put_str(meta, "name", name);
	put_str(meta, "namespace", event_ns(ev));
	if (ev->annotations)
		json_object_set_new(meta, "annotations", annotations(ev));
	json_object_set(root, "metadata", meta);
	put_str(io, "kind", ev->kind);
	put_str(io, "namespace", ev->namespace_);
	put_str(io, "name", ev->name);
	put_str(io, "uid", ev->uid);
	put_str(io, "apiVersion", ev->api_version);
	put_str(io, "resourceVersion", ev->resource_version);
	json_object_set(root, "involvedObject", io);
	put_str(root, "reason", ev->reason);
	put_str(root, "message", ev->message);
	put_str(src, "component", ev->reporting_controller);
	json_object_set(root, "source", src);
	put_str(root, "firstTimestamp", ts);
	put_str(root, "lastTimestamp", ts);
	json_object_set_new(root, "count", json_integer(1));
	put_str(root, "type", ev->type);
	put_str(root, "action", ev->action);
	put_str(root, "reportingComponent", ev->reporting_controller);
	put_str(root, "reportingInstance", instance);
	s = json_dumps(root, JSON_COMPACT);
done:
	json_decref(root);
	json_decref(meta);
	json_decref(io);
	json_decref(src);
	return s;
}

/* Bumps a known event; returns its name/namespace copies to patch, or NULLs when unseen. */
static int seen_bump(kube_events *e, const char *key, int64_t now_us, char **name, char **ns,
                     long *count)
{
	kube_event_seen *s;
	int err = 0;

	*name = *ns = NULL;
	pthread_mutex_lock(&e->mu);
	for (s = e->head; s; s = s->next)
		if (!strcmp(s->key, key) && now_us - s->last_us < SEEN_WINDOW_US) {
			s->count++;
			s->last_us = now_us;
			*count = s->count;
			if (!(*name = strdup(s->name)) || !(*ns = strdup(s->namespace_))) {
				free(*name);
				*name = NULL;
				err = cf_error_set(CF_ENOMEM, "out of memory");
			}
			break;
		}
	pthread_mutex_unlock(&e->mu);
	return err;
}

/* Remembers a created event, replacing an older entry with the same key; drops the oldest past SEEN_MAX. */
static void seen_add(kube_events *e, const char *key, const char *name, const char *ns,
                     int64_t now_us)
{
	kube_event_seen *s = calloc(1, sizeof(*s)), **pp;

	if (!s || !(s->key = strdup(key)) || !(s->name = strdup(name)) ||
	    !(s->namespace_ = strdup(ns))) {
		seen_free(s);
		return;
	}
	s->count = 1;
	s->last_us = now_us;
	pthread_mutex_lock(&e->mu);
	for (pp = &e->head; *pp;) {
		kube_event_seen *old = *pp;

		if (!strcmp(old->key, key) || now_us - old->last_us >= SEEN_WINDOW_US) {
			*pp = old->next;
			seen_free(old);
			e->count--;
		} else
			pp = &old->next;
	}
	s->next = e->head;
	e->head = s;
	if (++e->count > SEEN_MAX) {
		for (pp = &e->head; (*pp)->next; pp = &(*pp)->next)
			;
		seen_free(*pp);
		*pp = NULL;
		e->count--;
	}
	pthread_mutex_unlock(&e->mu);
}

static int patch_count(cf_kube *k, const char *ns, const char *name, long count, int64_t now_us)
{
	cf_kube_ref ref = { "v1", "Event", ns, name };
	char ts[64], body[128];

	kube_format_sec(ts, now_us);
	snprintf(body, sizeof(body), "{\"count\":%ld,\"lastTimestamp\":\"%s\"}", count, ts);
	return cf_kube_patch(k, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
}

static int create_event(cf_kube *k, const cf_kube_event *ev, const char *key, int64_t now_us)
{
	cf_kube_ref ref = { "v1", "Event", event_ns(ev), NULL };
	kube_buf name = { 0 };
	char *json = NULL;
	int err;

	/* client-go names events "<object>.<unix nanoseconds in hex>". */
	if ((err = kube_buf_printf(&name, "%s.%llx", ev->name,
	                           (unsigned long long)now_us * 1000ULL)) < 0)
		goto done;
	if (!(json = event_json(ev, name.data, now_us))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = cf_kube_create(k, NULL, &ref, json, NULL)) == 0)
		seen_add(&k->core->events, key, name.data, event_ns(ev), now_us);
done:
	free(json);
	kube_buf_free(&name);
	return err;
}

int cf_kube_event_record(cf_kube *k, const cf_kube_event *ev)
{
	int64_t now = cf_kube_now_us();
	kube_buf key = { 0 };
	char *name = NULL, *ns = NULL;
	long count = 0;
	int err;

	if (!ev || !ev->kind || !ev->name || !*ev->name || !ev->reason || !ev->type)
		return cf_error_set(CF_EINVALID, "event: kind, name, reason and type are required");
	if ((err = event_key(&key, ev)) < 0 ||
	    (err = seen_bump(&k->core->events, key.data, now, &name, &ns, &count)) < 0)
		goto done;
	if (name) {
		err = patch_count(k, ns, name, count, now);
		if (err != CF_ENOTFOUND)
			goto done;
	}
	err = create_event(k, ev, key.data, now);
done:
	free(name);
	free(ns);
	kube_buf_free(&key);
	return err;
}
