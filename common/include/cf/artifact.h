/* Source artifacts as Flux makes them: deterministic tarballs, digests, storage, serving, fetching. */
#ifndef CF_ARTIFACT_H
#define CF_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Layout and formats follow fluxcd/pkg `artifact/storage` so Flux consumers and tools work
 * unchanged: files live at <root>/<kind-lowercase>/<namespace>/<name>/<file>, are served over plain
 * HTTP at http://<adv-addr>/<that path>, and carry a digest "<algo>:<hex>" of the stored bytes.
 * See docs/artifact.md.
 */

/* Room for the longest digest string, "sha512:" + 128 hex digits + NUL. */
#define CF_ARTIFACT_DIGEST_MAX 136

/* ---- digests ---- */

/* Incremental hash producing "<algo>:<hex>". Algorithms: "sha256" (default), "sha384", "sha512". */
typedef struct cf_artifact_hash cf_artifact_hash;

/* Starts a hash; algo NULL means sha256. Returns 0, CF_EUNSUPPORTED (unknown algo), CF_ENOMEM. */
int cf_artifact_hash_new(cf_artifact_hash **out, const char *algo);
void cf_artifact_hash_update(cf_artifact_hash *h, const void *buf, size_t len);
/* Writes "<algo>:<hex>" into out (size >= CF_ARTIFACT_DIGEST_MAX). The hash cannot be reused. */
void cf_artifact_hash_final(char *out, cf_artifact_hash *h);
/* NULL is a no-op. */
void cf_artifact_hash_free(cf_artifact_hash *h);

/* Digest of a buffer / of a file's bytes into out (CF_ARTIFACT_DIGEST_MAX). algo NULL = sha256. */
int cf_artifact_digest_buf(char *out, const char *algo, const void *buf, size_t len);
int cf_artifact_digest_file(char *out, const char *algo, const char *path);

/*
 * Checks a digest string against the computed one. expected is "<algo>:<hex>" (hex compared
 * case-insensitively); actual is what cf_artifact_hash_final wrote for the same algo. Returns 0,
 * CF_EINVALID (expected is malformed), CF_EDIGEST (mismatch; the message names both digests).
 */
int cf_artifact_digest_compare(const char *expected, const char *actual);

/* Parses the algorithm of "<algo>:<hex>" into out (size >= 16). CF_EINVALID / CF_EUNSUPPORTED. */
int cf_artifact_digest_algo(char *out, size_t size, const char *digest);

/* ---- deterministic tarball ---- */

typedef enum {
	CF_ARTIFACT_INCLUDE = 0, /* put the entry in the archive */
	CF_ARTIFACT_EXCLUDE = 1, /* leave this entry out (a directory's children are still asked) */
	CF_ARTIFACT_PRUNE = 2,   /* leave a directory and everything under it out */
} cf_artifact_filter_result;

/*
 * Asked for every file and directory under the archived root, with its path relative to the root
 * ("a/b.yaml", no leading "./"), before it is added. Implements .sourceignore and spec.ignore.
 */
typedef cf_artifact_filter_result (*cf_artifact_filter)(void *data, const char *relpath, int is_dir);

typedef struct {
	char digest[CF_ARTIFACT_DIGEST_MAX]; /* "<algo>:<hex>" of the bytes written */
	uint64_t size;                       /* bytes written */
} cf_artifact_file_info;

/*
 * Writes dir as a gzip'd tar to dest_path, atomically (temp file in the same directory, then
 * rename; mode 0600). Like Flux's Archive: entries in lexical walk order (a directory, then its
 * children sorted by name), the root as ".", regular files and directories only (symlinks, sockets,
 * devices are skipped, never followed), uid/gid 0, no user/group names, zero mtimes, modes 0750 for
 * directories, 0700 for files with any execute bit, 0600 otherwise; gzip without name or
 * timestamp. The same tree always gives the same bytes. filter may be NULL. algo NULL = sha256.
 * Returns 0, CF_ENOTFOUND (dir missing), CF_EINVALID (dir not a directory), CF_EIO,
 * CF_EUNSUPPORTED (algo), CF_ENOMEM. Nothing is left at dest_path on failure.
 */
