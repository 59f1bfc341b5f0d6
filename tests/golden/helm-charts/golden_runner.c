/*
 * Golden test: renders every chart under cases/ with the Helm engine and compares the result
 * byte for byte with what the real `helm template` printed (expected.txt), or, for charts that
 * helm refuses, what we would print on stderr with what helm printed (expected-error.txt:
 * "Error: <message>", plus helm's --debug hint when rendering failed). Cases listed in known-failures.txt are reported but do not fail the run.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "cf/helm.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must name tests/golden/helm-charts"
#endif

#define MAX_ARGS 64

typedef struct {
	char name[256];
	int known_failure;
} golden_case;

/* The arguments of one case, split the way `helm template` takes them. */
typedef struct {
	char *words[MAX_ARGS];
	size_t n;
	const char *pos[2];
	size_t npos;
	const char *files[MAX_ARGS], *set[MAX_ARGS], *set_string[MAX_ARGS];
	const char *apis[MAX_ARGS], *show_only[MAX_ARGS];
	size_t nfiles, nset, nset_string, napis, nshow_only;
	const char *ns, *kube_version;
	int include_crds, skip_tests, is_upgrade, no_hooks, skip_schema;
} case_args;

/* The boolean flags of `helm template` a case may give. */
static int *bool_flag(case_args *a, const char *w)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
		{ "--include-crds", offsetof(case_args, include_crds) },
		{ "--skip-tests", offsetof(case_args, skip_tests) },
		{ "--is-upgrade", offsetof(case_args, is_upgrade) },
		{ "--no-hooks", offsetof(case_args, no_hooks) },
		{ "--skip-schema-validation", offsetof(case_args, skip_schema) },
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (!strcmp(w, flags[i].name))
			return (int *)((char *)a + flags[i].off);
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1))) {
		size_t got = fread(buf, 1, (size_t)n, f);
		buf[got] = '\0';
		if (len)
			*len = got;
	}
	fclose(f);
	return buf;
}

static void show_diff(const char *expected_path, const char *actual, size_t len)
{
	char tmp[] = "/tmp/helm-golden-XXXXXX";
	int fd = mkstemp(tmp);
	char cmd[1024];

	if (fd < 0)
		return;
	if (write(fd, actual, len) < 0) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "diff -u '%s' '%s' | head -60 >&2", expected_path, tmp);
	if (system(cmd) < 0)
		fprintf(stderr, "(diff failed)\n");
	unlink(tmp);
}

static void args_free(case_args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->words[i]);
}

/* Reads args (one per line); paths are relative to the case folder, where cases run. */
static int args_load(case_args *a, const char *dir)
{
	char path[1200], *text, *line, *save = NULL;

	memset(a, 0, sizeof(*a));
	snprintf(path, sizeof(path), "%s/args", dir);
	if (!(text = slurp(path, NULL)))
		return -1;
	for (line = strtok_r(text, "\n", &save); line && a->n < MAX_ARGS;
	     line = strtok_r(NULL, "\n", &save))
		a->words[a->n++] = strdup(line);
	free(text);
	for (size_t i = 0; i < a->n; i++) {
		const char *w = a->words[i], *next = i + 1 < a->n ? a->words[i + 1] : NULL;
		int *flag = bool_flag(a, w);
		if (flag) {
			*flag = 1;
		} else if ((!strcmp(w, "--api-versions") || !strcmp(w, "-a")) && next) {
			a->apis[a->napis++] = next; /* one version a line (no comma lists) */
			i++;
		} else if ((!strcmp(w, "--show-only") || !strcmp(w, "-s")) && next) {
			a->show_only[a->nshow_only++] = next;
			i++;
		} else if (!strcmp(w, "--kube-version") && next) {
			a->kube_version = next;
			i++;
		} else if ((!strcmp(w, "-f") || !strcmp(w, "--values")) && next) {
			a->files[a->nfiles++] = next;
			i++;
		} else if (!strcmp(w, "--set") && next) {
			a->set[a->nset++] = next;
			i++;
		} else if (!strcmp(w, "--set-string") && next) {
			a->set_string[a->nset_string++] = next;
			i++;
		} else if ((!strcmp(w, "--namespace") || !strcmp(w, "-n")) && next) {
			a->ns = next;
			i++;
		} else if (a->npos < 2) {
			a->pos[a->npos++] = w;
		} else {
			return -1;
		}
	}
	return a->npos == 2 ? 0 : -1;
}

