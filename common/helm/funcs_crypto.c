/* Sprig's crypto functions on OpenSSL and libxcrypt: hashes, keys, certificates, AES, bcrypt. */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

static int ret_buf(hbuf *b, cf_helm_val **out)
{
	size_t len;
	char *s;
	if (b->err) {
		hbuf_free(b);
		return CF_ENOMEM;
	}
	s = hbuf_take(b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int ret_str(cf_helm_val **out, const char *s)
{
	*out = hv_str(s);
	return *out ? 0 : CF_ENOMEM;
}

static int digest_hex(fcall *c, cf_helm_val **out, const EVP_MD *md)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	hbuf b;
	if (!EVP_Digest(c->args[0]->s.p, c->args[0]->s.len, d, &n, md, NULL))
		return cf_error_set(CF_EINTERNAL, "digest failed");
	hbuf_init(&b, 0);
	for (i = 0; i < n; i++)
		hbuf_printf(&b, "%02x", d[i]);
	return ret_buf(&b, out);
}

static int fn_sha1sum(fcall *c, cf_helm_val **out) { return digest_hex(c, out, EVP_sha1()); }
static int fn_sha256sum(fcall *c, cf_helm_val **out) { return digest_hex(c, out, EVP_sha256()); }
static int fn_sha512sum(fcall *c, cf_helm_val **out) { return digest_hex(c, out, EVP_sha512()); }

static int fn_adler32sum(fcall *c, cf_helm_val **out)
{
	const unsigned char *s = (const unsigned char *)c->args[0]->s.p;
	uint32_t a = 1, b = 0;
	size_t i;
	char buf[16];
	for (i = 0; i < c->args[0]->s.len; i++) {
		a = (a + s[i]) % 65521;
		b = (b + a) % 65521;
	}
	snprintf(buf, sizeof(buf), "%u", (b << 16) | a);
	return ret_str(out, buf);
}

/* bcrypt with Go's default cost 10 and its "$2a$" prefix. */
static int bcrypt_hash(fcall *c, const char *pw, size_t pwlen, hbuf *b)
{
	unsigned char rnd[16];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;
	char *pwz, *h;
	if (pwlen > 72)
		pwlen = 72; /* bcrypt reads 72 bytes at most */
	if (exec_random(c->st, rnd, sizeof(rnd)) < 0)
		return CF_EINTERNAL;
	if (!crypt_gensalt_rn("$2a$", 10, (const char *)rnd, sizeof(rnd), salt, sizeof(salt)))
		return cf_error_set(CF_EINTERNAL, "bcrypt: salt generation failed");
	pwz = malloc(pwlen + 1);
	if (!pwz)
		return CF_ENOMEM;
	memcpy(pwz, pw, pwlen);
	pwz[pwlen] = '\0';
	memset(&data, 0, sizeof(data));
	h = crypt_r(pwz, salt, &data);
	free(pwz);
	if (!h || h[0] == '*')
		return cf_error_set(CF_EINTERNAL, "bcrypt: hashing failed");
	return hbuf_puts(b, h);
}

static int fn_bcrypt(fcall *c, cf_helm_val **out)
{
	hbuf b;
	int r;
	hbuf_init(&b, 0);
	if ((r = bcrypt_hash(c, c->args[0]->s.p, c->args[0]->s.len, &b)) < 0) {
		hbuf_free(&b);
		return r;
	}
	return ret_buf(&b, out);
}

static int fn_htpasswd(fcall *c, cf_helm_val **out)
{
	hbuf b;
	int r;
	hbuf_init(&b, 0);
	if (memchr(c->args[0]->s.p, ':', c->args[0]->s.len)) {
		hbuf_printf(&b, "invalid username: %s", c->args[0]->s.p);
		return ret_buf(&b, out);
	}
	hbuf_put(&b, c->args[0]->s.p, c->args[0]->s.len);
	hbuf_putc(&b, ':');
	if ((r = bcrypt_hash(c, c->args[1]->s.p, c->args[1]->s.len, &b)) < 0) {
		hbuf_free(&b);
		return r;
	}
	return ret_buf(&b, out);
}

static int fn_rand_bytes(fcall *c, cf_helm_val **out)
{
	int64_t n = c->args[0]->i;
	unsigned char *buf;
	hbuf b;
	if (n < 0)
		return cf_error_set(CF_EINVALID, "runtime error: makeslice: len out of range");
	if ((uint64_t)n > exec_value_limit(c->st) / 2)
		return cf_error_set(CF_ELIMIT, "randBytes: count too large");
	buf = malloc((size_t)n + 1);
	if (!buf)
		return CF_ENOMEM;
	if (exec_random(c->st, buf, (size_t)n) < 0) {
		free(buf);
		return CF_EINTERNAL;
	}
	hbuf_init(&b, 0);
	enc_b64(&b, buf, (size_t)n);
	free(buf);
	return ret_buf(&b, out);
}

static int fn_uuidv4(fcall *c, cf_helm_val **out)
{
	unsigned char u[16];
	char s[40];
	if (exec_random(c->st, u, sizeof(u)) < 0)
		return CF_EINTERNAL;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(s, sizeof(s),
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
	         u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return ret_str(out, s);
}

/* ---- derivePassword (Master Password algorithm) ---- */

static const struct {
	const char *type;
	const char *const templates[22];
} pw_templates[] = {
	{ "maximum", { "anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno" } },
	{ "long", { "CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
	            "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
	            "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
	            "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
	            "CvccCvcvCvccno" } },
	{ "medium", { "CvcnoCvc", "CvcCvcno" } },
	{ "short", { "Cvcn" } },
	{ "basic", { "aaanaaan", "aannaaan", "aaannaaa" } },
	{ "pin", { "nnnn" } },
};

static const char *pw_chars(char c)
{
	switch (c) {
	case 'V': return "AEIOU";
	case 'C': return "BCDFGHJKLMNPQRSTVWXYZ";
	case 'v': return "aeiou";
	case 'c': return "bcdfghjklmnpqrstvwxyz";
	case 'A': return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
	case 'a': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
	case 'n': return "0123456789";
	case 'o': return "@&%?,=[]_:-+*$#!'^~;()/.";
	case 'x': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()";
	}
	return "";
}

static void put_be32(hbuf *b, uint32_t v)
{
	char x[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v };
	hbuf_put(b, x, 4);
}

static int fn_derive_password(fcall *c, cf_helm_val **out)
{
	static const char seed_prefix[] = "com.lyndir.masterpassword";
	const char *type = c->args[1]->s.p;
	const cf_helm_val *pw = c->args[2], *user = c->args[3], *site = c->args[4];
	const char *const *tpls = NULL;
	size_t ntpl = 0, i;
	unsigned char key[64], seed[32];
	unsigned int seedlen = 0;
	hbuf salt, msg, res;
	const char *tpl;
	for (i = 0; i < sizeof(pw_templates) / sizeof(pw_templates[0]); i++)
		if (!strcmp(pw_templates[i].type, type)) {
			tpls = pw_templates[i].templates;
			while (ntpl < 22 && tpls[ntpl])
				ntpl++;
		}
	hbuf_init(&res, 0);
	if (!tpls) {
		hbuf_printf(&res, "cannot find password template %s", type);
		return ret_buf(&res, out);
	}
	hbuf_init(&salt, 0);
	hbuf_puts(&salt, seed_prefix);
	put_be32(&salt, (uint32_t)user->s.len);
	hbuf_put(&salt, user->s.p, user->s.len);
	if (salt.err || EVP_PBE_scrypt(pw->s.p, pw->s.len, (unsigned char *)salt.p, salt.len, 32768, 8, 2,
	                               64 * 1024 * 1024, key, sizeof(key)) != 1) {
		hbuf_free(&salt);
		return cf_error_set(CF_EINTERNAL, "derivePassword: scrypt failed");
	}
	hbuf_free(&salt);
	hbuf_init(&msg, 0);
	hbuf_puts(&msg, seed_prefix);
	put_be32(&msg, (uint32_t)site->s.len);
	hbuf_put(&msg, site->s.p, site->s.len);
	put_be32(&msg, (uint32_t)c->args[0]->i);
	if (msg.err || !HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)msg.p, msg.len, seed, &seedlen)) {
		hbuf_free(&msg);
		return cf_error_set(CF_EINTERNAL, "derivePassword: hmac failed");
	}
	hbuf_free(&msg);
	tpl = tpls[seed[0] % ntpl];
	for (i = 0; tpl[i] && i + 1 < sizeof(seed); i++) {
		const char *chars = pw_chars(tpl[i]);
		hbuf_putc(&res, chars[seed[i + 1] % strlen(chars)]);
	}
	return ret_buf(&res, out);
}

