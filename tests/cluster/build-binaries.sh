#!/usr/bin/env bash
# Builds the test-only binaries (kube-apiserver, etcd, helm) from the Go module proxy, once, into a
# cache outside the repository keyed by version. Product code never uses Go; these are oracles and
# the real control plane that integration tests run against.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.36.3}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
HELM_VERSION=${HELM_VERSION:-3.22.0}
CACHE=${CFLUX_CACHE:-$HOME/.cache/cflux}
BIN=$CACHE/bin
TOOLS=$CACHE/tools
mkdir -p "$BIN" "$TOOLS"

export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
export PATH=$PATH:/usr/local/go/bin

log() { printf '[build-binaries] %s\n' "$*" >&2; }

build_kube_apiserver() {
	local out=$BIN/kube-apiserver-v$K8S_VERSION
	[ -x "$out" ] && return 0
	local staging=0.${K8S_VERSION#1.} d=$TOOLS/kube-apiserver-v$K8S_VERSION
	log "building kube-apiserver v$K8S_VERSION (staging v$staging); the first build takes several minutes"
	rm -rf "$d"; mkdir -p "$d"; cd "$d"
	go mod init local/kube-apiserver-build >/dev/null 2>&1
	local kmod
	kmod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
	# Every staging module the upstream go.mod maps to ./staging is pinned to its published version.
	local m
	for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$kmod"); do
		go mod edit -replace="$m=$m@v$staging"
	done
	grep -m1 '^godebug' "$kmod" >>go.mod || true
	go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION"
	local v=k8s.io/component-base/version minor
	minor=$(echo "$K8S_VERSION" | cut -d. -f2)
	go build -trimpath -ldflags "-s -w -X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=1 \
		-X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z" \
		-o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver
	mv "$out.tmp" "$out"
}

build_etcd() {
	local out=$BIN/etcd-v$ETCD_VERSION
	[ -x "$out" ] && return 0
	local d=$TOOLS/etcd-v$ETCD_VERSION
	log "building etcd v$ETCD_VERSION"
	rm -rf "$d"; mkdir -p "$d"; cd "$d"
	go mod init local/etcd-build >/dev/null 2>&1
	go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
	go build -trimpath -ldflags "-s -w" -o "$out.tmp" go.etcd.io/etcd/server/v3
	mv "$out.tmp" "$out"
}

build_helm() {
	local out=$BIN/helm-v$HELM_VERSION
	[ -x "$out" ] && return 0
	log "building helm v$HELM_VERSION"
	local gb=$TOOLS/helm-v$HELM_VERSION
	mkdir -p "$gb"
	GOBIN=$gb go install -trimpath \
		-ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
		"helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
	mv "$gb/helm" "$out"
}

want=${*:-etcd kube-apiserver helm}
for w in $want; do
	start=$(date +%s)
	# One build of a binary at a time: a second caller waits, then finds it cached.
	exec 9>"$CACHE/.build-$w.lock"
	flock 9
	case $w in
	etcd) build_etcd ;;
	kube-apiserver) build_kube_apiserver ;;
	helm) build_helm ;;
	*) log "unknown binary $w"; exit 2 ;;
	esac
	exec 9>&-
	log "$w ready in $(( $(date +%s) - start ))s"
done
# Stable names for scripts.
[ -x "$BIN/etcd-v$ETCD_VERSION" ] && ln -sf "etcd-v$ETCD_VERSION" "$BIN/etcd"
[ -x "$BIN/kube-apiserver-v$K8S_VERSION" ] && ln -sf "kube-apiserver-v$K8S_VERSION" "$BIN/kube-apiserver"
[ -x "$BIN/helm-v$HELM_VERSION" ] && ln -sf "helm-v$HELM_VERSION" "$BIN/helm"
exit 0
