/* Cancellation tokens that stop running watches at once by waking their curl multi handles. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdlib.h>

int cf_kube_cancel_new(cf_kube_cancel **out)
{
	cf_kube_cancel *c = calloc(1, sizeof(*c));

	if (!c)
		return cf_error_set(CF_ENOMEM, "out of memory");
	atomic_init(&c->fired, 0);
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return 0;
}

void cf_kube_cancel_fire(cf_kube_cancel *c)
{
	size_t i;

	if (!c)
		return;
	atomic_store(&c->fired, 1);
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nactive; i++)
		curl_multi_wakeup(c->active[i]);
	pthread_mutex_unlock(&c->mu);
}

int cf_kube_cancel_fired(const cf_kube_cancel *c)
{
	return c && atomic_load(&((cf_kube_cancel *)c)->fired);
}

void cf_kube_cancel_free(cf_kube_cancel *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->active);
	free(c);
}

static int attach(cf_kube_cancel *c, CURLM *m)
{
	int err = 0;

	pthread_mutex_lock(&c->mu);
	if (c->nactive == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		CURLM **grown = realloc(c->active, cap * sizeof(*grown));

		if (!grown)
			err = cf_error_set(CF_ENOMEM, "out of memory");
		else {
			c->active = grown;
			c->cap = cap;
		}
	}
	if (!err)
		c->active[c->nactive++] = m;
	pthread_mutex_unlock(&c->mu);
	return err;
}

static void detach(cf_kube_cancel *c, CURLM *m)
{
	size_t i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nactive; i++)
		if (c->active[i] == m) {
			c->active[i] = c->active[--c->nactive];
			break;
		}
	pthread_mutex_unlock(&c->mu);
}

static int run_multi(cf_kube_cancel *c, CURLM *m, CURL *h, CURLcode *out_res)
{
	int running = 1, left;
	CURLMsg *msg;

	while (running) {
		if (atomic_load(&c->fired))
			return cf_error_set(CF_ECANCELED, "request canceled");
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return cf_error_set(CF_ENET, "curl multi failed");
		if (running && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			return cf_error_set(CF_ENET, "curl multi poll failed");
	}
	*out_res = CURLE_OK;
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
			*out_res = msg->data.result;
	return 0;
}

int kube_cancel_perform(cf_kube_cancel *c, CURL *h, CURLcode *out_res)
{
	CURLM *m;
	int err;

	if (!c) {
		*out_res = curl_easy_perform(h);
		return 0;
	}
	if (atomic_load(&c->fired))
		return cf_error_set(CF_ECANCELED, "request canceled");
	if (!(m = curl_multi_init()))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if ((err = attach(c, m)) < 0) {
		curl_multi_cleanup(m);
		return err;
	}
	curl_multi_add_handle(m, h);
	err = run_multi(c, m, h, out_res);
	detach(c, m);
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return err;
}
