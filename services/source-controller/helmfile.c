/* File and YAML reading for chart directories: bounded reads, Helm's YAML flavour. */
#include "helmfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/error.h"

int sc_helm_read_file(char **out, size_t *len, const char *path, uint64_t max)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;
	int err = 0;

	if (!f)
		return cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "reading %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		err = cf_error_set(CF_EIO, "%s is not a regular file", path);
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		err = cf_error_set(CF_ELIMIT, "file '%s' is larger than the limit of %llu bytes", path,
				   (unsigned long long)max);
		goto done;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		err = CF_ENOMEM;
		goto done;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		err = cf_error_set(CF_EIO, "reading %s: short read", path);
		goto done;
	}
	buf[st.st_size] = '\0';
	*out = buf;
	*len = (size_t)st.st_size;
	buf = NULL;
done:
	free(buf);
	fclose(f);
	return err;
}

int sc_helm_load_yaml(cf_doc **out, const char *text, size_t len, const char *name)
{
	cf_doc_load_opts o = {.schema = CF_DOC_YAML11, .filename = name};
	return cf_doc_load_yaml(out, text, len, &o);
}
