/* EndpointSlice to publisher URLs: ready rules, ports, IPv6, duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cf/discovery.h"

static char **urls_of(const char *slice_json, const char *port)
{
	json_t *slice = json_loads(slice_json, 0, NULL);
	char **urls = NULL;

	assert_non_null(slice);
	assert_int_equal(cf_discovery_slice_urls(&urls, slice, port), 0);
	json_decref(slice);
	return urls;
}

static void test_ready_and_named_port(void **state)
{
	char **u = urls_of("{\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"metrics\",\"port\":8080},"
			   "{\"name\":\"events\",\"port\":9091}],\"endpoints\":["
			   "{\"addresses\":[\"192.0.2.12\"],\"conditions\":{\"ready\":true}},"
			   "{\"addresses\":[\"192.0.2.11\"],\"conditions\":{\"ready\":false}},"
			   "{\"addresses\":[\"192.0.2.10\"]},"
			   "{\"addresses\":[\"192.0.2.12\"]}]}", "events");
	assert_string_equal(u[0], "tcp://192.0.2.10:9091");
	assert_string_equal(u[1], "tcp://192.0.2.12:9091");
	assert_null(u[2]);
	cf_discovery_urls_free(u);

	/* No port name: the first port. */
	u = urls_of("{\"addressType\":\"IPv4\",\"ports\":[{\"port\":7000}],"
		    "\"endpoints\":[{\"addresses\":[\"192.0.2.1\"]}]}", NULL);
	assert_string_equal(u[0], "tcp://192.0.2.1:7000");
	cf_discovery_urls_free(u);
}

static void test_ipv6_missing_port_fqdn(void **state)
{
	char **u = urls_of("{\"addressType\":\"IPv6\",\"ports\":[{\"name\":\"events\",\"port\":9091}],"
			   "\"endpoints\":[{\"addresses\":[\"2001:db8::1\"]}]}", "events");
	assert_string_equal(u[0], "tcp://[2001:db8::1]:9091");
	cf_discovery_urls_free(u);

	u = urls_of("{\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"other\",\"port\":1}],"
		    "\"endpoints\":[{\"addresses\":[\"192.0.2.1\"]}]}", "events");
	assert_null(u[0]);
	cf_discovery_urls_free(u);

	u = urls_of("{\"addressType\":\"FQDN\",\"ports\":[{\"port\":1}],"
		    "\"endpoints\":[{\"addresses\":[\"a.example\"]}]}", NULL);
	assert_null(u[0]);
	cf_discovery_urls_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_and_named_port),
		cmocka_unit_test(test_ipv6_missing_port_fqdn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
