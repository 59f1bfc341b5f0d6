/*
 * The pure parts of source-controller's Helm sources: repository index parsing and version
 * resolution, chart URL resolution, chart metadata, .helmignore rules, values merging and chart
 * packaging. No Kubernetes here, so they are unit-tested and benchmarked on their own.
 */
#ifndef SC_HELMSOURCE_H
#define SC_HELMSOURCE_H

#include <stddef.h>
#include <stdint.h>

/* ---- repository index (helmindex.c) ---- */

/*
 * What version resolution needs from index.yaml, and nothing more: chart name -> versions with
 * their first URL, digest and creation time. Strings live in an arena owned by the index.
 */
typedef struct sc_helm_index sc_helm_index;

typedef struct {
	const char *name;      /* chart name (the entries key) */
	const char *version;   /* as written in the index */
	const char *url;       /* urls[0] as written (relative or absolute), or NULL */
	const char *digest;    /* hex sha256 as written, or NULL */
	int64_t created_ns;    /* "created" as Unix nanoseconds, 0 when absent or unparsable */
} sc_helm_chart_version;

/*
 * Parses an index with libyaml's event API, keeping only the fields above. Helm's rules: an empty
 * input is CF_EPARSE "empty index.yaml file", a missing apiVersion CF_EPARSE "no API version
 * specified", entries without a name-less or with a version that is not semver are skipped as
 * Helm skips them. Aliases in the fields kept are CF_EUNSUPPORTED. YAML errors are CF_EPARSE with
 * "line L column C: problem". CF_ENOMEM. *out is freed with sc_helm_index_free.
 */
int sc_helm_index_parse(sc_helm_index **out, const char *buf, size_t len);

/* Same, streaming from a file (the whole file is never held in memory). CF_EIO when unreadable. */
int sc_helm_index_parse_file(sc_helm_index **out, const char *path);

/* NULL is a no-op. */
void sc_helm_index_free(sc_helm_index *idx);

/* Number of chart names and of versions kept. */
size_t sc_helm_index_chart_count(const sc_helm_index *idx);
size_t sc_helm_index_version_count(const sc_helm_index *idx);

/* Bytes allocated by the index (arena and tables), for memory accounting. */
size_t sc_helm_index_bytes(const sc_helm_index *idx);

/*
 * Resolves chart name and version constraint (NULL or "" means "*") the way Flux's
 * ChartRepository does: an exact string match first, then the highest version (strict semver, a
 * leading "v" allowed) satisfying the constraint, with Masterminds' pre-release rules; versions
 * equal but for build metadata are ordered by creation time. *out is borrowed from idx.
 * Returns 0, CF_ENOTFOUND ("no chart name found" / "no '<name>' chart with version matching
 * '<constraint>' found"), CF_EPARSE (bad constraint).
 */
int sc_helm_index_get(const sc_helm_chart_version **out, const sc_helm_index *idx, const char *name,
		      const char *constraint);

/*
 * The URL a chart is downloaded from: an absolute chart URL as is; a relative one resolved
 * against the repository URL with a trailing "/" added to its path, keeping the repository
 * URL's query, as Flux does. *out is malloc'd. CF_EINVALID for URLs that do not parse.
 */
int sc_helm_url_resolve(char **out, const char *repo_url, const char *chart_url);

/* The index URL of a repository: "<url path>/index.yaml", query kept. *out malloc'd. */
int sc_helm_url_index(char **out, const char *repo_url);

/* ---- HTTP (helmfetch.c) ---- */

typedef struct {
	const char *username, *password;     /* basic auth, both or neither */
	const char *ca_pem;                  /* extra trust anchors (PEM) */
	const char *cert_pem, *key_pem;      /* client certificate (PEM) */
	/*
	 * Credentials go only to a URL with this one's scheme and host, unless pass_credentials
	 * (Helm's passCredentialsAll); redirects to another host drop them too. NULL: the fetched URL.
	 */
	const char *auth_url;
	int pass_credentials;
	long timeout_ms;                     /* whole transfer; 0: none */
	uint64_t max_size;                   /* body limit; 0: none */
	const char *what;                    /* "index", "chart": used in messages */
} sc_http_opts;

