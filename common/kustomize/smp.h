/* The built-in schema table the strategic merge consults (smp_schema.c). */
#ifndef CF_KUSTOMIZE_SMP_H
#define CF_KUSTOMIZE_SMP_H

typedef struct {
	const void *type;     /* type of the value (or list items), NULL when unknown */
	const char *key;      /* merge key of an associative list, or NULL */
	const char *key2;     /* second list-map key (ports: protocol), or NULL */
	int primitive_merge;  /* list of scalars merged as a set */
} smp_field_info;

/* Root type of a built-in kind, or NULL (custom resources: no schema). */
const void *smp_root_type(const char *api_version, const char *kind);
/* Fills *out for field of type; returns 1 when the field is known. */
int smp_field(const void *type, const char *field, smp_field_info *out);

#endif
