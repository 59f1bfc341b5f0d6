/*
 * cf_git against real servers: git http-backend (plain, basic, bearer, two HTTPS CAs, an HTTPS
 * front that requires a client certificate) and sshd.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf/error.h"
#include "cf/git.h"

static char state[256];     /* where start.sh put the servers */
static char scratch[300];   /* caches and checkouts of this run */
static int counter;

/* --- helpers ------------------------------------------------------------------------------- */

static char *env_in(const char *file, const char *key)
{
	static char buf[64][1024];
	static int used;
	char path[400], line[1200];
	size_t kl = strlen(key);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", state, file);
	if (!(fp = fopen(path, "r")))
		return NULL;
	while (fgets(line, sizeof(line), fp)) {
		if (!strncmp(line, key, kl) && line[kl] == '=') {
			char *v = buf[used++ % 64];

			snprintf(v, 1024, "%s", line + kl + 1);
			v[strcspn(v, "\n")] = '\0';
			fclose(fp);
			return v;
		}
	}
	fclose(fp);
	return NULL;
}

/* A value from the servers' env file, else from the client-certificate front's mtls.env. */
static char *env_value(const char *key)
{
	char *v = env_in("env", key);

	return v ? v : env_in("mtls.env", key);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/* Runs a shell command and returns its first output line (what real git says). */
static char *run(const char *fmt, ...)
{
	static char out[8][512];
	static int used;
	char cmd[2048], *o = out[used++ % 8];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	o[0] = '\0';
	if ((p = popen(cmd, "r"))) {
		if (!fgets(o, 512, p))
			o[0] = '\0';
		pclose(p);
	}
	o[strcspn(o, "\n")] = '\0';
	return o;
}

static char *rev_parse(const char *what)
{
	return run("git -C %s/app.git rev-parse '%s^{commit}'", env_value("CF_GIT_REPOS"), what);
}

/* Fresh cache and output directories for one checkout. */
typedef struct {
	char cache[400], out[400];
} dirs;

static void fresh(dirs *d)
{
	int n = __sync_add_and_fetch(&counter, 1);

	snprintf(d->cache, sizeof(d->cache), "%s/cache%d", scratch, n);
	snprintf(d->out, sizeof(d->out), "%s/out%d", scratch, n);
}

static void new_out(dirs *d)
{
	snprintf(d->out, sizeof(d->out), "%s/out%d", scratch, __sync_add_and_fetch(&counter, 1));
}

static int checkout(cf_git_result *r, const dirs *d, const char *url, cf_git_ref ref,
		    const cf_git_auth *auth)
{
	cf_git_checkout_opts o = {0};

	o.url = url;
	o.cache_dir = d->cache;
	o.out_dir = d->out;
	o.ref = ref;
	o.auth = auth;
	return cf_git_checkout(r, &o);
}

static char *url_of(const char *key, const char *repo)
{
	static char buf[8][600];
	static int used;
	char *b = buf[used++ % 8];

	snprintf(b, 600, "%s/%s", env_value(key), repo);
	return b;
}

static int exists(const char *dir, const char *rel)
{
	char p[800];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static int is_empty_dir(const char *dir)
{
	return atoi(run("ls -A '%s' | wc -l", dir)) == 0;
}

/* --- setup --------------------------------------------------------------------------------- */

static int setup(void **st)
{
	char cmd[600];

	snprintf(state, sizeof(state), "/tmp/cf-git-servers-XXXXXX");
	if (!mkdtemp(state))
		return -1;
	snprintf(scratch, sizeof(scratch), "%s/scratch", state);
	snprintf(cmd, sizeof(cmd), "../../servers/start.sh %s > %s/start.log 2>&1", state, state);
	if (system(cmd) != 0) {
		fprintf(stderr, "start.sh failed, see %s/start.log\n", state);
		snprintf(cmd, sizeof(cmd), "../../servers/stop.sh %s --keep", state);
		(void)!system(cmd);
		return -1;
	}
	mkdir(scratch, 0755);
	snprintf(cmd, sizeof(cmd), "../../services/source-controller/mtls-front.sh %s >> %s/start.log 2>&1",
		 state, state);
	if (system(cmd) != 0) {
		fprintf(stderr, "mtls-front.sh failed, see %s/start.log\n", state);
		return -1;
	}
	return cf_git_init();
}

static int teardown(void **st)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "../../services/source-controller/mtls-front.sh %s stop", state);
	(void)!system(cmd);
	snprintf(cmd, sizeof(cmd), "../../servers/stop.sh %s", state);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- ref kinds ------------------------------------------------------------------------------ */

static void test_http_each_ref_kind(void **st)
{
	const char *url = url_of("CF_GIT_HTTP_URL", "app.git");
	cf_git_result r;
	char want[200];
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, NULL), 0);
	assert_string_equal(r.commit, rev_parse("main"));
	snprintf(want, sizeof(want), "main@sha1:%s", rev_parse("main"));
	assert_string_equal(r.revision, want);
	assert_true(exists(d.out, "README.md") && exists(d.out, "deploy/app.yaml"));
	assert_false(exists(d.out, ".git"));

	/* The same cache serves the next ref kinds. */
	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.tag = "v1.1.0"}, NULL), 0);
	assert_string_equal(r.commit, rev_parse("v1.1.0"));   /* annotated tag peeled */
	snprintf(want, sizeof(want), "v1.1.0@sha1:%s", rev_parse("v1.1.0"));
	assert_string_equal(r.revision, want);
	assert_string_equal(r.ref, "refs/tags/v1.1.0");

	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.semver = "1.x"}, NULL), 0);
	snprintf(want, sizeof(want), "v1.1.0@sha1:%s", rev_parse("v1.1.0"));
	assert_string_equal(r.revision, want);

	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.semver = ">=2.0.0-0"}, NULL), 0);
	snprintf(want, sizeof(want), "v2.0.0-rc.1@sha1:%s", rev_parse("v2.0.0-rc.1"));
	assert_string_equal(r.revision, want);

	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.name = "refs/pull/1/head"}, NULL), 0);
	snprintf(want, sizeof(want), "refs/pull/1/head@sha1:%s", rev_parse("refs/pull/1/head"));
	assert_string_equal(r.revision, want);
	assert_true(exists(d.out, "dev.txt"));

	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.commit = rev_parse("v1.0.0")}, NULL), 0);
	snprintf(want, sizeof(want), "sha1:%s", rev_parse("v1.0.0"));
	assert_string_equal(r.revision, want);
	assert_false(exists(d.out, "run.sh"));

	/* commit > name > semver > tag > branch */
	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev", .tag = "v1.0.0",
			 .semver = "2.x", .name = "refs/heads/main"}, NULL), 0);
	assert_string_equal(r.commit, rev_parse("main"));
	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev",
			 .commit = rev_parse("dev")}, NULL), 0);
	snprintf(want, sizeof(want), "dev@sha1:%s", rev_parse("dev"));
	assert_string_equal(r.revision, want);

	/* No ref: the remote HEAD. */
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){0}, NULL), 0);
	assert_string_equal(r.commit, rev_parse("HEAD"));
}

