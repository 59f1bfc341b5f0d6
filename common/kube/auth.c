/* The bearer token, re-read from its file when the file changes (projected tokens rotate). */
#include "kube_int.h"

#include "cf/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How often the file's mtime is looked at; client-go re-reads every minute, this is cheaper. */
#define RECHECK_NS 1000000000LL

int kube_token_init(kube_token *t, const cf_kube_config *cfg)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	if (cfg->token && !(t->token = strdup(cfg->token)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if (!cfg->token)
		t->file = cfg->token_file;
	return 0;
}

static void wipe_free(char *p)
{
	if (p) {
		volatile char *v = p;

		while (*v)
			*v++ = 0;
		free(p);
	}
}

/* Called with t->mu held. Keeps the old token when the file cannot be read. */
static int reload(kube_token *t)
{
	struct stat st;
	char *tok = NULL;
	size_t n;
	int err;

	if (stat(t->file, &st) < 0)
		return t->token ? 0 : cf_error_set(CF_EAUTH, "token file %s is unreadable", t->file);
	if (t->token && st.st_mtim.tv_sec == t->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == t->mtime.tv_nsec && st.st_size == t->size)
		return 0;
	if ((err = kube_read_file(&tok, &n, t->file, 64u << 10)) < 0)
		return t->token ? 0 : cf_error_wrap(CF_EAUTH, "token file: ");
	while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
		tok[--n] = '\0';
	wipe_free(t->token);
	t->token = tok;
	t->mtime = st.st_mtim;
	t->size = st.st_size;
	return 0;
}

int kube_token_header(kube_token *t, char **out)
{
	kube_buf b = { 0 };
	int err = 0;

	*out = NULL;
	pthread_mutex_lock(&t->mu);
	if (t->file) {
		int64_t now = kube_mono_ns();

		if (!t->token || now - t->checked_ns >= RECHECK_NS) {
			err = reload(t);
			t->checked_ns = now;
		}
	}
	if (!err && t->token && *t->token) {
		err = kube_buf_printf(&b, "Authorization: Bearer %s", t->token);
		if (!err)
			*out = kube_buf_take(&b);
	}
	pthread_mutex_unlock(&t->mu);
	kube_buf_free(&b);
	return err;
}

void kube_token_destroy(kube_token *t)
{
	wipe_free(t->token);
	t->token = NULL;
	pthread_mutex_destroy(&t->mu);
}
