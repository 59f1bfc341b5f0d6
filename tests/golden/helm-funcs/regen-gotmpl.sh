#!/bin/sh
# Regenerates gotmpl.txt from gotmpl.in with Go's own text/template (needs the go toolchain).
set -e
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/gotmpl-oracle"
go run . "$here/gotmpl.in" > "$here/gotmpl.txt"
