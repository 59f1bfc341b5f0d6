/*
 * `cflux events`: the Kubernetes Events about Flux objects in a namespace, or about one object
 * and its source with --for Kind/name, as `flux events` prints them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cf/error.h"
#include "cli.h"

/*
 * The kinds flux counts as its own (other Events are left out), and where an object names the
 * source whose Events `--for` adds: a path of keys to a {kind, name[, namespace]} reference.
 */
typedef struct {
	const char *kind;
	const char *ref_path[4];    /* NULL-ended; ref_path[0] == NULL: no reference */
	const char *ref_kind;       /* fixed kind of the reference when it has no "kind" field */
	int cross_namespace;        /* the reference may name another namespace */
	int helm_chart;             /* also HelmChart/<namespace>-<name> (a HelmRelease's chart) */
} flux_kind;

static const flux_kind flux_kinds[] = {
	{ "Kustomization", { "spec", "sourceRef", NULL }, NULL, 1, 0 },
	{ "HelmRelease", { "spec", "chart", "spec", "sourceRef" }, NULL, 1, 1 },
	{ "Alert", { "spec", "providerRef", NULL }, "Provider", 0, 0 },
	{ "Receiver", { NULL }, NULL, 0, 0 },
	{ "Provider", { NULL }, NULL, 0, 0 },
	{ "ImagePolicy", { "spec", "imageRepositoryRef", NULL }, "ImageRepository", 1, 0 },
	{ "HelmChart", { "spec", "sourceRef", NULL }, NULL, 1, 0 },
	{ "GitRepository", { NULL }, NULL, 0, 0 },
	{ "OCIRepository", { NULL }, NULL, 0, 0 },
	{ "Bucket", { NULL }, NULL, 0, 0 },
	{ "HelmRepository", { NULL }, NULL, 0, 0 },
	{ "ImageUpdateAutomation", { NULL }, NULL, 0, 0 },
	{ "ImageRepository", { NULL }, NULL, 0, 0 },
};

#define NKINDS (sizeof(flux_kinds) / sizeof(flux_kinds[0]))

static const flux_kind *find_kind(const char *kind)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcasecmp(flux_kinds[i].kind, kind) == 0)
			return &flux_kinds[i];
	return NULL;
}

typedef struct {
	int all_namespaces;
	const char *for_obj;
	cli_strv types;
} events_opts;

/* One Event reduced to its sort time and the cells of its row. */
typedef struct {
	double when;
	char *cells[6];
} event_row;

typedef struct {
	const events_opts *opts;
	event_row *rows;
	size_t n;
	int err;
} event_list;

/* Parses RFC 3339 "2006-01-02T15:04:05[.frac]Z" into seconds; 0 when empty or malformed. */
static double parse_time(const char *s)
{
	struct tm tm = { 0 };
	double frac = 0;
	int n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return 0;
	if (s[n] == '.')
		frac = strtod(s + n, NULL);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + frac;
}

/* kubectl's duration.HumanDuration, as the LAST SEEN column prints it. */
static void human_duration(char *buf, size_t size, long long s)
{
	long long m = s / 60, h = s / 3600, d = h / 24, y = d / 365;

	if (s < -1)
		snprintf(buf, size, "<invalid>");
	else if (s < 0)
		snprintf(buf, size, "0s");
	else if (s < 120)
		snprintf(buf, size, "%llds", s);
	else if (m < 10 && s % 60 != 0)
		snprintf(buf, size, "%lldm%llds", m, s % 60);
	else if (m < 180)
		snprintf(buf, size, "%lldm", m);
	else if (h < 8 && m % 60 != 0)
		snprintf(buf, size, "%lldh%lldm", h, m % 60);
	else if (h < 48)
		snprintf(buf, size, "%lldh", h);
	else if (h < 192 && h % 24 != 0)
		snprintf(buf, size, "%lldd%lldh", d, h % 24);
	else if (h < 192 || d < 730)
		snprintf(buf, size, "%lldd", d);
	else if (y < 8 && d % 365 != 0)
		snprintf(buf, size, "%lldy%lldd", y, d % 365);
	else
		snprintf(buf, size, "%lldy", y);
}

static void since(char *buf, size_t size, const char *timestamp)
{
	double t = parse_time(timestamp);

	if (t == 0)
		snprintf(buf, size, "<unknown>");
	else
		human_duration(buf, size, (long long)((double)time(NULL) - t));
}

