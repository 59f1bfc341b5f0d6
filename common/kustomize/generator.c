/* configMapGenerator and secretGenerator: key/value sources, options and create/merge/replace. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

typedef struct {
	char *key;
	char *val;
	size_t len;   /* of val, which may hold NUL bytes */
	size_t pos;   /* order of appearance */
} kv_pair;

typedef struct {
	kv_pair *items;
	size_t len, cap;
} kv_list;

static void kv_dispose(kv_list *kv)
{
	for (size_t i = 0; i < kv->len; i++) {
		free(kv->items[i].key);
		free(kv->items[i].val);
	}
	free(kv->items);
	memset(kv, 0, sizeof(*kv));
}

/* Repeated keys are found after sorting (kv_sort), so large env files stay O(n log n). */
static int kv_add(kv_list *kv, const char *key, size_t kl, const char *val, size_t vl)
{
	kv_pair *p;

	if (kv->len == kv->cap) {
		size_t cap = kv->cap ? kv->cap * 2 : 8;
		kv_pair *n = realloc(kv->items, cap * sizeof(*n));
		if (!n)
			return cf_error_set(CF_ENOMEM, "out of memory");
		kv->items = n;
		kv->cap = cap;
	}
	p = &kv->items[kv->len];
	p->key = strndup(key, kl);
	p->val = malloc(vl + 1);
	if (!p->key || !p->val) {
		free(p->key);
		free(p->val);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	memcpy(p->val, val, vl);
	p->val[vl] = '\0';
	p->len = vl;
	p->pos = kv->len++;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const kv_pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sorts by key (kustomize writes data keys sorted) and rejects a repeated key. */
static int kv_sort(kv_list *kv, const char *kind, const char *gen)
{
	if (kv->len)
		qsort(kv->items, kv->len, sizeof(*kv->items), by_key);
	for (size_t i = 1; i < kv->len; i++)
		if (strcmp(kv->items[i - 1].key, kv->items[i].key) == 0)
			return cf_error_set(CF_EINVALID, "%s %s illegally repeats the key `%s`", kind, gen,
			                    kv->items[i].key);
	return 0;
}

typedef struct {
	kz_ctx *ctx;
	const kz_kust *k;
	const char *kind;   /* "configmap" or "secret", for messages */
	const char *name;
	kv_list kv;
} gen_state;

static int read_source(char **buf, size_t *len, gen_state *g, const char *rel)
{
	char *path = NULL;
	int err;

	if ((err = kz_fs_resolve(&path, &g->ctx->fs, g->k->dir, rel,
	                         g->ctx->fs.root ? g->ctx->fs.root : g->k->dir)) < 0)
		return err;
	err = kz_fs_read(buf, len, &g->ctx->fs, path);
	free(path);
	return err;
}

/* .env files: KEY=VALUE lines, '#' comments and blank lines skipped, a bare KEY has value "". */
static int load_env_file(gen_state *g, const char *rel)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	if ((err = read_source(&buf, &len, g, rel)) < 0)
		return err;
	char *p = buf, *end = buf + len;
	if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF)
		p += 3;
	while (p < end && err == 0) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		if (le > p && le[-1] == '\r')
			le--;
		while (p < le && (*p == ' ' || *p == '\t' || *p == '\v' || *p == '\f'))
			p++;
		if (p < le && *p != '#') {
			char *eq = memchr(p, '=', (size_t)(le - p));
			if (eq)
				err = kv_add(&g->kv, p, (size_t)(eq - p), eq + 1,
				             (size_t)(le - eq - 1));
			else
				err = kv_add(&g->kv, p, (size_t)(le - p), "", 0);
		}
		p = nl ? nl + 1 : end;
	}
	free(buf);
	if (err < 0 && err != CF_ENOMEM)
		cf_error_wrap(err, "env source file: %s: ", rel);
	return err;
}

static int load_literal(gen_state *g, const char *lit)
{
	const char *eq = strchr(lit, '=');
	size_t vl;

	if (!eq || eq == lit)
		return cf_error_set(CF_EINVALID, "loading KV pairs: literal sources [%s]: invalid literal "
		                    "source %s, expected key=value", lit, lit);
	const char *v = eq + 1;
	vl = strlen(v);
	if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
		v++;
		vl -= 2;
	}
	return kv_add(&g->kv, lit, (size_t)(eq - lit), v, vl);
}

