/* Kubeconfig parsing (libyaml's node API) into the connection settings of one context. */
#include "kube_int.h"

#include "cf/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define KUBECONFIG_MAX (16u << 20)
#define PEM_MAX (1u << 20)
#define FLOW_DEPTH_MAX 64

typedef struct {
	yaml_document_t *doc;
	const char *base_dir;
} yctx;

static yaml_node_t *node_at(yaml_document_t *doc, int i)
{
	return i ? yaml_document_get_node(doc, i) : NULL;
}

/* Value under key in a mapping node, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return node_at(doc, p->value);
	}
	return NULL;
}

/* Scalar text under key, or NULL (also for an empty or null scalar). */
static const char *map_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_t *v = map_get(doc, map, key);
	const char *s;

	if (!v || v->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)v->data.scalar.value;
	if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!*s || !strcmp(s, "null") || !strcmp(s, "~")))
		return NULL;
	return *s ? s : NULL;
}

/* The "<field>" map of the list entry named name in list key (contexts/clusters/users). */
static yaml_node_t *named_entry(yaml_document_t *doc, yaml_node_t *root, const char *list,
                                const char *field, const char *name)
{
	yaml_node_t *seq = map_get(doc, root, list);
	yaml_node_item_t *it;

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = node_at(doc, *it);
		const char *n = map_str(doc, e, "name");

		if (n && !strcmp(n, name))
			return map_get(doc, e, field);
	}
	return NULL;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with optional padding; whitespace is skipped. */
static int b64_decode(char **out, size_t *out_len, const char *s, const char *what)
{
	size_t n = strlen(s), o = 0;
	unsigned acc = 0;
	int bits = 0, pad = 0;
	char *buf = malloc(n / 4 * 3 + 4);

	if (!buf)
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_value((unsigned char)*s)) < 0) {
			free(buf);
			return cf_error_set(CF_EPARSE, "kubeconfig: %s is not valid base64", what);
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;
}

int kube_read_file(char **out, size_t *out_len, const char *path, size_t limit)
{
	FILE *f = fopen(path, "rb");
	kube_buf b = { .limit = limit };
	char chunk[8192];
	size_t n;
	int err = 0;

	if (!f)
		return cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "reading %s: %s", path,
		                    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((err = kube_buf_append(&b, chunk, n)) < 0)
			break;
	if (!err && ferror(f))
		err = cf_error_set(CF_EIO, "reading %s: %s", path, strerror(errno));
	fclose(f);
	if (err < 0) {
		kube_buf_free(&b);
		return err == CF_ELIMIT ? cf_error_set(CF_ELIMIT, "%s is larger than %zu bytes", path,
		                                       limit) : err;
	}
	if (out_len)
		*out_len = b.len;
	*out = kube_buf_take(&b);
	return 0;
}

/* Resolves path against base_dir unless absolute. Caller frees. */
static char *resolve_path(const char *base_dir, const char *path)
{
	kube_buf b = { 0 };

	if (path[0] == '/' || !base_dir || !*base_dir)
		return strdup(path);
	if (kube_buf_printf(&b, "%s/%s", base_dir, path) < 0)
		return NULL;
	return kube_buf_take(&b);
}

