/* Artifact digests: "<algo>:<hex>" strings computed with OpenSSL EVP and compared safely. */
#include "cf/artifact.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cf/error.h"

/* Flux's --artifact-digest-algo values that OpenSSL provides (blake3 is not among them). */
static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
} algos[] = {
	{"sha256", EVP_sha256},
	{"sha384", EVP_sha384},
	{"sha512", EVP_sha512},
};

struct cf_artifact_hash {
	EVP_MD_CTX *ctx;
	const char *name;
};

static int find_algo(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (strlen(algos[i].name) == len && strncmp(algos[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int cf_artifact_hash_new(cf_artifact_hash **out, const char *algo)
{
	cf_artifact_hash *h;
	int i;

	if (algo == NULL)
		algo = "sha256";
	if ((i = find_algo(algo, strlen(algo))) < 0)
		return cf_error_set(CF_EUNSUPPORTED, "unsupported digest algorithm '%s'", algo);
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->ctx = EVP_MD_CTX_new()) == NULL) {
		free(h);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	if (EVP_DigestInit_ex(h->ctx, algos[i].md(), NULL) != 1) {
		cf_artifact_hash_free(h);
		return cf_error_set(CF_EUNSUPPORTED, "digest algorithm '%s' unavailable", algo);
	}
	h->name = algos[i].name;
	*out = h;
	return 0;
}

void cf_artifact_hash_update(cf_artifact_hash *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
}

void cf_artifact_hash_final(char *out, cf_artifact_hash *h)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t pos = strlen(h->name);

	EVP_DigestFinal_ex(h->ctx, md, &n);
	memcpy(out, h->name, pos);
	out[pos++] = ':';
	for (unsigned int i = 0; i < n; i++) {
		out[pos++] = hex[md[i] >> 4];
		out[pos++] = hex[md[i] & 15];
	}
	out[pos] = '\0';
}

void cf_artifact_hash_free(cf_artifact_hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int cf_artifact_digest_buf(char *out, const char *algo, const void *buf, size_t len)
{
	cf_artifact_hash *h;
	int err;

	if ((err = cf_artifact_hash_new(&h, algo)) < 0)
		return err;
	cf_artifact_hash_update(h, buf, len);
	cf_artifact_hash_final(out, h);
	cf_artifact_hash_free(h);
	return 0;
}

int cf_artifact_digest_file(char *out, const char *algo, const char *path)
{
	cf_artifact_hash *h = NULL;
	char buf[65536];
	ssize_t n;
	int fd, err;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "open %s: %s", path, strerror(errno));
	if ((err = cf_artifact_hash_new(&h, algo)) < 0)
		goto done;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = cf_error_set(CF_EIO, "read %s: %s", path, strerror(errno));
			goto done;
		}
		cf_artifact_hash_update(h, buf, (size_t)n);
	}
	cf_artifact_hash_final(out, h);
done:
	cf_artifact_hash_free(h);
	close(fd);
	return err;
}

int cf_artifact_digest_algo(char *out, size_t size, const char *digest)
{
	const char *colon = digest ? strchr(digest, ':') : NULL;
	int i;

	if (colon == NULL || colon == digest || colon[1] == '\0')
		return cf_error_set(CF_EINVALID, "malformed digest '%s': want <algo>:<hex>", digest ? digest : "");
	if ((i = find_algo(digest, (size_t)(colon - digest))) < 0)
		return cf_error_set(CF_EUNSUPPORTED, "unsupported digest algorithm in '%s'", digest);
	if (strlen(algos[i].name) + 1 > size)
		return cf_error_set(CF_EINVALID, "digest algorithm buffer too small");
	strcpy(out, algos[i].name);
	return 0;
}

int cf_artifact_digest_compare(const char *expected, const char *actual)
{
	char algo[16];
	size_t n;
	int err;

	if ((err = cf_artifact_digest_algo(algo, sizeof(algo), expected)) < 0)
		return err;
	for (const char *p = strchr(expected, ':') + 1; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return cf_error_set(CF_EINVALID, "malformed digest '%s': not hex", expected);
	n = strlen(expected);
	if (strlen(actual) != n || strncasecmp(expected, actual, n) != 0)
		return cf_error_set(CF_EDIGEST, "computed digest doesn't match '%s' (got '%s')", expected, actual);
	return 0;
}