/* ---- keys and certificates ---- */

static EVP_PKEY *gen_key(const char *type)
{
	if (!strcmp(type, "ecdsa"))
		return EVP_EC_gen("P-256");
	if (!strcmp(type, "ed25519"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return EVP_RSA_gen(!strcmp(type, "rsa-ca") ? 2048 : 4096);
}

/* PEM as Go's pemBlockForKey writes it: PKCS#1 for RSA, SEC1 for EC, PKCS#8 otherwise. */
static int key_pem(hbuf *b, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int ok;
	if (!bio)
		return CF_ENOMEM;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
		break;
	case EVP_PKEY_EC:
		ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
		break;
	default:
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	}
	n = BIO_get_mem_data(bio, &p);
	if (ok)
		hbuf_put(b, p, (size_t)n);
	BIO_free(bio);
	return ok ? b->err : cf_error_set(CF_EINTERNAL, "encoding private key failed");
}

static int fn_gen_private_key(fcall *c, cf_helm_val **out)
{
	const char *type = c->args[0]->s.p;
	EVP_PKEY *key;
	hbuf b;
	int r;
	hbuf_init(&b, 0);
	if (strcmp(type, "") && strcmp(type, "rsa") && strcmp(type, "ecdsa") && strcmp(type, "ed25519")) {
		if (!strcmp(type, "dsa"))
			return cf_error_set(CF_EUNSUPPORTED, "genPrivateKey: dsa keys are not supported");
		hbuf_printf(&b, "Unknown type %s", type);
		return ret_buf(&b, out);
	}
	key = gen_key(type);
	if (!key)
		return cf_error_set(CF_EINTERNAL, "failed to generate private key");
	r = key_pem(&b, key);
	EVP_PKEY_free(key);
	if (r < 0) {
		hbuf_free(&b);
		return r;
	}
	return ret_buf(&b, out);
}

static EVP_PKEY *parse_key_pem(const char *pem, size_t n)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)n);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return k;
}

