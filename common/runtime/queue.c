/* The work queue: dedup, a processing set, delayed adds and per-item backoff. */
#include "cf/runtime.h"
#include "cf/error.h"
#include "strmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NO_HEAP ((size_t)-1)

/*
 * One entry per key the queue knows about. It lives while the key is dirty (wants processing),
 * in processing, waiting for a delay, or has failures to remember; then it is freed.
 */
typedef struct entry {
	char *key;
	unsigned dirty : 1;
	unsigned processing : 1;
	unsigned failures;
	int64_t ready_at;       /* monotonic ms, valid while heap_idx != NO_HEAP */
	size_t heap_idx;
	struct entry *next;     /* FIFO link while dirty && !processing */
} entry;

struct cf_queue {
	pthread_mutex_t mu;
	pthread_cond_t cond;    /* work became ready, a delay changed, or shutdown */
	pthread_cond_t idle;    /* processing count dropped */
	rt_strmap entries;
	entry *head, *tail;
	size_t ready, processing;
	entry **heap;           /* min-heap on ready_at */
	size_t heap_len, heap_cap;
	int shutting_down;
	int64_t base_ms, max_ms;
	char *name;
	cf_metric *m_depth, *m_adds, *m_retries;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void deadline_ts(struct timespec *ts, int64_t at_ms)
{
	ts->tv_sec = at_ms / 1000;
	ts->tv_nsec = (at_ms % 1000) * 1000000;
}

/* ---- metrics ---- */

static void metric_update(cf_queue *q, int added)
{
	const char *labels[] = {q->name, NULL};

	if (q->m_depth)
		cf_metric_set(q->m_depth, labels, (double)q->ready);
	if (added && q->m_adds)
		cf_metric_add(q->m_adds, labels, 1);
}

static int metrics_register(cf_queue *q, cf_metrics *m)
{
	static const char *const names[] = {"name", NULL};
	int err;

	if ((err = cf_metrics_register(&q->m_depth, m, CF_METRIC_GAUGE, "workqueue_depth",
				       "Current depth of workqueue", names, NULL, 0)) < 0 ||
	    (err = cf_metrics_register(&q->m_adds, m, CF_METRIC_COUNTER, "workqueue_adds_total",
				       "Total number of adds handled by workqueue", names, NULL, 0)) < 0 ||
	    (err = cf_metrics_register(&q->m_retries, m, CF_METRIC_COUNTER, "workqueue_retries_total",
				       "Total number of retries handled by workqueue", names, NULL, 0)) < 0)
		return err;
	const char *labels[] = {q->name, NULL};
	cf_metric_set(q->m_depth, labels, 0);
	cf_metric_add(q->m_adds, labels, 0);
	cf_metric_add(q->m_retries, labels, 0);
	return 0;
}

/* ---- entries and the delay heap ---- */

static entry *entry_get(cf_queue *q, const char *key, int create)
{
	entry *e = rt_strmap_get(&q->entries, key);

	if (e || !create)
		return e;
	if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
		free(e);
		cf_error_set(CF_ENOMEM, "out of memory queueing %s", key);
		return NULL;
	}
	e->heap_idx = NO_HEAP;
	if (rt_strmap_put(&q->entries, key, e, NULL) < 0) {
		free(e->key);
		free(e);
		return NULL;
	}
	return e;
}

static void entry_release_if_unused(cf_queue *q, entry *e)
{
	if (e->dirty || e->processing || e->failures || e->heap_idx != NO_HEAP)
		return;
	rt_strmap_del(&q->entries, e->key);
	free(e->key);
	free(e);
}

static void heap_swap(cf_queue *q, size_t a, size_t b)
{
	entry *t = q->heap[a];

	q->heap[a] = q->heap[b];
	q->heap[b] = t;
	q->heap[a]->heap_idx = a;
	q->heap[b]->heap_idx = b;
}

static void heap_up(cf_queue *q, size_t i)
{
	while (i > 0 && q->heap[(i - 1) / 2]->ready_at > q->heap[i]->ready_at) {
		heap_swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(cf_queue *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->heap_len && q->heap[l]->ready_at < q->heap[m]->ready_at)
			m = l;
		if (r < q->heap_len && q->heap[r]->ready_at < q->heap[m]->ready_at)
			m = r;
		if (m == i)
			return;
		heap_swap(q, i, m);
		i = m;
	}
}

