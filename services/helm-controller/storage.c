/* Release records in the Secret format the helm CLI reads: sh.helm.release.v1.<name>.v<N>, base64(gzip(JSON)). */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "cf/error.h"

#define RECORD_MAX (8u << 20) /* a Secret is at most 1 MiB; inflating beyond 8 MiB is hostile */

void hc_storage_key(char *buf, size_t size, const char *name, int version)
{
	snprintf(buf, size, "sh.helm.release.v1.%s.v%d", name, version);
}

char *hc_b64_encode(const void *buf, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

static unsigned char *b64_decode(const char *in, size_t *out_len)
{
	size_t len = strlen(in);
	unsigned char *out;
	int n;

	if (len % 4 != 0 || !(out = malloc(len / 4 * 3 + 1)))
		return NULL;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len)) < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts padding as zero bytes. */
	*out_len = (size_t)n - (len && in[len - 1] == '=') - (len > 1 && in[len - 2] == '=');
	return out;
}

/* gzip at best compression, as Helm's encodeRelease does. */
static int gzip_buf(unsigned char **out, size_t *out_len, const char *in, size_t len)
{
	z_stream z = {0};
	uLong cap;
	int rc;

	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return cf_error_set(CF_ENOMEM, "gzip init failed");
	cap = deflateBound(&z, len) + 32;
	if (!(*out = malloc(cap))) {
		deflateEnd(&z);
		return CF_ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return cf_error_set(CF_ERROR, "gzip failed");
	}
	return 0;
}

/* gunzip with a size bound; plain JSON (no gzip magic) is accepted as Helm does. */
static int gunzip_buf(char **out, const unsigned char *in, size_t len)
{
	z_stream z = {0};
	size_t cap = 65536, used = 0;
	char *buf;
	int rc;

	if (len < 3 || in[0] != 0x1f || in[1] != 0x8b || in[2] != 0x08) {
		if (!(*out = malloc(len + 1)))
			return CF_ENOMEM;
		memcpy(*out, in, len);
		(*out)[len] = '\0';
		return 0;
	}
	if (inflateInit2(&z, 47) != Z_OK || !(buf = malloc(cap)))
		return cf_error_set(CF_ENOMEM, "gunzip init failed");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	do {
		if (cap - used < 2) {
			char *n;
			if (cap >= RECORD_MAX || !(n = realloc(buf, cap * 2))) {
				rc = Z_MEM_ERROR;
				break;
			}
			buf = n;
			cap *= 2;
		}
		z.next_out = (Bytef *)buf + used;
		z.avail_out = (uInt)(cap - used - 1);
		rc = inflate(&z, Z_NO_FLUSH);
		used = z.total_out;
	} while (rc == Z_OK);
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return cf_error_set(rc == Z_MEM_ERROR ? CF_ELIMIT : CF_EPARSE, "release record is not valid gzip");
	}
	buf[used] = '\0';
	*out = buf;
	return 0;
}

static json_t *release_json(const hc_release *rel)
{
	json_t *j = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s},s:{s:O,s:n,s:[],s:O,s:n,s:[]},s:O,s:s,s:i,s:s}",
			 "name", rel->name,
			 "info", "first_deployed", rel->first_deployed, "last_deployed", rel->last_deployed,
			 "deleted", "", "description", rel->description, "status", rel->status, "notes", "",
			 "chart", "metadata", rel->chart_meta, "lock", "templates", "values", rel->chart_values,
			 "schema", "files",
			 "config", rel->config, "manifest", rel->manifest ? rel->manifest : "",
			 "version", rel->version, "namespace", rel->ns);

	/* Helm leaves hooks out when there are none (omitempty). */
	if (j && json_array_size(rel->hooks))
		json_object_set(j, "hooks", (json_t *)rel->hooks);
	return j;
}

