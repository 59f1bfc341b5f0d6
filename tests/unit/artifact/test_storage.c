/* Tests the Flux storage layout: paths, URLs, atomic writes, the latest link and GC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/artifact.h"
#include "cf/error.h"
#include "helpers.h"

static void test_paths_and_urls(void **state)
{
	char *root = scratch_dir("st-root"), *p = NULL, *u = NULL, *l = NULL, *want;
	cf_artifact_storage *st;

	assert_int_equal(cf_artifact_storage_path(&p, "GitRepository", "flux-system", "podinfo",
						  "132f4e719209eb10b9485302f8593fc0e680f4fc.tar.gz"), 0);
	assert_string_equal(p, "gitrepository/flux-system/podinfo/132f4e719209eb10b9485302f8593fc0e680f4fc.tar.gz");
	free(p);
	assert_int_equal(cf_artifact_storage_path(&p, "HelmChart", "default", "default-podinfo", "podinfo-6.0.3.tgz"), 0);
	assert_string_equal(p, "helmchart/default/default-podinfo/podinfo-6.0.3.tgz");
	assert_int_equal(cf_artifact_storage_path(&u, "GitRepository", "..", "x", "f"), CF_EINVALID);
	assert_int_equal(cf_artifact_storage_path(&u, "GitRepository", "ns", "a/b", "f"), CF_EINVALID);
	assert_int_equal(cf_artifact_storage_path(&u, "GitRepository", "ns", "n", ""), CF_EINVALID);

	assert_int_equal(cf_artifact_storage_new(&st, "/nonexistent-root", "x"), CF_ENOTFOUND);
	assert_int_equal(cf_artifact_storage_new(&st, root, "source-controller.flux-system.svc.cluster.local."), 0);
	assert_int_equal(cf_artifact_storage_url(&u, st, p), 0);
	assert_string_equal(u, "http://source-controller.flux-system.svc.cluster.local./helmchart/default/default-podinfo/podinfo-6.0.3.tgz");
	free(u);
	assert_int_equal(cf_artifact_storage_local_path(&l, st, p), 0);
	want = path_join(root, p);
	assert_string_equal(l, want);
	free(want);
	free(l);
	assert_int_equal(cf_artifact_storage_local_path(&l, st, "../etc/passwd"), CF_EUNSAFE);
	assert_int_equal(cf_artifact_storage_local_path(&l, st, "a/../../etc/passwd"), CF_EUNSAFE);
	assert_int_equal(cf_artifact_storage_local_path(&l, st, "/etc/passwd"), CF_EUNSAFE);
	cf_artifact_storage_free(st);

	/* A full URL prefix is used as is (Flux SetArtifactURL). */
	assert_int_equal(cf_artifact_storage_new(&st, root, "https://artifacts.example.com"), 0);
	assert_int_equal(cf_artifact_storage_url(&u, st, "/gitrepository/a/b/c.tar.gz"), 0);
	assert_string_equal(u, "https://artifacts.example.com/gitrepository/a/b/c.tar.gz");
	free(u);
	cf_artifact_storage_free(st);
	free(p);
	remove_tree(root);
	free(root);
}

static void test_archive_write_symlink_verify(void **state)
{
	char *root = scratch_dir("st-arch"), *src = scratch_dir("st-src"), *path = NULL, *url = NULL, *local = NULL;
	char target[256], *link;
	cf_artifact_storage *st;
	cf_artifact_file_info info, idx;
	ssize_t n;

	put_file(src, "kustomization.yaml", "resources: []\n", 0644);
	assert_int_equal(cf_artifact_storage_new(&st, root, "127.0.0.1:9090"), 0);
	assert_int_equal(cf_artifact_storage_path(&path, "GitRepository", "ns", "repo", "abc.tar.gz"), 0);
	assert_int_equal(cf_artifact_storage_exists(st, path), 0);
	assert_int_equal(cf_artifact_storage_archive(&info, st, path, src, NULL, NULL, NULL), 0);
	assert_int_equal(cf_artifact_storage_exists(st, path), 1);
	assert_int_equal(cf_artifact_storage_verify(st, path, info.digest), 0);
	assert_int_equal(cf_artifact_storage_verify(st, path,
		"sha256:0000000000000000000000000000000000000000000000000000000000000000"), CF_EDIGEST);

	assert_int_equal(cf_artifact_storage_symlink(&url, st, path, "latest.tar.gz"), 0);
	assert_string_equal(url, "http://127.0.0.1:9090/gitrepository/ns/repo/latest.tar.gz");
	link = path_join(root, "gitrepository/ns/repo/latest.tar.gz");
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "abc.tar.gz");
	/* The link is not an artifact file itself. */
	assert_int_equal(cf_artifact_storage_exists(st, "gitrepository/ns/repo/latest.tar.gz"), 0);
	free(url);

	/* Re-pointing replaces the link. */
	free(path);
	assert_int_equal(cf_artifact_storage_path(&path, "GitRepository", "ns", "repo", "def.tar.gz"), 0);
	assert_int_equal(cf_artifact_storage_write(&idx, st, path, "hello", 5, NULL), 0);
	assert_int_equal(idx.size, 5);
	assert_string_equal(idx.digest, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	assert_int_equal(cf_artifact_storage_symlink(NULL, st, path, "latest.tar.gz"), 0);
	n = readlink(link, target, sizeof(target) - 1);
	target[n] = '\0';
	assert_string_equal(target, "def.tar.gz");
	assert_int_equal(cf_artifact_storage_local_path(&local, st, path), 0);
	char *s = slurp(local, NULL);
	assert_string_equal(s, "hello");
	free(s);

	assert_int_equal(cf_artifact_storage_remove_all(st, "GitRepository", "ns", "repo"), 0);
	assert_int_equal(access(local, F_OK), -1);
	assert_int_equal(cf_artifact_storage_remove_all(st, "GitRepository", "ns", "repo"), 0);
	free(local);
	free(link);
	free(path);
	cf_artifact_storage_free(st);
	remove_tree(root);
	remove_tree(src);
	free(root);
	free(src);
}

