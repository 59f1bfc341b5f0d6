/* status.history: Flux's snapshots of the last reconciliations, one per digest of built manifests and outcome. */
#include "kc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cf/duration.h"
#include "cf/error.h"

/* Flux's meta.HistoryMaxSize. */
#define HISTORY_MAX 5

int kc_history_digest(char *out, size_t size, const json_t *objects)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t i;
	json_t *o;
	int err = 0;

	if (!md)
		return cf_error_set(CF_ENOMEM, "out of memory hashing manifests");
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		err = cf_error_set(CF_ERROR, "sha256 is not available");
		goto done;
	}
	/* Sorted keys make the digest a function of the manifests, not of the order fields were built in. */
	json_array_foreach(objects, i, o) {
		char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text) {
			err = cf_error_set(CF_ENOMEM, "out of memory hashing manifests");
			goto done;
		}
		EVP_DigestUpdate(md, text, strlen(text));
		EVP_DigestUpdate(md, "\n", 1);
		free(text);
	}
	if (EVP_DigestFinal_ex(md, sum, &n) != 1 || size < 8 + 2 * (size_t)n) {
		err = cf_error_set(CF_ERROR, "hashing manifests failed");
		goto done;
	}
	snprintf(out, size, "sha256:");
	for (unsigned int k = 0; k < n; k++)
		snprintf(out + 7 + 2 * k, size - 7 - 2 * k, "%02x", sum[k]);
done:
	EVP_MD_CTX_free(md);
	return err;
}

static json_t *history_of(json_t *obj)
{
	json_t *status = json_object_get(obj, "status"), *h;

	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(obj, "status", status);
	}
	if (!json_is_array(h = json_object_get(status, "history"))) {
		h = json_array();
		json_object_set_new(status, "history", h);
	}
	return h;
}

int kc_history_upsert(json_t *obj, const char *digest, time_t now, int64_t duration_ms, const char *status,
		      const char *revision)
{
	json_t *h = history_of(obj), *snap = NULL, *e;
	char when[32], took[64];
	size_t i;

	if (!h)
		return cf_error_set(CF_ENOMEM, "out of memory");
	cf_cond_format_time(when, sizeof(when), now);
	cf_duration_format(took, sizeof(took), duration_ms * 1000000);
	/* The same manifests with the same outcome update their snapshot and move it to the front. */
	json_array_foreach(h, i, e) {
		const char *d = cf_object_str(e, "digest"), *s = cf_object_str(e, "lastReconciledStatus");
		if (d && s && strcmp(d, digest) == 0 && strcmp(s, status) == 0) {
			snap = json_incref(e);
			json_array_remove(h, i);
			break;
		}
	}
	if (!snap)
		snap = json_pack("{s:s,s:s,s:s,s:I}", "digest", digest, "firstReconciled", when, "lastReconciledStatus",
				 status, "totalReconciliations", (json_int_t)0);
	if (!snap)
		return cf_error_set(CF_ENOMEM, "out of memory");
	json_object_set_new(snap, "lastReconciled", json_string(when));
	json_object_set_new(snap, "lastReconciledDuration", json_string(took));
	json_object_set_new(snap, "totalReconciliations",
			    json_integer(json_integer_value(json_object_get(snap, "totalReconciliations")) + 1));
	json_object_set_new(snap, "metadata", json_pack("{s:s}", "revision", revision ? revision : ""));
	json_array_insert_new(h, 0, snap);
	while (json_array_size(h) > HISTORY_MAX)
		json_array_remove(h, json_array_size(h) - 1);
	return 0;
}
