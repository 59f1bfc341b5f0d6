#!/usr/bin/env bash
# The test command: installs dependencies, builds the test-only binaries (cached), builds cflux
# normally and with AddressSanitizer+UndefinedBehaviorSanitizer, starts a real control plane, runs
# every test (unit and integration) in both builds, runs each fuzz target briefly, and tears down.
#   scripts/test.sh            everything
#   CF_TEST_QUICK=1 scripts/test.sh   skip the sanitizer build and the fuzz smoke run
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
CF_CLUSTER_DIR=${CF_CLUSTER_DIR:-$(mktemp -d /tmp/cflux-test-cluster.XXXXXX)}
export CF_CLUSTER_DIR

step() { printf '\n==> %s\n' "$*"; }

step "installing Debian packages (if missing)"
./scripts/install-deps.sh

step "building test binaries: etcd, kube-apiserver, helm (cached under ${CFLUX_CACHE:-$HOME/.cache/cflux})"
./tests/cluster/build-binaries.sh etcd kube-apiserver helm
export PATH="${CFLUX_CACHE:-$HOME/.cache/cflux}/bin:$PATH"

configure_build() { # dir [cmake args...]
	local dir=$1; shift
	cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
	ninja -C "$dir" -j "$JOBS"
}

step "building cflux"
configure_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ -z "${CF_TEST_QUICK:-}" ]; then
	step "building cflux with AddressSanitizer + UndefinedBehaviorSanitizer"
	configure_build build-san -DCMAKE_BUILD_TYPE=Debug -DCF_SANITIZE=ON
fi

cleanup() {
	step "stopping the control plane"
	./tests/cluster/down.sh "$CF_CLUSTER_DIR"
}
trap cleanup EXIT INT TERM

step "starting the control plane in $CF_CLUSTER_DIR"
./tests/cluster/up.sh "$CF_CLUSTER_DIR"
set -a
# shellcheck disable=SC1091
. "$CF_CLUSTER_DIR/env"
set +a

status=0
step "tests (normal build)"
ctest --test-dir build --output-on-failure --timeout 900 -j 2 || status=1
if [ -z "${CF_TEST_QUICK:-}" ]; then
	step "tests (sanitizer build)"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions="$root/tests/lsan.supp" \
		ctest --test-dir build-san --output-on-failure --timeout 900 -j 2 || status=1

	step "fuzz targets (${FUZZ_SECONDS}s each)"
	configure_build build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCF_FUZZ=ON -DCF_TESTS=ON
	./scripts/fuzz.sh build-fuzz "$FUZZ_SECONDS" || status=1
fi
exit $status
