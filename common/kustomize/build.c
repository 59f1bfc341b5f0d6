/*
 * The build: accumulating a kustomization's resources, generators and components, running its
 * transformers in kustomize's fixed order, and the once-only steps at the top (hash suffixes,
 * name references, vars, sorting).
 */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

#define DEFAULT_MAX_DEPTH 50
#define DEFAULT_MAX_RESOURCES 100000

/* URLs and git specs: kustomize would fetch them; a pure engine refuses. */
static int is_remote(const char *s)
{
	static const char *const prefixes[] = {"http://", "https://", "git@", "git::", "ssh://",
	                                       "github.com/", "gitlab.com/", "bitbucket.org/",
	                                       "file://"};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* Files a kustomization names lie below its directory, unless an fs root widens that. */
static const char *file_confine(kz_ctx *ctx, const kz_kust *k)
{
	return ctx->fs.root ? ctx->fs.root : k->dir;
}

static int load_resource_file(kz_resmap *m, kz_ctx *ctx, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	if ((err = kz_fs_read(&buf, &len, &ctx->fs, path)) < 0)
		return err;
	err = kz_resources_from_yaml(m, buf, len, path);
	free(buf);
	return err;
}

static int accumulate_one(kz_resmap *m, kz_ctx *ctx, const kz_kust *k, const char *entry)
{
	char *path = NULL;
	kz_resmap sub;
	int err;

	kz_resmap_init(&sub);
	if (is_remote(entry)) {
		err = cf_error_set(CF_EUNSUPPORTED, "remote resources are not supported");
		goto done;
	}
	if ((err = kz_fs_resolve(&path, &ctx->fs, k->dir, entry, NULL)) < 0)
		goto done;
	if (kz_fs_is_dir(path) && entry[0] == '/') {
		/* kustomize loads a directory only relative to the kustomization naming it */
		err = cf_error_set(CF_EINVALID, "'%s' must resolve to a file: new root '%s' cannot be absolute",
		                   entry, entry);
	} else if (kz_fs_is_dir(path)) {
		err = kz_build_target(&sub, ctx, path, 0);
	} else {
		char *checked = NULL;
		if ((err = kz_fs_resolve(&checked, &ctx->fs, k->dir, entry, file_confine(ctx, k))) < 0)
			goto done;
		free(checked);
		err = load_resource_file(&sub, ctx, path);
	}
	if (err == 0)
		err = kz_resmap_absorb(m, &sub);
	if (err == 0 && m->len > ctx->max_resources)
		err = cf_error_set(CF_ELIMIT, "more than %zu resources", ctx->max_resources);
done:
	if (err < 0 && err != CF_ENOMEM)
		cf_error_wrap(err, "accumulating resources from '%s': ", entry);
	kz_resmap_dispose(&sub);
	free(path);
	return err;
}

static int accumulate_resources(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "resources");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++) {
		const char *entry = kz_scalar(cf_doc_item(list, i));
		if (!entry) {
			err = cf_error_set(CF_EINVALID, "%s: resources: entries must be strings", k->file);
			break;
		}
		err = accumulate_one(m, ctx, k, entry);
	}
	if (err < 0 && err != CF_ENOMEM)
		cf_error_wrap(err, "accumulating resources: ");
	return err;
}

static int accumulate_components(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "components");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++) {
		const char *entry = kz_scalar(cf_doc_item(list, i));
		char *path = NULL;

		if (!entry)
			err = cf_error_set(CF_EINVALID, "%s: components: entries must be strings", k->file);
		else if (is_remote(entry))
			err = cf_error_set(CF_EUNSUPPORTED, "remote components are not supported: '%s'",
			                   entry);
		else if (entry[0] == '/')
			err = cf_error_set(CF_EINVALID, "new root '%s' cannot be absolute", entry);
		else if ((err = kz_fs_resolve(&path, &ctx->fs, k->dir, entry, NULL)) == 0)
			err = kz_build_target(m, ctx, path, 1);
		free(path);
	}
	if (err < 0 && err != CF_ENOMEM)
		cf_error_wrap(err, "accumulating components: ");
	return err;
}