static void put_aged(const char *root, const char *rel, time_t age)
{
	char *p = path_join(root, rel);
	struct timespec ts[2];

	put_file(root, rel, rel, 0600);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	free(p);
}

static int exists(const char *root, const char *rel)
{
	char *p = path_join(root, rel);
	struct stat sb;
	int ok = lstat(p, &sb) == 0;

	free(p);
	return ok;
}

static void test_gc_keeps_last_n(void **state)
{
	char *root = scratch_dir("st-gc");
	const char *dir = "gitrepository/ns/repo/";
	cf_artifact_storage *st;
	size_t removed = 99;
	char rel[128];
	char *link;

	assert_int_equal(cf_artifact_storage_new(&st, root, "h"), 0);
	/* Five revisions, a.tar.gz oldest; the current one is c (not the newest, e.g. a rollback). */
	static const char *names[] = {"a.tar.gz", "b.tar.gz", "c.tar.gz", "d.tar.gz", "e.tar.gz"};
	for (int i = 0; i < 5; i++) {
		snprintf(rel, sizeof(rel), "%s%s", dir, names[i]);
		put_aged(root, rel, 50 - i * 10);
	}
	snprintf(rel, sizeof(rel), "%sa.tar.gz.lock", dir);
	put_aged(root, rel, 1000);
	snprintf(rel, sizeof(rel), "%slatest.tar.gz", dir);
	link = path_join(root, rel);
	assert_int_equal(symlink("c.tar.gz", link), 0);

	snprintf(rel, sizeof(rel), "%sc.tar.gz", dir);
	assert_int_equal(cf_artifact_storage_gc(&removed, st, rel, 2, -1), 0);
	assert_int_equal(removed, 3);
	assert_false(exists(root, "gitrepository/ns/repo/a.tar.gz"));
	assert_false(exists(root, "gitrepository/ns/repo/a.tar.gz.lock"));
	assert_false(exists(root, "gitrepository/ns/repo/b.tar.gz"));
	assert_true(exists(root, "gitrepository/ns/repo/c.tar.gz"));
	assert_false(exists(root, "gitrepository/ns/repo/d.tar.gz"));
	assert_true(exists(root, "gitrepository/ns/repo/e.tar.gz"));
	assert_true(exists(root, "gitrepository/ns/repo/latest.tar.gz"));

	/* TTL: e is 10 s old and expires with a 5 s TTL even though keep would allow it. */
	assert_int_equal(cf_artifact_storage_gc(&removed, st, rel, 2, 5), 0);
	assert_int_equal(removed, 1);
	assert_false(exists(root, "gitrepository/ns/repo/e.tar.gz"));
	assert_true(exists(root, "gitrepository/ns/repo/c.tar.gz"));
	/* Nothing left to collect; a missing directory is fine too. */
	assert_int_equal(cf_artifact_storage_gc(&removed, st, rel, 1, 0), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(cf_artifact_storage_gc(&removed, st, "gitrepository/ns/gone/x.tar.gz", 2, -1), 0);
	assert_int_equal(cf_artifact_storage_gc(&removed, st, "../x/y", 2, -1), CF_EUNSAFE);
	free(link);
	cf_artifact_storage_free(st);
	remove_tree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_and_urls),
		cmocka_unit_test(test_archive_write_symlink_verify),
		cmocka_unit_test(test_gc_keeps_last_n),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
