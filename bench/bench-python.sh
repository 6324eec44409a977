#!/bin/bash
# SPDX-License-Identifier: MIT
# What Python frames cost (issue 11, see README.md): profiler CPU per
# sample (ctop-prof attached: its own CPU only) on a CPython target (tests/targets/py_shares.py) with Python
# frames, with --python off, and on a native target (bench-work), per
# backend; the perf backend's chain read delay (p50/p99) and the share of
# stacks whose chain did not fit; then the ptrace pause per sample with the
# chain read and without, and the worker's CPU per sample with warm caches
# (bench-engine -P auto|off). Medians of RUNS interleaved rounds.
# Usage: bench/bench-python.sh [BUILD_DIR] (from the build directory: .)
#   env: RUNS=3 SECS=4 HZ=999 PY=python3.12 binary (default: the newest
#   pyenv 3.11+ interpreter, else /usr/bin/python3.11)
set -u
build=${1:-build}
RUNS=${RUNS:-3} SECS=${SECS:-4} HZ=${HZ:-999}
ctop=$build/ctop-prof work=$build/bench/bench-work eng=$build/bench/bench-engine
here=$(cd "$(dirname "$0")" && pwd)
job=$here/../tests/targets/py_shares.py
if [ -z "${PY:-}" ]; then
	PY=$(ls -d "$HOME"/.pyenv/versions/3.1[1-9].*/bin/python3.1[1-9] \
		2>/dev/null | sort -V | tail -1)
	[ -n "$PY" ] || PY=/usr/bin/python3.11
fi
for f in "$ctop" "$work" "$eng" "$PY"; do
	[ -x "$f" ] || { echo "missing $f (make bench/bench-work bench/bench-engine ctop-prof)"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "interpreter: $PY; $RUNS rounds of $SECS s at $HZ Hz"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'; }

# one BACKEND TARGET: ctop-prof's own CPU us per sample, attached (a
# launched target's CPU would count as ctop-prof's child's); appends a row
# "backend target us_per_sample samples delay_p50_ms delay_p99_ms misfit%".
one() {
	local be=$1 tg=$2 c n err=$tmp/err p50 p99 mis pid TIMEFORMAT='%U %S'
	local -a opt=()
	case "$tg" in
	native)	"$work" --threads 1 --work 1000000 >/dev/null & ;;
	python)	"$PY" "$job" $((SECS + 5)) >/dev/null & ;;
	pyoff)	"$PY" "$job" $((SECS + 5)) >/dev/null & opt=(--python off) ;;
	esac
	pid=$!
	sleep 0.5
	c=$( { time "$ctop" --backend "$be" -F "$HZ" --duration "$SECS" \
		"${opt[@]}" -p "$pid" -o "$tmp/o.folded" >/dev/null 2>"$err"; } 2>&1 |
		awk '{ print $1 + $2 }')
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	n=$(grep -o '[0-9]* samples in' "$err" | awk '{ print $1 }')
	p50=$(grep -o 'chain read [0-9.]* ms' "$err" | awk '{ print $3 }')
	p99=$(grep -o 'p99 [0-9.]* ms' "$err" | awk '{ print $2 }')
	mis=$(grep -o '[0-9]* did not fit' "$err" |
		awk -v n="${n:-0}" '{ printf "%.2f", n ? 100 * $1 / n : 0 }')
	echo "$be $tg $(awk -v c="$c" -v n="${n:-0}" 'BEGIN { printf "%.1f", n ? 1e6 * c / n : 0 }') ${n:-0} ${p50:--} ${p99:--} ${mis:--}" >>"$tmp/rows"
}

for r in $(seq "$RUNS"); do
	for be in ptrace perf; do
		for tg in native python pyoff; do one "$be" "$tg"; done
	done
	for P in off auto; do
		"$eng" -F "$HZ" -s "$SECS" -P "$P" -- "$PY" "$job" 1000 2>/dev/null |
			awk -v P="$P" '/pause/ { print P, $10 }
				/worker warm/ { print P "-warm", $5 }' >>"$tmp/pause"
	done
done

printf '%-7s %-7s %12s %8s %10s %10s %8s\n' backend target us/sample samples \
	delay_p50 delay_p99 misfit%
for be in ptrace perf; do
	for tg in native python pyoff; do
		rows=$(awk -v b="$be" -v t="$tg" '$1 == b && $2 == t' "$tmp/rows")
		printf '%-7s %-7s %12s %8s %10s %10s %8s\n' "$be" "$tg" \
			"$(echo "$rows" | awk '{ print $3 }' | median)" \
			"$(echo "$rows" | awk '{ print $4 }' | median)" \
			"$(echo "$rows" | awk '{ print $5 }' | median)" \
			"$(echo "$rows" | awk '{ print $6 }' | median)" \
			"$(echo "$rows" | awk '{ print $7 }' | median)"
	done
done
off=$(awk '$1 == "off" { print $2 }' "$tmp/pause" | median)
on=$(awk '$1 == "auto" { print $2 }' "$tmp/pause" | median)
woff=$(awk '$1 == "off-warm" { print $2 }' "$tmp/pause" | median)
won=$(awk '$1 == "auto-warm" { print $2 }' "$tmp/pause" | median)
echo "worker CPU per sample, warm caches (bench-engine replay): $woff us without Python frames, $won us with them"
echo "ptrace pause p50: $off us without the chain, $on us with it ($(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x)"
