/* Tests the safe extractor with archives crafted by libarchive, hostile ones included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "cf/artifact.h"
#include "cf/error.h"
#include "helpers.h"

typedef struct {
	const char *name;
	int type;         /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO, or 0 for a hardlink */
	const char *data; /* file content, or link target */
	size_t size;      /* for AE_IFREG with data NULL: that many 'x' bytes */
} entry;

/* Builds a .tar.gz in memory the way an attacker could: names and types exactly as given. */
static unsigned char *build(const entry *entries, size_t n, size_t *len)
{
	size_t cap = 1 << 22;
	unsigned char *buf = malloc(cap);
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		const entry *x = &entries[i];
		size_t size = x->type == AE_IFREG ? (x->data ? strlen(x->data) : x->size) : 0;

		archive_entry_set_pathname(e, x->name);
		if (x->type == 0) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, x->data);
		} else {
			archive_entry_set_filetype(e, (unsigned)x->type);
		}
		archive_entry_set_perm(e, 0644);
		if (x->type == AE_IFLNK)
			archive_entry_set_symlink(e, x->data);
		if (x->type == AE_IFCHR)
			archive_entry_set_rdev(e, makedev(1, 3));
		archive_entry_set_size(e, (la_int64_t)size);
		assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
		if (x->type == AE_IFREG && size > 0) {
			char *body = malloc(size);
			if (x->data)
				memcpy(body, x->data, size);
			else
				memset(body, 'x', size);
			assert_int_equal(archive_write_data(a, body, size), (la_ssize_t)size);
			free(body);
		}
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return buf;
}

static void test_round_trip(void **state)
{
	char *src = scratch_dir("ex-src"), *work = scratch_dir("ex-work");
	char *tgz = path_join(work, "a.tar.gz"), *dest = path_join(work, "out"), *p, *s;
	cf_artifact_file_info info;
	struct stat sb;

	put_file(src, "kustomization.yaml", "resources:\n- a/deploy.yaml\n", 0644);
	put_file(src, "a/deploy.yaml", "kind: Deployment\n", 0644);
	put_file(src, "a/b/run.sh", "#!/bin/sh\n", 0755);
	assert_int_equal(cf_artifact_archive(&info, tgz, src, NULL, NULL, NULL), 0);
	assert_int_equal(cf_artifact_extract_file(tgz, dest, NULL), 0);
	p = path_join(dest, "a/deploy.yaml");
	s = slurp(p, NULL);
	assert_string_equal(s, "kind: Deployment\n");
	free(s);
	free(p);
	p = path_join(dest, "a/b/run.sh");
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_mode & 0100);
	free(p);
	p = path_join(dest, "kustomization.yaml");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0111, 0);
	free(p);

	/* Into memory as well, into an existing empty directory. */
	size_t len;
	char *bytes = slurp(tgz, &len), *dest2 = path_join(work, "out2");
	mkdir(dest2, 0755);
	assert_int_equal(cf_artifact_extract_mem(bytes, len, dest2, NULL), 0);
	assert_int_equal(count_entries(dest2), 2);
	/* A non-empty target is refused and left alone. */
	assert_int_equal(cf_artifact_extract_mem(bytes, len, dest2, NULL), CF_EEXISTS);
	assert_int_equal(count_entries(dest2), 2);
	free(bytes);
	free(dest2);
	remove_tree(src);
	remove_tree(work);
	free(src);
	free(work);
	free(tgz);
	free(dest);
}

/* Every hostile archive starts with a good file, so the test also sees it cleaned up. */
static void expect_rejected(const entry *evil, int code, const char *in_message)
{
	char *work = scratch_dir("ex-evil"), *dest = path_join(work, "target/out");
	entry entries[2] = {{"ok.txt", AE_IFREG, "fine\n", 0}, *evil};
	unsigned char *tgz;
	size_t len;
	char *target_parent = path_join(work, "target");

	mkdir(target_parent, 0755);
	tgz = build(entries, 2, &len);
	assert_int_equal(cf_artifact_extract_mem(tgz, len, dest, NULL), code);
	if (strstr(cf_error_last(), in_message) == NULL)
		fail_msg("message '%s' does not name '%s'", cf_error_last(), in_message);
	/* Nothing left: the target dir this call created is gone, nothing appeared next to it. */
	assert_int_equal(count_entries(target_parent), 0);
	assert_int_equal(count_entries(work), 1);
	free(tgz);
	remove_tree(work);
	free(work);
	free(dest);
	free(target_parent);
}