/* Listing alone gives the revision a checkout would produce, for every ref kind. */
static void test_resolve_without_fetch(void **st)
{
	static const cf_git_ref refs[] = {
		{.branch = "main"}, {.tag = "v1.1.0"}, {.tag = "v1.0.0"}, {.semver = ">=1.0.0"},
		{.name = "refs/pull/1/head"}, {.branch = "dev"}, {0},
	};
	cf_git_checkout_opts o = {0};
	cf_git_result a, b;
	size_t i;
	dirs d;

	o.url = url_of("CF_GIT_HTTP_URL", "app.git");
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		fresh(&d);
		o.ref = refs[i];
		assert_int_equal(cf_git_resolve(&a, &o), 0);
		o.cache_dir = d.cache;
		o.out_dir = d.out;
		assert_int_equal(cf_git_checkout(&b, &o), 0);
		assert_string_equal(a.revision, b.revision);
		o.cache_dir = o.out_dir = NULL;
	}
	o.ref = (cf_git_ref){.commit = rev_parse("dev")};
	assert_int_equal(cf_git_resolve(&a, &o), 0);
	assert_string_equal(a.commit, rev_parse("dev"));
	o.ref = (cf_git_ref){.branch = "gone"};
	assert_int_equal(cf_git_resolve(&a, &o), CF_ENOTFOUND);
}

