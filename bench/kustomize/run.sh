#!/usr/bin/env bash
# Benchmarks `cflux build kustomize` against `kubectl kustomize` on a generated overlay of 500+
# objects (bench/kustomize/gen.py): first checks both print the same bytes (and stops if not),
# then prints a Markdown table of the median wall time, CPU time and peak RSS over RUNS runs of
# each, the two tools alternating. Results go to docs/kustomize.md.
# Usage: bench/kustomize/run.sh [BUILD_DIR]   (RUNS=n, default 7; APPS, WIDGETS, PATCHES size it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-$root/build}
RUNS=${RUNS:-7}
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j 2 cflux >/dev/null
CFLUX=$BUILD/cli/cflux
W=$(mktemp -d /tmp/cflux-bench-kustomize.XXXXXX)
trap 'rm -rf "$W"' EXIT

"$here/gen.py" "$W/tree" "${APPS:-150}" "${WIDGETS:-60}" "${PATCHES:-24}"
dir=$W/tree/overlay

# Equality first: a fast wrong answer is worth nothing.
kubectl kustomize "$dir" >"$W/kubectl.yaml"
"$CFLUX" build kustomize "$dir" >"$W/cflux.yaml"
if ! cmp -s "$W/kubectl.yaml" "$W/cflux.yaml"; then
	echo "FAIL: cflux build kustomize differs from kubectl kustomize:" >&2
	diff "$W/kubectl.yaml" "$W/cflux.yaml" | head -40 >&2
	exit 1
fi
objects=$(grep -c '^kind:' "$W/cflux.yaml")
echo "outputs identical: $objects objects, $(wc -c <"$W/cflux.yaml") bytes" >&2

# measure NAME CMD...: appends "wall_ms rss_kib cpu_ms" of one run to $W/NAME. CPU time (user +
# system, 10 ms resolution) is shown too because wall time on a shared machine includes waiting
# for a core.
measure() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -f '%M %U %S' -o "$W/rss" "$@" >/dev/null
	t1=$(date +%s%N)
	tail -n 1 "$W/rss" | awk -v w=$(( (t1 - t0) / 1000000 )) \
		'{ printf "%d %d %d\n", w, $1, ($2 + $3) * 1000 + 0.5 }' >>"$W/$name"
}
median() { cut -d' ' -f"$2" "$W/$1" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
for _ in $(seq "$RUNS"); do
	measure kubectl kubectl kustomize "$dir"
	measure cflux "$CFLUX" build kustomize "$dir"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# CPU time is counted in 10 ms ticks: a median of 0 is shown as <10 and gives no ratio.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.1fx", a / b }'; }
ms() { if [ "$1" = 0 ]; then echo '<10'; else echo "$1"; fi; }
row() {
	printf '| %s | %s | %s | %s |\n' "$1" "$(median "$2" 1)" "$(ms "$(median "$2" 3)")" \
		"$(median "$2" 2)"
}
printf '| %s objects, median of %s runs | wall time (ms) | CPU time (ms) | peak RSS (KiB) |\n' \
	"$objects" "$RUNS"
printf '|---|---|---|---|\n'
row '`kubectl kustomize`' kubectl
row '`cflux build kustomize`' cflux
printf '| ratio kubectl/cflux | %s | %s | %s |\n' \
	"$(ratio "$(median kubectl 1)" "$(median cflux 1)")" \
	"$(ratio "$(median kubectl 3)" "$(median cflux 3)")" \
	"$(ratio "$(median kubectl 2)" "$(median cflux 2)")"
