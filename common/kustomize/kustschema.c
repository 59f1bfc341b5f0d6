/*
 * Type checks of a kustomization against kustomize's Go types, reported as Go's encoding/json
 * does ("cannot unmarshal number into Go struct field Image.images.newTag of type string").
 */
#include <stdio.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

typedef enum { T_ANY, T_STR, T_BOOL, T_INT, T_STRMAP, T_BOOLMAP, T_STRLIST, T_OBJ, T_OBJLIST } ftype;

typedef struct field_schema field_schema;
typedef struct {
	const char *name;      /* Go struct the fields belong to */
	const char *go_type;   /* its type name in messages, "types.Image" */
	const field_schema *fields;
} struct_schema;

struct field_schema {
	const char *key;
	ftype type;
	const struct_schema *sub;
};

#define END {NULL, T_ANY, NULL}

static const field_schema selector_f[] = {
	{"group", T_STR, NULL}, {"version", T_STR, NULL}, {"kind", T_STR, NULL},
	{"name", T_STR, NULL}, {"namespace", T_STR, NULL}, {"labelSelector", T_STR, NULL},
	{"annotationSelector", T_STR, NULL}, END,
};
static const struct_schema selector_s = {"Selector", "types.Selector", selector_f};

static const field_schema patch_f[] = {
	{"path", T_STR, NULL}, {"patch", T_STR, NULL}, {"target", T_OBJ, &selector_s},
	{"options", T_BOOLMAP, NULL}, END,
};
static const struct_schema patch_s = {"Patch", "types.Patch", patch_f};

static const field_schema image_f[] = {
	{"name", T_STR, NULL}, {"newName", T_STR, NULL}, {"newTag", T_STR, NULL},
	{"digest", T_STR, NULL}, {"tagSuffix", T_STR, NULL}, END,
};
static const struct_schema image_s = {"Image", "types.Image", image_f};

static const field_schema replica_f[] = {{"name", T_STR, NULL}, {"count", T_INT, NULL}, END};
static const struct_schema replica_s = {"Replica", "types.Replica", replica_f};

static const field_schema label_f[] = {
	{"pairs", T_STRMAP, NULL}, {"includeSelectors", T_BOOL, NULL},
	{"includeTemplates", T_BOOL, NULL}, {"includeVolumeClaimTemplates", T_BOOL, NULL},
	{"fields", T_ANY, NULL}, END,
};
static const struct_schema label_s = {"Label", "types.Label", label_f};

static const field_schema genopts_f[] = {
	{"labels", T_STRMAP, NULL}, {"annotations", T_STRMAP, NULL},
	{"disableNameSuffixHash", T_BOOL, NULL}, {"immutable", T_BOOL, NULL}, END,
};
static const struct_schema genopts_s = {"GeneratorOptions", "types.GeneratorOptions", genopts_f};

static const field_schema genargs_f[] = {
	{"namespace", T_STR, NULL}, {"name", T_STR, NULL}, {"behavior", T_STR, NULL},
	{"literals", T_STRLIST, NULL}, {"files", T_STRLIST, NULL}, {"envs", T_STRLIST, NULL},
	{"env", T_STR, NULL}, {"type", T_STR, NULL}, {"options", T_OBJ, &genopts_s}, END,
};
static const struct_schema cmargs_s = {"GeneratorArgs", "types.ConfigMapArgs", genargs_f};
static const struct_schema secargs_s = {"GeneratorArgs", "types.SecretArgs", genargs_f};

static const field_schema legacy_sort_f[] = {
	{"orderFirst", T_STRLIST, NULL}, {"orderLast", T_STRLIST, NULL}, END,
};
static const struct_schema legacy_sort_s = {"LegacySortOptions", "types.LegacySortOptions",
                                             legacy_sort_f};
static const field_schema sort_f[] = {
	{"order", T_STR, NULL}, {"legacySortOptions", T_OBJ, &legacy_sort_s}, END,
};
static const struct_schema sort_s = {"SortOptions", "types.SortOptions", sort_f};

static const field_schema kust_f[] = {
	{"apiVersion", T_STR, NULL}, {"kind", T_STR, NULL}, {"namePrefix", T_STR, NULL},
	{"nameSuffix", T_STR, NULL}, {"namespace", T_STR, NULL}, {"commonLabels", T_STRMAP, NULL},
	{"commonAnnotations", T_STRMAP, NULL}, {"labels", T_OBJLIST, &label_s},
	{"patchesStrategicMerge", T_STRLIST, NULL}, {"patchesJson6902", T_OBJLIST, &patch_s},
	{"patches", T_OBJLIST, &patch_s}, {"images", T_OBJLIST, &image_s},
	{"imageTags", T_OBJLIST, &image_s}, {"replicas", T_OBJLIST, &replica_s},
	{"sortOptions", T_OBJ, &sort_s}, {"resources", T_STRLIST, NULL},
	{"components", T_STRLIST, NULL}, {"crds", T_STRLIST, NULL}, {"bases", T_STRLIST, NULL},
	{"configMapGenerator", T_OBJLIST, &cmargs_s}, {"secretGenerator", T_OBJLIST, &secargs_s},
	{"generatorOptions", T_OBJ, &genopts_s}, {"configurations", T_STRLIST, NULL},
	{"generators", T_STRLIST, NULL}, {"transformers", T_STRLIST, NULL},
	{"validators", T_STRLIST, NULL}, {"buildMetadata", T_STRLIST, NULL}, END,
};
static const struct_schema kust_s = {"Kustomization", "types.Kustomization", kust_f};

