/*
 * Chart loading from hostile archives and directories: the loader must refuse paths and links
 * that leave the chart, oversized files and non-gzip input with a clear error, and never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/helm.h"

typedef struct {
	const char *name;
	const char *data;
	size_t size; /* 0: strlen(data) */
} entry;

static const char chart_yaml[] = "apiVersion: v2\nname: t\nversion: 0.1.0\n";

/* Writes a .tgz of entries to a temporary file; returns its path (malloc'ed). */
static char *write_tgz(const entry *e, size_t n)
{
	char *path = strdup("/tmp/helm-chart-load-XXXXXX");
	struct archive *a = archive_write_new();
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t size = e[i].size ? e[i].size : strlen(e[i].data);
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)size);
		archive_write_header(a, ae);
		if (e[i].size) {
			char *zero = calloc(1, size);
			archive_write_data(a, zero, size);
			free(zero);
		} else {
			archive_write_data(a, e[i].data, size);
		}
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	return path;
}

static int load(const entry *e, size_t n, cf_helm_chart **out)
{
	char *path = write_tgz(e, n);
	int err = cf_helm_chart_load(out, path);
	unlink(path);
	free(path);
	return err;
}

static void test_parent_reference_refused(void **state)
{
	entry e[] = { { "t/Chart.yaml", chart_yaml, 0 }, { "t/templates/../../x.yaml", "x", 0 } };
	cf_helm_chart *c = NULL;
	(void)state;
	assert_int_equal(load(e, 2, &c), CF_EUNSAFE);
	assert_null(c);
	assert_string_equal(cf_error_last(), "chart illegally references parent directory");
}

static void test_absolute_path_refused(void **state)
{
	entry e[] = { { "/t/Chart.yaml", chart_yaml, 0 } };
	cf_helm_chart *c = NULL;
	(void)state;
	assert_int_equal(load(e, 1, &c), CF_EUNSAFE);
	assert_null(c);
}

static void test_oversized_file_refused(void **state)
{
	entry e[] = { { "t/Chart.yaml", chart_yaml, 0 }, { "t/big.bin", NULL, 6u * 1024 * 1024 } };
	cf_helm_chart *c = NULL;
	(void)state;
	assert_int_equal(load(e, 2, &c), CF_ELIMIT);
	assert_null(c);
}

static void test_missing_chart_yaml(void **state)
{
	entry e[] = { { "t/values.yaml", "a: 1\n", 0 } };
	cf_helm_chart *c = NULL;
	(void)state;
	assert_int_equal(load(e, 1, &c), CF_ENOTFOUND);
	assert_string_equal(cf_error_last(), "Chart.yaml file is missing");
}

static void test_not_gzip(void **state)
{
	char path[] = "/tmp/helm-chart-load-XXXXXX";
	int fd = mkstemp(path);
	cf_helm_chart *c = NULL;
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage\n", 8), 8);
	close(fd);
	assert_int_equal(cf_helm_chart_load(&c, path), CF_EPARSE);
	assert_non_null(strstr(cf_error_last(), "does not appear to be a gzipped archive"));
	unlink(path);
}

/* A valid archive renders; its name and values come from the archive's files. */
static void test_archive_renders(void **state)
{
	entry e[] = {
		{ "t/Chart.yaml", chart_yaml, 0 },
		{ "t/values.yaml", "msg: hi\n", 0 },
		{ "t/templates/cm.yaml", "kind: ConfigMap\nmsg: {{ .Values.msg }}\n", 0 },
	};
	cf_helm_template_opts o = { .release_name = "r" };
	cf_helm_chart *c = NULL;
	char *out = NULL;
	size_t len = 0;
	(void)state;
	assert_int_equal(load(e, 3, &c), 0);
	assert_string_equal(cf_helm_chart_name(c), "t");
	assert_int_equal(cf_helm_chart_template(&out, &len, c, &o), 0);
	assert_string_equal(out, "---\n# Source: t/templates/cm.yaml\nkind: ConfigMap\nmsg: hi\n");
	free(out);
	cf_helm_chart_free(c);
}

static void test_truncated_archive(void **state)
{
	entry e[] = { { "t/Chart.yaml", chart_yaml, 0 }, { "t/templates/a.yaml", "kind: A\n", 0 } };
	char *path = write_tgz(e, 2);
	FILE *f = fopen(path, "r+");
	cf_helm_chart *c = NULL;
	long n;
	(void)state;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	assert_int_equal(truncate(path, n / 2), 0);
	assert_true(cf_helm_chart_load(&c, path) < 0);
	assert_null(c);
	unlink(path);
	free(path);
}

/* A link inside the chart is followed; one leaving it is refused. */
static void test_directory_links(void **state)
{
	char dir[] = "/tmp/helm-chart-dir-XXXXXX", path[256], cmd[320];
	cf_helm_chart *c = NULL;
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Chart.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(chart_yaml, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/inside.txt", dir);
	assert_int_equal(symlink("Chart.yaml", path), 0);
	assert_int_equal(cf_helm_chart_load(&c, dir), 0);
	cf_helm_chart_free(c);
	c = NULL;
	/* Links back to the chart root would loop: refused. */
	snprintf(path, sizeof(path), "%s/loop1", dir);
	assert_int_equal(symlink(".", path), 0);
	snprintf(path, sizeof(path), "%s/loop2", dir);
	assert_int_equal(symlink(".", path), 0);
	assert_int_equal(cf_helm_chart_load(&c, dir), CF_EUNSAFE);
	assert_string_equal(cf_error_last(), "chart directory loop1 links back to the chart root");
	assert_null(c);
	snprintf(path, sizeof(path), "%s/loop1", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/loop2", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/outside.txt", dir);
	assert_int_equal(symlink("..", path), 0);
	assert_int_equal(cf_helm_chart_load(&c, dir), CF_EUNSAFE);
	assert_string_equal(cf_error_last(), "chart file outside.txt links outside the chart");
	assert_null(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parent_reference_refused),
		cmocka_unit_test(test_absolute_path_refused),
		cmocka_unit_test(test_oversized_file_refused),
		cmocka_unit_test(test_missing_chart_yaml),
		cmocka_unit_test(test_not_gzip),
		cmocka_unit_test(test_archive_renders),
		cmocka_unit_test(test_truncated_archive),
		cmocka_unit_test(test_directory_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
