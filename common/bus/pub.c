/* The publishing side of the bus: one PUB socket that stamps and sends envelopes. */
#include "cf/bus.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "cf/error.h"

/* Room for a few thousand messages, so a burst of reconciles is not dropped at the sender. */
#define SEND_BUFFER (4 << 20)

struct cf_bus_pub {
	int sock;
	char *producer;
	_Atomic uint64_t sequence;
};

static int64_t now_unix_nano(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cf_bus_pub_new(cf_bus_pub **out, const char *bind_url, const char *producer)
{
	cf_bus_pub *pub = NULL;
	int err;

	if (bind_url == NULL || producer == NULL)
		return cf_error_set(CF_EINVALID, "bus: bind URL and producer are required");
	if ((pub = calloc(1, sizeof(*pub))) == NULL || (pub->producer = strdup(producer)) == NULL) {
		err = cf_error_set(CF_ENOMEM, "bus: out of memory");
		goto done;
	}
	if ((pub->sock = nn_socket(AF_SP, NN_PUB)) < 0) {
		err = cf_error_set(CF_EIO, "bus: PUB socket: %s", nn_strerror(nn_errno()));
		goto done;
	}
	nn_setsockopt(pub->sock, NN_SOL_SOCKET, NN_SNDBUF, &(int){SEND_BUFFER}, sizeof(int));
	if (nn_bind(pub->sock, bind_url) < 0) {
		int e = nn_errno();
		err = cf_error_set(e == EINVAL || e == EPROTONOSUPPORT || e == ENAMETOOLONG ? CF_EINVALID : CF_EIO,
				   "bus: bind %s: %s", bind_url, nn_strerror(e));
		nn_close(pub->sock);
		goto done;
	}
	*out = pub;
	return 0;
done:
	if (pub)
		free(pub->producer);
	free(pub);
	return err;
}

int cf_bus_pub_send(cf_bus_pub *pub, const cf_bus_msg *msg)
{
	cf_bus_msg stamped = *msg;
	void *buf = NULL;
	size_t len;
	int err;

	stamped.schema_version = CF_BUS_SCHEMA_VERSION;
	stamped.producer = pub->producer;
	stamped.sequence = atomic_fetch_add(&pub->sequence, 1) + 1;
	stamped.timestamp_unix_nano = now_unix_nano();
	if ((err = cf_bus_encode(&buf, &len, &stamped)) < 0)
		return err;
	if (nn_send(pub->sock, buf, len, NN_DONTWAIT) < 0)
		err = cf_error_set(CF_EIO, "bus: send %s: %s", cf_bus_type_name(msg->type),
				   nn_strerror(nn_errno()));
	free(buf);
	return err;
}

uint64_t cf_bus_pub_sequence(const cf_bus_pub *pub)
{
	return atomic_load(&((cf_bus_pub *)pub)->sequence);
}

void cf_bus_pub_free(cf_bus_pub *pub)
{
	if (pub == NULL)
		return;
	nn_close(pub->sock);
	free(pub->producer);
	free(pub);
}
