/* libFuzzer target: arbitrary JSON as a FluxConfig, as a Kustomization's inventory and as statuses. */
#include <stddef.h>
#include <stdint.h>

#include "fc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *out = NULL, *refs;
	char err[512];

	if (!doc)
		return 0;
	if (fc_spec_desired(&out, doc, "s") == 0)
		json_decref(out);
	refs = fc_compliance_inventory_refs(doc, 64);
	json_decref(refs);
	json_decref(fc_compliance_entry(doc, "k", "n"));
	fc_compliance_of(doc);
	if (json_is_array(doc)) {
		fc_compliance_source_gate(doc);
		fc_compliance_rollup(doc, 0, err, sizeof(err));
	}
	json_decref(doc);
	return 0;
}
