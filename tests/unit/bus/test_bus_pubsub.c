/* Tests bus publishers and subscribers over real nanomsg TCP sockets on 127.0.0.1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "cf/bus.h"
#include "cf/error.h"

/* nanomsg cannot report the port it bound, so ask the kernel for a free one first. */
static void free_url(char *buf, size_t size)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(buf, size, "tcp://127.0.0.1:%d", ntohs(sa.sin_port));
	close(fd);
}

static cf_bus_msg ar(const char *name)
{
	cf_bus_msg m = {.type = CF_BUS_ARTIFACT_READY};

	m.body.artifact_ready = (cf_bus_artifact_ready){
		.kind = "GitRepository", .namespace_ = "default", .name = name, .revision = "main@sha1:01",
		.digest = "sha256:00", .url = "http://127.0.0.1/x", .size = 1};
	return m;
}

static cf_bus_msg rr(const char *name)
{
	cf_bus_msg m = {.type = CF_BUS_RECONCILE_RESULT};

	m.body.reconcile_result = (cf_bus_reconcile_result){
		.controller = "kustomize-controller", .kind = "Kustomization", .namespace_ = "default",
		.name = name, .ready = 1};
	return m;
}

/* Publishes msg every 20 ms until sub returns a message (connection setup is asynchronous). */
static cf_bus_msg *publish_until_received(cf_bus_pub *pub, const cf_bus_msg *msg, cf_bus_sub *sub)
{
	for (int i = 0; i < 250; i++) {
		cf_bus_msg *got = NULL;

		assert_int_equal(cf_bus_pub_send(pub, msg), 0);
		if (cf_bus_sub_recv(&got, sub, 20) == 0)
			return got;
	}
	fail_msg("no message received within 5 s");
	return NULL;
}

static void drain(cf_bus_sub *sub)
{
	cf_bus_msg *m;

	while (cf_bus_sub_recv(&m, sub, 100) == 0)
		cf_bus_msg_free(m);
}

static void test_pub_sub_round_trip(void **state)
{
	char url[64];
	cf_bus_pub *pub;
	cf_bus_sub *sub;
	cf_bus_msg msg = ar("podinfo"), *got;
	cf_bus_stats st;

	free_url(url, sizeof(url));
	assert_int_equal(cf_bus_pub_new(&pub, url, "source-controller/0"), 0);
	assert_int_equal(cf_bus_sub_new(&sub, CF_BUS_MASK_ALL), 0);
	assert_int_equal(cf_bus_sub_connect(sub, url), 0);
	assert_int_equal(cf_bus_sub_connect(sub, url), CF_EEXISTS);
	got = publish_until_received(pub, &msg, sub);
	assert_int_equal(got->type, CF_BUS_ARTIFACT_READY);
	assert_string_equal(got->producer, "source-controller/0");
	assert_int_equal(got->schema_version, CF_BUS_SCHEMA_VERSION);
	assert_true(got->sequence >= 1 && got->sequence <= cf_bus_pub_sequence(pub));
	assert_true(got->timestamp_unix_nano > (int64_t)time(NULL) * 1000000000LL - 60000000000LL);
	assert_string_equal(got->body.artifact_ready.name, "podinfo");
	cf_bus_msg_free(got);

	/* Sequence numbers increase by one per message from the same producer. */
	drain(sub);
	assert_int_equal(cf_bus_pub_send(pub, &msg), 0);
	assert_int_equal(cf_bus_pub_send(pub, &msg), 0);
	assert_int_equal(cf_bus_sub_recv(&got, sub, 2000), 0);
	uint64_t first = got->sequence;
	cf_bus_msg_free(got);
	assert_int_equal(cf_bus_sub_recv(&got, sub, 2000), 0);
	assert_int_equal(got->sequence, first + 1);
	assert_int_equal(got->sequence, cf_bus_pub_sequence(pub));
	cf_bus_msg_free(got);

	cf_bus_sub_stats(&st, sub);
	assert_true(st.received >= 3);
	assert_int_equal(st.dropped[CF_BUS_DROP_MALFORMED], 0);
	cf_bus_sub_free(sub);
	cf_bus_pub_free(pub);
}