static int heap_push(cf_queue *q, entry *e)
{
	if (q->heap_len == q->heap_cap) {
		size_t cap = q->heap_cap ? q->heap_cap * 2 : 16;
		entry **h = realloc(q->heap, cap * sizeof(*h));
		if (!h)
			return cf_error_set(CF_ENOMEM, "out of memory delaying %s", e->key);
		q->heap = h;
		q->heap_cap = cap;
	}
	e->heap_idx = q->heap_len;
	q->heap[q->heap_len++] = e;
	heap_up(q, e->heap_idx);
	return 0;
}

static entry *heap_pop(cf_queue *q)
{
	entry *top = q->heap[0];

	heap_swap(q, 0, q->heap_len - 1);
	q->heap_len--;
	top->heap_idx = NO_HEAP;
	if (q->heap_len)
		heap_down(q, 0);
	return top;
}

/* ---- adding ---- */

static void push_ready(cf_queue *q, entry *e)
{
	e->next = NULL;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->ready++;
}

/* Called with the lock held. Dedup: a dirty key is already queued or will be after done(). */
static void add_locked(cf_queue *q, entry *e)
{
	if (e->dirty)
		return;
	e->dirty = 1;
	if (!e->processing)
		push_ready(q, e);
	metric_update(q, 1);
	pthread_cond_signal(&q->cond);
}

static int add_after_locked(cf_queue *q, const char *key, int64_t delay_ms)
{
	entry *e;
	int err;

	if (q->shutting_down)
		return CF_ECANCELED;
	if (!(e = entry_get(q, key, 1)))
		return CF_ENOMEM;
	if (delay_ms <= 0) {
		add_locked(q, e);
		return 0;
	}
	int64_t at = now_ms() + delay_ms;
	if (e->heap_idx != NO_HEAP) {
		/* Already waiting: the earlier time wins, as in client-go's delaying queue. */
		if (at < e->ready_at) {
			e->ready_at = at;
			heap_up(q, e->heap_idx);
		}
	} else {
		e->ready_at = at;
		if ((err = heap_push(q, e)) < 0) {
			entry_release_if_unused(q, e);
			return err;
		}
	}
	/* A waiter may be sleeping until a later deadline. */
	pthread_cond_broadcast(&q->cond);
	return 0;
}

int cf_queue_add(cf_queue *q, const char *key)
{
	return cf_queue_add_after(q, key, 0);
}

int cf_queue_add_after(cf_queue *q, const char *key, int64_t delay_ms)
{
	pthread_mutex_lock(&q->mu);
	int err = add_after_locked(q, key, delay_ms);
	pthread_mutex_unlock(&q->mu);
	return err;
}

int cf_queue_add_rate_limited(cf_queue *q, const char *key)
{
	entry *e;
	int err;

	pthread_mutex_lock(&q->mu);
	if (q->shutting_down) {
		err = CF_ECANCELED;
		goto done;
	}
	if (!(e = entry_get(q, key, 1))) {
		err = CF_ENOMEM;
		goto done;
	}
	int64_t delay = cf_backoff_delay_ms(q->base_ms, q->max_ms, e->failures);
	e->failures++;
	if (q->m_retries) {
		const char *labels[] = {q->name, NULL};
		cf_metric_add(q->m_retries, labels, 1);
	}
	err = add_after_locked(q, key, delay);
done:
	pthread_mutex_unlock(&q->mu);
	return err;
}

int64_t cf_queue_next_backoff_ms(cf_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	entry *e = entry_get(q, key, 0);
	int64_t d = cf_backoff_delay_ms(q->base_ms, q->max_ms, e ? e->failures : 0);
	pthread_mutex_unlock(&q->mu);
	return d;
}

void cf_queue_forget(cf_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	entry *e = entry_get(q, key, 0);
	if (e) {
		e->failures = 0;
		entry_release_if_unused(q, e);
	}
	pthread_mutex_unlock(&q->mu);
}