/*
 * GETs url (http or https, redirects followed) into a new malloc'd buffer (NUL-terminated, not
 * counted). Returns 0, CF_EAUTH (401), CF_EFORBIDDEN (403), CF_ENOTFOUND (404), CF_ELIMIT (body
 * over max_size), CF_ETIMEOUT, CF_ENET (connection or TLS failure), CF_EINVALID (bad URL or
 * PEM), CF_ERROR (other HTTP status), CF_ENOMEM; the message names the URL and status.
 */
int sc_http_get(void **out, size_t *out_len, const char *url, const sc_http_opts *opts);

/* ---- charts (chartpackage.c, helmignore.c, helmvalues.c) ---- */

/* Chart.yaml fields the controller reads. */
typedef struct {
	char *api_version;
	char *name;
	char *version;
} sc_helm_chart_meta;

/*
 * Reads and checks <dir>/Chart.yaml as Helm's metadata validation does: apiVersion, name and a
 * semver version are required. CF_ENOTFOUND (no Chart.yaml), CF_EPARSE, CF_EINVALID.
 * Free the strings with sc_helm_chart_meta_clear.
 */
int sc_helm_chart_meta_load(sc_helm_chart_meta *out, const char *dir);
void sc_helm_chart_meta_clear(sc_helm_chart_meta *m);

/*
 * Helm's .helmignore rules (pkg/ignore): blank and '#' lines skipped, "!" negates, a trailing "/"
 * only matches directories, a pattern with a leading "/" or containing "/" matches the whole
 * relative path, otherwise the base name; "**" is rejected; Helm's default "templates/.?*" is
 * always there.
 */
typedef struct sc_helm_ignore sc_helm_ignore;

/* Loads <chart_dir>/.helmignore if present (absent: defaults only). CF_EINVALID for "**". */
int sc_helm_ignore_load(sc_helm_ignore **out, const char *chart_dir);
/* Adds the rules of text. */
int sc_helm_ignore_add(sc_helm_ignore *ig, const char *text);
/* 1 when relpath (e.g. "templates/x.yaml") is ignored. */
int sc_helm_ignore_match(const sc_helm_ignore *ig, const char *relpath, int is_dir);
void sc_helm_ignore_free(sc_helm_ignore *ig);

/*
 * Merges YAML values files, in order, into one map as Flux does (nested maps merged, anything
 * else replaced by the later file), and writes it as YAML (keys sorted, as Helm writes values).
 * paths are read as is; a missing file is CF_ENOTFOUND unless ignore_missing, in which case it
 * is skipped and left out of *used (a malloc'd vector of the paths merged, *n_used long; may be
 * NULL). *out is malloc'd, NUL-terminated. CF_EPARSE for bad YAML or a file that is not a map.
 */
int sc_helm_values_merge(char **out, char ***used, size_t *n_used, const char *const *paths, size_t n,
			 int ignore_missing);

typedef struct {
	const char *version;      /* replaces Chart.yaml's version when not NULL */
	const char *values_yaml;  /* replaces values.yaml when not NULL */
	uint64_t max_file;        /* a file larger is CF_ELIMIT; 0 means 5 MiB (Flux) */
	uint64_t max_total;       /* chart bytes before compression; 0 means 100 MiB */
} sc_helm_package_opts;

/*
 * Packages chart directory dir as `helm package` lays it out: a gzip'd tar of regular files
 * named "<chart name>/<relative path>", .helmignore honoured, symlinks and special files left
 * out, vendored charts/ kept as they are. The archive is deterministic (sorted names, zero
 * mtimes, mode 0644). Writes the bytes to a new malloc'd buffer. CF_ENOTFOUND, CF_EPARSE,
 * CF_EINVALID (Chart.yaml), CF_ELIMIT, CF_EIO, CF_ENOMEM.
 */
int sc_helm_package(void **out, size_t *out_len, const char *dir, const sc_helm_package_opts *opts);

#endif
