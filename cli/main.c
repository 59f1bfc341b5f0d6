/* The cflux command line: global flags, then dispatch through the command tables. */
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cf/error.h"
#include "cli.h"

/* The global flags, taken out of argv wherever they appear (cobra's persistent flags). */
typedef struct {
	const char *name;
	char shorthand;
	int is_duration;
	size_t offset;
} global_flag;

static const global_flag globals[] = {
	{ "kubeconfig", 0, 0, offsetof(cli_ctx, kubeconfig) },
	{ "context", 0, 0, offsetof(cli_ctx, context) },
	{ "namespace", 'n', 0, offsetof(cli_ctx, namespace_) },
	{ "timeout", 0, 1, offsetof(cli_ctx, timeout_ns) },
};

/* Matches argv[i] against the global flags; 1 and the value when it is one, 0 when not. */
static int match_global(const global_flag **out, const char **value, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	for (size_t g = 0; g < sizeof(globals) / sizeof(globals[0]); g++) {
		size_t len = strlen(globals[g].name);
		const char *rest = NULL;

		if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, globals[g].name, len) == 0 &&
		    (a[2 + len] == '\0' || a[2 + len] == '='))
			rest = a + 2 + len;
		else if (globals[g].shorthand && a[0] == '-' && a[1] == globals[g].shorthand)
			rest = a + 2;
		if (!rest)
			continue;
		*out = &globals[g];
		if (*rest == '=')
			*value = rest + 1;
		else if (*rest)
			*value = rest;
		else if (*i + 1 < argc)
			*value = argv[++*i];
		else
			*value = NULL;
		return 1;
	}
	return 0;
}

static int take_globals(cli_ctx *c, int *argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < *argc; i++) {
		const global_flag *g;
		const char *value;

		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!match_global(&g, &value, *argc, argv, &i)) {
			argv[n++] = argv[i];
			continue;
		}
		if (!value)
			return cli_usage(c, "cflux", "flag needs an argument: --%s", g->name);
		if (g->is_duration) {
			if (cf_duration_parse((int64_t *)((char *)c + g->offset), value) < 0)
				return cli_usage(c, "cflux", "invalid argument \"%s\" for \"--%s\" flag: %s",
				                 value, g->name, cf_error_last());
		} else {
			*(const char **)((char *)c + g->offset) = value;
		}
	}
	*argc = n;
	return 0;
}

int main(int argc, char **argv)
{
	cli_ctx c = {
		.namespace_ = "flux-system",
		.timeout_ns = 5 * 60 * CF_SECOND,
		.poll_ns = CF_SECOND / 2,
		.out = stdout,
		.err = stderr,
	};
	const char *poll = getenv("CFLUX_POLL_INTERVAL");
	int rc;

	argc--;
	argv++;
	if (poll && cf_duration_parse(&c.poll_ns, poll) < 0)
		c.poll_ns = CF_SECOND / 2;
	if ((rc = take_globals(&c, &argc, argv)) != 0)
		return rc;
	if (c.timeout_ns <= 0)
		return cli_usage(&c, "cflux", "--timeout must be positive");
	if (!*c.namespace_)
		return cli_usage(&c, "cflux", "--namespace must not be empty");
	rc = cli_dispatch(&c, &cli_root, "cflux", argc, argv);
	fflush(c.out);
	cf_kube_free(c.kube);
	return rc;
}
