/* Kubernetes time stamps: metav1.Time (seconds) and MicroTime (microseconds) in RFC 3339. */
#include "kube_int.h"

#include "cf/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int64_t cf_kube_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void utc(struct tm *tm, int64_t us)
{
	time_t s = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);

	gmtime_r(&s, tm);
}

void kube_format_micro(char buf[64], int64_t us)
{
	struct tm tm;
	int64_t frac = us % 1000000;

	utc(&tm, us);
	snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(frac < 0 ? frac + 1000000 : frac));
}

void kube_format_sec(char buf[64], int64_t us)
{
	struct tm tm;

	utc(&tm, us);
	snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

static int expect(const char **p, char c)
{
	return **p == c ? ((*p)++, 0) : -1;
}

int kube_parse_time(int64_t *out_us, const char *s)
{
	const char *p = s;
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 100000, t;

	if (!s || digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) || expect(&p, '-') ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't') || !++p || digits(&p, 2, &h) ||
	    expect(&p, ':') || digits(&p, 2, &mi) || expect(&p, ':') || digits(&p, 2, &sec))
		goto bad;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			if (scale > 0)
				frac += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om))
			goto bad;
	} else
		goto bad;
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	t -= sign * (oh * 3600 + om * 60);
	*out_us = t * 1000000 + frac;
	return 0;
bad:
	return cf_error_set(CF_EPARSE, "invalid time \"%.40s\"", s ? s : "");
}
