#!/bin/bash
# SPDX-License-Identifier: MIT
# make check-deps: the include graph of src/ and include/ctop/ against the
# allowed list in docs/ARCHITECTURE.md ("Allowed dependencies"). Fails when
# a module includes the interface of a module it may not use, reaches into
# another module's folder (its private headers), or when the allowed graph
# or the real one has a cycle. Prints TAP, then the real graph as comments.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
doc=$top_srcdir/docs/ARCHITECTURE.md
tap_n=0 tap_failed=0
ok() {
	local st=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$st" = 0 ]; then echo "ok $tap_n - $*"
	else echo "not ok $tap_n - $*"; tap_failed=$((tap_failed + 1)); fi
}

# The doc's block, between its two marker lines: "module: allowed..." and
# "header NAME.h: module" (interfaces whose header is not named after the
# module that owns them).
block=$(awk '/<!-- deps: begin -->/ { on = 1; next } /<!-- deps: end -->/ { on = 0 }
	on && /^[a-z_]+:/' "$doc")
headers=$(awk '/<!-- deps: begin -->/ { on = 1; next } /<!-- deps: end -->/ { on = 0 }
	on && /^header [a-z_]+\.h:/ { sub(/:$/, "", $2); print $2, $3 }' "$doc")
[ -n "$block" ]
ok $? "docs/ARCHITECTURE.md has the allowed-dependencies block"

# owner HEADER: the module that owns include/ctop/HEADER.h.
owner() {
	local m
	m=$(echo "$headers" | awk -v h="$1.h" '$1 == h { print $2 }')
	echo "${m:-$1}"
}
allowed() { echo "$block" | awk -v m="$1:" '$1 == m { $1 = ""; print }'; }

# The real graph: module -> modules whose interface it includes.
declare -A real
for dir in "$top_srcdir"/src/*/; do
	m=$(basename "$dir")
	real[$m]=""
done
for h in "$top_srcdir"/include/ctop/*.h; do
	n=$(basename "$h" .h)
	m=$(owner "$n")
	real[$m]="${real[$m]:-}"
done
add_edges() {	# add_edges MODULE FILE...
	local m=$1 d; shift
	for d in $(grep -ho '#include "ctop/[a-z_]*\.h"' "$@" 2>/dev/null |
		sed 's/.*ctop\///; s/\.h"//' | sort -u); do
		d=$(owner "$d")
		[ "$d" = "$m" ] && continue
		case " ${real[$m]} " in *" $d "*) ;; *) real[$m]="${real[$m]} $d" ;; esac
	done
}
for dir in "$top_srcdir"/src/*/; do
	m=$(basename "$dir")
	add_edges "$m" "$dir"*.c "$dir"*.h
done
for h in "$top_srcdir"/include/ctop/*.h; do
	add_edges "$(owner "$(basename "$h" .h)")" "$h"
done

# 1. Every edge is allowed.
bad=""
for m in $(printf '%s\n' "${!real[@]}" | sort); do
	a=" $(allowed "$m") "
	if ! echo "$block" | grep -q "^$m:"; then
		bad="$bad $m (not in the doc)"
		continue
	fi
	for d in ${real[$m]}; do
		case "$a" in *" $d "*) ;; *) bad="$bad $m->$d" ;; esac
	done
done
[ -z "$bad" ]
ok $? "every include is allowed by docs/ARCHITECTURE.md${bad:+; not allowed:$bad}"

# 2. No module reaches into another's folder.
reach=$(grep -rnoE '#include "[^"]*\.\./[a-z_]+/[^"]*"|#include "(src/)?[a-z_]+/[a-z_]+\.h"' \
	"$top_srcdir"/src --include='*.c' --include='*.h' | grep -v '"ctop/' |
	sed "s|^$top_srcdir/||" | head -5)
[ -z "$reach" ]
ok $? "no module includes another module's private headers${reach:+: $reach}"

# 3. No cycle, in the allowed graph nor in the real one.
cycle_in() {	# cycle_in "m: d d" lines on stdin: prints a cycle or nothing
	awk -F': *' '{ n = split($2, d, " "); for (i = 1; i <= n; i++) e[$1, ++k[$1]] = d[i]; mods[$1] = 1 }
	function visit(m, path,    i) {
		if (state[m] == 1) { print path " " m; found = 1; return }
		if (state[m] == 2 || found) return
		state[m] = 1
		for (i = 1; i <= k[m]; i++) visit(e[m, i], path " " m)
		state[m] = 2
	}
	END { for (m in mods) if (!found) visit(m, "") }'
}
c=$(echo "$block" | cycle_in)
[ -z "$c" ]
ok $? "the allowed graph has no cycle${c:+:$c}"
c=$(for m in "${!real[@]}"; do echo "$m: ${real[$m]}"; done | cycle_in)
[ -z "$c" ]
ok $? "the real include graph has no cycle${c:+:$c}"

for m in $(printf '%s\n' "${!real[@]}" | sort); do
	echo "# $m -> $(echo ${real[$m]} | tr ' ' '\n' | sort | tr '\n' ' ')"
done
echo "1..$tap_n"
[ "$tap_failed" = 0 ]
