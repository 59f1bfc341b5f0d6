#!/usr/bin/env bash
# Runs every libFuzzer target found in a CF_FUZZ build for a bounded time, seeded from its corpus
# folder (tests/fuzz/<module>/corpus-<target>/ when present). Usage: fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
build=$1 secs=$2
root=$(cd "$(dirname "$0")/.." && pwd)
found=0 failed=0
while IFS= read -r t; do
	found=$((found + 1))
	name=$(basename "$t")
	seeds=()
	for d in "$root"/tests/fuzz/*/corpus-"$name"; do
		[ -d "$d" ] && seeds+=("$d")
	done
	work=$(mktemp -d)
	printf 'fuzz %-28s ' "$name"
	if "$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work" "${seeds[@]}" >"$work/log" 2>&1; then
		echo "ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/log" | awk '{print $2}' || true) runs)"
		rm -rf "$work"
	else
		echo "FAILED (log and crash input kept in $work)"
		tail -30 "$work/log"
		failed=$((failed + 1))
	fi
done < <(find "$build/tests/fuzz" -type f -executable -name 'fuzz_*' 2>/dev/null | sort)
echo "fuzz: $found targets, $failed failed"
[ "$failed" -eq 0 ]
