/*
 * Tests the pure Helm source parts: index parsing and version resolution against what the real
 * helm CLI resolved (fixtures/make-index.sh), hostile indexes, chart URL resolution, .helmignore,
 * values merging and packaging checked by running the real helm on the result.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "helmsource.h"
#include "testsupport.h"

static const char *helm(void)
{
	static char path[1024];
	snprintf(path, sizeof(path), "%s/.cache/cflux/bin/helm", getenv("HOME") ? getenv("HOME") : "");
	return access(path, X_OK) == 0 ? path : NULL;
}

/* ---- index parsing and resolution ---- */

static void test_index_fixture(void **state)
{
	sc_helm_index *idx = NULL;
	const sc_helm_chart_version *cv = NULL;

	assert_int_equal(sc_helm_index_parse_file(&idx, "fixtures/index.yaml"), 0);
	assert_int_equal(sc_helm_index_chart_count(idx), 2);
	assert_int_equal(sc_helm_index_version_count(idx), 9);
	/* Relative URL as `helm repo index` wrote it; absolute from --url --merge. */
	assert_int_equal(sc_helm_index_get(&cv, idx, "app", "1.0.0"), 0);
	assert_string_equal(cv->url, "app-1.0.0.tgz");
	assert_non_null(cv->digest);
	assert_int_equal(strlen(cv->digest), 64);
	assert_true(cv->created_ns > 1700000000ll * 1000000000ll);
	assert_int_equal(sc_helm_index_get(&cv, idx, "other", NULL), 0);
	assert_string_equal(cv->url, "https://charts.example.org/stable/other-0.1.0.tgz");
	assert_string_equal(cv->version, "0.1.0");
	assert_int_equal(sc_helm_index_get(&cv, idx, "missing", NULL), CF_ENOTFOUND);
	assert_string_equal(cf_error_last(), "no chart name found");
	sc_helm_index_free(idx);
}

/* Every constraint of fixtures/resolve.tsv resolves to what `helm show chart --version` picked. */
static void test_resolve_like_helm(void **state)
{
	char *text = cft_read_file("fixtures/resolve.tsv", NULL), *save = NULL, *line;
	sc_helm_index *idx = NULL;
	int cases = 0;

	assert_non_null(text);
	assert_int_equal(sc_helm_index_parse_file(&idx, "fixtures/index.yaml"), 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		const sc_helm_chart_version *cv = NULL;
		assert_non_null(tab);
		*tab = '\0';
		int err = sc_helm_index_get(&cv, idx, "app", line);
		if (strcmp(tab + 1, "-") == 0) {
			if (err != CF_ENOTFOUND)
				fail_msg("constraint '%s': expected no match, got %s", line, cv ? cv->version : "error");
			assert_non_null(strstr(cf_error_last(), "no 'app' chart with version matching"));
		} else {
			if (err != 0 || strcmp(cv->version, tab + 1) != 0)
				fail_msg("constraint '%s': helm chose %s, we chose %s", line, tab + 1,
					 err ? cf_error_last() : cv->version);
		}
		cases++;
	}
	assert_true(cases >= 10);
	sc_helm_index_free(idx);
	free(text);
}

static void test_index_rules(void **state)
{
	const char *y =
		"apiVersion: v1\n"
		"entries:\n"
		"  a:\n"
		"  - name: a\n    version: 1.0.0+old\n    created: \"2024-01-01T00:00:00Z\"\n    urls: [a-old.tgz]\n"
		"  - name: a\n    version: 1.0.0+new\n    created: \"2024-06-01T00:00:00.5+02:00\"\n    urls: [a-new.tgz, mirror.tgz]\n"
		"  - name: a\n    version: not-semver\n    urls: [bad.tgz]\n"
		"  - version: 9.9.9\n    urls: [noname.tgz]\n"
		"  - null\n"
		"  b: []\n"
		"generated: x\n"
		"extra: {deep: [1, {x: [2, 3]}]}\n";
	sc_helm_index *idx = NULL;
	const sc_helm_chart_version *cv = NULL;

	assert_int_equal(sc_helm_index_parse(&idx, y, strlen(y)), 0);
	assert_int_equal(sc_helm_index_version_count(idx), 2);
	/* Equal but for build metadata: the later "created" wins, as in Flux. */
	assert_int_equal(sc_helm_index_get(&cv, idx, "a", "1.0.0"), 0);
	assert_string_equal(cv->url, "a-new.tgz");
	assert_int_equal(sc_helm_index_get(&cv, idx, "b", NULL), CF_ENOTFOUND);
	assert_int_equal(sc_helm_index_get(&cv, idx, "a", ">>>"), CF_EPARSE);
	sc_helm_index_free(idx);
}