/* Applies the Secret holding payload (Helm's single-encoded text) with Helm's labels. */
static int put_secret(cf_kube *kube, const char *ns, const char *name, int version, const char *status,
		      const char *payload)
{
	char key[512], ver[32], now[32];
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER, .force = 1};
	char *wire = hc_b64_encode(payload, strlen(payload)), *body = NULL;
	json_t *secret;
	int err;

	if (!wire)
		return CF_ENOMEM;
	hc_storage_key(key, sizeof(key), name, version);
	snprintf(ver, sizeof(ver), "%d", version);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	secret = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s}},s:{s:s}}", "apiVersion", "v1",
			   "kind", "Secret", "type", "helm.sh/release.v1", "metadata", "name", key, "namespace", ns,
			   "labels", "name", name, "owner", "helm", "status", status, "version", ver,
			   "modifiedAt", now, "data", "release", wire);
	free(wire);
	if (!secret || !(body = json_dumps(secret, JSON_COMPACT))) {
		json_decref(secret);
		return CF_ENOMEM;
	}
	cf_kube_ref ref = {"v1", "Secret", ns, key};
	err = cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &wo);
	free(body);
	json_decref(secret);
	return err;
}

static int put_release(cf_kube *kube, const char *ns, const json_t *rel)
{
	char *text = json_dumps(rel, JSON_COMPACT | JSON_SORT_KEYS), *payload = NULL;
	unsigned char *gz = NULL;
	size_t gz_len = 0;
	int err;

	if (!text)
		return CF_ENOMEM;
	if ((err = gzip_buf(&gz, &gz_len, text, strlen(text))) < 0)
		goto done;
	if (!(payload = hc_b64_encode(gz, gz_len))) {
		err = CF_ENOMEM;
		goto done;
	}
	err = put_secret(kube, ns, json_string_value(json_object_get(rel, "name")),
			 (int)json_integer_value(json_object_get(rel, "version")),
			 json_string_value(json_object_get(json_object_get(rel, "info"), "status")), payload);
done:
	free(text);
	free(gz);
	free(payload);
	return err;
}

int hc_storage_write(cf_kube *kube, const char *ns, const hc_release *rel)
{
	json_t *j = release_json(rel);
	int err;

	if (!j)
		return cf_error_set(CF_EINVALID, "release %s v%d is incomplete", rel->name, rel->version);
	err = put_release(kube, ns, j);
	json_decref(j);
	return err;
}

int hc_storage_write_json(cf_kube *kube, const char *ns, const json_t *rel)
{
	if (!json_is_string(json_object_get(rel, "name")) || !json_is_integer(json_object_get(rel, "version")) ||
	    !cf_object_str(rel, "info.status"))
		return cf_error_set(CF_EINVALID, "release record is incomplete");
	return put_release(kube, ns, rel);
}

int hc_storage_read(json_t **out, cf_kube *kube, const char *ns, const char *name, int version)
{
	char key[512], *text = NULL, *plain = NULL;
	unsigned char *wire = NULL, *gz = NULL;
	size_t wire_len = 0, gz_len = 0;
	json_t *secret = NULL;
	int err;

	hc_storage_key(key, sizeof(key), name, version);
	cf_kube_ref ref = {"v1", "Secret", ns, key};
	if ((err = cf_kube_get(kube, &text, &ref)) < 0)
		return err;
	err = CF_EPARSE;
	const char *data;
	if (!(secret = json_loads(text, 0, NULL)) ||
	    !(data = json_string_value(json_object_get(json_object_get(secret, "data"), "release"))) ||
	    !(wire = b64_decode(data, &wire_len)))
		goto bad;
	wire[wire_len] = '\0';
	if (!(gz = b64_decode((const char *)wire, &gz_len)))
		goto bad;
	if ((err = gunzip_buf(&plain, gz, gz_len)) < 0)
		goto done;
	if (!(*out = json_loads(plain, 0, NULL)))
		goto bad;
	err = 0;
	goto done;
bad:
	err = cf_error_set(CF_EPARSE, "release record %s/%s is not valid", ns, key);
done:
	free(text);
	free(plain);
	free(wire);
	free(gz);
	json_decref(secret);
	return err;
}