static void test_exported_tree(void **st)
{
	cf_git_result r;
	struct stat s;
	char p[800];
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url_of("CF_GIT_HTTP_URL", "app.git"),
				  (cf_git_ref){.branch = "main"}, NULL), 0);
	snprintf(p, sizeof(p), "%s/run.sh", d.out);
	assert_int_equal(stat(p, &s), 0);
	assert_true(s.st_mode & S_IXUSR);
	snprintf(p, sizeof(p), "%s/link-ok", d.out);
	assert_int_equal(lstat(p, &s), 0);
	assert_true(S_ISLNK(s.st_mode));
	/* The exported files are byte-identical to what git checks out. */
	assert_string_equal(run("mkdir -p %s/ref && git -C %s/app.git archive main | tar -x -C %s/ref "
				"&& diff -r --no-dereference %s/ref %s && echo same", scratch,
				env_value("CF_GIT_REPOS"), scratch, scratch, d.out),
			    "same");
}

static void test_new_commit_detected(void **st)
{
	const char *url = url_of("CF_GIT_HTTP_URL", "app.git");
	char first[41], work[400];
	cf_git_result r;
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev"}, NULL), 0);
	memcpy(first, r.commit, sizeof(first));
	snprintf(work, sizeof(work), "%s/push-work", scratch);
	run("git clone -q -b dev %s/app.git %s && cd %s && echo new > new.txt && git add . && "
	    "git -c user.name=t -c user.email=t@example.com commit -q -m new && "
	    "git push -q origin dev 2>&1", env_value("CF_GIT_REPOS"), work, work);
	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev"}, NULL), 0);
	assert_string_not_equal(r.commit, first);
	assert_string_equal(r.commit, rev_parse("dev"));
	assert_true(exists(d.out, "new.txt"));
}

/* --- failures ------------------------------------------------------------------------------- */

static void test_missing_refs(void **st)
{
	const char *url = url_of("CF_GIT_HTTP_URL", "app.git");
	cf_git_result r;
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "nope"}, NULL), CF_ENOTFOUND);
	assert_non_null(strstr(cf_error_last(), "branch 'nope'"));
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.tag = "v9"}, NULL), CF_ENOTFOUND);
	assert_non_null(strstr(cf_error_last(), "tag 'v9'"));
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.semver = ">=5"}, NULL), CF_ENOTFOUND);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.name = "refs/pull/9/head"}, NULL),
			 CF_ENOTFOUND);
	assert_int_equal(checkout(&r, &d, url,
				  (cf_git_ref){.commit = "0123456789012345678901234567890123456789"},
				  NULL), CF_ENOTFOUND);
	assert_int_equal(checkout(&r, &d, url_of("CF_GIT_HTTP_URL", "missing.git"),
				  (cf_git_ref){.branch = "main"}, NULL), CF_ENOTFOUND);
	assert_true(is_empty_dir(d.out));
}

static void test_basic_auth(void **st)
{
	const char *url = url_of("CF_GIT_AUTH_URL", "app.git");
	cf_git_auth good = {.username = env_value("CF_GIT_USER"),
			    .password = env_value("CF_GIT_PASSWORD")};
	cf_git_auth bad = {.username = env_value("CF_GIT_USER"), .password = "wrong-pass-77"};
	cf_git_result r;
	char with_creds[700];
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, &good), 0);
	assert_string_equal(r.commit, rev_parse("main"));
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, &bad), CF_EAUTH);
	assert_null(strstr(cf_error_last(), "wrong-pass-77"));
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, NULL), CF_EAUTH);
	/* Credentials inside the URL never show up in messages either. */
	snprintf(with_creds, sizeof(with_creds), "http://gituser:wrong-pass-77@%s",
		 url + strlen("http://"));
	assert_int_equal(checkout(&r, &d, with_creds, (cf_git_ref){.branch = "nope"}, &bad),
			 CF_EAUTH);
	assert_null(strstr(cf_error_last(), "wrong-pass-77"));
}

