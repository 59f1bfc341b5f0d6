/* The runtime's private structures, shared by runtime.c (process) and controller.c (workers). */
#ifndef CF_RUNTIME_INT_H
#define CF_RUNTIME_INT_H

#include "cf/runtime.h"

#include <pthread.h>
#include <stdatomic.h>

/* One informer per (apiVersion, kind, label selector), shared by every handler that needs it. */
typedef struct {
	char *api_version, *kind, *selector;
	cf_informer *inf;
} rt_informer;

/* A primary kind's controller: its queue, workers and metric label. */
typedef struct {
	cf_runtime *rt;
	const cf_kind *kind;
	char name[128];          /* lower-case kind: controller-runtime's controller name */
	char api_version[320];   /* group/preferred version */
	cf_queue *queue;
	rt_informer *primary;
	pthread_t *workers;
	int nworkers;
} rt_controller;

/* A watched secondary kind bound to the controller it feeds. */
typedef struct {
	rt_controller *ctrl;
	const cf_watch_def *def;
} rt_watch;

struct cf_runtime {
	const cf_service *svc;
	cf_runtime_config cfg;
	void *svc_ctx;
	int svc_started;          /* svc->start succeeded, so svc->stop is due */
	cf_kube_config *kcfg;
	cf_kube *kube;
	cf_kube_cancel *cancel;
	cf_metrics *metrics;
	cf_metric *m_total, *m_errors, *m_duration, *m_suspend, *m_active, *m_max;
	cf_http *metrics_srv, *health_srv;
	cf_leader *leader;
	rt_informer **informers;
	size_t ninformers;
	rt_controller *ctrls;
	size_t nctrls;
	rt_watch **watches;
	size_t nwatches;
	atomic_int running;      /* set-up finished: the tables below no longer change */
	atomic_int stopping;     /* readyz fails from here on */
	atomic_int stop_requested;
};

/* Registers the reconcile metrics Flux and controller-runtime expose. */
int rt_metrics_init(cf_runtime *rt);

/* Sets up the controller for rt->ctrls[i] (queue, informers, handlers); workers start later. */
int rt_controller_init(cf_runtime *rt, rt_controller *c, const cf_kind *kind);
/* Starts `concurrent` workers. */
int rt_controller_start(rt_controller *c, int concurrent);
/* Stops handing out work; waits for in-flight reconciles until deadline (monotonic ms). */
int rt_controller_stop(rt_controller *c, int64_t timeout_ms);
void rt_controller_free(rt_controller *c);

/* The shared informer for (api_version, kind, selector), created when missing. */
int rt_informer_get(rt_informer **out, cf_runtime *rt, const char *api_version, const char *kind,
		    const char *selector, const cf_index_def *indexes);

#endif
