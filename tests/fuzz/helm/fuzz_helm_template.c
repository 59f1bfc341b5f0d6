/* libFuzzer target: parse and execute arbitrary template text against a fixed set of values. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/helm.h"

static const char values_json[] =
	"{\"name\":\"n\",\"port\":80,\"ratio\":1.5,\"on\":true,\"list\":[1,\"a\",null,{\"k\":\"v\"}],"
	"\"map\":{\"b\":2,\"a\":{\"deep\":[true]}},\"empty\":{},\"tpl\":\"{{ .Values.name }}\"}";

static int fixed_random(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x5a, len);
	return 0;
}

static struct timespec fixed_now(void *ctx)
{
	struct timespec ts = { 1700000000, 0 };
	(void)ctx;
	return ts;
}

static cf_helm_val *make_root(void)
{
	cf_helm_val *root = NULL, *values = NULL, *s = NULL;
	cf_doc *doc = NULL;
	if (cf_doc_load_json(&doc, values_json, sizeof(values_json) - 1, NULL) < 0)
		abort();
	if (cf_helm_val_from_doc(&values, doc) < 0 || cf_helm_val_new_values_map(&root) < 0)
		abort();
	cf_doc_free(doc);
	cf_helm_map_set(root, "Values", values);
	cf_helm_val_new_str(&s, "fuzz/templates/t.yaml");
	cf_helm_map_set(root, "Name", s);
	return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_helm_tmpl *set = NULL;
	cf_helm_val *root;
	cf_helm_opts opts;
	char *out = NULL, *err = NULL;
	size_t len, split;
	const char *helper = "{{ define \"h\" }}[{{ . }}]{{ end }}";
	if (size > 65536)
		return 0;
	/* A NUL byte splits the input into a second file of defines, as charts have _helpers.tpl. */
	for (split = 0; split < size && data[split]; split++)
		;
	memset(&opts, 0, sizeof(opts));
	opts.random = fixed_random;
	opts.now = fixed_now;
	opts.max_steps = 20000;
	opts.max_output = 1 << 20;
	opts.max_value_bytes = 1 << 20;
	opts.max_alloc = 16 << 20;
	opts.max_depth = 200;
	opts.error_out = &err;
	opts.helm_strip = 1;
	if (cf_helm_tmpl_new(&set) < 0)
		abort();
	root = make_root();
	cf_helm_tmpl_parse(set, "helpers.tpl", helper, strlen(helper));
	if (split < size)
		cf_helm_tmpl_parse(set, "defs.tpl", (const char *)data + split + 1, size - split - 1);
	if (cf_helm_tmpl_parse(set, "t.yaml", (const char *)data, split) == 0 &&
	    cf_helm_tmpl_exec(&out, &len, set, "t.yaml", root, &opts) == 0)
		free(out);
	free(err);
	cf_helm_val_unref(root);
	cf_helm_tmpl_free(set);
	return 0;
}
