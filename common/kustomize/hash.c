/* kustomize's content hash for generated ConfigMaps and Secrets, and the name suffix it makes. */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

int kz_base64(char **out, const unsigned char *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = malloc((len + 2) / 3 * 4 + 1), *p;

	if (!o)
		return cf_error_set(CF_ENOMEM, "out of memory");
	p = o;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		*p++ = tab[(v >> 18) & 63];
		*p++ = tab[(v >> 12) & 63];
		*p++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*p++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*p = '\0';
	*out = o;
	return 0;
}

/* A field for the hash input: a copy of the map, or "" when missing (as kustomize encodes it). */
static int hash_field(cf_doc *m, const cf_doc *obj, const char *key, int only_if_map)
{
	cf_doc *v = cf_doc_get(obj, key), *copy = NULL;
	int err;

	if (only_if_map && cf_doc_type_of(v) != CF_DOC_MAP)
		return 0;
	if (!v)
		return cf_doc_map_set_str(m, key, "");
	if (cf_doc_type_of(v) != CF_DOC_MAP && cf_doc_type_of(v) != CF_DOC_SEQ) {
		const char *t = cf_doc_text(v);
		return cf_doc_map_set_str(m, key, t ? t : "");
	}
	if ((err = cf_doc_clone(&copy, v)) < 0)
		return err;
	return cf_doc_map_set(m, key, copy);
}

int kz_hash_object(char out[11], const cf_doc *obj)
{
	const char *kind = cf_doc_get_str(obj, "kind");
	cf_doc *m = NULL;
	char *json = NULL;
	size_t len = 0;
	unsigned char md[SHA256_DIGEST_LENGTH];
	cf_doc_json_opts jo = {.sort_keys = 1, .escape_html = 1};
	int err;

	if ((err = cf_doc_new_map(&m)) < 0)
		return err;
	if (kind && strcmp(kind, "Secret") == 0) {
		if ((err = cf_doc_map_set_str(m, "kind", "Secret")) < 0 ||
		    (err = hash_field(m, obj, "type", 0)) < 0 ||
		    (err = cf_doc_map_set_str(m, "name", "")) < 0 ||
		    (err = hash_field(m, obj, "data", 0)) < 0 ||
		    (err = hash_field(m, obj, "stringData", 1)) < 0)
			goto done;
	} else if (kind && strcmp(kind, "ConfigMap") == 0) {
		if ((err = cf_doc_map_set_str(m, "kind", "ConfigMap")) < 0 ||
		    (err = cf_doc_map_set_str(m, "name", "")) < 0 ||
		    (err = hash_field(m, obj, "data", 0)) < 0 ||
		    (err = hash_field(m, obj, "binaryData", 1)) < 0)
			goto done;
	} else {
		cf_doc_free(m);
		m = NULL;
		if ((err = cf_doc_clone(&m, obj)) < 0)
			goto done;
	}
	if ((err = cf_doc_emit_json(&json, &len, m, &jo)) < 0)
		goto done;
	SHA256((const unsigned char *)json, len, md);
	for (int i = 0; i < 5; i++) {
		static const char hex[] = "0123456789abcdef";
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	/* kubectl's encoding avoids vowels and look-alike digits so no word is spelt. */
	for (int i = 0; i < 10; i++) {
		switch (out[i]) {
		case '0': out[i] = 'g'; break;
		case '1': out[i] = 'h'; break;
		case '3': out[i] = 'k'; break;
		case 'a': out[i] = 'm'; break;
		case 'e': out[i] = 't'; break;
		default: break;
		}
	}
	out[10] = '\0';
done:
	cf_doc_free(m);
	free(json);
	return err;
}

int kz_hash_suffix_all(kz_resmap *m)
{
	int err = 0;

	for (size_t i = 0; i < m->len && err == 0; i++) {
		kz_res *r = m->items[i];
		char h[11], *name;

		if (!r->needs_hash)
			continue;
		if ((err = kz_hash_object(h, r->obj)) < 0)
			break;
		if (!(name = kz_asprintf("%s-%s", kz_res_name(r), h)))
			return cf_error_set(CF_ENOMEM, "out of memory");
		err = kz_res_set_name(r, name);
		free(name);
		r->needs_hash = 0;
	}
	return err;
}
