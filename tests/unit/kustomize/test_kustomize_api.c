/*
 * Unit tests of the kustomize engine's API and load rules: the tree result, root confinement,
 * symlinks, refusal of remote bases and plugins, and limits. Expected outputs in these tests
 * were produced by `kubectl kustomize` on the same inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cf/kustomize.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *at(const char *rel)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return path;
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/kz-unit-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const char cm[] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: x\n";

static void test_build_returns_trees(void **state)
{
	cf_doc *list = NULL;

	put("k/kustomization.yaml", "resources:\n- cm.yaml\nnamePrefix: p-\n"
	                            "configMapGenerator:\n- name: gen\n  literals: [k=v]\n");
	put("k/cm.yaml", cm);
	assert_int_equal(cf_kustomize_build(&list, at("k"), NULL), 0);
	assert_int_equal(cf_doc_type_of(list), CF_DOC_SEQ);
	assert_int_equal(cf_doc_len(list), 2);
	/* kubectl kustomize names the generated map p-gen-<hash of its data> */
	assert_string_equal(cf_doc_get_str(cf_doc_get(cf_doc_item(list, 0), "metadata"), "name"),
	                    "p-cm");
	const char *gen = cf_doc_get_str(cf_doc_get(cf_doc_item(list, 1), "metadata"), "name");
	assert_non_null(gen);
	assert_int_equal(strncmp(gen, "p-gen-", 6), 0);
	assert_int_equal(strlen(gen), 16);
	cf_doc_free(list);
}

static void test_file_outside_kustomization_dir(void **state)
{
	char *out = NULL;
	cf_kustomize_opts opts = {0};

	put("repo/shared/cm.yaml", cm);
	put("repo/app/kustomization.yaml", "resources:\n- ../shared/cm.yaml\n");
	/* default rules: a file must lie below the kustomization's directory */
	assert_int_equal(cf_kustomize_build_dir(&out, at("repo/app"), NULL), CF_EUNSAFE);
	assert_non_null(strstr(cf_error_last(), "is not in or below"));
	/* with a root, files anywhere inside it are allowed */
	opts.root = at("repo");
	opts.root = strdup(opts.root);
	assert_int_equal(cf_kustomize_build_dir(&out, at("repo/app"), &opts), 0);
	assert_non_null(strstr(out, "name: cm"));
	free(out);
	free((char *)opts.root);
}

static void test_base_outside_root_refused(void **state)
{
	char *out = NULL;
	cf_kustomize_opts opts = {0};

	put("outside/kustomization.yaml", "resources:\n- cm.yaml\n");
	put("outside/cm.yaml", cm);
	put("art/app/kustomization.yaml", "resources:\n- ../../outside\n");
	/* kustomize itself allows bases anywhere */
	assert_int_equal(cf_kustomize_build_dir(&out, at("art/app"), NULL), 0);
	free(out);
	out = NULL;
	opts.root = strdup(at("art"));
	assert_int_equal(cf_kustomize_build_dir(&out, at("art/app"), &opts), CF_EUNSAFE);
	assert_null(out);
	free((char *)opts.root);
}

static void test_symlink_out_of_root(void **state)
{
	char *out = NULL, target[512], link[512];
	cf_kustomize_opts opts = {0};

	put("secret/cm.yaml", cm);
	put("art2/app/kustomization.yaml", "resources:\n- evil.yaml\n");
	snprintf(target, sizeof(target), "%s", at("secret/cm.yaml"));
	snprintf(link, sizeof(link), "%s", at("art2/app/evil.yaml"));
	assert_int_equal(symlink(target, link), 0);
	opts.root = strdup(at("art2"));
	assert_int_equal(cf_kustomize_build_dir(&out, at("art2/app"), &opts), CF_EUNSAFE);
	assert_int_equal(cf_kustomize_build_dir(&out, at("art2/app"), NULL), CF_EUNSAFE);
	free((char *)opts.root);
}

