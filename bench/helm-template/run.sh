#!/usr/bin/env bash
# Benchmarks `cflux template` against the real `helm template` on (a) the golden chart with the
# most templates (ties: most template bytes) among tests/golden/helm-charts/cases that helm renders,
# with that case's arguments, and (b) a generated chart of 200 templates (bench/helm-template/
# gen.py). For each, first checks both print the same bytes (and stops if not), then prints a
# Markdown table of the median wall time, CPU time and peak RSS over RUNS runs of each, the two
# tools alternating. Results go to docs/helm.md.
# Usage: bench/helm-template/run.sh [BUILD_DIR]   (RUNS=n, default 7; TEMPLATES=n, HELM=path)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${1:-$root/build}
RUNS=${RUNS:-7}
HELM=${HELM:-$HOME/.cache/cflux/bin/helm}
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j 2 cflux >/dev/null
CFLUX=$BUILD/cli/cflux
W=$(mktemp -d /tmp/cflux-bench-helm.XXXXXX)
trap 'rm -rf "$W"' EXIT

# The largest golden case: template file count, then bytes, of cases with an expected.txt.
cases=$root/tests/golden/helm-charts/cases
golden=$(for c in "$cases"/*/; do
	[ -f "$c/expected.txt" ] || continue
	files=$(find "$c" -path '*/templates/*' -type f)
	[ -n "$files" ] || continue
	# shellcheck disable=SC2086
	printf '%s %s %s\n' "$(echo "$files" | wc -l)" "$(cat $files | wc -c)" "$(basename "$c")"
done | sort -k1,1n -k2,2n | tail -n 1 | cut -d' ' -f3)

"$here/gen.py" "$W/gen/bench" "${TEMPLATES:-200}"
echo rel >"$W/gen/args"
echo bench >>"$W/gen/args"

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
# CPU time is counted in 10 ms ticks: a median of 0 is shown as <10 and gives no ratio.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.1fx", a / b }'; }
ms() { if [ "$1" = 0 ]; then echo '<10'; else echo "$1"; fi; }

# bench LABEL DIR TAG: checks then times both tools in DIR with the arguments in DIR/args.
bench() {
	local label=$1 dir=$2 tag=$3 arg
	local -a args=()
	while IFS= read -r arg; do args+=("$arg"); done <"$dir/args"
	(cd "$dir" && "$HELM" template "${args[@]}") >"$W/helm.txt"
	(cd "$dir" && "$CFLUX" template "${args[@]}") >"$W/cflux.txt"
	if ! cmp -s "$W/helm.txt" "$W/cflux.txt"; then
		echo "FAIL: $label: cflux template differs from helm template:" >&2
		diff "$W/helm.txt" "$W/cflux.txt" | head -40 >&2
		exit 1
	fi
	local docs
	docs=$(grep -c '^# Source: ' "$W/cflux.txt" || true)
	echo "$label: outputs identical: $docs documents, $(wc -c <"$W/cflux.txt") bytes" >&2
	for _ in $(seq "$RUNS"); do
		(cd "$dir" && measure "helm-$tag" "$HELM" template "${args[@]}")
		(cd "$dir" && measure "cflux-$tag" "$CFLUX" template "${args[@]}")
	done
	printf '| %s (%s documents) | `helm template` | %s | %s | %s |\n' "$label" "$docs" \
		"$(median "helm-$tag" 1)" "$(ms "$(median "helm-$tag" 3)")" "$(median "helm-$tag" 2)"
	printf '| | `cflux template` | %s | %s | %s |\n' \
		"$(median "cflux-$tag" 1)" "$(ms "$(median "cflux-$tag" 3)")" "$(median "cflux-$tag" 2)"
	printf '| | ratio helm/cflux | %s | %s | %s |\n' \
		"$(ratio "$(median "helm-$tag" 1)" "$(median "cflux-$tag" 1)")" \
		"$(ratio "$(median "helm-$tag" 3)" "$(median "cflux-$tag" 3)")" \
		"$(ratio "$(median "helm-$tag" 2)" "$(median "cflux-$tag" 2)")"
}

printf '| chart, median of %s runs | tool | wall time (ms) | CPU time (ms) | peak RSS (KiB) |\n' \
	"$RUNS"
printf '|---|---|---|---|---|\n'
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
bench "golden $golden" "$cases/$golden" golden
bench "generated, ${TEMPLATES:-200} templates" "$W/gen" gen
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
