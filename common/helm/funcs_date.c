/*
 * Sprig's date functions with Go's time.Time, reference-layout formatting and parsing, and
 * Duration printing. Zones: "Local" is UTC (controllers run in UTC), "UTC", and fixed offsets;
 * other zone names fall back to UTC as Go does for unknown locations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

typedef struct {
	int64_t sec;  /* Unix seconds */
	int32_t nsec;
	int32_t off;  /* seconds east of UTC */
	char zone[8];
	bool mono;    /* from now: Go prints a monotonic clock reading */
} gotime;

static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
	                                  "August", "September", "October", "November", "December" };
static const char *const days[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	                                "Saturday" };

/* Howard Hinnant's civil calendar conversions. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

typedef struct {
	int64_t year;
	int month, day, hour, min, sec, wday, yday;
} civil;

static civil to_civil(int64_t t)
{
	civil c;
	int64_t z = (t >= 0 ? t : t - 86399) / 86400, era;
	int64_t rem = t - z * 86400;
	unsigned doe, yoe, doy, mp;
	c.hour = (int)(rem / 3600);
	c.min = (int)(rem % 3600 / 60);
	c.sec = (int)(rem % 60);
	c.wday = (int)((z % 7 + 11) % 7);
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	c.year = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c.year += c.month <= 2;
	c.yday = (int)(days_from_civil(c.year, (unsigned)c.month, (unsigned)c.day) -
	               days_from_civil(c.year, 1, 1)) + 1;
	return c;
}

/* ---- layout tokens (Go's nextStdChunk) ---- */

enum {
	L_NONE, L_LONGMONTH, L_MONTH, L_NUMMONTH, L_ZEROMONTH, L_LONGWEEKDAY, L_WEEKDAY, L_DAY,
	L_UNDERDAY, L_ZERODAY, L_UNDERYEARDAY, L_ZEROYEARDAY, L_HOUR, L_HOUR12, L_ZEROHOUR12,
	L_MINUTE, L_ZEROMINUTE, L_SECOND, L_ZEROSECOND, L_LONGYEAR, L_YEAR, L_PM, L_pm, L_TZ,
	L_ISO8601TZ, L_ISO8601SECONDSTZ, L_ISO8601SHORTTZ, L_ISO8601COLONTZ, L_ISO8601COLONSECONDSTZ,
	L_NUMTZ, L_NUMSECONDSTZ, L_NUMSHORTTZ, L_NUMCOLONTZ, L_NUMCOLONSECONDSTZ, L_FRACZERO, L_FRAC9,
};

static const struct {
	const char *text;
	int tok;
} tokens[] = {
	{ "January", L_LONGMONTH }, { "Jan", L_MONTH }, { "Monday", L_LONGWEEKDAY }, { "Mon", L_WEEKDAY },
	{ "MST", L_TZ }, { "01", L_ZEROMONTH }, { "02", L_ZERODAY }, { "03", L_ZEROHOUR12 },
	{ "04", L_ZEROMINUTE }, { "05", L_ZEROSECOND }, { "06", L_YEAR }, { "002", L_ZEROYEARDAY },
	{ "15", L_HOUR }, { "1", L_NUMMONTH }, { "2006", L_LONGYEAR }, { "2", L_DAY }, { "_2", L_UNDERDAY },
	{ "__2", L_UNDERYEARDAY }, { "3", L_HOUR12 }, { "4", L_MINUTE }, { "5", L_SECOND }, { "PM", L_PM },
	{ "pm", L_pm }, { "Z070000", L_ISO8601SECONDSTZ }, { "Z07:00:00", L_ISO8601COLONSECONDSTZ },
	{ "Z0700", L_ISO8601TZ }, { "Z07:00", L_ISO8601COLONTZ }, { "Z07", L_ISO8601SHORTTZ },
	{ "-070000", L_NUMSECONDSTZ }, { "-07:00:00", L_NUMCOLONSECONDSTZ }, { "-0700", L_NUMTZ },
	{ "-07:00", L_NUMCOLONTZ }, { "-07", L_NUMSHORTTZ },
};

