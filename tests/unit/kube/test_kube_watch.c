/* The watch stream decoder, fed a real kube-apiserver stream in every kind of chunking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cf/kube.h"
#include "kube_int.h"

typedef struct {
	char log[16][200];
	int n;
	int stop_at; /* 1-based event index at which the callback returns 9, 0: never */
} events;

static char *stream;
static size_t stream_len;

static int record(void *ctx, const cf_kube_watch_event *ev)
{
	static const char *const names[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" };
	events *e = ctx;
	json_t *obj = json_loadb(ev->object, ev->object_len, 0, NULL);
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	const char *k = json_string_value(json_object_get(json_object_get(obj, "data"), "k"));

	assert_non_null(obj);
	assert_int_equal(strlen(ev->object), ev->object_len);
	/* the object is handed out byte for byte as the server sent it */
	assert_non_null(strstr(stream, ev->object));
	if (e->n < 16)
		snprintf(e->log[e->n], sizeof(e->log[0]), "%s %s %s rv=%s code=%d",
		         names[ev->type], name ? name : "-", k ? k : "-", ev->resource_version,
		         ev->status_code);
	e->n++;
	json_decref(obj);
	return e->stop_at && e->n == e->stop_at ? 9 : 0;
}

static int load(void **state)
{
	return kube_read_file(&stream, &stream_len, "fixtures/watch-stream.jsonl", 1 << 20);
}

static int unload(void **state)
{
	free(stream);
	return 0;
}

/* Decodes the stream in chunks of size n and returns what _finish returned. */
static int decode(events *e, size_t n)
{
	kube_watch_decoder d;
	size_t off;
	int rc = 0;

	kube_watch_decoder_init(&d, record, e);
	for (off = 0; off < stream_len && !rc; off += n)
		rc = kube_watch_decoder_feed(&d, stream + off, off + n > stream_len ? stream_len - off : n);
	if (!rc)
		rc = kube_watch_decoder_finish(&d);
	kube_watch_decoder_free(&d);
	return rc;
}

static void test_events_in_order(void **state)
{
	events e = { 0 };

	assert_int_equal(decode(&e, stream_len), CF_EGONE);
	assert_non_null(strstr(cf_error_last(), "too old resource version"));
	assert_int_equal(e.n, 7);
	assert_true(!strncmp(e.log[0], "BOOKMARK - - rv=", 16));
	assert_true(!strncmp(e.log[1], "ADDED stream-x 1 rv=", 20));
	assert_true(!strncmp(e.log[3], "MODIFIED stream-x 2 rv=", 23));
	assert_true(!strncmp(e.log[4], "DELETED stream-x 2 rv=", 22));
	assert_true(!strncmp(e.log[6], "ERROR - - rv= code=410", 22));
}

/* Any split of the byte stream gives the same events. */
static void test_chunking_invariant(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 64, 333, 4096 };
	events whole = { 0 };
	size_t i;
	int j;

	decode(&whole, stream_len);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		events e = { 0 };

		assert_int_equal(decode(&e, sizes[i]), CF_EGONE);
		assert_int_equal(e.n, whole.n);
		for (j = 0; j < e.n; j++)
			assert_string_equal(e.log[j], whole.log[j]);
	}
}

static void test_callback_stops(void **state)
{
	events e = { .stop_at = 2 };

	assert_int_equal(decode(&e, 5), 9);
	assert_int_equal(e.n, 2);
}

static void test_unterminated_last_event(void **state)
{
	events e = { 0 };
	kube_watch_decoder d;
	const char *nl = memchr(stream, '\n', stream_len);
	size_t first = (size_t)(nl - stream);

	/* blank lines are skipped; a final event without its newline is still delivered */
	kube_watch_decoder_init(&d, record, &e);
	assert_int_equal(kube_watch_decoder_feed(&d, "\n\n", 2), 0);
	assert_int_equal(kube_watch_decoder_feed(&d, stream, first), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(kube_watch_decoder_finish(&d), 0);
	assert_int_equal(e.n, 1);
	kube_watch_decoder_free(&d);
}

static void test_hostile_input(void **state)
{
	static const char *const bad[] = {
		"{not json}\n",
		"{\"type\":\"ADDED\"}\n",
		"{\"type\":\"EXPLODED\",\"object\":{}}\n",
		"{\"type\":7,\"object\":{}}\n",
		"[1,2,3]\n",
		"{\"type\":\"ADDED\",\"object\":\"str\"}\n",
	};
	events e = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kube_watch_decoder d;

		kube_watch_decoder_init(&d, record, &e);
		assert_int_equal(kube_watch_decoder_feed(&d, bad[i], strlen(bad[i])), CF_EPARSE);
		kube_watch_decoder_free(&d);
	}
	/* a raw NUL byte (jansson accepts one after a number) would truncate the object string */
	{
		static const char nul[] = "{\"type\":\"ADDED\",\"object\":{\"n\":41\0}}\n";
		kube_watch_decoder d;

		kube_watch_decoder_init(&d, record, &e);
		assert_int_equal(kube_watch_decoder_feed(&d, nul, sizeof(nul) - 1), CF_EPARSE);
		kube_watch_decoder_free(&d);
	}
	assert_int_equal(e.n, 0);
	/* one endless line hits the per-event limit instead of eating memory */
	{
		kube_watch_decoder d;
		char *chunk = malloc(1 << 20);
		int rc = 0, k;

		memset(chunk, ' ', 1 << 20);
		kube_watch_decoder_init(&d, record, &e);
		for (k = 0; k < 80 && !rc; k++)
			rc = kube_watch_decoder_feed(&d, chunk, 1 << 20);
		assert_int_equal(rc, CF_ELIMIT);
		kube_watch_decoder_free(&d);
		free(chunk);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_in_order),
		cmocka_unit_test(test_chunking_invariant),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_unterminated_last_event),
		cmocka_unit_test(test_hostile_input),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