static X509 *parse_cert_pem(const char *pem, size_t n)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)n);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return x;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* subjectAltName value from ips and dns lists; CF_EINVALID for non-string items. */
static int san_value(hbuf *b, const cf_helm_val *ips, const cf_helm_val *dns)
{
	size_t i;
	for (i = 0; dns && dns->kind == CF_HELM_LIST && i < dns->l.len; i++) {
		const cf_helm_val *v = dns->l.items[i];
		if (v->kind != CF_HELM_STR) {
			char *s = hv_strval(v, NULL);
			cf_error_set(CF_EINVALID, "error processing alternate dns name: %s is not a string",
			             s ? s : "");
			free(s);
			return CF_EINVALID;
		}
		hbuf_printf(b, "%sDNS:%s", b->len ? "," : "", v->s.p);
	}
	for (i = 0; ips && ips->kind == CF_HELM_LIST && i < ips->l.len; i++) {
		const cf_helm_val *v = ips->l.items[i];
		ASN1_OCTET_STRING *ip;
		if (v->kind != CF_HELM_STR) {
			char *s = hv_strval(v, NULL);
			cf_error_set(CF_EINVALID, "error parsing ip: %s is not a string", s ? s : "");
			free(s);
			return CF_EINVALID;
		}
		ip = a2i_IPADDRESS(v->s.p);
		if (!ip)
			return cf_error_set(CF_EINVALID, "error parsing ip: %s", v->s.p);
		ASN1_OCTET_STRING_free(ip);
		hbuf_printf(b, "%sIP:%s", b->len ? "," : "", v->s.p);
	}
	return b->err;
}

typedef struct {
	const char *cn;
	const cf_helm_val *ips, *dns;
	int64_t days;
	bool is_ca;
} cert_spec;

