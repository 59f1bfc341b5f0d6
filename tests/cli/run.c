/* Runs the cflux binary for tests, capturing its exit code and both output streams. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

extern char **environ;

char *run_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

int run_start(run_proc *p, const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	char *args[64];
	size_t n = 0;
	int fd_out, fd_err, rc;

	args[n++] = (char *)CFLUX_BIN;
	for (; argv[n - 1] && n < 63; n++)
		args[n] = (char *)argv[n - 1];
	args[n] = NULL;
	snprintf(p->out_path, sizeof(p->out_path), "/tmp/cflux-test-out-XXXXXX");
	snprintf(p->err_path, sizeof(p->err_path), "/tmp/cflux-test-err-XXXXXX");
	if ((fd_out = mkstemp(p->out_path)) < 0)
		return -1;
	if ((fd_err = mkstemp(p->err_path)) < 0) {
		close(fd_out);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd_out, 1);
	posix_spawn_file_actions_adddup2(&fa, fd_err, 2);
	rc = posix_spawn(&p->pid, CFLUX_BIN, &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd_out);
	close(fd_err);
	return rc == 0 ? 0 : -1;
}

int run_wait(run_proc *p, run_result *r)
{
	int status;

	if (waitpid(p->pid, &status, 0) < 0)
		return -1;
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->out = run_read_file(p->out_path);
	r->err = run_read_file(p->err_path);
	unlink(p->out_path);
	unlink(p->err_path);
	return r->out && r->err ? 0 : -1;
}

int run_cflux(run_result *r, const char *const *argv)
{
	run_proc p;

	if (run_start(&p, argv) < 0)
		return -1;
	return run_wait(&p, r);
}

int run_cflux_line(run_result *r, const char *line)
{
	char *copy = strdup(line), *save = NULL, *tok;
	const char *argv[64];
	size_t n = 0;
	int rc;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, " \n", &save); tok && n < 63; tok = strtok_r(NULL, " \n", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	rc = run_cflux(r, argv);
	free(copy);
	return rc;
}

void run_result_free(run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