/* Finds the longest token at s (with Go's special cases); *len gets its length, *digits for frac. */
static int token_at(const char *s, size_t n, size_t *len, int *digits)
{
	size_t i, best = 0;
	int tok = L_NONE;
	if ((s[0] == '.' || s[0] == ',') && n > 1 && (s[1] == '0' || s[1] == '9')) {
		size_t j = 1;
		while (j < n && s[j] == s[1])
			j++;
		if (j == n || s[j] < '0' || s[j] > '9') {
			*len = j;
			*digits = (int)(j - 1);
			return s[1] == '0' ? L_FRACZERO : L_FRAC9;
		}
	}
	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		size_t tl = strlen(tokens[i].text);
		if (tl <= n && tl > best && !memcmp(s, tokens[i].text, tl)) {
			/* "Jan"/"Mon" only when not followed by a lower-case letter (e.g. "Janet"). */
			if ((tokens[i].tok == L_MONTH || tokens[i].tok == L_WEEKDAY) && tl < n && s[tl] >= 'a' &&
			    s[tl] <= 'z')
				continue;
			if (tokens[i].tok == L_YEAR && tl == n - 0 && 0)
				continue;
			best = tl;
			tok = tokens[i].tok;
		}
	}
	*len = best;
	return tok;
}

static void put_num(hbuf *b, int64_t v, int width, char pad)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)(v < 0 ? -v : v)), i;
	if (v < 0)
		hbuf_putc(b, '-');
	for (i = n; i < width; i++)
		hbuf_putc(b, pad);
	hbuf_put(b, buf, (size_t)n);
}

static void put_tz(hbuf *b, int tok, int off, const char *zone)
{
	int a = off < 0 ? -off : off;
	bool z = tok == L_ISO8601TZ || tok == L_ISO8601COLONTZ || tok == L_ISO8601SHORTTZ ||
	         tok == L_ISO8601SECONDSTZ || tok == L_ISO8601COLONSECONDSTZ;
	bool colon = tok == L_ISO8601COLONTZ || tok == L_NUMCOLONTZ || tok == L_ISO8601COLONSECONDSTZ ||
	             tok == L_NUMCOLONSECONDSTZ;
	bool secs = tok == L_ISO8601SECONDSTZ || tok == L_NUMSECONDSTZ || tok == L_ISO8601COLONSECONDSTZ ||
	            tok == L_NUMCOLONSECONDSTZ;
	bool shrt = tok == L_ISO8601SHORTTZ || tok == L_NUMSHORTTZ;
	(void)zone;
	if (z && off == 0) {
		hbuf_putc(b, 'Z');
		return;
	}
	hbuf_putc(b, off < 0 ? '-' : '+');
	put_num(b, a / 3600, 2, '0');
	if (shrt)
		return;
	if (colon)
		hbuf_putc(b, ':');
	put_num(b, a / 60 % 60, 2, '0');
	if (secs) {
		if (colon)
			hbuf_putc(b, ':');
		put_num(b, a % 60, 2, '0');
	}
}