int cf_artifact_archive(cf_artifact_file_info *out, const char *dest_path, const char *dir,
			const char *algo, cf_artifact_filter filter, void *data);

/* ---- safe extraction ---- */

typedef struct {
	uint64_t max_total;   /* sum of file sizes; 0 means CF_ARTIFACT_MAX_TOTAL */
	uint64_t max_file;    /* one file; 0 means max_total */
	uint64_t max_entries; /* entries of any type; 0 means CF_ARTIFACT_MAX_ENTRIES */
} cf_artifact_limits;

#define CF_ARTIFACT_MAX_TOTAL (100ull << 20) /* Flux's DefaultMaxUntarSize */
#define CF_ARTIFACT_MAX_ENTRIES 100000ull

/*
 * Extracts a .tar.gz (or plain .tar) into dest_dir, which must not exist or be empty (it is
 * created, mode 0700). Accepts only regular files and directories with relative names; rejects
 * absolute names, ".." components, backslashes, symlinks, hardlinks, devices and FIFOs with
 * CF_EUNSAFE, and limit breaches with CF_ELIMIT, naming the entry. Parent directories are created
 * as needed; files get mode 0600, or 0700 when the entry has an execute bit. On any failure
 * everything written is removed again (and dest_dir too if this call created it). limits may be
 * NULL. Returns 0, CF_EUNSAFE, CF_ELIMIT, CF_EPARSE (not a tar.gz / corrupt), CF_EEXISTS (dest_dir
 * not empty), CF_EIO, CF_ENOMEM.
 */
int cf_artifact_extract_file(const char *archive_path, const char *dest_dir, const cf_artifact_limits *limits);
int cf_artifact_extract_mem(const void *buf, size_t len, const char *dest_dir, const cf_artifact_limits *limits);

/* ---- storage ---- */

typedef struct cf_artifact_storage cf_artifact_storage;

/*
 * Opens the storage rooted at root (must be an existing directory). adv_addr is the advertised
 * host[:port] used in URLs, or a full "http(s)://..." prefix. Both are copied.
 * Returns 0, CF_ENOTFOUND, CF_EINVALID, CF_ENOMEM.
 */
int cf_artifact_storage_new(cf_artifact_storage **out, const char *root, const char *adv_addr);
void cf_artifact_storage_free(cf_artifact_storage *st);

/* The root directory as given. Borrowed. */
const char *cf_artifact_storage_root(const cf_artifact_storage *st);

/*
 * The artifact path "<kind-lowercase>/<namespace>/<name>/<file>" (Flux ArtifactPath); *out is
 * malloc'd. Each part must be non-empty, without '/' and not "." or "..": CF_EINVALID otherwise.
 */
int cf_artifact_storage_path(char **out, const char *kind, const char *namespace_, const char *name,
			     const char *file);

/*
 * The local file for an artifact path: root + "/" + path; *out is malloc'd. Returns CF_EUNSAFE for
 * absolute paths or ".." components.
 */
int cf_artifact_storage_local_path(char **out, const cf_artifact_storage *st, const char *artifact_path);

/* "http://<adv-addr>/<artifact_path>" (Flux SetArtifactURL); *out is malloc'd. */
int cf_artifact_storage_url(char **out, const cf_artifact_storage *st, const char *artifact_path);

/* Archives dir into the artifact path (creating its directory, 0700). See cf_artifact_archive. */
int cf_artifact_storage_archive(cf_artifact_file_info *out, cf_artifact_storage *st, const char *artifact_path,
				const char *dir, const char *algo, cf_artifact_filter filter, void *data);

/* Writes buf atomically to the artifact path (e.g. a Helm index or chart), mode 0600. */
int cf_artifact_storage_write(cf_artifact_file_info *out, cf_artifact_storage *st, const char *artifact_path,
			      const void *buf, size_t len, const char *algo);

/*
 * Points <artifact dir>/<link_name> (e.g. "latest.tar.gz", "index.yaml") at the artifact, replacing
 * any previous link atomically. The link is relative (just the file name) so it stays inside the
 * storage whatever the root is mounted as. *url_out (may be NULL) gets the link's URL, malloc'd.
 */