/* Builds and signs a certificate like Sprig's getBaseCertTemplate + x509.CreateCertificate. */
static int make_cert(fcall *c, const cert_spec *spec, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
                     hbuf *cert_pem)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	struct timespec now = exec_now(c->st);
	hbuf san;
	BIO *bio = NULL;
	int r = CF_EINTERNAL;
	char *p;
	long n;
	hbuf_init(&san, 0);
	if (!x)
		return CF_ENOMEM;
	if ((r = san_value(&san, spec->ips, spec->dns)) < 0)
		goto done;
	r = CF_EINTERNAL;
	if (exec_random(c->st, serial, sizeof(serial)) < 0)
		goto done;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	name = X509_NAME_new();
	if (!ai || !name || !X509_set_version(x, 2) || !X509_set_serialNumber(x, ai) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)spec->cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), now.tv_sec) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), now.tv_sec + spec->days * 86400) ||
	    !X509_set_pubkey(x, key))
		goto done;
	if (add_ext(x, issuer ? issuer : x, NID_key_usage,
	            spec->is_ca ? "critical,digitalSignature,keyEncipherment,keyCertSign"
	                        : "critical,digitalSignature,keyEncipherment") < 0 ||
	    add_ext(x, issuer ? issuer : x, NID_ext_key_usage, "serverAuth,clientAuth") < 0 ||
	    add_ext(x, issuer ? issuer : x, NID_basic_constraints,
	            spec->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") < 0 ||
	    (spec->is_ca && add_ext(x, x, NID_subject_key_identifier, "hash") < 0) ||
	    (issuer && add_ext(x, issuer, NID_authority_key_identifier, "keyid") < 0) ||
	    (san.len && add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san.p) < 0))
		goto done;
	if (!X509_sign(x, ikey ? ikey : key, EVP_PKEY_get_base_id(ikey ? ikey : key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()))
		goto done;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_X509(bio, x))
		goto done;
	n = BIO_get_mem_data(bio, &p);
	r = hbuf_put(cert_pem, p, (size_t)n);
done:
	if (r == CF_EINTERNAL)
		cf_error_set(CF_EINTERNAL, "error creating certificate");
	BIO_free(bio);
	hbuf_free(&san);
	X509_NAME_free(name);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_free(x);
	return r;
}

static void cert_free(void *data)
{
	(void)data;
}

static const cf_helm_obj_type certificate_type = {
	.type_name = "sprig.certificate",
	.is_ptr = 0,
	.free = cert_free,
};

static int ret_cert(cf_helm_val **out, hbuf *cert, hbuf *key)
{
	static const char *const names[] = { "Cert", "Key" };
	cf_helm_val *vals[2];
	size_t cl, kl;
	char *cs = hbuf_take(cert, &cl), *ks = hbuf_take(key, &kl);
	vals[0] = cs ? hv_str_take(cs, cl) : NULL;
	vals[1] = ks ? hv_str_take(ks, kl) : NULL;
	if (!vals[0] || !vals[1]) {
		if (!cs)
			free(ks);
		hv_unref(vals[0]);
		hv_unref(vals[1]);
		return CF_ENOMEM;
	}
	return cf_helm_val_new_obj(out, &certificate_type, NULL, names, vals, 2) < 0 ? CF_ENOMEM : 0;
}

/* Common path of genCA, genSelfSignedCert and genSignedCert (with or without a PEM key). */
static int gen_cert(fcall *c, cf_helm_val **out, const cert_spec *spec, const cf_helm_val *ca,
                    const cf_helm_val *key_pem_arg)
{
	EVP_PKEY *key = NULL, *ikey = NULL;
	X509 *issuer = NULL;
	hbuf cert, keyb;
	int r = 0;
	cf_helm_val *f;
	hbuf_init(&cert, 0);
	hbuf_init(&keyb, 0);
	if (key_pem_arg) {
		key = parse_key_pem(key_pem_arg->s.p, key_pem_arg->s.len);
		if (!key) {
			r = cf_error_set(CF_EINVALID, "parsing private key: no PEM data in input");
			goto done;
		}
	} else {
		key = gen_key("rsa-ca");
		if (!key) {
			r = cf_error_set(CF_EINTERNAL, "error generating rsa key");
			goto done;
		}
	}
	if (ca) {
		if (ca->kind != CF_HELM_OBJ || ca->o.type != &certificate_type) {
			r = cf_error_set(CF_EINVALID, "wrong type for value; expected sprig.certificate; got %s",
			                 hv_type_name(ca));
			goto done;
		}
		hv_obj_field(ca, "Cert", &f);
		issuer = parse_cert_pem(f->s.p, f->s.len);
		if (!issuer) {
			r = cf_error_set(CF_EINVALID, "unable to decode certificate");
			goto done;
		}
		hv_obj_field(ca, "Key", &f);
		ikey = parse_key_pem(f->s.p, f->s.len);
		if (!ikey) {
			r = cf_error_set(CF_EINVALID, "error parsing private key: no PEM data in input");
			goto done;
		}
	}
	if ((r = make_cert(c, spec, key, issuer, ikey, &cert)) < 0 || (r = key_pem(&keyb, key)) < 0)
		goto done;
	r = ret_cert(out, &cert, &keyb);
done:
	hbuf_free(&cert);
	hbuf_free(&keyb);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ikey);
	X509_free(issuer);
	return r;
}