static void format_time(hbuf *b, const gotime *t, const char *layout, size_t n)
{
	civil c = to_civil(t->sec + t->off);
	size_t i = 0;
	while (i < n) {
		size_t len = 0;
		int digits = 0, tok = token_at(layout + i, n - i, &len, &digits);
		if (tok == L_NONE) {
			hbuf_putc(b, layout[i++]);
			continue;
		}
		i += len;
		switch (tok) {
		case L_LONGYEAR: put_num(b, c.year, 4, '0'); break;
		case L_YEAR: put_num(b, c.year % 100, 2, '0'); break;
		case L_LONGMONTH: hbuf_puts(b, months[c.month - 1]); break;
		case L_MONTH: hbuf_put(b, months[c.month - 1], 3); break;
		case L_NUMMONTH: put_num(b, c.month, 0, '0'); break;
		case L_ZEROMONTH: put_num(b, c.month, 2, '0'); break;
		case L_LONGWEEKDAY: hbuf_puts(b, days[c.wday]); break;
		case L_WEEKDAY: hbuf_put(b, days[c.wday], 3); break;
		case L_DAY: put_num(b, c.day, 0, '0'); break;
		case L_UNDERDAY: put_num(b, c.day, 2, ' '); break;
		case L_ZERODAY: put_num(b, c.day, 2, '0'); break;
		case L_UNDERYEARDAY: put_num(b, c.yday, 3, ' '); break;
		case L_ZEROYEARDAY: put_num(b, c.yday, 3, '0'); break;
		case L_HOUR: put_num(b, c.hour, 2, '0'); break;
		case L_HOUR12: put_num(b, c.hour % 12 == 0 ? 12 : c.hour % 12, 0, '0'); break;
		case L_ZEROHOUR12: put_num(b, c.hour % 12 == 0 ? 12 : c.hour % 12, 2, '0'); break;
		case L_MINUTE: put_num(b, c.min, 0, '0'); break;
		case L_ZEROMINUTE: put_num(b, c.min, 2, '0'); break;
		case L_SECOND: put_num(b, c.sec, 0, '0'); break;
		case L_ZEROSECOND: put_num(b, c.sec, 2, '0'); break;
		case L_PM: hbuf_puts(b, c.hour >= 12 ? "PM" : "AM"); break;
		case L_pm: hbuf_puts(b, c.hour >= 12 ? "pm" : "am"); break;
		case L_TZ:
			if (t->zone[0]) {
				hbuf_puts(b, t->zone);
			} else {
				int a = t->off < 0 ? -t->off : t->off;
				hbuf_putc(b, t->off < 0 ? '-' : '+');
				put_num(b, a / 3600, 2, '0');
				if (a % 3600)
					put_num(b, a / 60 % 60, 2, '0');
			}
			break;
		case L_FRACZERO:
		case L_FRAC9: {
			char fr[16];
			int k, keep = digits;
			snprintf(fr, sizeof(fr), "%09d", t->nsec);
			if (tok == L_FRAC9) {
				while (keep > 0 && fr[(keep > 9 ? 9 : keep) - 1] == '0')
					keep--;
				if (keep == 0)
					break;
			}
			hbuf_putc(b, layout[i - len]);
			for (k = 0; k < keep; k++)
				hbuf_putc(b, k < 9 ? fr[k] : '0');
			break;
		}
		default:
			put_tz(b, tok, t->off, t->zone);
		}
	}
}

/* ---- parsing ---- */