static void test_rejects_traversal_and_links(void **state)
{
	static const struct {
		entry e;
		int code;
		const char *msg;
	} cases[] = {
		{{"../evil.txt", AE_IFREG, "pwned\n", 0}, CF_EUNSAFE, "../evil.txt"},
		{{"../../evil.txt", AE_IFREG, "pwned\n", 0}, CF_EUNSAFE, "../../evil.txt"},
		{{"a/../../evil.txt", AE_IFREG, "pwned\n", 0}, CF_EUNSAFE, "a/../../evil.txt"},
		{{"/tmp/cf-abs-evil.txt", AE_IFREG, "pwned\n", 0}, CF_EUNSAFE, "/tmp/cf-abs-evil.txt"},
		{{"a\\..\\evil.txt", AE_IFREG, "pwned\n", 0}, CF_EUNSAFE, "evil.txt"},
		{{"..", AE_IFDIR, NULL, 0}, CF_EUNSAFE, ".."},
		{{"etc", AE_IFLNK, "/etc", 0}, CF_EUNSAFE, "etc"},
		{{"inner", AE_IFLNK, "ok.txt", 0}, CF_EUNSAFE, "inner"},
		{{"hl", 0, "/etc/passwd", 0}, CF_EUNSAFE, "hl"},
		{{"hl2", 0, "ok.txt", 0}, CF_EUNSAFE, "hl2"},
		{{"null", AE_IFCHR, NULL, 0}, CF_EUNSAFE, "null"},
		{{"pipe", AE_IFIFO, NULL, 0}, CF_EUNSAFE, "pipe"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_rejected(&cases[i].e, cases[i].code, cases[i].msg);
	assert_int_equal(access("/tmp/cf-abs-evil.txt", F_OK), -1);
}

static void test_symlink_then_write_through_it(void **state)
{
	/* The classic two-step: a link to outside, then a file "through" it. The link is refused first. */
	char *work = scratch_dir("ex-2step"), *dest = path_join(work, "out"), *outside = path_join(work, "outside");
	entry entries[] = {{"dir", AE_IFLNK, NULL, 0}, {"dir/pwned.txt", AE_IFREG, "x", 0}};
	unsigned char *tgz;
	size_t len;

	mkdir(outside, 0755);
	entries[0].data = outside;
	tgz = build(entries, 2, &len);
	assert_int_equal(cf_artifact_extract_mem(tgz, len, dest, NULL), CF_EUNSAFE);
	assert_int_equal(count_entries(outside), 0);
	assert_int_equal(access(dest, F_OK), -1);
	free(tgz);
	remove_tree(work);
	free(work);
	free(dest);
	free(outside);
}

static void test_limits(void **state)
{
	char *work = scratch_dir("ex-lim"), *dest = path_join(work, "out");
	entry big[] = {{"small.txt", AE_IFREG, "s", 0}, {"big.bin", AE_IFREG, NULL, 2000}};
	entry many[] = {{"a", AE_IFREG, NULL, 600}, {"b", AE_IFREG, NULL, 600}, {"c", AE_IFREG, NULL, 600}};
	entry lots[10];
	unsigned char *tgz;
	size_t len;
	cf_artifact_limits lim = {.max_file = 1000};

	tgz = build(big, 2, &len);
	assert_int_equal(cf_artifact_extract_mem(tgz, len, dest, &lim), CF_ELIMIT);
	assert_non_null(strstr(cf_error_last(), "big.bin"));
	assert_int_equal(access(dest, F_OK), -1);
	free(tgz);

	lim = (cf_artifact_limits){.max_total = 1500};
	tgz = build(many, 3, &len);
	assert_int_equal(cf_artifact_extract_mem(tgz, len, dest, &lim), CF_ELIMIT);
	assert_non_null(strstr(cf_error_last(), "\"c\""));
	assert_int_equal(access(dest, F_OK), -1);
	lim.max_total = 1800;
	assert_int_equal(cf_artifact_extract_mem(tgz, len, dest, &lim), 0);
	remove_tree(dest);
	free(tgz);

	for (int i = 0; i < 10; i++)
		lots[i] = (entry){"f", AE_IFREG, "1", 0};
	lim = (cf_artifact_limits){.max_entries = 5};
	tgz = build(lots, 10, &len);
	assert_int_equal(cf_artifact_extract_mem(tgz, len, dest, &lim), CF_ELIMIT);
	assert_int_equal(access(dest, F_OK), -1);
	free(tgz);
	remove_tree(work);
	free(work);
	free(dest);
}

static void test_corrupt_input(void **state)
{
	char *work = scratch_dir("ex-bad"), *dest = path_join(work, "out");
	entry ok[] = {{"a.txt", AE_IFREG, NULL, 100000}};
	unsigned char *tgz;
	size_t len;

	assert_int_equal(cf_artifact_extract_mem("not a tarball at all, just text", 31, dest, NULL), CF_EPARSE);
	assert_int_equal(access(dest, F_OK), -1);
	tgz = build(ok, 1, &len);
	assert_int_equal(cf_artifact_extract_mem(tgz, len / 2, dest, NULL), CF_EPARSE);
	assert_int_equal(access(dest, F_OK), -1);
	free(tgz);
	assert_int_equal(cf_artifact_extract_file("/nonexistent.tar.gz", dest, NULL), CF_EPARSE);
	remove_tree(work);
	free(work);
	free(dest);
}

static void test_dot_entries_accepted(void **state)
{
	char *work = scratch_dir("ex-dot"), *dest = path_join(work, "out"), *p, *s;
	entry entries[] = {{".", AE_IFDIR, NULL, 0}, {"./", AE_IFDIR, NULL, 0}, {"./a//b.txt", AE_IFREG, "b", 0}};
	unsigned char *tgz;
	size_t len;

	tgz = build(entries, 3, &len);
	assert_int_equal(cf_artifact_extract_mem(tgz, len, dest, NULL), 0);
	p = path_join(dest, "a/b.txt");
	s = slurp(p, NULL);
	assert_string_equal(s, "b");
	free(s);
	free(p);
	free(tgz);
	remove_tree(work);
	free(work);
	free(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects_traversal_and_links),
		cmocka_unit_test(test_symlink_then_write_through_it),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_corrupt_input),
		cmocka_unit_test(test_dot_entries_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
