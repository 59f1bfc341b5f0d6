/* The built-in objects a chart's templates see: .Chart, .Capabilities and .Files. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "internal.h"

#define KUBE_VERSION "v1.20.0"
#define KUBE_MAJOR "1"
#define KUBE_MINOR "20"
#define HELM_VERSION "v3.22.0"
#define HELM_GO_VERSION "go1.26.8"

/* The API versions `helm template` assumes without a cluster (chartutil.DefaultVersionSet). */
static const char *const default_apis[] = {
	"v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1",
	"admissionregistration.k8s.io/v1beta1", "internal.apiserver.k8s.io/v1alpha1", "apps/v1",
	"apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1", "authentication.k8s.io/v1alpha1",
	"authentication.k8s.io/v1beta1", "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1",
	"autoscaling/v1", "autoscaling/v2", "batch/v1", "batch/v1beta1", "certificates.k8s.io/v1",
	"certificates.k8s.io/v1beta1", "certificates.k8s.io/v1alpha1", "coordination.k8s.io/v1alpha2",
	"coordination.k8s.io/v1beta1", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
	"discovery.k8s.io/v1beta1", "events.k8s.io/v1", "events.k8s.io/v1beta1", "extensions/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1beta2", "flowcontrol.apiserver.k8s.io/v1beta3",
	"lifecycle.k8s.io/v1alpha1", "networking.k8s.io/v1", "networking.k8s.io/v1beta1",
	"node.k8s.io/v1", "node.k8s.io/v1alpha1", "node.k8s.io/v1beta1", "policy/v1",
	"policy/v1beta1", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
	"rbac.authorization.k8s.io/v1alpha1", "resource.k8s.io/v1", "resource.k8s.io/v1beta2",
	"resource.k8s.io/v1beta1", "resource.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha3",
	"scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1", "storage.k8s.io/v1beta1",
	"storage.k8s.io/v1", "storage.k8s.io/v1alpha1", "storagemigration.k8s.io/v1",
	"storagemigration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1",
};
#define N_APIS (sizeof(default_apis) / sizeof(default_apis[0]))

static int oom(void) { return cf_error_set(CF_ENOMEM, "out of memory"); }

static int one_of(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(*names, name))
			return 1;
	return 0;
}

static int want_args(const char *name, size_t got, size_t want)
{
	if (got == want)
		return 0;
	return cf_error_set(CF_EINVALID, "wrong number of args for %s: want %zu got %zu", name, want,
	                    got);
}

static int str_arg(const char *name, cf_helm_val *const *args, const char **s)
{
	if (args[0]->kind != CF_HELM_STR)
		return cf_error_set(CF_EINVALID, "wrong type for value; expected string; got %s",
		                    hv_type_name(args[0]));
	(void)name;
	*s = args[0]->s.p;
	return 0;
}

/* ---- .Capabilities ---- */

/* The Kubernetes version the render assumes (--kube-version or Helm's default). */
typedef struct {
	char version[80], major[24], minor[24];
} kube_data;

static const char *const kube_methods[] = { "String", "GitVersion", NULL };
static int kube_has(void *d, const char *n) { (void)d; return one_of(n, kube_methods); }
static char *kube_string(void *d) { return strdup(((kube_data *)d)->version); }
static int kube_method(cf_helm_val **out, void *d, const char *name, cf_helm_val *const *a,
                       size_t n)
{
	(void)a;
	if (!one_of(name, kube_methods))
		return CF_ENOTFOUND;
	if (want_args(name, n, 0) < 0)
		return CF_EINVALID;
	return (*out = hv_str(((kube_data *)d)->version)) ? 0 : oom();
}
static const cf_helm_obj_type kube_type = {
	.type_name = "chartutil.KubeVersion", .method = kube_method, .has_method = kube_has,
	.string = kube_string, .ptr_string = 1, .free = free,
};

