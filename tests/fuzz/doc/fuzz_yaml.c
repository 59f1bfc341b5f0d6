/*
 * Fuzzes the YAML loader in both schemas and every emitter on what loads. The first byte picks
 * the schema so one corpus covers both. Anything the JSON emitter writes must load back equal.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cf/doc.h"
#include "cf/error.h"

static void check_json_round_trip(const cf_doc *doc)
{
	cf_doc_json_opts o = {0, 1, 1};
	char *json = NULL;
	size_t len = 0;
	cf_doc *back = NULL;

	if (cf_doc_emit_json(&json, &len, doc, &o) != 0)
		return; /* NaN, Inf or a non-scalar key: encoding/json refuses those too */
	if (cf_doc_load_json(&back, json, len, &(cf_doc_load_opts){.max_depth = 10000}) != 0)
		abort();
	cf_doc_free(back);
	free(json);
}

static void emit_all(const cf_doc *doc)
{
	static const cf_doc_yaml_opts yopts[] = {
		{CF_DOC_EMIT_YAMLV2, 1}, {CF_DOC_EMIT_YAMLV3, 0}, {CF_DOC_EMIT_YAMLV3, 1},
	};
	for (size_t i = 0; i < sizeof(yopts) / sizeof(yopts[0]); i++) {
		char *out = NULL;
		size_t len;
		if (cf_doc_emit_yaml(&out, &len, doc, &yopts[i]) == 0)
			free(out);
	}
	check_json_round_trip(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_doc_load_opts o = {.max_nodes = 100000, .max_alias_expansion = 10000};
	cf_doc *docs = NULL;

	if (size < 1)
		return 0;
	o.schema = data[0] & 1 ? CF_DOC_YAML11 : CF_DOC_YAML12;
	if (cf_doc_load_yaml_stream(&docs, (const char *)data + 1, size - 1, &o) == 0) {
		for (size_t i = 0; i < cf_doc_len(docs); i++)
			emit_all(cf_doc_item(docs, i));
		cf_doc *copy = NULL;
		if (cf_doc_clone(&copy, docs) == 0 && !cf_doc_equal(copy, docs))
			abort();
		cf_doc_free(copy);
	}
	cf_doc_free(docs);
	return 0;
}
