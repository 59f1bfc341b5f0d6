/* A small Prometheus registry (counters, gauges, histograms) and its text exposition format. */
#include "cf/runtime.h"
#include "cf/error.h"
#include "strmap.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 8
#define SEP '\x1f' /* joins label values into a series key; sorts below printable characters */

typedef struct {
	char **values;
	double value;          /* counter/gauge value, histogram sum */
	uint64_t count;        /* histogram observations */
	uint64_t *buckets;     /* per-bucket (non-cumulative) counts */
} series;

struct cf_metric {
	cf_metrics *reg;
	cf_metric_type type;
	char *name, *help;
	char *labels[MAX_LABELS];  /* sorted by name, as the Go client writes them */
	size_t perm[MAX_LABELS];   /* labels[i] is the caller's label perm[i] */
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	rt_strmap series;
	struct cf_metric *next;
};

struct cf_metrics {
	pthread_mutex_t mu;
	cf_metric *families;
};

/* ---- float formatting as Go's strconv 'g' with shortest precision ---- */

void cf_metrics_format_float(char *buf, size_t size, double v)
{
	char tmp[64];
	int p, exp10;

	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		snprintf(buf, size, signbit(v) ? "-0" : "0");
		return;
	}
	/* The fewest significant digits that read back as v. */
	for (p = 1; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
	exp10 = atoi(strchr(tmp, 'e') + 1);
	/* Shortest 'g' in Go uses the exponent form below 1e-4 and from 1e6 on. */
	if (exp10 < -4 || exp10 >= 6)
		snprintf(buf, size, "%s", tmp);
	else
		snprintf(buf, size, "%.*f", p - 1 - exp10 > 0 ? p - 1 - exp10 : 0, v);
}

void cf_metrics_buckets_exp_range(double *out, double min, double max, size_t count)
{
	if (count == 0)
		return;
	double growth = count > 1 ? pow(max / min, 1.0 / (double)(count - 1)) : 1;
	for (size_t i = 0; i < count; i++)
		out[i] = min * pow(growth, (double)i);
}

/* Printed by Go: prometheus.ExponentialBucketsRange(0.01, 1800, 10), as Flux's recorder uses. */
const double cf_metrics_flux_buckets[CF_METRICS_FLUX_NBUCKETS] = {
	0.01, 0.038363583488692544, 0.1471764538093883, 0.5646216173286169, 2.166090855590701,
	8.309900738254731, 31.879757075478317, 122.30217221643493, 469.19495946736544,
	1799.9999999999986,
};

/* ---- registry ---- */

int cf_metrics_new(cf_metrics **out)
{
	cf_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return cf_error_set(CF_ENOMEM, "out of memory creating a metrics registry");
	pthread_mutex_init(&m->mu, NULL);
	*out = m;
	return 0;
}

static void series_free(series *s, size_t nlabels)
{
	if (!s)
		return;
	for (size_t i = 0; s->values && i < nlabels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->buckets);
	free(s);
}

static void family_free(cf_metric *f)
{
	size_t pos = 0;
	void *val;

	while (rt_strmap_next(&f->series, &pos, NULL, &val))
		series_free(val, f->nlabels);
	rt_strmap_clear(&f->series);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f->bounds);
	free(f);
}