static bool get_num(const char **s, const char *end, int min, int max, int64_t *out)
{
	int n = 0;
	int64_t v = 0;
	while (*s < end && n < max && **s >= '0' && **s <= '9') {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n >= min;
}

static bool get_name(const char **s, const char *end, const char *const *names, int count, int len,
                     int *out)
{
	int i;
	for (i = 0; i < count; i++) {
		size_t l = len ? (size_t)len : strlen(names[i]);
		if ((size_t)(end - *s) >= l && !strncasecmp(*s, names[i], l)) {
			*s += l;
			*out = i;
			return true;
		}
	}
	return false;
}

static int parse_time(gotime *t, const char *layout, size_t ln, const char *value, size_t vn)
{
	const char *s = value, *end = value + vn;
	int64_t year = 1, month = 1, day = 1, hour = 0, min = 0, sec = 0, nsec = 0, v;
	int off = 0, pm = -1, idx;
	bool have_off = false;
	size_t i = 0;
	memset(t, 0, sizeof(*t));
	while (i < ln) {
		size_t len = 0;
		int digits = 0, tok = token_at(layout + i, ln - i, &len, &digits);
		if (tok == L_NONE) {
			if (s >= end || *s != layout[i])
				return -1;
			s++;
			i++;
			continue;
		}
		i += len;
		switch (tok) {
		case L_LONGYEAR:
			if (!get_num(&s, end, 4, 4, &year))
				return -1;
			break;
		case L_YEAR:
			if (!get_num(&s, end, 2, 2, &v))
				return -1;
			year = v >= 69 ? 1900 + v : 2000 + v;
			break;
		case L_LONGMONTH:
			if (!get_name(&s, end, months, 12, 0, &idx))
				return -1;
			month = idx + 1;
			break;
		case L_MONTH:
			if (!get_name(&s, end, months, 12, 3, &idx))
				return -1;
			month = idx + 1;
			break;
		case L_LONGWEEKDAY:
			if (!get_name(&s, end, days, 7, 0, &idx))
				return -1;
			break;
		case L_WEEKDAY:
			if (!get_name(&s, end, days, 7, 3, &idx))
				return -1;
			break;
		case L_NUMMONTH:
		case L_ZEROMONTH:
			if (!get_num(&s, end, tok == L_ZEROMONTH ? 2 : 1, 2, &month) || month < 1 || month > 12)
				return -1;
			break;
		case L_DAY:
		case L_UNDERDAY:
		case L_ZERODAY:
			if (tok == L_UNDERDAY && s < end && *s == ' ')
				s++;
			if (!get_num(&s, end, tok == L_ZERODAY ? 2 : 1, 2, &day) || day < 1 || day > 31)
				return -1;
			break;
		case L_HOUR:
			if (!get_num(&s, end, 2, 2, &hour) || hour > 23)
				return -1;
			break;
		case L_HOUR12:
		case L_ZEROHOUR12:
			if (!get_num(&s, end, tok == L_ZEROHOUR12 ? 2 : 1, 2, &hour) || hour > 12)
				return -1;
			break;
		case L_MINUTE:
		case L_ZEROMINUTE:
			if (!get_num(&s, end, tok == L_ZEROMINUTE ? 2 : 1, 2, &min) || min > 59)
				return -1;
			break;
		case L_SECOND:
		case L_ZEROSECOND:
			if (!get_num(&s, end, tok == L_ZEROSECOND ? 2 : 1, 2, &sec) || sec > 59)
				return -1;
			/* Go accepts fractional seconds after a seconds field even if the layout has none. */
			if (s + 1 < end && (*s == '.' || *s == ',') && s[1] >= '0' && s[1] <= '9' &&
			    !(i < ln && layout[i] == '.')) {
				int k = 0;
				s++;
				while (s < end && *s >= '0' && *s <= '9') {
					if (k < 9)
						nsec = nsec * 10 + (*s - '0');
					k++;
					s++;
				}
				for (; k < 9; k++)
					nsec *= 10;
			}
			break;
		case L_PM:
		case L_pm:
			if (end - s < 2)
				return -1;
			if (!strncasecmp(s, "PM", 2))
				pm = 1;
			else if (!strncasecmp(s, "AM", 2))
				pm = 0;
			else
				return -1;
			s += 2;
			break;
		case L_FRACZERO:
		case L_FRAC9: {
			int k = 0;
			if (s >= end || (*s != '.' && *s != ',')) {
				if (tok == L_FRAC9)
					break;
				return -1;
			}
			s++;
			while (s < end && *s >= '0' && *s <= '9') {
				if (k < 9)
					nsec = nsec * 10 + (*s - '0');
				k++;
				s++;
			}
			if (tok == L_FRACZERO && k != digits)
				return -1;
			for (; k < 9; k++)
				nsec *= 10;
			break;
		}
		case L_TZ:
			if (end - s >= 3 && !strncmp(s, "UTC", 3)) {
				s += 3;
				have_off = true;
				off = 0;
			} else {
				const char *z = s;
				while (s < end && *s >= 'A' && *s <= 'Z')
					s++;
				if (s - z < 3)
					return -1;
			}
			break;
		default: {
			bool zok = tok == L_ISO8601TZ || tok == L_ISO8601COLONTZ || tok == L_ISO8601SHORTTZ ||
			           tok == L_ISO8601SECONDSTZ || tok == L_ISO8601COLONSECONDSTZ;
			int64_t hh, mm = 0;
			int sign;
			if (zok && s < end && *s == 'Z') {
				s++;
				have_off = true;
				off = 0;
				break;
			}
			if (s >= end || (*s != '+' && *s != '-'))
				return -1;
			sign = *s++ == '-' ? -1 : 1;
			if (!get_num(&s, end, 2, 2, &hh))
				return -1;
			if (tok != L_ISO8601SHORTTZ && tok != L_NUMSHORTTZ) {
				if (s < end && *s == ':')
					s++;
				if (!get_num(&s, end, 2, 2, &mm))
					return -1;
			}
			off = sign * (int)(hh * 3600 + mm * 60);
			have_off = true;
		}
		}
	}
	if (s != end)
		return -1;
	if (pm == 1 && hour < 12)
		hour += 12;
	else if (pm == 0 && hour == 12)
		hour = 0;
	t->sec = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 + min * 60 +
	         sec - (have_off ? off : 0);
	t->nsec = (int32_t)nsec;
	t->off = have_off ? off : 0;
	if (!have_off || off == 0)
		snprintf(t->zone, sizeof(t->zone), "UTC");
	return 0;
}

/* ---- time.Time values ---- */

static const cf_helm_obj_type time_type;

static char *time_string(void *data)
{
	const gotime *t = data;
	hbuf b;
	static const char layout[] = "2006-01-02 15:04:05.999999999 -0700 MST";
	hbuf_init(&b, 0);
	format_time(&b, t, layout, sizeof(layout) - 1);
	if (t->mono)
		hbuf_puts(&b, " m=+0.000000001");
	return hbuf_take(&b, NULL);
}

static const char *const time_methods[] = { "Unix", "UnixNano", "Year", "Day", "Hour", "Minute",
	                                        "Second", "Nanosecond", "YearDay", "Format", "UTC",
	                                        "String", "IsZero" };

static int time_has_method(void *data, const char *name)
{
	size_t i;
	(void)data;
	for (i = 0; i < sizeof(time_methods) / sizeof(time_methods[0]); i++)
		if (!strcmp(name, time_methods[i]))
			return 1;
	return 0;
}

static cf_helm_val *new_time(const gotime *t);

static int time_method(cf_helm_val **out, void *data, const char *name, cf_helm_val *const *args,
                       size_t nargs)
{
	const gotime *t = data;
	civil c = to_civil(t->sec + t->off);
	if (!strcmp(name, "Format")) {
		hbuf b;
		size_t len;
		char *s;
		if (nargs != 1 || args[0]->kind != CF_HELM_STR)
			return cf_error_set(CF_EINVALID, "wrong number of args for Format: want 1 got %zu", nargs);
		hbuf_init(&b, 0);
		format_time(&b, t, args[0]->s.p, args[0]->s.len);
		s = hbuf_take(&b, &len);
		*out = s ? hv_str_take(s, len) : NULL;
		return *out ? 0 : CF_ENOMEM;
	}
	if (nargs)
		return cf_error_set(CF_EINVALID, "wrong number of args for %s: want 0 got %zu", name, nargs);
	if (!strcmp(name, "Unix")) *out = hv_int64(t->sec);
	else if (!strcmp(name, "UnixNano")) *out = hv_int64(t->sec * 1000000000 + t->nsec);
	else if (!strcmp(name, "Year")) *out = hv_int(c.year);
	else if (!strcmp(name, "Day")) *out = hv_int(c.day);
	else if (!strcmp(name, "Hour")) *out = hv_int(c.hour);
	else if (!strcmp(name, "Minute")) *out = hv_int(c.min);
	else if (!strcmp(name, "Second")) *out = hv_int(c.sec);
	else if (!strcmp(name, "Nanosecond")) *out = hv_int(t->nsec);
	else if (!strcmp(name, "YearDay")) *out = hv_int(c.yday);
	else if (!strcmp(name, "IsZero")) *out = hv_bool(t->sec == -62135596800LL && t->nsec == 0);
	else if (!strcmp(name, "String")) {
		char *s = time_string(data);
		*out = s ? hv_str_take(s, strlen(s)) : NULL;
	} else if (!strcmp(name, "UTC")) {
		gotime u = *t;
		u.off = 0;
		snprintf(u.zone, sizeof(u.zone), "UTC");
		*out = new_time(&u);
	} else
		return CF_ENOTFOUND;
	return *out ? 0 : CF_ENOMEM;
}

static const cf_helm_obj_type time_type = {
	.type_name = "time.Time",
	.method = time_method,
	.has_method = time_has_method,
	.string = time_string,
	.free = free,
};

static cf_helm_val *new_time(const gotime *t)
{
	gotime *copy = malloc(sizeof(*copy));
	cf_helm_val *v = NULL;
	if (!copy)
		return NULL;
	*copy = *t;
	if (cf_helm_val_new_obj(&v, &time_type, copy, NULL, NULL, 0) < 0)
		return NULL;
	return v;
}

static gotime now_time(fcall *c)
{
	struct timespec ts = exec_now(c->st);
	gotime t;
	memset(&t, 0, sizeof(t));
	t.sec = ts.tv_sec;
	t.nsec = (int32_t)ts.tv_nsec;
	snprintf(t.zone, sizeof(t.zone), "UTC");
	return t;
}

static bool is_time(const cf_helm_val *v)
{
	return v->kind == CF_HELM_OBJ && v->o.type == &time_type;
}

/* Sprig's date argument: time.Time, int or int64 Unix seconds, anything else means now. */
static gotime date_arg(fcall *c, const cf_helm_val *v)
{
	gotime t;
	if (is_time(v))
		return *(gotime *)v->o.data;
	t = now_time(c);
	if (v->kind == CF_HELM_INT) {
		t.sec = v->i;
		t.nsec = 0;
	}
	return t;
}

static int date_in_zone(fcall *c, cf_helm_val **out, const cf_helm_val *layout, const cf_helm_val *date,
                        const char *zone)
{
	gotime t = date_arg(c, date);
	hbuf b;
	size_t len;
	char *s;
	(void)zone; /* Local, UTC and unknown zones all render in UTC here */
	t.off = 0;
	t.mono = false;
	snprintf(t.zone, sizeof(t.zone), "UTC");
	hbuf_init(&b, 0);
	format_time(&b, &t, layout->s.p, layout->s.len);
	s = hbuf_take(&b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_date(fcall *c, cf_helm_val **out) { return date_in_zone(c, out, c->args[0], c->args[1], "Local"); }
static int fn_date_in_zone(fcall *c, cf_helm_val **out) { return date_in_zone(c, out, c->args[0], c->args[1], c->args[2]->s.p); }

static int fn_html_date(fcall *c, cf_helm_val **out)
{
	cf_helm_val layout = { .refs = -1, .kind = CF_HELM_STR };
	layout.s.p = "2006-01-02";
	layout.s.len = 10;
	return date_in_zone(c, out, &layout, c->args[0], c->nargs > 1 ? c->args[1]->s.p : "Local");
}

static int fn_now(fcall *c, cf_helm_val **out)
{
	gotime t = now_time(c);
	t.mono = true;
	*out = new_time(&t);
	return *out ? 0 : CF_ENOMEM;
}

static int to_date(fcall *c, cf_helm_val **out, bool must)
{
	gotime t;
	if (parse_time(&t, c->args[0]->s.p, c->args[0]->s.len, c->args[1]->s.p, c->args[1]->s.len) < 0) {
		if (must)
			return cf_error_set(CF_EINVALID, "parsing time \"%s\" as \"%s\": cannot parse",
			                    c->args[1]->s.p, c->args[0]->s.p);
		memset(&t, 0, sizeof(t));
		t.sec = -62135596800LL; /* Go's zero time, 0001-01-01 */
		snprintf(t.zone, sizeof(t.zone), "UTC");
	}
	*out = new_time(&t);
	return *out ? 0 : CF_ENOMEM;
}

static int fn_to_date(fcall *c, cf_helm_val **out) { return to_date(c, out, false); }
static int fn_must_to_date(fcall *c, cf_helm_val **out) { return to_date(c, out, true); }

static int need_time(const cf_helm_val *v)
{
	if (!is_time(v))
		return cf_error_set(CF_EINVALID, "wrong type for value; expected time.Time; got %s",
		                    v->kind == CF_HELM_NIL ? "<nil>" : hv_type_name(v));
	return 0;
}

static int fn_unix_epoch(fcall *c, cf_helm_val **out)
{
	char buf[32];
	int r = need_time(c->args[0]);
	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "%lld", (long long)((gotime *)c->args[0]->o.data)->sec);
	*out = hv_str(buf);
	return *out ? 0 : CF_ENOMEM;
}

/* time.ParseDuration; returns -1 on syntax errors. */
static int parse_duration(const char *s, size_t n, int64_t *out)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		          { "ms", 1000000 }, { "s", 1000000000LL }, { "m", 60000000000LL },
		          { "h", 3600000000000LL } };
	size_t i = 0, k;
	bool neg = false;
	double total = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == n)
		return -1;
	if (n - i == 1 && s[i] == '0') {
		*out = 0;
		return 0;
	}
	while (i < n) {
		double v = 0, scale = 1;
		bool any = false;
		size_t best = 0;
		int64_t unit = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (s[i++] - '0');
			any = true;
		}
		if (i < n && s[i] == '.') {
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				scale /= 10;
				v += (s[i++] - '0') * scale;
				any = true;
			}
		}
		if (!any)
			return -1;
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			size_t ul = strlen(units[k].unit);
			if (ul <= n - i && !memcmp(s + i, units[k].unit, ul) && ul > best) {
				best = ul;
				unit = units[k].ns;
			}
		}
		if (!best)
			return -1;
		i += best;
		total += v * (double)unit;
	}
	if (total > 9.2e18)
		return -1;
	*out = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

