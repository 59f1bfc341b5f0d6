#!/usr/bin/env bash
# source-controller benchmarks, each side by side with the real tool in the same run:
#  1. clone-and-archive of a 10,000-file repository over HTTP: ours vs `git clone` + `tar czf`;
#  2. the controller against a real control plane: RSS idle and with N GitRepositories, and the
#     time from `git push` to ArtifactReady (reconcile requested by annotation).
# Usage: bench/source-controller/run.sh [N] [COMMITS]   (CF_BUILD_DIR: build directory, ./build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
N=${1:-100} COMMITS=${2:-20}
B=${CF_BUILD_DIR:-build}
./scripts/install-deps.sh
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$B" bench_git_archive bench_source_controller source-controller >/dev/null
W=$(mktemp -d /tmp/cflux-bench-sc.XXXXXX)
trap './tests/servers/stop.sh "$W/git" >/dev/null 2>&1; ./tests/cluster/down.sh "$W/cluster"; rm -rf "$W"' EXIT

echo "== clone and archive, 10,000 files" >&2
./tests/servers/start.sh "$W/git" >/dev/null
. "$W/git/env"
big=$W/big
mkdir -p "$big"
git -C "$big" init -q -b main
for d in $(seq 0 99); do
	mkdir -p "$big/dir$d"
	for f in $(seq 0 99); do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d-%d\ndata:\n  key: "%d"\n' "$d" "$f" "$((d * f))" >"$big/dir$d/file$f.yaml"
	done
done
git -C "$big" add . && git -C "$big" -c user.name=b -c user.email=b@b commit -q -m big
git clone -q --bare "$big" "$CF_GIT_REPOS/big.git"
url="$CF_GIT_HTTP_URL/big.git"

mkdir -p "$W/ours"
ours=$("$B/bench/source-controller/bench_git_archive" "$url" "$W/ours")
read -r ours_s ours_kib _ <<<"$ours"
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$W/clone.rss" git clone -q "$url" "$W/theirs" 2>/dev/null
/usr/bin/time -f '%M' -o "$W/tar.rss" tar czf "$W/theirs.tar.gz" --exclude=.git -C "$W/theirs" .
end=$(date +%s.%N)
theirs_s=$(echo "$end - $start" | bc)
theirs_kib=$(sort -n "$W/clone.rss" "$W/tar.rss" | tail -1)
printf '| clone + archive of 10,000 files | cflux | git clone + tar czf | ratio (git+tar / cflux) |\n|---|---|---|---|\n'
printf '| wall time | %.2f s | %.2f s | %.2fx |\n' "$ours_s" "$theirs_s" "$(echo "$theirs_s / $ours_s" | bc -l)"
printf '| peak RSS | %.1f MiB | %.1f MiB | %.2fx |\n' "$(echo "$ours_kib / 1024" | bc -l)" \
	"$(echo "$theirs_kib / 1024" | bc -l)" "$(echo "$theirs_kib / $ours_kib" | bc -l)"
echo

echo "== source-controller with $N GitRepositories" >&2
./tests/cluster/up.sh "$W/cluster" >/dev/null
set -a; . "$W/cluster/env"; set +a
"$B/bench/source-controller/bench_source_controller" "$N" "$COMMITS"
