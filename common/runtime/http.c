/* The /metrics, /healthz and /readyz HTTP endpoints, served by libmicrohttpd. */
#include "cf/runtime.h"
#include "cf/error.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cf_http {
	struct MHD_Daemon *d;
	cf_http_routes routes;
	int port;
};

int cf_http_parse_addr(char *host, size_t host_size, int *port, const char *addr)
{
	const char *colon, *h = addr;
	size_t hlen;
	char *end;

	if (!addr || !*addr || strcmp(addr, "0") == 0) {
		*port = -1;
		host[0] = '\0';
		return 0;
	}
	if (!(colon = strrchr(addr, ':')))
		return cf_error_set(CF_EINVALID, "address %s: missing port", addr);
	hlen = (size_t)(colon - addr);
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		h = addr + 1;
		hlen -= 2;
	}
	long p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end || p < 0 || p > 65535)
		return cf_error_set(CF_EINVALID, "address %s: invalid port", addr);
	if (hlen >= host_size)
		return cf_error_set(CF_EINVALID, "address %s: host too long", addr);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len, int owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define TEXT "text/plain; charset=utf-8"

static enum MHD_Result serve_metrics(struct MHD_Connection *conn, cf_metrics *m)
{
	char *text = NULL;
	size_t len = 0;

	if (cf_metrics_render(&text, &len, m) < 0)
		return reply(conn, 500, TEXT, "metrics unavailable\n", 20, 0);
	return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, 1);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	cf_http *h = cls;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, 405, TEXT, "method not allowed\n", 19, 0);
	if (h->routes.metrics && strcmp(url, "/metrics") == 0)
		return serve_metrics(conn, h->routes.metrics);
	if (h->routes.ready && strcmp(url, "/healthz") == 0)
		return reply(conn, 200, TEXT, "ok", 2, 0);
	if (h->routes.ready && strcmp(url, "/readyz") == 0) {
		if (h->routes.ready(h->routes.ready_ctx))
			return reply(conn, 200, TEXT, "ok", 2, 0);
		static const char fail[] = "[-]readyz failed: reason withheld\nhealthz check failed\n";
		return reply(conn, 500, TEXT, (char *)fail, sizeof(fail) - 1, 0);
	}
	return reply(conn, 404, TEXT, "404 page not found\n", 19, 0);
}

/* Resolves host (numeric or a name such as localhost) to one socket address. */
static int resolve(struct sockaddr_storage *ss, const char *host, int port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	char ps[8];

	snprintf(ps, sizeof(ps), "%d", port);
	int rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0 || !res)
		return cf_error_set(CF_ENET, "resolving %s: %s", host, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int cf_http_start(cf_http **out, const char *addr, const cf_http_routes *routes)
{
	char host[256];
	int port, err;
	struct sockaddr_storage ss = {0};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	cf_http *h;

	*out = NULL;
	if ((err = cf_http_parse_addr(host, sizeof(host), &port, addr)) < 0)
		return err;
	if (port < 0)
		return 0;
	if (!(h = calloc(1, sizeof(*h))))
		return cf_error_set(CF_ENOMEM, "out of memory starting a server on %s", addr);
	h->routes = *routes;
	if (host[0] == '\0') {
		/* ":port" listens on every interface, IPv4 and IPv6, as Go does. */
		h->d = MHD_start_daemon(flags | MHD_USE_DUAL_STACK, (uint16_t)port, NULL, NULL, handle, h,
					MHD_OPTION_END);
	} else {
		if ((err = resolve(&ss, host, port)) < 0) {
			free(h);
			return err;
		}
		if (ss.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, h,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_END);
	}
	if (!h->d) {
		free(h);
		return cf_error_set(CF_ENET, "cannot listen on %s", addr);
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	*out = h;
	return 0;
}

int cf_http_port(const cf_http *h)
{
	return h ? h->port : -1;
}

void cf_http_stop(cf_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