static int fn_gen_ca(fcall *c, cf_helm_val **out)
{
	cert_spec s = { c->args[0]->s.p, NULL, NULL, c->args[1]->i, true };
	return gen_cert(c, out, &s, NULL, c->nargs > 2 ? c->args[2] : NULL);
}

static int fn_gen_self_signed(fcall *c, cf_helm_val **out)
{
	cert_spec s = { c->args[0]->s.p, c->args[1], c->args[2], c->args[3]->i, false };
	return gen_cert(c, out, &s, NULL, c->nargs > 4 ? c->args[4] : NULL);
}

static int fn_gen_signed(fcall *c, cf_helm_val **out)
{
	cert_spec s = { c->args[0]->s.p, c->args[1], c->args[2], c->args[3]->i, false };
	return gen_cert(c, out, &s, c->args[4], c->nargs > 5 ? c->args[5] : NULL);
}

static int fn_build_custom_cert(fcall *c, cf_helm_val **out)
{
	hbuf cert, key;
	X509 *x;
	EVP_PKEY *k;
	hbuf_init(&cert, 0);
	hbuf_init(&key, 0);
	if (dec_b64(&cert, c->args[0]->s.p, c->args[0]->s.len) < 0) {
		hbuf_free(&cert);
		return cf_error_set(CF_EINVALID, "unable to decode base64 certificate");
	}
	if (dec_b64(&key, c->args[1]->s.p, c->args[1]->s.len) < 0) {
		hbuf_free(&cert);
		hbuf_free(&key);
		return cf_error_set(CF_EINVALID, "unable to decode base64 private key");
	}
	x = parse_cert_pem(cert.p ? cert.p : "", cert.len);
	k = x ? parse_key_pem(key.p ? key.p : "", key.len) : NULL;
	X509_free(x);
	EVP_PKEY_free(k);
	if (!x || !k) {
		hbuf_free(&cert);
		hbuf_free(&key);
		return cf_error_set(CF_EINVALID, !x ? "unable to decode certificate"
		                                    : "error parsing private key: no PEM data in input");
	}
	return ret_cert(out, &cert, &key);
}

/* ---- AES-256-CBC with the password zero-padded to 32 bytes, IV first, base64 ---- */

static void aes_key(unsigned char key[32], const cf_helm_val *pw)
{
	memset(key, 0, 32);
	memcpy(key, pw->s.p, pw->s.len < 32 ? pw->s.len : 32);
}

static int fn_encrypt_aes(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *pt = c->args[1];
	unsigned char key[32], *buf;
	size_t padded = (pt->s.len / 16 + 1) * 16, i;
	EVP_CIPHER_CTX *ctx;
	int n1 = 0, ok;
	hbuf b;
	if (pt->s.len == 0)
		return ret_str(out, "");
	if (c->args[0]->s.len > 32)
		return cf_error_set(CF_EINVALID, "crypto/aes: invalid key size %zu", c->args[0]->s.len);
	aes_key(key, c->args[0]);
	buf = malloc(16 + padded);
	if (!buf)
		return CF_ENOMEM;
	if (exec_random(c->st, buf, 16) < 0) {
		free(buf);
		return CF_EINTERNAL;
	}
	memcpy(buf + 16, pt->s.p, pt->s.len);
	for (i = pt->s.len; i < padded; i++)
		buf[16 + i] = (unsigned char)(padded - pt->s.len);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, buf) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_EncryptUpdate(ctx, buf + 16, &n1, buf + 16, (int)padded);
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		free(buf);
		return cf_error_set(CF_EINTERNAL, "encryptAES failed");
	}
	hbuf_init(&b, 0);
	enc_b64(&b, buf, 16 + padded);
	free(buf);
	return ret_buf(&b, out);
}

