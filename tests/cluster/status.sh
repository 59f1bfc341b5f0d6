#!/usr/bin/env bash
# Exits 0 when the control plane in DIR is up and ready.
set -euo pipefail
DIR=${1:-${CF_CLUSTER_DIR:-/tmp/cflux-cluster}}
[ -f "$DIR/env" ] || exit 1
# shellcheck disable=SC1091
. "$DIR/env"
curl -sf -o /dev/null --cacert "$CF_KUBE_CA" -H "Authorization: Bearer $CF_KUBE_TOKEN" "$CF_KUBE_SERVER/readyz"
