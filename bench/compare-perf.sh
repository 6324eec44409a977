#!/bin/bash
# SPDX-License-Identifier: MIT
# Side by side on the same workload: ctop-prof (BACKEND: auto, perf or
# ptrace; UNWIND: auto, dwarf or fp) against
# `perf record -e cpu-clock -F HZ --call-graph dwarf` + `perf script`.
# Prints, per run and as medians over RUNS interleaved runs:
#   samples, profiler CPU seconds per 1000 samples (ctop-prof: capture,
#   unwind, symbolize, aggregate; perf: record + script), their ratio, and
#   the attribution each reports (work_a share of work_a+work_b; truth 75%).
# Usage: bench/compare-perf.sh [BUILD_DIR]
#   (env: RUNS=5 HZ=999 SECS=5 BACKEND=auto UNWIND=auto STACK=16384;
#   STACK=auto: --stack-size auto)
set -u
build=${1:-build}
RUNS=${RUNS:-5} HZ=${HZ:-999} SECS=${SECS:-5}
BACKEND=${BACKEND:-auto} UNWIND=${UNWIND:-auto} STACK=${STACK:-16384}
ctop=$build/ctop-prof target=$build/tests/targets/ratio
command -v perf >/dev/null || { echo "perf not installed (apt-get install linux-perf)"; exit 1; }
[ -x "$ctop" ] && [ -x "$target" ] || { echo "build first: $ctop, $target"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $t 2>/dev/null; rm -rf "$tmp"' EXIT

# cpu_of CMD...: runs CMD, prints its children's user+sys CPU seconds.
cpu_of() {
	local TIMEFORMAT='%U %S'
	{ time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

"$target" --seconds 100000 >/dev/null 2>&1 &
t=$!
sleep 0.5
printf '%-4s %-10s %8s %10s %12s %8s\n' run profiler samples cpu_s s_per_1k work_a%
for i in $(seq 1 "$RUNS"); do
	# ctop-prof
	c=$(cpu_of "$ctop" --backend "$BACKEND" --unwind "$UNWIND" --stack-size "$STACK" -p "$t" -F "$HZ" --duration "$SECS" -o "$tmp/c.folded")
	n=$(awk '{ s += $NF } END { print s + 0 }' "$tmp/c.folded")
	a=$(awk '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, f, ";")
		if (f[k] == "work_a") a += n; if (f[k] == "work_b") b += n }
		END { printf "%.1f", (a + b) ? 100 * a / (a + b) : 0 }' "$tmp/c.folded")
	printf '%-4s %-10s %8d %10.3f %12.4f %8s\n' "$i" ctop-prof "$n" "$c" \
		"$(awk -v c="$c" -v n="$n" 'BEGIN { print n ? 1000 * c / n : 0 }')" "$a"
	echo "ctop $n $c $a" >>"$tmp/runs"
	# perf record + perf script
	r=$(cpu_of perf record -q -e cpu-clock -F "$HZ" --call-graph dwarf -p "$t" -o "$tmp/p.data" -- sleep "$SECS")
	s=$(cpu_of sh -c "perf script -i '$tmp/p.data' > '$tmp/p.txt'")
	c=$(awk -v r="$r" -v s="$s" 'BEGIN { print r + s }')
	n=$(grep -c 'cpu-clock' "$tmp/p.txt")
	a=$(awk '/cpu-clock/ { getline; leaf = $2; sub(/\+0x.*/, "", leaf)
		if (leaf == "work_a") a++; if (leaf == "work_b") b++ }
		END { printf "%.1f", (a + b) ? 100 * a / (a + b) : 0 }' "$tmp/p.txt")
	printf '%-4s %-10s %8d %10.3f %12.4f %8s\n' "$i" perf "$n" "$c" \
		"$(awk -v c="$c" -v n="$n" 'BEGIN { print n ? 1000 * c / n : 0 }')" "$a"
	echo "perf $n $c $a" >>"$tmp/runs"
done
for p in ctop perf; do
	awk -v p="$p" '$1 == p { print 1000 * $3 / ($2 ? $2 : 1) }' "$tmp/runs" | median >"$tmp/m.$p"
	awk -v p="$p" '$1 == p { print $4 }' "$tmp/runs" | median >"$tmp/a.$p"
done
echo "median CPU s per 1000 samples: ctop-prof ($BACKEND backend, $UNWIND unwinding, stack $STACK) $(cat "$tmp/m.ctop"), perf record+script $(cat "$tmp/m.perf")"
echo "ratio ctop-prof / perf: $(awk -v a="$(cat "$tmp/m.ctop")" -v b="$(cat "$tmp/m.perf")" 'BEGIN { printf "%.3f", b ? a / b : 0 }')"
echo "median work_a share (truth 75%): ctop-prof $(cat "$tmp/a.ctop")%, perf $(cat "$tmp/a.perf")%"