static void expect_bad(const char *y, int code, const char *msg_part)
{
	sc_helm_index *idx = NULL;
	int err = sc_helm_index_parse(&idx, y, strlen(y));

	if (err != code)
		fail_msg("index %.40s...: expected %s, got %s (%s)", y, cf_error_name(code), cf_error_name(err),
			 cf_error_last());
	if (msg_part && !strstr(cf_error_last(), msg_part))
		fail_msg("message '%s' lacks '%s'", cf_error_last(), msg_part);
	assert_null(idx);
}

static void test_index_hostile(void **state)
{
	expect_bad("", CF_EPARSE, "empty index.yaml file");
	expect_bad("  \n", CF_EPARSE, "empty index.yaml file");
	expect_bad("entries: {}\n", CF_EPARSE, "no API version specified");
	expect_bad("<html><body>not found</body></html>\n", CF_EPARSE, NULL);
	expect_bad("apiVersion: v1\nentries:\n  a:\n  - version: [1\n", CF_EPARSE, "line");
	expect_bad("{{{{", CF_EPARSE, NULL);
	expect_bad("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: &v 1.0.0\n  - name: a\n    version: *v\n",
		   CF_EUNSUPPORTED, "aliases");
	expect_bad("apiVersion: v1\nentries:\n  ? [a]\n  : []\n", CF_EPARSE, "chart names");
	expect_bad("- a\n- b\n", CF_EPARSE, "not a YAML map");
	/* Deep nesting in ignored fields is skipped without recursion. */
	char *deep = malloc(200100);
	size_t off = (size_t)sprintf(deep, "apiVersion: v1\nx: ");
	memset(deep + off, '[', 100000);
	deep[off + 100000] = '\0';
	sc_helm_index *idx = NULL;
	assert_int_equal(sc_helm_index_parse(&idx, deep, strlen(deep)), CF_EPARSE);
	free(deep);
	/* Binary garbage. */
	char junk[512];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	assert_true(sc_helm_index_parse(&idx, junk, sizeof(junk)) < 0);
	assert_null(idx);
}

/* ---- URLs ---- */