static int load_file_source(gen_state *g, const char *spec)
{
	const char *eq = strchr(spec, '=');
	const char *path = eq ? eq + 1 : spec, *key;
	size_t kl;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (eq && strchr(eq + 1, '='))
		return cf_error_set(CF_EINVALID, "key names or file paths cannot contain '=': %s", spec);
	if (eq) {
		key = spec;
		kl = (size_t)(eq - spec);
		if (kl == 0 || !*path)
			return cf_error_set(CF_EINVALID, "key or file path is missing: %s", spec);
	} else {
		const char *slash = strrchr(spec, '/');
		key = slash ? slash + 1 : spec;
		kl = strlen(key);
	}
	if ((err = read_source(&buf, &len, g, path)) < 0) {
		if (err != CF_ENOMEM)
			cf_error_wrap(err, "loading KV pairs: file sources: [%s]: ", spec);
		return err;
	}
	err = kv_add(&g->kv, key, kl, buf, len);
	free(buf);
	return err;
}

static int load_sources(gen_state *g, const cf_doc *args)
{
	cf_doc *envs = cf_doc_get(args, "envs");
	const char *env = cf_doc_get_str(args, "env");
	cf_doc *lits = cf_doc_get(args, "literals"), *files = cf_doc_get(args, "files");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(envs) && err == 0; i++)
		if (kz_scalar(cf_doc_item(envs, i)))
			err = load_env_file(g, kz_scalar(cf_doc_item(envs, i)));
	if (err == 0 && env && *env)
		err = load_env_file(g, env);
	for (size_t i = 0; i < cf_doc_len(lits) && err == 0; i++)
		if (kz_scalar(cf_doc_item(lits, i)))
			err = load_literal(g, kz_scalar(cf_doc_item(lits, i)));
	for (size_t i = 0; i < cf_doc_len(files) && err == 0; i++)
		if (kz_scalar(cf_doc_item(files, i)))
			err = load_file_source(g, kz_scalar(cf_doc_item(files, i)));
	return err;
}

