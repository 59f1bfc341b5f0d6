/* A client of the test control plane and a namespace of the test's own, for integration tests. */
#ifndef CF_KUBETEST_H
#define CF_KUBETEST_H

#include <stddef.h>

#include "cf/kube.h"

/*
 * Connects to the control plane of CF_KUBECONFIG and creates a namespace "<prefix>-<time>-<pid>"
 * (written to ns). 0 with *kc NULL when CF_KUBECONFIG is unset (the tests then skip); -1 with a
 * message on stderr when the cluster cannot be reached.
 */
int cft_kube_up(cf_kube **kc, char *ns, size_t ns_size, const char *prefix);

/*
 * Deletes the namespace and frees the client (NULL is fine). Without kube-controller-manager the
 * namespace stays Terminating; its name is unique, so later runs are not disturbed.
 */
void cft_kube_down(cf_kube *kc, const char *ns);

#endif
