/* Chart and values steps of a HelmRelease: valuesFrom merging, digests, unpacking and rendering charts. */
#include "hc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "cf/artifact.h"
#include "cf/doc.h"
#include "cf/error.h"
#include "cf/helm.h"

#define DEFAULT_VALUES_KEY "values.yaml"

/* ---- values ---- */

void hc_values_merge(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)src, key, v) {
		json_t *cur = json_object_get(dst, key);
		if (json_is_object(cur) && json_is_object(v))
			hc_values_merge(cur, v);
		else
			json_object_set_new(dst, key, json_deep_copy(v));
	}
}

/* YAML text to JSON through the document model. */
static int yaml_to_json(json_t **out, const char *text, const char *what)
{
	cf_doc *doc = NULL;
	char *js = NULL;
	size_t len = 0;
	int err;

	if ((err = cf_doc_load_yaml(&doc, text, strlen(text), NULL)) < 0 ||
	    (err = cf_doc_emit_json(&js, &len, doc, NULL)) < 0) {
		err = cf_error_wrap(err, "%s: ", what);
		goto done;
	}
	if (!(*out = json_loadb(js, len, JSON_DECODE_ANY, NULL)))
		err = cf_error_set(CF_EPARSE, "%s: not valid YAML", what);
done:
	cf_doc_free(doc);
	free(js);
	return err;
}

/* Sets value at a dotted path of plain keys (Helm's strvals for simple paths). */
static int set_path(json_t *root, const char *path, json_t *value)
{
	char buf[1024], *save = NULL, *part, *next;
	json_t *cur = root;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return cf_error_set(CF_ELIMIT, "targetPath '%s' is too long", path);
	for (part = strtok_r(buf, ".", &save); part; part = next) {
		next = strtok_r(NULL, ".", &save);
		if (!next)
			return json_object_set_new(cur, part, value) < 0 ? CF_ENOMEM : 0;
		json_t *child = json_object_get(cur, part);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(cur, part, child);
		}
		cur = child;
	}
	json_decref(value);
	return cf_error_set(CF_EINVALID, "targetPath '%s' is empty", path);
}

static int values_from_one(json_t *values, cf_kube *kube, const char *ns, const json_t *ref)
{
	const char *kind = cf_object_str(ref, "kind"), *name = cf_object_str(ref, "name"), *key = cf_object_str(ref, "valuesKey");
	const char *target = cf_object_str(ref, "targetPath");
	json_t *data = NULL, *part = NULL;
	char what[512];
	int err;

	if (!key)
		key = DEFAULT_VALUES_KEY;
	if (!kind || !name || (strcmp(kind, "ConfigMap") != 0 && strcmp(kind, "Secret") != 0))
		return cf_error_set(CF_EINVALID, "unsupported ValuesReference kind '%s'", kind ? kind : "");
	if ((err = cf_object_data(&data, kube, kind, ns, name)) < 0) {
		if (err == CF_ENOTFOUND && json_is_true(json_object_get(ref, "optional")))
			return 0;
		return cf_error_wrap(err, "could not find %s '%s/%s': ", kind, ns, name);
	}
	const char *text = json_string_value(json_object_get(data, key));
	if (!text) {
		err = json_is_true(json_object_get(ref, "optional")) ? 0 :
			cf_error_set(CF_ENOTFOUND, "missing key '%s' in %s '%s/%s'", key, kind, ns, name);
		goto done;
	}
	if (target && *target) {
		err = set_path(values, target, json_string(text));
		goto done;
	}
	snprintf(what, sizeof(what), "unable to read values from key '%s' in %s '%s/%s'", key, kind, ns, name);
	if ((err = yaml_to_json(&part, text, what)) < 0)
		goto done;
	if (json_is_object(part))
		hc_values_merge(values, part);
done:
	json_decref(part);
	json_decref(data);
	return err;
}

int hc_values_compose(json_t **out, cf_kube *kube, const json_t *hr)
{
	json_t *spec = json_object_get(hr, "spec"), *values = json_object(), *ref;
	const char *ns = cf_object_str(hr, "metadata.namespace");
	size_t i;
	int err;

	json_array_foreach(json_object_get(spec, "valuesFrom"), i, ref) {
		if ((err = values_from_one(values, kube, ns, ref)) < 0) {
			json_decref(values);
			return err;
		}
	}
	if (json_is_object(json_object_get(spec, "values")))
		hc_values_merge(values, json_object_get(spec, "values"));
	*out = values;
	return 0;
}