/* Fills out and len from "<name>-data" (base64) or "<name>" (a file), data winning as in client-go. */
static int pem_field(char **out, size_t *len, const yctx *y, yaml_node_t *map, const char *name)
{
	char key[64];
	const char *v;
	char *path;
	int err;

	snprintf(key, sizeof(key), "%s-data", name);
	if ((v = map_str(y->doc, map, key)))
		return b64_decode(out, len, v, key);
	if (!(v = map_str(y->doc, map, name)))
		return 0;
	if (!(path = resolve_path(y->base_dir, v)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	err = kube_read_file(out, len, path, PEM_MAX);
	free(path);
	if (err < 0)
		return cf_error_wrap(err == CF_ENOTFOUND ? CF_EIO : err, "kubeconfig %s: ", name);
	return 0;
}

static int dup_field(char **dst, yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	const char *v = map_str(doc, map, key);

	if (v && !(*dst = strdup(v)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	return 0;
}

static int is_true(const char *s)
{
	return s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"));
}

static int read_cluster(cf_kube_config *cfg, const yctx *y, yaml_node_t *cluster)
{
	size_t n;
	int err;

	if ((err = dup_field(&cfg->server, y->doc, cluster, "server")) < 0 ||
	    (err = dup_field(&cfg->tls_server_name, y->doc, cluster, "tls-server-name")) < 0 ||
	    (err = pem_field(&cfg->ca, &cfg->ca_len, y, cluster, "certificate-authority")) < 0)
		return err;
	if (!cfg->server)
		return cf_error_set(CF_EINVALID, "kubeconfig: cluster has no server");
	if (strncmp(cfg->server, "https://", 8) && strncmp(cfg->server, "http://", 7))
		return cf_error_set(CF_EINVALID, "kubeconfig: server %s is not an http(s) URL",
		                    cfg->server);
	n = strlen(cfg->server);
	while (n > 0 && cfg->server[n - 1] == '/')
		cfg->server[--n] = '\0';
	cfg->insecure = is_true(map_str(y->doc, cluster, "insecure-skip-tls-verify"));
	return 0;
}

static int read_user(cf_kube_config *cfg, const yctx *y, yaml_node_t *user)
{
	const char *tf;
	int err;

	if (map_get(y->doc, user, "exec") || map_get(y->doc, user, "auth-provider"))
		return cf_error_set(CF_EUNSUPPORTED,
		                    "kubeconfig: exec and auth-provider credential plugins are not supported");
	if ((err = dup_field(&cfg->token, y->doc, user, "token")) < 0 ||
	    (err = dup_field(&cfg->username, y->doc, user, "username")) < 0 ||
	    (err = dup_field(&cfg->password, y->doc, user, "password")) < 0 ||
	    (err = pem_field(&cfg->cert, &cfg->cert_len, y, user, "client-certificate")) < 0 ||
	    (err = pem_field(&cfg->key, &cfg->key_len, y, user, "client-key")) < 0)
		return err;
	if (!cfg->token && (tf = map_str(y->doc, user, "tokenFile")) &&
	    !(cfg->token_file = resolve_path(y->base_dir, tf)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if (!cfg->cert != !cfg->key)
		return cf_error_set(CF_EINVALID,
		                    "kubeconfig: client-certificate and client-key must be given together");
	return 0;
}

static int read_context(cf_kube_config *cfg, const yctx *y, yaml_node_t *root, const char *name)
{
	yaml_node_t *ctx = named_entry(y->doc, root, "contexts", "context", name);
	yaml_node_t *cluster, *user = NULL;
	const char *cn, *un;
	int err;

	if (!ctx)
		return cf_error_set(CF_EINVALID, "kubeconfig: context \"%s\" does not exist", name);
	if (!(cn = map_str(y->doc, ctx, "cluster")) ||
	    !(cluster = named_entry(y->doc, root, "clusters", "cluster", cn)))
		return cf_error_set(CF_EINVALID, "kubeconfig: cluster \"%s\" of context \"%s\" does not exist",
		                    cn ? cn : "", name);
	if ((un = map_str(y->doc, ctx, "user")) &&
	    !(user = named_entry(y->doc, root, "users", "user", un)))
		return cf_error_set(CF_EINVALID, "kubeconfig: user \"%s\" of context \"%s\" does not exist",
		                    un, name);
	if (!(cfg->context = strdup(name)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if ((err = dup_field(&cfg->namespace_, y->doc, ctx, "namespace")) < 0 ||
	    (err = read_cluster(cfg, y, cluster)) < 0)
		return err;
	return user ? read_user(cfg, y, user) : 0;
}

/*
 * libyaml has no nesting limit and its simple-key bookkeeping is quadratic in flow depth, so deep
 * "[[[[..." input would stall the parser. Flow brackets outside quotes and comments are counted
 * first; a kubeconfig never nests deeper than a few levels.
 */
static int flow_depth_ok(const char *buf, size_t len)
{
	size_t i, depth = 0;
	char quote = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (quote) {
			if (c == '\\' && quote == '"' && i + 1 < len)
				i++;
			else if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '#') {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (c == '[' || c == '{') {
			if (++depth > FLOW_DEPTH_MAX)
				return 0;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 1;
}

int cf_kube_config_parse(cf_kube_config **out, const char *buf, size_t len, const char *context,
                         const char *base_dir)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	cf_kube_config *cfg = NULL;
	yctx y = { &doc, base_dir };
	int err = 0, have_doc = 0;

	if (len > KUBECONFIG_MAX)
		return cf_error_set(CF_ELIMIT, "kubeconfig larger than %u bytes", KUBECONFIG_MAX);
	if (!flow_depth_ok(buf, len))
		return cf_error_set(CF_ELIMIT, "kubeconfig nests deeper than %d levels", FLOW_DEPTH_MAX);
	if (!yaml_parser_initialize(&parser))
		return cf_error_set(CF_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		err = cf_error_set(CF_EPARSE, "kubeconfig:%zu:%zu: %s", parser.problem_mark.line + 1,
		                   parser.problem_mark.column + 1,
		                   parser.problem ? parser.problem : "invalid YAML");
		goto done;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		err = cf_error_set(CF_EINVALID, "kubeconfig: no configuration has been provided");
		goto done;
	}
	if (!context && !(context = map_str(&doc, root, "current-context"))) {
		err = cf_error_set(CF_EINVALID, "kubeconfig: current-context is not set");
		goto done;
	}
	if (!(cfg = calloc(1, sizeof(*cfg)))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = read_context(cfg, &y, root, context)) < 0)
		goto done;
	*out = cfg;
	cfg = NULL;
done:
	cf_kube_config_free(cfg);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return err;
}

int cf_kube_config_load_file(cf_kube_config **out, const char *path, const char *context)
{
	char *buf = NULL, *dir = NULL, *slash;
	size_t len;
	int err;

	if ((err = kube_read_file(&buf, &len, path, KUBECONFIG_MAX)) < 0)
		return err;
	if (!(dir = strdup(path))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	if ((slash = strrchr(dir, '/')))
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	if ((err = cf_kube_config_parse(out, buf, len, context, dir)) < 0)
		cf_error_wrap(err, "%s: ", path);
done:
	free(buf);
	free(dir);
	return err;
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int cf_kube_config_load_default(cf_kube_config **out, const char *path, const char *context)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	char candidate[4096];
	int err;

	if (path && *path)
		return cf_kube_config_load_file(out, path, context);
	while (env && *env) {
		size_t n = strcspn(env, ":");

		if (n > 0 && n < sizeof(candidate)) {
			memcpy(candidate, env, n);
			candidate[n] = '\0';
			if (file_exists(candidate))
				return cf_kube_config_load_file(out, candidate, context);
		}
		env += n + (env[n] == ':');
	}
	if ((err = cf_kube_config_in_cluster(out)) != CF_ENOTFOUND)
		return err;
	if (home && snprintf(candidate, sizeof(candidate), "%s/.kube/config", home) <
	                    (int)sizeof(candidate) && file_exists(candidate))
		return cf_kube_config_load_file(out, candidate, context);
	return cf_error_set(CF_ENOTFOUND,
	                    "no kubeconfig: set --kubeconfig or KUBECONFIG, or run in a cluster");
}

static char *dup_mem(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		if (n)
			memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

int kube_config_clone(cf_kube_config **out, const cf_kube_config *s)
{
	cf_kube_config *c = calloc(1, sizeof(*c));
	struct { char **dst; const char *src; } strs[] = {
		{ &c->server, s->server }, { &c->context, s->context },
		{ &c->namespace_, s->namespace_ }, { &c->token, s->token },
		{ &c->token_file, s->token_file }, { &c->username, s->username },
		{ &c->password, s->password }, { &c->tls_server_name, s->tls_server_name },
	};
	size_t i;

	if (!c)
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i].src && !(*strs[i].dst = strdup(strs[i].src)))
			goto oom;
	if ((s->ca && !(c->ca = dup_mem(s->ca, s->ca_len))) ||
	    (s->cert && !(c->cert = dup_mem(s->cert, s->cert_len))) ||
	    (s->key && !(c->key = dup_mem(s->key, s->key_len))))
		goto oom;
	c->ca_len = s->ca_len;
	c->cert_len = s->cert_len;
	c->key_len = s->key_len;
	c->insecure = s->insecure;
	*out = c;
	return 0;
oom:
	cf_kube_config_free(c);
	return cf_error_set(CF_ENOMEM, "out of memory");
}

/* Secrets are wiped before they go back to the allocator. */
static void free_secret(char *p, size_t n)
{
	if (p) {
		volatile char *v = p;

		while (n--)
			*v++ = 0;
		free(p);
	}
}

void cf_kube_config_free(cf_kube_config *c)
{
	if (!c)
		return;
	free(c->server);
	free(c->context);
	free(c->namespace_);
	free_secret(c->token, c->token ? strlen(c->token) : 0);
	free(c->token_file);
	free(c->username);
	free_secret(c->password, c->password ? strlen(c->password) : 0);
	free(c->tls_server_name);
	free(c->ca);
	free(c->cert);
	free_secret(c->key, c->key_len);
	free(c);
}

const char *cf_kube_config_server(const cf_kube_config *cfg)
{
	return cfg->server;
}

const char *cf_kube_config_namespace(const cf_kube_config *cfg)
{
	return cfg->namespace_ && *cfg->namespace_ ? cfg->namespace_ : "default";
}

const char *cf_kube_config_context(const cf_kube_config *cfg)
{
	return cfg->context;
}
