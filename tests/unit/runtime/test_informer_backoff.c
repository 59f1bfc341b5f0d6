/* An informer facing a server that drops connections backs off, and stops promptly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "cf/runtime.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
	int fd;
	atomic_int accepts;
	atomic_int stop;
} dropper;

/* Accepts connections on 127.0.0.1 and closes them at once. */
static void *drop_all(void *arg)
{
	dropper *d = arg;

	while (!atomic_load(&d->stop)) {
		struct pollfd p = {d->fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(d->fd, NULL, NULL);
		if (c >= 0) {
			atomic_fetch_add(&d->accepts, 1);
			close(c);
		}
	}
	return NULL;
}

static void test_backoff_when_server_drops_connections(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	dropper d = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
	pthread_t t;
	char kc[512];
	cf_kube_config *cfg = NULL;
	cf_kube *kube = NULL;
	cf_informer *inf = NULL;

	assert_int_equal(bind(d.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(d.fd, 16), 0);
	getsockname(d.fd, (struct sockaddr *)&a, &len);
	pthread_create(&t, NULL, drop_all, &d);
	snprintf(kc, sizeof(kc),
		 "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
		 "    server: https://127.0.0.1:%d\n    insecure-skip-tls-verify: true\n"
		 "users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n"
		 "  context: {cluster: c, user: u}\ncurrent-context: x\n", ntohs(a.sin_port));
	assert_int_equal(cf_kube_config_parse(&cfg, kc, strlen(kc), NULL, NULL), 0);
	assert_int_equal(cf_kube_new(&kube, cfg, &(cf_kube_opts){.qps = -1}), 0);
	cf_informer_opts opts = {.api_version = "v1", .kind = "ConfigMap"};
	assert_int_equal(cf_informer_new(&inf, kube, &opts), 0);
	assert_int_equal(cf_informer_start(inf), 0);

	/* Attempts at about 0, 0.8 and 2.4 s (800 ms doubling); a spinning loop would make hundreds. */
	assert_int_equal(cf_informer_wait_synced(inf, 3000), CF_ETIMEOUT);
	int n = atomic_load(&d.accepts);
	print_message("connections in 3 s: %d\n", n);
	assert_true(n >= 2 && n <= 8);
	assert_false(cf_informer_synced(inf));
	assert_int_equal(cf_informer_list_count(inf), 0);
	int64_t t0 = mono_ms();
	cf_informer_free(inf);
	assert_true(mono_ms() - t0 < 1000);

	atomic_store(&d.stop, 1);
	pthread_join(t, NULL);
	close(d.fd);
	cf_kube_free(kube);
	cf_kube_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_when_server_drops_connections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