/* LAST SEEN: the first time, or "<last> (xN over <first>)" for repeats, as flux prints it. */
static void last_seen(char *buf, size_t size, json_t *ev)
{
	const char *event_time = cli_json_str(ev, "eventTime", NULL);
	const char *first = event_time ? event_time : cli_json_str(ev, "firstTimestamp", NULL);
	json_t *series = json_object_get(ev, "series");
	json_int_t count = json_integer_value(json_object_get(ev, "count"));
	char first_since[32], last_since[32];

	since(first_since, sizeof(first_since), first);
	if (series) {
		since(last_since, sizeof(last_since), cli_json_str(series, "lastObservedTime", NULL));
		snprintf(buf, size, "%s (x%lld over %s)", last_since,
		         (long long)json_integer_value(json_object_get(series, "count")), first_since);
	} else if (count > 1) {
		since(last_since, sizeof(last_since), cli_json_str(ev, "lastTimestamp", NULL));
		snprintf(buf, size, "%s (x%lld over %s)", last_since, (long long)count, first_since);
	} else {
		snprintf(buf, size, "%s", first_since);
	}
}

/* kubectl's sort key: series.lastObservedTime, else lastTimestamp, else eventTime. */
static double sort_time(json_t *ev)
{
	const char *t = cli_json_str(ev, "series", "lastObservedTime", NULL);

	if (!t)
		t = cli_json_str(ev, "lastTimestamp", NULL);
	if (!t)
		t = cli_json_str(ev, "eventTime", NULL);
	return parse_time(t);
}

static int wanted(const event_list *l, json_t *ev)
{
	const char *kind = cli_json_str(ev, "involvedObject", "kind", NULL);
	const char *type = cli_json_str(ev, "type", NULL);

	if (!kind || !find_kind(kind))
		return 0;
	if (l->opts->types.n == 0)
		return 1;
	for (size_t i = 0; type && i < l->opts->types.n; i++)
		if (strcasecmp(l->opts->types.v[i], type) == 0)
			return 1;
	return 0;
}

static int add_event(void *ctx, const char *item, size_t len)
{
	event_list *l = ctx;
	json_t *ev = json_loadb(item, len, 0, NULL);
	event_row *rows, *r;
	char object[600], seen[128];

	if (!ev || !wanted(l, ev)) {
		json_decref(ev);
		return 0;
	}
	if (!(rows = realloc(l->rows, (l->n + 1) * sizeof(*rows)))) {
		json_decref(ev);
		return l->err = CF_ENOMEM;
	}
	l->rows = rows;
	r = &l->rows[l->n++];
	r->when = sort_time(ev);
	last_seen(seen, sizeof(seen), ev);
	const char *okind = cli_json_str(ev, "involvedObject", "kind", NULL);
	const char *oname = cli_json_str(ev, "involvedObject", "name", NULL);
	snprintf(object, sizeof(object), "%s/%s", okind, oname ? oname : "");
	const char *cells[6] = {
		cli_json_str(ev, "metadata", "namespace", NULL), seen, cli_json_str(ev, "type", NULL),
		cli_json_str(ev, "reason", NULL), object, cli_json_str(ev, "message", NULL),
	};
	for (int i = 0; i < 6; i++)
		r->cells[i] = strdup(cells[i] ? cells[i] : "");
	json_decref(ev);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const event_row *x = a, *y = b;

	return (x->when > y->when) - (x->when < y->when);
}

/* Lists the Events of ns ("" for all) matching the involvedObject kind and name (may be NULL). */
static int list_events(cli_ctx *c, event_list *l, const char *ns, const char *kind,
                       const char *name)
{
	cf_kube_ref ref = { "v1", "Event", ns, NULL };
	cf_kube_list_opts lo = { 0 };
	char field[600];
	cf_kube *kube;
	int err;

	if ((err = cli_kube(c, &kube)) < 0)
		return err;
	if (kind && name)
		snprintf(field, sizeof(field), "involvedObject.kind=%s,involvedObject.name=%s", kind,
		         name);
	else if (kind)
		snprintf(field, sizeof(field), "involvedObject.kind=%s", kind);
	lo.field_selector = kind ? field : NULL;
	err = cf_kube_list(kube, NULL, &ref, &lo, add_event, l);
	return err < 0 ? err : l->err;
}

/*
 * Adds the Events of the object's source (and a HelmRelease's chart). Sets *other_ns when the
 * source lives in another namespace, which brings the NAMESPACE column in.
 */
