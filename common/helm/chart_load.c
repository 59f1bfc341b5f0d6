/* Loads a chart from a directory or a .tgz archive into a chart tree, as Helm's loader does. */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "chart.h"
#include "internal.h"

/* Helm's loader limits: 100 MiB for a whole chart, 5 MiB for one file in an archive. */
#define MAX_CHART_BYTES (100u * 1024 * 1024)
#define MAX_FILE_BYTES (5u * 1024 * 1024)
#define MAX_FILES 100000
#define MAX_CHART_DEPTH 64

int chart_files_add(chart_files *fs, const char *name, const char *data, size_t len)
{
	chart_file *f;
	if (fs->n >= MAX_FILES)
		return cf_error_set(CF_ELIMIT, "chart has more than %d files", MAX_FILES);
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 16;
		chart_file *v = realloc(fs->v, cap * sizeof(*v));
		if (!v)
			return cf_error_set(CF_ENOMEM, "out of memory");
		fs->v = v;
		fs->cap = cap;
	}
	f = &fs->v[fs->n];
	f->name = strdup(name);
	f->data = malloc(len + 1);
	if (!f->name || !f->data) {
		free(f->name);
		free(f->data);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	fs->n++;
	return 0;
}

void chart_files_clear(chart_files *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].name);
		free(fs->v[i].data);
	}
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

void cf_helm_chart_free(cf_helm_chart *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ndeps; i++)
		cf_helm_chart_free(c->deps[i]);
	free(c->deps);
	free(c->name);
	cf_doc_free(c->meta);
	hv_unref(c->values);
	free(c->schema);
	chart_files_clear(&c->templates);
	chart_files_clear(&c->files);
	free(c);
}

const char *cf_helm_chart_name(const cf_helm_chart *c) { return c->name; }

int cf_helm_chart_deprecated(const cf_helm_chart *c)
{
	const cf_doc *d = cf_doc_get(c->meta, "deprecated");
	return d && cf_doc_type_of(d) == CF_DOC_BOOL && cf_doc_bool(d);
}

int chart_is_library(const cf_helm_chart *c)
{
	const char *t = cf_doc_get_str(c->meta, "type");
	return t && strcmp(t, "library") == 0;
}

/* ---- .helmignore ---- */

typedef struct {
	char **pat;
	size_t n;
} ignore_rules;

static void ignore_free(ignore_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->pat[i]);
	free(r->pat);
}

