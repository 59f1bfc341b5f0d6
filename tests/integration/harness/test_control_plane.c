/*
 * Proves the test control plane is a real kube-apiserver + etcd: checks /version, applies a CRD,
 * creates and reads back a custom object, and watches it change. Talks plain HTTP with libcurl so
 * it depends on nothing but the harness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

typedef struct {
	char *p;
	size_t len;
} buf;

static const char *server, *token, *ca;
static char ns[64];

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	buf *b = ud;
	char *np = realloc(b->p, b->len + size * n + 1);

	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

/* One request; returns the HTTP status and the parsed body in *out (NULL when not JSON). */
static long request(const char *method, const char *path, const char *ctype, const char *body,
		    json_t **out, buf *raw)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[1024], auth[256], ct[128];
	buf b = {0};
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", server, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, auth);
	if (ctype) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		h = curl_slist_append(h, ct);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out)
		*out = b.p ? json_loads(b.p, 0, NULL) : NULL;
	if (raw)
		*raw = b;
	else
		free(b.p);
	return status;
}

static int setup(void **state)
{
	server = getenv("CF_KUBE_SERVER");
	token = getenv("CF_KUBE_TOKEN");
	ca = getenv("CF_KUBE_CA");
	snprintf(ns, sizeof(ns), "harness-%ld-%d", (long)time(NULL), (int)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static void need_cluster(void)
{
	if (!server || !token || !ca)
		skip();
}

static void test_version(void **state)
{
	json_t *v = NULL;

	need_cluster();
	assert_int_equal(request("GET", "/version", NULL, NULL, &v, NULL), 200);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "gitVersion")), "v1.36.3");
	assert_string_equal(json_string_value(json_object_get(v, "major")), "1");
	json_decref(v);
}

static const char *crd =
	"{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	"\"metadata\":{\"name\":\"widgets.harness.cflux.io\"},\"spec\":{\"group\":\"harness.cflux.io\","
	"\"names\":{\"kind\":\"Widget\",\"plural\":\"widgets\",\"singular\":\"widget\",\"listKind\":\"WidgetList\"},"
	"\"scope\":\"Namespaced\",\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"
	"\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
	"\"properties\":{\"size\":{\"type\":\"integer\"},\"color\":{\"type\":\"string\"}}}}}}}]}}";

static int crd_established(void)
{
	json_t *o = NULL, *conds;
	size_t i;
	int ok = 0;

	if (request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.harness.cflux.io",
		    NULL, NULL, &o, NULL) != 200)
		goto done;
	conds = json_object_get(json_object_get(o, "status"), "conditions");
	for (i = 0; i < json_array_size(conds); i++) {
		json_t *c = json_array_get(conds, i);
		if (strcmp(json_string_value(json_object_get(c, "type")), "Established") == 0 &&
		    strcmp(json_string_value(json_object_get(c, "status")), "True") == 0)
			ok = 1;
	}
done:
	json_decref(o);
	return ok;
}

static void test_crd_object_watch(void **state)
{
	char path[512], body[512], watch[1024];
	json_t *o = NULL;
	buf raw = {0};
	long st;
	int i;

	need_cluster();
	/* Server-side apply keeps the test rerunnable against the same cluster. */
	st = request("PATCH",
		     "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.harness.cflux.io"
		     "?fieldManager=harness&force=true",
		     "application/apply-patch+yaml", crd, NULL, NULL);
	assert_true(st == 200 || st == 201);
	for (i = 0; i < 120 && !crd_established(); i++)
		usleep(250000);
	assert_true(crd_established());

	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
	assert_int_equal(request("POST", "/api/v1/namespaces", "application/json", body, NULL, NULL), 201);

	/* The new resource may take a moment to appear in discovery and the REST mapping. */
	snprintf(path, sizeof(path), "/apis/harness.cflux.io/v1/namespaces/%s/widgets", ns);
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"harness.cflux.io/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},"
		 "\"spec\":{\"size\":3,\"color\":\"blue\"}}");
	for (i = 0; i < 40; i++) {
		st = request("POST", path, "application/json", body, &o, NULL);
		if (st == 201)
			break;
		json_decref(o);
		o = NULL;
		usleep(250000);
	}
	assert_int_equal(st, 201);
	char rv[64];
	snprintf(rv, sizeof(rv), "%s",
		 json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion")));
	json_decref(o);

	/* Read back. */
	snprintf(watch, sizeof(watch), "%s/w1", path);
	assert_int_equal(request("GET", watch, NULL, NULL, &o, NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "spec"), "size")), 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "spec"), "color")), "blue");
	json_decref(o);

	/* Change it, then watch from the creation's resourceVersion: the change must arrive. */
	assert_int_equal(request("PATCH", watch, "application/merge-patch+json",
				 "{\"spec\":{\"color\":\"red\"}}", NULL, NULL), 200);
	snprintf(watch, sizeof(watch), "%s?watch=1&resourceVersion=%s&timeoutSeconds=3", path, rv);
	assert_int_equal(request("GET", watch, NULL, NULL, NULL, &raw), 200);
	assert_non_null(raw.p);
	json_error_t jerr;
	json_t *ev = json_loads(raw.p, JSON_DISABLE_EOF_CHECK, &jerr);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "MODIFIED");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(ev, "object"), "spec"), "color")), "red");
	json_decref(ev);
	free(raw.p);

	/* The unprivileged user is denied by RBAC: authorization is real. */
	const char *admin = token;
	token = getenv("CF_KUBE_NOBODY_TOKEN");
	assert_non_null(token);
	assert_int_equal(request("GET", path, NULL, NULL, NULL, NULL), 403);
	token = admin;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
	assert_int_equal(request("DELETE", path, NULL, NULL, NULL, NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_crd_object_watch),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
