#!/usr/bin/env bash
# Checks each docker/*.Dockerfile against the tree and the build, since no container engine runs
# here: COPY sources exist in the repository, binaries copied from the build stage exist in the
# build directory, the entrypoint is the binary copied, and the image runs as non-root.
# Usage: check-dockerfiles.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1 build=$2
fail=0 n=0
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
for df in "$src"/docker/*.Dockerfile; do
	n=$((n + 1))
	name=$(basename "$df" .Dockerfile)
	grep -q 'scripts/install-deps.sh' "$df" || bad "$df does not use scripts/install-deps.sh"
	grep -q '^USER 65532' "$df" || bad "$df does not run as 65532"
	while read -r from to; do
		[ -e "$src/$from" ] || bad "$df copies $from, which is not in the tree"
	done < <(grep -E '^COPY [^-]' "$df" | grep -v '^COPY \. ' | awk '{print $2, $3}')
	while read -r path; do
		rel=${path#/src/build/}
		[ -x "$build/$rel" ] || bad "$df copies $path, which the build did not produce ($build/$rel)"
	done < <(grep -E '^COPY --from=build' "$df" | awk '{print $3}')
	grep -q "ENTRYPOINT \[\"/usr/local/bin/$name\"\]" "$df" || bad "$df's entrypoint is not /usr/local/bin/$name"
	grep -q "ninja -C build $name" "$df" || bad "$df does not build target $name"
	[ -d "$src/services/$name" ] || bad "$df names service $name, which has no folder"
done
for d in "$src"/services/*/; do
	s=$(basename "$d")
	[ -f "$src/docker/$s.Dockerfile" ] || bad "service $s has no Dockerfile"
done
echo "$n Dockerfiles checked, $fail problems"
[ "$fail" -eq 0 ]
