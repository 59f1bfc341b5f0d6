/* A client of the test control plane and a namespace of the test's own, for integration tests. */
#include "kubetest.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"

int cft_kube_up(cf_kube **kc, char *ns, size_t ns_size, const char *prefix)
{
	const char *path = getenv("CF_KUBECONFIG");
	cf_kube_config *cfg = NULL;
	cf_kube_ref ref = {"v1", "Namespace", NULL, NULL};
	char body[300];

	*kc = NULL;
	if (!path || !*path)
		return 0;
	if (cf_kube_config_load_file(&cfg, path, NULL) < 0 || cf_kube_new(kc, cfg, NULL) < 0) {
		fprintf(stderr, "setup: %s\n", cf_error_last());
		cf_kube_config_free(cfg);
		return -1;
	}
	cf_kube_config_free(cfg);
	snprintf(ns, ns_size, "%s-%ld-%d", prefix, (long)time(NULL), (int)getpid());
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
	if (cf_kube_create(*kc, NULL, &ref, body, NULL) < 0) {
		fprintf(stderr, "setup: creating namespace %s: %s\n", ns, cf_error_last());
		return -1;
	}
	return 0;
}

void cft_kube_down(cf_kube *kc, const char *ns)
{
	cf_kube_ref ref = {"v1", "Namespace", NULL, ns};

	if (!kc)
		return;
	cf_kube_delete(kc, NULL, &ref, NULL);
	cf_kube_free(kc);
}