static void url_is(const char *repo, const char *chart, const char *want)
{
	char *got = NULL;
	assert_int_equal(sc_helm_url_resolve(&got, repo, chart), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_urls(void **state)
{
	char *u = NULL;

	url_is("http://h:8080/charts", "app-1.0.0.tgz", "http://h:8080/charts/app-1.0.0.tgz");
	url_is("http://h:8080/charts/", "app-1.0.0.tgz", "http://h:8080/charts/app-1.0.0.tgz");
	url_is("http://h/charts/stable", "../other/x.tgz", "http://h/charts/other/x.tgz");
	url_is("http://h/charts", "/abs/x.tgz", "http://h/abs/x.tgz");
	url_is("https://h/c?token=abc", "x-1.tgz", "https://h/c/x-1.tgz?token=abc");
	url_is("http://h/charts", "https://cdn.example.org/x-1.tgz", "https://cdn.example.org/x-1.tgz");
	assert_int_equal(sc_helm_url_index(&u, "http://h/charts/"), 0);
	assert_string_equal(u, "http://h/charts/index.yaml");
	free(u);
	assert_int_equal(sc_helm_url_index(&u, "https://h?x=1"), 0);
	assert_string_equal(u, "https://h/index.yaml?x=1");
	free(u);
	assert_int_equal(sc_helm_url_resolve(&u, "not a url", "x.tgz"), CF_EINVALID);
	assert_int_equal(sc_helm_url_resolve(&u, "http://h/", ""), CF_EINVALID);
}

/* ---- .helmignore ---- */

static void test_helmignore(void **state)
{
	sc_helm_ignore *ig = NULL;

	assert_int_equal(sc_helm_ignore_load(&ig, "/nonexistent"), 0);
	assert_int_equal(sc_helm_ignore_add(ig, "# c\n*.md\ndocs/\n/top.txt\nsub/*.bak\n"), 0);
	assert_true(sc_helm_ignore_match(ig, "README.md", 0));
	assert_true(sc_helm_ignore_match(ig, "templates/x.md", 0));
	assert_true(sc_helm_ignore_match(ig, "docs", 1));
	assert_false(sc_helm_ignore_match(ig, "docs", 0));
	assert_true(sc_helm_ignore_match(ig, "top.txt", 0));
	assert_false(sc_helm_ignore_match(ig, "a/top.txt", 0));
	assert_true(sc_helm_ignore_match(ig, "sub/x.bak", 0));
	assert_true(sc_helm_ignore_match(ig, "templates/.hidden", 0));
	assert_false(sc_helm_ignore_match(ig, "templates/cm.yaml", 0));
	assert_int_equal(sc_helm_ignore_add(ig, "a/**/b\n"), CF_EINVALID);
	sc_helm_ignore_free(ig);
}

/* ---- packaging, checked with the real helm ---- */

static char *make_chart(void)
{
	char *d = cft_tmpdir("cflux-helmpkg");
	const char *h = helm();

	assert_int_equal(cft_sh(
		"set -e; cd '%s'; mkdir -p mychart/templates mychart/charts mychart/docs dep/templates\n"
		"printf 'apiVersion: v2\\nname: dep\\nversion: 0.1.0\\n' > dep/Chart.yaml\n"
		"printf 'msg: from-dep\\n' > dep/values.yaml\n"
		"printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: dep-cm\\ndata:\\n  msg: {{ .Values.msg }}\\n' > dep/templates/cm.yaml\n"
		"'%s' package dep -d mychart/charts >/dev/null\n"
		"printf 'apiVersion: v2\\nname: mychart\\nversion: 1.2.3\\ndescription: d\\ndependencies:\\n- name: dep\\n  version: 0.1.0\\n' > mychart/Chart.yaml\n"
		"printf 'a: 1\\nnested:\\n  keep: yes-kept\\n  over: base\\nlist: [1, 2]\\n' > mychart/values.yaml\n"
		"printf 'nested:\\n  over: prod\\nlist: [3]\\nextra: true\\n' > mychart/values-prod.yaml\n"
		"printf 'kind: ConfigMap\\napiVersion: v1\\nmetadata:\\n  name: main\\ndata:\\n  v: {{ toJson .Values | quote }}\\n  chart: {{ .Chart.Version | quote }}\\n' > mychart/templates/cm.yaml\n"
		"echo hidden > mychart/templates/.hidden; echo readme > mychart/README.md; echo n > mychart/docs/notes.txt\n"
		"printf '# comment\\n*.md\\ndocs/\\n' > mychart/.helmignore\n",
		d, h), 0);
	return d;
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void test_package_accepted_by_helm(void **state)
{
	const char *h = helm();
	void *tgz = NULL;
	size_t len = 0;
	char path[1200];

	if (!h)
		skip();
	char *d = make_chart();
	snprintf(path, sizeof(path), "%s/mychart", d);
	assert_int_equal(sc_helm_package(&tgz, &len, path, NULL), 0);
	snprintf(path, sizeof(path), "%s/ours.tgz", d);
	write_bytes(path, tgz, len);
	free(tgz);
	assert_int_equal(cft_sh("cd '%s' && '%s' package mychart -d theirs >/dev/null", d, h), 0);
	/* The same files, apart from the vendored dependency helm re-lays as a directory. */
	char *ours = cft_sh_out("cd '%s' && tar tzf ours.tgz | grep -v '^mychart/charts/' | sort", d);
	char *theirs = cft_sh_out("cd '%s' && tar tzf theirs/mychart-1.2.3.tgz | grep -v '^mychart/charts/' | sort", d);
	assert_non_null(ours);
	assert_string_equal(ours, theirs);
	assert_null(strstr(ours, "README.md"));
	assert_null(strstr(ours, "docs/"));
	assert_null(strstr(ours, ".hidden"));
	assert_non_null(strstr(ours, "mychart/.helmignore"));
	/* helm reads ours as it reads its own: metadata and rendering, subchart included. */
	char *show = cft_sh_out("cd '%s' && '%s' show chart ours.tgz", d, h);
	assert_non_null(show);
	assert_non_null(strstr(show, "name: mychart"));
	assert_int_equal(cft_sh("cd '%s' && '%s' template rel ours.tgz > a.yaml && '%s' template rel theirs/mychart-1.2.3.tgz > b.yaml"
				" && cmp a.yaml b.yaml && grep -q from-dep a.yaml", d, h, h), 0);
	free(ours);
	free(theirs);
	free(show);
	cft_sh("rm -rf '%s'", d);
	free(d);
}

/* Merged values files and a new version: helm renders ours as it renders the chart with -f. */
static void test_package_values_and_version(void **state)
{
	const char *h = helm();
	char path[1200], vals[2][1300], *merged = NULL, **used = NULL;
	size_t n_used = 0, len = 0;
	void *tgz = NULL;

	if (!h)
		skip();
	char *d = make_chart();
	snprintf(vals[0], sizeof(vals[0]), "%s/mychart/values.yaml", d);
	snprintf(vals[1], sizeof(vals[1]), "%s/mychart/values-prod.yaml", d);
	const char *paths[] = {vals[0], "/nonexistent/values.yaml", vals[1]};
	assert_int_equal(sc_helm_values_merge(&merged, NULL, NULL, paths, 3, 0), CF_ENOTFOUND);
	assert_non_null(strstr(cf_error_last(), "no values file found at path '/nonexistent/values.yaml'"));
	assert_int_equal(sc_helm_values_merge(&merged, &used, &n_used, paths, 3, 1), 0);
	assert_int_equal(n_used, 2);
	snprintf(path, sizeof(path), "%s/mychart", d);
	sc_helm_package_opts o = {.version = "1.2.3+7", .values_yaml = merged};
	assert_int_equal(sc_helm_package(&tgz, &len, path, &o), 0);
	snprintf(path, sizeof(path), "%s/ours.tgz", d);
	write_bytes(path, tgz, len);
	assert_int_equal(cft_sh("cd '%s' && '%s' show chart ours.tgz | grep -qx 'version: 1.2.3+7'", d, h), 0);
	assert_int_equal(cft_sh("cd '%s' && '%s' template rel ours.tgz | grep -v 'chart:' > a.yaml &&"
				" '%s' template rel mychart -f mychart/values.yaml -f mychart/values-prod.yaml | grep -v 'chart:' > b.yaml &&"
				" cmp a.yaml b.yaml && '%s' template rel ours.tgz | grep -q 'chart: \"1.2.3+7\"'", d, h, h, h), 0);
	for (size_t i = 0; i < n_used; i++)
		free(used[i]);
	free(used);
	free(merged);
	free(tgz);
	cft_sh("rm -rf '%s'", d);
	free(d);
}

static void test_package_bad(void **state)
{
	char *d = cft_tmpdir("cflux-helmbad");
	char path[1200];
	void *tgz = NULL;
	size_t len;
	sc_helm_chart_meta m;

	snprintf(path, sizeof(path), "%s/c", d);
	assert_int_equal(sc_helm_package(&tgz, &len, path, NULL), CF_ENOTFOUND);
	assert_int_equal(cft_sh("mkdir -p '%s/c' && printf 'name: c\\nversion: 1.0.0\\n' > '%s/c/Chart.yaml'", d, d), 0);
	assert_int_equal(sc_helm_chart_meta_load(&m, path), CF_EINVALID);
	assert_non_null(strstr(cf_error_last(), "apiVersion is required"));
	assert_int_equal(cft_sh("printf 'apiVersion: v2\\nname: c\\nversion: one\\n' > '%s/c/Chart.yaml'", d), 0);
	assert_int_equal(sc_helm_chart_meta_load(&m, path), CF_EINVALID);
	assert_int_equal(cft_sh("printf 'apiVersion: v2\\nname: c\\nversion: 1.0.0\\n' > '%s/c/Chart.yaml' &&"
				" head -c 2000 /dev/zero > '%s/c/big.bin'", d, d), 0);
	sc_helm_package_opts o = {.max_file = 1000};
	assert_int_equal(sc_helm_package(&tgz, &len, path, &o), CF_ELIMIT);
	cft_sh("rm -rf '%s'", d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_fixture),
		cmocka_unit_test(test_resolve_like_helm),
		cmocka_unit_test(test_index_rules),
		cmocka_unit_test(test_index_hostile),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_helmignore),
		cmocka_unit_test(test_package_accepted_by_helm),
		cmocka_unit_test(test_package_values_and_version),
		cmocka_unit_test(test_package_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
