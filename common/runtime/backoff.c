/* Retry timing: per-item exponential backoff (client-go's rate limiter) and interval jitter. */
#include "cf/runtime.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/random.h>

int64_t cf_backoff_delay_ms(int64_t base_ms, int64_t max_ms, unsigned failures)
{
	int64_t d = base_ms;

	if (base_ms <= 0)
		return 0;
	/* Doubling stops as soon as the cap is reached, so a large count cannot overflow. */
	for (unsigned i = 0; i < failures && d < max_ms; i++)
		d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
	return d > max_ms ? max_ms : d;
}

int64_t cf_jitter_ms(int64_t interval_ms, int percentage)
{
	unsigned int r;

	if (percentage <= 0 || interval_ms <= 0)
		return interval_ms;
	if (percentage > 100)
		percentage = 100;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned int)rand();
	double f = ((double)r / (double)UINT_MAX * 2.0 - 1.0) * percentage / 100.0;
	return interval_ms + (int64_t)((double)interval_ms * f);
}
