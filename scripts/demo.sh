#!/usr/bin/env bash
# The demo command: on a fresh machine, installs what is missing, builds cflux, starts a real
# control plane, the git and Helm servers, the three controllers from the build, and the reference
# setup (tests/e2e/reference/setup.sh, the same one the end-to-end test runs), then shows
# `cflux get all -A` and how to try a commit. Ctrl-C stops everything it started.
#   CF_DEMO_DIR   where everything lives (default /tmp/cflux-demo): logs/, the repositories' clones
#   CF_DEMO_BUILD the build directory (default ./build)
#   CF_DEMO_EXIT  set to 1 to stop right after the table (for tests)
#   CF_DEMO_SKIP_BUILD  set to 1 to use CF_DEMO_BUILD as it is (packages, binaries and build ready)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo=${CF_DEMO_DIR:-/tmp/cflux-demo}
build=${CF_DEMO_BUILD:-$root/build}
cluster="$demo/cluster"
logs="$demo/logs"
pids=()

step() { printf '\n==> %s\n' "$*"; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	step "stopping"
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	[ -f "$demo/ref/env" ] && ./tests/e2e/reference/setup.sh "$demo/ref" stop || true
	./tests/cluster/down.sh "$cluster" >/dev/null 2>&1 || true
	if [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ -d "$logs" ]; then
		rm -rf "$demo.logs" && mv "$logs" "$demo.logs"
		echo "the demo failed (exit $rc); controller logs kept in $demo.logs"
	fi
	rm -rf "$demo"
	echo "stopped"
}

# Starts a controller from the build in the background, logging to $logs/NAME.log.
spawn() {
	local name=$1
	shift
	"$build/services/$name/$name" "$@" >"$logs/$name.log" 2>&1 &
	pids+=($!)
	printf '    %-22s pid %-7s log %s\n' "$name" "$!" "$logs/$name.log"
}

# A free TCP port on 127.0.0.1.
port() { ./tests/servers/free-port.py; }

# Waits (printing progress) until `cflux get` shows NAME Ready=True; $1 is the get subcommand.
# The table's cells are tab-separated (an empty REVISION is an empty cell) and space-padded.
wait_ready() {
	local what=$1 name=$2 ns=$3 line ready
	for _ in $(seq 300); do
		line=$("$build/cli/cflux" --kubeconfig "$CF_KUBECONFIG" -n "$ns" get $what "$name" \
			--no-header 2>/dev/null || true)
		ready=$(printf '%s\n' "$line" | awk -F'\t' 'NR == 1 { gsub(/ /, "", $4); print $4 }')
		if [ "$ready" = True ]; then
			printf '    ✔ %s %s ready\n' "$what" "$name"
			return 0
		fi
		printf '    ◎ waiting for %s %s: %s\n' "$what" "$name" \
			"$(printf '%s\n' "$line" | awk -F'\t' 'NR == 1 { sub(/ +$/, "", $5); print $5 }' | cut -c1-100)"
		sleep 2
	done
	echo "✗ $what $name did not become ready; see $logs" >&2
	return 1
}

if [ "${CF_DEMO_SKIP_BUILD:-}" != 1 ]; then
	step "installing Debian packages (if missing)"
	./scripts/install-deps.sh
	step "building the control-plane binaries and helm (first run only; cached in ~/.cache/cflux)"
	./tests/cluster/build-binaries.sh etcd kube-apiserver helm
	step "building cflux and the controllers in $build"
	cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	ninja -C "$build" cflux source-controller kustomize-controller helm-controller
fi

[ -e "$demo" ] && { echo "✗ $demo exists (another demo running?); remove it or set CF_DEMO_DIR" >&2; exit 1; }
mkdir -p "$logs"
trap cleanup EXIT
trap 'exit 130' INT TERM
step "starting etcd + kube-apiserver on 127.0.0.1"
./tests/cluster/up.sh "$cluster" 2>&1 | tail -1
# shellcheck disable=SC1091
. "$cluster/env"
export CF_KUBECONFIG
kubectl() { command kubectl --kubeconfig "$CF_KUBECONFIG" "$@"; }

