/* What source-controller adds to common/object: its Event reporter and Flux's missing-Secret message. */
#include "sc.h"

#include "cf/error.h"

const cf_object_reporter sc_reporter = {SC_CONTROLLER, SC_GROUP "/revision"};

int sc_secret_get(json_t **out, sc_env *env, const char *ns, const char *name)
{
	int err = cf_object_data(out, env->kube, "Secret", ns, name);

	if (err == CF_ENOTFOUND)
		cf_error_set(err, "failed to get secret '%s/%s': secrets \"%s\" not found", ns, name, name);
	return err;
}
