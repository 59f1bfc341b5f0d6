/*
 * Fuzzes kstatus with arbitrary JSON as a live object: both readers always give a status of the
 * enum and a terminated message, whatever the buffer size, and a short buffer only truncates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/kstatus.h"

typedef cf_kstatus (*reader_fn)(const json_t *live, char *msg, size_t size);

/* The status must not depend on the message buffer, and a short message is a prefix of the full one. */
static void check(reader_fn fn, const json_t *live, size_t short_size)
{
	char full[512], part[64];
	cf_kstatus s = fn(live, full, sizeof(full)), t = fn(live, part, short_size), u = fn(live, NULL, 0);

	if ((unsigned)s > CF_KSTATUS_UNKNOWN || s != t || s != u || !memchr(full, '\0', sizeof(full)))
		abort();
	if (short_size && (!memchr(part, '\0', short_size) || strncmp(full, part, strlen(part)) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *live;
	size_t short_size;

	if (size == 0)
		return 0;
	/* The first byte picks the short buffer's size (0 to 63); the rest is the object. */
	short_size = data[0] % 64;
	live = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!live)
		return 0;
	check(cf_kstatus_compute, live, short_size);
	check(cf_kstatus_job, live, short_size);
	json_decref(live);
	return 0;
}
