#!/usr/bin/env bash
# Builds Flux's source-, kustomize- and helm-controller from the Go module proxy, once, into the same
# binary cache as tests/cluster/build-binaries.sh, and keeps each module's CRDs next to them.
# Benchmark-only: product code never uses Go; these are what bench/flux/run.sh compares against.
set -euo pipefail

SOURCE_CONTROLLER_VERSION=${SOURCE_CONTROLLER_VERSION:-v1.9.6}
KUSTOMIZE_CONTROLLER_VERSION=${KUSTOMIZE_CONTROLLER_VERSION:-v1.9.6}
HELM_CONTROLLER_VERSION=${HELM_CONTROLLER_VERSION:-v1.6.4}
CACHE=${CFLUX_CACHE:-$HOME/.cache/cflux}
BIN=$CACHE/bin
CRDS=$CACHE/flux-crds
TOOLS=$CACHE/tools
mkdir -p "$BIN" "$CRDS" "$TOOLS"

export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
export PATH=$PATH:/usr/local/go/bin

log() { printf '[flux-build] %s\n' "$*" >&2; }

# The closest version the proxy serves to a wanted one: the highest at or below it with the same
# major.minor, else the lowest above it with the same major.minor.
closest_version() {
	local mod=$1 want=$2 mm all v
	mm=$(echo "$want" | cut -d. -f1,2)
	all=$(go list -m -versions "$mod" 2>/dev/null | tr ' ' '\n' | grep "^$mm\." || true)
	v=$( (echo "$all"; echo "$want") | grep . | sort -V | sed -n "/^$want\$/q;p" | tail -1)
	[ -n "$v" ] || v=$(echo "$all" | grep . | sort -V | tail -1)
	if [ -z "$v" ]; then # no release of that minor at all: the highest below it
		all=$(go list -m -versions "$mod" 2>/dev/null | tr ' ' '\n' | grep '^v' || true)
		v=$( (echo "$all"; echo "$want") | grep . | sort -V | sed -n "/^$want\$/q;p" | tail -1)
	fi
	echo "$v"
}

# go build, and when the module proxy refuses a dependency version (a mirror may serve only some
# versions: "403 ... not available"), pin that module to the closest version it does serve and
# retry. Every substitution is recorded next to the binary, so results can say what was built.
build_with_substitutes() {
	local out=$1 mod ver alt
	: >"$out.substitutes"
	for _ in $(seq 1 30); do
		if nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out.tmp" . 2>build.err; then
			return 0
		fi
		read -r mod ver < <(grep -oE '[A-Za-z0-9./_~-]+@v[^: ]+: reading https://[^ ]+: 403' build.err |
			head -1 | sed -E 's/^([^@]+)@([^:]+):.*/\1 \2/') || true
		if [ -z "${mod:-}" ]; then
			cat build.err >&2
			return 1
		fi
		alt=$(closest_version "$mod" "$ver")
		[ -n "$alt" ] && [ "$alt" != "$ver" ] || { cat build.err >&2; return 1; }
		log "the proxy does not serve $mod@$ver; using $alt"
		echo "$mod $ver => $alt" >>"$out.substitutes"
		go mod edit -replace="$mod@$ver=$mod@$alt"
		mod=
	done
	return 1
}

# The module zip leaves out api/ (a nested module), so the upstream "./api" replace points at
# nothing: drop it and let the required api version resolve from the proxy. The other replaces
# (go-digest, kustomize pins) stay, so the dependency graph is upstream's.
build_controller() {
	local name=$1 version=$2
	local out=$BIN/$name-$version
	if [ ! -x "$out" ]; then
		log "building $name $version (several minutes on a cold cache)"
		local src w
		src=$(go mod download -json "github.com/fluxcd/$name@$version" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')
		w=$TOOLS/$name-$version
		rm -rf "$w"; mkdir -p "$w"; cp -r "$src/." "$w"; chmod -R u+w "$w"
		(cd "$w" &&
			go mod edit -dropreplace="github.com/fluxcd/$name/api" &&
			go mod download "github.com/fluxcd/$name/api" &&
			build_with_substitutes "$out")
		mv "$out.tmp" "$out"
		rm -rf "$w"
	fi
	local src
	src=$(go mod download -json "github.com/fluxcd/$name@$version" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')
	mkdir -p "$CRDS/$name-$version"
	cp "$src"/config/crd/bases/*.yaml "$CRDS/$name-$version/"
	chmod -R u+w "$CRDS/$name-$version"
	ln -sfn "$name-$version" "$CRDS/$name"
	ln -sf "$name-$version" "$BIN/flux-$name"
}

want=${*:-source-controller kustomize-controller helm-controller}
for w in $want; do
	start=$(date +%s)
	exec 9>"$CACHE/.build-flux-$w.lock"
	flock 9
	case $w in
	source-controller) build_controller "$w" "$SOURCE_CONTROLLER_VERSION" ;;
	kustomize-controller) build_controller "$w" "$KUSTOMIZE_CONTROLLER_VERSION" ;;
	helm-controller) build_controller "$w" "$HELM_CONTROLLER_VERSION" ;;
	*) log "unknown controller $w"; exit 2 ;;
	esac
	exec 9>&-
	log "$w ready in $(( $(date +%s) - start ))s"
done