int cf_artifact_storage_symlink(char **url_out, cf_artifact_storage *st, const char *artifact_path,
				const char *link_name);

/* 1 if the artifact path is an existing regular file (not a link), else 0. */
int cf_artifact_storage_exists(const cf_artifact_storage *st, const char *artifact_path);

/* Re-hashes the stored file and compares with digest. 0, CF_EDIGEST, CF_ENOTFOUND, CF_EIO. */
int cf_artifact_storage_verify(const cf_artifact_storage *st, const char *artifact_path, const char *digest);

/*
 * Garbage-collects the artifact's directory like Flux: never touches the current artifact,
 * symlinks or directories; deletes files older than ttl_seconds (ttl < 0: no TTL), then the oldest
 * by modification time until at most keep files remain (keep counts the current one; Flux's
 * default is 2). A "<file>.lock" next to a deleted file goes too. *removed (may be NULL) gets how
 * many files were deleted. Returns 0, CF_EIO (some file could not be removed), CF_EUNSAFE.
 */
int cf_artifact_storage_gc(size_t *removed, cf_artifact_storage *st, const char *artifact_path, int keep,
			   int64_t ttl_seconds);

/* Removes <root>/<kind>/<ns>/<name> and everything in it (object deleted). Missing is not an error. */
int cf_artifact_storage_remove_all(cf_artifact_storage *st, const char *kind, const char *namespace_,
				   const char *name);

/* ---- HTTP file server ---- */

typedef struct cf_artifact_server cf_artifact_server;

/*
 * Serves the regular files under root over HTTP/1.1 GET and HEAD with Content-Length, from its own
 * threads. addr is "host:port", ":port" (all interfaces) or "[v6]:port"; port 0 picks a free one
 * (see cf_artifact_server_port). Paths with "." or ".." segments (also percent-encoded) get 400;
 * anything that is not a regular file resolving inside root (missing, directory, symlink pointing
 * out) gets 404; "/" answers 200 with an empty body for readiness probes; no listings.
 * Returns 0, CF_EINVALID (bad addr or root), CF_EIO (bind failed), CF_ENOMEM.
 */
int cf_artifact_server_start(cf_artifact_server **out, const char *root, const char *addr);

/* The bound TCP port. */
int cf_artifact_server_port(const cf_artifact_server *srv);

/* Stops serving (waits for in-flight requests) and frees. NULL is a no-op. */
void cf_artifact_server_free(cf_artifact_server *srv);

/* ---- fetch and verify ---- */

typedef struct {
	uint64_t max_size; /* body limit in bytes; 0 means CF_ARTIFACT_MAX_TOTAL */
	int retries;       /* extra attempts on network errors, 429 and 5xx (Flux --http-retry: 9) */
	long timeout_ms;   /* per attempt; 0 means none */
	long backoff_ms;   /* first retry delay, doubled per retry up to 30 s; 0 means 1000 */
} cf_artifact_fetch_opts;

/*
 * GETs url (http or https, redirects followed) into memory and checks it against digest
 * ("<algo>:<hex>", required). *out is malloc'd (NUL-terminated for convenience, not counted in
 * *out_len). opts may be NULL (defaults, no retries). Returns 0, CF_ENOTFOUND (404), CF_EDIGEST,
 * CF_ELIMIT (body larger than max_size), CF_EAUTH (401), CF_EFORBIDDEN (403), CF_ENET (connection
 * failed after retries), CF_ETIMEOUT, CF_EUNAVAILABLE (429/503 after retries), CF_EINTERNAL (other
 * 5xx), CF_EINVALID (bad digest or URL), CF_ERROR (other HTTP status), CF_ENOMEM.
 */
int cf_artifact_fetch_mem(void **out, size_t *out_len, const char *url, const char *digest,
			  const cf_artifact_fetch_opts *opts);

/*
 * Same, into dest_path, atomically: the body is written to a temp file next to it and renamed only
 * once the digest matched; on failure nothing is left at dest_path.
 */
int cf_artifact_fetch_file(const char *dest_path, const char *url, const char *digest,
			   const cf_artifact_fetch_opts *opts);

#endif
