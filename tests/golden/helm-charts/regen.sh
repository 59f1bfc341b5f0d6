#!/bin/sh
# Regenerates every case's expected output with the real helm: expected.txt holds what
# `helm template` prints, or expected-error.txt its error when it fails.
# Usage: regen.sh [CASE...]   (default: every case)
set -eu
HELM=${HELM:-$HOME/.cache/cflux/bin/helm}
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then set -- "$here"/cases/*/; else
	for c in "$@"; do set -- "$@" "$here/cases/$c/"; shift; done
fi
for dir in "$@"; do
	cd "$dir"
	# A case with src/<name>/ packs it into chart/charts/<name>-<version>.tgz first.
	if [ -d src ]; then
		for sub in src/*/; do
			name=$(basename "$sub")
			ver=$(sed -n 's/^version: *//p' "$sub/Chart.yaml")
			mkdir -p chart/charts
			tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C src \
				-cf - "$name" | gzip -n > "chart/charts/$name-$ver.tgz"
		done
	fi
	# A case with tgz/<name>/ packs it into <name>.tgz beside args (a chart given as an archive).
	if [ -d tgz ]; then
		for sub in tgz/*/; do
			name=$(basename "$sub")
			tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C tgz \
				-cf - "$name" | gzip -n > "$name.tgz"
		done
	fi
	set --
	while IFS= read -r arg; do set -- "$@" "$arg"; done < args
	rm -f expected.txt expected-error.txt
	if "$HELM" template "$@" > expected.txt 2> stderr.tmp; then
		rm -f stderr.tmp
	else
		rm -f expected.txt
		mv stderr.tmp expected-error.txt
	fi
done
