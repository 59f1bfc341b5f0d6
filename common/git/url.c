/* Repository URLs: the schemes Flux accepts, host and port for known_hosts, redacted forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static const struct {
	const char *scheme;
	int port;
} schemes[] = {
	{"http://", 80},
	{"https://", 443},
	{"ssh://", 22},
};

/* Drops "user:password@" after every "://" so no credential reaches a message. */
static void strip_userinfo(char *out, size_t size, const char *s)
{
	size_t o = 0;

	while (*s && o + 1 < size) {
		const char *sep = strstr(s, "://");
		size_t n = sep ? (size_t)(sep - s) + 3 : strlen(s);
		const char *at, *slash;

		if (n > size - 1 - o)
			n = size - 1 - o;
		memcpy(out + o, s, n);
		o += n;
		s += n;
		if (!sep)
			break;
		at = strchr(s, '@');
		slash = strpbrk(s, "/ \t\n'\"");
		if (at && (!slash || at < slash))
			s = at + 1;
	}
	out[o] = '\0';
}

static void replace_all(char *buf, size_t size, const char *secret)
{
	size_t sl;
	char *p;

	if (!secret || (sl = strlen(secret)) < 3)
		return;
	while ((p = strstr(buf, secret))) {
		memmove(p + 3, p + sl, strlen(p + sl) + 1);
		memcpy(p, "***", 3);
	}
	(void)size;
}

void cf_git__scrub(char *out, size_t size, const char *s, const cf_git_auth *auth)
{
	strip_userinfo(out, size, s);
	if (auth) {
		replace_all(out, size, auth->password);
		replace_all(out, size, auth->bearer_token);
		replace_all(out, size, auth->ssh_passphrase);
	}
}

int cf_git__parse_url(cf_git_ctx *ctx, const char *url)
{
	const char *rest = NULL, *host, *end, *at;
	size_t k, hlen;

	for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++) {
		if (strncmp(url, schemes[k].scheme, strlen(schemes[k].scheme)) == 0) {
			rest = url + strlen(schemes[k].scheme);
			ctx->port = schemes[k].port;
			break;
		}
	}
	cf_git__scrub(ctx->url_safe, sizeof(ctx->url_safe), url, ctx->auth);
	if (!rest)
		return cf_error_set(CF_EINVALID, "URL '%s' must start with http://, https:// or ssh://",
				    ctx->url_safe);
	end = rest + strcspn(rest, "/?#");
	at = memchr(rest, '@', (size_t)(end - rest));
	host = at ? at + 1 : rest;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (!close)
			return cf_error_set(CF_EINVALID, "URL '%s' has a bad IPv6 host", ctx->url_safe);
		hlen = (size_t)(close - host - 1);
		host++;
		end = close + 1 + strcspn(close + 1, "/?#");
		if (close[1] == ':')
			ctx->port = atoi(close + 2);
	} else {
		const char *colon = memchr(host, ':', (size_t)(end - host));

		hlen = (size_t)((colon ? colon : end) - host);
		if (colon)
			ctx->port = atoi(colon + 1);
	}
	if (hlen == 0 || hlen >= sizeof(ctx->host) || ctx->port <= 0 || ctx->port > 65535)
		return cf_error_set(CF_EINVALID, "URL '%s' has no valid host or port", ctx->url_safe);
	memcpy(ctx->host, host, hlen);
	ctx->host[hlen] = '\0';
	ctx->url = url;
	return 0;
}
