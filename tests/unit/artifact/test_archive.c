/* Tests the deterministic tarball writer against libarchive's reader and sha256sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <locale.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "cf/artifact.h"
#include "cf/error.h"
#include "helpers.h"

/* A tree with nested dirs, an executable, names that sort differently by path and by walk. */
static void make_tree(const char *dir, int reverse)
{
	static const char *files[][2] = {
		{"kustomization.yaml", "resources:\n- deploy.yaml\n"},
		{"deploy.yaml", "kind: Deployment\n"},
		{"a/x.txt", "x\n"},
		{"a-b/y.txt", "y\n"},
		{"a/deep/er/z.txt", "z\n"},
		{"empty.txt", ""},
	};
	size_t n = sizeof(files) / sizeof(files[0]);

	for (size_t i = 0; i < n; i++) {
		size_t k = reverse ? n - 1 - i : i;
		put_file(dir, files[k][0], files[k][1], 0644);
	}
	put_file(dir, "bin/run.sh", "#!/bin/sh\necho hi\n", 0755);
	char *empty = path_join(dir, "emptydir");
	mkdir(empty, 0777);
	free(empty);
}

static void set_all_mtimes(const char *dir, time_t t)
{
	static const char *rels[] = {"kustomization.yaml", "deploy.yaml", "a/x.txt", "a-b/y.txt",
				     "a/deep/er/z.txt", "empty.txt", "bin/run.sh", "a", "bin", "."};
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
		char *p = path_join(dir, rels[i]);
		struct timespec ts[2] = {{t, 0}, {t, 0}};
		utimensat(AT_FDCWD, p, ts, 0);
		free(p);
	}
}

typedef struct {
	char names[32][64];
	int modes[32];
	int n;
} listing;

/* Reads the archive back with libarchive and checks every header is environment-free. */
static void read_listing(const char *path, listing *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
	out->n = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		assert_true(out->n < 32);
		snprintf(out->names[out->n], 64, "%s", archive_entry_pathname(e));
		out->modes[out->n++] = (int)archive_entry_mode(e);
		assert_int_equal(archive_entry_uid(e), 0);
		assert_int_equal(archive_entry_gid(e), 0);
		assert_true(archive_entry_uname(e) == NULL || archive_entry_uname(e)[0] == '\0');
		assert_true(archive_entry_gname(e) == NULL || archive_entry_gname(e)[0] == '\0');
		assert_int_equal(archive_entry_mtime(e), 0);
	}
	archive_read_free(a);
}