/* chartutil.VersionSet: a []string with Has. */
static const char *const api_methods[] = { "Has", NULL };
static int api_has(void *d, const char *n) { (void)d; return one_of(n, api_methods); }
static int api_method(cf_helm_val **out, void *d, const char *name, cf_helm_val *const *a,
                      size_t n)
{
	const cf_helm_val *set = d;
	const char *s = NULL;
	int has = 0;
	if (!one_of(name, api_methods))
		return CF_ENOTFOUND;
	if (want_args(name, n, 1) < 0 || str_arg(name, a, &s) < 0)
		return CF_EINVALID;
	for (size_t i = 0; i < set->l.len; i++)
		has |= !strcmp(set->l.items[i]->s.p, s);
	return (*out = hv_bool(has)) ? 0 : oom();
}
static const cf_helm_obj_type api_type = {
	.type_name = "chartutil.VersionSet", .method = api_method, .has_method = api_has,
};
/*
 * version.BuildInfo: its fields are read through methods so that its fields here can carry the
 * JSON names (with omitempty) that toJson prints.
 */
static const char *const helm_methods[] = { "Version", "GitCommit", "GitTreeState", "GoVersion",
                                            NULL };
static int helm_has(void *d, const char *n) { (void)d; return one_of(n, helm_methods); }
static char *helm_string(void *d)
{
	(void)d;
	return strdup("{" HELM_VERSION "   " HELM_GO_VERSION "}");
}
static int helm_method(cf_helm_val **out, void *d, const char *name, cf_helm_val *const *a,
                       size_t n)
{
	(void)d;
	(void)a;
	if (!one_of(name, helm_methods))
		return CF_ENOTFOUND;
	if (want_args(name, n, 0) < 0)
		return CF_EINVALID;
	*out = hv_str(!strcmp(name, "Version") ? HELM_VERSION :
	              !strcmp(name, "GoVersion") ? HELM_GO_VERSION : "");
	return *out ? 0 : oom();
}
static const cf_helm_obj_type helm_version_type = {
	.type_name = "version.BuildInfo", .method = helm_method, .has_method = helm_has,
	.string = helm_string,
};

/* How text/template prints the struct behind the pointer: nested structs without String(). */
typedef struct {
	kube_data kube;
	cf_helm_val *apis; /* borrowed from the object's fields */
} caps_data;

static char *caps_string(void *d)
{
	const caps_data *c = d;
	hbuf b;
	hbuf_init(&b, 0);
	hbuf_printf(&b, "{{%s %s %s} ", c->kube.version, c->kube.major, c->kube.minor);
	fmt_value(&b, c->apis);
	hbuf_printf(&b, " {%s   %s}}", HELM_VERSION, HELM_GO_VERSION);
	if (b.err) {
		hbuf_free(&b);
		return NULL;
	}
	return hbuf_take(&b, NULL);
}
static const cf_helm_obj_type caps_type = {
	.type_name = "*chartutil.Capabilities", .is_ptr = 1, .string = caps_string, .free = free,
};

/*
 * --kube-version as Helm reads it (k8s.io/apimachinery ParseGeneric): "v" optional, at least
 * major.minor, anything after the numbers dropped; Version is "v" and the numbers.
 */
static int kube_parse(kube_data *k, const char *s)
{
	const char *p = s, *start;
	hbuf b;
	size_t ncomp = 0;
	int err = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == 'v')
		p++;
	if (*p < '0' || *p > '9')
		return cf_error_set(CF_EINVALID, "invalid kube version '%s': could not parse \"%s\" as "
		                    "version", s, s);
	hbuf_init(&b, 0);
	hbuf_putc(&b, 'v');
	for (start = p;; p++) {
		const char *c = p;
		unsigned long long n = 0;
		while (*p >= '0' && *p <= '9')
			n = n * 10 + (unsigned)(*p++ - '0');
		if (ncomp == 0 && p - c > 1 && *c == '0') {
			err = cf_error_set(CF_EINVALID, "invalid kube version '%s': illegal zero-prefixed "
			                   "version component \"%.*s\" in \"%s\"", s, (int)(p - c), c,
			                   start);
			break;
		}
		hbuf_printf(&b, "%s%llu", ncomp ? "." : "", n);
		if (ncomp == 0)
			snprintf(k->major, sizeof(k->major), "%llu", n);
		else if (ncomp == 1)
			snprintf(k->minor, sizeof(k->minor), "%llu", n);
		ncomp++;
		if (*p != '.' || p[1] < '0' || p[1] > '9')
			break;
	}
	if (err == 0 && ncomp < 2)
		err = cf_error_set(CF_EINVALID, "invalid kube version '%s': illegal version string "
		                   "\"%s\"", s, start);
	if (err == 0 && (b.err || b.len >= sizeof(k->version)))
		err = cf_error_set(CF_EINVALID, "invalid kube version '%s': illegal version string "
		                   "\"%s\"", s, start);
	if (err == 0)
		memcpy(k->version, b.p, b.len + 1);
	hbuf_free(&b);
	return err;
}