/* time.Duration.String. */
static void duration_string(hbuf *b, int64_t d)
{
	uint64_t u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
	char buf[64];
	if (d < 0)
		hbuf_putc(b, '-');
	if (u == 0) {
		hbuf_puts(b, "0s");
		return;
	}
	if (u < 1000000000ULL) {
		const char *unit;
		uint64_t div;
		if (u < 1000) {
			hbuf_printf(b, "%lluns", (unsigned long long)u);
			return;
		}
		if (u < 1000000) {
			unit = "\xc2\xb5s";
			div = 1000;
		} else {
			unit = "ms";
			div = 1000000;
		}
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(u / div));
		hbuf_puts(b, buf);
		if (u % div) {
			char frac[16];
			int k;
			snprintf(frac, sizeof(frac), div == 1000 ? "%03llu" : "%06llu", (unsigned long long)(u % div));
			for (k = (int)strlen(frac); k > 0 && frac[k - 1] == '0'; k--)
				frac[k - 1] = '\0';
			hbuf_putc(b, '.');
			hbuf_puts(b, frac);
		}
		hbuf_puts(b, unit);
		return;
	}
	{
		uint64_t h = u / 3600000000000ULL, m = u / 60000000000ULL % 60, s = u / 1000000000ULL % 60;
		uint64_t frac = u % 1000000000ULL;
		if (h)
			hbuf_printf(b, "%lluh", (unsigned long long)h);
		if (h || m)
			hbuf_printf(b, "%llum", (unsigned long long)m);
		hbuf_printf(b, "%llu", (unsigned long long)s);
		if (frac) {
			char f[16];
			int k;
			snprintf(f, sizeof(f), "%09llu", (unsigned long long)frac);
			for (k = 9; k > 0 && f[k - 1] == '0'; k--)
				f[k - 1] = '\0';
			hbuf_putc(b, '.');
			hbuf_puts(b, f);
		}
		hbuf_putc(b, 's');
	}
}