void cf_metrics_free(cf_metrics *m)
{
	if (!m)
		return;
	while (m->families) {
		cf_metric *f = m->families;
		m->families = f->next;
		family_free(f);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static int same_shape(const cf_metric *f, cf_metric_type type, const char *const *label_names)
{
	size_t n = 0;

	if (f->type != type)
		return 0;
	for (; label_names && label_names[n]; n++)
		if (n >= f->nlabels)
			return 0;
	if (n != f->nlabels)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(f->labels[i], label_names[f->perm[i]]) != 0)
			return 0;
	return 1;
}

static int family_new(cf_metric **out, cf_metric_type type, const char *name, const char *help,
		      const char *const *label_names, const double *buckets, size_t nbuckets)
{
	cf_metric *f = calloc(1, sizeof(*f));
	int err = CF_ENOMEM;

	if (!f || !(f->name = strdup(name)) || !(f->help = strdup(help ? help : "")))
		goto done;
	f->type = type;
	for (; label_names && label_names[f->nlabels]; f->nlabels++) {
		if (f->nlabels == MAX_LABELS) {
			err = cf_error_set(CF_ELIMIT, "metric %s has more than %d labels", name, MAX_LABELS);
			goto done;
		}
		if (!(f->labels[f->nlabels] = strdup(label_names[f->nlabels])))
			goto done;
		f->perm[f->nlabels] = f->nlabels;
	}
	/* Insertion sort of a handful of names, carrying the permutation along. */
	for (size_t i = 1; i < f->nlabels; i++) {
		for (size_t j = i; j > 0 && strcmp(f->labels[j - 1], f->labels[j]) > 0; j--) {
			char *t = f->labels[j];
			size_t p = f->perm[j];
			f->labels[j] = f->labels[j - 1];
			f->perm[j] = f->perm[j - 1];
			f->labels[j - 1] = t;
			f->perm[j - 1] = p;
		}
	}
	if (type == CF_METRIC_HISTOGRAM && nbuckets) {
		if (!(f->bounds = malloc(nbuckets * sizeof(double))))
			goto done;
		memcpy(f->bounds, buckets, nbuckets * sizeof(double));
		f->nbounds = nbuckets;
	}
	*out = f;
	return 0;
done:
	if (f)
		family_free(f);
	return err == CF_ENOMEM ? cf_error_set(CF_ENOMEM, "out of memory registering %s", name) : err;
}

int cf_metrics_register(cf_metric **out, cf_metrics *m, cf_metric_type type, const char *name,
			const char *help, const char *const *label_names, const double *buckets,
			size_t nbuckets)
{
	cf_metric *f = NULL, **link;
	int err = 0;

	pthread_mutex_lock(&m->mu);
	/* Kept sorted by name so rendering needs no sort. */
	for (link = &m->families; *link && strcmp((*link)->name, name) < 0; link = &(*link)->next)
		;
	if (*link && strcmp((*link)->name, name) == 0) {
		if (!same_shape(*link, type, label_names))
			err = cf_error_set(CF_EEXISTS, "metric %s is already registered differently", name);
		else
			*out = *link;
		goto done;
	}
	if ((err = family_new(&f, type, name, help, label_names, buckets, nbuckets)) < 0)
		goto done;
	f->reg = m;
	f->next = *link;
	*link = f;
	*out = f;
done:
	pthread_mutex_unlock(&m->mu);
	return err;
}

/* ---- series ---- */

static int series_key(char *buf, size_t size, const cf_metric *f, const char *const *values)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t j = 0; j < f->nlabels; j++)
		if (!values || !values[j])
			return cf_error_set(CF_EINVALID, "metric %s needs %zu label values", f->name,
					    f->nlabels);
	for (size_t i = 0; i < f->nlabels; i++) {
		int n = snprintf(buf + len, size - len, "%s%c", values[f->perm[i]], SEP);
		if (n < 0 || (size_t)n >= size - len)
			return cf_error_set(CF_ELIMIT, "label values of %s are too long", f->name);
		len += (size_t)n;
	}
	return 0;
}

static series *series_find(cf_metric *f, const char *const *values, int create)
{
	char key[1024];
	series *s;

	if (series_key(key, sizeof(key), f, values) < 0)
		return NULL;
	if ((s = rt_strmap_get(&f->series, key)) || !create)
		return s;
	if (!(s = calloc(1, sizeof(*s))) || !(s->values = calloc(f->nlabels + 1, sizeof(char *))))
		goto oom;
	for (size_t i = 0; i < f->nlabels; i++)
		if (!(s->values[i] = strdup(values[f->perm[i]])))
			goto oom;
	if (f->nbounds && !(s->buckets = calloc(f->nbounds, sizeof(uint64_t))))
		goto oom;
	if (rt_strmap_put(&f->series, key, s, NULL) < 0)
		goto oom;
	return s;
oom:
	series_free(s, f->nlabels);
	cf_error_set(CF_ENOMEM, "out of memory adding a series to %s", f->name);
	return NULL;
}

static int update(cf_metric *f, const char *const *values, double v, int op)
{
	int err = 0;

	pthread_mutex_lock(&f->reg->mu);
	series *s = series_find(f, values, 1);
	if (!s) {
		err = cf_error_last_code();
		goto done;
	}
	if (op == 0) {
		s->value += v;
	} else if (op == 1) {
		s->value = v;
	} else {
		s->value += v;
		s->count++;
		for (size_t i = 0; i < f->nbounds; i++) {
			if (v <= f->bounds[i]) {
				s->buckets[i]++;
				break;
			}
		}
	}
done:
	pthread_mutex_unlock(&f->reg->mu);
	return err;
}

int cf_metric_add(cf_metric *f, const char *const *values, double v)
{
	if (f->type == CF_METRIC_HISTOGRAM || (f->type == CF_METRIC_COUNTER && v < 0))
		return cf_error_set(CF_EINVALID, "cannot add %g to %s", v, f->name);
	return update(f, values, v, 0);
}

int cf_metric_set(cf_metric *f, const char *const *values, double v)
{
	if (f->type != CF_METRIC_GAUGE)
		return cf_error_set(CF_EINVALID, "%s is not a gauge", f->name);
	return update(f, values, v, 1);
}

int cf_metric_observe(cf_metric *f, const char *const *values, double v)
{
	if (f->type != CF_METRIC_HISTOGRAM)
		return cf_error_set(CF_EINVALID, "%s is not a histogram", f->name);
	return update(f, values, v, 2);
}