static int fn_decrypt_aes(fcall *c, cf_helm_val **out)
{
	unsigned char key[32];
	hbuf raw;
	EVP_CIPHER_CTX *ctx;
	int n1 = 0, ok;
	size_t len, pad;
	if (c->args[1]->s.len == 0)
		return ret_str(out, "");
	if (c->args[0]->s.len > 32)
		return cf_error_set(CF_EINVALID, "crypto/aes: invalid key size %zu", c->args[0]->s.len);
	hbuf_init(&raw, 0);
	if (dec_b64(&raw, c->args[1]->s.p, c->args[1]->s.len) < 0) {
		hbuf_free(&raw);
		return cf_error_set(CF_EINVALID, "illegal base64 data at input byte 0");
	}
	if (raw.len < 32 || raw.len % 16) {
		hbuf_free(&raw);
		return cf_error_set(CF_EINVALID, raw.len < 16 ? "runtime error: slice bounds out of range"
		                                              : "crypto/cipher: input not full blocks");
	}
	aes_key(key, c->args[0]);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, (unsigned char *)raw.p) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_DecryptUpdate(ctx, (unsigned char *)raw.p + 16, &n1, (unsigned char *)raw.p + 16,
	                       (int)(raw.len - 16));
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		hbuf_free(&raw);
		return cf_error_set(CF_EINTERNAL, "decryptAES failed");
	}
	len = raw.len - 16;
	pad = (unsigned char)raw.p[raw.len - 1];
	if (pad > len) {
		hbuf_free(&raw);
		return cf_error_set(CF_EINVALID, "runtime error: slice bounds out of range");
	}
	*out = hv_strn(raw.p + 16, len - pad);
	hbuf_free(&raw);
	return *out ? 0 : CF_ENOMEM;
}

const func_def funcs_crypto[] = {
	{ "sha1sum", fn_sha1sum, 1, 0, { PT_STR }, 0 },
	{ "sha256sum", fn_sha256sum, 1, 0, { PT_STR }, 0 },
	{ "sha512sum", fn_sha512sum, 1, 0, { PT_STR }, 0 },
	{ "adler32sum", fn_adler32sum, 1, 0, { PT_STR }, 0 },
	{ "bcrypt", fn_bcrypt, 1, 0, { PT_STR }, 0 },
	{ "htpasswd", fn_htpasswd, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "randBytes", fn_rand_bytes, 1, 0, { PT_INT }, 0 },
	{ "uuidv4", fn_uuidv4, 0, 0, { 0 }, 0 },
	{ "derivePassword", fn_derive_password, 5, 0, { PT_INT, PT_STR, PT_STR, PT_STR, PT_STR }, 0 },
	{ "genPrivateKey", fn_gen_private_key, 1, 0, { PT_STR }, 0 },
	{ "genCA", fn_gen_ca, 2, 0, { PT_STR, PT_INT }, 0 },
	{ "genCAWithKey", fn_gen_ca, 3, 0, { PT_STR, PT_INT, PT_STR }, 0 },
	{ "genSelfSignedCert", fn_gen_self_signed, 4, 0, { PT_STR, PT_LIST, PT_LIST, PT_INT }, 0 },
	{ "genSelfSignedCertWithKey", fn_gen_self_signed, 5, 0, { PT_STR, PT_LIST, PT_LIST, PT_INT, PT_STR }, 0 },
	{ "genSignedCert", fn_gen_signed, 5, 0, { PT_STR, PT_LIST, PT_LIST, PT_INT, PT_ANY }, 0 },
	{ "genSignedCertWithKey", fn_gen_signed, 6, 0, { PT_STR, PT_LIST, PT_LIST, PT_INT, PT_ANY, PT_STR }, 0 },
	{ "buildCustomCert", fn_build_custom_cert, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "encryptAES", fn_encrypt_aes, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "decryptAES", fn_decrypt_aes, 2, 0, { PT_STR, PT_STR }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