static void test_kustomization_symlink_out_of_root(void **state)
{
	char *out = NULL, target[512], link[512];
	cf_kustomize_opts opts = {0};

	put("elsewhere/kustomization.yaml", "resources:\n- cm.yaml\n");
	put("art3/app/cm.yaml", cm);
	snprintf(target, sizeof(target), "%s", at("elsewhere/kustomization.yaml"));
	snprintf(link, sizeof(link), "%s", at("art3/app/kustomization.yaml"));
	assert_int_equal(symlink(target, link), 0);
	opts.root = strdup(at("art3"));
	assert_int_equal(cf_kustomize_build_dir(&out, at("art3/app"), &opts), CF_EUNSAFE);
	free((char *)opts.root);
}

static void test_remote_and_plugins_refused(void **state)
{
	char *out = NULL;

	put("r/kustomization.yaml", "resources:\n- https://example.com/base?ref=v1\n");
	assert_int_equal(cf_kustomize_build_dir(&out, at("r"), NULL), CF_EUNSUPPORTED);
	assert_non_null(strstr(cf_error_last(), "https://example.com/base?ref=v1"));
	put("t/kustomization.yaml", "transformers:\n- t.yaml\n");
	put("t/t.yaml", "apiVersion: x/v1\nkind: Mine\nmetadata:\n  name: t\n");
	assert_int_equal(cf_kustomize_build_dir(&out, at("t"), NULL), CF_EUNSUPPORTED);
	assert_non_null(strstr(cf_error_last(), "unable to load external plugin 'Mine'"));
}

static void test_limits(void **state)
{
	char *out = NULL;
	cf_kustomize_opts opts = {0};

	put("deep/a/kustomization.yaml", "resources:\n- ../b\n");
	put("deep/b/kustomization.yaml", "resources:\n- ../c\n");
	put("deep/c/kustomization.yaml", "resources:\n- cm.yaml\n");
	put("deep/c/cm.yaml", cm);
	opts.max_depth = 2;
	assert_int_equal(cf_kustomize_build_dir(&out, at("deep/a"), &opts), CF_ELIMIT);
	opts.max_depth = 0;
	opts.max_file_bytes = 16;
	assert_int_equal(cf_kustomize_build_dir(&out, at("deep/a"), &opts), CF_ELIMIT);
	opts.max_file_bytes = 0;
	assert_int_equal(cf_kustomize_build_dir(&out, at("deep/a"), &opts), 0);
	free(out);
}

static void test_error_names_file_and_line(void **state)
{
	char *out = NULL;

	put("e/kustomization.yaml", "resources:\n- bad.yaml\n");
	put("e/bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n");
	assert_int_equal(cf_kustomize_build_dir(&out, at("e"), NULL), CF_EPARSE);
	assert_non_null(strstr(cf_error_last(), "bad.yaml:"));
}

static void test_hash_of_generated_configmap(void **state)
{
	char *out = NULL;

	/* kubectl kustomize prints this ConfigMap as app-config-b4995cg5mg */
	put("h/kustomization.yaml", "configMapGenerator:\n- name: app-config\n  literals:\n"
	                            "  - b=2\n  - a=1\n  - c=\"quoted\"\n  - d='single'\n  - e=x=y\n"
	                            "  - f=\n  - g=yes\n");
	assert_int_equal(cf_kustomize_build_dir(&out, at("h"), NULL), 0);
	assert_non_null(strstr(out, "name: app-config-b4995cg5mg\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_returns_trees),
		cmocka_unit_test(test_file_outside_kustomization_dir),
		cmocka_unit_test(test_base_outside_root_refused),
		cmocka_unit_test(test_symlink_out_of_root),
		cmocka_unit_test(test_kustomization_symlink_out_of_root),
		cmocka_unit_test(test_remote_and_plugins_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_error_names_file_and_line),
		cmocka_unit_test(test_hash_of_generated_configmap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