static int ignore_add(ignore_rules *r, const char *p, size_t len)
{
	char **v = realloc(r->pat, (r->n + 1) * sizeof(char *));
	if (!v)
		return cf_error_set(CF_ENOMEM, "out of memory");
	r->pat = v;
	if (!(r->pat[r->n] = strndup(p, len)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	r->n++;
	return 0;
}

static int ignore_load(ignore_rules *r, const char *dir)
{
	char path[4096], line[1024];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/.helmignore", dir);
	if (!(f = fopen(path, "r")))
		return ignore_add(r, "templates/.?*", 13);
	while (err == 0 && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || p[0] == '#')
			continue;
		if (hv_memmem(p, n, "**", 2)) {
			err = cf_error_set(CF_EPARSE, "double-star (**) syntax is not supported");
			break;
		}
		err = ignore_add(r, p, n);
	}
	fclose(f);
	/* Hidden files under templates/ are never templates (ignore.Rules.AddDefaults). */
	return err < 0 ? err : ignore_add(r, "templates/.?*", 13);
}

/*
 * One rule against a path: a leading '/' anchors at the chart root, a pattern with a '/' matches
 * the whole path, others the base name; a trailing '/' only matches directories.
 */
static int ignore_rule_match(const char *rule, const char *path)
{
	const char *base = strrchr(path, '/');
	if (rule[0] == '/')
		return fnmatch(rule + 1, path, FNM_PATHNAME) == 0;
	if (strchr(rule, '/'))
		return fnmatch(rule, path, FNM_PATHNAME) == 0;
	return fnmatch(rule, base ? base + 1 : path, FNM_PATHNAME) == 0;
}

/*
 * Helm's ignore.Rules: the first rule that decides wins. A negated rule ignores every path it
 * does not match (and every file, when it names directories), and lets later rules decide the
 * paths it matches.
 */
static int ignored(const ignore_rules *r, const char *path, int is_dir)
{
	char pat[1024];
	for (size_t i = 0; i < r->n; i++) {
		const char *p = r->pat[i];
		int negate = p[0] == '!', must_dir;
		size_t n;
		if (negate)
			p++;
		n = strlen(p);
		if (n == 0 || n >= sizeof(pat))
			continue;
		memcpy(pat, p, n + 1);
		must_dir = pat[n - 1] == '/';
		if (must_dir)
			pat[n - 1] = '\0';
		if (negate) {
			if ((must_dir && !is_dir) || !ignore_rule_match(pat, path))
				return 1;
			continue;
		}
		if (must_dir && !is_dir)
			continue;
		if (ignore_rule_match(pat, path))
			return 1;
	}
	return 0;
}

/* ---- directories ---- */

static int read_file(char **out, size_t *len, const char *path, size_t *total)
{
	FILE *f = fopen(path, "rb");
	hbuf b;
	char tmp[65536];
	size_t n;

	if (!f)
		return cf_error_set(CF_EIO, "open %s: cannot read", path);
	hbuf_init(&b, 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		*total += n;
		if (*total > MAX_CHART_BYTES) {
			fclose(f);
			hbuf_free(&b);
			return cf_error_set(CF_ELIMIT, "chart exceeds the maximum size of %u bytes",
			                    MAX_CHART_BYTES);
		}
		hbuf_put(&b, tmp, n);
	}
	fclose(f);
	if (b.err) {
		hbuf_free(&b);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	*out = hbuf_take(&b, len);
	if (!*out)
		*out = strdup(""), *len = 0;
	return *out ? 0 : cf_error_set(CF_ENOMEM, "out of memory");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Symbolic links are followed as Helm does, but only while they stay inside the chart: a chart
 * from a repository must not pull files of the host into its output.
 */
static int check_link(const char *root, const char *path, const char *rel)
{
	struct stat st;
	char *real_root, *real;
	size_t n;
	int ok;

	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return 0;
	real_root = realpath(root, NULL);
	real = realpath(path, NULL);
	n = real_root ? strlen(real_root) : 0;
	ok = real_root && real && !strncmp(real, real_root, n) && (real[n] == '/' || !real[n]);
	free(real_root);
	free(real);
	return ok ? 0 : cf_error_set(CF_EUNSAFE, "chart file %s links outside the chart", rel);
}

/* The walk's state: bytes read, entries seen, and the directories on the current path. */
typedef struct {
	size_t total, visits;
	dev_t dev[MAX_CHART_DEPTH + 2];
	ino_t ino[MAX_CHART_DEPTH + 2];
} walk_state;

static int walk(chart_files *fs, const ignore_rules *ign, const char *root, const char *rel,
                int depth, walk_state *ws)
{
	char path[4096], sub[4096];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int err = 0;

	if (depth > MAX_CHART_DEPTH)
		return cf_error_set(CF_ELIMIT, "chart directory nested too deeply");
	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	if (!(d = opendir(path)))
		return cf_error_set(CF_EIO, "cannot read directory %s", path);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(char *));
			if (!v) {
				err = cf_error_set(CF_ENOMEM, "out of memory");
				break;
			}
			names = v;
		}
		if (!(names[n] = strdup(e->d_name))) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(char *), cmp_str);
	for (size_t i = 0; err == 0 && i < n; i++) {
		struct stat st;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		snprintf(path, sizeof(path), "%s/%s", root, sub);
		if (stat(path, &st) != 0)
			continue;
		if (ignored(ign, sub, S_ISDIR(st.st_mode)))
			continue;
		if ((err = check_link(root, path, sub)) < 0)
			break;
		/* Links to directories inside the chart may repeat them: bound the whole walk. */
		if (++ws->visits > MAX_FILES) {
			err = cf_error_set(CF_ELIMIT, "chart has more than %d entries", MAX_FILES);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			for (int k = 0; k <= depth && err == 0; k++)
				if (ws->dev[k] == st.st_dev && ws->ino[k] == st.st_ino)
					err = cf_error_set(CF_EUNSAFE, "chart directory %s links back to %s",
					                   sub, k ? "its parent" : "the chart root");
			if (err < 0)
				break;
			ws->dev[depth + 1] = st.st_dev;
			ws->ino[depth + 1] = st.st_ino;
			err = walk(fs, ign, root, sub, depth + 1, ws);
		} else if (S_ISREG(st.st_mode)) {
			char *data;
			size_t len;
			if ((err = read_file(&data, &len, path, &ws->total)) == 0) {
				err = chart_files_add(fs, sub, data, len);
				free(data);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

/* ---- archives ---- */

static int safe_rel(const char *p)
{
	if (p[0] == '/' || p[0] == '\0')
		return 0;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 0;
		s += n;
		if (*s)
			s++;
	}
	return 1;
}

/* Reads every regular file of an archive in memory, dropping its first path component. */
static int load_archive_files(chart_files *fs, const char *buf, size_t len, const char *where)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t total = 0;
	int err = 0, r;

	if (!a)
		return cf_error_set(CF_ENOMEM, "out of memory");
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		err = cf_error_set(CF_EPARSE, "%s: %s", where, archive_error_string(a));
		goto done;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *slash;
		la_int64_t size = archive_entry_size(e);
		char *data;
		if (archive_entry_filetype(e) != AE_IFREG || !name)
			continue;
		if (!safe_rel(name)) {
			err = cf_error_set(CF_EUNSAFE, "chart illegally references parent directory");
			goto done;
		}
		if (!(slash = strchr(name, '/')) || !slash[1])
			continue;
		if (size < 0 || (size_t)size > MAX_FILE_BYTES) {
			err = cf_error_set(CF_ELIMIT, "decompressed chart file \"%s\" is larger than the "
			                   "maximum file size %u", name, MAX_FILE_BYTES);
			goto done;
		}
		total += (size_t)size;
		if (total > MAX_CHART_BYTES) {
			err = cf_error_set(CF_ELIMIT, "decompressed chart is larger than the maximum size "
			                   "%u", MAX_CHART_BYTES);
			goto done;
		}
		if (!(data = malloc((size_t)size + 1))) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
		if (archive_read_data(a, data, (size_t)size) != (la_ssize_t)size) {
			free(data);
			err = cf_error_set(CF_EPARSE, "%s: %s", where, archive_error_string(a));
			goto done;
		}
		err = chart_files_add(fs, slash + 1, data, (size_t)size);
		free(data);
		if (err < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF)
		err = cf_error_set(CF_EPARSE, "%s: %s", where, archive_error_string(a));
done:
	archive_read_free(a);
	return err;
}

static int load_archive(cf_helm_chart **out, const char *buf, size_t len, const char *where)
{
	chart_files fs = { 0 };
	int err = load_archive_files(&fs, buf, len, where);
	if (err == 0)
		err = chart_from_files(out, &fs, where);
	chart_files_clear(&fs);
	return err;
}

/* ---- building the tree ---- */

static int load_meta(cf_helm_chart *c, const chart_file *f)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_YAML11, .filename = "Chart.yaml" };
	const char *name;
	int err = cf_doc_load_yaml(&c->meta, f->data, f->len, &lo);
	if (err == CF_EPARSE) {
		char *m = chart_yaml_error(cf_error_last(), "Chart.yaml");
		if (m)
			err = cf_error_set(err, "cannot load Chart.yaml: error converting YAML to JSON: "
			                   "%s", m);
		free(m);
		return err;
	}
	if (err < 0)
		return cf_error_wrap(err, "cannot load Chart.yaml: ");
	switch (cf_doc_type_of(c->meta)) {
	case CF_DOC_MAP:
	case CF_DOC_NULL:
		break;
	default:
		return cf_error_set(CF_EPARSE, "cannot load Chart.yaml: error unmarshaling JSON: while "
		                    "decoding JSON: json: cannot unmarshal %s into Go value of type "
		                    "chart.Metadata", cf_doc_type_of(c->meta) == CF_DOC_SEQ ? "array" :
		                    cf_doc_type_of(c->meta) == CF_DOC_STR ? "string" :
		                    cf_doc_type_of(c->meta) == CF_DOC_BOOL ? "bool" : "number");
	}
	/* An empty file leaves the metadata empty, for validation to report. */
	if (cf_doc_type_of(c->meta) != CF_DOC_MAP) {
		cf_doc_free(c->meta);
		c->meta = NULL;
		if ((err = cf_doc_new_map(&c->meta)) < 0)
			return err;
	}
	if ((err = chart_meta_normalize(c->meta)) < 0)
		return err;
	/* Charts of Helm 2 may omit apiVersion: they are read as v1. */
	if (!cf_doc_get_str(c->meta, "apiVersion") &&
	    (err = cf_doc_map_set_str(c->meta, "apiVersion", "v1")) < 0)
		return err;
	name = cf_doc_get_str(c->meta, "name");
	c->name = strdup(name ? name : "");
	return c->name ? 0 : cf_error_set(CF_ENOMEM, "out of memory");
}

