/* Builds the archive filter of a source: .sourceignore files, spec.ignore and Flux's defaults. */
#include "sc.h"
#include "ignore.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/error.h"

#define SOURCEIGNORE ".sourceignore"
#define MAX_IGNORE_FILE (1 << 20)

/* Adds dir/.sourceignore (if any) with domain rel, then recurses into subdirectories. */
static int collect(cf_glob_list *l, const char *root, const char *rel, int depth)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int err = 0;

	if (depth > 64)
		return 0;
	snprintf(path, sizeof(path), "%s%s%s/" SOURCEIGNORE, root, *rel ? "/" : "", rel);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_IGNORE_FILE) {
		FILE *f = fopen(path, "rb");
		char *buf = malloc((size_t)st.st_size + 1);
		size_t n = (f && buf) ? fread(buf, 1, (size_t)st.st_size, f) : 0;
		if (f)
			fclose(f);
		if (buf)
			err = cf_glob_list_add_lines(l, buf, n, rel);
		free(buf);
		if (err < 0)
			return err;
	}
	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	if (!(d = opendir(path)))
		return 0;
	while ((de = readdir(d)) != NULL) {
		char child[4096], full[4096];
		int n;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		/* Paths too long to name are left to the archiver, which reports them. */
		n = snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(full) || lstat(full, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		n = snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		if ((err = collect(l, root, child, depth + 1)) < 0)
			break;
	}
	closedir(d);
	return err;
}

int sc_ignore_build(cf_glob_list **out, const char *dir, const char *spec_ignore)
{
	cf_glob_list *user = NULL;
	int err;

	if ((err = cf_glob_list_new(&user)) < 0)
		return err;
	if ((err = collect(user, dir, "", 0)) < 0)
		goto done;
	if (spec_ignore && (err = cf_glob_list_add_lines(user, spec_ignore, strlen(spec_ignore), "")) < 0)
		goto done;
	err = cf_glob_list_new_flux(out, user);
done:
	cf_glob_list_free(user);
	return err;
}

cf_artifact_filter_result sc_ignore_filter(void *data, const char *relpath, int is_dir)
{
	if (!cf_glob_list_excluded(data, relpath, is_dir))
		return CF_ARTIFACT_INCLUDE;
	/* An ignored directory can still hold re-included files ("!" patterns): only prune when
	 * no negation could bring something back, which the matcher decides per path. */
	return CF_ARTIFACT_EXCLUDE;
}