int chart_kube_version(char *out, size_t size, const char *kube_version)
{
	kube_data k = { KUBE_VERSION, KUBE_MAJOR, KUBE_MINOR };
	int err;
	if (kube_version && *kube_version && (err = kube_parse(&k, kube_version)) < 0)
		return err;
	snprintf(out, size, "%s", k.version);
	return 0;
}

int chart_obj_capabilities(cf_helm_val **out, const char *kube_version,
                           const char *const *extra_apis, size_t n_extra, int replace)
{
	static const char *const kn[] = { "Version", "Major", "Minor" };
	static const char *const hn[] = { "version", "go_version" };
	static const char *const cn[] = { "KubeVersion", "APIVersions", "HelmVersion" };
	/* A cluster's discovery replaces the defaults, as in helm install; flags add to them. */
	size_t n_def = replace ? 0 : N_APIS;
	kube_data *kd = calloc(1, sizeof(*kd));
	caps_data *cd = calloc(1, sizeof(*cd));
	cf_helm_val *kv[3] = { NULL }, *hvv[2] = { hv_str(HELM_VERSION), hv_str(HELM_GO_VERSION) };
	cf_helm_val *cv[3] = { NULL, hv_typed_list(&api_type, n_def + n_extra), NULL };
	int err = 0;

	if (!kd || !cd)
		err = oom();
	else if (!kube_version || !*kube_version)
		*kd = (kube_data){ KUBE_VERSION, KUBE_MAJOR, KUBE_MINOR };
	else
		err = kube_parse(kd, kube_version);
	for (size_t i = 0; err == 0 && cv[1] && i < n_def + n_extra; i++)
		if (hv_list_push(cv[1], hv_str(i < n_def ? default_apis[i] : extra_apis[i - n_def])) < 0)
			err = oom();
	if (err == 0) {
		kv[0] = hv_str(kd->version), kv[1] = hv_str(kd->major), kv[2] = hv_str(kd->minor);
		cd->kube = *kd;
		cd->apis = cv[1];
		if (!kv[0] || !kv[1] || !kv[2] || !hvv[0] || !hvv[1] || !cv[1]) {
			err = oom();
		} else {
			/* Both calls take their field values and data, also on failure. */
			err = cf_helm_val_new_obj(&cv[0], &kube_type, kd, kn, kv, 3);
			kd = NULL;
			memset(kv, 0, sizeof(kv));
			if (err == 0)
				err = cf_helm_val_new_obj(&cv[2], &helm_version_type, NULL, hn, hvv, 2);
			memset(hvv, 0, sizeof(hvv));
		}
	}
	for (size_t i = 0; i < 3; i++)
		hv_unref(kv[i]);
	hv_unref(hvv[0]);
	hv_unref(hvv[1]);
	free(kd);
	if (err < 0) {
		hv_unref(cv[0]);
		hv_unref(cv[1]);
		hv_unref(cv[2]);
		free(cd);
		return err;
	}
	return cf_helm_val_new_obj(out, &caps_type, cd, cn, cv, 3);
}

/* ---- .Chart ---- */

static cf_helm_val *doc_str(const cf_doc *m, const char *key)
{
	const cf_doc *d = cf_doc_get(m, key);
	const char *t = d && cf_doc_type_of(d) != CF_DOC_NULL && cf_doc_type_of(d) != CF_DOC_SEQ &&
	                cf_doc_type_of(d) != CF_DOC_MAP ? cf_doc_text(d) : NULL;
	return hv_str(t ? t : "");
}

