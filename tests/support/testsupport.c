/* Process, shell and polling helpers for end-to-end tests. */
#include "testsupport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pid_t cft_spawn(const char *log_path, char *const argv[])
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	/* Its own process group, so a test's Ctrl-C does not reach it twice. */
	setpgid(0, 0);
	execv(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int cft_stop(pid_t pid, int timeout_ms)
{
	int st = 0;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < timeout_ms; waited += 50) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return status_code(st);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return status_code(st);
}

void cft_kill9(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int cft_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		cmd = NULL;
	va_end(ap);
	if (!cmd)
		return -1;
	st = system(cmd);
	free(cmd);
	return st < 0 ? -1 : status_code(st);
}

char *cft_sh_out(const char *fmt, ...)
{
	char *cmd = NULL, *out = NULL;
	size_t len = 0, cap = 0;
	char buf[4096];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		cmd = NULL;
	va_end(ap);
	if (!cmd || !(p = popen(cmd, "r"))) {
		free(cmd);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *np = realloc(out, cap);
			if (!np)
				break;
			out = np;
		}
		memcpy(out + len, buf, n);
		len += n;
	}
	if (out) {
		out[len] = '\0';
		while (len > 0 && out[len - 1] == '\n')
			out[--len] = '\0';
	}
	if (pclose(p) != 0 && out && !*out) {
		free(out);
		out = NULL;
	}
	free(cmd);
	return out;
}

long long cft_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cft_wait(int (*cond)(void *ctx), void *ctx, int timeout_ms)
{
	long long end = cft_now_ms() + timeout_ms;
	int v;

	while (!(v = cond(ctx)) && cft_now_ms() < end)
		usleep(100000);
	return v;
}

int cft_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

char *cft_tmpdir(const char *prefix)
{
	char *p = NULL;

	if (asprintf(&p, "/tmp/%s-XXXXXX", prefix) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

char *cft_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

int cft_load_env(const char *path)
{
	char *text = cft_read_file(path, NULL), *line, *save = NULL;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		setenv(line, eq + 1, 1);
	}
	free(text);
	return 0;
}