step "installing the CRDs (the controllers run from the build, not as Deployments: no kubelet here)"
kubectl apply --server-side -k manifests/crds >/dev/null
kubectl wait --for condition=established --timeout=60s crd --all >/dev/null
echo "    $(kubectl get crd -o name | grep -c fluxcd) CRDs established"

step "starting the git server, the Helm repository and the reference repositories"
./tests/e2e/reference/setup.sh "$demo/ref" start | sed 's/^/    /'
# shellcheck disable=SC1091
. "$demo/ref/env"

step "starting the controllers"
mkdir -p "$demo/kc-tmp" "$demo/hc-tmp"
sc_port=$(port) sc_bus=$(port)
spawn source-controller --kubeconfig="$CF_KUBECONFIG" --storage-path="$demo/storage" \
	--storage-addr="127.0.0.1:$sc_port" --storage-adv-addr="127.0.0.1:$sc_port" \
	--events-bind="tcp://127.0.0.1:$sc_bus" --git-cache-path="$demo/git-cache" \
	--metrics-addr="127.0.0.1:$(port)" --health-addr="127.0.0.1:$(port)"
spawn kustomize-controller --kubeconfig="$CF_KUBECONFIG" --events-connect="tcp://127.0.0.1:$sc_bus" \
	--events-bind="tcp://127.0.0.1:$(port)" --tmp-path="$demo/kc-tmp" \
	--metrics-addr="127.0.0.1:$(port)" --health-addr="127.0.0.1:$(port)"
spawn helm-controller --kubeconfig="$CF_KUBECONFIG" --events-bind="tcp://127.0.0.1:$(port)" \
	--tmp-path="$demo/hc-tmp" --metrics-addr="127.0.0.1:$(port)" --health-addr="127.0.0.1:$(port)"

step "cflux create config flux-config (what the platform team runs once)"
cflux() { "$build/cli/cflux" --kubeconfig "$CF_KUBECONFIG" "$@"; }
cflux create config flux-config -n flux-config --url "$REF_FLEET_URL" --branch main --interval 120s \
	--kustomization name=infra,path=./infrastructure,prune=true \
	--kustomization name=apps,path=./apps/staging,prune=true

step "waiting for what the fleet repository declares"
echo "    (no kubelet here: once Deployment nginx/nginx exists, the demo writes the rolled-out"
echo "     status a node would, since helm-controller waits for the release's pods to be ready)"
./tests/e2e/reference/setup.sh "$demo/ref" rolled-out nginx/nginx &
pids+=($!)
wait_ready helmreleases nginx flux-config
wait_ready kustomizations flux-config-timefeed flux-config

step "cflux get all -A"
cflux get all -A

step "what landed in the cluster"
kubectl get deploy,svc,hpa -n nginx -o wide 2>/dev/null | sed 's/^/    /' || true
kubectl get deploy,svc,hpa -n staging 2>/dev/null | sed 's/^/    /' || true
echo
"$HOME/.cache/cflux/bin/helm" --kubeconfig "$CF_KUBECONFIG" list -A | sed 's/^/    /'

cat <<MSG

The reference setup is running. Try a commit to the apps repository:

  cd $REF_APPS_WORK
  sed -i 's/newTag: .*/newTag: "1.6.0"/' deploy/timefeed/staging/kustomization.yaml
  git commit -am "timefeed 1.6.0 on staging" && git push origin main
  $build/cli/cflux --kubeconfig $CF_KUBECONFIG -n flux-config reconcile kustomization flux-config-timefeed --with-source
  kubectl --kubeconfig $CF_KUBECONFIG -n staging get deploy timefeed -o jsonpath='{.spec.template.spec.containers[0].image}'

Without the reconcile command the change arrives within the GitRepository's interval (5m).
Logs: $logs   Press Ctrl-C to stop everything.
MSG
[ "${CF_DEMO_EXIT:-}" = 1 ] && exit 0
# Waiting in `wait` rather than in a foreground sleep lets the traps run as soon as a signal comes.
sleep infinity &
pids+=($!)
wait $! || true
