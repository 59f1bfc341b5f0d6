/*
 * libFuzzer target: the watch stream decoder (newline splitting, event JSON, ERROR Status) must
 * handle any bytes in any chunking without crashing, and hand out exactly the bytes it was given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "kube_int.h"

typedef struct {
	const uint8_t *data;
	size_t size;
	size_t events;
} input;

static int on_event(void *ctx, const cf_kube_watch_event *ev)
{
	input *in = ctx;

	/* The object is NUL-terminated, its length is right and its bytes come from the input. */
	if (!ev->object || strlen(ev->object) != ev->object_len || ev->object[ev->object_len] != '\0' ||
	    ev->object_len > in->size || !ev->resource_version)
		abort();
	if (ev->type < CF_KUBE_ADDED || ev->type > CF_KUBE_ERROR)
		abort();
	in->events++;
	/* Stopping early must be reported back unchanged. */
	return in->events == 1000 ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_watch_decoder w;
	input in = {data, size, 0};
	/* The first byte picks the chunk size, so splits land in every place of an event. */
	size_t chunk = size ? (size_t)data[0] % 17 + 1 : 1, off = size ? 1 : 0;
	int rc = 0;

	kube_watch_decoder_init(&w, on_event, &in);
	while (off < size && rc == 0) {
		size_t n = size - off < chunk ? size - off : chunk;
		rc = kube_watch_decoder_feed(&w, (const char *)data + off, n);
		off += n;
	}
	if (rc == 0)
		rc = kube_watch_decoder_finish(&w);
	if (rc > 0 && rc != 7)
		abort();
	kube_watch_decoder_free(&w);
	return 0;
}
