#!/usr/bin/env bash
# Runs every controller binary with the exact arguments its Deployment in manifests/ passes, so a
# flag the binary does not know fails here rather than in a user's cluster. The binaries are
# pointed at a kubeconfig that does not exist: they must get past flag parsing (exit code 2 means
# bad flags) and fail later, on the missing configuration.
# Usage: check-deployment-args.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1 build=$2
fail=0 n=0
for dep in "$src"/manifests/*-controller/deployment.yaml; do
	name=$(basename "$(dirname "$dep")")
	bin="$build/services/$name/$name"
	[ -x "$bin" ] || continue
	n=$((n + 1))
	mapfile -t args < <(sed -n '/^ *args:/,/^ *[a-z]*:$/p' "$dep" | sed -n 's/^ *- \(--.*\)$/\1/p' |
		sed 's/\$(RUNTIME_NAMESPACE)/flux-system/g')
	tmp=$(mktemp -d)
	out=$(cd "$tmp" && RUNTIME_NAMESPACE=flux-system timeout 10 "$bin" "${args[@]}" \
		--kubeconfig=/nonexistent/kubeconfig 2>&1 >/dev/null)
	rc=$?
	rm -rf "$tmp"
	if [ "$rc" -eq 2 ] || [ "$rc" -eq 124 ]; then
		echo "FAIL $name rejects its Deployment's arguments (exit $rc): $out"
		fail=$((fail + 1))
	else
		echo "ok   $name parses ${#args[@]} Deployment arguments (then exits $rc: no cluster)"
	fi
done
echo "$n controllers checked, $fail failed"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
