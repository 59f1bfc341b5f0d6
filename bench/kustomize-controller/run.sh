#!/usr/bin/env bash
# kustomize-controller: time from a new commit (reconcile requested by annotation on the
# GitRepository) to the change being in the API server, p50 and p99 over COMMITS commits, with the
# bus (ArtifactReady from source-controller) and with the bus off (the GitRepository watch only).
# Runs the real source-controller and kustomize-controller against a real control plane (its own,
# unless CF_KUBECONFIG names one) and git server.
# Usage: bench/kustomize-controller/run.sh [COMMITS] [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
COMMITS=${1:-20} B=${2:-build}
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -j2 -C "$B" bench_kc_latency >/dev/null
if [ -z "${CF_KUBECONFIG:-}" ]; then
	W=$(mktemp -d /tmp/cflux-bench-kc.XXXXXX)
	trap './tests/cluster/down.sh "$W/cluster" >/dev/null 2>&1; rm -rf "$W"' EXIT
	./tests/cluster/up.sh "$W/cluster" >/dev/null
	set -a; . "$W/cluster/env"; set +a
fi
bin=$B/bench/kustomize-controller/bench_kc_latency
on=$("$bin" "$COMMITS" | tail -1)
off=$("$bin" --no-bus "$COMMITS" | tail -1)
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
printf '| commit to cluster, %s commits | p50 | p99 |\n|---|---|---|\n' "$COMMITS"
printf '| bus on (ArtifactReady + watch) | %s ms | %s ms |\n' "$(field p50_ms "$on")" "$(field p99_ms "$on")"
printf '| bus off (watch only) | %s ms | %s ms |\n' "$(field p50_ms "$off")" "$(field p99_ms "$off")"
