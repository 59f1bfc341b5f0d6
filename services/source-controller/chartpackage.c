/* Helm chart directories: Chart.yaml checks and packaging into a chart .tgz as `helm package` lays it out. */
#define _GNU_SOURCE
#include "helmsource.h"
#include "helmfile.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cf/semver.h"

#define DEFAULT_MAX_TOTAL (100ull << 20)
#define MAX_FILES 100000

/* ---- Chart.yaml ---- */

void sc_helm_chart_meta_clear(sc_helm_chart_meta *m)
{
	free(m->api_version);
	free(m->name);
	free(m->version);
	memset(m, 0, sizeof(*m));
}

/* The scalar text under key, or NULL. */
static const char *scalar(const cf_doc *map, const char *key)
{
	cf_doc *v = cf_doc_get(map, key);
	return v && cf_doc_type_of(v) != CF_DOC_MAP && cf_doc_type_of(v) != CF_DOC_SEQ &&
	       cf_doc_type_of(v) != CF_DOC_NULL ? cf_doc_text(v) : NULL;
}

static int meta_from_doc(sc_helm_chart_meta *out, const cf_doc *doc)
{
	const char *api = scalar(doc, "apiVersion"), *name = scalar(doc, "name"), *ver = scalar(doc, "version");
	cf_semver *sv = NULL;

	if (cf_doc_type_of(doc) != CF_DOC_MAP)
		return cf_error_set(CF_EINVALID, "Chart.yaml is not a map");
	if (!api || !*api)
		return cf_error_set(CF_EINVALID, "validation: chart.metadata.apiVersion is required");
	if (!name || !*name)
		return cf_error_set(CF_EINVALID, "validation: chart.metadata.name is required");
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cf_error_set(CF_EINVALID, "validation: chart.metadata.name \"%s\" is invalid", name);
	if (!ver || !*ver)
		return cf_error_set(CF_EINVALID, "validation: chart.metadata.version is required");
	if (cf_semver_parse(&sv, ver, 0) < 0)
		return cf_error_set(CF_EINVALID, "validation: chart.metadata.version \"%s\" is invalid", ver);
	cf_semver_free(sv);
	out->api_version = strdup(api);
	out->name = strdup(name);
	out->version = strdup(ver);
	if (!out->api_version || !out->name || !out->version) {
		sc_helm_chart_meta_clear(out);
		return CF_ENOMEM;
	}
	return 0;
}

int sc_helm_chart_meta_load(sc_helm_chart_meta *out, const char *dir)
{
	char path[4200], *text = NULL;
	cf_doc *doc = NULL;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/Chart.yaml", dir);
	if ((err = sc_helm_read_file(&text, &len, path, SC_HELM_DEFAULT_MAX_FILE)) < 0) {
		if (err == CF_ENOTFOUND)
			cf_error_set(err, "Chart.yaml file is missing");
		return err;
	}
	if ((err = sc_helm_load_yaml(&doc, text, len, "Chart.yaml")) == 0)
		err = meta_from_doc(out, doc);
	cf_doc_free(doc);
	free(text);
	return err;
}

/* ---- packaging ---- */

typedef struct {
	char **v;
	size_t n, cap;
} strv;

