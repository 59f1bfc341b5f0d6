/* Keeps a set of publisher endpoints in step with a Service's EndpointSlices. */
#include "cf/discovery.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cf/log.h"
#include "cf/runtime.h"

#define MAX_URLS 4096

struct cf_discovery {
	cf_informer *inf;
	cf_discovery_fn fn;
	void *ctx;
	char *port_name;
	pthread_mutex_t mu;
	json_t *slices;   /* slice key -> array of urls */
	json_t *counts;   /* url -> number of slices naming it */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The port number named port_name (or the first), or -1. */
static long slice_port(const json_t *slice, const char *port_name)
{
	json_t *ports = json_object_get(slice, "ports"), *p;
	size_t i;

	json_array_foreach(ports, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		if (!port_name || (name && strcmp(name, port_name) == 0))
			return (long)json_integer_value(json_object_get(p, "port"));
	}
	return -1;
}

int cf_discovery_slice_urls(char ***out, const json_t *slice, const char *port_name)
{
	long port = slice_port(slice, port_name);
	const char *type = json_string_value(json_object_get(slice, "addressType"));
	json_t *eps = json_object_get(slice, "endpoints"), *ep, *addr;
	char **urls = calloc(MAX_URLS + 1, sizeof(*urls));
	size_t i, j, n = 0;

	if (!urls)
		return CF_ENOMEM;
	if (port <= 0 || port > 65535 || (type && strcmp(type, "FQDN") == 0))
		goto done;
	json_array_foreach(eps, i, ep) {
		json_t *ready = json_object_get(json_object_get(ep, "conditions"), "ready");
		if (json_is_false(ready))
			continue;
		json_array_foreach(json_object_get(ep, "addresses"), j, addr) {
			const char *a = json_string_value(addr);
			if (!a || n == MAX_URLS)
				continue;
			int v6 = type && strcmp(type, "IPv6") == 0;
			if (asprintf(&urls[n], v6 ? "tcp://[%s]:%ld" : "tcp://%s:%ld", a, port) < 0) {
				urls[n] = NULL;
				cf_discovery_urls_free(urls);
				return CF_ENOMEM;
			}
			n++;
		}
	}
	qsort(urls, n, sizeof(*urls), cmp_str);
	/* Two endpoints with the same address are one publisher. */
	for (i = 1, j = 1; i < n; i++) {
		if (strcmp(urls[i], urls[j - 1]) == 0)
			free(urls[i]);
		else
			urls[j++] = urls[i];
	}
	if (n > 0)
		n = j;
	urls[n] = NULL;
done:
	*out = urls;
	return 0;
}

void cf_discovery_urls_free(char **urls)
{
	if (!urls)
		return;
	for (char **u = urls; *u; u++)
		free(*u);
	free(urls);
}

/* Counts references per url across slices; reports 0 -> 1 and 1 -> 0 transitions. */
static void adjust(cf_discovery *d, const char *url, int delta)
{
	json_int_t n = json_integer_value(json_object_get(d->counts, url)) + delta;

	if (n <= 0) {
		json_object_del(d->counts, url);
		d->fn(d->ctx, url, 0);
	} else {
		json_object_set_new(d->counts, url, json_integer(n));
		if (n == 1 && delta > 0)
			d->fn(d->ctx, url, 1);
	}
}

static void on_slice(void *ctx, cf_informer_event ev, const char *key, const json_t *obj,
		     const json_t *old)
{
	cf_discovery *d = ctx;
	char **urls = NULL;
	json_t *prev, *next = json_array(), *u;
	size_t i;

	if (ev != CF_INFORMER_DELETE && cf_discovery_slice_urls(&urls, obj, d->port_name) < 0) {
		json_decref(next);
		return;
	}
	for (char **p = urls; p && *p; p++)
		json_array_append_new(next, json_string(*p));
	cf_discovery_urls_free(urls);

	pthread_mutex_lock(&d->mu);
	prev = json_incref(json_object_get(d->slices, key));
	/* Add first, then remove, so an endpoint that moves between slices never drops. */
	json_array_foreach(next, i, u)
		adjust(d, json_string_value(u), +1);
	json_array_foreach(prev, i, u)
		adjust(d, json_string_value(u), -1);
	if (json_array_size(next))
		json_object_set(d->slices, key, next);
	else
		json_object_del(d->slices, key);
	pthread_mutex_unlock(&d->mu);
	json_decref(prev);
	json_decref(next);
}

int cf_discovery_start(cf_discovery **out, cf_kube *kube, const char *namespace_,
		       const char *service, const char *port_name, cf_discovery_fn fn, void *ctx)
{
	cf_discovery *d = NULL;
	char selector[512];
	int err;

	if (!service || !*service || !namespace_ || !*namespace_ || !fn)
		return cf_error_set(CF_EINVALID, "discovery needs a namespace, a service and a callback");
	if (!(d = calloc(1, sizeof(*d))))
		return CF_ENOMEM;
	pthread_mutex_init(&d->mu, NULL);
	d->fn = fn;
	d->ctx = ctx;
	d->slices = json_object();
	d->counts = json_object();
	d->port_name = port_name ? strdup(port_name) : NULL;
	snprintf(selector, sizeof(selector), "kubernetes.io/service-name=%s", service);
	cf_informer_opts opts = {
		.api_version = "discovery.k8s.io/v1",
		.kind = "EndpointSlice",
		.namespace_ = namespace_,
		.label_selector = selector,
	};
	if ((err = cf_informer_new(&d->inf, kube, &opts)) < 0 ||
	    (err = cf_informer_add_handler(d->inf, on_slice, d)) < 0 ||
	    (err = cf_informer_start(d->inf)) < 0) {
		cf_discovery_free(d);
		return err;
	}
	*out = d;
	return 0;
}

static void bus_fn(void *ctx, const char *url, int added)
{
	cf_bus_sub *sub = ctx;
	int err = added ? cf_bus_sub_connect(sub, url) : cf_bus_sub_disconnect(sub, url);

	if (err < 0 && err != CF_EEXISTS && err != CF_ENOTFOUND)
		cf_log_error(NULL, "bus endpoint %s: %s", url, cf_error_last());
	else
		cf_log_info(NULL, "%s bus publisher %s", added ? "connected to" : "disconnected from", url);
}

int cf_discovery_start_bus(cf_discovery **out, cf_kube *kube, const char *namespace_,
			   const char *service, const char *port_name, cf_bus_sub *sub)
{
	return cf_discovery_start(out, kube, namespace_, service, port_name, bus_fn, sub);
}

size_t cf_discovery_count(cf_discovery *d)
{
	size_t n;

	pthread_mutex_lock(&d->mu);
	n = json_object_size(d->counts);
	pthread_mutex_unlock(&d->mu);
	return n;
}

void cf_discovery_free(cf_discovery *d)
{
	if (!d)
		return;
	cf_informer_free(d->inf);
	json_decref(d->slices);
	json_decref(d->counts);
	free(d->port_name);
	pthread_mutex_destroy(&d->mu);
	free(d);
}
