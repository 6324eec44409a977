#!/bin/bash
# SPDX-License-Identifier: MIT
# The ptrace backend's pause per sample against its anchor (issue 17
# goal 1): bench-engine -b on the same thread of ctop-demo, at the same
# rate, first the bare round trip (PTRACE_INTERRUPT, wait, PTRACE_CONT,
# nothing read), then the real sampler (registers, the stack copy, the
# record). RUNS rounds (one process each: bare then sampler, so both see
# the same machine), medians of their p50 and p99, and the ratio of the
# p50s (goal: at most 2x, p99 at most 150 us).
# Usage: bench/pause.sh [BUILD_DIR]  (env: RUNS=5 SECS=3 HZ=999 STACK=16384)
set -u
build=${1:-build}
RUNS=${RUNS:-5} SECS=${SECS:-3} HZ=${HZ:-999} STACK=${STACK:-16384}
engine=$build/bench/bench-engine demo=$build/ctop-demo
[ -x "$engine" ] && [ -x "$demo" ] || { echo "build first: make bench/bench-engine ctop-demo"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for r in $(seq 1 "$RUNS"); do
	"$engine" -b -F "$HZ" -s "$SECS" -S "$STACK" -- "$demo" >"$tmp/out" 2>&1 </dev/null
	for who in bare sampler; do
		line=$(grep "^$who " "$tmp/out")
		p50=$(printf '%s\n' "$line" | sed -n 's/.*p50 \([0-9.]*\) us.*/\1/p')
		p99=$(printf '%s\n' "$line" | sed -n 's/.*p99 \([0-9.]*\) us.*/\1/p')
		echo "$p50" >>"$tmp/$who.p50"
		echo "$p99" >>"$tmp/$who.p99"
	done
	echo "round $r of $RUNS: bare p50 $(tail -1 "$tmp/bare.p50") p99 $(tail -1 "$tmp/bare.p99") us; sampler p50 $(tail -1 "$tmp/sampler.p50") p99 $(tail -1 "$tmp/sampler.p99") us"
done
b50=$(median <"$tmp/bare.p50") b99=$(median <"$tmp/bare.p99")
s50=$(median <"$tmp/sampler.p50") s99=$(median <"$tmp/sampler.p99")
echo
echo "ptrace pause at $HZ Hz, $STACK stack bytes, medians of $RUNS runs of $SECS s:"
printf '  bare round trip  p50 %7s us  p99 %7s us\n' "$b50" "$b99"
printf '  sampler          p50 %7s us  p99 %7s us\n' "$s50" "$s99"
awk -v s="$s50" -v b="$b50" -v p="$s99" 'BEGIN {
	printf "  p50 ratio %.2fx (goal <= 2), p99 %s us (goal <= 150)\n", b ? s / b : 0, p }'
