#!/bin/bash
# SPDX-License-Identifier: MIT
# -a with many processes alive: N small processes (sh loops, each busy
# about BUSY iterations then asleep for NAP s, so all of them are sampled
# now and then), ctop-prof -a for SECS: its peak RSS (sampled every 0.5 s),
# its CPU time, the samples per second, the per-process states made and
# evicted (the summary line). Needs root or CAP_PERFMON.
# Usage: bench/all-scale.sh [BUILD_DIR]   env: N=200 SECS=20 HZ=99
#   BUSY=1000 NAP=2
set -u
build=${1:-build}
N=${N:-200} SECS=${SECS:-20} HZ=${HZ:-99} BUSY=${BUSY:-1000} NAP=${NAP:-2}
ctop=$build/ctop-prof
[ -x "$ctop" ] || { echo "build first: make ctop-prof"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq "$N"); do
	sh -c "while :; do i=0; while [ \$i -lt $BUSY ]; do i=\$((i+1)); done; sleep $NAP; done" &
	pids+=($!)
done
sleep "$NAP"
"$ctop" -a -F "$HZ" --duration "$SECS" -o "$tmp/all.folded" 2>"$tmp/err" &
c=$!
peak=0
while kill -0 "$c" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$c/status" 2>/dev/null)
	[ "${rss:-0}" -gt "$peak" ] && peak=$rss
	ticks=$(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo "$ticks")
	sleep 0.5
done
wait "$c"
echo "processes alive: $N (+ the machine's own)"
echo "ctop-prof peak RSS: $((peak / 1024)) MiB; CPU: $(awk -v t="${ticks:-0}" \
	-v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / h }') s over ${SECS} s"
echo "sh processes with samples: $(awk '{ split($0, f, ";"); if (f[1] ~ / sh$/) p[f[1]] = 1 }
	END { print length(p) }' "$tmp/all.folded")"
cat "$tmp/err"