static void test_bearer_token(void **st)
{
	const char *url = url_of("CF_GIT_BEARER_URL", "app.git");
	cf_git_auth good = {.bearer_token = env_value("CF_GIT_TOKEN")};
	cf_git_auth bad = {.bearer_token = "not-the-token"};
	cf_git_result r;
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.tag = "v1.0.0"}, &good), 0);
	assert_string_equal(r.commit, rev_parse("v1.0.0"));
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.tag = "v1.0.0"}, &bad), CF_EAUTH);
	assert_null(strstr(cf_error_last(), "not-the-token"));
}

static void test_https_ca(void **st)
{
	char *ca1 = slurp(env_value("CF_GIT_CA1")), *ca2 = slurp(env_value("CF_GIT_CA2"));
	cf_git_auth a1 = {.ca_pem = ca1}, a2 = {.ca_pem = ca2};
	cf_git_result r;
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url_of("CF_GIT_HTTPS1_URL", "app.git"),
				  (cf_git_ref){.branch = "main"}, &a1), 0);
	assert_string_equal(r.commit, rev_parse("main"));
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url_of("CF_GIT_HTTPS1_URL", "app.git"),
				  (cf_git_ref){.branch = "main"}, NULL), CF_ENET);
	assert_int_equal(checkout(&r, &d, url_of("CF_GIT_HTTPS1_URL", "app.git"),
				  (cf_git_ref){.branch = "main"}, &a2), CF_ENET);
	assert_non_null(strstr(cf_error_last(), "not trusted"));
	free(ca1);
	free(ca2);
}

/*
 * A server that wants a client certificate: the one signed by its CA gets through; none, a
 * stranger's or half a pair each end in CF_EAUTH with a message that says so.
 */
static void test_client_certificate(void **st)
{
	char *ca1 = slurp(env_value("CF_GIT_CA1"));
	char *crt = slurp(env_value("CF_GIT_CLIENT_CRT")), *key = slurp(env_value("CF_GIT_CLIENT_KEY"));
	char *scrt = slurp(env_value("CF_GIT_STRANGER_CRT"));
	char *skey = slurp(env_value("CF_GIT_STRANGER_KEY"));
	cf_git_auth good = {.ca_pem = ca1, .cert_pem = crt, .key_pem = key};
	cf_git_auth none = {.ca_pem = ca1};
	cf_git_auth stranger = {.ca_pem = ca1, .cert_pem = scrt, .key_pem = skey};
	cf_git_auth half = {.ca_pem = ca1, .cert_pem = crt};
	char *url = strdup(url_of("CF_GIT_MTLS_URL", "app.git"));
	cf_git_result r;
	dirs d;

	assert_non_null(crt);
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, &good), 0);
	assert_string_equal(r.commit, rev_parse("main"));
	assert_true(exists(d.out, "deploy/app.yaml"));
	/* The same cache fetches again over a new connection with the certificate. */
	new_out(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.tag = "v1.0.0"}, &good), 0);
	assert_string_equal(r.commit, rev_parse("v1.0.0"));

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, &none), CF_EAUTH);
	assert_non_null(strstr(cf_error_last(), "client certificate required"));
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, &stranger), CF_EAUTH);
	assert_non_null(strstr(cf_error_last(), "not accepted"));
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, &half), CF_EAUTH);
	assert_non_null(strstr(cf_error_last(), "'tls.key'"));
	/* A key that is not PEM is refused before anything is sent. */
	cf_git_auth junk = {.ca_pem = ca1, .cert_pem = crt, .key_pem = "not a key"};
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, &junk), CF_EINVALID);
	assert_non_null(strstr(cf_error_last(), "tls."));
	assert_null(strstr(cf_error_last(), "not a key"));
	free(url), free(ca1), free(crt), free(key), free(scrt), free(skey);
}

typedef struct {
	const char *url;
	const char *ca;
	const char *crt, *key;
	int rc;
	char commit[41];
} job;

