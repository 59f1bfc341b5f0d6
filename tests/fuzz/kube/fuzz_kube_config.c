/* libFuzzer target: the kubeconfig parser must accept or reject any bytes without crashing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cf/kube.h"

/* Device and kernel files could block or stream forever; the parser's limits are not the point. */
static int names_special_file(const uint8_t *data, size_t size)
{
	static const char *const prefixes[] = {"/dev", "/proc", "/sys"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		for (size_t off = 0; off + n <= size; off++)
			if (memcmp(data + off, prefixes[i], n) == 0)
				return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_kube_config *cfg = NULL;

	if (names_special_file(data, size))
		return 0;
	/* Relative file names resolve against a folder that does not exist: they fail with CF_EIO. */
	int err = cf_kube_config_parse(&cfg, (const char *)data, size, NULL, "/nonexistent-cflux-fuzz");
	if (err == 0) {
		/* A parsed configuration always has a server and a namespace. */
		if (!cf_kube_config_server(cfg) || !cf_kube_config_namespace(cfg))
			abort();
		cf_kube_config_free(cfg);
	} else if (cfg || err >= 0) {
		abort();
	}
	return 0;
}
