#!/usr/bin/env bash
# Stops the control plane started by up.sh and removes its directory. Safe to call twice.
#   down.sh [DIR] [--keep]
set -uo pipefail
DIR=${1:-${CF_CLUSTER_DIR:-/tmp/cflux-cluster}}
keep=${2:-}

stop_pidfile() {
	local f=$1 pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 40; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$f"
}

stop_pidfile "$DIR/apiserver.pid"
stop_pidfile "$DIR/etcd.pid"
# Anything else left from this directory (e.g. a restarted apiserver whose pid file was replaced).
pkill -f -- "--cert-dir=$DIR/pki" 2>/dev/null
pkill -f -- "--data-dir $DIR/etcd" 2>/dev/null
[ "$keep" = "--keep" ] || rm -rf "$DIR"
exit 0
