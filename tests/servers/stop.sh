#!/bin/bash
# Stops the servers start.sh started in DIR (by the process ids it recorded) and removes DIR.
# usage: stop.sh DIR [--keep]
DIR=${1:?usage: stop.sh DIR [--keep]}
for f in "$DIR"/lighttpd.pid "$DIR"/sshd.pid "$DIR"/tls1.pid "$DIR"/tls2.pid; do
	[ -s "$f" ] || continue
	pid=$(cat "$f")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null
	rm -f "$f"
done
[ "${2:-}" = "--keep" ] || rm -rf "$DIR"
exit 0
