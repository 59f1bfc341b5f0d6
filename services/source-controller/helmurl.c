/* Helm repository URLs: where the index lives and where a chart listed in it is downloaded from. */
#include "helmsource.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

/* A parsed URL handle of an absolute http(s) URL, or NULL. */
static CURLU *parse_abs(const char *url)
{
	CURLU *u = curl_url();

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
		return u;
	curl_url_cleanup(u);
	return NULL;
}

/* Sets u's path to its own path with exactly one trailing "/" plus suffix. */
static int set_path_with(CURLU *u, const char *suffix)
{
	char *path = NULL, *next = NULL;
	int err = 0;

	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		return cf_error_set(CF_EINVALID, "URL without a path");
	size_t n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	next = malloc(n + strlen(suffix) + 2);
	if (!next) {
		err = CF_ENOMEM;
		goto done;
	}
	memcpy(next, path, n);
	next[n] = '/';
	strcpy(next + n + 1, suffix);
	if (curl_url_set(u, CURLUPART_PATH, next, 0) != CURLUE_OK)
		err = cf_error_set(CF_EINVALID, "cannot set URL path '%s'", next);
done:
	curl_free(path);
	free(next);
	return err;
}

int sc_helm_url_index(char **out, const char *repo_url)
{
	CURLU *u = parse_abs(repo_url);
	char *s = NULL;
	int err;

	if (!u)
		return cf_error_set(CF_EINVALID, "invalid Helm repository URL '%s'", repo_url);
	if ((err = set_path_with(u, "index.yaml")) < 0)
		goto done;
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK || !(*out = strdup(s)))
		err = CF_ENOMEM;
done:
	curl_free(s);
	curl_url_cleanup(u);
	return err;
}

/* True when s has a URL scheme ("http:", "oci:"), i.e. is absolute as Go's URL.IsAbs. */
static int has_scheme(const char *s)
{
	size_t n = 0;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 0;
	while (s[n] && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.", s[n]))
		n++;
	return s[n] == ':';
}

int sc_helm_url_resolve(char **out, const char *repo_url, const char *chart_url)
{
	CURLU *u = NULL;
	char *query = NULL, *s = NULL;
	int err = 0;

	if (!chart_url || !*chart_url)
		return cf_error_set(CF_EINVALID, "chart version has no URL");
	if (has_scheme(chart_url)) {
		if (!(u = parse_abs(chart_url)))
			return cf_error_set(CF_EINVALID, "invalid chart URL format '%s'", chart_url);
	} else {
		if (!(u = parse_abs(repo_url)))
			return cf_error_set(CF_EINVALID, "invalid Helm repository URL '%s'", repo_url);
		/* Flux: the repository path gets a trailing slash, the chart URL is resolved against
		 * it and the repository's query is kept. */
		curl_url_get(u, CURLUPART_QUERY, &query, 0);
		if ((err = set_path_with(u, "")) < 0)
			goto done;
		curl_url_set(u, CURLUPART_QUERY, NULL, 0);
		if (curl_url_set(u, CURLUPART_URL, chart_url, 0) != CURLUE_OK) {
			err = cf_error_set(CF_EINVALID, "invalid chart URL format '%s'", chart_url);
			goto done;
		}
		curl_url_set(u, CURLUPART_QUERY, query, 0);
	}
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK || !(*out = strdup(s)))
		err = CF_ENOMEM;
done:
	curl_free(query);
	curl_free(s);
	curl_url_cleanup(u);
	return err;
}
