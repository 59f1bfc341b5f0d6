/*
 * Plumbing every reconciler needs on a Kubernetes object held as a jansson tree: reading fields,
 * the Flux finalizer, status patches, Events, Secret and ConfigMap data.
 */
#ifndef CF_OBJECT_H
#define CF_OBJECT_H

#include <jansson.h>
#include <stdint.h>

#include "cf/bus.h"
#include "cf/kube.h"

#define CF_OBJECT_FINALIZER "finalizers.fluxcd.io"

/* Who reports Events: the controller's name and the annotation key carrying the revision. */
typedef struct {
	const char *controller;           /* e.g. "kustomize-controller" */
	const char *revision_annotation;  /* e.g. "kustomize.toolkit.fluxcd.io/revision" */
} cf_object_reporter;

/* Borrowed string at a dotted path ("spec.sourceRef.name"), or NULL. */
const char *cf_object_str(const json_t *obj, const char *path);
/* A Go duration field in milliseconds, or dflt_ms when absent or invalid. */
int64_t cf_object_duration_ms(const json_t *obj, const char *path, int64_t dflt_ms);
/* A label or annotation value (borrowed), or NULL. which is "labels" or "annotations". */
const char *cf_object_meta(const json_t *obj, const char *which, const char *key);
/* 1 when a label or annotation key has value (compared case-insensitively). */
int cf_object_meta_is(const json_t *obj, const char *key, const char *value);

/* GETs an object as jansson (caller json_decref()s). CF_ENOTFOUND when absent. */
int cf_object_get(json_t **out, cf_kube *kube, const char *api_version, const char *kind,
		  const char *ns, const char *name);
/* Adds (add=1) or removes the Flux finalizer with a compare-and-swap merge patch. */
int cf_object_finalizer(cf_kube *kube, json_t *obj, int add);
/* Merge-patches the status subresource from old's status to obj's (nulls for removed keys). */
int cf_object_patch_status(cf_kube *kube, const json_t *old, json_t *obj);
/* Records an Event about obj with the revision annotation; failures are only logged. */
void cf_object_event(cf_kube *kube, const cf_object_reporter *who, const json_t *obj, const char *type,
		     const char *reason, const char *revision, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* The decoded data of a Secret, or the data of a ConfigMap, as a jansson object of strings. */
int cf_object_data(json_t **out, cf_kube *kube, const char *kind, const char *ns, const char *name);
/*
 * Publishes a ReconcileResult for obj on bus: its identity, generation and Ready condition, with
 * revision (may be NULL) and the run's duration. A NULL bus (publishing turned off) is a no-op
 * returning 0; otherwise cf_bus_pub_send()'s code. Callers only log failures: the bus is a hint.
 */
int cf_object_publish_result(cf_bus_pub *bus, const char *controller, const char *kind, const json_t *obj,
			     const char *revision, uint64_t duration_ms);
/* Removes a directory tree without following links; missing is fine. */
void cf_object_rmtree(const char *path);

#endif