static void *run_job(void *arg)
{
	job *j = arg;
	cf_git_auth a = {.ca_pem = j->ca, .cert_pem = j->crt, .key_pem = j->key};
	cf_git_result r;
	dirs d;

	fresh(&d);
	j->rc = checkout(&r, &d, j->url, (cf_git_ref){.branch = "main"}, &a);
	if (j->rc == 0)
		memcpy(j->commit, r.commit, sizeof(j->commit));
	else
		fprintf(stderr, "%s: %s\n", j->url, cf_error_last());
	return NULL;
}

/* Each thread trusts only its own CA; nothing leaks between concurrent calls. */
static void test_concurrent_different_cas(void **st)
{
	char *ca1 = slurp(env_value("CF_GIT_CA1")), *ca2 = slurp(env_value("CF_GIT_CA2"));
	char *u1 = strdup(url_of("CF_GIT_HTTPS1_URL", "app.git"));
	char *u2 = strdup(url_of("CF_GIT_HTTPS2_URL", "app.git"));
	pthread_t th[12];
	job jobs[12];
	int i;

	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 12; i++) {
		jobs[i].url = i % 2 ? u2 : u1;
		/* Every third job pairs a server with the other server's CA and must fail. */
		jobs[i].ca = (i % 3 == 2) ? (i % 2 ? ca1 : ca2) : (i % 2 ? ca2 : ca1);
		pthread_create(&th[i], NULL, run_job, &jobs[i]);
	}
	for (i = 0; i < 12; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 12; i++) {
		if (i % 3 == 2) {
			assert_int_equal(jobs[i].rc, CF_ENET);
		} else {
			assert_int_equal(jobs[i].rc, 0);
			assert_string_equal(jobs[i].commit, rev_parse("main"));
		}
	}
	free(u1);
	free(u2);
	free(ca1);
	free(ca2);
}

/* Client-certificate fetches next to fetches from a server of another CA, all at once. */
static void test_concurrent_client_certificates(void **st)
{
	char *ca1 = slurp(env_value("CF_GIT_CA1")), *ca2 = slurp(env_value("CF_GIT_CA2"));
	char *crt = slurp(env_value("CF_GIT_CLIENT_CRT")), *key = slurp(env_value("CF_GIT_CLIENT_KEY"));
	char *um = strdup(url_of("CF_GIT_MTLS_URL", "app.git"));
	char *u2 = strdup(url_of("CF_GIT_HTTPS2_URL", "app.git"));
	pthread_t th[9];
	job jobs[9];
	int i;

	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 9; i++) {
		/* 0, 3, 6: mTLS with the certificate; 1, 4, 7: mTLS without; 2, 5, 8: CA 2 only. */
		jobs[i].url = i % 3 == 2 ? u2 : um;
		jobs[i].ca = i % 3 == 2 ? ca2 : ca1;
		if (i % 3 == 0) {
			jobs[i].crt = crt;
			jobs[i].key = key;
		}
		pthread_create(&th[i], NULL, run_job, &jobs[i]);
	}
	for (i = 0; i < 9; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 9; i++) {
		if (i % 3 == 1) {
			assert_int_equal(jobs[i].rc, CF_EAUTH);
		} else {
			assert_int_equal(jobs[i].rc, 0);
			assert_string_equal(jobs[i].commit, rev_parse("main"));
		}
	}
	free(um), free(u2), free(ca1), free(ca2), free(crt), free(key);
}

typedef struct {
	const char *cache;
	int rc;
	char commit[41];
} shared_job;

static void *run_shared(void *arg)
{
	shared_job *j = arg;
	cf_git_result r;
	dirs d;

	snprintf(d.cache, sizeof(d.cache), "%s", j->cache);
	new_out(&d);
	j->rc = checkout(&r, &d, url_of("CF_GIT_HTTP_URL", "app.git"), (cf_git_ref){.tag = "v1.0.0"},
			 NULL);
	if (j->rc == 0)
		memcpy(j->commit, r.commit, sizeof(j->commit));
	return NULL;
}