/* Renders in the case folder, so paths in messages read as helm printed them there. */
static int render(char **out, size_t *len, const char *dir, const case_args *a, int *failed,
                  char **full)
{
	cf_helm_template_opts o = {
		.release_name = a->pos[0], .ns = a->ns,
		.value_files = a->files, .n_value_files = a->nfiles,
		.set = a->set, .n_set = a->nset,
		.set_string = a->set_string, .n_set_string = a->nset_string,
		.include_crds = a->include_crds,
		.skip_tests = a->skip_tests, .is_upgrade = a->is_upgrade, .no_hooks = a->no_hooks,
		.skip_schema_validation = a->skip_schema,
		.kube_version = a->kube_version,
		.api_versions = a->apis, .n_api_versions = a->napis,
		.show_only = a->show_only, .n_show_only = a->nshow_only,
		.render_failed = failed,
		.error_out = full,
	};
	cf_helm_chart *chart = NULL;
	char cwd[4096];
	int err;

	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir) != 0)
		return cf_error_set(CF_EIO, "cannot enter %s", dir);
	if ((err = cf_helm_chart_load(&chart, a->pos[1])) == 0)
		err = cf_helm_chart_template(out, len, chart, &o);
	cf_helm_chart_free(chart);
	if (chdir(cwd) != 0)
		return cf_error_set(CF_EIO, "cannot return to %s", cwd);
	return err;
}

/* Compares an error with helm's stderr. */
static int check_error(const char *name, const char *expected, int err, int render_failed,
                       const char *full)
{
	char got[16384];

	if (err == 0) {
		fprintf(stderr, "[%s] rendered, but helm fails with: %s", name, expected);
		return 0;
	}
	snprintf(got, sizeof(got), "Error: %s%s\n", full ? full : cf_error_last(),
	         render_failed ? "\n\nUse --debug flag to render out invalid YAML" : "");
	if (!strcmp(got, expected))
		return 1;
	fprintf(stderr, "[%s] error differs from helm's:\n  helm: %s  ours: %s", name, expected, got);
	return 0;
}

/* Returns 1 when the case passes; prints why not otherwise. */
static int run_case(const char *name)
{
	char dir[1024], path[1200];
	char *expected = NULL, *out = NULL, *full = NULL;
	size_t elen = 0, olen = 0;
	case_args a;
	int ok = 0, err, render_failed = 0;

	snprintf(dir, sizeof(dir), "%s/cases/%s", GOLDEN_DIR, name);
	if (args_load(&a, dir) < 0) {
		fprintf(stderr, "[%s] unreadable args\n", name);
		args_free(&a);
		return 0;
	}
	err = render(&out, &olen, dir, &a, &render_failed, &full);
	snprintf(path, sizeof(path), "%s/expected.txt", dir);
	if ((expected = slurp(path, &elen))) {
		if (err < 0)
			fprintf(stderr, "[%s] render failed: %s\n", name, cf_error_last());
		else if (!(ok = elen == olen && memcmp(expected, out, olen) == 0)) {
			fprintf(stderr, "[%s] output differs from helm template:\n", name);
			show_diff(path, out, olen);
		}
	} else {
		snprintf(path, sizeof(path), "%s/expected-error.txt", dir);
		if ((expected = slurp(path, NULL)))
			ok = check_error(name, expected, err, render_failed, full);
		else
			fprintf(stderr, "[%s] has neither expected.txt nor expected-error.txt\n", name);
	}
	free(expected);
	free(out);
	free(full);
	args_free(&a);
	return ok;
}

static void test_case(void **state)
{
	golden_case *c = *state;
	int ok = run_case(c->name);

	if (c->known_failure) {
		if (ok)
			fprintf(stderr, "[%s] passes now: remove it from known-failures.txt\n", c->name);
		else
			fprintf(stderr, "[%s] known failure\n", c->name);
		return;
	}
	assert_true(ok);
}

static int is_known_failure(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p = nl ? nl + 1 : p + len;
	}
	return 0;
}

static int cmp_cases(const void *a, const void *b)
{
	return strcmp(((const golden_case *)a)->name, ((const golden_case *)b)->name);
}

int main(void)
{
	char path[1024];
	golden_case *cases = NULL;
	struct CMUnitTest *tests = NULL;
	size_t n = 0, cap = 0;
	char *known;
	struct dirent *e;
	DIR *d;
	int rc;

	snprintf(path, sizeof(path), "%s/known-failures.txt", GOLDEN_DIR);
	known = slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/cases", GOLDEN_DIR);
	if (!(d = opendir(path))) {
		fprintf(stderr, "cannot open %s\n", path);
		free(known);
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			golden_case *v = realloc(cases, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (!v)
				break;
			cases = v;
		}
		snprintf(cases[n].name, sizeof(cases[n].name), "%s", e->d_name);
		cases[n].known_failure = is_known_failure(known, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(cases, n, sizeof(*cases), cmp_cases);
	tests = calloc(n ? n : 1, sizeof(*tests));
	for (size_t i = 0; tests && i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = &cases[i];
	}
	rc = tests ? _cmocka_run_group_tests("helm_charts_golden", tests, n, NULL, NULL) : 1;
	free(tests);
	free(cases);
	free(known);
	return rc;
}