int cf_metric_remove(cf_metric *f, const char *const *values)
{
	char key[1024];
	int err;

	if ((err = series_key(key, sizeof(key), f, values)) < 0)
		return err;
	pthread_mutex_lock(&f->reg->mu);
	series *s = rt_strmap_del(&f->series, key);
	pthread_mutex_unlock(&f->reg->mu);
	if (!s)
		return cf_error_set(CF_ENOTFOUND, "no such series in %s", f->name);
	series_free(s, f->nlabels);
	return 0;
}

int cf_metric_value(double *out, cf_metric *f, const char *const *values)
{
	int err = 0;

	pthread_mutex_lock(&f->reg->mu);
	series *s = series_find(f, values, 0);
	if (!s)
		err = cf_error_set(CF_ENOTFOUND, "no such series in %s", f->name);
	else
		*out = f->type == CF_METRIC_HISTOGRAM ? (double)s->count : s->value;
	pthread_mutex_unlock(&f->reg->mu);
	return err;
}

/* ---- text exposition ---- */

typedef struct {
	char *p;
	size_t len, cap;
	int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Escapes backslash and newline, and the double quote too inside label values. */
static void put_escaped(buf *b, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(b, "\\\\", 2);
		else if (*s == '\n')
			put(b, "\\n", 2);
		else if (quote && *s == '"')
			put(b, "\\\"", 2);
		else
			put(b, s, 1);
	}
}

static void put_float(buf *b, double v)
{
	char tmp[64];

	cf_metrics_format_float(tmp, sizeof(tmp), v);
	puts_(b, tmp);
}

/* name{labels[,le="bound"]} value */
static void put_sample(buf *b, const cf_metric *f, const series *s, const char *suffix,
		       const char *le, double v)
{
	puts_(b, f->name);
	puts_(b, suffix);
	if (f->nlabels || le) {
		put(b, "{", 1);
		for (size_t i = 0; i < f->nlabels; i++) {
			if (i)
				put(b, ",", 1);
			puts_(b, f->labels[i]);
			put(b, "=\"", 2);
			put_escaped(b, s->values[i], 1);
			put(b, "\"", 1);
		}
		if (le) {
			puts_(b, f->nlabels ? ",le=\"" : "le=\"");
			puts_(b, le);
			put(b, "\"", 1);
		}
		put(b, "}", 1);
	}
	put(b, " ", 1);
	put_float(b, v);
	put(b, "\n", 1);
}

static void put_histogram(buf *b, const cf_metric *f, const series *s)
{
	char le[64];
	uint64_t cum = 0;

	for (size_t i = 0; i < f->nbounds; i++) {
		cum += s->buckets[i];
		cf_metrics_format_float(le, sizeof(le), f->bounds[i]);
		put_sample(b, f, s, "_bucket", le, (double)cum);
	}
	put_sample(b, f, s, "_bucket", "+Inf", (double)s->count);
	put_sample(b, f, s, "_sum", NULL, s->value);
	put_sample(b, f, s, "_count", NULL, (double)s->count);
}

typedef struct {
	const char *key;
	const series *s;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
	return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

static int render_family(buf *b, const cf_metric *f)
{
	static const char *const type_names[] = {"counter", "gauge", "histogram"};
	size_t n = 0, pos = 0;
	const char *key;
	void *val;

	if (f->series.len == 0)
		return 0;
	keyed *all = malloc(f->series.len * sizeof(*all));
	if (!all)
		return cf_error_set(CF_ENOMEM, "out of memory rendering %s", f->name);
	while (rt_strmap_next(&f->series, &pos, &key, &val))
		all[n++] = (keyed){key, val};
	qsort(all, n, sizeof(*all), keyed_cmp);
	puts_(b, "# HELP ");
	puts_(b, f->name);
	put(b, " ", 1);
	put_escaped(b, f->help, 0);
	puts_(b, "\n# TYPE ");
	puts_(b, f->name);
	put(b, " ", 1);
	puts_(b, type_names[f->type]);
	put(b, "\n", 1);
	for (size_t i = 0; i < n; i++) {
		if (f->type == CF_METRIC_HISTOGRAM)
			put_histogram(b, f, all[i].s);
		else
			put_sample(b, f, all[i].s, "", NULL, all[i].s->value);
	}
	free(all);
	return 0;
}

int cf_metrics_render(char **out, size_t *out_len, cf_metrics *m)
{
	buf b = {0};
	int err = 0;

	put(&b, "", 0);
	pthread_mutex_lock(&m->mu);
	for (const cf_metric *f = m->families; f && err == 0; f = f->next)
		err = render_family(&b, f);
	pthread_mutex_unlock(&m->mu);
	if (err == 0 && b.oom)
		err = cf_error_set(CF_ENOMEM, "out of memory rendering metrics");
	if (err < 0) {
		free(b.p);
		return err;
	}
	*out = b.p;
	if (out_len)
		*out_len = b.len;
	return 0;
}