static int add_source_events(cli_ctx *c, event_list *l, const flux_kind *fk, const char *name,
                             int *other_ns)
{
	char ns[256], chart[600];
	const cli_kind *k = cli_kind_by_name(fk->kind);
	cf_kube_ref ref;
	json_t *obj = NULL, *r;
	char *text = NULL;
	cf_kube *kube;
	int err;

	if (!fk->ref_path[0])
		return 0;
	if ((err = cli_kube(c, &kube)) < 0)
		return err;
	/* Kinds outside the kinds table (Alert, ImagePolicy) have no source events to add. */
	if (!k)
		return 0;
	ref = (cf_kube_ref){ k->api_version, k->kind, c->namespace_, name };
	if ((err = cf_kube_get(kube, &text, &ref)) < 0)
		return err;
	obj = json_loads(text, 0, NULL);
	free(text);
	r = obj;
	for (size_t i = 0; i < 4 && fk->ref_path[i]; i++)
		r = json_object_get(r, fk->ref_path[i]);
	const char *rkind = fk->ref_kind ? fk->ref_kind : cli_json_str(r, "kind", NULL);
	const char *rname = cli_json_str(r, "name", NULL);
	const char *rns = fk->cross_namespace ? cli_json_str(r, "namespace", NULL) : NULL;
	snprintf(ns, sizeof(ns), "%s", rns && *rns ? rns : c->namespace_);
	if (!rkind || !rname) {
		json_decref(obj);
		return cf_error_set(CF_EINVALID, "%s/%s has no source reference", fk->kind, name);
	}
	*other_ns |= strcmp(ns, c->namespace_) != 0 || l->opts->all_namespaces;
	err = list_events(c, l, ns, rkind, rname);
	if (err == 0 && fk->helm_chart) {
		snprintf(chart, sizeof(chart), "%s-%s", c->namespace_, name);
		err = list_events(c, l, ns, "HelmChart", chart);
	}
	json_decref(obj);
	return err;
}

static int print_rows(cli_ctx *c, event_list *l, int show_ns)
{
	static const char *const header[] = { "Namespace", "Last seen", "Type", "Reason", "Object",
		                              "Message" };
	cli_table *t = NULL;
	int rc = CLI_EXIT_FAIL;

	if (l->n == 0) {
		if (l->opts->all_namespaces)
			cli_failure(c, "No events found.");
		else
			cli_failure(c, "No events found in %s namespace.", c->namespace_);
		return CLI_EXIT_OK;
	}
	qsort(l->rows, l->n, sizeof(*l->rows), by_time);
	if (cli_table_new(&t, header + (show_ns ? 0 : 1), show_ns ? 6 : 5) < 0)
		return CLI_EXIT_FAIL;
	for (size_t i = 0; i < l->n; i++)
		if (cli_table_add(t, (const char *const *)l->rows[i].cells + (show_ns ? 0 : 1)) < 0)
			goto done;
	cli_table_print(t, c->out);
	rc = CLI_EXIT_OK;
done:
	cli_table_free(t);
	return rc;
}

static int run_events(cli_ctx *c, const events_opts *o)
{
	event_list l = { o, NULL, 0, 0 };
	const flux_kind *fk = NULL;
	char kind[128] = "";
	const char *name = NULL;
	int show_ns = o->all_namespaces, rc, err = 0;

	for (size_t i = 0; i < o->types.n; i++)
		if (strcasecmp(o->types.v[i], "Normal") != 0 && strcasecmp(o->types.v[i], "Warning") != 0)
			return cli_usage(c, "cflux events", "type '%s' not supported. Supported types "
			                 "are Normal, Warning", o->types.v[i]);
	if (o->for_obj) {
		const char *slash = strchr(o->for_obj, '/');
		snprintf(kind, sizeof(kind), "%.*s",
		         slash ? (int)(slash - o->for_obj) : (int)strlen(o->for_obj), o->for_obj);
		name = slash && slash[1] ? slash + 1 : NULL;
		if (!kind[0])
			return cli_usage(c, "cflux events",
			                 "--for selector must be of format <kind>[/<name>]");
		if (!(fk = find_kind(kind))) {
			cli_failure(c, "'%s' is not a recognized Flux kind", kind);
			return CLI_EXIT_FAIL;
		}
	}
	err = list_events(c, &l, o->all_namespaces ? "" : c->namespace_, fk ? fk->kind : NULL, name);
	if (err == 0 && fk && name)
		err = add_source_events(c, &l, fk, name, &show_ns);
	rc = err < 0 ? cli_fail_err(c, NULL) : print_rows(c, &l, show_ns);
	for (size_t i = 0; i < l.n; i++)
		for (int j = 0; j < 6; j++)
			free(l.rows[i].cells[j]);
	free(l.rows);
	return rc;
}

int cli_events_run(cli_ctx *c, const cli_command *self, int argc, char **argv)
{
	events_opts o = { 0 };
	int nargs, rc;
	cli_flag flags[] = {
		{ "for", 0, CLI_FLAG_STR, &o.for_obj, "get events for a particular object, "
		  "<kind>[/<name>], e.g. Kustomization/podinfo" },
		{ "all-namespaces", 'A', CLI_FLAG_BOOL, &o.all_namespaces,
		  "display events from Flux resources across all namespaces" },
		{ "types", 0, CLI_FLAG_SLICE, &o.types,
		  "filter events for certain types (valid types are: Normal, Warning)" },
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));

	if (!args)
		return CLI_EXIT_FAIL;
	rc = cli_parse(c, self, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, args, &nargs);
	if (rc != CLI_PARSE_OK)
		rc = cli_parse_exit(rc);
	else if (nargs > 0)
		rc = cli_usage(c, "cflux events", "unexpected argument '%s'", args[0]);
	else
		rc = run_events(c, &o);
	cli_strv_free(&o.types);
	free(args);
	return rc;
}
