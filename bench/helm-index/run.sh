#!/bin/bash
# Generates a ~50 MiB index with 10,000 chart versions and measures parse + resolve time and peak
# RSS of bench_helm_index, streaming from the file and from a buffer. Results go to docs/helm-sources.md.
# usage: bench/helm-index/run.sh [BUILD_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-/work/build-hs}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
ninja -C "$BUILD" bench_helm_index >/dev/null
"$HERE/gen-index.py" "$W/index.yaml" 500 20 50
BIN="$BUILD/bench/helm-index/bench_helm_index"
for mode in file buffer; do
	/usr/bin/time -f "max RSS (time -f %%M): %M KiB, wall %e s" "$BIN" "$W/index.yaml" "$mode" chart-00250
done
