#!/bin/bash
# Removes the reference setup from a control plane (run while no controller watches it): the Flux
# objects in flux-config lose their finalizers and go, the objects the setup created are deleted,
# then the namespaces are deleted and finalized. The test control plane has no namespace
# controller: without the explicit deletes, a namespace created again under the same name would
# bring the old objects back, and without the finalize call it would stay Terminating.
# usage: clean.sh KUBECONFIG
set -uo pipefail
KC=${1:?usage: clean.sh KUBECONFIG}
k() { kubectl --kubeconfig "$KC" "$@"; }
flux=kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io
flux+=,helmcharts.source.toolkit.fluxcd.io,helmrepositories.source.toolkit.fluxcd.io
flux+=,gitrepositories.source.toolkit.fluxcd.io
contents=deployments.apps,services,horizontalpodautoscalers.autoscaling,configmaps,secrets
contents+=,serviceaccounts,events

present=$(k get ns nginx staging production flux-config -o name --ignore-not-found 2>/dev/null |
	sed 's|^namespace/||')
[ -n "$present" ] || exit 0
if grep -qx flux-config <<<"$present"; then
	k -n flux-config get "$flux" -o json 2>/dev/null |
		python3 -c 'import json, sys
items = json.load(sys.stdin).get("items", [])
for o in items:
    o["metadata"].pop("finalizers", None)
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)' |
		k replace -f - >/dev/null 2>&1
	k -n flux-config delete "$flux" --all --wait=false >/dev/null 2>&1
fi
for ns in $present; do
	k -n "$ns" delete "$contents" --all --wait=false >/dev/null 2>&1
	k delete ns "$ns" --wait=false >/dev/null 2>&1
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"},"spec":{"finalizers":[]}}' "$ns" |
		k replace --raw "/api/v1/namespaces/$ns/finalize" -f - >/dev/null 2>&1
done
# shellcheck disable=SC2086
k wait --for=delete $(printf 'ns/%s ' $present) --timeout=30s >/dev/null 2>&1
exit 0
