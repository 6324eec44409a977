#!/bin/bash
# SPDX-License-Identifier: MIT
# The perf_event backend's costs side by side, in one run (see README.md):
# the target's own elapsed time for fixed work (bench-work) unprofiled, under
# ctop-prof --backend perf and --backend ptrace at 99 and 999 Hz (autoHZ:
# perf with --stack-size auto, not in the default tables), and under
# `perf record -e cpu-clock --call-graph dwarf`; then THREADS busy threads at
# 99 Hz; samples, dropped, lost and bytes per sample; medians of RUNS
# interleaved rounds; last, profiler CPU per 1000 samples (compare-perf.sh).
# Usage: bench/bench-perf.sh [BUILD_DIR]
#   env: RUNS=5 WORK=1500 THREADS=32 SECS=3 SKIP_CPU=0, and SINGLE and
#   MULTI, the configurations of each table (MULTI="" skips the second)
set -u
build=${1:-build}
RUNS=${RUNS:-5} WORK=${WORK:-1500} THREADS=${THREADS:-32} SECS=${SECS:-3}
ctop=$build/ctop-prof work=$build/bench/bench-work
[ -x "$ctop" ] && [ -x "$work" ] || { echo "build first: make bench/bench-work ctop-prof"; exit 1; }
have_perf=1
command -v perf >/dev/null || have_perf=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run CONFIG THREADS: one run; appends "config elapsed samples dropped lost
# bytes_per_sample" to $tmp/rows.
run() {
	local cfg=$1 th=$2 out=$tmp/out err=$tmp/err el n d l b
	case "$cfg" in
	base)	"$work" --threads "$th" --work "$WORK" >"$out" 2>"$err" ;;
	perf*|ptrace*)
		"$ctop" --backend "${cfg%%[0-9]*}" -F "${cfg##*[a-z]}" \
			-o "$tmp/c.folded" -- "$work" --threads "$th" --work "$WORK" \
			>"$out" 2>"$err" ;;
	auto*)	# the perf backend with --stack-size auto
		"$ctop" --backend perf --stack-size auto -F "${cfg#auto}" \
			-o "$tmp/c.folded" -- "$work" --threads "$th" --work "$WORK" \
			>"$out" 2>"$err" ;;
	rec*)	[ "$have_perf" = 1 ] || return 0
		perf record -q -e cpu-clock -F "${cfg#rec}" --call-graph dwarf \
			-o "$tmp/p.data" -- "$work" --threads "$th" --work "$WORK" \
			>"$out" 2>"$err" ;;
	esac
	el=$(awk '/^elapsed/ { print $2 }' "$out")
	n=0 d=0 l=0 b=0
	case "$cfg" in
	perf*|ptrace*|auto*)
		n=$(grep -oE '[0-9]+ samples' "$err" | head -1 | cut -d' ' -f1)
		d=$(grep -oE '[0-9]+ dropped' "$err" | head -1 | cut -d' ' -f1)
		l=$(grep -oE '[0-9]+ lost' "$err" | head -1 | cut -d' ' -f1)
		b=$(grep -oE '[0-9]+ bytes/sample' "$err" | head -1 | cut -d' ' -f1) ;;
	rec*)
		# -F tid alone prints one line per sample (no call chain).
		n=$(perf script -i "$tmp/p.data" -F tid 2>/dev/null | wc -l)
		b=$(( $(stat -c %s "$tmp/p.data") / (n > 0 ? n : 1) )) ;;
	esac
	echo "$cfg ${el:-0} ${n:-0} ${d:-0} ${l:-0} ${b:-0}" >>"$tmp/rows.$th"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

table() {
	local th=$1 cfgs=$2 base c col
	echo "== $th thread(s), work $WORK M iterations, medians of $RUNS interleaved runs"
	printf '%-10s %9s %7s %8s %8s %6s %10s\n' config elapsed_s ratio samples dropped lost bytes/smp
	base=$(awk '$1 == "base" { print $2 }' "$tmp/rows.$th" | median)
	for c in $cfgs; do
		grep -q "^$c " "$tmp/rows.$th" || continue
		for col in 2 3 4 5 6; do
			awk -v c="$c" -v k="$col" '$1 == c { print $k }' "$tmp/rows.$th" | median >"$tmp/m$col"
		done
		printf '%-10s %9.3f %7.3f %8.0f %8.0f %6.0f %10.0f\n' "$c" "$(cat "$tmp/m2")" \
			"$(awk -v a="$(cat "$tmp/m2")" -v b="$base" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
			"$(cat "$tmp/m3")" "$(cat "$tmp/m4")" "$(cat "$tmp/m5")" "$(cat "$tmp/m6")"
	done
}

single=${SINGLE-base perf99 perf999 ptrace99 ptrace999 rec99 rec999}
multi=${MULTI-base perf99 ptrace99 rec99}
for i in $(seq 1 "$RUNS"); do
	for c in $single; do run "$c" 1; done
	for c in $multi; do run "$c" "$THREADS"; done
done
[ -n "$single" ] && table 1 "$single"
[ -n "$multi" ] && table "$THREADS" "$multi"
if [ "${SKIP_CPU:-0}" != 1 ] && [ "$have_perf" = 1 ]; then
	here=$(dirname "$0")
	for b in perf ptrace; do
		echo "== profiler CPU per 1000 samples, backend $b (compare-perf.sh)"
		BACKEND=$b RUNS=$RUNS SECS=$SECS bash "$here/compare-perf.sh" "$build" | tail -3
	done
fi
