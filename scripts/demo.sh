#!/usr/bin/env bash
# The demo command: sets up everything on a fresh machine and runs cflux against a real control
# plane. Today it starts the control plane and shows it; the controllers and the reference setup
# join as they land (see README). Ctrl-C stops everything cleanly.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CF_CLUSTER_DIR=${CF_CLUSTER_DIR:-/tmp/cflux-demo}

step() { printf '\n==> %s\n' "$*"; }
cleanup() { step "stopping"; ./tests/cluster/down.sh "$CF_CLUSTER_DIR"; }

step "installing Debian packages (if missing)"
./scripts/install-deps.sh
step "building the control-plane binaries (first run only; cached)"
./tests/cluster/build-binaries.sh etcd kube-apiserver helm
step "building cflux"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
trap cleanup EXIT INT TERM
step "starting etcd + kube-apiserver on 127.0.0.1"
./tests/cluster/up.sh "$CF_CLUSTER_DIR"
# shellcheck disable=SC1091
. "$CF_CLUSTER_DIR/env"
step "control plane is up"
kubectl --kubeconfig "$CF_KUBECONFIG" version 2>/dev/null || true
kubectl --kubeconfig "$CF_KUBECONFIG" api-resources 2>/dev/null | sed -n 1,15p
cat <<MSG

Try it:  kubectl --kubeconfig $CF_KUBECONFIG get ns
Press Ctrl-C to stop (or set CF_DEMO_EXIT=1 to stop right away).
MSG
[ -n "${CF_DEMO_EXIT:-}" ] && exit 0
while sleep 3600; do :; done
