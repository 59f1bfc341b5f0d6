/* In-cluster configuration from the service-account mount and the KUBERNETES_SERVICE_* variables. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdlib.h>
#include <string.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

int cf_kube_config_in_cluster_at(cf_kube_config **out, const char *host, const char *port,
                                 const char *sa_dir)
{
	cf_kube_config *cfg = NULL;
	kube_buf b = { 0 };
	char *ns = NULL;
	int err;

	if (!host || !*host || !port || !*port)
		return cf_error_set(CF_ENOTFOUND, "not running in a cluster: "
		                    "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
	if (!(cfg = calloc(1, sizeof(*cfg))))
		return cf_error_set(CF_ENOMEM, "out of memory");
	/* An IPv6 address needs brackets in a URL. */
	if ((err = kube_buf_printf(&b, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
	                           port)) < 0)
		goto done;
	cfg->server = kube_buf_take(&b);
	if ((err = kube_buf_printf(&b, "%s/token", sa_dir)) < 0)
		goto done;
	cfg->token_file = kube_buf_take(&b);
	if ((err = kube_buf_printf(&b, "%s/ca.crt", sa_dir)) < 0)
		goto done;
	err = kube_read_file(&cfg->ca, &cfg->ca_len, b.data, 1u << 20);
	kube_buf_free(&b);
	if (err < 0)
		goto done;
	if ((err = kube_buf_printf(&b, "%s/namespace", sa_dir)) < 0)
		goto done;
	if (kube_read_file(&ns, NULL, b.data, 4096) == 0) {
		trim(ns);
		cfg->namespace_ = ns;
		ns = NULL;
	}
	cf_error_clear();
	*out = cfg;
	cfg = NULL;
done:
	kube_buf_free(&b);
	free(ns);
	cf_kube_config_free(cfg);
	return err;
}

int cf_kube_config_in_cluster(cf_kube_config **out)
{
	return cf_kube_config_in_cluster_at(out, getenv("KUBERNETES_SERVICE_HOST"),
	                                    getenv("KUBERNETES_SERVICE_PORT"), SA_DIR);
}