static cf_helm_val *doc_strs(const cf_doc *m, const char *key)
{
	const cf_doc *d = cf_doc_get(m, key);
	cf_helm_val *l = hv_list(CF_HELM_LIST_STR, 4);
	for (size_t i = 0; l && d && cf_doc_type_of(d) == CF_DOC_SEQ && i < cf_doc_len(d); i++) {
		const char *t = cf_doc_text(cf_doc_item(d, i));
		if (hv_list_push(l, hv_str(t ? t : "")) < 0) {
			hv_unref(l);
			return NULL;
		}
	}
	return l;
}

static cf_helm_val *doc_val(const cf_doc *m, const char *key, int want_map)
{
	const cf_doc *d = cf_doc_get(m, key);
	cf_helm_val *v = NULL;
	if (d && cf_helm_val_from_doc(&v, d) == 0)
		return v;
	return want_map ? hv_map() : hv_list(CF_HELM_LIST_ANY, 0);
}

/* A list of Chart.yaml structs (maintainers, dependencies) with Go's field names. */
static cf_helm_val *doc_structs(const cf_doc *m, const char *key, const char *const *go,
                                const char *const *yaml)
{
	const cf_doc *d = cf_doc_get(m, key);
	cf_helm_val *l = hv_list(CF_HELM_LIST_ANY, 4);
	for (size_t i = 0; l && d && cf_doc_type_of(d) == CF_DOC_SEQ && i < cf_doc_len(d); i++) {
		const cf_doc *e = cf_doc_item(d, i);
		cf_helm_val *o = hv_map(), *v;
		for (size_t k = 0; o && go[k]; k++) {
			const cf_doc *f = cf_doc_get(e, yaml[k]);
			if (!strcmp(go[k], "Enabled"))
				hv_map_set(o, go[k], 7, hv_bool(!f || cf_doc_bool(f) ||
				                                cf_doc_type_of(f) != CF_DOC_BOOL));
			else if (f && cf_helm_val_from_doc(&v, f) == 0)
				hv_map_set(o, go[k], strlen(go[k]), v);
			else
				hv_map_set(o, go[k], strlen(go[k]), hv_str(""));
		}
		if (hv_list_push(l, o) < 0) {
			hv_unref(l);
			return NULL;
		}
	}
	return l;
}

static const char *const maint_go[] = { "Name", "Email", "URL", NULL };
static const char *const maint_yaml[] = { "name", "email", "url", NULL };
static const char *const dep_go[] = {
	"Name", "Version", "Repository", "Condition", "Tags", "ImportValues", "Alias", "Enabled",
	NULL,
};
static const char *const dep_yaml[] = {
	"name", "version", "repository", "condition", "tags", "import-values", "alias", "enabled",
	NULL,
};

static char *chart_string(void *data) { return data ? strdup(data) : NULL; }
static void chart_free(void *data) { free(data); }
static const cf_helm_obj_type chart_type = {
	.type_name = "struct { chart.Metadata; IsRoot bool }", .string = chart_string,
	.free = chart_free,
};

/* Go's %v of the struct (pointer fields of nested structs print as [] when empty). */
static char *chart_text(cf_helm_val *const *v, size_t n)
{
	hbuf b;
	hbuf_init(&b, 0);
	hbuf_puts(&b, "{{");
	for (size_t i = 0; i + 1 < n; i++) {
		if (i)
			hbuf_putc(&b, ' ');
		fmt_value(&b, v[i]);
	}
	hbuf_puts(&b, "} ");
	fmt_value(&b, v[n - 1]);
	hbuf_putc(&b, '}');
	return hbuf_take(&b, NULL);
}