static void strv_clear(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static int strv_push(strv *s, const char *str)
{
	if (s->n >= MAX_FILES)
		return cf_error_set(CF_ELIMIT, "chart has more than %d files", MAX_FILES);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **n = realloc(s->v, cap * sizeof(*n));
		if (!n)
			return CF_ENOMEM;
		s->v = n;
		s->cap = cap;
	}
	return (s->v[s->n++] = strdup(str)) ? 0 : CF_ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the regular files under root/rel that the ignore rules keep, as relative paths. */
static int walk(strv *files, const char *root, const char *rel, const sc_helm_ignore *ig, int depth)
{
	char dir[4200], child_rel[4200], child[8400];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (depth > 64)
		return cf_error_set(CF_ELIMIT, "chart directory nesting is deeper than 64");
	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	if (!(d = opendir(dir)))
		return cf_error_set(CF_EIO, "reading directory %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child_rel, sizeof(child_rel), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		snprintf(child, sizeof(child), "%s/%s", root, child_rel);
		if (lstat(child, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!sc_helm_ignore_match(ig, child_rel, 1) &&
			    (err = walk(files, root, child_rel, ig, depth + 1)) < 0)
				break;
		} else if (S_ISREG(st.st_mode) && !sc_helm_ignore_match(ig, child_rel, 0)) {
			if ((err = strv_push(files, child_rel)) < 0)
				break;
		}
	}
	closedir(d);
	return err;
}

typedef struct {
	char *buf;
	size_t len, cap;
} membuf;

static la_ssize_t mem_write(struct archive *a, void *data, const void *buf, size_t len)
{
	membuf *m = data;

	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		while (cap < m->len + len)
			cap *= 2;
		char *n = realloc(m->buf, cap);
		if (!n) {
			archive_set_error(a, ENOMEM, "out of memory");
			return -1;
		}
		m->buf = n;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return (la_ssize_t)len;
}

static int add_entry(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int err = 0;

	if (!e)
		return CF_ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		err = cf_error_set(CF_EIO, "writing chart archive: %s", archive_error_string(a));
	archive_entry_free(e);
	return err;
}

/* Chart.yaml with its version replaced, written as Helm writes chart metadata. */
static int rewrite_chart_yaml(char **out, size_t *out_len, const char *text, size_t len, const char *version)
{
	cf_doc *doc = NULL;
	int err;

	if ((err = sc_helm_load_yaml(&doc, text, len, "Chart.yaml")) < 0)
		return err;
	cf_doc_yaml_opts yo = {.dialect = CF_DOC_EMIT_YAMLV2, .sort_keys = 1};
	if ((err = cf_doc_map_set_str(doc, "version", version)) == 0)
		err = cf_doc_emit_yaml(out, out_len, doc, &yo);
	cf_doc_free(doc);
	return err;
}

static int write_files(struct archive *a, const strv *files, const char *dir, const sc_helm_chart_meta *meta,
		       const sc_helm_package_opts *o, uint64_t max_file, uint64_t max_total)
{
	char path[8400], name[8400];
	uint64_t total = 0;
	int err = 0, have_values = 0;

	for (size_t i = 0; i < files->n && err == 0; i++) {
		const char *rel = files->v[i], *body;
		char *data = NULL, *alt = NULL;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		snprintf(name, sizeof(name), "%s/%s", meta->name, rel);
		if ((err = sc_helm_read_file(&data, &len, path, max_file)) < 0)
			break;
		if ((total += len) > max_total) {
			free(data);
			return cf_error_set(CF_ELIMIT, "chart is larger than the limit of %llu bytes",
					    (unsigned long long)max_total);
		}
		body = data;
		if (strcmp(rel, "Chart.yaml") == 0 && o->version && strcmp(o->version, meta->version) != 0) {
			if ((err = rewrite_chart_yaml(&alt, &len, data, len, o->version)) < 0) {
				free(data);
				break;
			}
			body = alt;
		} else if (strcmp(rel, "values.yaml") == 0 && o->values_yaml) {
			have_values = 1;
			body = o->values_yaml;
			len = strlen(body);
		}
		err = add_entry(a, name, body, len);
		free(alt);
		free(data);
	}
	if (err == 0 && o->values_yaml && !have_values) {
		snprintf(name, sizeof(name), "%s/values.yaml", meta->name);
		err = add_entry(a, name, o->values_yaml, strlen(o->values_yaml));
	}
	return err;
}

int sc_helm_package(void **out, size_t *out_len, const char *dir, const sc_helm_package_opts *opts)
{
	sc_helm_package_opts o = opts ? *opts : (sc_helm_package_opts){0};
	sc_helm_chart_meta meta = {0};
	sc_helm_ignore *ig = NULL;
	struct archive *a = NULL;
	strv files = {0};
	membuf mb = {0};
	int err;

	if ((err = sc_helm_chart_meta_load(&meta, dir)) < 0)
		goto done;
	if (o.version) {
		cf_semver *sv = NULL;
		if (cf_semver_parse(&sv, o.version, 0) < 0) {
			err = cf_error_set(CF_EINVALID, "invalid chart version '%s'", o.version);
			goto done;
		}
		cf_semver_free(sv);
	}
	if ((err = sc_helm_ignore_load(&ig, dir)) < 0 || (err = walk(&files, dir, "", ig, 0)) < 0)
		goto done;
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	if (!(a = archive_write_new())) {
		err = CF_ENOMEM;
		goto done;
	}
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_options(a, "gzip:!timestamp");
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open(a, &mb, NULL, mem_write, NULL) != ARCHIVE_OK) {
		err = cf_error_set(CF_EIO, "opening chart archive: %s", archive_error_string(a));
		goto done;
	}
	err = write_files(a, &files, dir, &meta, &o, o.max_file ? o.max_file : SC_HELM_DEFAULT_MAX_FILE,
			  o.max_total ? o.max_total : DEFAULT_MAX_TOTAL);
	if (err < 0)
		goto done;
	if (archive_write_close(a) != ARCHIVE_OK) {
		err = cf_error_set(CF_EIO, "closing chart archive: %s", archive_error_string(a));
		goto done;
	}
	*out = mb.buf;
	*out_len = mb.len;
	mb.buf = NULL;
done:
	if (a)
		archive_write_free(a);
	free(mb.buf);
	strv_clear(&files);
	sc_helm_ignore_free(ig);
	sc_helm_chart_meta_clear(&meta);
	return err;
}