static void test_layout_and_modes(void **state)
{
	char *src = scratch_dir("arch-src"), *out = scratch_dir("arch-out");
	char *tgz = path_join(out, "a.tar.gz");
	cf_artifact_file_info info;
	listing l;
	/* Walk order: each directory's children sorted by name, parents before children. */
	static const char *want[] = {".", "a", "a/deep", "a/deep/er", "a/deep/er/z.txt", "a/x.txt", "a-b",
				     "a-b/y.txt", "bin", "bin/run.sh", "deploy.yaml", "empty.txt", "emptydir",
				     "kustomization.yaml"};

	make_tree(src, 0);
	assert_int_equal(cf_artifact_archive(&info, tgz, src, NULL, NULL, NULL), 0);
	read_listing(tgz, &l);
	assert_int_equal(l.n, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < l.n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s", l.names[i]);
		if (name[strlen(name) - 1] == '/' && strlen(name) > 1)
			name[strlen(name) - 1] = '\0';
		if (strcmp(name, "./") == 0)
			strcpy(name, ".");
		assert_string_equal(name, want[i]);
		if (S_ISDIR(l.modes[i]))
			assert_int_equal(l.modes[i] & 07777, 0750);
		else if (strcmp(name, "bin/run.sh") == 0)
			assert_int_equal(l.modes[i] & 07777, 0700);
		else
			assert_int_equal(l.modes[i] & 07777, 0600);
	}
	struct stat sb;
	assert_int_equal(stat(tgz, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, info.size);
	assert_int_equal(sb.st_mode & 0777, 0600);
	remove_tree(src);
	remove_tree(out);
	free(src);
	free(out);
	free(tgz);
}

static void test_byte_identical_across_runs_mtimes_umask_order(void **state)
{
	char *src1 = scratch_dir("det1"), *src2 = scratch_dir("det2"), *out = scratch_dir("det-out");
	char *t1 = path_join(out, "1.tar.gz"), *t2 = path_join(out, "2.tar.gz"), *t3 = path_join(out, "3.tar.gz");
	cf_artifact_file_info i1, i2, i3;
	size_t n1, n2, n3;
	char *b1, *b2, *b3;
	mode_t old;

	old = umask(022);
	make_tree(src1, 0);
	umask(077);
	make_tree(src2, 1);
	umask(old);
	set_all_mtimes(src1, 1000000);
	set_all_mtimes(src2, 1700000000);
	/* Group/other bits differ between the trees; put_file's fchmod bypasses umask, so force it. */
	char *p = path_join(src2, "deploy.yaml");
	chmod(p, 0640);
	free(p);

	assert_int_equal(cf_artifact_archive(&i1, t1, src1, NULL, NULL, NULL), 0);
	sleep(1);
	assert_int_equal(cf_artifact_archive(&i2, t2, src1, NULL, NULL, NULL), 0);
	assert_int_equal(cf_artifact_archive(&i3, t3, src2, NULL, NULL, NULL), 0);
	b1 = slurp(t1, &n1);
	b2 = slurp(t2, &n2);
	b3 = slurp(t3, &n3);
	assert_int_equal(n1, n2);
	assert_int_equal(n1, n3);
	assert_memory_equal(b1, b2, n1);
	assert_memory_equal(b1, b3, n1);
	assert_string_equal(i1.digest, i2.digest);
	assert_string_equal(i1.digest, i3.digest);
	/* gzip header: deflate, no flags (no file name), zero mtime. */
	assert_int_equal((unsigned char)b1[0], 0x1f);
	assert_int_equal((unsigned char)b1[1], 0x8b);
	assert_int_equal(b1[3], 0);
	assert_memory_equal(b1 + 4, "\0\0\0\0", 4);

	/* Content changes change the digest. */
	put_file(src2, "deploy.yaml", "kind: StatefulSet\n", 0644);
	assert_int_equal(cf_artifact_archive(&i3, t3, src2, NULL, NULL, NULL), 0);
	assert_string_not_equal(i1.digest, i3.digest);
	free(b1);
	free(b2);
	free(b3);
	remove_tree(src1);
	remove_tree(src2);
	remove_tree(out);
	free(src1);
	free(src2);
	free(out);
	free(t1);
	free(t2);
	free(t3);
}

static void test_same_bytes_in_any_locale(void **state)
{
	char *src = scratch_dir("loc"), *out = scratch_dir("loc-out");
	char *t1 = path_join(out, "1.tar.gz"), *t2 = path_join(out, "2.tar.gz");
	cf_artifact_file_info i1, i2;

	put_file(src, "h\xc3\xa9llo w\xc3\xb6rld.yaml", "x\n", 0644);
	put_file(src, "dir-with-a-name-long-enough-to-need-a-pax-header-because-ustar-stops-at-one-hundred-bytes/f", "y", 0644);
	assert_int_equal(cf_artifact_archive(&i1, t1, src, NULL, NULL, NULL), 0);
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		skip();
	assert_int_equal(cf_artifact_archive(&i2, t2, src, NULL, NULL, NULL), 0);
	setlocale(LC_ALL, "C");
	assert_string_equal(i1.digest, i2.digest);
	remove_tree(src);
	remove_tree(out);
	free(src);
	free(out);
	free(t1);
	free(t2);
}

static void test_digest_matches_sha256sum(void **state)
{
	char *src = scratch_dir("dig"), *out = scratch_dir("dig-out"), *tgz = path_join(out, "x.tar.gz");
	cf_artifact_file_info info;
	char cmd[512], line[256] = "", want[CF_ARTIFACT_DIGEST_MAX], again[CF_ARTIFACT_DIGEST_MAX];
	FILE *p;

	make_tree(src, 0);
	assert_int_equal(cf_artifact_archive(&info, tgz, src, NULL, NULL, NULL), 0);
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", tgz);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	line[64] = '\0';
	snprintf(want, sizeof(want), "sha256:%.64s", line);
	assert_string_equal(info.digest, want);
	assert_int_equal(cf_artifact_digest_file(again, NULL, tgz), 0);
	assert_string_equal(again, want);
	assert_int_equal(cf_artifact_digest_compare(want, info.digest), 0);
	want[10] = want[10] == 'a' ? 'b' : 'a';
	assert_int_equal(cf_artifact_digest_compare(want, info.digest), CF_EDIGEST);
	assert_int_equal(cf_artifact_digest_compare("sha256", info.digest), CF_EINVALID);
	assert_int_equal(cf_artifact_digest_compare("md5:abcd", info.digest), CF_EUNSUPPORTED);
	assert_int_equal(cf_artifact_digest_compare("sha256:zz", info.digest), CF_EINVALID);

	/* Other Flux digest algorithms. */
	assert_int_equal(cf_artifact_archive(&info, tgz, src, "sha512", NULL, NULL), 0);
	assert_true(strncmp(info.digest, "sha512:", 7) == 0);
	assert_int_equal(strlen(info.digest), 7 + 128);
	assert_int_equal(cf_artifact_archive(&info, tgz, src, "blake3", NULL, NULL), CF_EUNSUPPORTED);
	remove_tree(src);
	remove_tree(out);
	free(src);
	free(out);
	free(tgz);
}

static cf_artifact_filter_result ignore_rules(void *data, const char *rel, int is_dir)
{
	int *calls = data;

	(*calls)++;
	if (strcmp(rel, "a") == 0)
		return CF_ARTIFACT_PRUNE;
	if (strcmp(rel, "bin") == 0)
		return CF_ARTIFACT_EXCLUDE; /* the directory entry only; its children are still asked */
	if (strcmp(rel, "deploy.yaml") == 0)
		return CF_ARTIFACT_EXCLUDE;
	return CF_ARTIFACT_INCLUDE;
}

static void test_filter_and_links_skipped(void **state)
{
	char *src = scratch_dir("filt"), *out = scratch_dir("filt-out"), *tgz = path_join(out, "f.tar.gz");
	char *l1 = NULL, *l2 = NULL, *fifo;
	cf_artifact_file_info info;
	listing l;
	int calls = 0;

	make_tree(src, 0);
	l1 = path_join(src, "passwd-link");
	assert_int_equal(symlink("/etc/passwd", l1), 0);
	l2 = path_join(src, "inside-link");
	assert_int_equal(symlink("deploy.yaml", l2), 0);
	fifo = path_join(src, "pipe");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(cf_artifact_archive(&info, tgz, src, NULL, ignore_rules, &calls), 0);
	read_listing(tgz, &l);
	for (int i = 0; i < l.n; i++) {
		assert_null(strstr(l.names[i], "link"));
		assert_null(strstr(l.names[i], "pipe"));
		assert_true(strncmp(l.names[i], "a/", 2) != 0 || strncmp(l.names[i], "a-b", 3) == 0);
		assert_string_not_equal(l.names[i], "deploy.yaml");
		assert_string_not_equal(l.names[i], "bin/");
		assert_string_not_equal(l.names[i], "bin");
	}
	int found_run = 0;
	for (int i = 0; i < l.n; i++)
		found_run |= strcmp(l.names[i], "bin/run.sh") == 0;
	assert_true(found_run);
	/* Pruned "a" was asked about once, never its children. */
	assert_int_equal(calls, 9);
	remove_tree(src);
	remove_tree(out);
	free(src);
	free(out);
	free(tgz);
	free(l1);
	free(l2);
	free(fifo);
}

static void test_errors_leave_nothing(void **state)
{
	char *out = scratch_dir("err-out"), *tgz = path_join(out, "x.tar.gz");
	cf_artifact_file_info info;

	assert_int_equal(cf_artifact_archive(&info, tgz, "/nonexistent/dir", NULL, NULL, NULL), CF_ENOTFOUND);
	assert_int_equal(cf_artifact_archive(&info, tgz, "/etc/hostname", NULL, NULL, NULL), CF_EINVALID);
	assert_int_equal(count_entries(out), 0);
	assert_int_equal(cf_artifact_archive(&info, "/nonexistent/dir/x.tar.gz", out, NULL, NULL, NULL), CF_ENOTFOUND);
	remove_tree(out);
	free(out);
	free(tgz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_modes),
		cmocka_unit_test(test_byte_identical_across_runs_mtimes_umask_order),
		cmocka_unit_test(test_same_bytes_in_any_locale),
		cmocka_unit_test(test_digest_matches_sha256sum),
		cmocka_unit_test(test_filter_and_links_skipped),
		cmocka_unit_test(test_errors_leave_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