/* The kind of the first object in a plugin config file named by a kustomization, or NULL. */
static char *plugin_kind(kz_ctx *ctx, const kz_kust *k, const char *entry)
{
	char *path = NULL, *buf = NULL, *kind = NULL;
	size_t len = 0;
	kz_resmap m;

	kz_resmap_init(&m);
	if (kz_fs_resolve(&path, &ctx->fs, k->dir, entry, file_confine(ctx, k)) == 0 &&
	    !kz_fs_is_dir(path) && kz_fs_read(&buf, &len, &ctx->fs, path) == 0 &&
	    kz_resources_from_yaml(&m, buf, len, path) == 0 && m.len > 0)
		kind = strdup(kz_res_kind(m.items[0]));
	kz_resmap_dispose(&m);
	free(path);
	free(buf);
	cf_error_clear();
	return kind;
}

/*
 * generators, transformers and validators name plugin configs that kustomize runs as external
 * (exec or container) plugins, and helm charts need the helm binary: a pure engine refuses them.
 */
static int refuse_plugins(kz_ctx *ctx, const kz_kust *k)
{
	static const struct {
		const char *key, *what;
	} lists[] = {
		{"generators", "generator"},
		{"transformers", "transformer"},
		{"validators", "validator"},
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		cf_doc *list = cf_doc_get(k->k, lists[i].key);
		if (!cf_doc_len(list))
			continue;
		const char *entry = kz_scalar(cf_doc_item(list, 0));
		char *kind = entry ? plugin_kind(ctx, k, entry) : NULL;
		int err = cf_error_set(CF_EUNSUPPORTED, "%s: loading %s plugins: failed to load %s: "
		                       "external plugins disabled; unable to load external plugin '%s'",
		                       k->file, lists[i].what, lists[i].what, kind ? kind : "?");
		free(kind);
		return err;
	}
	/* a custom schema changes how patches merge lists; ignoring it would build silently wrong */
	if (cf_doc_get(k->k, "openapi") && cf_doc_type_of(cf_doc_get(k->k, "openapi")) != CF_DOC_NULL)
		return cf_error_set(CF_EUNSUPPORTED, "%s: openapi: custom schemas are not supported",
		                    k->file);
	if (cf_doc_len(cf_doc_get(k->k, "helmCharts")) ||
	    cf_doc_get(k->k, "helmChartInflationGenerator"))
		return cf_error_set(CF_EUNSUPPORTED, "%s: helmCharts: must specify --enable-helm "
		                    "(helm charts are not supported by this engine)", k->file);
	return 0;
}

static int run_transformers(kz_resmap *m, kz_ctx *ctx, const kz_kust *k, const cf_doc *tconfig)
{
	const char *ns = cf_doc_get_str(k->k, "namespace");
	int err;

	if ((err = kz_patches_strategic_legacy(m, ctx, k)) < 0 ||
	    (err = kz_patches_apply(m, ctx, k)) < 0)
		return err;
	if (ns && *ns && (err = kz_namespace_apply(m, ns)) < 0)
		return err;
	if ((err = kz_names_apply(m, cf_doc_get_str(k->k, "namePrefix"),
	                          cf_doc_get_str(k->k, "nameSuffix"))) < 0)
		return err;
	if ((err = kz_labels_apply(m, k, tconfig)) < 0 ||
	    (err = kz_annotations_apply(m, cf_doc_get(k->k, "commonAnnotations"), tconfig)) < 0 ||
	    (err = kz_patches_json6902_legacy(m, ctx, k)) < 0 ||
	    (err = kz_replicas_apply(m, cf_doc_get(k->k, "replicas"))) < 0 ||
	    (err = kz_images_apply(m, cf_doc_get(k->k, "images"), tconfig)) < 0 ||
	    (err = kz_replacements_apply(m, ctx, k)) < 0)
		return err;
	return 0;
}

