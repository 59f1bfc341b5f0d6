/* One-time libgit2 start-up shared by every thread of the process. */
#include <git2.h>
#include <pthread.h>

#include "cf/error.h"
#include "cf/git.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

static void init_once(void)
{
	init_rc = git_libgit2_init();
}

int cf_git_init(void)
{
	pthread_once(&once, init_once);
	if (init_rc < 0)
		return cf_error_set(CF_ERROR, "libgit2 failed to initialise");
	return 0;
}