void hc_values_digest(char *buf, size_t size, const json_t *values, const char *algo)
{
	char *text = json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS);
	int sha1 = strcmp(algo, "sha1") == 0;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t off;

	EVP_Digest(text ? text : "", text ? strlen(text) : 0, md, &n, sha1 ? EVP_sha1() : EVP_sha256(), NULL);
	free(text);
	off = (size_t)snprintf(buf, size, "%s", sha1 ? "" : "sha256:");
	for (unsigned int i = 0; i < n && off + 2 < size; i++, off += 2)
		snprintf(buf + off, size - off, "%02x", md[i]);
}

/* ---- chart ---- */

static int read_yaml_file(json_t **out, const char *path)
{
	char *text = NULL;
	long len;
	FILE *f = fopen(path, "rb");
	int err;

	if (!f)
		return CF_ENOTFOUND;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || len > (5L << 20) || fseek(f, 0, SEEK_SET) != 0 ||
	    !(text = calloc(1, (size_t)len + 1)) || fread(text, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(text);
		return cf_error_set(CF_EIO, "reading %s failed", path);
	}
	fclose(f);
	err = yaml_to_json(out, text, path);
	free(text);
	return err;
}

/* The chart's directory: the one top-level directory of the archive. */
static int find_chart_dir(char *out, size_t size, const char *work)
{
	DIR *d = opendir(work);
	struct dirent *e;
	int found = 0;

	if (!d)
		return cf_error_set(CF_EIO, "cannot open %s", work);
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/Chart.yaml", work, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && !found++)
			snprintf(out, size, "%s/%s", work, e->d_name);
	}
	closedir(d);
	if (found != 1)
		return cf_error_set(CF_EINVALID, "chart archive must hold exactly one chart directory");
	return 0;
}

int hc_chart_open(hc_chart *c, const void *buf, size_t len, const char *work)
{
	char path[4200];
	int err;

	if ((err = cf_artifact_extract_mem(buf, len, work, NULL)) < 0 ||
	    (err = find_chart_dir(c->dir, sizeof(c->dir), work)) < 0)
		return err;
	snprintf(path, sizeof(path), "%s/Chart.yaml", c->dir);
	if ((err = read_yaml_file(&c->meta, path)) < 0)
		return err;
	if (!json_is_object(c->meta) || !cf_object_str(c->meta, "name") || !cf_object_str(c->meta, "version"))
		return cf_error_set(CF_EINVALID, "Chart.yaml has no name or version");
	snprintf(path, sizeof(path), "%s/values.yaml", c->dir);
	err = read_yaml_file(&c->values, path);
	if (err == CF_ENOTFOUND || (err == 0 && !json_is_object(c->values))) {
		json_decref(c->values);
		c->values = json_object();
		err = 0;
	}
	return err;
}

void hc_chart_close(hc_chart *c)
{
	json_decref(c->meta);
	json_decref(c->values);
	c->meta = c->values = NULL;
}

static int template(char **out, const char *dir, const hc_render_opts *ro, int with_crds, const hc_caps *caps)
{
	cf_helm_chart *chart = NULL;
	const char *files[] = {ro->values_path};
	cf_helm_template_opts o = {.release_name = ro->release, .ns = ro->ns, .value_files = files, .n_value_files = 1,
				   .include_crds = with_crds, .is_upgrade = ro->upgrade, .revision = ro->revision,
				   .skip_schema_validation = ro->skip_schema,
				   .kube_version = caps->kube_version, .api_versions = (const char *const *)caps->apis,
				   .n_api_versions = caps->n_apis, .api_versions_replace = 1};
	size_t len = 0;
	int err;

	if ((err = cf_helm_chart_load(&chart, dir)) == 0)
		err = cf_helm_chart_template(out, &len, chart, &o);
	cf_helm_chart_free(chart);
	return err;
}

/* Helm stamps live objects so `helm upgrade` can adopt them. */
static void stamp(json_t *obj, const char *release, const char *ns)
{
	json_t *meta = json_object_get(obj, "metadata"), *m;

	if (!json_is_object(meta))
		json_object_set_new(obj, "metadata", meta = json_object());
	if (!json_is_object(m = json_object_get(meta, "labels")))
		json_object_set_new(meta, "labels", m = json_object());
	json_object_set_new(m, "app.kubernetes.io/managed-by", json_string("Helm"));
	if (!json_is_object(m = json_object_get(meta, "annotations")))
		json_object_set_new(meta, "annotations", m = json_object());
	json_object_set_new(m, "meta.helm.sh/release-name", json_string(release));
	json_object_set_new(m, "meta.helm.sh/release-namespace", json_string(ns));
}

