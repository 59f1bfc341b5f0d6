#!/usr/bin/env bash
# Starts kube-apiserver for the test control plane (also used to restart it in tests, with etcd
# keeping its data). Usage: apiserver.sh DIR API_PORT ETCD_PORT
set -euo pipefail
DIR=$1 API_PORT=$2 ETCD_PORT=$3
BIN=${CFLUX_CACHE:-$HOME/.cache/cflux}/bin
setsid "$BIN/kube-apiserver" \
	--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
	--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
	--cert-dir="$DIR/pki" --token-auth-file="$DIR/pki/tokens.csv" \
	--authorization-mode=RBAC \
	--service-account-issuer=https://kubernetes.default.svc \
	--service-account-key-file="$DIR/pki/sa.pub" \
	--service-account-signing-key-file="$DIR/pki/sa.key" \
	--service-cluster-ip-range=10.96.0.0/24 \
	--disable-admission-plugins=ServiceAccount \
	--allow-privileged=true --endpoint-reconciler-type=none \
	--watch-cache=true --profiling=false \
	</dev/null >>"$DIR/apiserver.log" 2>&1 &
echo $! >"$DIR/apiserver.pid"