unsigned cf_queue_num_requeues(cf_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	entry *e = entry_get(q, key, 0);
	unsigned n = e ? e->failures : 0;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* ---- taking work ---- */

/* Moves every delay that has passed onto the ready list; returns the next deadline or -1. */
static int64_t promote_due(cf_queue *q)
{
	int64_t now = now_ms();

	while (q->heap_len && q->heap[0]->ready_at <= now)
		add_locked(q, heap_pop(q));
	return q->heap_len ? q->heap[0]->ready_at : -1;
}

int cf_queue_get(cf_queue *q, char **key, int64_t timeout_ms)
{
	int64_t until = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int err = 0;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->shutting_down) {
			err = CF_ECANCELED;
			goto done;
		}
		int64_t next = promote_due(q);
		if (q->head)
			break;
		if (until >= 0 && now_ms() >= until) {
			err = CF_ETIMEOUT;
			goto done;
		}
		int64_t wake = next;
		if (until >= 0 && (wake < 0 || until < wake))
			wake = until;
		if (wake < 0) {
			pthread_cond_wait(&q->cond, &q->mu);
		} else {
			struct timespec ts;
			deadline_ts(&ts, wake);
			pthread_cond_timedwait(&q->cond, &q->mu, &ts);
		}
	}
	entry *e = q->head;
	char *copy = strdup(e->key);
	if (!copy) {
		err = cf_error_set(CF_ENOMEM, "out of memory taking %s", e->key);
		goto done;
	}
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	q->ready--;
	e->next = NULL;
	e->dirty = 0;
	e->processing = 1;
	q->processing++;
	metric_update(q, 0);
	*key = copy;
done:
	pthread_mutex_unlock(&q->mu);
	return err;
}

void cf_queue_done(cf_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	entry *e = entry_get(q, key, 0);
	if (e && e->processing) {
		e->processing = 0;
		q->processing--;
		if (e->dirty) {
			push_ready(q, e);
			metric_update(q, 0);
			pthread_cond_signal(&q->cond);
		}
		entry_release_if_unused(q, e);
		pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->mu);
}

void cf_queue_shut_down(cf_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->shutting_down = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

int cf_queue_drain(cf_queue *q, int64_t timeout_ms)
{
	int64_t until = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int err = 0;

	pthread_mutex_lock(&q->mu);
	while (q->processing) {
		if (until < 0) {
			pthread_cond_wait(&q->idle, &q->mu);
			continue;
		}
		struct timespec ts;
		deadline_ts(&ts, until);
		if (pthread_cond_timedwait(&q->idle, &q->mu, &ts) == ETIMEDOUT && q->processing) {
			err = cf_error_set(CF_ETIMEOUT, "%zu items still in processing", q->processing);
			break;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return err;
}

static size_t read_count(cf_queue *q, const size_t *field)
{
	pthread_mutex_lock(&q->mu);
	if (field == &q->ready)
		promote_due(q);
	size_t n = *field;
	pthread_mutex_unlock(&q->mu);
	return n;
}

size_t cf_queue_len(cf_queue *q)
{
	return read_count(q, &q->ready);
}

size_t cf_queue_waiting(cf_queue *q)
{
	return read_count(q, &q->heap_len);
}

size_t cf_queue_processing(cf_queue *q)
{
	return read_count(q, &q->processing);
}

/* ---- lifetime ---- */

int cf_queue_new(cf_queue **out, const cf_queue_opts *opts)
{
	cf_queue *q = calloc(1, sizeof(*q));
	pthread_condattr_t attr;
	int err = 0;

	if (!q)
		return cf_error_set(CF_ENOMEM, "out of memory creating a queue");
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &attr);
	pthread_cond_init(&q->idle, &attr);
	pthread_condattr_destroy(&attr);
	q->base_ms = opts && opts->base_delay_ms > 0 ? opts->base_delay_ms : 750;
	q->max_ms = opts && opts->max_delay_ms > 0 ? opts->max_delay_ms : 15 * 60 * 1000;
	if (!(q->name = strdup(opts && opts->name ? opts->name : ""))) {
		err = cf_error_set(CF_ENOMEM, "out of memory creating a queue");
		goto done;
	}
	if (opts && opts->metrics && (err = metrics_register(q, opts->metrics)) < 0)
		goto done;
	*out = q;
	q = NULL;
done:
	cf_queue_free(q);
	return err;
}

void cf_queue_free(cf_queue *q)
{
	size_t pos = 0;
	void *val;

	if (!q)
		return;
	while (rt_strmap_next(&q->entries, &pos, NULL, &val)) {
		entry *e = val;
		free(e->key);
		free(e);
	}
	rt_strmap_clear(&q->entries);
	free(q->heap);
	free(q->name);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->mu);
	free(q);
}
