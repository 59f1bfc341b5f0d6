/*
 * A consumer's side of the bus: one subscriber connected to the publishers named on the command
 * line (--events-connect) and to the ready endpoints of in-cluster Services (--events-service),
 * and a thread handing every message to the controller's handler.
 */
#include "cf/discovery.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

#define MAX_SERVICES 8
#define RECV_TIMEOUT_MS 500

struct cf_discovery_listener {
	cf_kube *kube;
	cf_bus_sub *sub;
	unsigned mask;
	cf_discovery_msg_fn fn;
	void *ctx;
	cf_discovery *services[MAX_SERVICES];
	pthread_t thread;
	int running;
	volatile int stopping;
};

static int ensure_sub(cf_discovery_listener *l)
{
	return l->sub ? 0 : cf_bus_sub_new(&l->sub, l->mask);
}

static int add_connect(cf_discovery_listener *l, const char *url)
{
	int err;

	if ((err = ensure_sub(l)) < 0)
		return err;
	if ((err = cf_bus_sub_connect(l->sub, url)) < 0 && err != CF_EEXISTS)
		return cf_error_wrap(err, "--events-connect %s: ", url);
	return 0;
}

static int add_service(cf_discovery_listener *l, const char *item)
{
	char ns[256], *slash;
	size_t i;
	int err;

	snprintf(ns, sizeof(ns), "%s", item);
	if (!(slash = strchr(ns, '/')) || !slash[1] || slash == ns)
		return cf_error_set(CF_EINVALID, "--events-service wants <namespace>/<name>, got '%s'", item);
	*slash = '\0';
	for (i = 0; i < MAX_SERVICES && l->services[i]; i++)
		;
	if (i == MAX_SERVICES)
		return cf_error_set(CF_ELIMIT, "--events-service names more than %d Services", MAX_SERVICES);
	if ((err = ensure_sub(l)) < 0)
		return err;
	return cf_discovery_start_bus(&l->services[i], l->kube, ns, slash + 1, "events", l->sub);
}

/* Calls fn on each trimmed, non-empty item of a comma-separated list; stops at the first error. */
static int each_item(cf_discovery_listener *l, const char *list, int (*fn)(cf_discovery_listener *, const char *))
{
	char buf[8192], *save = NULL;
	int err;

	if (!list)
		return 0;
	if (strlen(list) >= sizeof(buf))
		return cf_error_set(CF_ELIMIT, "flag value longer than %zu bytes", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		size_t n;
		while (*item == ' ')
			item++;
		for (n = strlen(item); n && item[n - 1] == ' '; n--)
			item[n - 1] = '\0';
		if (*item && (err = fn(l, item)) < 0)
			return err;
	}
	return 0;
}

static void *listen_loop(void *arg)
{
	cf_discovery_listener *l = arg;

	while (!l->stopping) {
		cf_bus_msg *m = NULL;
		if (cf_bus_sub_recv(&m, l->sub, RECV_TIMEOUT_MS) < 0)
			continue;
		l->fn(l->ctx, m);
		cf_bus_msg_free(m);
	}
	return NULL;
}

int cf_discovery_listen(cf_discovery_listener **out, cf_kube *kube, const char *connect, const char *services,
			unsigned type_mask, cf_discovery_msg_fn fn, void *ctx)
{
	cf_discovery_listener *l;
	int err;

	*out = NULL;
	if (!fn)
		return cf_error_set(CF_EINVALID, "a bus listener needs a handler");
	if (!(l = calloc(1, sizeof(*l))))
		return CF_ENOMEM;
	l->kube = kube;
	l->mask = type_mask;
	l->fn = fn;
	l->ctx = ctx;
	if ((err = each_item(l, connect, add_connect)) < 0 || (err = each_item(l, services, add_service)) < 0)
		goto fail;
	if (!l->sub) {
		free(l); /* nothing to listen to */
		return 0;
	}
	if (pthread_create(&l->thread, NULL, listen_loop, l) != 0) {
		err = cf_error_set(CF_ERROR, "starting the bus listener failed");
		goto fail;
	}
	l->running = 1;
	*out = l;
	return 0;
fail:
	cf_discovery_listener_free(l);
	return err;
}

void cf_discovery_listener_free(cf_discovery_listener *l)
{
	if (!l)
		return;
	l->stopping = 1;
	for (size_t i = 0; i < MAX_SERVICES; i++)
		cf_discovery_free(l->services[i]);
	if (l->running)
		pthread_join(l->thread, NULL);
	cf_bus_sub_free(l->sub);
	free(l);
}
