/*
 * In-cluster discovery of bus publishers: the ready endpoints of a (headless) Service, from its
 * EndpointSlices, so a consumer hears every replica of a scaled publisher.
 */
#ifndef CF_DISCOVERY_H
#define CF_DISCOVERY_H

#include <jansson.h>
#include <stddef.h>

#include "cf/bus.h"
#include "cf/kube.h"

typedef struct cf_discovery cf_discovery;

/*
 * Told when an endpoint appears (added = 1) or goes away (added = 0). url is
 * "tcp://<address>:<port>" (IPv6 addresses in brackets), borrowed for the call. Called from the
 * discovery's own thread, one call at a time.
 */
typedef void (*cf_discovery_fn)(void *ctx, const char *url, int added);

/*
 * Watches the EndpointSlices labelled kubernetes.io/service-name=<service> in namespace_ and
 * reports ready endpoints on the port named port_name (NULL: each slice's first port). An
 * endpoint counts as ready unless conditions.ready is false, as kube-proxy does. kube is
 * borrowed. Caller frees *out with cf_discovery_free(). Returns 0, CF_EINVALID, CF_ENOMEM.
 */
int cf_discovery_start(cf_discovery **out, cf_kube *kube, const char *namespace_,
		       const char *service, const char *port_name, cf_discovery_fn fn, void *ctx);

/* The same, connecting and disconnecting sub as endpoints come and go. */
int cf_discovery_start_bus(cf_discovery **out, cf_kube *kube, const char *namespace_,
			   const char *service, const char *port_name, cf_bus_sub *sub);

/* Number of endpoints currently known. */
size_t cf_discovery_count(cf_discovery *d);

/* Stops watching. Endpoints stay connected. NULL is a no-op. */
void cf_discovery_free(cf_discovery *d);

/* ---- listening to the bus ---- */

typedef struct cf_discovery_listener cf_discovery_listener;

/* Told each message the listener receives (borrowed for the call), on the listener's thread. */
typedef void (*cf_discovery_msg_fn)(void *ctx, const cf_bus_msg *m);

/*
 * Subscribes to the bus message types of type_mask (CF_BUS_MASK) from every publisher in connect
 * (comma-separated tcp:// endpoints, the --events-connect flag) and from the ready endpoints of
 * port "events" of each Service in services (comma-separated "<namespace>/<name>", at most 8,
 * the --events-service flag), and calls fn for each message on a thread of its own. Either list
 * may be NULL or empty; with nothing to listen to, *out is NULL and 0 is returned. CF_EINVALID
 * for a malformed Service name, CF_ELIMIT, CF_ENOMEM, or the bus's error for a bad endpoint.
 * kube is borrowed for the listener's life; free with cf_discovery_listener_free().
 */
int cf_discovery_listen(cf_discovery_listener **out, cf_kube *kube, const char *connect, const char *services,
			unsigned type_mask, cf_discovery_msg_fn fn, void *ctx);
/* Stops the thread and the Service watches and closes the subscriber. NULL is a no-op. */
void cf_discovery_listener_free(cf_discovery_listener *l);

/*
 * The URLs of one EndpointSlice (parsed JSON), sorted and without duplicates, as a NULL-terminated
 * array the caller frees with cf_discovery_urls_free(). Pure: what the watcher applies per slice.
 */
int cf_discovery_slice_urls(char ***out, const json_t *slice, const char *port_name);
void cf_discovery_urls_free(char **urls);

#endif