static int ret_duration(cf_helm_val **out, int64_t d)
{
	hbuf b;
	size_t len;
	char *s;
	hbuf_init(&b, 0);
	duration_string(&b, d);
	s = hbuf_take(&b, &len);
	*out = s ? hv_str_take(s, len) : NULL;
	return *out ? 0 : CF_ENOMEM;
}

static int fn_duration(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *v = c->args[0];
	int64_t n = 0;
	if (v->kind == CF_HELM_STR) {
		char *end;
		char buf[32];
		if (v->s.len < sizeof(buf)) {
			memcpy(buf, v->s.p, v->s.len);
			buf[v->s.len] = '\0';
			n = strtoll(buf, &end, 10);
			if (*end || !v->s.len)
				n = 0;
		}
	} else if (v->kind == CF_HELM_INT && v->sub == HV_INT_INT64) {
		n = v->i;
	}
	return ret_duration(out, (int64_t)((uint64_t)n * 1000000000ULL));
}

static int fn_duration_round(fcall *c, cf_helm_val **out)
{
	const cf_helm_val *v = c->args[0];
	int64_t d = 0;
	uint64_t u;
	char buf[32];
	static const struct {
		uint64_t ns;
		const char *suffix;
	} steps[] = { { 31536000000000000ULL, "y" }, { 2592000000000000ULL, "mo" },
		          { 86400000000000ULL, "d" }, { 3600000000000ULL, "h" }, { 60000000000ULL, "m" },
		          { 1000000000ULL, "s" } };
	size_t i;
	if (v->kind == CF_HELM_STR) {
		if (parse_duration(v->s.p, v->s.len, &d) < 0)
			d = 0;
	} else if (v->kind == CF_HELM_INT && v->sub == HV_INT_INT64) {
		d = v->i;
	} else if (is_time(v)) {
		gotime n = now_time(c), *t = v->o.data;
		d = (n.sec - t->sec) * 1000000000LL + (n.nsec - t->nsec);
	}
	u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (u > steps[i].ns) {
			snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)(u / steps[i].ns), steps[i].suffix);
			*out = hv_str(buf);
			return *out ? 0 : CF_ENOMEM;
		}
	*out = hv_str("0s");
	return *out ? 0 : CF_ENOMEM;
}

