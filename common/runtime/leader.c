/* Leader election on a coordination.k8s.io Lease, with client-go's acquire/renew/release rules. */
#include "cf/runtime.h"
#include "cf/error.h"
#include "cf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cf_leader {
	cf_kube *kube;
	char ns[254], name[254], identity[256];
	int64_t lease_ms, renew_deadline_ms, retry_ms;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cond;   /* state changes and stop requests */
	int stop, leading, lost, done;
	cf_kube_lease observed;
	int64_t observed_at;   /* monotonic ms when `observed` last changed */
	int have_observed;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void default_identity(char *buf, size_t size)
{
	char host[128] = "unknown";
	unsigned char rnd[8] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	gethostname(host, sizeof(host) - 1);
	if (fd >= 0) {
		if (read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		close(fd);
	}
	snprintf(buf, size, "%s_%02x%02x%02x%02x%02x%02x%02x%02x", host, rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
}

/* The record changed since we last looked (new holder, renewal or write): restart its clock. */
static void observe(cf_leader *le, const cf_kube_lease *rec)
{
	if (!le->have_observed || strcmp(le->observed.resource_version, rec->resource_version) != 0 ||
	    strcmp(le->observed.holder_identity, rec->holder_identity) != 0 ||
	    le->observed.renew_time_us != rec->renew_time_us) {
		le->observed = *rec;
		le->observed_at = mono_ms();
		le->have_observed = 1;
	}
}

/* One attempt to take or keep the Lease. 1: we hold it now; 0: someone else does; <0: error. */
static int try_acquire_or_renew(cf_leader *le)
{
	cf_kube_lease cur, next = {0};
	int64_t now = cf_kube_now_us();
	int err;

	snprintf(next.holder_identity, sizeof(next.holder_identity), "%s", le->identity);
	next.lease_duration_seconds = (long)((le->lease_ms + 999) / 1000);
	next.renew_time_us = now;
	next.acquire_time_us = now;
	err = cf_kube_lease_get(le->kube, &cur, le->ns, le->name);
	if (err == CF_ENOTFOUND) {
		if ((err = cf_kube_lease_create(le->kube, &cur, le->ns, le->name, &next)) < 0)
			return err == CF_EEXISTS ? 0 : err;
		observe(le, &cur);
		return 1;
	}
	if (err < 0)
		return err;
	observe(le, &cur);
	int mine = strcmp(cur.holder_identity, le->identity) == 0;
	if (!mine && cur.holder_identity[0] &&
	    mono_ms() < le->observed_at + (int64_t)cur.lease_duration_seconds * 1000)
		return 0;
	if (mine) {
		next.acquire_time_us = cur.acquire_time_us;
		next.lease_transitions = cur.lease_transitions;
	} else {
		next.lease_transitions = cur.lease_transitions + 1;
	}
	snprintf(next.resource_version, sizeof(next.resource_version), "%s", cur.resource_version);
	if ((err = cf_kube_lease_update(le->kube, &cur, le->ns, le->name, &next)) < 0)
		return err == CF_ECONFLICT ? 0 : err;
	observe(le, &cur);
	return 1;
}

/* Waits ms or until stopped; returns 1 when stopped. Called with the lock held. */
static int wait_locked(cf_leader *le, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t ns = ts.tv_nsec + (ms % 1000) * 1000000;
	ts.tv_sec += ms / 1000 + ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	while (!le->stop && pthread_cond_timedwait(&le->cond, &le->mu, &ts) != ETIMEDOUT)
		;
	return le->stop;
}

static void set_state(cf_leader *le, int leading, int lost)
{
	pthread_mutex_lock(&le->mu);
	le->leading = leading;
	le->lost = lost;
	pthread_cond_broadcast(&le->cond);
	pthread_mutex_unlock(&le->mu);
}

static int sleep_or_stop(cf_leader *le, int64_t ms)
{
	pthread_mutex_lock(&le->mu);
	int stopped = wait_locked(le, ms);
	pthread_mutex_unlock(&le->mu);
	return stopped;
}

static void release(cf_leader *le)
{
	cf_kube_lease cur, next = {0};
	int64_t now = cf_kube_now_us();

	if (cf_kube_lease_get(le->kube, &cur, le->ns, le->name) < 0 ||
	    strcmp(cur.holder_identity, le->identity) != 0)
		return;
	/* An empty holder lets the next candidate take over at once, as client-go releases. */
	next.lease_duration_seconds = 1;
	next.acquire_time_us = now;
	next.renew_time_us = now;
	next.lease_transitions = cur.lease_transitions;
	snprintf(next.resource_version, sizeof(next.resource_version), "%s", cur.resource_version);
	if (cf_kube_lease_update(le->kube, &cur, le->ns, le->name, &next) < 0)
		cf_log_error(NULL, "releasing lease %s/%s: %s", le->ns, le->name, cf_error_last());
	else
		cf_log_info(NULL, "released lease %s/%s", le->ns, le->name);
}

static void *run(void *arg)
{
	cf_leader *le = arg;
	int rc;

	cf_log_info(NULL, "attempting to acquire leader lease %s/%s...", le->ns, le->name);
	for (;;) {
		if ((rc = try_acquire_or_renew(le)) == 1)
			break;
		if (rc < 0)
			cf_log_error(NULL, "error retrieving resource lock %s/%s: %s", le->ns, le->name,
				     cf_error_last());
		if (sleep_or_stop(le, le->retry_ms))
			goto out;
	}
	cf_log_info(NULL, "successfully acquired lease %s/%s", le->ns, le->name);
	set_state(le, 1, 0);
	int64_t last_renew = mono_ms();
	while (!sleep_or_stop(le, le->retry_ms)) {
		if ((rc = try_acquire_or_renew(le)) == 1) {
			last_renew = mono_ms();
			continue;
		}
		if (mono_ms() - last_renew >= le->renew_deadline_ms) {
			cf_log_error(NULL, "leader election lost: lease %s/%s not renewed within %lldms",
				     le->ns, le->name, (long long)le->renew_deadline_ms);
			set_state(le, 0, 1);
			goto out;
		}
	}
	release(le);
	set_state(le, 0, 0);
out:
	pthread_mutex_lock(&le->mu);
	le->done = 1;
	pthread_cond_broadcast(&le->cond);
	pthread_mutex_unlock(&le->mu);
	return NULL;
}

int cf_leader_new(cf_leader **out, cf_kube *kube, const cf_leader_opts *opts)
{
	cf_leader *le;
	pthread_condattr_t attr;

	if (!opts->namespace_ || !*opts->namespace_ || !opts->name || !*opts->name)
		return cf_error_set(CF_EINVALID, "leader election needs a namespace and a name");
	if (!(le = calloc(1, sizeof(*le))))
		return cf_error_set(CF_ENOMEM, "out of memory creating a leader elector");
	le->kube = kube;
	snprintf(le->ns, sizeof(le->ns), "%s", opts->namespace_);
	snprintf(le->name, sizeof(le->name), "%s", opts->name);
	if (opts->identity && *opts->identity)
		snprintf(le->identity, sizeof(le->identity), "%s", opts->identity);
	else
		default_identity(le->identity, sizeof(le->identity));
	le->lease_ms = opts->lease_duration_ms > 0 ? opts->lease_duration_ms : 35000;
	le->renew_deadline_ms = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : 30000;
	le->retry_ms = opts->retry_period_ms > 0 ? opts->retry_period_ms : 5000;
	pthread_mutex_init(&le->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&le->cond, &attr);
	pthread_condattr_destroy(&attr);
	*out = le;
	return 0;
}

int cf_leader_start(cf_leader *le)
{
	if (pthread_create(&le->thread, NULL, run, le) != 0)
		return cf_error_set(CF_ERROR, "cannot start the leader election thread");
	le->started = 1;
	return 0;
}

int cf_leader_wait(cf_leader *le, int64_t timeout_ms)
{
	int64_t until = mono_ms() + timeout_ms;
	int err = 0;

	pthread_mutex_lock(&le->mu);
	while (!le->leading) {
		if (le->stop || le->done) {
			err = cf_error_set(CF_ECANCELED, "leader election stopped");
			break;
		}
		int64_t left = timeout_ms < 0 ? 1000 : until - mono_ms();
		if (left <= 0) {
			err = cf_error_set(CF_ETIMEOUT, "not leading after %lldms", (long long)timeout_ms);
			break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ns = ts.tv_nsec + (left % 1000) * 1000000;
		ts.tv_sec += left / 1000 + ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		pthread_cond_timedwait(&le->cond, &le->mu, &ts);
	}
	pthread_mutex_unlock(&le->mu);
	return err;
}

int cf_leader_is_leader(cf_leader *le)
{
	pthread_mutex_lock(&le->mu);
	int v = le->leading;
	pthread_mutex_unlock(&le->mu);
	return v;
}

int cf_leader_lost(cf_leader *le)
{
	pthread_mutex_lock(&le->mu);
	int v = le->lost;
	pthread_mutex_unlock(&le->mu);
	return v;
}

const char *cf_leader_identity(const cf_leader *le)
{
	return le->identity;
}

void cf_leader_free(cf_leader *le)
{
	if (!le)
		return;
	if (le->started) {
		pthread_mutex_lock(&le->mu);
		le->stop = 1;
		pthread_cond_broadcast(&le->cond);
		pthread_mutex_unlock(&le->mu);
		pthread_join(le->thread, NULL);
	}
	pthread_cond_destroy(&le->cond);
	pthread_mutex_destroy(&le->mu);
	free(le);
}
