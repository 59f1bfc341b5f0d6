/* The storage HTTP server: read-only GET/HEAD of regular files under the storage root. */
#include "cf/artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cf/error.h"

#define POOL_THREADS 4
#define CONNECTION_TIMEOUT_S 300

struct cf_artifact_server {
	struct MHD_Daemon *daemon;
	char root[PATH_MAX]; /* resolved, without trailing slash */
	size_t root_len;
	int port;
};

/* Content types by file suffix, checked in order; the rest is application/octet-stream. */
static const struct {
	const char *suffix;
	const char *type;
} content_types[] = {
	{".tar.gz", "application/gzip"},
	{".tgz", "application/gzip"},
	{".gz", "application/gzip"},
	{".yaml", "application/x-yaml"},
	{".yml", "application/x-yaml"},
	{".json", "application/json"},
};

static const char *content_type(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
		size_t m = strlen(content_types[i].suffix);
		if (n >= m && strcmp(path + n - m, content_types[i].suffix) == 0)
			return content_types[i].type;
	}
	return "application/octet-stream";
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The (already percent-decoded) URL path may not step out with "." or ".." segments. */
static int clean_url(const char *url)
{
	const char *p = url;

	if (url[0] != '/')
		return 0;
	while (*p) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
	}
	return 1;
}

/* Opens url as a regular file whose real path is inside the root; -1 when there is none. */
static int open_file(const cf_artifact_server *s, const char *url, struct stat *sb)
{
	char path[PATH_MAX], real[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", s->root, url) >= sizeof(path))
		return -1;
	if (realpath(path, real) == NULL)
		return -1;
	if (strncmp(real, s->root, s->root_len) != 0 || real[s->root_len] != '/')
		return -1;
	if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	const cf_artifact_server *s = cls;
	struct MHD_Response *r;
	struct stat sb;
	enum MHD_Result rc;
	int fd;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n");
	if (!clean_url(url))
		return reply_text(c, MHD_HTTP_BAD_REQUEST, "400 bad request\n");
	/* Flux's readiness probe is GET / on the storage port; answer it without listing anything. */
	if (strcmp(url, "/") == 0)
		return reply_text(c, MHD_HTTP_OK, "");
	if ((fd = open_file(s, url, &sb)) < 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
	if ((r = MHD_create_response_from_fd64((uint64_t)sb.st_size, fd)) == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(url));
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* "host:port", ":port" or "[v6]:port" into an address to bind. */
static int parse_addr(struct addrinfo **out, const char *addr)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	char host[256];
	size_t hlen;
	int rc;

	if (colon == NULL || colon[1] == '\0')
		return cf_error_set(CF_EINVALID, "storage server: address '%s' is not host:port", addr ? addr : "");
	hlen = (size_t)(colon - addr);
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		addr++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return cf_error_set(CF_EINVALID, "storage server: host in '%s' too long", addr);
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	if ((rc = getaddrinfo(hlen ? host : NULL, colon + 1, &hints, out)) != 0)
		return cf_error_set(CF_EINVALID, "storage server: address '%s': %s", addr, gai_strerror(rc));
	return 0;
}

static int port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

int cf_artifact_server_start(cf_artifact_server **out, const char *root, const char *addr)
{
	cf_artifact_server *s = NULL;
	struct addrinfo *ai = NULL;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	int err;

	if ((err = parse_addr(&ai, addr)) < 0)
		return err;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	if (root == NULL || realpath(root, s->root) == NULL) {
		err = cf_error_set(CF_EINVALID, "storage server: root %s: %s", root ? root : "(null)", strerror(errno));
		goto done;
	}
	s->root_len = strlen(s->root);
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, (uint16_t)port_of(ai->ai_addr), NULL, NULL, handle, s,
				     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)POOL_THREADS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
				     MHD_OPTION_END);
	if (s->daemon == NULL) {
		err = cf_error_set(CF_EIO, "storage server: cannot listen on %s", addr);
		goto done;
	}
	if ((info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT)) == NULL) {
		err = cf_error_set(CF_EIO, "storage server: bound port unknown");
		goto done;
	}
	s->port = info->port;
	*out = s;
	s = NULL;
done:
	if (s && s->daemon)
		MHD_stop_daemon(s->daemon);
	free(s);
	freeaddrinfo(ai);
	return err;
}

int cf_artifact_server_port(const cf_artifact_server *srv)
{
	return srv->port;
}

void cf_artifact_server_free(cf_artifact_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
