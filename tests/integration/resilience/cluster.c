/* A private control plane for the resilience tests: start, stop, apiserver restarts, etcd calls. */
#include "cluster.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "resilience: '%s' failed (%d)\n", cmd, rc);
	return rc == 0 ? 0 : -1;
}

/* One KEY=value line of DIR/env. */
static int env_value(char *out, size_t size, const char *dir, const char *key)
{
	char path[320], line[512];
	size_t klen = strlen(key);
	FILE *f;
	int found = -1;

	snprintf(path, sizeof(path), "%s/env", dir);
	if (!(f = fopen(path, "r")))
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, size, "%s", line + klen + 1);
		found = 0;
	}
	fclose(f);
	return found;
}

int cluster_up(cluster *c)
{
	char cmd[800], port[32], base[] = "/tmp/cf-resilience-XXXXXX";
	const char *colon;

	memset(c, 0, sizeof(*c));
	if (!mkdtemp(base))
		return -1;
	snprintf(c->dir, sizeof(c->dir), "%s/cluster", base);
	snprintf(cmd, sizeof(cmd), "%s/up.sh %s >%s/up.log 2>&1", CLUSTER_SCRIPTS, c->dir, base);
	if (run(cmd) < 0) {
		/* Say why before the folder (and the log in it) is removed. */
		snprintf(cmd, sizeof(cmd), "tail -20 %s/up.log >&2", base);
		if (system(cmd) != 0)
			fprintf(stderr, "resilience: no up.log\n");
		return -1;
	}
	if (env_value(c->kubeconfig, sizeof(c->kubeconfig), c->dir, "CF_KUBECONFIG") ||
	    env_value(c->etcd_url, sizeof(c->etcd_url), c->dir, "CF_ETCD_URL") ||
	    env_value(port, sizeof(port), c->dir, "CF_API_PORT"))
		return -1;
	c->api_port = atoi(port);
	colon = strrchr(c->etcd_url, ':');
	c->etcd_port = colon ? atoi(colon + 1) : 0;
	return c->api_port > 0 && c->etcd_port > 0 ? 0 : -1;
}

void cluster_down(cluster *c)
{
	char cmd[800], *slash;

	if (!c->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "%s/down.sh %s >/dev/null 2>&1", CLUSTER_SCRIPTS, c->dir);
	run(cmd);
	/* up.sh's folder lives inside our temporary one, next to up.log */
	if ((slash = strrchr(c->dir, '/'))) {
		*slash = '\0';
		snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
		run(cmd);
	}
	c->dir[0] = '\0';
}

static int port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

int cluster_apiserver_kill(cluster *c)
{
	char path[320], line[32] = "";
	FILE *f;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/apiserver.pid", c->dir);
	if (!(f = fopen(path, "r")))
		return -1;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	if ((pid = (pid_t)atoi(line)) <= 0 || kill(pid, SIGKILL) != 0)
		return -1;
	for (int64_t until = mono_ms() + 20000; mono_ms() < until; usleep(100000))
		if (!port_open(c->api_port))
			return 0;
	return -1;
}

int cluster_apiserver_start(cluster *c)
{
	char cmd[800];

	snprintf(cmd, sizeof(cmd), "%s/apiserver.sh %s %d %d", CLUSTER_SCRIPTS, c->dir, c->api_port,
		 c->etcd_port);
	return run(cmd);
}

/* ---- etcd's v3 JSON gateway ---- */

typedef struct {
	char data[4096];
	size_t len;
} body;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	body *b = ud;
	size_t len = size * n, room = sizeof(b->data) - 1 - b->len;

	memcpy(b->data + b->len, p, len < room ? len : room);
	b->len += len < room ? len : room;
	b->data[b->len] = '\0';
	return size * n;
}

/* POSTs a JSON request to the gateway; the answer parsed, or NULL. */
static json_t *etcd_post(cluster *c, const char *path, const char *request)
{
	char url[256];
	body b = {.len = 0};
	long code = 0;
	CURL *h = curl_easy_init();
	json_t *out = NULL;

	if (!h)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", c->etcd_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, request);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
		out = json_loads(b.data, 0, NULL);
	else
		fprintf(stderr, "resilience: etcd %s: HTTP %ld %s\n", path, code, b.data);
	curl_easy_cleanup(h);
	return out;
}

int64_t cluster_etcd_revision(cluster *c)
{
	/* A range read of a key that does not exist still reports the store's revision. */
	json_t *r = etcd_post(c, "/v3/kv/range", "{\"key\":\"L2NmbHV4LXJlc2lsaWVuY2Uvbm9uZQ==\"}");
	const char *rev = json_string_value(json_object_get(json_object_get(r, "header"), "revision"));
	int64_t v = rev ? strtoll(rev, NULL, 10) : -1;

	json_decref(r);
	return v;
}

int cluster_etcd_bump(cluster *c)
{
	/* key "/cflux-resilience/bump", value "x" (base64, as the gateway wants bytes) */
	json_t *r = etcd_post(c, "/v3/kv/put",
			      "{\"key\":\"L2NmbHV4LXJlc2lsaWVuY2UvYnVtcA==\",\"value\":\"eA==\"}");
	int ok = r != NULL;

	json_decref(r);
	return ok ? 0 : -1;
}

int cluster_etcd_compact(cluster *c, int64_t rev)
{
	char req[128];
	json_t *r;

	snprintf(req, sizeof(req), "{\"revision\":\"%lld\",\"physical\":true}", (long long)rev);
	int ok = (r = etcd_post(c, "/v3/kv/compaction", req)) != NULL;

	json_decref(r);
	return ok ? 0 : -1;
}
