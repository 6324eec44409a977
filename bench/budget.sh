#!/bin/bash
# SPDX-License-Identifier: MIT
# The overhead budget (--max-overhead) side by side, in one run: the
# target's own elapsed time for fixed work (bench-work, THREADS busy
# threads) unprofiled, under ctop-prof --backend ptrace at -F HZ without a
# budget, and with --max-overhead BUDGET; medians of RUNS interleaved
# rounds, the slowdown against the unprofiled median, and the unprofiled
# runs' own spread (the noise the budget is judged within). Also each
# config's samples, the rate asked at the end and the last window's cost
# as ctop-prof measured it.
# CONFIGS="base count" THREADS=1 sets the budget's count against the truth:
# count is -F HZ under a budget of 50% that never moves the rate, so its
# cost column is what the budget counts (the median of its windows) and
# its slowdown what the target lost (one busy thread on an otherwise idle
# machine loses only its pauses).
# Usage: bench/budget.sh [BUILD_DIR]
#   env: RUNS=5 WORK=3000 THREADS=64 HZ=999 BUDGET=2
#        CONFIGS="base ptrace budget" (of base ptrace budget count)
set -u
build=${1:-build}
RUNS=${RUNS:-5} WORK=${WORK:-3000} THREADS=${THREADS:-64} HZ=${HZ:-999}
BUDGET=${BUDGET:-2} CONFIGS=${CONFIGS:-base ptrace budget}
ctop=$build/ctop-prof work=$build/bench/bench-work
[ -x "$ctop" ] && [ -x "$work" ] || { echo "build first: make bench/bench-work ctop-prof"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run CONFIG: one run; appends "config elapsed samples asked_hz cost" to
# $tmp/rows.
run() {
	local cfg=$1 out=$tmp/out err=$tmp/err el n hz cost
	: >"$err"
	case "$cfg" in
	base)	"$work" --threads "$THREADS" --work "$WORK" >"$out" 2>"$err" ;;
	ptrace)	"$ctop" --backend ptrace -F "$HZ" -o "$tmp/c.folded" -- \
			"$work" --threads "$THREADS" --work "$WORK" >"$out" 2>"$err" ;;
	budget)	"$ctop" --backend ptrace -F "$HZ" --max-overhead "$BUDGET" \
			-o "$tmp/c.folded" -- "$work" --threads "$THREADS" \
			--work "$WORK" >"$out" 2>"$err" ;;
	count)	"$ctop" --backend ptrace -F "$HZ" --max-overhead 50 \
			-o "$tmp/c.folded" -- "$work" --threads "$THREADS" \
			--work "$WORK" >"$out" 2>"$err" ;;
	esac
	el=$(awk '/^elapsed/ { print $2 }' "$out")
	n=$(grep -oE '[0-9]+ samples in' "$err" | head -1 | cut -d' ' -f1)
	hz=$(sed -n 's/.*asked \([0-9.]*\) Hz at the end.*/\1/p' "$err")
	cost=$(sed -n 's/.*last cost \([0-9.]*\)%.*/\1/p' "$err")
	[ "$cfg" = count ] &&
		cost=$(sed -n 's/.*median of the last windows \([0-9.]*\)%.*/\1/p' "$err")
	[ "$cfg" = ptrace ] && hz=$HZ
	echo "$cfg ${el:-0} ${n:-0} ${hz:-0} ${cost:--}" >>"$tmp/rows"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" -v k="$2" '$1 == c { print $k }' "$tmp/rows"; }

for i in $(seq 1 "$RUNS"); do
	for c in $CONFIGS; do run "$c"; done
done
base=$(col base 2 | median)
spread=$(col base 2 | sort -g | awk -v m="$base" 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f", (m > 0 ? 100 * (hi - lo) / m : 0) }')
echo "== $THREADS busy threads, work $WORK M iterations, -F $HZ, medians of $RUNS interleaved runs"
echo "   unprofiled runs spread over ${spread}% of their median (max - min): the noise"
printf '%-16s %9s %9s %9s %10s %9s\n' config elapsed_s slowdown samples asked_Hz cost_%
for c in $CONFIGS; do
	el=$(col "$c" 2 | median)
	name=$c
	[ "$c" = budget ] && name="budget $BUDGET%"
	[ "$c" = ptrace ] && name="ptrace, none"
	[ "$c" = count ] && name="counted (50%)"
	printf '%-16s %9.3f %8.2f%% %9.0f %10s %9s\n' "$name" "$el" \
		"$(awk -v a="$el" -v b="$base" 'BEGIN { print (b > 0 ? 100 * (a / b - 1) : 0) }')" \
		"$(col "$c" 3 | median)" "$(col "$c" 4 | median)" \
		"$(col "$c" 5 | tr -d - | median)"
done
