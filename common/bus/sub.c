/* The subscribing side of the bus: one SUB socket, a run-time list of publishers, counted drops. */
#include "cf/bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "cf/error.h"
#include "topic.h"

/* Room for a few thousand messages, so a slow event loop does not lose a burst. */
#define RECEIVE_BUFFER (4 << 20)

typedef struct {
	char *url;
	int eid;
} endpoint;

struct cf_bus_sub {
	int sock;
	pthread_mutex_t lock; /* guards endpoints: discovery may edit them from another thread */
	endpoint *endpoints;
	size_t nendpoints;
	_Atomic uint64_t received;
	_Atomic uint64_t dropped[CF_BUS_DROP_REASONS];
};

static int subscribe(int sock, unsigned type_mask)
{
	size_t len;
	const char *topic;

	/* Types are numbered from 1 without gaps; the codec's table knows where they end. */
	for (int type = 1; (topic = cf_bus__topic((cf_bus_type)type, &len)) != NULL; type++) {
		if (!(type_mask & CF_BUS_MASK(type)))
			continue;
		if (nn_setsockopt(sock, NN_SUB, NN_SUB_SUBSCRIBE, topic, len) < 0)
			return cf_error_set(CF_EIO, "bus: subscribe %s: %s", cf_bus_type_name(type),
					    nn_strerror(nn_errno()));
	}
	return 0;
}

int cf_bus_sub_new(cf_bus_sub **out, unsigned type_mask)
{
	cf_bus_sub *sub;
	int err;

	if ((type_mask & CF_BUS_MASK_ALL) == 0)
		return cf_error_set(CF_EINVALID, "bus: subscriber needs at least one message type");
	if ((sub = calloc(1, sizeof(*sub))) == NULL)
		return cf_error_set(CF_ENOMEM, "bus: out of memory");
	if ((sub->sock = nn_socket(AF_SP, NN_SUB)) < 0) {
		free(sub);
		return cf_error_set(CF_EIO, "bus: SUB socket: %s", nn_strerror(nn_errno()));
	}
	nn_setsockopt(sub->sock, NN_SOL_SOCKET, NN_RCVBUF, &(int){RECEIVE_BUFFER}, sizeof(int));
	if ((err = subscribe(sub->sock, type_mask)) < 0) {
		nn_close(sub->sock);
		free(sub);
		return err;
	}
	pthread_mutex_init(&sub->lock, NULL);
	*out = sub;
	return 0;
}

static ssize_t find_endpoint(const cf_bus_sub *sub, const char *url)
{
	for (size_t i = 0; i < sub->nendpoints; i++)
		if (strcmp(sub->endpoints[i].url, url) == 0)
			return (ssize_t)i;
	return -1;
}

static int add_endpoint(cf_bus_sub *sub, const char *url)
{
	endpoint *grown;
	char *copy;
	int eid;

	if (find_endpoint(sub, url) >= 0)
		return cf_error_set(CF_EEXISTS, "bus: already connected to %s", url);
	grown = realloc(sub->endpoints, (sub->nendpoints + 1) * sizeof(*grown));
	if (grown == NULL)
		return cf_error_set(CF_ENOMEM, "bus: out of memory");
	sub->endpoints = grown;
	if ((copy = strdup(url)) == NULL)
		return cf_error_set(CF_ENOMEM, "bus: out of memory");
	if ((eid = nn_connect(sub->sock, url)) < 0) {
		int e = nn_errno();
		free(copy);
		return cf_error_set(e == EINVAL || e == EPROTONOSUPPORT || e == ENAMETOOLONG ? CF_EINVALID : CF_EIO,
				    "bus: connect %s: %s", url, nn_strerror(e));
	}
	sub->endpoints[sub->nendpoints++] = (endpoint){copy, eid};
	return 0;
}

int cf_bus_sub_connect(cf_bus_sub *sub, const char *url)
{
	int err;

	if (url == NULL)
		return cf_error_set(CF_EINVALID, "bus: endpoint URL is required");
	pthread_mutex_lock(&sub->lock);
	err = add_endpoint(sub, url);
	pthread_mutex_unlock(&sub->lock);
	return err;
}