int kz_run_kustomization(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *tconfig = NULL;
	int err;

	if ((err = refuse_plugins(ctx, k)) < 0 ||
	    (err = accumulate_resources(m, ctx, k)) < 0 ||
	    (err = kz_config_load(&tconfig, ctx, k)) < 0 ||
	    (err = kz_crds_load(ctx, k)) < 0 ||
	    (err = kz_generate(m, ctx, k)) < 0 ||
	    (err = accumulate_components(m, ctx, k)) < 0 ||
	    (err = run_transformers(m, ctx, k, tconfig)) < 0) {
		cf_doc_free(tconfig);
		return err;
	}
	cf_doc_free(tconfig);
	cf_doc *vars = cf_doc_get(k->k, "vars");
	for (size_t i = 0; i < cf_doc_len(vars); i++) {
		cf_doc *copy = NULL;
		if (!ctx->vars && (err = cf_doc_new_seq(&ctx->vars)) < 0)
			return err;
		if ((err = cf_doc_clone(&copy, cf_doc_item(vars, i))) < 0 ||
		    (err = cf_doc_seq_append(ctx->vars, copy)) < 0)
			return err;
	}
	return 0;
}

static int push_dir(kz_ctx *ctx, const char *dir)
{
	if (ctx->stack_len == ctx->stack_cap) {
		size_t cap = ctx->stack_cap ? ctx->stack_cap * 2 : 16;
		const char **s = realloc(ctx->stack, cap * sizeof(*s));
		if (!s)
			return cf_error_set(CF_ENOMEM, "out of memory");
		ctx->stack = s;
		ctx->stack_cap = cap;
	}
	ctx->stack[ctx->stack_len++] = dir;
	return 0;
}

int kz_build_target(kz_resmap *m, kz_ctx *ctx, const char *dir, int as_component)
{
	kz_kust k = {0};
	int err;

	if (ctx->depth >= ctx->max_depth)
		return cf_error_set(CF_ELIMIT, "kustomizations nested deeper than %zu (cycle?) at '%s'",
		                    ctx->max_depth, dir);
	for (size_t i = 0; i < ctx->stack_len; i++)
		if (strcmp(ctx->stack[i], dir) == 0)
			return cf_error_set(CF_EINVALID, "cycle detected: candidate root '%s' contains "
			                    "visited path '%s'", dir, ctx->stack[ctx->stack_len - 1]);
	if ((err = kz_kust_load(&k, ctx, dir)) < 0)
		return err;
	if ((err = push_dir(ctx, k.dir)) < 0)
		goto done;
	if (as_component && !k.component) {
		err = cf_error_set(CF_EINVALID, "accumulateDirectory: \"expected kind 'Component' for "
		                   "path '%s' but got 'Kustomization'\"", dir);
		goto done;
	}
	if (!as_component && k.component) {
		err = cf_error_set(CF_EINVALID, "expected kind != 'Component' for path '%s'", dir);
		goto done;
	}
	ctx->depth++;
	if (as_component) {
		err = kz_run_kustomization(m, ctx, &k);
	} else {
		kz_resmap local;
		kz_resmap_init(&local);
		err = kz_run_kustomization(&local, ctx, &k);
		if (err == 0)
			err = kz_resmap_absorb(m, &local);
		kz_resmap_dispose(&local);
	}
	ctx->depth--;
done:
	if (ctx->stack_len && ctx->stack[ctx->stack_len - 1] == k.dir)
		ctx->stack_len--;
	kz_kust_dispose(&k);
	return err;
}

/* Objects marked config.kubernetes.io/local-config are inputs to the build, not output. */
static void drop_local_config(kz_resmap *m)
{
	for (size_t i = 0; i < m->len;) {
		cf_doc *ann = cf_doc_get_path(m->items[i]->obj, "metadata", "annotations", NULL);
		if (cf_doc_get(ann, "config.kubernetes.io/local-config"))
			kz_resmap_remove(m, i);
		else
			i++;
	}
}