int chart_obj_chart(cf_helm_val **out, const cf_helm_chart *c, int is_root)
{
	static const char *const names[] = {
		"Name", "Home", "Sources", "Version", "Description", "Keywords", "Maintainers", "Icon",
		"APIVersion", "Condition", "Tags", "AppVersion", "Deprecated", "Annotations",
		"KubeVersion", "Dependencies", "Type", "IsRoot",
	};
	const cf_doc *m = c->meta;
	const cf_doc *dep = cf_doc_get(m, "deprecated");
	cf_helm_val *v[18] = {
		hv_str(c->name), doc_str(m, "home"), doc_strs(m, "sources"), doc_str(m, "version"),
		doc_str(m, "description"), doc_strs(m, "keywords"), doc_structs(m, "maintainers", maint_go, maint_yaml),
		doc_str(m, "icon"), doc_str(m, "apiVersion"), doc_str(m, "condition"),
		doc_str(m, "tags"), doc_str(m, "appVersion"),
		hv_bool(dep && cf_doc_type_of(dep) == CF_DOC_BOOL && cf_doc_bool(dep)),
		doc_val(m, "annotations", 1), doc_str(m, "kubeVersion"), doc_structs(m, "dependencies", dep_go, dep_yaml),
		doc_str(m, "type"), hv_bool(is_root),
	};
	for (size_t i = 0; i < 18; i++)
		if (!v[i]) {
			for (size_t j = 0; j < 18; j++)
				hv_unref(v[j]);
			return oom();
		}
	/* Go prints nil maps and slices of the metadata as map[] and []. */
	return cf_helm_val_new_obj(out, &chart_type, chart_text(v, 18), names, v, 18);
}

/* ---- .Files ---- */

/*
 * .Files is Helm's engine.files, a map[string][]byte with methods: ranging over it, len and
 * index see the path -> bytes map, and .Files.Get and friends call the methods.
 */
static const char *const files_methods[] = {
	"Get", "GetBytes", "Glob", "Lines", "AsConfig", "AsSecrets", NULL,
};
static int files_has(void *d, const char *n) { (void)d; return one_of(n, files_methods); }

static const cf_helm_obj_type files_type;

/*
 * gobwas/glob with '/' as separator: '*' stays within a path segment, '**' crosses them, and
 * {a,b} lists alternatives (expanded here, at most a few levels deep).
 */
static int glob_match(const char *pat, const char *name, int depth)
{
	const char *open = strchr(pat, '{'), *close, *alt;
	char buf[1024];
	int level = 0;

	if (!open || depth > 4)
		return fnmatch(pat, name, strstr(pat, "**") ? 0 : FNM_PATHNAME) == 0;
	for (close = open; *close; close++) {
		level += *close == '{';
		level -= *close == '}';
		if (level == 0)
			break;
	}
	if (!*close)
		return fnmatch(pat, name, FNM_PATHNAME) == 0;
	for (alt = open + 1; alt <= close;) {
		const char *end = alt;
		for (level = 0; end < close && (level > 0 || *end != ','); end++)
			level += (*end == '{') - (*end == '}');
		if (snprintf(buf, sizeof(buf), "%.*s%.*s%s", (int)(open - pat), pat, (int)(end - alt),
		             alt, close + 1) < (int)sizeof(buf) &&
		    glob_match(buf, name, depth + 1))
			return 1;
		alt = end + 1;
	}
	return 0;
}

static int files_glob(cf_helm_val **out, const cf_helm_val *fs, const char *pat)
{
	cf_helm_val *sub = hv_typed_map(&files_type);
	if (!sub)
		return oom();
	for (size_t i = 0; i < fs->m.len; i++) {
		const hv_pair *p = &fs->m.pairs[i];
		if (glob_match(pat, p->key, 0) &&
		    hv_map_set(sub, p->key, strlen(p->key), hv_ref(p->val)) < 0) {
			hv_unref(sub);
			return oom();
		}
	}
	*out = sub;
	return 0;
}

