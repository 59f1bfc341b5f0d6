#!/usr/bin/env bash
# Installs every Debian package that building, testing, the demo and the container images need.
# Idempotent and quick when everything is present. Used by the README, CI and the Dockerfiles.
#   install-deps.sh          build + test + demo packages
#   install-deps.sh runtime  only the shared libraries a controller image needs at run time
set -euo pipefail

RUNTIME_PKGS=(
	ca-certificates libcurl4 libyaml-0-2 libgit2-1.5 libnanomsg5 libprotobuf-c1 libjansson4
	libarchive13 libssl3 libmicrohttpd12 libpcre2-8-0 zlib1g
)
BUILD_PKGS=(
	build-essential cmake ninja-build pkg-config
	libcurl4-openssl-dev libyaml-dev libgit2-dev libnanomsg-dev libprotobuf-c-dev protobuf-c-compiler
	libjansson-dev libarchive-dev libssl-dev libmicrohttpd-dev libpcre2-dev zlib1g-dev libcmocka-dev
	clang libclang-rt-14-dev
)
TEST_PKGS=(
	git openssh-server openssh-client lighttpd curl openssl procps psmisc iproute2 util-linux time bc
)

case "${1:-all}" in
runtime) want=("${RUNTIME_PKGS[@]}") ;;
*) want=("${RUNTIME_PKGS[@]}" "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "[install-deps] installing: ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# lighttpd and sshd are started by the tests themselves on loopback; keep the system units quiet.
if command -v systemctl >/dev/null 2>&1; then
	$SUDO systemctl disable --now lighttpd ssh >/dev/null 2>&1 || true
fi
