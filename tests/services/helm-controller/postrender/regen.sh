#!/usr/bin/env bash
# Regenerates each post-render case's expected.yaml with the real `kubectl kustomize`, doing what
# Flux's helm-controller does with kustomize's own code: each spec.postRenderers[].kustomize is a
# kustomization over the output (patches, images; kustomize's default order), then
# commonMetadata's labels and annotations and the origin labels go through kustomize's
# LabelTransformer / AnnotationsTransformer on metadata only, in that order, keeping the order.
# A case is a folder NN-name/ with input.yaml (what helm renders, hooks left out) and hr.json.
# Usage: regen.sh [case ...]   (default: every case)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=([0-9]*/)
for c in "${cases[@]}"; do
	c=${c%/}
	work=$(mktemp -d)
	cp "$c/input.yaml" "$work/out.yaml"
	n=$(jq '[.spec.postRenderers // [] | .[] | select(.kustomize)] | length' "$c/hr.json")
	for ((i = 0; i < n; i++)); do
		d="$work/k$i"; mkdir "$d"; cp "$work/out.yaml" "$d/helm-output.yaml"
		jq "[.spec.postRenderers[] | select(.kustomize)][$i].kustomize
		    | {apiVersion: \"kustomize.config.k8s.io/v1beta1\", kind: \"Kustomization\",
		       resources: [\"helm-output.yaml\"]} + (if .patches then {patches} else {} end)
		    + (if .images then {images} else {} end)" "$c/hr.json" > "$d/kustomization.yaml"
		kubectl kustomize "$d" > "$work/out.yaml"
	done
	d="$work/meta"; mkdir "$d"; cp "$work/out.yaml" "$d/helm-output.yaml"
	jq '{apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: ["helm-output.yaml"],
	     sortOptions: {order: "fifo"}, transformers: (
	       (if .spec.commonMetadata.labels then [{apiVersion: "builtin", kind: "LabelTransformer",
	          metadata: {name: "common-labels"}, labels: .spec.commonMetadata.labels,
	          fieldSpecs: [{path: "metadata/labels", create: true}]}] else [] end)
	     + (if .spec.commonMetadata.annotations then [{apiVersion: "builtin", kind: "AnnotationsTransformer",
	          metadata: {name: "common-annotations"}, annotations: .spec.commonMetadata.annotations,
	          fieldSpecs: [{path: "metadata/annotations", create: true}]}] else [] end)
	     + [{apiVersion: "builtin", kind: "LabelTransformer", metadata: {name: "origin"},
	          labels: {"helm.toolkit.fluxcd.io/name": .metadata.name, "helm.toolkit.fluxcd.io/namespace": .metadata.namespace},
	          fieldSpecs: [{path: "metadata/labels", create: true}]}]
	       | map(tojson))}' "$c/hr.json" > "$d/kustomization.yaml"
	kubectl kustomize "$d" > "$c/expected.yaml"
	rm -rf "$work"
done
