/* The client object: a shared core (config, pool, rate limit, caches) behind per-identity handles. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdlib.h>
#include <string.h>

#define POOL_CAP KUBE_POOL_MAX

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_res;

static void global_init(void)
{
	global_res = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void core_free(kube_core *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	pthread_mutex_destroy(&c->pool_mu);
	kube_ratelimit_destroy(&c->rl);
	kube_token_destroy(&c->token);
	kube_discovery_destroy(&c->disc);
	kube_events_destroy(&c->events);
	cf_kube_config_free(c->cfg);
	free(c->user_agent);
	free(c);
}

static int core_new(kube_core **out, const cf_kube_config *cfg, const cf_kube_opts *opts)
{
	static const cf_kube_opts defaults = { 0 };
	kube_core *c;
	int err;

	if (!opts)
		opts = &defaults;
	if (!(c = calloc(1, sizeof(*c))))
		return cf_error_set(CF_ENOMEM, "out of memory");
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->pool_mu, NULL);
	pthread_mutex_init(&c->disc.mu, NULL);
	pthread_mutex_init(&c->events.mu, NULL);
	kube_ratelimit_init(&c->rl, opts->qps == 0 ? 20 : opts->qps, opts->burst ? opts->burst : 30,
	                    kube_mono_ns());
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 60000;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
	if ((err = kube_config_clone(&c->cfg, cfg)) < 0 ||
	    (err = kube_token_init(&c->token, c->cfg)) < 0)
		goto fail;
	if (!(c->pool = calloc(POOL_CAP, sizeof(*c->pool))) ||
	    !(c->user_agent = strdup(opts->user_agent ? opts->user_agent : "cflux/0.1.0"))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	core_free(c);
	return err;
}

static void free_groups(char **g)
{
	char **p;

	for (p = g; p && *p; p++)
		free(*p);
	free(g);
}

/* Makes a handle on core with an identity (both may be NULL). Takes a reference on success. */
static int handle_new(cf_kube **out, kube_core *core, const char *user, const char *const *groups)
{
	cf_kube *k = calloc(1, sizeof(*k));
	size_t n = 0, i;

	if (!k)
		return cf_error_set(CF_ENOMEM, "out of memory");
	while (groups && groups[n])
		n++;
	if ((user && !(k->imp_user = strdup(user))) ||
	    (n && !(k->imp_groups = calloc(n + 1, sizeof(char *)))))
		goto oom;
	for (i = 0; i < n; i++)
		if (!(k->imp_groups[i] = strdup(groups[i])))
			goto oom;
	k->core = core;
	atomic_fetch_add(&core->refs, 1);
	*out = k;
	return 0;
oom:
	free(k->imp_user);
	free_groups(k->imp_groups);
	free(k);
	return cf_error_set(CF_ENOMEM, "out of memory");
}

int cf_kube_new(cf_kube **out, const cf_kube_config *cfg, const cf_kube_opts *opts)
{
	kube_core *core = NULL;
	int err;

	if (!cfg)
		return cf_error_set(CF_EINVALID, "kube client: no configuration");
	pthread_once(&global_once, global_init);
	if (global_res != CURLE_OK)
		return cf_error_set(CF_ERROR, "curl_global_init failed");
	if ((err = core_new(&core, cfg, opts)) < 0)
		return err;
	err = handle_new(out, core, opts ? opts->impersonate_user : NULL,
	                 opts ? opts->impersonate_groups : NULL);
	/* handle_new took its own reference; drop the creation one. */
	if (atomic_fetch_sub(&core->refs, 1) == 1)
		core_free(core);
	return err;
}

int cf_kube_new_impersonating(cf_kube **out, cf_kube *parent, const char *user,
                              const char *const *groups)
{
	if (!parent || !user || !*user)
		return cf_error_set(CF_EINVALID, "impersonation needs a parent client and a user");
	return handle_new(out, parent->core, user, groups);
}

int cf_kube_new_as_service_account(cf_kube **out, cf_kube *parent, const char *namespace_,
                                   const char *name)
{
	kube_buf b = { 0 };
	int err;

	if (!namespace_ || !*namespace_ || !name || !*name || strchr(namespace_, ':') ||
	    strchr(name, ':'))
		return cf_error_set(CF_EINVALID, "service account needs a namespace and a name");
	if ((err = kube_buf_printf(&b, "system:serviceaccount:%s:%s", namespace_, name)) < 0)
		return err;
	err = cf_kube_new_impersonating(out, parent, b.data, NULL);
	kube_buf_free(&b);
	return err;
}

void cf_kube_free(cf_kube *k)
{
	if (!k)
		return;
	if (atomic_fetch_sub(&k->core->refs, 1) == 1)
		core_free(k->core);
	free(k->imp_user);
	free_groups(k->imp_groups);
	free(k);
}

const char *cf_kube_namespace(const cf_kube *k)
{
	return cf_kube_config_namespace(k->core->cfg);
}
