/*
 * A private control plane for tests that stop and restart kube-apiserver or compact etcd, which
 * must never happen to the shared one other tests use in parallel.
 */
#ifndef CF_TEST_RESILIENCE_CLUSTER_H
#define CF_TEST_RESILIENCE_CLUSTER_H

#include <stdint.h>

typedef struct {
	char dir[256];         /* what up.sh was given; removed by cluster_down */
	char kubeconfig[300];
	char etcd_url[128];
	int api_port;
	int etcd_port;
} cluster;

/* Starts etcd + kube-apiserver with tests/cluster/up.sh in a new folder under /tmp. 0 or -1. */
int cluster_up(cluster *c);
/* Stops both and removes the folder. Safe on a cluster that never started. */
void cluster_down(cluster *c);

/* Kills kube-apiserver (SIGKILL, as a crash) and waits until its port refuses connections. */
int cluster_apiserver_kill(cluster *c);
/* Starts kube-apiserver again on the same port and etcd (apiserver.sh). */
int cluster_apiserver_start(cluster *c);

/* etcd's current revision through its v3 HTTP gateway, or -1. */
int64_t cluster_etcd_revision(cluster *c);
/* Writes a scratch key outside /registry, which moves the revision on. 0 or -1. */
int cluster_etcd_bump(cluster *c);
/* Compacts etcd's history up to rev (physical: waits until the data is gone). 0 or -1. */
int cluster_etcd_compact(cluster *c, int64_t rev);

int64_t mono_ms(void);

#endif
