/* Thread-local error messages behind the single cf_error_code type. */
#include "cf/error.h"

#include <stdio.h>
#include <string.h>

#define MSG_MAX 2048

static _Thread_local char last_msg[MSG_MAX];
static _Thread_local int last_code;

int cf_error_vset(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	last_code = code;
	return code;
}

int cf_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cf_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int cf_error_wrap(int code, const char *fmt, ...)
{
	char old[MSG_MAX];
	size_t n;
	va_list ap;

	memcpy(old, last_msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	n = strlen(last_msg);
	/* The old message follows the prefix, cut to what still fits. */
	memcpy(last_msg + n, old, strnlen(old, MSG_MAX - 1 - n));
	last_msg[n + strnlen(old, MSG_MAX - 1 - n)] = '\0';
	last_code = code;
	return code;
}

const char *cf_error_last(void)
{
	return last_msg;
}

int cf_error_last_code(void)
{
	return last_code;
}

void cf_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = CF_OK;
}

static const struct {
	int code;
	const char *name;
} names[] = {
	{CF_OK, "CF_OK"}, {CF_ERROR, "CF_ERROR"}, {CF_ENOMEM, "CF_ENOMEM"},
	{CF_EINVALID, "CF_EINVALID"}, {CF_ENOTFOUND, "CF_ENOTFOUND"}, {CF_EEXISTS, "CF_EEXISTS"},
	{CF_ECONFLICT, "CF_ECONFLICT"}, {CF_EGONE, "CF_EGONE"}, {CF_ETIMEOUT, "CF_ETIMEOUT"},
	{CF_EIO, "CF_EIO"}, {CF_EAUTH, "CF_EAUTH"}, {CF_EFORBIDDEN, "CF_EFORBIDDEN"},
	{CF_ELIMIT, "CF_ELIMIT"}, {CF_EUNSUPPORTED, "CF_EUNSUPPORTED"}, {CF_EPARSE, "CF_EPARSE"},
	{CF_ENET, "CF_ENET"}, {CF_EUNSAFE, "CF_EUNSAFE"}, {CF_ECANCELED, "CF_ECANCELED"},
	{CF_EDIGEST, "CF_EDIGEST"}, {CF_EUNAVAILABLE, "CF_EUNAVAILABLE"},
	{CF_EINTERNAL, "CF_EINTERNAL"}, {CF_EINVALID_OBJ, "CF_EINVALID_OBJ"}, {CF_EAGAIN, "CF_EAGAIN"},
};

const char *cf_error_name(int code)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "CF_EUNKNOWN";
}
