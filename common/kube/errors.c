/* API answers and curl failures mapped to cf_error codes, keeping the server's Status message. */
#include "kube_int.h"

#include "cf/error.h"

#include <string.h>

static const struct {
	long status;
	const char *reason; /* NULL: any */
	int code;
} status_table[] = {
	{ 400, NULL, CF_EINVALID },
	{ 401, NULL, CF_EAUTH },
	{ 403, NULL, CF_EFORBIDDEN },
	{ 404, NULL, CF_ENOTFOUND },
	{ 405, NULL, CF_EUNSUPPORTED },
	{ 408, NULL, CF_ETIMEOUT },
	{ 409, "AlreadyExists", CF_EEXISTS },
	{ 409, NULL, CF_ECONFLICT },
	{ 410, NULL, CF_EGONE },
	{ 415, NULL, CF_EUNSUPPORTED },
	{ 422, NULL, CF_EINVALID_OBJ },
	{ 429, NULL, CF_EUNAVAILABLE },
	{ 503, NULL, CF_EUNAVAILABLE },
	{ 504, NULL, CF_ETIMEOUT },
};

int cf_kube_error_code(long http_status, const char *reason)
{
	size_t i;

	if (http_status >= 200 && http_status < 300)
		return CF_OK;
	for (i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
		if (status_table[i].status == http_status &&
		    (!status_table[i].reason || (reason && !strcmp(reason, status_table[i].reason))))
			return status_table[i].code;
	return http_status >= 500 ? CF_EINTERNAL : CF_ERROR;
}

int kube_status_error(const char *method, const char *path, long status, const char *body,
                      size_t len)
{
	json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *reason = NULL, *message = NULL;
	char snippet[256] = "";
	int code;

	if (json_is_object(root)) {
		reason = json_string_value(json_object_get(root, "reason"));
		message = json_string_value(json_object_get(root, "message"));
	}
	if (!message && body && len) {
		/* Not a Status (a proxy page, plain text): keep a short, printable prefix. */
		size_t i, n = len < sizeof(snippet) - 1 ? len : sizeof(snippet) - 1;

		for (i = 0; i < n; i++)
			snippet[i] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
		snippet[n] = '\0';
		message = snippet;
	}
	code = cf_kube_error_code(status, reason);
	cf_error_set(code, "%s %s: %ld %s: %s", method, path, status, reason ? reason : "",
	             message ? message : "(no message)");
	json_decref(root);
	return code;
}

int kube_curl_error(CURLcode res, const char *method, const char *path, const char *detail)
{
	int code;

	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
		code = CF_ETIMEOUT;
		break;
	case CURLE_OUT_OF_MEMORY:
		code = CF_ENOMEM;
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		code = CF_ECANCELED;
		break;
	default:
		code = CF_ENET;
		break;
	}
	return cf_error_set(code, "%s %s: %s%s%s", method, path, curl_easy_strerror(res),
	                    detail && *detail ? ": " : "", detail ? detail : "");
}
