/* Tests the storage HTTP server with raw requests, and fetch-and-verify against it. */
/* strcasestr() for matching header names case-insensitively. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
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

#include "cf/artifact.h"
#include "cf/error.h"
#include "helpers.h"

typedef struct {
	char *root;
	char *outside;
	cf_artifact_server *srv;
	int port;
	char digest[CF_ARTIFACT_DIGEST_MAX];
} fixture;

typedef struct {
	int status;
	char headers[4096];
	char *body;
	size_t body_len;
} response;

/* Sends one raw request line (so no client normalises the path) and reads the whole response. */
static void raw_get(int port, const char *method, const char *target, response *out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char req[1024], *buf = malloc(1 << 20), *sep;
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method, target);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, buf + len, (1 << 20) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &out->status), 1);
	sep = strstr(buf, "\r\n\r\n");
	assert_non_null(sep);
	snprintf(out->headers, sizeof(out->headers), "%.*s", (int)(sep - buf), buf);
	out->body_len = len - (size_t)(sep + 4 - buf);
	out->body = malloc(out->body_len + 1);
	memcpy(out->body, sep + 4, out->body_len + 1);
	free(buf);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char *p;

	f->root = scratch_dir("srv-root");
	f->outside = scratch_dir("srv-outside");
	put_file(f->root, "gitrepository/ns/repo/abc.tar.gz", "artifact-bytes", 0600);
	put_file(f->outside, "secret.txt", "top secret", 0600);
	p = path_join(f->root, "gitrepository/ns/repo/latest.tar.gz");
	assert_int_equal(symlink("abc.tar.gz", p), 0);
	free(p);
	p = path_join(f->root, "gitrepository/ns/repo/escape.txt");
	char *target = path_join(f->outside, "secret.txt");
	assert_int_equal(symlink(target, p), 0);
	free(target);
	free(p);
	assert_int_equal(cf_artifact_digest_buf(f->digest, NULL, "artifact-bytes", 14), 0);
	assert_int_equal(cf_artifact_server_start(&f->srv, f->root, "127.0.0.1:0"), 0);
	f->port = cf_artifact_server_port(f->srv);
	assert_true(f->port > 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	cf_artifact_server_free(f->srv);
	remove_tree(f->root);
	remove_tree(f->outside);
	free(f->root);
	free(f->outside);
	free(f);
	return 0;
}

static void expect(fixture *f, const char *method, const char *target, int status, const char *body)
{
	response r;

	raw_get(f->port, method, target, &r);
	if (r.status != status)
		fail_msg("%s %s: status %d, want %d", method, target, r.status, status);
	if (body)
		assert_string_equal(r.body, body);
	assert_null(strstr(r.body, "top secret"));
	free(r.body);
}

static void test_serves_files(void **state)
{
	fixture *f = *state;
	response r;

	raw_get(f->port, "GET", "/gitrepository/ns/repo/abc.tar.gz", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers, "Content-Length: 14"));
	assert_non_null(strcasestr(r.headers, "Content-Type: application/gzip"));
	assert_int_equal(r.body_len, 14);
	assert_string_equal(r.body, "artifact-bytes");
	free(r.body);

	raw_get(f->port, "HEAD", "/gitrepository/ns/repo/abc.tar.gz", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers, "Content-Length: 14"));
	assert_int_equal(r.body_len, 0);
	free(r.body);

	/* The latest link resolves inside the root, so it is served. */
	expect(f, "GET", "/gitrepository/ns/repo/latest.tar.gz", 200, "artifact-bytes");
	/* Readiness probe, no listing. */
	expect(f, "GET", "/", 200, "");
	expect(f, "GET", "/gitrepository/ns/repo/", 404, NULL);
	expect(f, "GET", "/gitrepository", 404, NULL);
	expect(f, "GET", "/gitrepository/ns/repo/missing.tar.gz", 404, NULL);
	expect(f, "POST", "/gitrepository/ns/repo/abc.tar.gz", 405, NULL);
	expect(f, "DELETE", "/gitrepository/ns/repo/abc.tar.gz", 405, NULL);
}