/* Calls sharing one cache take turns on its lock and all see the same commit. */
static void test_concurrent_same_cache(void **st)
{
	pthread_t th[6];
	shared_job jobs[6];
	dirs d;
	int i;

	fresh(&d);
	for (i = 0; i < 6; i++) {
		jobs[i].cache = d.cache;
		pthread_create(&th[i], NULL, run_shared, &jobs[i]);
	}
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 6; i++) {
		assert_int_equal(jobs[i].rc, 0);
		assert_string_equal(jobs[i].commit, rev_parse("v1.0.0"));
	}
}

static void test_ssh(void **st)
{
	const char *url = url_of("CF_GIT_SSH_URL", "app.git");
	char *key = slurp(env_value("CF_GIT_SSH_KEY")), *kpass = slurp(env_value("CF_GIT_SSH_KEY_PASS"));
	char *stranger = slurp(env_value("CF_GIT_SSH_STRANGER_KEY"));
	char *kh = slurp(env_value("CF_GIT_KNOWN_HOSTS"));
	char *wrong = slurp(env_value("CF_GIT_KNOWN_HOSTS_WRONG"));
	cf_git_auth a = {.ssh_identity = key, .known_hosts = kh};
	cf_git_auth ap = {.ssh_identity = kpass, .ssh_passphrase = env_value("CF_GIT_SSH_PASSPHRASE"),
			  .known_hosts = kh};
	cf_git_auth badpass = {.ssh_identity = kpass, .ssh_passphrase = "nope-nope", .known_hosts = kh};
	cf_git_auth unknown = {.ssh_identity = key, .known_hosts = wrong};
	cf_git_auth nohosts = {.ssh_identity = key};
	cf_git_auth strange = {.ssh_identity = stranger, .known_hosts = kh};
	cf_git_result r;
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.semver = "~1.0"}, &a), 0);
	assert_string_equal(r.commit, rev_parse("v1.0.0"));
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev"}, &ap), 0);
	assert_string_equal(r.commit, rev_parse("dev"));
	{
		cf_git_checkout_opts o = {.url = url, .auth = &a, .ref = {.tag = "v1.1.0"}};

		assert_int_equal(cf_git_resolve(&r, &o), 0);
		assert_string_equal(r.commit, rev_parse("v1.1.0"));
		o.auth = &unknown;
		assert_int_equal(cf_git_resolve(&r, &o), CF_EUNSAFE);
	}
	{
		/* OpenSSH-format ed25519 key with a passphrase, what ssh-keygen makes by default. */
		char *ed = slurp(env_value("CF_GIT_SSH_ED25519_KEY"));
		cf_git_auth ae = {.ssh_identity = ed, .known_hosts = kh,
				  .ssh_passphrase = env_value("CF_GIT_SSH_ED25519_PASSPHRASE")};
		cf_git_checkout_opts o = {.url = url, .auth = &ae, .ref = {.branch = "main"}};

		assert_int_equal(cf_git_resolve(&r, &o), 0);
		assert_string_equal(r.commit, rev_parse("main"));
		free(ed);
	}
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev"}, &badpass), CF_EAUTH);
	assert_null(strstr(cf_error_last(), "nope-nope"));
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev"}, &strange), CF_EAUTH);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev"}, &unknown), CF_EUNSAFE);
	assert_non_null(strstr(cf_error_last(), "known_hosts"));
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "dev"}, &nohosts), CF_EUNSAFE);
	free(key);
	free(kpass);
	free(stranger);
	free(kh);
	free(wrong);
}

static void test_unreachable(void **st)
{
	char url[200];
	cf_git_result r;
	dirs d;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/git/app.git",
		 run("../../servers/free-port.py"));
	fresh(&d);
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, NULL), CF_ENET);
	snprintf(url, sizeof(url), "ssh://git@127.0.0.1:%s/x.git", run("../../servers/free-port.py"));
	assert_int_equal(checkout(&r, &d, url, (cf_git_ref){.branch = "main"}, NULL), CF_ENET);
}

static void test_symlink_escape(void **st)
{
	cf_git_result r;
	dirs d;

	fresh(&d);
	assert_int_equal(checkout(&r, &d, url_of("CF_GIT_HTTP_URL", "app.git"),
				  (cf_git_ref){.branch = "evil-link"}, NULL), CF_EUNSAFE);
	assert_non_null(strstr(cf_error_last(), "deploy/escape"));
	assert_true(is_empty_dir(d.out));
}

