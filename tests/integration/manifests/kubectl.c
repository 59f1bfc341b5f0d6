/* Runs the real kubectl as a child process and collects its output (see kubectl.h). */
#include "kubectl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define KUBECTL "/usr/bin/kubectl"
#define MAX_ARGS 64
#define MAX_OUTPUT (64u << 20)

typedef struct {
	char *p;
	size_t len;
} buf;

static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static int buf_append(buf *b, const char *data, size_t n)
{
	char *np;

	if (b->len + n > MAX_OUTPUT)
		return -1;
	np = realloc(b->p, b->len + n + 1);
	if (!np)
		return -1;
	b->p = np;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Feeds stdin and drains stdout/stderr together, so a child blocked on a full pipe never deadlocks. */
static int pump(int in_fd, const char *input, int out_fd, int err_fd, buf *out, buf *err)
{
	size_t in_off = 0, in_len = input ? strlen(input) : 0;
	struct pollfd p[3];
	char chunk[16384];

	if (in_len == 0 && in_fd >= 0) {
		close(in_fd);
		in_fd = -1;
	}
	while (out_fd >= 0 || err_fd >= 0) {
		p[0] = (struct pollfd){.fd = out_fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = err_fd, .events = POLLIN};
		p[2] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in_fd, input + in_off, in_len - in_off);
			if (w > 0)
				in_off += (size_t)w;
			if (w < 0 || in_off == in_len) {
				close(in_fd);
				in_fd = -1;
			}
		}
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &out_fd : &err_fd;
			buf *b = i == 0 ? out : err;
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(*fd, chunk, sizeof(chunk));
			if (r > 0 && buf_append(b, chunk, (size_t)r) < 0)
				r = -1;
			if (r <= 0) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	if (in_fd >= 0)
		close(in_fd);
	return 0;
}

int kubectl_run(kubectl_result *res, const char *kubeconfig, const char *input, const char *const args[])
{
	char *argv[MAX_ARGS + 4];
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	buf o = {0}, e = {0};
	pid_t pid;
	int n = 0, st = 0, rc = -1;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	argv[n++] = (char *)KUBECTL;
	argv[n++] = (char *)"--kubeconfig";
	argv[n++] = (char *)kubeconfig;
	for (int i = 0; args[i]; i++) {
		if (n >= MAX_ARGS + 3)
			return -1;
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	if (cloexec_pipe(in) < 0 || cloexec_pipe(out) < 0 || cloexec_pipe(err) < 0)
		goto done;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	rc = posix_spawn(&pid, KUBECTL, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		rc = -1;
		goto done;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	/* A closed stdin must not kill the test when kubectl exits without reading it. */
	signal(SIGPIPE, SIG_IGN);
	pump(in[1], input, out[0], err[0], &o, &e);
	in[1] = out[0] = err[0] = -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	rc = 0;
done:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	res->out = o.p ? o.p : strdup("");
	res->err = e.p ? e.p : strdup("");
	return rc;
}

void kubectl_result_free(kubectl_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

json_t *kubectl_json(const char *kubeconfig, const char *const args[])
{
	kubectl_result r;
	json_t *j = NULL;

	if (kubectl_run(&r, kubeconfig, NULL, args) == 0 && r.status == 0)
		j = json_loads(r.out, 0, NULL);
	kubectl_result_free(&r);
	return j;
}

json_t *json_load_all(const char *text)
{
	json_t *all = json_array(), *one;
	json_error_t e;
	size_t off = 0, len = strlen(text);

	while (all) {
		while (off < len && strchr(" \t\r\n", text[off]))
			off++;
		if (off == len)
			break;
		one = json_loadb(text + off, len - off, JSON_DISABLE_EOF_CHECK, &e);
		if (!one || e.position == 0) {
			json_decref(one);
			json_decref(all);
			return NULL;
		}
		json_array_append_new(all, one);
		off += (size_t)e.position;
	}
	return all;
}

static int subset_at(const json_t *want, const json_t *got, char *where, size_t len, size_t at)
{
	if (json_is_object(want)) {
		const char *k;
		json_t *v;
		if (!json_is_object(got))
			return 0;
		json_object_foreach((json_t *)want, k, v) {
			int n = snprintf(where + at, len - at, ".%s", k);
			size_t next = at + (n > 0 && (size_t)n < len - at ? (size_t)n : 0);
			if (!subset_at(v, json_object_get(got, k), where, len, next))
				return 0;
		}
		where[at] = '\0';
		return 1;
	}
	if (json_is_array(want)) {
		if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
			return 0;
		for (size_t i = 0; i < json_array_size(want); i++) {
			int n = snprintf(where + at, len - at, "[%zu]", i);
			size_t next = at + (n > 0 && (size_t)n < len - at ? (size_t)n : 0);
			if (!subset_at(json_array_get(want, i), json_array_get(got, i), where, len, next))
				return 0;
		}
		where[at] = '\0';
		return 1;
	}
	return got && json_equal((json_t *)want, (json_t *)got);
}

int json_is_subset(const json_t *want, const json_t *got, char *where, size_t where_len)
{
	if (where_len == 0)
		return 0;
	where[0] = '\0';
	return subset_at(want, got, where, where_len, 0);
}