/* Splits rendered text into objects; namespaced ones without a namespace get ns. */
static int to_objects(json_t *objects, cf_kube *kube, const char *text, const char *release, const char *ns, int hooks)
{
	cf_doc *list = NULL;
	int err;

	if ((err = cf_doc_load_yaml_stream(&list, text, strlen(text), NULL)) < 0)
		return cf_error_wrap(err, "rendered manifests are not valid YAML: ");
	for (size_t i = 0; i < cf_doc_len(list); i++) {
		char *js = NULL;
		size_t len = 0;
		json_t *obj;
		if ((err = cf_doc_emit_json(&js, &len, cf_doc_item(list, i), NULL)) < 0)
			break;
		obj = json_loadb(js, len, JSON_DECODE_ANY, NULL);
		free(js);
		/* Hooks are not run; applying them as plain objects would be wrong. */
		if (!json_is_object(obj) || !cf_object_str(obj, "kind") ||
		    !cf_object_meta(obj, "annotations", "helm.sh/hook") != !hooks) {
			json_decref(obj);
			continue;
		}
		cf_kube_resource res;
		if (!cf_object_str(obj, "metadata.namespace") &&
		    (cf_kube_resolve(kube, &res, cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind")) < 0 || res.namespaced))
			json_object_set_new(json_object_get(obj, "metadata"), "namespace", json_string(ns));
		/* Helm creates hooks as written; only release objects carry its ownership stamp. */
		if (!hooks)
			stamp(obj, release, ns);
		json_array_append_new(objects, obj);
	}
	cf_doc_free(list);
	return err;
}

int hc_manifest_objects(json_t **objects, cf_kube *kube, const char *text, const char *release, const char *ns)
{
	json_t *list = json_array();
	int err;

	if ((err = to_objects(list, kube, text, release, ns, 0)) < 0) {
		json_decref(list);
		return err;
	}
	*objects = list;
	return 0;
}

int hc_hook_objects(json_t **objects, cf_kube *kube, const char *text, const char *release, const char *ns)
{
	json_t *list = json_array();
	int err;

	if ((err = to_objects(list, kube, text ? text : "", release, ns, 1)) < 0) {
		json_decref(list);
		return err;
	}
	*objects = list;
	return 0;
}

/* 1 when one rendered document is a hook (helm.sh/hook annotation). */
static int is_hook_doc(const char *text, size_t len)
{
	cf_doc *doc = NULL;
	int hook;

	if (cf_doc_load_yaml(&doc, text, len, NULL) < 0)
		return 0;
	hook = cf_doc_get_path(doc, "metadata", "annotations", "helm.sh/hook", NULL) != NULL;
	cf_doc_free(doc);
	return hook;
}

/* Helm stores the manifest without hooks: drops the "---"-separated documents that are hooks. */
static void drop_hooks(char *text)
{
	char *out = text, *p = text;

	while (*p) {
		char *next = strstr(p + 1, "\n---\n");
		size_t len = next ? (size_t)(next + 1 - p) : strlen(p);
		if (!is_hook_doc(p, len)) {
			memmove(out, p, len);
			out += len;
		}
		p += len;
	}
	*out = '\0';
}

/* Documents from crds/ directories: helm template prints them first, each under its "# Source:" line. */
static size_t count_crds(const char *all)
{
	size_t n = 0;

	for (const char *p = strstr(all, "# Source: "); p; p = strstr(p + 1, "# Source: ")) {
		const char *eol = strchr(p, '\n'), *crds = strstr(p, "/crds/");
		if (crds && (!eol || crds < eol))
			n++;
	}
	return n;
}

int hc_chart_render(json_t **objects, char **manifest, json_t **hooks, size_t *n_crds, hc_chart *c, cf_kube *kube,
		    const hc_render_opts *ro)
{
	hc_caps caps = {{0}};
	char *all = NULL, *rendered = NULL;
	json_t *crds = NULL;
	size_t n = 0;
	int err;

	*objects = NULL;
	*manifest = NULL;
	if (hooks)
		*hooks = NULL;
	if ((err = hc_caps_read(&caps, kube)) < 0 ||
	    (err = template(&rendered, c->dir, ro, 0, &caps)) < 0 || (err = template(&all, c->dir, ro, 1, &caps)) < 0)
		goto done;
	drop_hooks(rendered);
	/* crds/ objects are installed as written; the release's own objects go through the post-renderers. */
	n = count_crds(all);
	if (n_crds)
		*n_crds = n;
	crds = json_array();
	if ((err = to_objects(crds, kube, all, ro->release, ro->ns, 0)) < 0 ||
	    (err = hc_post_render(manifest, rendered, ro->hr, ro->work)) < 0)
		goto done;
	while (json_array_size(crds) > n)
		json_array_remove(crds, n);
	*objects = crds;
	crds = NULL;
	if ((err = to_objects(*objects, kube, *manifest, ro->release, ro->ns, 0)) < 0 || !hooks)
		goto done;
	err = hc_hooks_parse(hooks, all);
done:
	hc_caps_free(&caps);
	json_decref(crds);
	free(rendered);
	free(all);
	return err;
}