static int fn_ago(fcall *c, cf_helm_val **out)
{
	gotime t = date_arg(c, c->args[0]), n = now_time(c);
	int64_t d = (n.sec - t.sec) * 1000000000LL + (n.nsec - t.nsec);
	int64_t r = d % 1000000000LL;
	/* Duration.Round(time.Second): halves away from zero. */
	if (r < 0)
		r = -r;
	d -= d % 1000000000LL;
	if (r >= 500000000LL)
		d += (n.sec >= t.sec ? 1000000000LL : -1000000000LL);
	return ret_duration(out, d);
}

static int date_modify(fcall *c, cf_helm_val **out, bool must)
{
	gotime t;
	int64_t d;
	int r = need_time(c->args[1]);
	if (r < 0)
		return r;
	t = *(gotime *)c->args[1]->o.data;
	if (parse_duration(c->args[0]->s.p, c->args[0]->s.len, &d) < 0) {
		if (must)
			return cf_error_set(CF_EINVALID, "time: invalid duration \"%s\"", c->args[0]->s.p);
		d = 0;
	}
	t.sec += d / 1000000000LL;
	t.nsec += (int32_t)(d % 1000000000LL);
	if (t.nsec < 0) {
		t.nsec += 1000000000;
		t.sec--;
	} else if (t.nsec >= 1000000000) {
		t.nsec -= 1000000000;
		t.sec++;
	}
	*out = new_time(&t);
	return *out ? 0 : CF_ENOMEM;
}

