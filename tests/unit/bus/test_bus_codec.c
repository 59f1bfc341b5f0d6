/* Tests the bus wire codec: round trips, required fields, versions and hostile bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf/bus.h"
#include "cf/error.h"

static cf_bus_msg artifact_msg(void)
{
	cf_bus_msg m = {.schema_version = CF_BUS_SCHEMA_VERSION, .producer = "source-controller/0",
			.sequence = 7, .timestamp_unix_nano = 1700000000123456789LL,
			.type = CF_BUS_ARTIFACT_READY};

	m.body.artifact_ready = (cf_bus_artifact_ready){
		.kind = "GitRepository", .namespace_ = "flux-system", .name = "podinfo",
		.revision = "main@sha1:132f4e719209eb10b9485302f8593fc0e680f4fc",
		.digest = "sha256:2b2f0a3d2e1c", .url = "http://127.0.0.1:9090/gitrepository/flux-system/podinfo/x.tar.gz",
		.size = 12345, .generation = 3, .observed_at_unix_nano = -5};
	return m;
}

static void test_artifact_ready_round_trip(void **state)
{
	cf_bus_msg in = artifact_msg(), *out = NULL;
	cf_bus_drop_reason why;
	void *buf;
	size_t len;

	assert_int_equal(cf_bus_encode(&buf, &len, &in), 0);
	assert_memory_equal(buf, "AR:", 3);
	assert_int_equal(cf_bus_decode(&out, &why, buf, len), 0);
	assert_int_equal(out->type, CF_BUS_ARTIFACT_READY);
	assert_int_equal(out->schema_version, CF_BUS_SCHEMA_VERSION);
	assert_string_equal(out->producer, "source-controller/0");
	assert_int_equal(out->sequence, 7);
	assert_true(out->timestamp_unix_nano == 1700000000123456789LL);
	assert_string_equal(out->body.artifact_ready.kind, "GitRepository");
	assert_string_equal(out->body.artifact_ready.namespace_, "flux-system");
	assert_string_equal(out->body.artifact_ready.name, "podinfo");
	assert_string_equal(out->body.artifact_ready.revision, in.body.artifact_ready.revision);
	assert_string_equal(out->body.artifact_ready.digest, "sha256:2b2f0a3d2e1c");
	assert_string_equal(out->body.artifact_ready.url, in.body.artifact_ready.url);
	assert_int_equal(out->body.artifact_ready.size, 12345);
	assert_int_equal(out->body.artifact_ready.generation, 3);
	assert_true(out->body.artifact_ready.observed_at_unix_nano == -5);
	cf_bus_msg_free(out);
	free(buf);
}

static void test_reconcile_result_round_trip(void **state)
{
	cf_bus_msg in = {.schema_version = CF_BUS_SCHEMA_VERSION, .producer = "kc", .sequence = 1,
			 .type = CF_BUS_RECONCILE_RESULT}, *out = NULL;
	void *buf;
	size_t len;

	in.body.reconcile_result = (cf_bus_reconcile_result){
		.controller = "kustomize-controller", .kind = "Kustomization", .namespace_ = "default",
		.name = "app", .generation = 9, .ready = 1, .reason = "ReconciliationSucceeded",
		.message = NULL, .revision = "main@sha1:abc", .duration_ms = 42};
	assert_int_equal(cf_bus_encode(&buf, &len, &in), 0);
	assert_memory_equal(buf, "RR:", 3);
	assert_int_equal(cf_bus_decode(&out, NULL, buf, len), 0);
	assert_int_equal(out->type, CF_BUS_RECONCILE_RESULT);
	assert_string_equal(out->body.reconcile_result.controller, "kustomize-controller");
	assert_string_equal(out->body.reconcile_result.reason, "ReconciliationSucceeded");
	assert_null(out->body.reconcile_result.message);
	assert_int_equal(out->body.reconcile_result.ready, 1);
	assert_int_equal(out->body.reconcile_result.generation, 9);
	assert_int_equal(out->body.reconcile_result.duration_ms, 42);
	cf_bus_msg_free(out);
	free(buf);
}

static void test_encode_requires_fields(void **state)
{
	cf_bus_msg in = artifact_msg();
	void *buf = NULL;
	size_t len;

	in.body.artifact_ready.digest = "";
	assert_int_equal(cf_bus_encode(&buf, &len, &in), CF_EINVALID);
	assert_non_null(strstr(cf_error_last(), "digest"));
	in = artifact_msg();
	in.type = (cf_bus_type)99;
	assert_int_equal(cf_bus_encode(&buf, &len, &in), CF_EINVALID);
	assert_null(buf);
}

static void test_schema_version_checked(void **state)
{
	cf_bus_msg in = artifact_msg(), *out = NULL;
	cf_bus_drop_reason why = CF_BUS_DROP_MALFORMED;
	void *buf;
	size_t len;

	in.schema_version = CF_BUS_SCHEMA_VERSION + 1;
	assert_int_equal(cf_bus_encode(&buf, &len, &in), 0);
	assert_int_equal(cf_bus_decode(&out, &why, buf, len), CF_EUNSUPPORTED);
	assert_int_equal(why, CF_BUS_DROP_VERSION);
	assert_null(out);
	free(buf);
}

static void test_topic_must_match_body(void **state)
{
	cf_bus_msg in = artifact_msg(), *out = NULL;
	cf_bus_drop_reason why = CF_BUS_DROP_VERSION;
	unsigned char *buf;
	size_t len;

	assert_int_equal(cf_bus_encode((void **)&buf, &len, &in), 0);
	memcpy(buf, "RR:", 3);
	assert_int_equal(cf_bus_decode(&out, &why, buf, len), CF_EPARSE);
	assert_int_equal(why, CF_BUS_DROP_MALFORMED);
	free(buf);
}

static void test_garbage_rejected(void **state)
{
	static const unsigned char bad[][12] = {
		"", "AR", "XX:abc", "AR:\xff\xff\xff\xff\xff\xff\xff", "RR:\x0a\x05zz", "AR:\x52\x01\x00",
	};
	cf_bus_msg *out = NULL;
	cf_bus_drop_reason why;
	unsigned char *big;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = cf_bus_decode(&out, &why, bad[i], strlen((const char *)bad[i]) + (i == 5 ? 1 : 0));
		assert_true(rc == CF_EPARSE || rc == CF_EUNSUPPORTED || rc == CF_EINVALID);
		assert_null(out);
	}
	/* A valid prefix with an empty envelope has no schema version. */
	assert_int_equal(cf_bus_decode(&out, &why, "AR:", 3), CF_EUNSUPPORTED);
	assert_int_equal(why, CF_BUS_DROP_VERSION);
	big = calloc(1, CF_BUS_MAX_MSG + 10);
	memcpy(big, "AR:", 3);
	assert_int_equal(cf_bus_decode(&out, &why, big, CF_BUS_MAX_MSG + 10), CF_ELIMIT);
	assert_int_equal(why, CF_BUS_DROP_MALFORMED);
	free(big);
}

