#!/bin/bash
# The reference setup's servers and repositories, shared by the end-to-end test and the demo:
# the git test servers (tests/servers/start.sh), a Helm HTTP repository holding the nginx chart
# 12.0.6 packaged and indexed by the real helm, the fleet repository (infrastructure/, apps/) and
# the apps repository (deploy/timefeed/), each with a working clone to commit from.
# Writes DIR/env (REF_FLEET_URL, REF_APPS_URL, REF_CHARTS_URL, REF_FLEET_WORK, REF_APPS_WORK,
# REF_GIT_DIR) and prints it.
# The test control plane runs no kubelet and no deployment controller, so a Deployment never rolls
# out by itself; `rolled-out NS/NAME` waits for it to exist and then writes the status those
# would write (every replica updated, ready and available), for whatever waits on its health.
# usage: setup.sh DIR start | setup.sh DIR stop | setup.sh DIR rolled-out NS/NAME  (uses $CF_KUBECONFIG)
set -euo pipefail
DIR=$(mkdir -p "${1:?usage: setup.sh DIR start|stop}" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS=$(cd "$HERE/../../servers" && pwd)
HELM=${HELM:-$HOME/.cache/cflux/bin/helm}

# Commits every change in work clone $1 as message $2 and pushes it to main.
commit() {
	git -C "$1" add -A
	git -C "$1" commit -q -m "$2"
	git -C "$1" push -q origin HEAD:main
}

# A bare repository NAME.git served by the git server, and a working clone holding tree $2.
make_repo() {
	local name=$1 tree=$2 work="$DIR/work/$1"
	git init -q --bare -b main "$DIR/git/repos/$name.git"
	git clone -q "$DIR/git/repos/$name.git" "$work" 2>/dev/null
	git -C "$work" config user.name "cflux demo"
	git -C "$work" config user.email "demo@cflux.invalid"
	git -C "$work" checkout -q -b main
	cp -R "$tree/." "$work/"
	commit "$work" "$name: initial layout"
}

start() {
	"$SERVERS/start.sh" "$DIR/git" >/dev/null
	# shellcheck disable=SC1091
	. "$DIR/git/env"
	# The git server's lighttpd serves $DIR/git/www as plain files: the chart repository lives there.
	local base=${CF_GIT_HTTP_URL%/git} charts="$DIR/git/www/charts"
	mkdir -p "$charts"
	"$HELM" package "$HERE/chart/nginx" -d "$charts" >/dev/null
	"$HELM" repo index "$charts"

	mkdir -p "$DIR/work" "$DIR/tree"
	cp -R "$HERE/apps" "$DIR/tree/apps"
	cp -R "$HERE/fleet" "$DIR/tree/fleet"
	# Only the URLs differ from the configuration users run today.
	sed -i "s|https://charts.example.invalid/bitnami|$base/charts/|" \
		"$DIR/tree/fleet/infrastructure/sources/bitnami.yaml"
	sed -i "s|https://git.example.invalid/sample-apps.git|$CF_GIT_HTTP_URL/apps.git|" \
		"$DIR/tree/fleet/apps/sources/sample-apps.yaml"
	make_repo apps "$DIR/tree/apps"
	make_repo fleet "$DIR/tree/fleet"
	rm -rf "$DIR/tree"

	curl -sf -o /dev/null "$base/charts/index.yaml"
	git ls-remote "$CF_GIT_HTTP_URL/fleet.git" main >/dev/null
	cat > "$DIR/env" <<ENV
REF_FLEET_URL=$CF_GIT_HTTP_URL/fleet.git
REF_APPS_URL=$CF_GIT_HTTP_URL/apps.git
REF_CHARTS_URL=$base/charts/
REF_FLEET_WORK=$DIR/work/fleet
REF_APPS_WORK=$DIR/work/apps
REF_GIT_DIR=$DIR/git
ENV
	cat "$DIR/env"
}

stop() {
	[ -d "$DIR/git" ] && "$SERVERS/stop.sh" "$DIR/git"
	rm -rf "$DIR/work" "$DIR/env"
}

rolled_out() {
	local ns=${1%%/*} name=${1#*/} gen="" replicas=""
	local k=(kubectl --kubeconfig "${CF_KUBECONFIG:?CF_KUBECONFIG is not set}" -n "$ns")
	for _ in $(seq 600); do
		read -r gen replicas < <("${k[@]}" get deployment "$name" \
			-o jsonpath='{.metadata.generation} {.spec.replicas}{"\n"}' 2>/dev/null) && [ -n "$gen" ] && break
		sleep 0.1
	done
	[ -n "$gen" ] || { echo "setup.sh: no Deployment $ns/$name" >&2; return 1; }
	replicas=${replicas:-1}
	"${k[@]}" patch deployment "$name" --subresource=status --type=merge -p "{\"status\":{
		\"observedGeneration\":$gen,\"replicas\":$replicas,\"updatedReplicas\":$replicas,
		\"readyReplicas\":$replicas,\"availableReplicas\":$replicas,\"conditions\":[
		{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\"},
		{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}" >/dev/null
}

case "${2:-}" in
start) start ;;
stop) stop ;;
rolled-out) rolled_out "${3:?usage: setup.sh DIR rolled-out NS/NAME}" ;;
*) echo "usage: setup.sh DIR start|stop|rolled-out NS/NAME" >&2; exit 2 ;;
esac
