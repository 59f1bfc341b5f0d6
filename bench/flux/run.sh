#!/usr/bin/env bash
# Flux's controllers and ours, side by side: each scenario runs twice against its own fresh local
# control plane (tests/cluster/up.sh), once with Flux's source-, kustomize- and helm-controller
# (bench/flux/build.sh) and once with this tree's, with the same flags where both have them.
# Measures the time until every object is Ready, each controller's idle, settled and peak RSS and
# CPU seconds (from /proc), and commit-to-API-server latency; writes bench/flux/results.csv and the
# flux-side-by-side block of docs/benchmarks.md.
# Usage: bench/flux/run.sh [--n 100,500,1000] [--scenario kustomizations|helmreleases|commit|all]
#                          [--commits 20] [--sides flux,cflux] [--no-docs]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/flux
cd "$root"

NS=100 SCENARIO=all COMMITS=20 SIDES=flux,cflux DOCS=1
while [ $# -gt 0 ]; do
	case $1 in
	--n) NS=$2; shift 2 ;;
	--scenario) SCENARIO=$2; shift 2 ;;
	--commits) COMMITS=$2; shift 2 ;;
	--sides) SIDES=$2; shift 2 ;;
	--no-docs) DOCS=0; shift ;;
	*) sed -n '2,9p' "$0" >&2; exit 2 ;;
	esac
done
[ "$SCENARIO" = all ] && SCENARIO=kustomizations,helmreleases,commit

BUILD=${CFLUX_BUILD_DIR:-$root/build}
CACHE=${CFLUX_CACHE:-$HOME/.cache/cflux}
BIN=$CACHE/bin
CRDS=$CACHE/flux-crds
CONCURRENT=4          # --concurrent on all six controllers
SETTLE=15             # seconds after all-Ready before the settled sample
IDLE=10               # seconds after start before the idle sample
TIMEOUT=${CFLUX_BENCH_TIMEOUT:-1800}

log() { printf '[flux-bench] %s\n' "$*" >&2; }

need=source-controller
case ",$SCENARIO," in *,kustomizations,* | *,commit,*) need="$need kustomize-controller" ;; esac
case ",$SCENARIO," in *,helmreleases,*) need="$need helm-controller" ;; esac
case ",$SIDES," in *,flux,*) "$here/build.sh" $need >&2 ;; esac
./tests/cluster/build-binaries.sh etcd kube-apiserver helm
# CFLUX_BENCH_NO_BUILD=1 measures the binaries already in $BUILD (e.g. while the tree is mid-edit).
if [ -z "${CFLUX_BENCH_NO_BUILD:-}" ]; then
	cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	if ! ninja -C "$BUILD" -j2 source-controller kustomize-controller helm-controller >"$BUILD/flux-bench-build.log" 2>&1; then
		tail -20 "$BUILD/flux-bench-build.log" >&2
		log "building our controllers failed"
		exit 1
	fi
fi
HELM=$BIN/helm