static unsigned char *find(unsigned char *buf, size_t len, const char *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return buf + i;
	return NULL;
}

static void test_missing_required_field_on_wire(void **state)
{
	cf_bus_msg in = artifact_msg(), *out = NULL;
	cf_bus_drop_reason why = CF_BUS_DROP_MALFORMED;
	unsigned char *buf, *kind;
	size_t len;

	/* Blank the kind on the wire by turning its field tag into an unknown field number. */
	in.body.artifact_ready.kind = "K";
	assert_int_equal(cf_bus_encode((void **)&buf, &len, &in), 0);
	kind = find(buf, len, "\x0a\x01K", 3);
	assert_non_null(kind);
	kind[0] = (unsigned char)((15 << 3) | 2);
	assert_int_equal(cf_bus_decode(&out, &why, buf, len), CF_EINVALID);
	assert_int_equal(why, CF_BUS_DROP_INVALID);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_artifact_ready_round_trip),
		cmocka_unit_test(test_reconcile_result_round_trip),
		cmocka_unit_test(test_encode_requires_fields),
		cmocka_unit_test(test_schema_version_checked),
		cmocka_unit_test(test_topic_must_match_body),
		cmocka_unit_test(test_garbage_rejected),
		cmocka_unit_test(test_missing_required_field_on_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