static int finish(kz_resmap *m, kz_ctx *ctx, const kz_kust *top)
{
	const cf_doc *sort_options = cf_doc_get(top->k, "sortOptions");
	int err;

	if ((err = kz_hash_suffix_all(m)) < 0 || (err = kz_nameref_fix(m, ctx)) < 0)
		return err;
	if (ctx->vars && (err = kz_vars_resolve(m, ctx->vars, ctx->var_refs)) < 0)
		return err;
	drop_local_config(m);
	if ((err = kz_sort(m, sort_options)) < 0)
		return err;
	return kz_build_metadata(m, cf_doc_get(top->k, "buildMetadata"), top->dir);
}

static int build(kz_resmap *m, kz_ctx *ctx, const char *dir, const cf_kustomize_opts *opts)
{
	kz_kust top = {0};
	char *real = NULL;
	int err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->max_depth = (opts && opts->max_depth) ? opts->max_depth : DEFAULT_MAX_DEPTH;
	ctx->max_resources = (opts && opts->max_resources) ? opts->max_resources
	                                                   : DEFAULT_MAX_RESOURCES;
	if ((err = kz_fs_init(&ctx->fs, opts)) < 0)
		return err;
	if ((err = kz_fs_resolve(&real, &ctx->fs, ".", dir, NULL)) < 0) {
		cf_error_wrap(err, "must build at directory: not a valid directory: ");
		goto done;
	}
	if (!kz_fs_is_dir(real)) {
		err = cf_error_set(CF_EINVALID, "must build at directory: '%s': file is not directory",
		                   real);
		goto done;
	}
	if ((err = kz_kust_load(&top, ctx, real)) < 0)
		goto done;
	if (top.component) {
		err = cf_error_set(CF_EINVALID, "expected kind != 'Component' for path '%s'", real);
		goto done;
	}
	ctx->depth = 1;
	if ((err = push_dir(ctx, top.dir)) < 0 || (err = kz_run_kustomization(m, ctx, &top)) < 0)
		goto done;
	err = finish(m, ctx, &top);
done:
	kz_kust_dispose(&top);
	free(real);
	return err;
}

static void ctx_dispose(kz_ctx *ctx)
{
	kz_fs_dispose(&ctx->fs);
	cf_doc_free(ctx->vars);
	ctx->vars = NULL;
	free(ctx->stack);
	ctx->stack = NULL;
	kz_crds_dispose(ctx);
	cf_doc_free(ctx->var_refs);
	ctx->var_refs = NULL;
}

int cf_kustomize_build(cf_doc **out_list, const char *dir, const cf_kustomize_opts *opts)
{
	kz_ctx ctx;
	kz_resmap m;
	cf_doc *list = NULL;
	int err;

	kz_resmap_init(&m);
	if ((err = build(&m, &ctx, dir, opts)) < 0)
		goto done;
	if ((err = cf_doc_new_seq(&list)) < 0)
		goto done;
	for (size_t i = 0; i < m.len && err == 0; i++) {
		cf_doc *obj = NULL;
		if ((err = kz_output_object(&obj, m.items[i]->obj)) == 0)
			err = cf_doc_seq_append(list, obj);
	}
	if (err == 0) {
		*out_list = list;
		list = NULL;
	}
done:
	cf_doc_free(list);
	kz_resmap_dispose(&m);
	ctx_dispose(&ctx);
	return err;
}

int cf_kustomize_build_dir(char **out_yaml, const char *dir, const cf_kustomize_opts *opts)
{
	cf_doc *list = NULL;
	int err;

	if ((err = cf_kustomize_build(&list, dir, opts)) < 0)
		return err;
	err = cf_kustomize_emit(out_yaml, list);
	cf_doc_free(list);
	return err;
}
