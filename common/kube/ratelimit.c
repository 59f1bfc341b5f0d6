/* The client-side token bucket (QPS with a burst) every request passes through. */
#include "kube_int.h"

#include <errno.h>

int64_t kube_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void kube_ratelimit_init(kube_ratelimit *rl, double qps, int burst, int64_t now_ns)
{
	pthread_mutex_init(&rl->mu, NULL);
	rl->qps = qps;
	rl->burst = burst > 0 ? burst : 1;
	rl->tokens = rl->burst;
	rl->last_ns = now_ns;
}

/*
 * Reservation style (like golang.org/x/time/rate's Wait): the token is taken now, possibly driving
 * the bucket negative, and the caller sleeps off the debt outside the lock. Waiters are thus
 * served in arrival order without a condition variable.
 */
int64_t kube_ratelimit_reserve(kube_ratelimit *rl, int64_t now_ns)
{
	int64_t wait = 0;

	if (rl->qps <= 0)
		return 0;
	pthread_mutex_lock(&rl->mu);
	if (now_ns > rl->last_ns) {
		rl->tokens += (double)(now_ns - rl->last_ns) * rl->qps / 1e9;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ns = now_ns;
	}
	rl->tokens -= 1;
	if (rl->tokens < 0)
		wait = (int64_t)(-rl->tokens / rl->qps * 1e9);
	pthread_mutex_unlock(&rl->mu);
	return wait;
}

void kube_ratelimit_wait(kube_ratelimit *rl)
{
	int64_t wait = kube_ratelimit_reserve(rl, kube_mono_ns());
	struct timespec ts = { wait / 1000000000, wait % 1000000000 };

	if (wait > 0)
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
}

void kube_ratelimit_destroy(kube_ratelimit *rl)
{
	pthread_mutex_destroy(&rl->mu);
}
