#!/usr/bin/env bash
# Regenerates every case's expected output from the real `kubectl kustomize` (the oracle).
#
# A case is a folder cases/NN-name/ whose input tree is in/. The build runs in in/, or in the
# folder named (relative to the case) by an optional file `dir`. Success writes expected.yaml;
# failure writes expected.err with the oracle's error message (the case folder replaced by
# $CASE). An error case also holds `phrase`: text that must appear in both the oracle's error and
# ours; this script checks it still appears in the oracle's.
# Usage: regen.sh [case-name ...]   (default: every case)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/cases"
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(*/)
status=0
for c in "${cases[@]}"; do
	c=${c%/}
	dir=in
	[ -f "$c/dir" ] && dir=$(cat "$c/dir")
	abs=$(cd "$c" && pwd)
	if out=$(kubectl kustomize "$c/$dir" 2>"$c/.stderr"); then
		printf '%s\n' "$out" > "$c/expected.yaml"
		rm -f "$c/expected.err"
		[ -f "$c/phrase" ] && { echo "$c: succeeds but has a phrase file" >&2; status=1; }
	else
		# kubectl prints: E... run.go:NN] "command failed" err="<message>"
		# or, for a multi-line message, err=< then tab-indented lines then " >".
		msg=$(sed -n 's/.*"command failed" err="\(.*\)"$/\1/p' "$c/.stderr" | sed 's/\\"/"/g')
		[ -z "$msg" ] && msg=$(sed -n '/"command failed" err=<$/,/^ >$/{/err=<$/d;/^ >$/d;s/^\t//;p}' "$c/.stderr")
		[ -z "$msg" ] && msg=$(cat "$c/.stderr")
		printf '%s\n' "${msg//$abs/\$CASE}" > "$c/expected.err"
		rm -f "$c/expected.yaml"
		if [ ! -f "$c/phrase" ]; then
			echo "$c: fails but has no phrase file: $msg" >&2; status=1
		elif ! grep -qF -- "$(cat "$c/phrase")" "$c/expected.err"; then
			echo "$c: phrase '$(cat "$c/phrase")' not in: $msg" >&2; status=1
		fi
	fi
	rm -f "$c/.stderr"
done
exit $status
