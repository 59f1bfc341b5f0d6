#!/usr/bin/env bash
# Starts a real control plane on loopback: etcd and kube-apiserver (built by build-binaries.sh),
# token auth (an admin in system:masters and an unprivileged user), RBAC, a self-signed serving
# certificate, and a kubeconfig. Writes $CF_CLUSTER_DIR/env for tests to source.
#   up.sh [DIR]      (DIR defaults to $CF_CLUSTER_DIR or /tmp/cflux-cluster)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-${CF_CLUSTER_DIR:-/tmp/cflux-cluster}}
BIN=${CFLUX_CACHE:-$HOME/.cache/cflux}/bin

log() { printf '[cluster] %s\n' "$*" >&2; }

if [ -f "$DIR/env" ] && "$here/status.sh" "$DIR" >/dev/null 2>&1; then
	log "already running in $DIR"
	exit 0
fi
"$here/down.sh" "$DIR" >/dev/null 2>&1 || true
"$here/build-binaries.sh" etcd kube-apiserver

mkdir -p "$DIR"/{pki,etcd}
chmod 700 "$DIR"

# A free TCP port on 127.0.0.1: below the kernel's ephemeral range (which outgoing connections
# take their local ports from) and used by no socket in any state right now.
free_port() {
	local p low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	while :; do
		p=$(( 10000 + RANDOM % (low - 10000) ))
		ss -Htan "( sport = :$p )" | grep -q . || { echo "$p"; return; }
	done
}

wait_http() { # url what timeout [curl args...]
	local url=$1 what=$2 limit=$3; shift 3
	local i
	for ((i = 0; i < limit * 4; i++)); do
		curl -sf -o /dev/null "$@" "$url" && return 0
		sleep 0.25
	done
	log "$what did not become ready within ${limit}s; last log lines:"
	tail -20 "$DIR/$what.log" >&2 || true
	return 1
}

ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
NOBODY_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

openssl genrsa -out "$DIR/pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$DIR/pki/sa.key" -pubout -out "$DIR/pki/sa.pub" 2>/dev/null
{
	printf '%s,cflux-admin,uid-admin,"system:masters"\n' "$TOKEN"
	printf '%s,cflux-nobody,uid-nobody\n' "$NOBODY_TOKEN"
} >"$DIR/pki/tokens.csv"

log "starting etcd on 127.0.0.1:$ETCD_PORT"
setsid "$BIN/etcd" --name cflux-test --data-dir "$DIR/etcd" \
	--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster "cflux-test=http://127.0.0.1:$ETCD_PEER_PORT" \
	--listen-metrics-urls "" --unsafe-no-fsync --log-level warn \
	</dev/null >"$DIR/etcd.log" 2>&1 &
echo $! >"$DIR/etcd.pid"
wait_http "http://127.0.0.1:$ETCD_PORT/health" etcd 60

log "starting kube-apiserver on 127.0.0.1:$API_PORT"
"$here/apiserver.sh" "$DIR" "$API_PORT" "$ETCD_PORT"
wait_http "https://127.0.0.1:$API_PORT/readyz" apiserver 120 -k -H "Authorization: Bearer $TOKEN"

KC=$DIR/kubeconfig
cat >"$KC" <<KCEOF
apiVersion: v1
kind: Config
clusters:
- name: cflux-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $DIR/pki/apiserver.crt
users:
- name: cflux-admin
  user:
    token: $TOKEN
- name: cflux-nobody
  user:
    token: $NOBODY_TOKEN
contexts:
- name: cflux-test
  context: {cluster: cflux-test, user: cflux-admin}
- name: cflux-nobody
  context: {cluster: cflux-test, user: cflux-nobody}
current-context: cflux-test
KCEOF
chmod 600 "$KC"

cat >"$DIR/env" <<ENVEOF
CF_CLUSTER_DIR=$DIR
CF_KUBECONFIG=$KC
CF_KUBE_SERVER=https://127.0.0.1:$API_PORT
CF_KUBE_TOKEN=$TOKEN
CF_KUBE_NOBODY_TOKEN=$NOBODY_TOKEN
CF_KUBE_CA=$DIR/pki/apiserver.crt
CF_ETCD_URL=http://127.0.0.1:$ETCD_PORT
CF_API_PORT=$API_PORT
ENVEOF
# Namespaces cannot finish deleting without kube-controller-manager; tests use fresh names.
kubectl --kubeconfig "$KC" version -o json 2>/dev/null | grep -q '"gitVersion"' || true
log "ready: export \$(cat $DIR/env)   (kubeconfig: $KC)"