static void test_topic_filtering(void **state)
{
	char url[64];
	cf_bus_pub *pub;
	cf_bus_sub *only_rr;
	cf_bus_msg a = ar("a"), r = rr("r"), *got = NULL;

	free_url(url, sizeof(url));
	assert_int_equal(cf_bus_pub_new(&pub, url, "p"), 0);
	assert_int_equal(cf_bus_sub_new(&only_rr, CF_BUS_MASK(CF_BUS_RECONCILE_RESULT)), 0);
	assert_int_equal(cf_bus_sub_connect(only_rr, url), 0);
	/* Interleave both types until one arrives: it must be the subscribed one, every time. */
	for (int i = 0; i < 250; i++) {
		assert_int_equal(cf_bus_pub_send(pub, &a), 0);
		assert_int_equal(cf_bus_pub_send(pub, &r), 0);
		if (cf_bus_sub_recv(&got, only_rr, 20) == 0)
			break;
		got = NULL;
	}
	assert_non_null(got);
	for (;;) {
		assert_int_equal(got->type, CF_BUS_RECONCILE_RESULT);
		assert_string_equal(got->body.reconcile_result.name, "r");
		cf_bus_msg_free(got);
		if (cf_bus_sub_recv(&got, only_rr, 100) != 0)
			break;
	}
	assert_int_equal(cf_bus_sub_new(&only_rr, 0) == CF_EINVALID, 1);
	cf_bus_sub_free(only_rr);
	cf_bus_pub_free(pub);
}