/* values.schema.json is kept as text; it is parsed when values are validated. */
static int keep_schema(cf_helm_chart *c, const chart_file *f)
{
	free(c->schema);
	if (!(c->schema = malloc(f->len + 1)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	memcpy(c->schema, f->data, f->len);
	c->schema[f->len] = '\0';
	c->schema_len = f->len;
	return 0;
}

static int load_values(cf_helm_chart *c, const chart_file *f)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_YAML11, .filename = "values.yaml" };
	cf_doc *d = NULL;
	cf_helm_val *v = NULL;
	int err = cf_doc_load_yaml(&d, f->data, f->len, &lo);
	if (err == CF_EPARSE) {
		char *m = chart_yaml_error(cf_error_last(), "values.yaml");
		if (m)
			err = cf_error_set(err, "cannot load values.yaml: error converting YAML to JSON: "
			                   "%s", m);
		free(m);
		cf_doc_free(d);
		return err;
	}
	if (err == 0 && cf_doc_type_of(d) != CF_DOC_NULL && (err = cf_helm_val_from_doc(&v, d)) == 0 &&
	    v->kind != CF_HELM_MAP)
		err = cf_error_set(CF_EPARSE, "cannot load values.yaml: error unmarshaling JSON: while "
		                   "decoding JSON: json: cannot unmarshal %s into Go value of type "
		                   "map[string]interface {}", v->kind == CF_HELM_LIST ? "array" :
		                   v->kind == CF_HELM_STR ? "string" :
		                   v->kind == CF_HELM_BOOL ? "bool" : "number");
	else if (err < 0)
		err = cf_error_wrap(err, "cannot load values.yaml: ");
	cf_doc_free(d);
	if (err < 0) {
		hv_unref(v);
		return err;
	}
	if (v) {
		hv_unref(c->values);
		c->values = v;
	}
	return 0;
}