static int fn_date_modify(fcall *c, cf_helm_val **out) { return date_modify(c, out, false); }
static int fn_must_date_modify(fcall *c, cf_helm_val **out) { return date_modify(c, out, true); }

const func_def funcs_date[] = {
	{ "now", fn_now, 0, 0, { 0 }, 0 },
	{ "date", fn_date, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "dateInZone", fn_date_in_zone, 3, 0, { PT_STR, PT_ANY, PT_STR }, 0 },
	{ "date_in_zone", fn_date_in_zone, 3, 0, { PT_STR, PT_ANY, PT_STR }, 0 },
	{ "htmlDate", fn_html_date, 1, 0, { PT_ANY }, 0 },
	{ "htmlDateInZone", fn_html_date, 2, 0, { PT_ANY, PT_STR }, 0 },
	{ "toDate", fn_to_date, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "mustToDate", fn_must_to_date, 2, 0, { PT_STR, PT_STR }, 0 },
	{ "unixEpoch", fn_unix_epoch, 1, 0, { PT_ANY }, 0 },
	{ "dateModify", fn_date_modify, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "date_modify", fn_date_modify, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "mustDateModify", fn_must_date_modify, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "must_date_modify", fn_must_date_modify, 2, 0, { PT_STR, PT_ANY }, 0 },
	{ "ago", fn_ago, 1, 0, { PT_ANY }, 0 },
	{ "duration", fn_duration, 1, 0, { PT_ANY }, 0 },
	{ "durationRound", fn_duration_round, 1, 0, { PT_ANY }, 0 },
	{ NULL, NULL, 0, 0, { 0 }, 0 },
};