static void test_late_subscriber(void **state)
{
	char url[64];
	cf_bus_pub *pub;
	cf_bus_sub *sub;
	cf_bus_msg msg = ar("late"), *got;
	uint64_t before;

	free_url(url, sizeof(url));
	assert_int_equal(cf_bus_pub_new(&pub, url, "p"), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(cf_bus_pub_send(pub, &msg), 0);
	before = cf_bus_pub_sequence(pub);
	assert_int_equal(before, 10);
	assert_int_equal(cf_bus_sub_new(&sub, CF_BUS_MASK(CF_BUS_ARTIFACT_READY)), 0);
	assert_int_equal(cf_bus_sub_connect(sub, url), 0);
	got = publish_until_received(pub, &msg, sub);
	/* PUB/SUB does not replay: the first message seen is one sent after connecting. */
	assert_true(got->sequence > before);
	cf_bus_msg_free(got);
	cf_bus_sub_free(sub);
	cf_bus_pub_free(pub);
}

static void test_two_publishers_and_disconnect(void **state)
{
	char url_a[64], url_b[64];
	cf_bus_pub *a, *b;
	cf_bus_sub *sub;
	cf_bus_msg ma = ar("from-a"), mb = ar("from-b"), *got;
	int seen_a = 0, seen_b = 0;

	free_url(url_a, sizeof(url_a));
	assert_int_equal(cf_bus_pub_new(&a, url_a, "pub-a"), 0);
	free_url(url_b, sizeof(url_b));
	assert_int_equal(cf_bus_pub_new(&b, url_b, "pub-b"), 0);
	assert_int_equal(cf_bus_sub_new(&sub, CF_BUS_MASK_ALL), 0);
	assert_int_equal(cf_bus_sub_connect(sub, url_a), 0);
	assert_int_equal(cf_bus_sub_connect(sub, url_b), 0);
	assert_int_equal(cf_bus_sub_endpoint_count(sub), 2);
	for (int i = 0; i < 250 && !(seen_a && seen_b); i++) {
		cf_bus_pub_send(a, &ma);
		cf_bus_pub_send(b, &mb);
		while (cf_bus_sub_recv(&got, sub, 20) == 0) {
			seen_a |= strcmp(got->producer, "pub-a") == 0 && strcmp(got->body.artifact_ready.name, "from-a") == 0;
			seen_b |= strcmp(got->producer, "pub-b") == 0 && strcmp(got->body.artifact_ready.name, "from-b") == 0;
			cf_bus_msg_free(got);
		}
	}
	assert_true(seen_a && seen_b);

	/* After removing a, only b is heard. */
	assert_int_equal(cf_bus_sub_disconnect(sub, url_a), 0);
	assert_int_equal(cf_bus_sub_disconnect(sub, url_a), CF_ENOTFOUND);
	assert_int_equal(cf_bus_sub_endpoint_count(sub), 1);
	drain(sub);
	for (int i = 0; i < 20; i++)
		assert_int_equal(cf_bus_pub_send(a, &ma), 0);
	assert_int_equal(cf_bus_sub_recv(&got, sub, 300), CF_EAGAIN);
	got = publish_until_received(b, &mb, sub);
	assert_string_equal(got->producer, "pub-b");
	cf_bus_msg_free(got);
	cf_bus_sub_free(sub);
	cf_bus_pub_free(a);
	cf_bus_pub_free(b);
}

static void test_burst_is_buffered(void **state)
{
	char url[64];
	cf_bus_pub *pub;
	cf_bus_sub *sub;
	cf_bus_msg msg = ar("burst"), *got;
	uint64_t next;
	int n = 0;

	free_url(url, sizeof(url));
	assert_int_equal(cf_bus_pub_new(&pub, url, "p"), 0);
	assert_int_equal(cf_bus_sub_new(&sub, CF_BUS_MASK_ALL), 0);
	assert_int_equal(cf_bus_sub_connect(sub, url), 0);
	cf_bus_msg_free(publish_until_received(pub, &msg, sub));
	drain(sub);
	/* Thousands of messages (about 1.5 MB) published before the subscriber reads any. */
	next = cf_bus_pub_sequence(pub) + 1;
	for (int i = 0; i < 5000; i++)
		assert_int_equal(cf_bus_pub_send(pub, &msg), 0);
	while (cf_bus_sub_recv(&got, sub, 500) == 0) {
		assert_int_equal(got->sequence, next);
		next++;
		n++;
		cf_bus_msg_free(got);
	}
	assert_int_equal(n, 5000);
	cf_bus_sub_free(sub);
	cf_bus_pub_free(pub);
}

static void raw_send(int sock, const void *buf, size_t len)
{
	assert_int_equal(nn_send(sock, buf, len, 0), (int)len);
}

static void test_foreign_bytes_dropped_and_counted(void **state)
{
	char url[64];
	int foreign, fd;
	cf_bus_sub *sub;
	cf_bus_msg good = ar("good"), *got = NULL;
	cf_bus_stats st;
	void *wire, *v2;
	size_t wire_len, v2_len;
	struct pollfd pfd;

	free_url(url, sizeof(url));
	foreign = nn_socket(AF_SP, NN_PUB);
	assert_true(foreign >= 0);
	assert_true(nn_bind(foreign, url) >= 0);
	assert_int_equal(cf_bus_sub_new(&sub, CF_BUS_MASK_ALL), 0);
	assert_int_equal(cf_bus_sub_connect(sub, url), 0);
	assert_int_equal(cf_bus_sub_fd(&fd, sub), 0);

	good.schema_version = CF_BUS_SCHEMA_VERSION;
	good.producer = "foreign";
	assert_int_equal(cf_bus_encode(&wire, &wire_len, &good), 0);
	good.schema_version = CF_BUS_SCHEMA_VERSION + 1;
	assert_int_equal(cf_bus_encode(&v2, &v2_len, &good), 0);

	/* Wait for the connection with valid messages, then send hostile ones and a last good one. */
	for (int i = 0; i < 250 && got == NULL; i++) {
		raw_send(foreign, wire, wire_len);
		if (cf_bus_sub_recv(&got, sub, 20) != 0)
			got = NULL;
	}
	assert_non_null(got);
	cf_bus_msg_free(got);
	drain(sub);
	cf_bus_sub_stats(&st, sub);
	uint64_t received = st.received;

	raw_send(foreign, "AR:\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 14); /* bad protobuf */
	raw_send(foreign, "RR:\x08\x01", 5);                                     /* no body */
	raw_send(foreign, "AR:", 3);                                             /* no version */
	raw_send(foreign, v2, v2_len);                                           /* future version */
	raw_send(foreign, wire, wire_len);

	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(cf_bus_sub_recv(&got, sub, 2000), 0);
	assert_string_equal(got->body.artifact_ready.name, "good");
	cf_bus_msg_free(got);
	assert_int_equal(cf_bus_sub_recv(&got, sub, 0), CF_EAGAIN);
	cf_bus_sub_stats(&st, sub);
	assert_int_equal(st.received, received + 1);
	assert_int_equal(st.dropped[CF_BUS_DROP_MALFORMED], 2);
	assert_int_equal(st.dropped[CF_BUS_DROP_VERSION], 2);
	assert_int_equal(st.dropped[CF_BUS_DROP_INVALID], 0);
	free(wire);
	free(v2);
	cf_bus_sub_free(sub);
	nn_close(foreign);
}

static void test_bad_urls(void **state)
{
	cf_bus_pub *pub = NULL;
	cf_bus_sub *sub;
	char url[64];

	assert_int_equal(cf_bus_pub_new(&pub, "nonsense", "p"), CF_EINVALID);
	assert_null(pub);
	free_url(url, sizeof(url));
	assert_int_equal(cf_bus_pub_new(&pub, url, "p"), 0);
	cf_bus_pub *second = NULL;
	assert_int_equal(cf_bus_pub_new(&second, url, "p"), CF_EIO);
	assert_null(second);
	assert_int_equal(cf_bus_sub_new(&sub, CF_BUS_MASK_ALL), 0);
	assert_int_equal(cf_bus_sub_connect(sub, "bogus://x"), CF_EINVALID);
	assert_int_equal(cf_bus_sub_endpoint_count(sub), 0);
	cf_bus_sub_free(sub);
	cf_bus_pub_free(pub);
	cf_bus_pub_free(NULL);
	cf_bus_sub_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pub_sub_round_trip),
		cmocka_unit_test(test_topic_filtering),
		cmocka_unit_test(test_late_subscriber),
		cmocka_unit_test(test_two_publishers_and_disconnect),
		cmocka_unit_test(test_burst_is_buffered),
		cmocka_unit_test(test_foreign_bytes_dropped_and_counted),
		cmocka_unit_test(test_bad_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
