/* cf_runtime_main(): flags, client, servers, informers, leader election, workers and shutdown. */
#include "runtime_int.h"
#include "cf/error.h"
#include "cf/log.h"

#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESYNC_MS (10LL * 3600 * 1000) /* controller-runtime's default SyncPeriod */

/* ---- accessors ---- */

cf_kube *cf_runtime_kube(cf_runtime *rt)
{
	return rt->kube;
}

const cf_runtime_config *cf_runtime_config_of(cf_runtime *rt)
{
	return &rt->cfg;
}

cf_metrics *cf_runtime_metrics(cf_runtime *rt)
{
	return rt->metrics;
}

cf_cache *cf_runtime_cache(cf_runtime *rt, const char *kind)
{
	/* The primary's informer first: it carries the kind's indexes. */
	for (size_t i = 0; i < rt->nctrls; i++)
		if (strcmp(rt->ctrls[i].kind->kind, kind) == 0)
			return cf_informer_cache(rt->ctrls[i].primary->inf);
	for (size_t i = 0; i < rt->ninformers; i++)
		if (strcmp(rt->informers[i]->kind, kind) == 0)
			return cf_informer_cache(rt->informers[i]->inf);
	return NULL;
}

int cf_runtime_enqueue(cf_runtime *rt, const char *kind, const char *key)
{
	for (size_t i = 0; i < rt->nctrls; i++)
		if (strcmp(rt->ctrls[i].kind->kind, kind) == 0)
			return cf_queue_add(rt->ctrls[i].queue, key);
	return cf_error_set(CF_ENOTFOUND, "this controller does not reconcile %s", kind);
}

void cf_runtime_request_stop(cf_runtime *rt)
{
	atomic_store(&rt->stop_requested, 1);
}

int cf_runtime_is_leader(cf_runtime *rt)
{
	return !rt->cfg.enable_leader_election || (rt->leader && cf_leader_is_leader(rt->leader));
}

int64_t cf_runtime_jitter_ms(cf_runtime *rt, int64_t interval_ms)
{
	return cf_jitter_ms(interval_ms, rt->cfg.interval_jitter_percentage);
}

int cf_runtime_lease_name(char *buf, size_t size, const char *service, const char *selector)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n;

	if (!selector || !*selector) {
		n = snprintf(buf, size, "%s-leader-election", service);
	} else {
		if (!EVP_Digest(selector, strlen(selector), md, &mdlen, EVP_sha256(), NULL))
			return cf_error_set(CF_ERROR, "sha256 failed");
		n = snprintf(buf, size, "%s-leader-election-%02x%02x%02x%02x", service, md[0], md[1],
			     md[2], md[3]);
	}
	if (n < 0 || (size_t)n >= size)
		return cf_error_set(CF_ELIMIT, "lease name too long");
	return 0;
}

/* ---- informers ---- */