/* Go's utf8.Valid. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2, min = 0x80, c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, min = 0x800, c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, min = 0x10000, c &= 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + j] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

/* kyaml wraps base64 of Secret values at 70 columns, ending each line with a newline. */
static int secret_value(char **out, const char *v, size_t vl)
{
	char *b64 = NULL, *o, *p;
	size_t bl;
	int err;

	if ((err = kz_base64(&b64, (const unsigned char *)v, vl)) < 0)
		return err;
	bl = strlen(b64);
	if (bl < 70) {
		*out = b64;
		return 0;
	}
	if (!(o = malloc(bl + bl / 70 + 2))) {
		free(b64);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	p = o;
	for (size_t i = 0; i < bl; i += 70) {
		size_t n = bl - i < 70 ? bl - i : 70;
		memcpy(p, b64 + i, n);
		p += n;
		*p++ = '\n';
	}
	*p = '\0';
	free(b64);
	*out = o;
	return 0;
}


static int fill_data(cf_doc *obj, const kv_list *kv, int secret)
{
	cf_doc *data = NULL, *bin = NULL;
	int err = 0;

	for (size_t i = 0; i < kv->len && err == 0; i++) {
		const kv_pair *p = &kv->items[i];
		char *enc = NULL;
		if (secret || !utf8_valid((unsigned char *)p->val, p->len)) {
			if (secret)
				err = secret_value(&enc, p->val, p->len);
			else
				err = kz_base64(&enc, (unsigned char *)p->val, p->len);
			if (err == 0 && !(secret ? data : bin))
				err = kz_ensure_map(secret ? &data : &bin, obj, secret ? "data" : "binaryData");
			if (err == 0)
				err = cf_doc_map_set_str(secret ? data : bin, p->key, enc);
			free(enc);
		} else {
			cf_doc *s = NULL;
			if (!data && (err = kz_ensure_map(&data, obj, "data")) < 0)
				break;
			if ((err = cf_doc_new_strn(&s, p->val, p->len)) == 0)
				err = cf_doc_map_set(data, p->key, s);
		}
	}
	return err;
}

static int merge_string_map(cf_doc *dst_parent, const char *key, const cf_doc *src)
{
	cf_doc *dst = NULL;
	int err = 0;

	if (cf_doc_type_of(src) != CF_DOC_MAP || cf_doc_len(src) == 0)
		return 0;
	if ((err = kz_ensure_map(&dst, dst_parent, key)) < 0)
		return err;
	for (size_t i = 0; i < cf_doc_len(src) && err == 0; i++) {
		cf_doc *v = NULL;
		if ((err = cf_doc_clone(&v, cf_doc_value(src, i))) == 0)
			err = cf_doc_map_set(dst, cf_doc_text(cf_doc_key(src, i)), v);
	}
	return err;
}

static int truthy(const cf_doc *opts, const char *key)
{
	return cf_doc_bool(cf_doc_get(opts, key));
}

static int make_object(cf_doc **out, gen_state *g, const cf_doc *args, const cf_doc *global,
                       int secret, int *hash)
{
	cf_doc *obj = NULL, *meta = NULL;
	const cf_doc *local = cf_doc_get(args, "options");
	const char *ns = cf_doc_get_str(args, "namespace");
	int err;

	if ((err = cf_doc_new_map(&obj)) < 0)
		return err;
	if ((err = cf_doc_map_set_str(obj, "apiVersion", "v1")) < 0 ||
	    (err = cf_doc_map_set_str(obj, "kind", secret ? "Secret" : "ConfigMap")) < 0 ||
	    (err = kz_ensure_map(&meta, obj, "metadata")) < 0 ||
	    (err = cf_doc_map_set_str(meta, "name", g->name)) < 0)
		goto done;
	if (ns && *ns && (err = cf_doc_map_set_str(meta, "namespace", ns)) < 0)
		goto done;
	if ((err = merge_string_map(meta, "labels", cf_doc_get(global, "labels"))) < 0 ||
	    (err = merge_string_map(meta, "labels", cf_doc_get(local, "labels"))) < 0 ||
	    (err = merge_string_map(meta, "annotations", cf_doc_get(global, "annotations"))) < 0 ||
	    (err = merge_string_map(meta, "annotations", cf_doc_get(local, "annotations"))) < 0)
		goto done;
	if (secret) {
		const char *type = cf_doc_get_str(args, "type");
		if ((err = cf_doc_map_set_str(obj, "type", type && *type ? type : "Opaque")) < 0)
			goto done;
	}
	if ((err = fill_data(obj, &g->kv, secret)) < 0)
		goto done;
	if (truthy(global, "immutable") || truthy(local, "immutable")) {
		cf_doc *t = NULL;
		if ((err = cf_doc_new_bool(&t, 1)) < 0 || (err = cf_doc_map_set(obj, "immutable", t)) < 0)
			goto done;
	}
	*hash = !(truthy(global, "disableNameSuffixHash") || truthy(local, "disableNameSuffixHash"));
	*out = obj;
	obj = NULL;
done:
	cf_doc_free(obj);
	return err;
}

/* Does r have, now or before, this kind, name and namespace? */
static int matches_any_id(const kz_res *r, const char *kind, const char *name, const char *ns)
{
	if (strcmp(kz_res_kind(r), kind) != 0)
		return 0;
	if (strcmp(kz_res_name(r), name) == 0 && strcmp(kz_res_ns(r), ns) == 0)
		return 1;
	for (size_t i = 0; i < r->n_ids; i++)
		if (strcmp(r->ids[i].name, name) == 0 && strcmp(r->ids[i].ns, ns) == 0)
			return 1;
	return 0;
}

static int merge_into(kz_res *old, cf_doc *obj, int behavior)
{
	static const char *const data_keys[] = {"data", "binaryData"};
	int err = 0;

	for (size_t i = 0; i < 2 && err == 0; i++) {
		cf_doc *src = cf_doc_get(obj, data_keys[i]);
		if (behavior == KZ_BEHAVIOR_REPLACE) {
			cf_doc *copy = NULL;
			if (!src) {
				cf_doc_map_remove(old->obj, data_keys[i]);
				continue;
			}
			if ((err = cf_doc_clone(&copy, src)) == 0)
				err = cf_doc_map_set(old->obj, data_keys[i], copy);
		} else {
			err = merge_string_map(old->obj, data_keys[i], src);
		}
	}
	cf_doc *meta = NULL;
	if (err == 0 && (err = kz_ensure_map(&meta, old->obj, "metadata")) == 0) {
		cf_doc *nm = cf_doc_get(obj, "metadata");
		err = merge_string_map(meta, "labels", cf_doc_get(nm, "labels"));
		if (err == 0)
			err = merge_string_map(meta, "annotations", cf_doc_get(nm, "annotations"));
	}
	return err;
}

static int behavior_of(int *out, const char *s)
{
	if (!s || !*s || strcmp(s, "create") == 0)
		*out = KZ_BEHAVIOR_CREATE;
	else if (strcmp(s, "merge") == 0)
		*out = KZ_BEHAVIOR_MERGE;
	else if (strcmp(s, "replace") == 0)
		*out = KZ_BEHAVIOR_REPLACE;
	else
		return cf_error_set(CF_EINVALID, "unknown generator behavior '%s'", s);
	return 0;
}

static int generate_one(kz_resmap *m, gen_state *g, const cf_doc *args, int secret)
{
	cf_doc *obj = NULL;
	kz_res *r = NULL;
	int hash = 1, behavior = KZ_BEHAVIOR_CREATE, err;
	const char *ns = cf_doc_get_str(args, "namespace");

	if (!g->name || !*g->name)
		return cf_error_set(CF_EINVALID, "%s: a %s generator needs a name", g->k->file, g->kind);
	if ((err = behavior_of(&behavior, cf_doc_get_str(args, "behavior"))) < 0)
		return err;
	if ((err = load_sources(g, args)) < 0 || (err = kv_sort(&g->kv, g->kind, g->name)) < 0)
		return err;
	if ((err = make_object(&obj, g, args, cf_doc_get(g->k->k, "generatorOptions"), secret,
	                       &hash)) < 0)
		return err;
	if (!ns)
		ns = "";
	for (size_t i = 0; i < m->len; i++) {
		kz_res *old = m->items[i];
		if (!matches_any_id(old, secret ? "Secret" : "ConfigMap", g->name, ns))
			continue;
		if (behavior == KZ_BEHAVIOR_CREATE) {
			cf_doc_free(obj);
			return cf_error_set(CF_EEXISTS, "merging from generator %s %s: id exists; behavior "
			                    "must be merge or replace", g->kind, g->name);
		}
		err = merge_into(old, obj, behavior);
		/* either side disabling the suffix disables it */
		old->needs_hash = old->needs_hash && hash;
		cf_doc_free(obj);
		return err;
	}
	if (behavior != KZ_BEHAVIOR_CREATE) {
		cf_doc_free(obj);
		return cf_error_set(CF_ENOTFOUND, "merging from generator %s %s: id does not exist; "
		                    "cannot merge or replace", g->kind, g->name);
	}
	if ((err = kz_res_new(&r, obj, g->k->file)) < 0)
		return err;
	r->needs_hash = hash;
	r->behavior = behavior;
	r->gen_kind = secret ? "SecretGenerator" : "ConfigMapGenerator";
	return kz_resmap_add(m, r);
}

static int run_list(kz_resmap *m, kz_ctx *ctx, const kz_kust *k, const char *key, int secret)
{
	cf_doc *list = cf_doc_get(k->k, key);
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++) {
		cf_doc *args = cf_doc_item(list, i);
		gen_state g = {.ctx = ctx, .k = k, .kind = secret ? "secret" : "configmap"};
		g.name = cf_doc_get_str(args, "name");
		err = generate_one(m, &g, args, secret);
		kv_dispose(&g.kv);
	}
	return err;
}

int kz_generate(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	int err;

	if ((err = run_list(m, ctx, k, "configMapGenerator", 0)) < 0)
		return err;
	return run_list(m, ctx, k, "secretGenerator", 1);
}