static void test_oversize_file(void **st)
{
	cf_git_checkout_opts o = {0};
	cf_git_result r;
	dirs d;

	fresh(&d);
	o.url = url_of("CF_GIT_HTTP_URL", "app.git");
	o.cache_dir = d.cache;
	o.out_dir = d.out;
	o.ref.branch = "big";
	o.max_file_size = 1 << 20;
	assert_int_equal(cf_git_checkout(&r, &o), CF_ELIMIT);
	assert_non_null(strstr(cf_error_last(), "big.bin"));
	assert_true(is_empty_dir(d.out));
	o.max_file_size = 4 << 20;
	o.max_total_size = 1 << 20;
	assert_int_equal(cf_git_checkout(&r, &o), CF_ELIMIT);
	o.max_total_size = 0;
	assert_int_equal(cf_git_checkout(&r, &o), 0);
	/* The 2 MiB of zeros compress well; a 1 KiB transfer bound still stops a fresh fetch. */
	fresh(&d);
	o.cache_dir = d.cache;
	o.out_dir = d.out;
	o.max_transfer_size = 1024;
	assert_int_equal(cf_git_checkout(&r, &o), CF_ELIMIT);
	assert_non_null(strstr(cf_error_last(), "transfer limit"));
}

static void test_submodules(void **st)
{
	cf_git_checkout_opts o = {0};
	cf_git_result r;
	dirs d;

	fresh(&d);
	o.url = url_of("CF_GIT_HTTP_URL", "app.git");
	o.cache_dir = d.cache;
	o.out_dir = d.out;
	o.ref.branch = "with-submodule";
	assert_int_equal(cf_git_checkout(&r, &o), 0);
	assert_true(exists(d.out, "lib") && !exists(d.out, "lib/lib.txt"));
	new_out(&d);
	o.out_dir = d.out;
	o.recurse_submodules = true;
	assert_int_equal(cf_git_checkout(&r, &o), 0);
	assert_true(exists(d.out, "lib/lib.txt"));
}

static void test_cancel_and_timeout(void **st)
{
	static volatile int stop = 1;
	cf_git_checkout_opts o = {0};
	cf_git_result r;
	dirs d;

	fresh(&d);
	o.url = url_of("CF_GIT_HTTP_URL", "app.git");
	o.cache_dir = d.cache;
	o.out_dir = d.out;
	o.ref.branch = "main";
	o.cancel = &stop;
	assert_int_equal(cf_git_checkout(&r, &o), CF_ECANCELED);
	o.cancel = NULL;
	o.timeout_ms = 1;
	usleep(5000);
	assert_int_equal(cf_git_checkout(&r, &o), CF_ETIMEOUT);
}

/* A server that accepts the connection and never answers is given up at the deadline. */
static void test_stalled_server(void **st)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cf_git_checkout_opts o = {0};
	cf_git_result r;
	char url[100];
	struct timespec t0, t1;
	dirs d;

	/* The kernel completes the handshake from the backlog; nobody ever reads or writes. */
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/git/app.git", ntohs(sa.sin_port));
	fresh(&d);
	o.url = url;
	o.cache_dir = d.cache;
	o.out_dir = d.out;
	o.ref.branch = "main";
	o.timeout_ms = 1500;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cf_git_checkout(&r, &o), CF_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_each_ref_kind),
		cmocka_unit_test(test_resolve_without_fetch),
		cmocka_unit_test(test_exported_tree),
		cmocka_unit_test(test_new_commit_detected),
		cmocka_unit_test(test_missing_refs),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_bearer_token),
		cmocka_unit_test(test_https_ca),
		cmocka_unit_test(test_concurrent_different_cas),
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_concurrent_client_certificates),
		cmocka_unit_test(test_concurrent_same_cache),
		cmocka_unit_test(test_ssh),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_symlink_escape),
		cmocka_unit_test(test_oversize_file),
		cmocka_unit_test(test_submodules),
		cmocka_unit_test(test_cancel_and_timeout),
		cmocka_unit_test(test_stalled_server),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
