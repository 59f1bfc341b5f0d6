/* known_hosts matching for SSH host keys: plain and hashed names, OpenSSH's [host]:port form. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cf/git.h"

#define MAX_LINE 16384

/* Decodes base64 into out (size >= 3*len/4 + 3); returns the length or -1. */
static int b64_decode(unsigned char *out, const char *in, size_t len)
{
	int n, pad = 0;

	if (len == 0 || len % 4 != 0 || len > MAX_LINE)
		return -1;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len)) < 0)
		return -1;
	pad += in[len - 1] == '=';
	pad += in[len - 2] == '=';
	return n - pad;
}

static void b64_encode_nopad(char *out, const unsigned char *in, size_t len)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
}

/* "|1|salt|hash": HMAC-SHA1 of the name with the salt as key. */
static int hashed_match(const char *pat, size_t plen, const char *name)
{
	unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
	const char *bar;
	unsigned int glen = 0;
	int slen, wlen;

	if (plen < 4 || memcmp(pat, "|1|", 3) != 0)
		return 0;
	pat += 3;
	plen -= 3;
	if (!(bar = memchr(pat, '|', plen)) || (size_t)(bar - pat) > 80 || plen - (bar - pat) - 1 > 80)
		return 0;
	slen = b64_decode(salt, pat, (size_t)(bar - pat));
	wlen = b64_decode(want, bar + 1, plen - (size_t)(bar - pat) - 1);
	if (slen <= 0 || wlen != 20)
		return 0;
	if (!HMAC(EVP_sha1(), salt, slen, (const unsigned char *)name, strlen(name), got, &glen))
		return 0;
	return glen == 20 && memcmp(got, want, 20) == 0;
}

/* One comma-separated host list entry against the name (exact, case-insensitive). */
static int host_list_match(const char *list, size_t len, const char *name)
{
	size_t i = 0;

	if (len >= 3 && memcmp(list, "|1|", 3) == 0)
		return hashed_match(list, len, name);
	while (i < len) {
		const char *c = memchr(list + i, ',', len - i);
		size_t n = c ? (size_t)(c - (list + i)) : len - i;

		if (n == strlen(name) && strncasecmp(list + i, name, n) == 0)
			return 1;
		i += n + 1;
	}
	return 0;
}

static void fingerprint(char *out, size_t size, const unsigned char *blob, size_t len)
{
	unsigned char md[32];
	char b64[64];

	EVP_Digest(blob, len, md, NULL, EVP_sha256(), NULL);
	b64_encode_nopad(b64, md, sizeof(md));
	snprintf(out, size, "SHA256:%s", b64);
}

/* Splits the next whitespace-separated field; returns its length (0 at the end). */
static size_t field(const char **s, const char **start)
{
	const char *p = *s;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	*start = p;
	while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '\n' && p[n] != '\r')
		n++;
	*s = p + n;
	return n;
}

int cf_git_known_hosts_check(const char *known_hosts, const char *host, int port,
			     const unsigned char *key_blob, size_t key_len)
{
	char name[300], fp[80];
	unsigned char *blob = NULL;
	const char *line = known_hosts ? known_hosts : "";
	int usable = 0, host_known = 0, rc = CF_EUNSAFE;

	if (port > 0 && port != 22)
		snprintf(name, sizeof(name), "[%s]:%d", host, port);
	else
		snprintf(name, sizeof(name), "%s", host);
	fingerprint(fp, sizeof(fp), key_blob, key_len);
	if (!(blob = malloc(MAX_LINE)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	while (*line) {
		const char *next = strchr(line, '\n'), *hosts, *type, *key, *p = line;
		size_t hn, tn, kn;
		int bn;

		next = next ? next + 1 : line + strlen(line);
		hn = field(&p, &hosts);
		line = next;
		/* Comments, blank lines and @cert-authority/@revoked markers are not host keys. */
		if (hn == 0 || *hosts == '#' || *hosts == '@' || p > next)
			continue;
		tn = field(&p, &type);
		kn = field(&p, &key);
		if (tn == 0 || kn == 0 || p > next)
			continue;
		usable = 1;
		if (!host_list_match(hosts, hn, name))
			continue;
		host_known = 1;
		bn = b64_decode(blob, key, kn);
		if (bn > 0 && (size_t)bn == key_len && memcmp(blob, key_blob, key_len) == 0) {
			rc = 0;
			goto done;
		}
	}
	if (!usable)
		rc = cf_error_set(CF_EPARSE, "known_hosts has no host key entries");
	else if (host_known)
		rc = cf_error_set(CF_EUNSAFE,
				  "host key for %s does not match known_hosts (server offered %s)",
				  name, fp);
	else
		rc = cf_error_set(CF_EUNSAFE, "unknown host key: %s is not in known_hosts (server "
				  "offered %s)", name, fp);
done:
	free(blob);
	return rc;
}