/* The JSON type name Go reports for a node. */
static const char *json_type(const cf_doc *n)
{
	switch (cf_doc_type_of(n)) {
	case CF_DOC_BOOL: return "bool";
	case CF_DOC_INT:
	case CF_DOC_FLOAT: return "number";
	case CF_DOC_SEQ: return "array";
	case CF_DOC_MAP: return "object";
	default: return "string";
	}
}

static int mismatch(const cf_doc *n, const struct_schema *s, const char *path, const char *want)
{
	return cf_error_set(CF_EINVALID, "invalid Kustomization: json: cannot unmarshal %s into Go "
	                    "struct field %s.%s of type %s (line %d)", json_type(n), s->name, path,
	                    want, cf_doc_line(n));
}

static int is_null(const cf_doc *n)
{
	return !n || cf_doc_type_of(n) == CF_DOC_NULL;
}

static int is_scalar_str(const cf_doc *n)
{
	/* timestamps stay strings in the tree; JSON sees them as strings too */
	return cf_doc_type_of(n) == CF_DOC_STR;
}

static int check_struct(const cf_doc *m, const struct_schema *s, const char *prefix);

static int check_field(const cf_doc *v, const field_schema *f, const struct_schema *s,
                       const char *path)
{
	switch (f->type) {
	case T_ANY:
		return 0;
	case T_STR:
		return is_scalar_str(v) ? 0 : mismatch(v, s, path, "string");
	case T_BOOL:
		return cf_doc_type_of(v) == CF_DOC_BOOL ? 0 : mismatch(v, s, path, "bool");
	case T_INT:
		return cf_doc_type_of(v) == CF_DOC_INT ? 0 : mismatch(v, s, path, "int64");
	case T_STRMAP:
	case T_BOOLMAP:
		if (cf_doc_type_of(v) != CF_DOC_MAP)
			return mismatch(v, s, path, f->type == T_STRMAP ? "map[string]string"
			                                                 : "map[string]bool");
		for (size_t i = 0; i < cf_doc_len(v); i++) {
			const cf_doc *e = cf_doc_value(v, i);
			if (is_null(e))
				continue;
			if (f->type == T_STRMAP && !is_scalar_str(e))
				return mismatch(e, s, path, "string");
			if (f->type == T_BOOLMAP && cf_doc_type_of(e) != CF_DOC_BOOL)
				return mismatch(e, s, path, "bool");
		}
		return 0;
	case T_STRLIST:
		if (cf_doc_type_of(v) != CF_DOC_SEQ)
			return mismatch(v, s, path, "[]string");
		for (size_t i = 0; i < cf_doc_len(v); i++)
			if (!is_null(cf_doc_item(v, i)) && !is_scalar_str(cf_doc_item(v, i)))
				return mismatch(cf_doc_item(v, i), s, path, "string");
		return 0;
	case T_OBJ:
		if (cf_doc_type_of(v) != CF_DOC_MAP)
			return mismatch(v, s, path, f->sub->go_type);
		return check_struct(v, f->sub, path);
	case T_OBJLIST: {
		char want[64];
		snprintf(want, sizeof(want), "[]%s", f->sub->go_type);
		if (cf_doc_type_of(v) != CF_DOC_SEQ)
			return mismatch(v, s, path, want);
		for (size_t i = 0; i < cf_doc_len(v); i++) {
			const cf_doc *e = cf_doc_item(v, i);
			int err;
			if (is_null(e))
				continue;
			if (cf_doc_type_of(e) != CF_DOC_MAP)
				return mismatch(e, s, path, f->sub->go_type);
			if ((err = check_struct(e, f->sub, path)) < 0)
				return err;
		}
		return 0;
	}
	}
	return 0;
}

static int check_struct(const cf_doc *m, const struct_schema *s, const char *prefix)
{
	for (const field_schema *f = s->fields; f->key; f++) {
		const cf_doc *v = cf_doc_get(m, f->key);
		char path[256];
		int err;

		if (is_null(v))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", f->key);
		if ((err = check_field(v, f, s, path)) < 0)
			return err;
	}
	return 0;
}

int kz_kust_check_types(const cf_doc *k)
{
	return check_struct(k, &kust_s, "");
}