static int files_lines(cf_helm_val **out, const cf_helm_val *f)
{
	cf_helm_val *l = hv_list(CF_HELM_LIST_STR, 8);
	size_t len = f ? f->s.len : 0;
	if (!l)
		return oom();
	if (f && len > 0) {
		const char *p = f->s.p, *end;
		if (p[len - 1] == '\n')
			len--;
		end = p + len;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (hv_list_push(l, hv_strn(p, nl ? (size_t)(nl - p) : (size_t)(end - p))) < 0) {
				hv_unref(l);
				return oom();
			}
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	*out = l;
	return 0;
}

/* AsConfig / AsSecrets: a base name -> content map through toYaml. */
static int files_as_map(cf_helm_val **out, const cf_helm_val *fs, int secrets)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	cf_helm_val *m = hv_map();
	cf_doc *d = NULL;
	char *y = NULL;
	size_t ylen = 0;
	int err = 0;

	if (!m)
		return oom();
	for (size_t i = 0; err == 0 && i < fs->m.len; i++) {
		const char *name = fs->m.pairs[i].key, *base = strrchr(name, '/');
		const unsigned char *s = (const unsigned char *)fs->m.pairs[i].val->s.p;
		size_t n = fs->m.pairs[i].val->s.len;
		hbuf b;
		base = base ? base + 1 : name;
		hbuf_init(&b, 0);
		if (!secrets) {
			hbuf_put(&b, (const char *)s, n);
		} else {
			for (size_t j = 0; j < n; j += 3) {
				unsigned v = (unsigned)s[j] << 16 | (j + 1 < n ? (unsigned)s[j + 1] << 8 : 0) |
				             (j + 2 < n ? s[j + 2] : 0);
				hbuf_putc(&b, b64[v >> 18 & 63]);
				hbuf_putc(&b, b64[v >> 12 & 63]);
				hbuf_putc(&b, j + 1 < n ? b64[v >> 6 & 63] : '=');
				hbuf_putc(&b, j + 2 < n ? b64[v & 63] : '=');
			}
		}
		size_t bl;
		char *bs = hbuf_take(&b, &bl);
		if (hv_map_set(m, base, strlen(base), bs ? hv_str_take(bs, bl) : hv_str("")) < 0)
			err = oom();
	}
	if (err == 0 && (err = cf_helm_val_to_doc(&d, m)) == 0) {
		cf_doc_yaml_opts yo = { .dialect = CF_DOC_EMIT_YAMLV2 };
		if (cf_doc_emit_yaml(&y, &ylen, d, &yo) < 0)
			y = NULL, ylen = 0;
	}
	hv_unref(m);
	cf_doc_free(d);
	if (err < 0)
		return err;
	if (y && ylen && y[ylen - 1] == '\n')
		y[--ylen] = '\0';
	*out = y ? hv_str_take(y, ylen) : hv_str("");
	return *out ? 0 : oom();
}

static int files_method(cf_helm_val **out, void *data, const char *name, cf_helm_val *const *a,
                        size_t n)
{
	const cf_helm_val *fs = data, *f;
	const char *s = NULL;

	if (!one_of(name, files_methods))
		return CF_ENOTFOUND;
	if (!strcmp(name, "AsConfig") || !strcmp(name, "AsSecrets")) {
		if (want_args(name, n, 0) < 0)
			return CF_EINVALID;
		return files_as_map(out, fs, name[2] == 'S');
	}
	if (want_args(name, n, 1) < 0 || str_arg(name, a, &s) < 0)
		return CF_EINVALID;
	if (!strcmp(name, "Glob"))
		return files_glob(out, fs, s);
	f = hv_map_get(fs, s, strlen(s));
	if (!strcmp(name, "Lines"))
		return files_lines(out, f);
	if (!strcmp(name, "GetBytes"))
		*out = f ? hv_ref((cf_helm_val *)f) : hv_bytes("", 0);
	else
		*out = f ? hv_strn(f->s.p, f->s.len) : hv_str("");
	return *out ? 0 : oom();
}

static const cf_helm_obj_type files_type = {
	.type_name = "engine.files", .method = files_method, .has_method = files_has,
};

int chart_obj_files(cf_helm_val **out, const cf_helm_chart *c)
{
	cf_helm_val *fs = hv_typed_map(&files_type);
	if (!fs)
		return oom();
	for (size_t i = 0; i < c->files.n; i++) {
		const chart_file *f = &c->files.v[i];
		if (hv_map_set(fs, f->name, strlen(f->name), hv_bytes(f->data, f->len)) < 0) {
			hv_unref(fs);
			return oom();
		}
	}
	*out = fs;
	return 0;
}
