/* Work queue: dedup, processing set, delayed adds, per-item backoff, concurrency and shutdown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cf/error.h"
#include "cf/runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static cf_queue *new_queue(int64_t base, int64_t max)
{
	cf_queue_opts opts = {.name = "test", .base_delay_ms = base, .max_delay_ms = max};
	cf_queue *q = NULL;

	assert_int_equal(cf_queue_new(&q, &opts), 0);
	return q;
}

static void expect_get(cf_queue *q, const char *want, int64_t timeout_ms)
{
	char *key = NULL;

	assert_int_equal(cf_queue_get(q, &key, timeout_ms), 0);
	assert_string_equal(key, want);
	free(key);
}

static void test_backoff_sequence_matches_flux_defaults(void **state)
{
	/* 750ms doubling per failure, capped at 15 minutes. */
	static const int64_t want[] = {750, 1500, 3000, 6000, 12000, 24000, 48000, 96000,
				       192000, 384000, 768000, 900000, 900000};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(cf_backoff_delay_ms(750, 900000, i), want[i]);
	assert_int_equal(cf_backoff_delay_ms(750, 900000, 4000000000u), 900000);
	assert_int_equal(cf_backoff_delay_ms(INT64_MAX / 3, INT64_MAX, 70), INT64_MAX);
}

static void test_jitter_stays_within_percentage(void **state)
{
	int below = 0, above = 0;

	for (int i = 0; i < 2000; i++) {
		int64_t v = cf_jitter_ms(600000, 5);
		assert_true(v >= 570000 && v <= 630000);
		below += v < 597000;
		above += v > 603000;
	}
	/* Both directions occur: the spread is real, not a constant offset. */
	assert_true(below > 100 && above > 100);
	assert_int_equal(cf_jitter_ms(600000, 0), 600000);
	assert_int_equal(cf_jitter_ms(0, 5), 0);
}

static void test_defaults_and_failure_counting(void **state)
{
	cf_queue *q = NULL;

	assert_int_equal(cf_queue_new(&q, NULL), 0);
	assert_int_equal(cf_queue_next_backoff_ms(q, "ns/a"), 750);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cf_queue_add_rate_limited(q, "ns/a"), 0);
	assert_int_equal(cf_queue_num_requeues(q, "ns/a"), 3);
	assert_int_equal(cf_queue_next_backoff_ms(q, "ns/a"), 6000);
	/* Failures are per item. */
	assert_int_equal(cf_queue_num_requeues(q, "ns/b"), 0);
	/* Three rate-limited adds while waiting are still one waiting item. */
	assert_int_equal(cf_queue_waiting(q), 1);
	assert_int_equal(cf_queue_len(q), 0);
	cf_queue_forget(q, "ns/a");
	assert_int_equal(cf_queue_num_requeues(q, "ns/a"), 0);
	assert_int_equal(cf_queue_next_backoff_ms(q, "ns/a"), 750);
	cf_queue_free(q);
}

static void test_dedup_while_waiting(void **state)
{
	cf_queue *q = new_queue(0, 0);
	char *key = NULL;

	assert_int_equal(cf_queue_add(q, "ns/a"), 0);
	assert_int_equal(cf_queue_add(q, "ns/b"), 0);
	assert_int_equal(cf_queue_add(q, "ns/a"), 0);
	assert_int_equal(cf_queue_len(q), 2);
	expect_get(q, "ns/a", 0);
	expect_get(q, "ns/b", 0);
	assert_int_equal(cf_queue_get(q, &key, 20), CF_ETIMEOUT);
	cf_queue_done(q, "ns/a");
	cf_queue_done(q, "ns/b");
	cf_queue_free(q);
}

static void test_readd_while_processing_runs_again_after_done(void **state)
{
	cf_queue *q = new_queue(0, 0);
	char *key = NULL;

	cf_queue_add(q, "ns/a");
	expect_get(q, "ns/a", 0);
	assert_int_equal(cf_queue_processing(q), 1);
	/* Re-added twice during processing: not handed to another worker, and only once after. */
	cf_queue_add(q, "ns/a");
	cf_queue_add(q, "ns/a");
	assert_int_equal(cf_queue_len(q), 0);
	assert_int_equal(cf_queue_get(q, &key, 20), CF_ETIMEOUT);
	cf_queue_done(q, "ns/a");
	assert_int_equal(cf_queue_len(q), 1);
	expect_get(q, "ns/a", 0);
	cf_queue_done(q, "ns/a");
	assert_int_equal(cf_queue_get(q, &key, 20), CF_ETIMEOUT);
	cf_queue_free(q);
}

