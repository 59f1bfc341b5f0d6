/*
 * Unit tests of kstatus: one live object per case, as the API server returns it, with the status
 * and message kstatus gives for it.
 *
 * Every expected status and message below was produced by the real code Flux runs: Compute of
 * github.com/fluxcd/cli-utils v1.2.3 (the same rules as sigs.k8s.io/cli-utils v0.37.2, also run)
 * and ComputeJobStatus of github.com/fluxcd/pkg/runtime v0.110.3 statusreaders (Flux's Job
 * reader), fed each JSON object on a line with whole numbers as int64, as the API machinery
 * decodes them. Where kstatus returns an error (the poller then reports Unknown) the case expects
 * CF_KSTATUS_UNKNOWN and its message is not compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cf/kstatus.h"

typedef cf_kstatus (*compute_fn)(const json_t *live, char *msg, size_t size);

static const struct kcase {
	const char *name;
	compute_fn fn;
	const char *live;
	cf_kstatus want;
	const char *msg; /* NULL: kstatus returned an error, the message is ours */
} cases[] = {
	{"terminating", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1,\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_TERMINATING, "Resource scheduled for deletion"},
	{"generation_not_observed", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":3},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Deployment generation is 3, but latest observed generation is 1"},
	{"reconciling_true", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Reconciling\",\"status\":\"True\",\"reason\":\"Progressing\",\"message\":\"working on it\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "working on it"},
	{"stalled_true", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},{\"type\":\"Stalled\",\"status\":\"True\",\"reason\":\"Broken\",\"message\":\"cannot proceed\"}]}}",
	 CF_KSTATUS_FAILED, "cannot proceed"},
	{"custom_no_conditions", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1}}",
	 CF_KSTATUS_CURRENT, "Resource is current"},
	{"custom_ready_false_ignored", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"NotReady\",\"message\":\"not yet\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "not yet"},
	{"custom_reconciling_false", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Reconciling\",\"status\":\"False\"},{\"type\":\"Stalled\",\"status\":\"False\"}]}}",
	 CF_KSTATUS_CURRENT, "Resource is current"},
	{"conditions_not_list", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":\"oops\"}}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"condition_type_number", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":7,\"status\":\"True\"}]}}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"status_is_array", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":[\"x\"]}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"generation_is_string", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":\"1\"}}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"deletion_timestamp_number", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1,\"deletionTimestamp\":5}}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"deploy_available", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_CURRENT, "Deployment is available. Replicas: 2"},
	{"deploy_too_few_replicas", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Replicas: 1/2"},
	{"deploy_too_few_updated", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":1,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Updated: 1/2"},
	{"deploy_pending_termination", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Pending termination: 1"},
	{"deploy_too_few_available", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":1,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Available: 1/2"},
	{"deploy_too_few_ready", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":1,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Ready: 1/2"},
	{"deploy_rs_not_available", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"ReplicaSetUpdated\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "ReplicaSet not Available"},
	{"deploy_not_available", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"False\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Deployment not Available"},
	{"deploy_deadline_exceeded", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},\"status\":{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"ReplicaSet web-1 has timed out progressing.\"}]}}",
	 CF_KSTATUS_FAILED, "Progress deadline exceeded"},
	{"deploy_no_deadline_no_conditions", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[]}}",
	 CF_KSTATUS_IN_PROGRESS, "Deployment not Available"},
	{"deploy_no_deadline_available", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_CURRENT, "Deployment is available. Replicas: 2"},
	{"deploy_default_replicas_no_status", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{}}",
	 CF_KSTATUS_IN_PROGRESS, "Replicas: 0/1"},
	{"deploy_core_group_has_no_rule", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{}}",
	 CF_KSTATUS_CURRENT, "Resource is current"},
	{"sts_ondelete", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3,\"updateStrategy\":{\"type\":\"OnDelete\"}},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":0,\"currentReplicas\":3,\"updatedReplicas\":3,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-1\"}}",
	 CF_KSTATUS_CURRENT, "StatefulSet is using the ondelete update strategy"},
	{"sts_too_few_replicas", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"readyReplicas\":3,\"currentReplicas\":3,\"updatedReplicas\":3,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-1\"}}",
	 CF_KSTATUS_IN_PROGRESS, "Replicas: 2/3"},
	{"sts_too_few_ready", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":1,\"currentReplicas\":3,\"updatedReplicas\":3,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-1\"}}",
	 CF_KSTATUS_IN_PROGRESS, "Ready: 1/3"},
	{"sts_pending_termination", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":1,\"replicas\":4,\"readyReplicas\":3,\"currentReplicas\":3,\"updatedReplicas\":3,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-1\"}}",
	 CF_KSTATUS_IN_PROGRESS, "Pending termination: 1"},
	{"sts_partition_rolling", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":2}}},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":3,\"currentReplicas\":3,\"updatedReplicas\":0,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-2\"}}",
	 CF_KSTATUS_IN_PROGRESS, "updated: 0/1"},
	{"sts_partition_done", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":2}}},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":3,\"currentReplicas\":2,\"updatedReplicas\":1,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-2\"}}",
	 CF_KSTATUS_CURRENT, "Partition rollout complete. updated: 1"},
	{"sts_too_few_current", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":3,\"currentReplicas\":1,\"updatedReplicas\":3,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-1\"}}",
	 CF_KSTATUS_IN_PROGRESS, "current: 1/3"},
	{"sts_revision_mismatch", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":3,\"currentReplicas\":3,\"updatedReplicas\":3,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-2\"}}",
	 CF_KSTATUS_IN_PROGRESS, "Waiting for updated revision to match current"},
	{"sts_current", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":3,\"currentReplicas\":3,\"updatedReplicas\":3,\"currentRevision\":\"web-1\",\"updateRevision\":\"web-1\"}}",
	 CF_KSTATUS_CURRENT, "All replicas scheduled as expected. Replicas: 3"},
	{"ds_no_observed_generation", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"desiredNumberScheduled\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "DaemonSet status.observedGeneration not found"},
	{"ds_no_desired", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"observedGeneration\":1}}",
	 CF_KSTATUS_IN_PROGRESS, "Missing .status.desiredNumberScheduled"},
	{"ds_too_few_current", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":2,\"currentNumberScheduled\":1,\"updatedNumberScheduled\":2,\"numberAvailable\":2,\"numberReady\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "Current: 1/2"},
	{"ds_too_few_updated", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":2,\"currentNumberScheduled\":2,\"updatedNumberScheduled\":0,\"numberAvailable\":2,\"numberReady\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "Updated: 0/2"},
	{"ds_too_few_available", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":2,\"currentNumberScheduled\":2,\"updatedNumberScheduled\":2,\"numberAvailable\":1,\"numberReady\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "Available: 1/2"},
	{"ds_too_few_ready", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":2,\"currentNumberScheduled\":2,\"updatedNumberScheduled\":2,\"numberAvailable\":2,\"numberReady\":1}}",
	 CF_KSTATUS_IN_PROGRESS, "Ready: 1/2"},
	{"ds_current", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":2,\"currentNumberScheduled\":2,\"updatedNumberScheduled\":2,\"numberAvailable\":2,\"numberReady\":2}}",
	 CF_KSTATUS_CURRENT, "All replicas scheduled as expected. Replicas: 2"},
	{"rs_replica_failure", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"fullyLabeledReplicas\":2,\"conditions\":[{\"type\":\"ReplicaFailure\",\"status\":\"True\",\"reason\":\"FailedCreate\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Replica Failure condition. Check Pods"},
	{"rs_too_few_labelled", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"fullyLabeledReplicas\":1}}",
	 CF_KSTATUS_IN_PROGRESS, "Labelled: 1/2"},
	{"rs_too_few_available", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"readyReplicas\":2,\"availableReplicas\":0,\"fullyLabeledReplicas\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "Available: 0/2"},
	{"rs_too_few_ready", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"readyReplicas\":1,\"availableReplicas\":2,\"fullyLabeledReplicas\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "Ready: 1/2"},
	{"rs_pending_termination", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":3,\"readyReplicas\":2,\"availableReplicas\":2,\"fullyLabeledReplicas\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "Pending termination: 1"},
	{"rs_current", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"fullyLabeledReplicas\":2}}",
	 CF_KSTATUS_CURRENT, "ReplicaSet is available. Replicas: 2"},
	{"pdb_current", cf_kstatus_compute,
	 "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"minAvailable\":1},\"status\":{\"observedGeneration\":1,\"currentHealthy\":0,\"desiredHealthy\":1,\"disruptionsAllowed\":0,\"expectedPods\":0}}",
	 CF_KSTATUS_CURRENT, "AllowedDisruptions has been computed."},
	{"pdb_not_observed", cf_kstatus_compute,
	 "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"minAvailable\":1},\"status\":{\"observedGeneration\":0}}",
	 CF_KSTATUS_IN_PROGRESS, "PodDisruptionBudget generation is 1, but latest observed generation is 0"},
	{"job_not_started", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"parallelism\":2,\"completions\":4},\"status\":{}}",
	 CF_KSTATUS_IN_PROGRESS, "Job not started"},
	{"job_running", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"completions\":3},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"active\":1,\"succeeded\":1}}",
	 CF_KSTATUS_CURRENT, "Job in progress. success:1, active: 1, failed: 0"},
	{"job_complete", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"completions\":3},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"succeeded\":3,\"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\"},{\"type\":\"Complete\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_CURRENT, "Job Completed. succeeded: 3/3"},
	{"job_failed", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"backoffLimit\":1},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"failed\":2,\"conditions\":[{\"type\":\"FailureTarget\",\"status\":\"True\"},{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\"}]}}",
	 CF_KSTATUS_FAILED, "Job Failed. failed: 2/1"},
	{"job_suspended", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"suspend\":true},\"status\":{\"conditions\":[{\"type\":\"Suspended\",\"status\":\"True\",\"reason\":\"JobSuspended\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Job not started"},
	{"job_generation_ahead", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"namespace\":\"default\",\"generation\":2},\"spec\":{},\"status\":{\"observedGeneration\":1}}",
	 CF_KSTATUS_IN_PROGRESS, "Job generation is 2, but latest observed generation is 1"},
	{"job_conditions_malformed", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"conditions\":{\"type\":\"Complete\"}}}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"fluxjob_not_started", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"parallelism\":2,\"completions\":4},\"status\":{}}",
	 CF_KSTATUS_IN_PROGRESS, "Job not started. active: 0/2"},
	{"fluxjob_running", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"completions\":3},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"active\":1,\"succeeded\":1}}",
	 CF_KSTATUS_IN_PROGRESS, "Job in progress. success:1, active: 1, failed: 0"},
	{"fluxjob_complete", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"completions\":3},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"succeeded\":3,\"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\"},{\"type\":\"Complete\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_CURRENT, "Job Completed. succeeded: 3/3"},
	{"fluxjob_failed", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"backoffLimit\":1},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"failed\":2,\"conditions\":[{\"type\":\"FailureTarget\",\"status\":\"True\"},{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\"}]}}",
	 CF_KSTATUS_FAILED, "Job Failed. failed: 2/1"},
	{"fluxjob_suspended", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"suspend\":true},\"status\":{\"conditions\":[{\"type\":\"Suspended\",\"status\":\"True\",\"reason\":\"JobSuspended\"}]}}",
	 CF_KSTATUS_CURRENT, "Job is suspended"},
	{"fluxjob_generation_ahead", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"namespace\":\"default\",\"generation\":2},\"spec\":{},\"status\":{\"observedGeneration\":1}}",
	 CF_KSTATUS_IN_PROGRESS, "Job not started. active: 0/1"},
	{"fluxjob_conditions_malformed", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"conditions\":{\"type\":\"Complete\"}}}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"pod_ready", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_CURRENT, "Pod is Ready"},
	{"pod_running_not_ready", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Pod is running but is not Ready"},
	{"pod_crash_looping", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"app\",\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}},{\"name\":\"ok\",\"state\":{\"running\":{}}},{\"name\":\"side\",\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}",
	 CF_KSTATUS_FAILED, "Containers in CrashLoop state: app,side"},
	{"pod_succeeded", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Succeeded\"}}",
	 CF_KSTATUS_CURRENT, "Pod has completed successfully"},
	{"pod_failed", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Failed\"}}",
	 CF_KSTATUS_CURRENT, "Pod has completed, but not successfully"},
	{"pod_pending", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Pending\"}}",
	 CF_KSTATUS_IN_PROGRESS, "Pod is in the Pending phase"},
	{"pod_unschedulable_long", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1,\"creationTimestamp\":\"2020-01-01T00:00:00Z\"},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\"}]}}",
	 CF_KSTATUS_FAILED, "Pod could not be scheduled"},
	{"pod_no_phase", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{}}",
	 CF_KSTATUS_IN_PROGRESS, "Pod phase not available"},
	{"pod_unknown_phase", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Exploded\"}}",
	 CF_KSTATUS_UNKNOWN, NULL},
	{"pvc_pending", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]},\"status\":{\"phase\":\"Pending\"}}",
	 CF_KSTATUS_IN_PROGRESS, "PVC is not Bound. phase: Pending"},
	{"pvc_bound", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]},\"status\":{\"phase\":\"Bound\"}}",
	 CF_KSTATUS_CURRENT, "PVC is Bound"},
	{"pvc_no_status", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}",
	 CF_KSTATUS_IN_PROGRESS, "PVC is not Bound. phase: unknown"},
	{"svc_lb_no_ip", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{}}",
	 CF_KSTATUS_IN_PROGRESS, "ClusterIP not set. Service type: LoadBalancer"},
	{"svc_lb_with_cluster_ip", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.0.0.7\"},\"status\":{}}",
	 CF_KSTATUS_CURRENT, "Service is ready"},
	{"svc_cluster_ip", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"clusterIP\":\"10.0.0.8\"},\"status\":{}}",
	 CF_KSTATUS_CURRENT, "Service is ready"},
	{"crd_established", cf_kstatus_compute,
	 "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"group\":\"example.com\"},\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"True\",\"reason\":\"NoConflicts\"},{\"type\":\"Established\",\"status\":\"True\",\"reason\":\"InitialNamesAccepted\"}]}}",
	 CF_KSTATUS_CURRENT, "CRD is established"},
	{"crd_names_rejected", cf_kstatus_compute,
	 "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"group\":\"example.com\"},\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"False\",\"reason\":\"ListKindConflict\",\"message\":\"\\\"WidgetList\\\" is already in use\"},{\"type\":\"Established\",\"status\":\"False\",\"reason\":\"NotAccepted\"}]}}",
	 CF_KSTATUS_FAILED, "\"WidgetList\" is already in use"},
	{"crd_installing", cf_kstatus_compute,
	 "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"group\":\"example.com\"},\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"True\"},{\"type\":\"Established\",\"status\":\"False\",\"reason\":\"Installing\",\"message\":\"the initial names have been accepted\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Install in progress"},
	{"crd_not_established", cf_kstatus_compute,
	 "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"group\":\"example.com\"},\"status\":{\"conditions\":[{\"type\":\"Established\",\"status\":\"False\",\"reason\":\"Terminating\",\"message\":\"gone soon\"}]}}",
	 CF_KSTATUS_FAILED, "gone soon"},
	{"crd_no_conditions", cf_kstatus_compute,
	 "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"group\":\"example.com\"},\"status\":{}}",
	 CF_KSTATUS_IN_PROGRESS, "Install in progress"},
	{"configmap", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1}}",
	 CF_KSTATUS_CURRENT, "Resource is always ready"},
	{"secret", cf_kstatus_compute,
	 "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1}}",
	 CF_KSTATUS_CURRENT, "Resource is always ready"},
	{"cronjob", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"schedule\":\"* * * * *\"},\"status\":{}}",
	 CF_KSTATUS_CURRENT, "Resource is always ready"},
	{"extensions_daemonset", cf_kstatus_compute,
	 "{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"desiredNumberScheduled\":1}}",
	 CF_KSTATUS_IN_PROGRESS, "DaemonSet status.observedGeneration not found"},
	{"custom_ready_true", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Succeeded\",\"message\":\"done\"}]}}",
	 CF_KSTATUS_CURRENT, "Resource is Ready"},
	{"custom_ready_unknown", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\",\"reason\":\"Progressing\",\"message\":\"reconciliation in progress\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "reconciliation in progress"},
	{"custom_stalled_wins_over_ready", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\"Stalled\",\"status\":\"True\",\"message\":\"stuck\"}]}}",
	 CF_KSTATUS_FAILED, "stuck"},
	{"custom_ready_odd_status", cf_kstatus_compute,
	 "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Maybe\"}]}}",
	 CF_KSTATUS_CURRENT, "Resource is current"},
	{"job_started_with_suspended_condition", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"suspend\":true},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"conditions\":[{\"type\":\"Suspended\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_CURRENT, "Job in progress. success:0, active: 0, failed: 0"},
	{"job_failed_before_complete", cf_kstatus_compute,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"failed\":1,\"succeeded\":1,\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\"},{\"type\":\"Complete\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_FAILED, "Job Failed. failed: 1/1"},
	{"fluxjob_failed_before_complete", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"failed\":1,\"succeeded\":1,\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\"},{\"type\":\"Complete\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_FAILED, "Job Failed. failed: 1/1"},
	{"fluxjob_terminating_not_generic", cf_kstatus_job,
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}",
	 CF_KSTATUS_CURRENT, "Job Completed. succeeded: 0/1"},
	{"deploy_replicas_as_real_number_defaults", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"replicas\":2.5},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}",
	 CF_KSTATUS_IN_PROGRESS, "Pending termination: 1"},
	{"deploy_pending_termination_wraps_like_go", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"generation\":1},\"spec\":{\"replicas\":-9223372036854775808},\"status\":{\"observedGeneration\":1,\"replicas\":2}}",
	 CF_KSTATUS_IN_PROGRESS, "Pending termination: -9223372036854775806"},
	{"sts_partition_wraps_like_go", cf_kstatus_compute,
	 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\",\"generation\":1},\"spec\":{\"replicas\":1,\"updateStrategy\":{\"rollingUpdate\":{\"partition\":-9223372036854775808}}},\"status\":{\"observedGeneration\":1,\"replicas\":1,\"readyReplicas\":1,\"updatedReplicas\":0}}",
	 CF_KSTATUS_CURRENT, "Partition rollout complete. updated: 0"},
};

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static void run_case(void **state)
{
	const struct kcase *c = *state;
	json_t *live = parse(c->live);
	char msg[512] = "";
	cf_kstatus got = c->fn(live, msg, sizeof(msg));

	if (got != c->want)
		fail_msg("%s: got %s (%s), want %s", c->name, cf_kstatus_name(got), msg, cf_kstatus_name(c->want));
	if (c->msg)
		assert_string_equal(msg, c->msg);
	else
		assert_true(msg[0] != '\0');
	json_decref(live);
}

/* A Pod unschedulable for less than 15 s is still InProgress (checked against kstatus with a fresh timestamp). */
static void test_pod_unschedulable_fresh(void **state)
{
	char text[512], ts[32], msg[128];
	time_t now = time(NULL);
	struct tm tm;
	json_t *live;

	(void)state;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"creationTimestamp\":\"%s\"},"
		 "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
		 "\"reason\":\"Unschedulable\"}]}}",
		 ts);
	live = parse(text);
	assert_int_equal(cf_kstatus_compute(live, msg, sizeof(msg)), CF_KSTATUS_IN_PROGRESS);
	assert_string_equal(msg, "Pod has not been scheduled");
	json_decref(live);
}

/* The message is cut to the buffer and always terminated; a zero-size buffer is not written. */
static void test_message_truncated(void **state)
{
	json_t *live = parse("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"c\"},"
			     "\"status\":{\"phase\":\"Pending\"}}");
	char msg[8] = "xxxxxxx", untouched = 'z';

	(void)state;
	assert_int_equal(cf_kstatus_compute(live, msg, sizeof(msg)), CF_KSTATUS_IN_PROGRESS);
	assert_string_equal(msg, "PVC is ");
	assert_int_equal(cf_kstatus_compute(live, &untouched, 0), CF_KSTATUS_IN_PROGRESS);
	assert_int_equal(untouched, 'z');
	json_decref(live);
}

/* What is not an object (kstatus cannot even decode it) is Unknown, never a crash. */
static void test_not_an_object(void **state)
{
	json_t *s = json_string("Deployment"), *deep = parse("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"status\":"
							     "{\"phase\":\"Running\",\"containerStatuses\":[1,{\"name\":2},"
							     "{\"name\":\"a\",\"state\":[]},{\"name\":\"b\",\"state\":{\"waiting\":7}}]}}");
	char msg[64];

	(void)state;
	assert_int_equal(cf_kstatus_compute(s, msg, sizeof(msg)), CF_KSTATUS_UNKNOWN);
	assert_int_equal(cf_kstatus_job(NULL, msg, sizeof(msg)), CF_KSTATUS_UNKNOWN);
	assert_int_equal(cf_kstatus_compute(deep, msg, sizeof(msg)), CF_KSTATUS_IN_PROGRESS);
	assert_string_equal(msg, "Pod is running but is not Ready");
	json_decref(s);
	json_decref(deep);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cf_kstatus_name(CF_KSTATUS_CURRENT), "Current");
	assert_string_equal(cf_kstatus_name(CF_KSTATUS_IN_PROGRESS), "InProgress");
	assert_string_equal(cf_kstatus_name(CF_KSTATUS_FAILED), "Failed");
	assert_string_equal(cf_kstatus_name(CF_KSTATUS_TERMINATING), "Terminating");
	assert_string_equal(cf_kstatus_name(CF_KSTATUS_NOT_FOUND), "NotFound");
	assert_string_equal(cf_kstatus_name(CF_KSTATUS_UNKNOWN), "Unknown");
}

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Replaces every value below node in turn with each hostile one and computes both statuses. */
static void confuse(json_t *root, json_t *node, size_t *runs)
{
	static const char *const hostile[] = {"null", "1", "-9223372036854775807", "1.5", "\"\"", "\"x\"",
					      "true", "[]", "{}", "[{}]", "[1,\"a\"]"};
	const char *key;
	json_t *v, *tmp;
	size_t i;
	char msg[64];

	json_object_foreach_safe (node, tmp, key, v) {
		json_t *saved = json_incref(v);
		for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++) {
			json_object_set_new(node, key, json_loads(hostile[h], JSON_DECODE_ANY, NULL));
			assert_true((unsigned)cf_kstatus_compute(root, msg, sizeof(msg)) <= CF_KSTATUS_UNKNOWN);
			assert_true((unsigned)cf_kstatus_job(root, msg, sizeof(msg)) <= CF_KSTATUS_UNKNOWN);
			(*runs)++;
		}
		json_object_set_new(node, key, saved);
		confuse(root, saved, runs);
	}
	json_array_foreach (node, i, v)
		confuse(root, v, runs);
}

/* Any field of any case with the wrong type or shape gives a status, never a crash (run under ASan). */
static void test_hostile_shapes(void **state)
{
	size_t runs = 0;

	(void)state;
	for (size_t i = 0; i < N_CASES; i++) {
		json_t *live = parse(cases[i].live);
		confuse(live, live, &runs);
		json_decref(live);
	}
	assert_true(runs > 1000);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_pod_unschedulable_fresh),
		cmocka_unit_test(test_message_truncated),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hostile_shapes),
	};
	struct CMUnitTest tests[N_CASES + sizeof(fixed) / sizeof(fixed[0])];
	size_t n = 0;

	/* One named test per table row, so a failure names its case. */
	for (size_t i = 0; i < N_CASES; i++)
		tests[n++] = (struct CMUnitTest){.name = cases[i].name, .test_func = run_case,
						 .initial_state = (void *)&cases[i]};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("kstatus", tests, n, NULL, NULL);
}
