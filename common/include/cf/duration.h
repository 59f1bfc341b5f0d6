/* Go's time.Duration text format, as Flux's interval, timeout and retryInterval fields use it. */
#ifndef CF_DURATION_H
#define CF_DURATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses a Go duration ("1h0m0s", "90s", "1.5h", "300ms", "-2m", "0") into nanoseconds, with
 * Go's rules: units ns, us (also µs and μs), ms, s, m, h; a sign; decimal fractions; no unit
 * only for "0". Returns 0, or CF_EINVALID ("invalid duration ...") / CF_ELIMIT on overflow.
 */
int cf_duration_parse(int64_t *out_ns, const char *s);

/* Formats as Go's Duration.String(): "1h0m0s", "1m30s", "1.5s", "300ms", "0s". */
void cf_duration_format(char *buf, size_t size, int64_t ns);

#define CF_DURATION_MS(ns) ((ns) / 1000000)
#define CF_SECOND INT64_C(1000000000)

#endif