static void test_add_after_waits(void **state)
{
	cf_queue *q = new_queue(0, 0);
	char *key = NULL;
	int64_t t0 = mono_ms();

	assert_int_equal(cf_queue_add_after(q, "ns/a", 200), 0);
	assert_int_equal(cf_queue_waiting(q), 1);
	assert_int_equal(cf_queue_get(q, &key, 50), CF_ETIMEOUT);
	expect_get(q, "ns/a", 2000);
	int64_t took = mono_ms() - t0;
	assert_true(took >= 195);
	assert_true(took < 1500);
	assert_int_equal(cf_queue_waiting(q), 0);
	cf_queue_done(q, "ns/a");
	cf_queue_free(q);
}

static void test_add_after_earliest_wins_and_order(void **state)
{
	cf_queue *q = new_queue(0, 0);
	int64_t t0 = mono_ms();

	cf_queue_add_after(q, "ns/late", 300);
	cf_queue_add_after(q, "ns/a", 5000);
	cf_queue_add_after(q, "ns/a", 100);
	cf_queue_add_after(q, "ns/a", 4000);
	expect_get(q, "ns/a", 3000);
	int64_t took = mono_ms() - t0;
	assert_true(took >= 95 && took < 1000);
	expect_get(q, "ns/late", 3000);
	took = mono_ms() - t0;
	assert_true(took >= 295 && took < 2000);
	/* An immediate add of a waiting key makes it ready now; the delay then finds it dirty. */
	cf_queue_add_after(q, "ns/b", 200);
	cf_queue_add(q, "ns/b");
	expect_get(q, "ns/b", 0);
	cf_queue_done(q, "ns/a");
	cf_queue_done(q, "ns/late");
	cf_queue_free(q);
}

static void test_rate_limited_delays_are_exponential(void **state)
{
	cf_queue *q = new_queue(60, 1000);
	int64_t expect[] = {60, 120, 240};

	for (int i = 0; i < 3; i++) {
		int64_t t0 = mono_ms();
		assert_int_equal(cf_queue_add_rate_limited(q, "ns/a"), 0);
		expect_get(q, "ns/a", 5000);
		int64_t took = mono_ms() - t0;
		assert_true(took >= expect[i] - 5);
		assert_true(took < expect[i] + 400);
		cf_queue_done(q, "ns/a");
	}
	cf_queue_forget(q, "ns/a");
	int64_t t0 = mono_ms();
	cf_queue_add_rate_limited(q, "ns/a");
	expect_get(q, "ns/a", 5000);
	assert_true(mono_ms() - t0 < 60 + 400);
	cf_queue_done(q, "ns/a");
	cf_queue_free(q);
}

/* ---- concurrency ---- */

#define NKEYS 300
#define NWORKERS 4

typedef struct {
	cf_queue *q;
	pthread_mutex_t mu;
	int active[NKEYS];     /* workers currently holding each key */
	int processed[NKEYS];
	int overlap;           /* a key held by two workers at once */
	long seq, last_add[NKEYS], last_start[NKEYS];
} conc_state;

static int key_index(const char *key)
{
	return atoi(strchr(key, '/') + 1);
}

static void *worker(void *arg)
{
	conc_state *s = arg;
	char *key;

	while (cf_queue_get(s->q, &key, -1) == 0) {
		int i = key_index(key);
		pthread_mutex_lock(&s->mu);
		if (s->active[i]++)
			s->overlap = 1;
		s->last_start[i] = ++s->seq;
		pthread_mutex_unlock(&s->mu);
		usleep(200);
		pthread_mutex_lock(&s->mu);
		s->active[i]--;
		s->processed[i]++;
		pthread_mutex_unlock(&s->mu);
		cf_queue_done(s->q, key);
		free(key);
	}
	return NULL;
}

static void *producer(void *arg)
{
	conc_state *s = arg;
	char key[32];

	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < NKEYS; i++) {
			snprintf(key, sizeof(key), "ns/%d", i);
			pthread_mutex_lock(&s->mu);
			s->last_add[i] = ++s->seq;
			pthread_mutex_unlock(&s->mu);
			cf_queue_add(s->q, key);
		}
	}
	return NULL;
}

