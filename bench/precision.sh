#!/bin/bash
# SPDX-License-Identifier: MIT
# How close the ptrace backend's shares come to the truth, and for how
# many stops of the target: tests/targets/ratio (work_a 75% of its CPU
# time, work_b 25%, by construction), attached with `--backend ptrace -F
# HZ --duration SECS`, RUNS runs per build interleaved on one target.
# Prints per build the stops (samples taken), samples (their weight) and
# what they are worth (the summary's Kish effective number; "-" from a
# build without it) per run, medians; work_a's root-mean-square distance
# from 75 points over the runs, beside the binomial deviation expected of
# that many (worth, else samples); and error^2 x stops, the information
# a stop buys: lower is better.
# Usage: bench/precision.sh BUILD_DIR [OTHER_BUILD_DIR]
#        (env: RUNS=150 SECS=1 HZ=99: about 9 minutes for two builds)
set -u
build=${1:-build} other=${2:-}
RUNS=${RUNS:-150} SECS=${SECS:-1} HZ=${HZ:-99}
target=$build/tests/targets/ratio
if [ ! -x "$target" ] || [ ! -x "$build/ctop-prof" ]; then
	echo "build first: make ctop-prof tests/targets/ratio"; exit 1
fi
[ -z "$other" ] || [ -x "$other/ctop-prof" ] || { echo "no $other/ctop-prof"; exit 1; }
tmp=$(mktemp -d)
"$target" --seconds 100000 >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 0.5

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# one NAME DIR: a run; appends "share taken samples worth" to $tmp/NAME.
one() {
	"$2/ctop-prof" --backend ptrace -F "$HZ" -p "$pid" --duration "$SECS" \
		-o "$tmp/f.folded" 2>"$tmp/err" </dev/null || return
	awk -v line="$(grep 'backend:' "$tmp/err")" '
		{ t += $NF; if ($0 ~ /;work_a( |;|$)/) a += $NF }
		END {	n = line; sub(/ samples in .*/, "", n); sub(/.*: /, "", n)
			k = n; if (match(line, /[0-9]+ taken/)) k = substr(line, RSTART, RLENGTH - 6)
			e = "-"; if (match(line, /worth [0-9]+/)) e = substr(line, RSTART + 6, RLENGTH - 6)
			printf "%.2f %d %d %s\n", t ? 100 * a / t : 0, k, n, e }' \
		"$tmp/f.folded" >>"$tmp/$1"
}

names="this"
[ -n "$other" ] && names="this other"
for _ in $(seq 1 "$RUNS"); do
	one this "$build"
	[ -n "$other" ] && one other "$other"
done
echo "ptrace, -F $HZ, ${SECS} s runs on ratio (work_a 75%), $RUNS runs per build"
printf '%-6s %10s %12s %10s %10s %10s %14s\n' build stops/run samples/run worth/run "rms error" expected "error^2*stops"
for name in $names; do
	stops=$(awk '{ print $2 }' "$tmp/$name" | median)
	samples=$(awk '{ print $3 }' "$tmp/$name" | median)
	worth=$(awk '$4 != "-" { print $4 }' "$tmp/$name" | median)
	awk -v name="$name" -v stops="$stops" -v samples="$samples" -v worth="$worth" '
		{ e += ($1 - 75) ^ 2; n++ }
		END { rms = sqrt(e / n); eff = worth != "-" ? worth : samples
			printf "%-6s %10s %12s %10s %10.2f %10.2f %14.0f\n", name, stops, samples,
				worth, rms, 100 * sqrt(0.1875 / eff), rms * rms * stops }' "$tmp/$name"
done
