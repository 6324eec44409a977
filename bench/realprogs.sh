#!/bin/bash
# SPDX-License-Identifier: MIT
# ctop-prof against `perf record --call-graph dwarf` on programs nobody
# here wrote (issue 19): xz, sqlite3 (if present), cc1plus (compiling a
# preprocessed C++ file), python3 and node (with --perf-basic-prof, and
# without it as node-jit). Each is
# launched once under each profiler. Prints per program:
#   L1: the sum over functions of |self share ctop-prof - self share perf|,
#       in points (0 = the same profile, 200 = disjoint), leaf functions
#       compared by name (kernel frames, inline frames and +0x offsets
#       left out on both sides; C++ parameter lists dropped, as perf
#       names without them);
#       A function without a symbol is "MODULE [unknown]" on both sides
#       (perf says [unknown], ctop-prof MODULE+0xOFFSET);
#   complete%: the share of stacks that reach their root: _start or a
#       thread's clone (perf: or any frame of the main program outermost,
#       as a stripped program's _start is [unknown]; ctop-prof: no
#       [incomplete] or [truncated] mark).
# Usage: bench/realprogs.sh [BUILD_DIR]   (env: BACKEND=perf HZ=499)
set -u
build=${1:-build}
BACKEND=${BACKEND:-perf} HZ=${HZ:-499}
ctop=$build/ctop-prof
command -v perf >/dev/null || { echo "perf not installed"; exit 1; }
[ -x "$ctop" ] || { echo "build first: $ctop"; exit 1; }
tmp=$(mktemp -d)
# node --perf-basic-prof leaves /tmp/perf-PID.map: work.js writes its pid
# to NODE_PIDS, and the maps of those pids go with the rest.
export NODE_PIDS=$tmp/node.pids
: >"$NODE_PIDS"
cleanup() {
	local p
	while read -r p; do
		[ -f "/tmp/perf-$p.map" ] && [ ! -L "/tmp/perf-$p.map" ] &&
			rm -f "/tmp/perf-$p.map"
	done <"$NODE_PIDS"
	rm -rf "$tmp"
}
trap cleanup EXIT

# Workloads: one to a few seconds of CPU each (hundreds to a thousand
# samples at 499 Hz: fewer make the L1 mostly noise).
# shellcheck source=bench/workloads.sh
. "$(dirname "$0")/workloads.sh"
bench_workloads "$tmp" 4000000
cat >"$tmp/work.py" <<'PY'
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
def main():
    for _ in range(30): fib(27)
main()
PY
cat >"$tmp/work.js" <<'JS'
require('fs').appendFileSync(process.env.NODE_PIDS, process.pid + '\n');
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
let x = 0;
for (let i = 0; i < 100; i++) x += fib(30);
console.log(x > 0);
JS

