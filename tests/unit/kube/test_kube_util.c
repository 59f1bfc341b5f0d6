/* Error mapping, the rate limiter, request paths and time stamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "kube_int.h"

static void test_error_codes(void **state)
{
	static const struct {
		long status;
		const char *reason;
		int code;
	} cases[] = {
		{ 200, NULL, CF_OK },
		{ 201, NULL, CF_OK },
		{ 400, "BadRequest", CF_EINVALID },
		{ 401, "Unauthorized", CF_EAUTH },
		{ 403, "Forbidden", CF_EFORBIDDEN },
		{ 404, "NotFound", CF_ENOTFOUND },
		{ 409, "AlreadyExists", CF_EEXISTS },
		{ 409, "Conflict", CF_ECONFLICT },
		{ 409, NULL, CF_ECONFLICT },
		{ 410, "Expired", CF_EGONE },
		{ 422, "Invalid", CF_EINVALID_OBJ },
		{ 429, "TooManyRequests", CF_EUNAVAILABLE },
		{ 500, "InternalError", CF_EINTERNAL },
		{ 502, NULL, CF_EINTERNAL },
		{ 503, "ServiceUnavailable", CF_EUNAVAILABLE },
		{ 504, "Timeout", CF_ETIMEOUT },
		{ 418, NULL, CF_ERROR },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(cf_kube_error_code(cases[i].status, cases[i].reason), cases[i].code);
}

static void test_status_message(void **state)
{
	const char *status = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	                     "\"status\":\"Failure\",\"message\":\"configmaps \\\"x\\\" already exists\","
	                     "\"reason\":\"AlreadyExists\",\"code\":409}";
	const char *html = "<html>\n\001bad gateway</html>";

	assert_int_equal(kube_status_error("POST", "/api/v1/namespaces/a/configmaps", 409, status,
	                                   strlen(status)), CF_EEXISTS);
	assert_string_equal(cf_error_last(), "POST /api/v1/namespaces/a/configmaps: 409 AlreadyExists: "
	                                     "configmaps \"x\" already exists");
	assert_int_equal(kube_status_error("GET", "/x", 502, html, strlen(html)), CF_EINTERNAL);
	assert_string_equal(cf_error_last(), "GET /x: 502 : <html>  bad gateway</html>");
	assert_int_equal(kube_status_error("GET", "/x", 401, NULL, 0), CF_EAUTH);
	assert_non_null(strstr(cf_error_last(), "(no message)"));
	assert_int_equal(kube_curl_error(CURLE_COULDNT_CONNECT, "GET", "/x", "refused"), CF_ENET);
	assert_int_equal(kube_curl_error(CURLE_OPERATION_TIMEDOUT, "GET", "/x", NULL), CF_ETIMEOUT);
	assert_int_equal(kube_curl_error(CURLE_PEER_FAILED_VERIFICATION, "GET", "/x", ""), CF_ENET);
}

#define S 1000000000LL

static void test_rate_limit(void **state)
{
	kube_ratelimit rl;
	int i;

	/* burst 3 at 2 qps: three free, then one every 500 ms, debt accumulating */
	kube_ratelimit_init(&rl, 2, 3, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(kube_ratelimit_reserve(&rl, 0), 0);
	assert_int_equal(kube_ratelimit_reserve(&rl, 0), S / 2);
	assert_int_equal(kube_ratelimit_reserve(&rl, 0), S);
	/* 10 s later the bucket is full again, but never above burst */
	for (i = 0; i < 3; i++)
		assert_int_equal(kube_ratelimit_reserve(&rl, 10 * S), 0);
	assert_int_equal(kube_ratelimit_reserve(&rl, 10 * S), S / 2);
	/* a half-second refill pays one token of debt */
	assert_int_equal(kube_ratelimit_reserve(&rl, 10 * S + S / 2), S / 2);
	kube_ratelimit_destroy(&rl);

	kube_ratelimit_init(&rl, -1, 0, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(kube_ratelimit_reserve(&rl, 0), 0);
	kube_ratelimit_destroy(&rl);
}

/* The waiting path really sleeps: 5 requests at 20 qps with burst 1 take about 200 ms. */
static void test_rate_limit_wait(void **state)
{
	kube_ratelimit rl;
	int64_t t0;
	int i;

	kube_ratelimit_init(&rl, 20, 1, kube_mono_ns());
	t0 = kube_mono_ns();
	for (i = 0; i < 5; i++)
		kube_ratelimit_wait(&rl);
	assert_true(kube_mono_ns() - t0 >= 190 * 1000000LL);
	assert_true(kube_mono_ns() - t0 < 1000 * 1000000LL);
	kube_ratelimit_destroy(&rl);
}

static void test_paths(void **state)
{
	cf_kube_resource cm = { "", "v1", "ConfigMap", "configmaps", 1 };
	cf_kube_resource ns = { "", "v1", "Namespace", "namespaces", 0 };
	cf_kube_resource gr = { "source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories", 1 };
	const struct {
		const cf_kube_resource *res;
		const char *ns, *name, *sub, *want;
	} cases[] = {
		{ &cm, "flux-system", "cfg", NULL, "/api/v1/namespaces/flux-system/configmaps/cfg" },
		{ &cm, NULL, NULL, NULL, "/api/v1/configmaps" },
		{ &cm, "", NULL, NULL, "/api/v1/configmaps" },
		{ &cm, "a", NULL, NULL, "/api/v1/namespaces/a/configmaps" },
		{ &ns, "ignored", "kube-system", NULL, "/api/v1/namespaces/kube-system" },
		{ &gr, "flux-system", "podinfo", "status",
		  "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/podinfo/status" },
		{ &cm, "a", "we ird/../x?y", NULL, "/api/v1/namespaces/a/configmaps/we%20ird%2F..%2Fx%3Fy" },
	};
	size_t i;
	char *p;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cf_kube_path(&p, cases[i].res, cases[i].ns, cases[i].name, cases[i].sub), 0);
		assert_string_equal(p, cases[i].want);
		free(p);
	}
	p = NULL;
	assert_int_equal(cf_kube_path(&p, &cm, "a", "..", NULL), CF_EINVALID);
	assert_int_equal(cf_kube_path(&p, &cm, ".", "x", NULL), CF_EINVALID);
	assert_int_equal(cf_kube_path(&p, &cm, "a", "x", ""), CF_EINVALID);
	assert_int_equal(cf_kube_path(&p, &cm, "a", NULL, "status"), CF_EINVALID);
	assert_null(p);
}