W=$(mktemp -d /tmp/cflux-bench-flux.XXXXXX)
PIDS=()
CLUSTER=
cleanup() {
	stop_controllers
	[ -n "$CLUSTER" ] && ./tests/cluster/down.sh "$CLUSTER" >/dev/null 2>&1
	./tests/services/source-controller/helm-server.sh "$W/helm" stop >/dev/null 2>&1 || true
	./tests/servers/stop.sh "$W/git" >/dev/null 2>&1 || true
	[ -n "${CFLUX_BENCH_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

stop_controllers() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	PIDS=()
}

port() { ./tests/servers/free-port.py; }

# ---- fixtures: the git repositories and the Helm repository -----------------------------------
setup_sources() {
	./tests/servers/start.sh "$W/git" >/dev/null
	set -a; . "$W/git/env"; set +a
	export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
	export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
	local app=$W/bench-src/app
	mkdir -p "$app"
	cp "$here"/app/*.yaml "$app/"
	git -C "$W/bench-src" init -q -b main && git -C "$W/bench-src" add . &&
		git -C "$W/bench-src" commit -q -m app
	git clone -q --bare "$W/bench-src" "$CF_GIT_REPOS/bench.git"

	git init -q --bare -b main "$CF_GIT_REPOS/probe.git"
	git init -q -b main "$W/probe"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  rev: initial\n' >"$W/probe/configmap.yaml"
	git -C "$W/probe" add . && git -C "$W/probe" commit -q -m initial
	git -C "$W/probe" remote add origin "$CF_GIT_REPOS/probe.git"
	git -C "$W/probe" push -q origin main

	HELM="$HELM" ./tests/services/source-controller/helm-server.sh "$W/helm" start >/dev/null
	set -a; . "$W/helm/env"; set +a
	mkdir -p "$HELM_WWW/bench"
	"$HELM" package "$here/chart" -d "$HELM_WWW/bench" >/dev/null
	"$HELM" repo index "$HELM_WWW/bench"
}

# ---- controllers ----------------------------------------------------------------------------------
# Flags both sides share: --concurrent, metrics and health on loopback, leader election off,
# JSON logs at info, every namespace watched. Flux also gets --no-remote-bases (ours has none).
start_one() { # name logfile argv...
	local name=$1 logf=$2; shift 2
	setsid "$@" </dev/null >>"$logf" 2>&1 &
	PIDS+=($!)
	PROCS+=("$name=$!")
}

start_controllers() { # side scenario dir
	local side=$1 scenario=$2 d=$3 sp
	sp=$(port)
	mkdir -p "$d/storage" "$d/tmp"
	local common=(--concurrent=$CONCURRENT --log-level=info --log-encoding=json
		--watch-all-namespaces=true --enable-leader-election=false)
	# CFLUX_BENCH_FLAGS: extra flags for every controller of both sides (e.g. --kube-api-qps=500).
	# shellcheck disable=SC2206
	common+=(${CFLUX_BENCH_FLAGS:-})
	PROCS=()
	export RUNTIME_NAMESPACE=flux-bench KUBECONFIG=$CF_KUBECONFIG TMPDIR=$d/tmp
	local consumer=kustomize-controller
	[ "$scenario" = helmreleases ] && consumer=helm-controller
	if [ "$side" = flux ]; then
		start_one source-controller "$d/source-controller.log" "$BIN/flux-source-controller" "${common[@]}" \
			--metrics-addr=127.0.0.1:$(port) --health-addr=127.0.0.1:$(port) \
			--storage-path="$d/storage" --storage-addr=127.0.0.1:$sp --storage-adv-addr=127.0.0.1:$sp
		if [ $consumer = kustomize-controller ]; then
			start_one $consumer "$d/$consumer.log" "$BIN/flux-kustomize-controller" "${common[@]}" \
				--metrics-addr=127.0.0.1:$(port) --health-addr=127.0.0.1:$(port) --no-remote-bases=true
		else
			start_one $consumer "$d/$consumer.log" "$BIN/flux-helm-controller" "${common[@]}" \
				--metrics-addr=127.0.0.1:$(port) --health-addr=127.0.0.1:$(port)
		fi
	else
		local bus=tcp://127.0.0.1:$(port)
		start_one source-controller "$d/source-controller.log" "$BUILD/services/source-controller/source-controller" \
			"${common[@]}" --kubeconfig="$CF_KUBECONFIG" \
			--metrics-addr=127.0.0.1:$(port) --health-addr=127.0.0.1:$(port) \
			--storage-path="$d/storage" --storage-addr=127.0.0.1:$sp --storage-adv-addr=127.0.0.1:$sp \
			--events-bind="$bus"
		if [ $consumer = kustomize-controller ]; then
			start_one $consumer "$d/$consumer.log" "$BUILD/services/kustomize-controller/kustomize-controller" \
				"${common[@]}" --kubeconfig="$CF_KUBECONFIG" --events-connect="$bus" --events-bind=0 \
				--metrics-addr=127.0.0.1:$(port) --health-addr=127.0.0.1:$(port) --tmp-path="$d/tmp"
		else
			start_one $consumer "$d/$consumer.log" "$BUILD/services/helm-controller/helm-controller" \
				"${common[@]}" --kubeconfig="$CF_KUBECONFIG" --events-bind=0 \
				--metrics-addr=127.0.0.1:$(port) --health-addr=127.0.0.1:$(port) --tmp-path="$d/tmp"
		fi
	fi
}

install_crds() { # side
	if [ "$1" = flux ]; then
		local c
		for c in source-controller kustomize-controller helm-controller; do
			# A scenario needs only the CRDs of the controllers it runs; those were built.
			[ -d "$CRDS/$c" ] && kubectl apply --server-side -f "$CRDS/$c/" >/dev/null
		done
	else
		kubectl apply --server-side -k manifests/crds >/dev/null
	fi
	kubectl wait --for condition=established --timeout=60s crd --all >/dev/null
	kubectl create namespace flux-bench >/dev/null
}

# ---- one measurement --------------------------------------------------------------------------------
run_one() { # side scenario n
	local side=$1 scenario=$2 n=$3
	local d=$W/$side-$scenario-$n label="[$side $scenario N=$n]"
	mkdir -p "$d"
	log "$label starting a fresh control plane"
	CLUSTER=$d/cluster
	./tests/cluster/up.sh "$CLUSTER" >/dev/null 2>"$d/up.log"
	set -a; . "$CLUSTER/env"; set +a
	export KUBECONFIG=$CF_KUBECONFIG
	install_crds "$side"
	# Idle: the controllers on an empty cluster.
	start_controllers "$side" "$scenario" "$d"
	sleep $IDLE
	python3 "$here/bench.py" sample "${PROCS[@]}" >"$d/idle.json"
	stop_controllers
	# The objects go in while no controller runs, so how fast this machine can create 2N objects
	# stays out of the measurement; the clock starts when the controllers start.
	python3 "$here/bench.py" gen "$scenario" "$n" "$CF_GIT_HTTP_URL" "$HELM_HTTP_URL" >"$d/objects.json"
	python3 "$here/bench.py" create "$d/objects.json" "$label" >"$d/created.json"
	local api_cpu t0
	api_cpu=$(python3 "$here/bench.py" sample "kube-apiserver=$(cat "$CLUSTER/apiserver.pid")")
	t0=$(date +%s.%N)
	start_controllers "$side" "$scenario" "$d"
	# The API server's work is part of a controller's cost: sampled too, reported apart.
	PROCS+=("kube-apiserver=$(cat "$CLUSTER/apiserver.pid")")
	python3 "$here/bench.py" wait-ready "$d/objects.json" "$label" "$TIMEOUT" "$t0" "${PROCS[@]}" >"$d/ready.json"
	echo "$api_cpu" >"$d/start.json"
	sleep $SETTLE
	python3 "$here/bench.py" sample "${PROCS[@]}" >"$d/settled.json"
	echo '{}' >"$d/commits.json"
	if [ "$scenario" = commit ] && grep -q '"ok": true' "$d/ready.json"; then
		python3 "$here/bench.py" commits "$W/probe" "$COMMITS" flux-bench probe apps probe >"$d/commits.json"
	fi
	python3 "$here/bench.py" sample "${PROCS[@]}" >"$d/end.json"
	stop_controllers
	./tests/cluster/down.sh "$CLUSTER" >/dev/null 2>&1
	CLUSTER=
	python3 "$here/report.py" row "$side" "$scenario" "$n" "$d" "$CONCURRENT" >>"$W/rows.csv"
	log "$label $(python3 "$here/report.py" summary "$d")"
	if [ -n "${CFLUX_BENCH_KEEP:-}" ]; then log "$label logs: $d"; fi
}

setup_sources
: >"$W/rows.csv"
IFS=, read -ra ns_list <<<"$NS"
IFS=, read -ra sc_list <<<"$SCENARIO"
IFS=, read -ra side_list <<<"$SIDES"
for n in "${ns_list[@]}"; do
	for scenario in "${sc_list[@]}"; do
		for side in "${side_list[@]}"; do
			run_one "$side" "$scenario" "$n"
		done
	done
done
OUT=${CFLUX_BENCH_RESULTS:-$here/results}   # .csv and .md
python3 "$here/report.py" merge "$W/rows.csv" "$OUT.csv"
python3 "$here/report.py" markdown "$OUT.csv" >"$OUT.md"
if [ "$DOCS" = 1 ]; then python3 "$here/report.py" docs "$OUT.md" "$root/docs/benchmarks.md"; fi
cat "$OUT.md"