static int same_opt(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

int rt_informer_get(rt_informer **out, cf_runtime *rt, const char *api_version, const char *kind,
		    const char *selector, const cf_index_def *indexes)
{
	rt_informer **grown, *ri;
	int err;

	for (size_t i = 0; i < rt->ninformers; i++) {
		ri = rt->informers[i];
		if (strcmp(ri->api_version, api_version) == 0 && strcmp(ri->kind, kind) == 0 &&
		    same_opt(ri->selector, selector)) {
			*out = ri;
			return 0;
		}
	}
	if (!(grown = realloc(rt->informers, (rt->ninformers + 1) * sizeof(*grown))))
		return cf_error_set(CF_ENOMEM, "out of memory adding an informer");
	rt->informers = grown;
	if (!(ri = calloc(1, sizeof(*ri))) || !(ri->api_version = strdup(api_version)) ||
	    !(ri->kind = strdup(kind)) || (selector && !(ri->selector = strdup(selector)))) {
		if (ri) {
			free(ri->api_version);
			free(ri->kind);
			free(ri);
		}
		return cf_error_set(CF_ENOMEM, "out of memory adding an informer");
	}
	cf_informer_opts opts = {.api_version = api_version, .kind = kind,
				 .namespace_ = rt->cfg.watch_all_namespaces ? NULL : rt->cfg.namespace_,
				 .label_selector = selector, .resync_ms = RESYNC_MS,
				 .indexes = indexes, .cancel = rt->cancel};
	rt->informers[rt->ninformers++] = ri;
	if ((err = cf_informer_new(&ri->inf, rt->kube, &opts)) < 0)
		return err;
	*out = ri;
	return 0;
}

static int all_synced(cf_runtime *rt)
{
	for (size_t i = 0; i < rt->ninformers; i++)
		if (!cf_informer_synced(rt->informers[i]->inf))
			return 0;
	return 1;
}

static int ready(void *ctx)
{
	cf_runtime *rt = ctx;

	return atomic_load(&rt->running) && !atomic_load(&rt->stopping) && all_synced(rt);
}

/* ---- flags ---- */

static void config_defaults(cf_runtime_config *c, const cf_service *svc)
{
	*c = (cf_runtime_config){
		.concurrent = svc->concurrent_default > 0 ? svc->concurrent_default : 4,
		.watch_all_namespaces = 1,
		.metrics_addr = ":8080",
		.health_addr = ":9440",
		.lease_duration_ms = 35000,
		.renew_deadline_ms = 30000,
		.retry_period_ms = 5000,
		.log_level = "info",
		.log_encoding = "json",
		.requeue_dependency_ms = 30000,
		.min_retry_delay_ms = 750,
		.max_retry_delay_ms = 15 * 60 * 1000,
		.graceful_shutdown_ms = svc->graceful_shutdown_default_ms > 0
						? svc->graceful_shutdown_default_ms : 30000,
		.interval_jitter_percentage = 5,
		.kube_api_qps = 50,
		.kube_api_burst = 300,
	};
}

static int parse_flags(cf_runtime_config *c, int argc, char **argv, const cf_service *svc)
{
	const cf_flag shared[] = {
		{"kubeconfig", CF_FLAG_STRING, &c->kubeconfig, "Path to a kubeconfig."},
		{"concurrent", CF_FLAG_INT, &c->concurrent, "The number of concurrent reconciles."},
		{"watch-all-namespaces", CF_FLAG_BOOL, &c->watch_all_namespaces,
		 "Watch for custom resources in all namespaces, if set to false it will only watch "
		 "the runtime namespace."},
		{"watch-label-selector", CF_FLAG_STRING, &c->watch_label_selector,
		 "Watch for resources with matching labels e.g. 'sharding.fluxcd.io/key=shard1'."},
		{"metrics-addr", CF_FLAG_STRING, &c->metrics_addr,
		 "The address the metric endpoint binds to."},
		{"health-addr", CF_FLAG_STRING, &c->health_addr,
		 "The address the health endpoint binds to."},
		{"enable-leader-election", CF_FLAG_BOOL, &c->enable_leader_election,
		 "Enable leader election for controller manager."},
		{"leader-election-lease-duration", CF_FLAG_DURATION, &c->lease_duration_ms,
		 "Interval at which non-leader candidates will wait to force acquire leadership."},
		{"leader-election-renew-deadline", CF_FLAG_DURATION, &c->renew_deadline_ms,
		 "Duration that the leading controller manager will retry refreshing leadership "
		 "before giving up."},
		{"leader-election-retry-period", CF_FLAG_DURATION, &c->retry_period_ms,
		 "Duration the LeaderElector clients should wait between tries of actions."},
		{"log-level", CF_FLAG_STRING, &c->log_level, "Log verbosity level: debug, info or error."},
		{"log-encoding", CF_FLAG_STRING, &c->log_encoding,
		 "Log encoding format: json or console (accepted for Flux compatibility; lines are JSON)."},
		{"requeue-dependency", CF_FLAG_DURATION, &c->requeue_dependency_ms,
		 "The interval at which failing dependencies are reevaluated."},
		{"min-retry-delay", CF_FLAG_DURATION, &c->min_retry_delay_ms,
		 "The minimum amount of time for which an object being reconciled will have to wait "
		 "before a retry."},
		{"max-retry-delay", CF_FLAG_DURATION, &c->max_retry_delay_ms,
		 "The maximum amount of time for which an object being reconciled will have to wait "
		 "before a retry."},
		{"graceful-shutdown-timeout", CF_FLAG_DURATION, &c->graceful_shutdown_ms,
		 "The duration given to the reconciler to finish before forcibly stopping."},
		{"interval-jitter-percentage", CF_FLAG_INT, &c->interval_jitter_percentage,
		 "Percentage of jitter to apply to interval durations."},
		{"kube-api-qps", CF_FLAG_DOUBLE, &c->kube_api_qps,
		 "The maximum queries-per-second of requests sent to the Kubernetes API."},
		{"kube-api-burst", CF_FLAG_INT, &c->kube_api_burst,
		 "The maximum burst queries-per-second of requests sent to the Kubernetes API."},
		{NULL},
	};
	const cf_flag *tables[] = {shared, svc->flags, NULL};

	return cf_flags_parse(argc, argv, tables);
}

/* ---- start-up ---- */

static int setup_client(cf_runtime *rt)
{
	const char *env_ns = getenv("RUNTIME_NAMESPACE");
	int err;

	if ((err = cf_kube_config_load_default(&rt->kcfg, rt->cfg.kubeconfig, NULL)) < 0)
		return err;
	rt->cfg.namespace_ = env_ns && *env_ns ? env_ns : cf_kube_config_namespace(rt->kcfg);
	cf_kube_opts ko = {.qps = rt->cfg.kube_api_qps, .burst = rt->cfg.kube_api_burst,
			   .user_agent = rt->svc->name};
	if ((err = cf_kube_new(&rt->kube, rt->kcfg, &ko)) < 0)
		return err;
	return cf_kube_cancel_new(&rt->cancel);
}

static int setup_servers(cf_runtime *rt)
{
	cf_http_routes metrics = {.metrics = rt->metrics};
	cf_http_routes health = {.ready = ready, .ready_ctx = rt};
	int err;

	if ((err = cf_metrics_new(&rt->metrics)) < 0 || (err = rt_metrics_init(rt)) < 0)
		return err;
	metrics.metrics = rt->metrics;
	if ((err = cf_http_start(&rt->metrics_srv, rt->cfg.metrics_addr, &metrics)) < 0)
		return cf_error_wrap(err, "metrics server: ");
	if ((err = cf_http_start(&rt->health_srv, rt->cfg.health_addr, &health)) < 0)
		return cf_error_wrap(err, "health server: ");
	return 0;
}

static int start_service(cf_runtime *rt)
{
	int err;

	if (!rt->svc->start)
		return 0;
	if ((err = rt->svc->start(rt, &rt->svc_ctx)) < 0)
		return err;
	rt->svc_started = 1;
	return 0;
}

static int setup_controllers(cf_runtime *rt)
{
	size_t n = 0;
	int err;

	for (const cf_kind *k = rt->svc->kinds; k && k->kind; k++)
		n++;
	if (n && !(rt->ctrls = calloc(n, sizeof(*rt->ctrls))))
		return cf_error_set(CF_ENOMEM, "out of memory creating controllers");
	for (size_t i = 0; i < n; i++) {
		rt->nctrls = i + 1;
		if ((err = rt_controller_init(rt, &rt->ctrls[i], &rt->svc->kinds[i])) < 0)
			return err;
	}
	for (size_t i = 0; i < rt->ninformers; i++)
		if ((err = cf_informer_start(rt->informers[i]->inf)) < 0)
			return err;
	return 0;
}

static int setup_leader(cf_runtime *rt)
{
	char name[300];
	int err;

	if (!rt->cfg.enable_leader_election)
		return 0;
	if ((err = cf_runtime_lease_name(name, sizeof(name), rt->svc->name,
					 rt->cfg.watch_label_selector)) < 0)
		return err;
	cf_leader_opts lo = {.namespace_ = rt->cfg.namespace_, .name = name,
			     .lease_duration_ms = rt->cfg.lease_duration_ms,
			     .renew_deadline_ms = rt->cfg.renew_deadline_ms,
			     .retry_period_ms = rt->cfg.retry_period_ms};
	if ((err = cf_leader_new(&rt->leader, rt->kube, &lo)) < 0)
		return err;
	return cf_leader_start(rt->leader);
}

/* ---- running ---- */

/*
 * The main thread owns the signals: it waits for SIGTERM/SIGINT in short slices, starting the
 * workers once caches are synced and (with leader election) this process leads.
 * Returns 0 on a signal or stop request, 1 when leadership was lost.
 */
static int run_until_signal(cf_runtime *rt, const sigset_t *sigs)
{
	struct timespec slice = {0, 100 * 1000000};
	int started = 0;

	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &slice);
		if (sig == SIGTERM || sig == SIGINT) {
			cf_log_info(NULL, "shutdown signal received");
			return 0;
		}
		if (atomic_load(&rt->stop_requested))
			return 0;
		if (rt->leader && cf_leader_lost(rt->leader))
			return 1;
		if (started || !all_synced(rt) || (rt->leader && !cf_leader_is_leader(rt->leader)))
			continue;
		for (size_t i = 0; i < rt->nctrls; i++)
			if (rt_controller_start(&rt->ctrls[i], rt->cfg.concurrent) < 0) {
				cf_log_error(NULL, "%s", cf_error_last());
				return 1;
			}
		started = 1;
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A second SIGTERM/SIGINT while draining exits at once, as controller-runtime does. */
static void exit_on_second_signal(const sigset_t *sigs)
{
	struct timespec now = {0, 0};

	if (sigs && sigtimedwait(sigs, NULL, &now) > 0) {
		cf_log_error(NULL, "second shutdown signal received, exiting directly");
		_exit(1);
	}
}

/* Stops taking work and waits for in-flight reconciles. 0, or CF_ETIMEOUT. */
static int stop_controllers(cf_runtime *rt, const sigset_t *sigs)
{
	int64_t deadline = mono_ms() + rt->cfg.graceful_shutdown_ms;
	int err = 0;

	atomic_store(&rt->stopping, 1);
	for (size_t i = 0; i < rt->nctrls; i++)
		if (rt->ctrls[i].queue)
			cf_queue_shut_down(rt->ctrls[i].queue);
	for (size_t i = 0; i < rt->nctrls; i++) {
		for (;;) {
			int64_t left = deadline - mono_ms();
			int rc = rt_controller_stop(&rt->ctrls[i], left > 100 ? 100 : left > 0 ? left : 0);
			if (rc == 0)
				break;
			if (left <= 100) {
				err = CF_ETIMEOUT;
				break;
			}
			exit_on_second_signal(sigs);
		}
	}
	if (err)
		cf_log_error(NULL, "reconciles still running after the %lldms graceful shutdown timeout",
			     (long long)rt->cfg.graceful_shutdown_ms);
	return err;
}

static void teardown(cf_runtime *rt, int workers_stopped)
{
	/* Releasing the Lease first lets a standby take over while this process finishes. */
	cf_leader_free(rt->leader);
	rt->leader = NULL;
	if (rt->cancel)
		cf_kube_cancel_fire(rt->cancel);
	if (!workers_stopped)
		return; /* reconciles still use the client and caches: the process exits now */
	/* No request may look at the informers once they are freed. */
	cf_http_stop(rt->metrics_srv);
	cf_http_stop(rt->health_srv);
	for (size_t i = 0; i < rt->ninformers; i++) {
		cf_informer_free(rt->informers[i]->inf);
		free(rt->informers[i]->api_version);
		free(rt->informers[i]->kind);
		free(rt->informers[i]->selector);
		free(rt->informers[i]);
	}
	free(rt->informers);
	if (rt->svc->stop && rt->svc_started)
		rt->svc->stop(rt, rt->svc_ctx);
	for (size_t i = 0; i < rt->nctrls; i++)
		rt_controller_free(&rt->ctrls[i]);
	free(rt->ctrls);
	for (size_t i = 0; i < rt->nwatches; i++)
		free(rt->watches[i]);
	free(rt->watches);
	cf_metrics_free(rt->metrics);
	cf_kube_cancel_free(rt->cancel);
	cf_kube_free(rt->kube);
	cf_kube_config_free(rt->kcfg);
}

int cf_runtime_main(int argc, char **argv, const cf_service *svc)
{
	cf_runtime rt = {.svc = svc};
	cf_log_level level;
	sigset_t sigs;
	int err, rc = 1;

	config_defaults(&rt.cfg, svc);
	if ((err = parse_flags(&rt.cfg, argc, argv, svc)) < 0) {
		if (err == CF_ECANCELED)
			return 0;
		fprintf(stderr, "Error: %s\n", cf_error_last());
		return 2;
	}
	if (cf_log_parse_level(rt.cfg.log_level, &level) < 0) {
		fprintf(stderr, "Error: %s\n", cf_error_last());
		return 2;
	}
	if (strcmp(rt.cfg.log_encoding, "json") != 0 && strcmp(rt.cfg.log_encoding, "console") != 0) {
		fprintf(stderr, "Error: invalid log encoding '%s' (want json or console)\n", rt.cfg.log_encoding);
		return 2;
	}
	cf_log_init(stderr, level);
	/* Every thread started from here on inherits the blocked signals; main waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((err = setup_client(&rt)) < 0 || (err = setup_servers(&rt)) < 0 ||
	    (err = start_service(&rt)) < 0 || (err = setup_controllers(&rt)) < 0 ||
	    (err = setup_leader(&rt)) < 0) {
		cf_log_error(NULL, "unable to start %s: %s", svc->name, cf_error_last());
		stop_controllers(&rt, NULL);
		teardown(&rt, 1);
		return 1;
	}
	atomic_store(&rt.running, 1);
	cf_log_info(NULL, "starting manager");
	int lost = run_until_signal(&rt, &sigs);
	int stopped = stop_controllers(&rt, &sigs) == 0;
	teardown(&rt, stopped);
	rc = lost ? 1 : 0;
	cf_log_info(NULL, "%s stopped", svc->name);
	return rc;
}
