#!/usr/bin/env bash
# The proof that fluxconfig-controller was added as a service only: nothing under common/ knows
# of it, and it reaches common/ only through the public cf/*.h headers (no other service's
# headers, no module internals).
# Usage: check-independence.sh SOURCE_DIR
set -uo pipefail
src=$1
fail=0
if grep -rIl -e 'fluxconfig' -e 'FluxConfig' -e 'config\.cflux\.io' "$src/common" >/dev/null; then
	echo "FAIL common/ mentions the FluxConfig service:"; grep -rIl -e 'fluxconfig' -e 'FluxConfig' -e 'config\.cflux\.io' "$src/common"
	fail=1
fi
while read -r file inc; do
	case "$inc" in
	'"cf/'*.h'"' | '"fc.h"' | '<'*'>') ;;
	*) echo "FAIL $file includes $inc"; fail=1 ;;
	esac
done < <(grep -H '^#include' "$src"/services/fluxconfig-controller/*.[ch] | sed 's/:#include */ /')
[ "$fail" -eq 0 ] && echo "ok: common/ is untouched by fluxconfig-controller, which uses only public headers"
exit "$fail"