static void test_query(void **state)
{
	kube_buf b = { 0 };

	assert_int_equal(kube_buf_append(&b, "/api/v1/pods", 12), 0);
	assert_int_equal(kube_buf_query(&b, "labelSelector", "app in (a,b),tier!=db"), 0);
	assert_int_equal(kube_buf_query(&b, "fieldSelector", NULL), 0);
	assert_int_equal(kube_buf_query(&b, "continue", ""), 0);
	assert_int_equal(kube_buf_query(&b, "limit", "500"), 0);
	assert_string_equal(b.data, "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb"
	                            "&limit=500");
	kube_buf_free(&b);

	b.limit = 4;
	assert_int_equal(kube_buf_append(&b, "abcd", 4), 0);
	assert_int_equal(kube_buf_append(&b, "e", 1), CF_ELIMIT);
	kube_buf_free(&b);
}

static void test_time(void **state)
{
	static const struct {
		const char *text;
		int64_t us;
	} ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-27T13:45:01.123456Z", 1795787101123456LL },
		{ "2026-11-27T15:45:01.5+02:00", 1795787101500000LL },
		{ "2026-11-27T13:45:01.123456789Z", 1795787101123456LL },
	};
	static const char *const bad[] = {
		"", "2026-11-27", "2026-11-27T13:45:01", "2026-13-27T13:45:01Z", "2026-11-27T13:45:01Zjunk",
		"2026-11-27T13:45:01+0200", "x026-11-27T13:45:01Z",
	};
	char buf[64];
	int64_t us;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(kube_parse_time(&us, ok[i].text), 0);
		assert_int_equal(us, ok[i].us);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kube_parse_time(&us, bad[i]), CF_EPARSE);
	kube_format_micro(buf, 1795787101123456LL);
	assert_string_equal(buf, "2026-11-27T13:45:01.123456Z");
	kube_format_sec(buf, 1795787101123456LL);
	assert_string_equal(buf, "2026-11-27T13:45:01Z");
	kube_format_micro(buf, 5);
	assert_string_equal(buf, "1970-01-01T00:00:00.000005Z");
}

static void test_json_spans(void **state)
{
	const char *obj = " { \"a\" : \"x\\\"}]\" , \"items\":[ {\"k\":[1,{\"z\":\"]\"}]} ,2, \"s\",[],{} ] ,"
	                  "\"object\":{\"n\":0.1}}";
	size_t off = 0, len = 0, pos = 0, n = 0;
	const char *arr;
	static const char *const want[] = { "{\"k\":[1,{\"z\":\"]\"}]}", "2", "\"s\"", "[]", "{}" };

	assert_int_equal(kube_json_member(obj, strlen(obj), "object", &off, &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(obj + off, "{\"n\":0.1}", 9);
	assert_int_equal(kube_json_member(obj, strlen(obj), "a", &off, &len), 0);
	assert_memory_equal(obj + off, "\"x\\\"}]\"", len);
	assert_int_equal(kube_json_member(obj, strlen(obj), "nope", &off, &len), CF_ENOTFOUND);
	assert_int_equal(kube_json_member("[1]", 3, "a", &off, &len), CF_EPARSE);
	assert_int_equal(kube_json_member(obj, strlen(obj), "items", &off, &len), 0);
	arr = obj + off;
	{
		size_t alen = len;

		while (kube_json_array_next(arr, alen, &pos, &off, &len) == 1) {
			assert_true(n < 5);
			assert_int_equal(len, strlen(want[n]));
			assert_memory_equal(arr + off, want[n], len);
			n++;
		}
	}
	assert_int_equal(n, 5);
	pos = 0;
	assert_int_equal(kube_json_array_next("[ ]", 3, &pos, &off, &len), 0);
}

static void test_cancel_token(void **state)
{
	cf_kube_cancel *c = NULL;

	assert_int_equal(cf_kube_cancel_new(&c), 0);
	assert_false(cf_kube_cancel_fired(c));
	cf_kube_cancel_fire(c);
	assert_true(cf_kube_cancel_fired(c));
	cf_kube_cancel_free(c);
	cf_kube_cancel_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_status_message),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_rate_limit_wait),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_json_spans),
		cmocka_unit_test(test_cancel_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
