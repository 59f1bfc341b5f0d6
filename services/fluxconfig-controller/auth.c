/* The Secret a configuration's GitRepository authenticates with, built from Azure's httpsUser and sshKnownHosts. */
#include "fc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cf/error.h"

#define MAX_KNOWN_HOSTS (64 * 1024)

/* Azure takes sshKnownHosts base64-encoded; the Secret holds it decoded. */
static int decode_known_hosts(json_t **out, const char *b64)
{
	size_t len = strlen(b64);
	unsigned char *buf;
	int n;

	if (len > MAX_KNOWN_HOSTS)
		return cf_error_set(CF_ELIMIT, "spec.gitRepository.sshKnownHosts is larger than %d bytes", MAX_KNOWN_HOSTS);
	if (!(buf = malloc(len / 4 * 3 + 4)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
	if (n < 0 || len % 4 != 0) {
		free(buf);
		return cf_error_set(CF_EINVALID, "spec.gitRepository.sshKnownHosts is not valid base64");
	}
	/* EVP_DecodeBlock counts padding bytes as data. */
	while (len > 0 && b64[--len] == '=' && n > 0)
		n--;
	*out = json_stringn_nocheck((const char *)buf, (size_t)n);
	free(buf);
	return 0;
}

/* The password from the Secret spec.gitRepository.httpsKeySecretRef names (key "httpsKey" by default). */
static int https_key(json_t **out, cf_kube *kube, const json_t *config)
{
	const char *name = cf_object_str(config, "spec.gitRepository.httpsKeySecretRef.name");
	const char *key = cf_object_str(config, "spec.gitRepository.httpsKeySecretRef.key");
	json_t *data = NULL, *v;
	int err;

	if (!name || !*name)
		return cf_error_set(CF_EINVALID, "spec.gitRepository.httpsUser needs httpsKeySecretRef.name");
	if (!key || !*key)
		key = "httpsKey";
	if ((err = cf_object_data(&data, kube, "Secret", cf_object_str(config, "metadata.namespace"), name)) < 0)
		return cf_error_wrap(err, "spec.gitRepository.httpsKeySecretRef: ");
	if (!json_is_string(v = json_object_get(data, key))) {
		json_decref(data);
		return cf_error_set(CF_ENOTFOUND, "Secret '%s' has no key '%s'", name, key);
	}
	*out = json_incref(v);
	json_decref(data);
	return 0;
}

/* Secret data values are base64. */
static json_t *b64(const json_t *s)
{
	size_t len = json_string_length(s);
	char *buf = malloc(4 * ((len + 2) / 3) + 1);
	json_t *out;

	if (!buf)
		return NULL;
	EVP_EncodeBlock((unsigned char *)buf, (const unsigned char *)json_string_value(s), (int)len);
	out = json_string(buf);
	free(buf);
	return out;
}

static int write_secret(cf_kube *kube, const json_t *config, const char *name, json_t *plain)
{
	const char *ns = fc_spec_namespace(config);
	json_t *secret = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:s,s:{}}", "apiVersion", "v1", "kind", "Secret",
				   "metadata", "name", name, "namespace", ns, "labels", FC_LABEL_NAME,
				   cf_object_str(config, "metadata.name"), FC_LABEL_NAMESPACE,
				   cf_object_str(config, "metadata.namespace"), "type", "Opaque", "data");
	json_t *data = json_object_get(secret, "data"), *v, *wrapped;
	const char *k;
	int err;

	json_object_foreach(plain, k, v)
		json_object_set_new(data, k, b64(v));
	if (!(wrapped = json_pack("[o]", secret)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	err = fc_children_apply(kube, NULL, wrapped);
	json_decref(wrapped);
	return err;
}

int fc_auth_secret(char *out_name, size_t size, cf_kube *kube, const json_t *config)
{
	const char *local = cf_object_str(config, "spec.gitRepository.localAuthRef");
	const char *user = cf_object_str(config, "spec.gitRepository.httpsUser");
	const char *hosts = cf_object_str(config, "spec.gitRepository.sshKnownHosts");
	json_t *plain = json_object(), *v = NULL;
	int err = 0;

	out_name[0] = '\0';
	if (local && *local) {
		snprintf(out_name, size, "%s", local);
		goto done;
	}
	if (user && *user) {
		if ((err = https_key(&v, kube, config)) < 0)
			goto done;
		json_object_set_new(plain, "username", json_string(user));
		json_object_set_new(plain, "password", v);
	}
	if (hosts && *hosts) {
		if ((err = decode_known_hosts(&v, hosts)) < 0)
			goto done;
		json_object_set_new(plain, "known_hosts", v);
	}
	if (!json_object_size(plain))
		goto done;
	snprintf(out_name, size, "%s-auth", cf_object_str(config, "metadata.name"));
	err = write_secret(kube, config, out_name, plain);
done:
	json_decref(plain);
	return err;
}