# folded -> "leaf count" lines, the leaf being the innermost frame that
# is not a kernel or inline frame, without +0x offsets or suffixes.
ctop_leaves() {
	awk 'function strip_params(x,   i, d, c) {
		sub(/ const$/, "", x)
		if (x !~ /\)$/) return x
		for (i = length(x); i > 0; i--) {
			c = substr(x, i, 1)
			if (c == ")") d++
			else if (c == "(" && --d == 0) return substr(x, 1, i - 1)
		}
		return x
	}
	{ n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
		k = split(line, f, ";"); leaf = ""
		for (i = k; i > 1; i--) if (f[i] !~ /_\[[ki]\]$/) { leaf = f[i]; break }
		sub(/_\[j\]$/, "", leaf)
		# C++: perf names a function without its parameters.
		leaf = strip_params(leaf)
		if (sub(/\+0x[0-9a-f]+$/, "", leaf)) leaf = leaf " [unknown]"
		c[leaf] += n; t += n
		if (line !~ /;\[(incomplete|truncated)\]/) s += n }
		END { for (l in c) print c[l] / t, l; print "START", (t ? s / t : 0) }' "$1"
}
# perf script output -> the same.
perf_leaves() {
	awk 'BEGIN { RS = "" } { k = split($0, l, "\n"); leaf = ""; last = ""
		comm = l[1]; sub(/[ \t]+$/, "", comm)
		for (i = 2; i <= k; i++) {
			sym = l[i]; sub(/^[ \t]*[0-9a-f]+ /, "", sym)
			dso = sym; sub(/ \([^)]*\)$/, "", sym)
			sub(/^.* \(/, "", dso); sub(/\)$/, "", dso); sub(/.*\//, "", dso)
			if (dso ~ /^\[kernel/) continue
			sub(/\+0x[0-9a-f]+$/, "", sym); sub(/@.*/, "", sym)
			# JIT code: perf names its dso after the perf map
			# (even when there is none), ctop-prof leaves it bare.
			if (sym == "[unknown]")
				sym = dso ~ /^(perf-[0-9]+\.map|\[unknown\]|\/\/anon)$/ ? \
				    "[unknown]" : dso " [unknown]"
			if (leaf == "") leaf = sym
			last = sym; lastdso = dso
		}
		c[leaf]++; t++
		if (last ~ /^(_start|clone|clone3|__clone3)$/ || lastdso == comm) s++ }
		END { for (x in c) print c[x] / t, x; print "START", (t ? s / t : 0) }' "$1"
}
l1() {	# l1 A B: sum of |a - b| over names, in points
	awk 'NR == FNR { if ($1 != "START") { n = $1; $1 = ""; a[$0] = n }; next }
		$1 != "START" { n = $1; $1 = ""; b[$0] = n }
		END { for (x in a) d += (a[x] > b[x] ? a[x] - b[x] : b[x] - a[x])
			for (x in b) if (!(x in a)) d += b[x]
			printf "%.1f", 100 * d }' "$1" "$2"
}
start_of() { awk '$1 == "START" { printf "%.1f", 100 * $2 }' "$1"; }

run() {	# run NAME COMMAND...
	local name=$1; shift
	# shellcheck disable=SC2086 # CTOP_ARGS: words on purpose
	"$ctop" --backend "$BACKEND" -F "$HZ" ${CTOP_ARGS:-} \
		-o "$tmp/$name.folded" -- "$@" \
		>/dev/null 2>"$tmp/$name.err" </dev/null
	perf record -q -e cpu-clock -F "$HZ" --call-graph dwarf \
		-o "$tmp/$name.data" -- "$@" >/dev/null 2>&1 </dev/null
	perf script --no-inline -F comm,ip,sym,dso -i "$tmp/$name.data" \
		>"$tmp/$name.txt" 2>/dev/null
	ctop_leaves "$tmp/$name.folded" >"$tmp/$name.c"
	perf_leaves "$tmp/$name.txt" >"$tmp/$name.p"
	printf '%-8s L1 %6s   complete%% ctop-prof %5s  perf %5s   samples %s / %s\n' \
		"$name" "$(l1 "$tmp/$name.c" "$tmp/$name.p")" \
		"$(start_of "$tmp/$name.c")" "$(start_of "$tmp/$name.p")" \
		"$(awk '{ t += $NF } END { print t + 0 }' "$tmp/$name.folded")" \
		"$(awk 'BEGIN { RS = "" } END { print NR }' "$tmp/$name.txt")"
}

echo "backend $BACKEND, $HZ Hz"
run xz xz -T1 -6 -c "$tmp/data.txt"
# In memory: a database file left by the first run would give the second
# twice the rows (perf saw four times ctop-prof's samples).
command -v sqlite3 >/dev/null && run sqlite3 sqlite3 :memory: ".read $tmp/work.sql"
[ -x "$cc1plus" ] && run cc1plus "$cc1plus" -quiet -O2 -fpreprocessed \
	"$tmp/w.ii" -o "$tmp/w.s"
# Native frames only, as perf sees them (merged, the leaves would be
# Python functions where perf has _PyEval_*).
CTOP_ARGS="--python off" run python3 python3 "$tmp/work.py"
command -v node >/dev/null && run node node --perf-basic-prof "$tmp/work.js"
# Without the perf map: JIT frames unnamed, builtins named.
command -v node >/dev/null && run node-jit node "$tmp/work.js"
