/* Command-line flags in pflag's syntax (durations in Go's format). */
#include "cf/runtime.h"
#include "cf/duration.h"
#include "cf/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Go duration (cf/duration.h) rounded to whole milliseconds, the unit the runtime works in. */
static int parse_duration_ms(int64_t *out_ms, const char *s)
{
	int64_t ns;
	int err;

	if ((err = cf_duration_parse(&ns, s)) < 0)
		return err;
	*out_ms = ns >= 0 ? (ns + 500000) / 1000000 : -((-ns + 500000) / 1000000);
	return 0;
}

static int parse_bool(int *out, const char *v)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return CF_EINVALID;
}

static int set_value(const cf_flag *f, const char *v)
{
	char *end;
	int err = 0;

	switch (f->type) {
	case CF_FLAG_STRING:
		*(const char **)f->target = v;
		break;
	case CF_FLAG_INT: {
		errno = 0;
		long n = strtol(v, &end, 10);
		if (!*v || *end || errno || n < -2147483647L || n > 2147483647L)
			err = CF_EINVALID;
		else
			*(int *)f->target = (int)n;
		break;
	}
	case CF_FLAG_BOOL:
		err = parse_bool(f->target, v);
		break;
	case CF_FLAG_DURATION:
		err = parse_duration_ms(f->target, v);
		break;
	case CF_FLAG_DOUBLE: {
		errno = 0;
		double d = strtod(v, &end);
		if (!*v || *end || errno)
			err = CF_EINVALID;
		else
			*(double *)f->target = d;
		break;
	}
	}
	if (err < 0)
		return cf_error_set(CF_EINVALID, "invalid argument \"%s\" for \"--%s\" flag", v, f->name);
	return 0;
}

static const cf_flag *find(const cf_flag *const *tables, const char *name, size_t len)
{
	for (size_t t = 0; tables[t]; t++)
		for (const cf_flag *f = tables[t]; f->name; f++)
			if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
				return f;
	return NULL;
}

static void usage(const char *prog, const cf_flag *const *tables)
{
	static const char *const type_names[] = {"string", "int", "", "duration", "float"};

	fprintf(stderr, "Usage of %s:\n", prog);
	for (size_t t = 0; tables[t]; t++)
		for (const cf_flag *f = tables[t]; f->name; f++)
			fprintf(stderr, "      --%s %s\t%s\n", f->name, type_names[f->type],
				f->usage ? f->usage : "");
}

int cf_flags_parse(int argc, char **argv, const cf_flag *const *tables)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(argv[0], tables);
			return CF_ECANCELED;
		}
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
			return cf_error_set(CF_EINVALID, "unexpected argument \"%s\"", a);
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const cf_flag *f = find(tables, name, len);
		if (!f)
			return cf_error_set(CF_EINVALID, "unknown flag: --%.*s", (int)len, name);
		const char *value = eq ? eq + 1 : NULL;
		if (!value && f->type == CF_FLAG_BOOL)
			value = "true";
		if (!value) {
			if (i + 1 >= argc)
				return cf_error_set(CF_EINVALID, "flag needs an argument: --%s", f->name);
			value = argv[++i];
		}
		int err = set_value(f, value);
		if (err < 0)
			return err;
	}
	return 0;
}