int cf_bus_sub_disconnect(cf_bus_sub *sub, const char *url)
{
	ssize_t i;
	int err = 0;

	pthread_mutex_lock(&sub->lock);
	if ((i = find_endpoint(sub, url)) < 0) {
		err = cf_error_set(CF_ENOTFOUND, "bus: not connected to %s", url);
		goto done;
	}
	nn_shutdown(sub->sock, sub->endpoints[i].eid);
	free(sub->endpoints[i].url);
	sub->endpoints[i] = sub->endpoints[--sub->nendpoints];
done:
	pthread_mutex_unlock(&sub->lock);
	return err;
}

size_t cf_bus_sub_endpoint_count(const cf_bus_sub *sub)
{
	cf_bus_sub *s = (cf_bus_sub *)sub;
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nendpoints;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int cf_bus_sub_fd(int *out, const cf_bus_sub *sub)
{
	int fd;
	size_t size = sizeof(fd);

	if (nn_getsockopt(sub->sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &size) < 0)
		return cf_error_set(CF_EIO, "bus: NN_RCVFD: %s", nn_strerror(nn_errno()));
	*out = fd;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the socket may be readable; 1 if so, 0 when the deadline passed, <0 on error. */
static int wait_readable(cf_bus_sub *sub, int timeout_ms, int64_t deadline)
{
	struct nn_pollfd pfd = {.fd = sub->sock, .events = NN_POLLIN};
	int wait = -1, rc;

	if (timeout_ms >= 0) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		wait = (int)left;
	}
	rc = nn_poll(&pfd, 1, wait);
	if (rc < 0 && nn_errno() != EINTR)
		return cf_error_set(CF_EIO, "bus: poll: %s", nn_strerror(nn_errno()));
	return rc > 0 ? 1 : (timeout_ms < 0 ? 1 : (deadline - now_ms() > 0));
}

/* Takes one raw message off the socket: 1 with a message, 0 if none is queued, <0 on error. */
static int take(cf_bus_sub *sub, void **buf, int *len)
{
	int n = nn_recv(sub->sock, buf, NN_MSG, NN_DONTWAIT);

	if (n >= 0) {
		*len = n;
		return 1;
	}
	if (nn_errno() == EAGAIN || nn_errno() == EINTR)
		return 0;
	return cf_error_set(CF_EIO, "bus: receive: %s", nn_strerror(nn_errno()));
}

int cf_bus_sub_recv(cf_bus_msg **out, cf_bus_sub *sub, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		cf_bus_drop_reason why;
		void *buf = NULL;
		int len = 0, rc;

		if ((rc = take(sub, &buf, &len)) < 0)
			return rc;
		if (rc == 0) {
			if (timeout_ms == 0)
				return CF_EAGAIN;
			if ((rc = wait_readable(sub, timeout_ms, deadline)) < 0)
				return rc;
			if (rc == 0)
				return cf_error_set(CF_EAGAIN, "bus: no message within %d ms", timeout_ms);
			continue;
		}
		rc = cf_bus_decode(out, &why, buf, (size_t)len);
		nn_freemsg(buf);
		if (rc == 0) {
			atomic_fetch_add(&sub->received, 1);
			return 0;
		}
		if (rc == CF_ENOMEM)
			return rc;
		atomic_fetch_add(&sub->dropped[why], 1);
	}
}

void cf_bus_sub_stats(cf_bus_stats *out, const cf_bus_sub *sub)
{
	cf_bus_sub *s = (cf_bus_sub *)sub;

	out->received = atomic_load(&s->received);
	for (int i = 0; i < CF_BUS_DROP_REASONS; i++)
		out->dropped[i] = atomic_load(&s->dropped[i]);
}

void cf_bus_sub_free(cf_bus_sub *sub)
{
	if (sub == NULL)
		return;
	nn_close(sub->sock);
	for (size_t i = 0; i < sub->nendpoints; i++)
		free(sub->endpoints[i].url);
	free(sub->endpoints);
	pthread_mutex_destroy(&sub->lock);
	free(sub);
}
