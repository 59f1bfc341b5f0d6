/*
 * Fuzzes the JSON loader and emitter: whatever loads must print (compact and indented) and load
 * back; after one trip (which may turn 1.0 into the int 1, as Go's float64 model does) printing
 * is stable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/doc.h"

/* Prints doc, loads the text back into *back, and returns the text. */
static char *trip(const cf_doc *doc, const cf_doc_json_opts *o, cf_doc **back)
{
	char *out = NULL;
	size_t len;

	if (cf_doc_emit_json(&out, &len, doc, o) != 0)
		abort();
	if (cf_doc_load_json(back, out, len, &(cf_doc_load_opts){.max_depth = 10000}) != 0)
		abort();
	return out;
}

static void round_trip(const cf_doc *doc, int indent)
{
	cf_doc_json_opts o = {indent, indent, 1};
	cf_doc_yaml_opts y = {CF_DOC_EMIT_YAMLV2, 1};
	cf_doc *b1 = NULL, *b2 = NULL, *b3 = NULL;
	char *t1 = trip(doc, &o, &b1), *t2 = trip(b1, &o, &b2), *t3 = trip(b2, &o, &b3), *out;
	size_t len;

	if (strcmp(t2, t3) != 0 || !cf_doc_equal(b2, b3))
		abort();
	free(t1);
	free(t2);
	free(t3);
	cf_doc_free(b1);
	cf_doc_free(b2);
	cf_doc_free(b3);
	if (cf_doc_emit_yaml(&out, &len, doc, &y) == 0)
		free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_doc *doc = NULL;

	if (cf_doc_load_json(&doc, (const char *)data, size, NULL) == 0) {
		round_trip(doc, 0);
		round_trip(doc, 2);
	}
	cf_doc_free(doc);
	return 0;
}
