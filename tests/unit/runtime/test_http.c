/* The health and metrics endpoints, fetched over real HTTP on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/runtime.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char body[8192];
	size_t len;
} sink;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	sink *s = ud;
	size_t len = size * n;

	if (s->len + len >= sizeof(s->body))
		len = sizeof(s->body) - s->len - 1;
	memcpy(s->body + s->len, p, len);
	s->len += len;
	s->body[s->len] = '\0';
	return size * n;
}

static long get(int port, const char *path, sink *s)
{
	char url[128];
	long code = 0;
	CURL *c = curl_easy_init();

	memset(s, 0, sizeof(*s));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

static int ready_flag;

static int is_ready(void *ctx)
{
	return *(int *)ctx;
}

static void test_addresses(void **state)
{
	char host[64];
	int port;

	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, ":8080"), 0);
	assert_string_equal(host, "");
	assert_int_equal(port, 8080);
	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, "127.0.0.1:9440"), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9440);
	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, "[::1]:0"), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, "0"), 0);
	assert_int_equal(port, -1);
	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, ""), 0);
	assert_int_equal(port, -1);
	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, "8080"), CF_EINVALID);
	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, ":99999"), CF_EINVALID);
	assert_int_equal(cf_http_parse_addr(host, sizeof(host), &port, "host:"), CF_EINVALID);

	cf_http *h = (cf_http *)1;
	cf_http_routes r = {0};
	assert_int_equal(cf_http_start(&h, "0", &r), 0);
	assert_null(h);
}

static void test_serves_health_and_metrics(void **state)
{
	cf_metrics *m = NULL;
	cf_metric *f = NULL;
	cf_http *h = NULL, *h2 = NULL;
	sink s;

	assert_int_equal(cf_metrics_new(&m), 0);
	assert_int_equal(cf_metrics_register(&f, m, CF_METRIC_COUNTER, "controller_runtime_reconcile_errors_total",
					     "Total number of reconciliation errors per controller",
					     (const char *const[]){"controller", NULL}, NULL, 0), 0);
	cf_metric_add(f, (const char *const[]){"widget", NULL}, 2);
	cf_http_routes r = {.metrics = m, .ready = is_ready, .ready_ctx = &ready_flag};
	assert_int_equal(cf_http_start(&h, "127.0.0.1:0", &r), 0);
	int port = cf_http_port(h);
	assert_true(port > 0);

	assert_int_equal(get(port, "/healthz", &s), 200);
	assert_string_equal(s.body, "ok");
	ready_flag = 0;
	assert_int_equal(get(port, "/readyz", &s), 500);
	ready_flag = 1;
	assert_int_equal(get(port, "/readyz", &s), 200);
	assert_int_equal(get(port, "/metrics", &s), 200);
	assert_non_null(strstr(s.body, "controller_runtime_reconcile_errors_total{controller=\"widget\"} 2\n"));
	assert_int_equal(get(port, "/other", &s), 404);

	/* The same port cannot be bound twice. */
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	assert_int_equal(cf_http_start(&h2, addr, &r), CF_ENET);
	cf_http_stop(h);
	cf_http_stop(NULL);
	cf_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_serves_health_and_metrics),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
