/* One-time libgit2 start-up shared by every thread of the process. */
#include <git2.h>
#include <pthread.h>

#include "cf/error.h"
#include "cf/git.h"
#include "internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

/*
 * A controller fetches many repositories one after another; libgit2's defaults keep every pack
 * file open and mapped (no file limit, 8 GiB of mappings) and cache up to 256 MiB of objects, so
 * resident memory would grow with the number of repositories. Bound all three.
 */
static void init_once(void)
{
	init_rc = git_libgit2_init();
	if (init_rc < 0)
		return;
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, (size_t)16);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)64 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)16 << 20);
	if (cf_git__http_register() < 0)
		init_rc = -1;
}

int cf_git_init(void)
{
	pthread_once(&once, init_once);
	if (init_rc < 0)
		return cf_error_set(CF_ERROR, "libgit2 failed to initialise");
	return 0;
}
