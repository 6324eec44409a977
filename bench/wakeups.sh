#!/bin/bash
# SPDX-License-Identifier: MIT
# The worker's wake-ups (issue 17, goal 3: ctop-prof's own CPU at low
# rates): ctop-prof attached to bench-work (THREADS busy threads) at
# -F HZ; after WARM seconds, the worker thread's voluntary context
# switches and CPU ticks over SECS seconds, per second of wall time.
# Each build dir given is measured in turn, RUNS rounds interleaved.
# Usage: bench/wakeups.sh BUILD_DIR...  (env: HZ=1 THREADS=16 SECS=5
#   WARM=2 RUNS=1 BACKEND=ptrace)
set -u
HZ=${HZ:-1} THREADS=${THREADS:-16} SECS=${SECS:-5} WARM=${WARM:-2}
RUNS=${RUNS:-1} BACKEND=${BACKEND:-ptrace}
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR..."; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one BUILD: prints "wake-ups/s worker_ms/s" of one run.
one() {
	local b=$1 w p wt v0 v1 c0 c1 t0 t1
	"$b/bench/bench-work" --threads "$THREADS" --work 4000000 >/dev/null &
	w=$!
	sleep 0.3
	"$b/ctop-prof" --backend "$BACKEND" -F "$HZ" --duration 600 \
		-o "$tmp/w.folded" -p "$w" >/dev/null 2>&1 &
	p=$!
	sleep "$WARM"
	wt=$(grep -l '^ctop-worker$' /proc/"$p"/task/*/comm | cut -d/ -f5)
	vol() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$p/task/$wt/status"; }
	ticks() { awk '{ print $14 + $15 }' "/proc/$p/task/$wt/stat"; }
	t0=$(date +%s%N) v0=$(vol) c0=$(ticks)
	sleep "$SECS"
	t1=$(date +%s%N) v1=$(vol) c1=$(ticks)
	kill -INT "$p"; wait "$p"
	kill "$w"; wait "$w" 2>/dev/null
	awk -v v=$((v1 - v0)) -v c=$((c1 - c0)) -v t=$((t1 - t0)) \
		-v hz="$(getconf CLK_TCK)" 'BEGIN { s = t / 1e9
		printf "%.0f %.1f\n", v / s, 1000 * c / hz / s }'
}

echo "== $BACKEND -F $HZ, $THREADS busy threads, $SECS s after $WARM s, $RUNS rounds"
printf '%-30s %12s %12s\n' build wake-ups/s worker_ms/s
for r in $(seq "$RUNS"); do
	for b in "$@"; do
		read -r v c <<<"$(one "$b")"
		printf '%-30s %12s %12s\n' "$b" "$v" "$c"
	done
done