int hc_storage_set_status(cf_kube *kube, const char *ns, const char *name, int version, const char *status,
			  const char *description)
{
	json_t *rel = NULL;
	int err;

	if ((err = hc_storage_read(&rel, kube, ns, name, version)) < 0)
		return err;
	if (!json_is_object(json_object_get(rel, "info"))) {
		json_decref(rel);
		return cf_error_set(CF_EPARSE, "release record %s v%d has no info", name, version);
	}
	json_object_set_new(json_object_get(rel, "info"), "status", json_string(status));
	if (description)
		json_object_set_new(json_object_get(rel, "info"), "description", json_string(description));
	err = put_release(kube, ns, rel);
	json_decref(rel);
	return err;
}

int hc_storage_delete(cf_kube *kube, const char *ns, const char *name, int version)
{
	char key[512];
	cf_kube_ref ref;
	int err;

	hc_storage_key(key, sizeof(key), name, version);
	ref = (cf_kube_ref){"v1", "Secret", ns, key};
	err = cf_kube_delete(kube, NULL, &ref, NULL);
	return err == CF_ENOTFOUND ? 0 : err;
}

/* What the labels of one record Secret say. */
typedef struct {
	int version;
	char status[32];
	int64_t modified;
	json_t *versions; /* for hc_storage_supersede: every listed revision */
} last_seen;

static int collect_last(void *ctx, const char *item, size_t len)
{
	last_seen *seen = ctx;
	json_t *obj = json_loadb(item, len, 0, NULL);
	const char *v = cf_object_meta(obj, "labels", "version"), *st = cf_object_meta(obj, "labels", "status");
	const char *mod = cf_object_meta(obj, "labels", "modifiedAt");
	long version = v ? strtol(v, NULL, 10) : 0;

	if (!mod)
		mod = cf_object_meta(obj, "labels", "createdAt");
	if (version > 0 && version < (1L << 30)) {
		if (seen->versions)
			json_array_append_new(seen->versions, json_integer(version));
		if (version > seen->version) {
			seen->version = (int)version;
			snprintf(seen->status, sizeof(seen->status), "%s", st ? st : "unknown");
			seen->modified = mod ? strtoll(mod, NULL, 10) : 0;
		}
	}
	json_decref(obj);
	return 0;
}

static int list_records(last_seen *seen, cf_kube *kube, const char *ns, const char *name, const char *status)
{
	char selector[400];
	cf_kube_list_opts lo = {.label_selector = selector};
	cf_kube_ref ref = {"v1", "Secret", ns, NULL};

	snprintf(selector, sizeof(selector), "owner=helm,name=%s%s%s", name, status ? ",status=" : "", status ? status : "");
	return cf_kube_list(kube, NULL, &ref, &lo, collect_last, seen);
}

int hc_storage_last(int *version, char *status, size_t status_size, int64_t *modified, cf_kube *kube, const char *ns,
		    const char *name)
{
	last_seen seen = {0};
	int err;

	if ((err = list_records(&seen, kube, ns, name, NULL)) < 0)
		return err;
	if (seen.version == 0)
		return CF_ENOTFOUND;
	*version = seen.version;
	snprintf(status, status_size, "%s", seen.status);
	*modified = seen.modified;
	return 0;
}

int hc_storage_supersede(cf_kube *kube, const char *ns, const char *name, int except)
{
	last_seen seen = {.versions = json_array()};
	json_t *v;
	size_t i;
	int err;

	if ((err = list_records(&seen, kube, ns, name, "deployed")) < 0)
		goto done;
	json_array_foreach(seen.versions, i, v) {
		int version = (int)json_integer_value(v);
		if (version != except &&
		    (err = hc_storage_set_status(kube, ns, name, version, "superseded", NULL)) < 0 && err != CF_ENOTFOUND)
			goto done;
		err = 0;
	}
done:
	json_decref(seen.versions);
	return err;
}

/* Go's RFC3339Nano in UTC, trailing zeros of the fraction dropped. */
void hc_time_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char frac[16];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
	for (n = (int)strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	if (n == 1)
		frac[0] = '\0';
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int hc_storage_deployed(int *version, cf_kube *kube, const char *ns, const char *name)
{
	last_seen seen = {0};
	int err;

	if ((err = list_records(&seen, kube, ns, name, "deployed")) < 0)
		return err;
	if (seen.version == 0)
		return CF_ENOTFOUND;
	*version = seen.version;
	return 0;
}
