/* Loader limits with their defaults filled in, shared by the YAML and JSON loaders. */
#ifndef CF_DOC_LOAD_OPTS_H
#define CF_DOC_LOAD_OPTS_H

#include "cf/doc.h"

#define DOC_DEFAULT_MAX_DEPTH 200
#define DOC_HARD_MAX_DEPTH 10000 /* recursion bound whatever the caller asks for */
#define DOC_DEFAULT_MAX_NODES 4000000
#define DOC_DEFAULT_MAX_BYTES (64u << 20)
#define DOC_DEFAULT_MAX_ALIAS 100000

static inline cf_doc_load_opts doc_load_opts(const cf_doc_load_opts *in, cf_doc_schema dflt)
{
	cf_doc_load_opts o = {0};

	if (in)
		o = *in;
	else
		o.schema = dflt;
	if (!o.max_depth)
		o.max_depth = DOC_DEFAULT_MAX_DEPTH;
	if (o.max_depth > DOC_HARD_MAX_DEPTH)
		o.max_depth = DOC_HARD_MAX_DEPTH;
	if (!o.max_nodes)
		o.max_nodes = DOC_DEFAULT_MAX_NODES;
	if (!o.max_bytes)
		o.max_bytes = DOC_DEFAULT_MAX_BYTES;
	if (!o.max_alias_expansion)
		o.max_alias_expansion = DOC_DEFAULT_MAX_ALIAS;
	if (!o.filename)
		o.filename = "<input>";
	return o;
}

#endif