static int add_dep(cf_helm_chart *c, cf_helm_chart *sub)
{
	cf_helm_chart **v = realloc(c->deps, (c->ndeps + 1) * sizeof(*v));
	if (!v) {
		cf_helm_chart_free(sub);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	c->deps = v;
	c->deps[c->ndeps++] = sub;
	sub->parent = c;
	return 0;
}

/* charts/<name>/... as one subchart directory, charts/<name>.tgz as an archive. */
static int load_subcharts(cf_helm_chart *c, chart_files *fs, const char *where)
{
	int err = 0;
	for (size_t i = 0; err == 0 && i < fs->n; i++) {
		const char *rest, *slash;
		char sub_where[1024];
		cf_helm_chart *sub = NULL;
		if (strncmp(fs->v[i].name, "charts/", 7) != 0 || !fs->v[i].data)
			continue;
		rest = fs->v[i].name + 7;
		slash = strchr(rest, '/');
		if (!slash) {
			size_t n = strlen(rest);
			if (n < 4 || strcmp(rest + n - 4, ".tgz") != 0)
				continue;
			snprintf(sub_where, sizeof(sub_where), "%s/charts/%s", where, rest);
			if ((err = load_archive(&sub, fs->v[i].data, fs->v[i].len, sub_where)) < 0)
				err = cf_error_wrap(err, "error unpacking subchart %s in %s: ", rest, c->name);
			else
				err = add_dep(c, sub);
			continue;
		}
		/* Gather every file of this directory and mark them used. */
		chart_files part = { 0 };
		size_t plen = (size_t)(slash - fs->v[i].name) + 1;
		char *prefix = strndup(fs->v[i].name, plen);
		if (!prefix)
			return cf_error_set(CF_ENOMEM, "out of memory");
		for (size_t j = i; err == 0 && j < fs->n; j++) {
			if (!fs->v[j].data || strncmp(fs->v[j].name, prefix, plen) != 0)
				continue;
			err = chart_files_add(&part, fs->v[j].name + plen, fs->v[j].data, fs->v[j].len);
			free(fs->v[j].data);
			fs->v[j].data = NULL;
		}
		snprintf(sub_where, sizeof(sub_where), "%s/%.*s", where, (int)plen - 1, prefix);
		if (err == 0 && (err = chart_from_files(&sub, &part, sub_where)) < 0)
			err = cf_error_wrap(err, "error unpacking subchart %.*s in %s: ", (int)plen - 8,
			                    prefix + 7, c->name);
		else if (err == 0)
			err = add_dep(c, sub);
		free(prefix);
		chart_files_clear(&part);
	}
	return err;
}

/*
 * Helm 2 charts list their dependencies in requirements.yaml; Helm reads it into the metadata
 * whatever the apiVersion (replacing Chart.yaml's list), and v1 charts also keep it and
 * requirements.lock as files.
 */
static int load_requirements(cf_helm_chart *c, const chart_files *fs)
{
	cf_doc_load_opts lo = { .schema = CF_DOC_YAML11, .filename = "requirements.yaml" };
	const char *api = cf_doc_get_str(c->meta, "apiVersion");
	int v1 = api && !strcmp(api, "v1");
	cf_doc *d = NULL, *deps;
	int err = 0;

	for (size_t i = 0; err == 0 && i < fs->n; i++) {
		const chart_file *f = &fs->v[i];
		if (v1 && !strcmp(f->name, "requirements.lock")) {
			err = chart_files_add(&c->files, f->name, f->data, f->len);
			continue;
		}
		if (strcmp(f->name, "requirements.yaml") != 0)
			continue;
		if ((err = cf_doc_load_yaml(&d, f->data, f->len, &lo)) < 0)
			return cf_error_wrap(err, "cannot load requirements.yaml: ");
		if (cf_doc_type_of(d) == CF_DOC_MAP && (deps = cf_doc_map_take(d, "dependencies")) &&
		    (err = cf_doc_map_set(c->meta, "dependencies", deps)) == 0)
			err = chart_meta_normalize(c->meta);
		cf_doc_free(d);
		d = NULL;
		if (err == 0 && v1)
			err = chart_files_add(&c->files, f->name, f->data, f->len);
	}
	return err;
}

int chart_from_files(cf_helm_chart **out, chart_files *fs, const char *where)
{
	cf_helm_chart *c = calloc(1, sizeof(*c));
	int err = 0;
	size_t i;

	if (!c || !(c->values = hv_map())) {
		free(c);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	for (i = 0; i < fs->n && strcmp(fs->v[i].name, "Chart.yaml") != 0; i++)
		;
	if (i == fs->n) {
		err = cf_error_set(CF_ENOTFOUND, "Chart.yaml file is missing");
		goto done;
	}
	if ((err = load_meta(c, &fs->v[i])) < 0)
		goto done;
	for (i = 0; err == 0 && i < fs->n; i++) {
		chart_file *f = &fs->v[i];
		if (!strcmp(f->name, "values.schema.json")) {
			err = keep_schema(c, f);
			continue;
		}
		if (!strcmp(f->name, "Chart.yaml") || !strcmp(f->name, "Chart.lock") ||
		    !strcmp(f->name, "requirements.yaml") ||
		    !strcmp(f->name, "requirements.lock") || !strncmp(f->name, "charts/", 7))
			continue;
		if (!strcmp(f->name, "values.yaml"))
			err = load_values(c, f);
		else if (!strncmp(f->name, "templates/", 10))
			err = chart_files_add(&c->templates, f->name, f->data, f->len);
		else
			err = chart_files_add(&c->files, f->name, f->data, f->len);
	}
	if (err == 0)
		err = load_requirements(c, fs);
	if (err == 0)
		err = load_subcharts(c, fs, where);
	if (err == 0)
		err = chart_meta_validate(c->meta);
done:
	if (err < 0) {
		cf_helm_chart_free(c);
		return err;
	}
	*out = c;
	return 0;
}

static int copy_files(chart_files *dst, const chart_files *src)
{
	int err = 0;
	for (size_t i = 0; err == 0 && i < src->n; i++)
		err = chart_files_add(dst, src->v[i].name, src->v[i].data, src->v[i].len);
	return err;
}

int chart_clone(cf_helm_chart **out, const cf_helm_chart *c)
{
	cf_helm_chart *n = calloc(1, sizeof(*n));
	int err = 0;
	if (!n)
		return cf_error_set(CF_ENOMEM, "out of memory");
	if (!(n->name = strdup(c->name)) || cf_doc_clone(&n->meta, c->meta) < 0 ||
	    !(n->values = hv_deep_copy(c->values, 0)) ||
	    (c->schema && !(n->schema = strndup(c->schema, c->schema_len))))
		err = cf_error_set(CF_ENOMEM, "out of memory");
	n->schema_len = c->schema_len;
	if (err == 0)
		err = copy_files(&n->templates, &c->templates);
	if (err == 0)
		err = copy_files(&n->files, &c->files);
	for (size_t i = 0; err == 0 && i < c->ndeps; i++) {
		cf_helm_chart *d = NULL;
		if ((err = chart_clone(&d, c->deps[i])) == 0)
			err = add_dep(n, d);
	}
	if (err < 0) {
		cf_helm_chart_free(n);
		return err;
	}
	*out = n;
	return 0;
}

/*
 * Helm's message for a chart file that is no gzip archive: a hint for YAML names, else the
 * content type Go's http.DetectContentType gives its first 512 bytes (zero-padded, so short
 * files read as binary).
 */
static int not_gzip(const char *name, const char *buf, size_t len)
{
	const char *ext = strrchr(name, '.');
	const char *type = "text/plain; charset=utf-8";

	if (ext && (!strcmp(ext, ".yaml") || !strcmp(ext, ".yml")))
		return cf_error_set(CF_EPARSE, "file '%s' seems to be a YAML file, but expected a "
		                    "gzipped archive", name);
	if (len < 512) {
		type = "application/octet-stream";
	} else {
		for (size_t i = 0; i < 512; i++) {
			unsigned char c = (unsigned char)buf[i];
			if (c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f)) {
				type = "application/octet-stream";
				break;
			}
		}
	}
	return cf_error_set(CF_EPARSE, "file '%s' does not appear to be a gzipped archive; got '%s'",
	                    name, type);
}

int cf_helm_chart_load(cf_helm_chart **out, const char *path)
{
	struct stat st;
	chart_files fs = { 0 };
	ignore_rules ign = { 0 };
	size_t total = 0;
	walk_state *ws = NULL;
	int err;

	*out = NULL;
	if (stat(path, &st) != 0)
		return cf_error_set(CF_ENOTFOUND, "path \"%s\" not found", path);
	if (S_ISDIR(st.st_mode)) {
		if (!(ws = calloc(1, sizeof(*ws))))
			return cf_error_set(CF_ENOMEM, "out of memory");
		ws->dev[0] = st.st_dev;
		ws->ino[0] = st.st_ino;
		if ((err = ignore_load(&ign, path)) == 0 && (err = walk(&fs, &ign, path, "", 0, ws)) == 0)
			err = chart_from_files(out, &fs, path);
	} else {
		char *buf = NULL, *abs;
		size_t len = 0;
		if ((err = read_file(&buf, &len, path, &total)) == 0 &&
		    (len < 2 || (unsigned char)buf[0] != 0x1f || (unsigned char)buf[1] != 0x8b)) {
			abs = realpath(path, NULL);
			err = not_gzip(abs ? abs : path, buf, len);
			free(abs);
		} else if (err == 0) {
			err = load_archive(out, buf, len, path);
		}
		free(buf);
	}
	free(ws);
	ignore_free(&ign);
	chart_files_clear(&fs);
	return err;
}