static void test_refuses_escapes(void **state)
{
	fixture *f = *state;
	char target[512];

	expect(f, "GET", "/../etc/passwd", 400, NULL);
	expect(f, "GET", "/gitrepository/../../etc/passwd", 400, NULL);
	expect(f, "GET", "/%2e%2e/%2e%2e/etc/passwd", 400, NULL);
	expect(f, "GET", "/gitrepository/%2E%2E/%2e%2e/etc/passwd", 400, NULL);
	expect(f, "GET", "/..%2f..%2fetc%2fpasswd", 400, NULL);
	expect(f, "GET", "/gitrepository/ns/repo/./abc.tar.gz", 400, NULL);
	/* A symlink pointing out of the root is not followed. */
	expect(f, "GET", "/gitrepository/ns/repo/escape.txt", 404, NULL);
	/* The absolute path of a file outside, glued onto the root, does not exist inside it. */
	snprintf(target, sizeof(target), "%s/secret.txt", f->outside);
	expect(f, "GET", target, 404, NULL);
	expect(f, "GET", "/etc/passwd", 404, NULL);
}

static void test_fetch_and_verify(void **state)
{
	fixture *f = *state;
	char url[256], bad[CF_ARTIFACT_DIGEST_MAX];
	void *body = NULL;
	size_t len = 0;
	cf_artifact_fetch_opts small = {.max_size = 10};
	char *dest = path_join(f->outside, "fetched.tar.gz");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/gitrepository/ns/repo/abc.tar.gz", f->port);
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, f->digest, NULL), 0);
	assert_int_equal(len, 14);
	assert_memory_equal(body, "artifact-bytes", 14);
	free(body);

	snprintf(bad, sizeof(bad), "%s", f->digest);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	body = NULL;
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, bad, NULL), CF_EDIGEST);
	assert_null(body);
	assert_non_null(strstr(cf_error_last(), bad));

	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, f->digest, &small), CF_ELIMIT);
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, "nonsense", NULL), CF_EINVALID);

	/* To a file: only a verified body lands at the destination. */
	assert_int_equal(cf_artifact_fetch_file(dest, url, bad, NULL), CF_EDIGEST);
	assert_int_equal(access(dest, F_OK), -1);
	assert_int_equal(count_entries(f->outside), 1);
	assert_int_equal(cf_artifact_fetch_file(dest, url, f->digest, NULL), 0);
	char *s = slurp(dest, NULL);
	assert_string_equal(s, "artifact-bytes");
	free(s);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/gitrepository/ns/repo/nope.tar.gz", f->port);
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, f->digest, NULL), CF_ENOTFOUND);
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, "file:///etc/passwd", f->digest, NULL), CF_EINVALID);
	free(dest);
}

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

typedef struct {
	const char *root;
	char addr[64];
	cf_artifact_server *srv;
} late_start;

static void *start_late(void *p)
{
	late_start *ls = p;
	struct timespec ts = {0, 300 * 1000000L};

	nanosleep(&ts, NULL);
	if (cf_artifact_server_start(&ls->srv, ls->root, ls->addr) != 0)
		ls->srv = NULL;
	return NULL;
}

static void test_fetch_retries_until_server_is_up(void **state)
{
	fixture *f = *state;
	late_start ls = {.root = f->root};
	cf_artifact_fetch_opts none = {.retries = 0}, some = {.retries = 2, .backoff_ms = 10};
	cf_artifact_fetch_opts enough = {.retries = 10, .backoff_ms = 50};
	int port = free_port();
	char url[256];
	void *body = NULL;
	size_t len;
	pthread_t t;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/gitrepository/ns/repo/abc.tar.gz", port);
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, f->digest, &none), CF_ENET);
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, f->digest, &some), CF_ENET);
	snprintf(ls.addr, sizeof(ls.addr), "127.0.0.1:%d", port);
	pthread_create(&t, NULL, start_late, &ls);
	assert_int_equal(cf_artifact_fetch_mem(&body, &len, url, f->digest, &enough), 0);
	pthread_join(t, NULL);
	assert_non_null(ls.srv);
	assert_memory_equal(body, "artifact-bytes", 14);
	free(body);
	cf_artifact_server_free(ls.srv);
}

static void test_bad_addresses(void **state)
{
	fixture *f = *state;
	cf_artifact_server *s = NULL;
	char addr[64];

	assert_int_equal(cf_artifact_server_start(&s, f->root, "no-port"), CF_EINVALID);
	assert_int_equal(cf_artifact_server_start(&s, "/nonexistent", "127.0.0.1:0"), CF_EINVALID);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", f->port);
	assert_int_equal(cf_artifact_server_start(&s, f->root, addr), CF_EIO);
	assert_null(s);
	cf_artifact_server_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serves_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_retries_until_server_is_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