static void test_concurrent_workers_never_share_a_key(void **state)
{
	static conc_state s;
	pthread_t w[NWORKERS], p[2];
	cf_metrics *m = NULL;
	cf_queue_opts opts = {.name = "conc"};

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	assert_int_equal(cf_metrics_new(&m), 0);
	opts.metrics = m;
	assert_int_equal(cf_queue_new(&s.q, &opts), 0);
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&w[i], NULL, worker, &s);
	for (int i = 0; i < 2; i++)
		pthread_create(&p[i], NULL, producer, &s);
	for (int i = 0; i < 2; i++)
		pthread_join(p[i], NULL);
	/* Every key added after its last processing started must be processed again. */
	int64_t until = mono_ms() + 10000;
	while ((cf_queue_len(s.q) || cf_queue_processing(s.q)) && mono_ms() < until)
		usleep(1000);
	cf_queue_shut_down(s.q);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(w[i], NULL);
	assert_int_equal(s.overlap, 0);
	int total = 0;
	for (int i = 0; i < NKEYS; i++) {
		assert_true(s.processed[i] >= 1);
		assert_true(s.last_start[i] > s.last_add[i]);
		assert_true(s.processed[i] <= 10);
		total += s.processed[i];
	}
	/* workqueue_adds_total counts accepted adds: one per processing run. */
	double adds = 0, depth = -1;
	const char *labels[] = {"conc", NULL};
	cf_metric *f = NULL;
	assert_int_equal(cf_metrics_register(&f, m, CF_METRIC_COUNTER, "workqueue_adds_total", "",
					     (const char *const[]){"name", NULL}, NULL, 0), 0);
	assert_int_equal(cf_metric_value(&adds, f, labels), 0);
	assert_int_equal((int)adds, total);
	assert_int_equal(cf_metrics_register(&f, m, CF_METRIC_GAUGE, "workqueue_depth", "",
					     (const char *const[]){"name", NULL}, NULL, 0), 0);
	assert_int_equal(cf_metric_value(&depth, f, labels), 0);
	assert_true(depth == 0);
	cf_queue_free(s.q);
	cf_metrics_free(m);
	pthread_mutex_destroy(&s.mu);
}

/* ---- shutdown ---- */

typedef struct {
	cf_queue *q;
	int rc;
	int64_t hold_ms;
} holder;

static void *hold_one(void *arg)
{
	holder *h = arg;
	char *key = NULL;

	h->rc = cf_queue_get(h->q, &key, -1);
	if (h->rc == 0) {
		usleep((useconds_t)h->hold_ms * 1000);
		cf_queue_done(h->q, key);
		free(key);
	}
	return NULL;
}

static void test_shutdown_wakes_getters_and_stops_work(void **state)
{
	cf_queue *q = new_queue(0, 0);
	holder h = {q, 1, 0};
	pthread_t t;
	char *key = NULL;

	pthread_create(&t, NULL, hold_one, &h);
	usleep(50000);
	cf_queue_shut_down(q);
	pthread_join(t, NULL);
	assert_int_equal(h.rc, CF_ECANCELED);
	assert_int_equal(cf_queue_add(q, "ns/a"), CF_ECANCELED);
	assert_int_equal(cf_queue_get(q, &key, 0), CF_ECANCELED);
	cf_queue_free(q);
}

static void test_drain_waits_for_in_flight_items(void **state)
{
	cf_queue *q = new_queue(0, 0);
	holder h = {q, 1, 300};
	pthread_t t;

	cf_queue_add(q, "ns/a");
	cf_queue_add(q, "ns/queued-not-started");
	pthread_create(&t, NULL, hold_one, &h);
	while (cf_queue_processing(q) == 0)
		usleep(1000);
	cf_queue_shut_down(q);
	assert_int_equal(cf_queue_drain(q, 50), CF_ETIMEOUT);
	int64_t t0 = mono_ms();
	assert_int_equal(cf_queue_drain(q, 5000), 0);
	assert_true(mono_ms() - t0 < 1000);
	pthread_join(t, NULL);
	assert_int_equal(h.rc, 0);
	assert_int_equal(cf_queue_processing(q), 0);
	/* Queued work that never started is left alone. */
	assert_int_equal(cf_queue_len(q), 1);
	cf_queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_sequence_matches_flux_defaults),
		cmocka_unit_test(test_jitter_stays_within_percentage),
		cmocka_unit_test(test_defaults_and_failure_counting),
		cmocka_unit_test(test_dedup_while_waiting),
		cmocka_unit_test(test_readd_while_processing_runs_again_after_done),
		cmocka_unit_test(test_add_after_waits),
		cmocka_unit_test(test_add_after_earliest_wins_and_order),
		cmocka_unit_test(test_rate_limited_delays_are_exponential),
		cmocka_unit_test(test_concurrent_workers_never_share_a_key),
		cmocka_unit_test(test_shutdown_wakes_getters_and_stops_work),
		cmocka_unit_test(test_drain_waits_for_in_flight_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
