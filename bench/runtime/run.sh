#!/usr/bin/env bash
# Runtime benchmarks (not part of the tests): resident memory of a controller process running the
# runtime idle and with 1,000 and 10,000 cached ConfigMaps (~400 bytes of data each), bytes per
# cached object beyond its JSON, work queue throughput, informer throughput, and where list time
# goes. Starts a private control plane and stops it at the end.
# Usage: bench/runtime/run.sh            (BUILD=dir to use another build directory)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j 2 bench_runtime >/dev/null
B=$BUILD/bench/runtime/bench_runtime
W=$(mktemp -d /tmp/cflux-bench-rt.XXXXXX)
trap './tests/cluster/down.sh "$W/cluster" >/dev/null 2>&1; rm -rf "$W"' EXIT

kv() { sed -n "s/^$1 //p" "$2"; }

echo "== work queue (200,000 keys)" >&2
printf '| workers | adds/s | get+done/s | adds/s racing workers (half duplicates) |\n|---|---|---|---|\n'
for w in 1 2 4 8; do
	"$B" queue "$w" 200000 >"$W/q"
	printf '| %s | %s | %s | %s |\n' "$w" "$(kv queue_adds_per_s "$W/q")" \
		"$(kv queue_get_done_per_s "$W/q")" "$(kv queue_mixed_adds_per_s "$W/q")"
done
echo

echo "== control plane" >&2
./tests/cluster/up.sh "$W/cluster" >/dev/null 2>&1
set -a; . "$W/cluster/env"; set +a
"$B" crd tests/integration/runtime/testdata/widget-crd.json

echo "== memory" >&2
"$B" create bench-0 0 1 >/dev/null
"$B" create bench-1k 1000 4 >"$W/c1k"
"$B" create bench-10k 10000 4 >"$W/c10k"
"$B" rss bench-0 0 >"$W/m0"
"$B" rss bench-1k 1000 >"$W/m1k"
"$B" rss bench-10k 10000 >"$W/m10k"
printf '| cached objects | VmRSS | RssAnon | RssFile | cf_cache_bytes | JSON bytes | cache overhead/object | RssAnon growth/object beyond JSON |\n|---|---|---|---|---|---|---|---|\n'
anon0=$(kv rssanon_kib "$W/m0")
for m in m0 m1k m10k; do
	f=$W/$m
	n=$(kv objects "$f") rss=$(kv vmrss_kib "$f") anon=$(kv rssanon_kib "$f") file=$(kv rssfile_kib "$f")
	cb=$(kv cache_bytes "$f") jb=$(kv json_bytes "$f")
	if [ "$n" -gt 0 ]; then
		ovh="$(( (cb - jb) / n )) B"
		delta="$(( ((anon - anon0) * 1024 - jb) / n )) B"
	else
		ovh=- delta=-
	fi
	printf '| %s | %.1f MiB | %.1f MiB | %.1f MiB | %s | %s | %s | %s |\n' "$n" \
		"$(echo "$rss / 1024" | bc -l)" "$(echo "$anon / 1024" | bc -l)" \
		"$(echo "$file / 1024" | bc -l)" "$cb" "$jb" "$ovh" "$delta"
done
echo
# The slope from 1,000 to 10,000 leaves out one-off costs (list page buffers, malloc arenas).
a1=$(kv rssanon_kib "$W/m1k") a10=$(kv rssanon_kib "$W/m10k")
j1=$(kv json_bytes "$W/m1k") j10=$(kv json_bytes "$W/m10k")
echo "RssAnon slope 1,000 -> 10,000 objects: $(( (a10 - a1) * 1024 / 9000 )) B/object, of which JSON $(( (j10 - j1) / 9000 )) B: $(( ((a10 - a1) * 1024 - (j10 - j1)) / 9000 )) B/object beyond the JSON"
echo
echo "Largest file mappings of the idle process (shared library pages counted in VmRSS):"
sed -n 's/^file_rss_kib \(.*\) \([0-9]*\)$/- \1: \2 KiB/p' "$W/m0"
echo
echo "created 1,000 at $(kv create_per_s "$W/c1k")/s and 10,000 at $(kv create_per_s "$W/c10k")/s (4 threads)"
echo

echo "== informer throughput" >&2
"$B" watch bench-watch 5000 8 >"$W/w"
printf '| watch events | create rate (8 threads) | events/s seen by the handler | lag after the last create | replayed events/s: transport + decode | replayed: + parse + cache put |\n|---|---|---|---|---|---|\n'
printf '| %s | %s/s | %s/s | %s ms | %s/s | %s/s |\n' "$(kv watch_objects "$W/w")" \
	"$(kv watch_create_per_s "$W/w")" "$(kv watch_events_per_s "$W/w")" \
	"$(kv watch_lag_after_last_create_ms "$W/w")" "$(kv replay_transport_events_per_s "$W/w")" \
	"$(kv replay_parse_cache_events_per_s "$W/w")"
echo

echo "== where list time goes (10,000 ConfigMaps)" >&2
"$B" list bench-10k >"$W/l"
printf '| list (transport only) | + JSON parse per item | informer sync (list + parse + cache) | items/s |\n|---|---|---|---|\n'
printf '| %s s | %s s | %s s | %s |\n' "$(kv list_transport_s "$W/l")" "$(kv list_parse_s "$W/l")" \
	"$(kv informer_sync_s "$W/l")" "$(kv informer_sync_items_per_s "$W/l")"
echo

if command -v valgrind >/dev/null; then
	echo "== callgrind: informer sync of 1,000 ConfigMaps" >&2
	valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" "$B" list bench-1k >/dev/null 2>"$W/cg.err"
	echo "Instructions by function, inclusive (callgrind, \`bench_runtime list bench-1k\`):"
	echo '```'
	callgrind_annotate --inclusive=yes "$W/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ ' | head -40
	echo '```'
fi
