#!/bin/bash
# SPDX-License-Identifier: MIT
# Performance round 2 (issue 17): the six figures, each beside its anchor
# measured in the same run, by the benches that own them:
#   1 ptrace pause per sample against the bare round trip   pause.sh
#   2 bytes per perf sample against perf record             stack-auto.sh
#   3 profiler CPU against perf record + perf script,
#     a short run and a 60 s one                            compare-perf.sh
#   4 first table after attach and peak memory, beside perf first.sh
#     and memory over a long run of the demo                memory.sh
#   5 bytes on the wire against htop -d 10                  wire.sh
#   6 target slowdown at 999 Hz against perf record         bench-perf.sh
# Each bench's whole output is kept in OUT (default: a new directory
# under /tmp, named at the end); the summary quotes their result lines.
# Takes about 40 minutes (10 of them the demo's long run, MEM_SECS); run
# it on an otherwise idle machine.
# Usage: bench/round2.sh [BUILD_DIR]   (env: RUNS=5 OUT=DIR ONLY="1 2 ..."
#   MEM_SECS=600)
set -u
build=${1:-build}
RUNS=${RUNS:-5} ONLY=${ONLY:-1 2 3 4 5 6}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$(mktemp -d /tmp/ctop-round2.XXXXXX)}
mkdir -p "$out"
[ -x "$build/ctop-prof" ] || { echo "build first: make ctop-prof ctop-demo bench/bench-engine bench/bench-work tests/targets/ratio"; exit 1; }

want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
# step N NAME ENV... -- SCRIPT: runs a bench into $out/NAME.log.
step() {
	local n=$1 name=$2
	shift 2
	echo "[$n] $name: $(date +%T)"
	env "$@" "$build" >"$out/$name.log" 2>&1
}

want 1 && step 1 pause RUNS="$RUNS" SECS=3 HZ=999 bash "$here/pause.sh"
want 2 && step 2 stack-auto RUNS="$RUNS" HZ=499 bash "$here/stack-auto.sh"
if want 3; then
	step 3 cpu-short RUNS="$RUNS" SECS=5 HZ=999 BACKEND=perf bash "$here/compare-perf.sh"
	step 3 cpu-long RUNS=3 SECS=60 HZ=999 BACKEND=perf bash "$here/compare-perf.sh"
	step 3 cpu-short-ptrace RUNS="$RUNS" SECS=5 HZ=999 BACKEND=ptrace bash "$here/compare-perf.sh"
fi
want 4 && step 4 first RUNS="$RUNS" DELAY=0.5 HZ=999 bash "$here/first.sh"
want 4 && step 4 memory SECS="${MEM_SECS:-600}" STEP=60 HZ=999 bash "$here/memory.sh"
want 5 && step 5 wire RUNS="$RUNS" SECS=15 WARM=10 bash "$here/wire.sh"
want 6 && step 6 slowdown RUNS="$RUNS" WORK=4000 SINGLE="base perf999 auto999 rec999" MULTI= \
	SKIP_CPU=1 bash "$here/bench-perf.sh"

quote() { [ -f "$out/$1" ] && sed -n "$2" "$out/$1" | sed 's/^/    /'; }
echo
echo "issue 17, the six figures (medians; the anchor from the same run); logs in $out"
want 1 && { echo "1 ptrace pause (goal: p50 <= 2x the bare round trip, p99 <= 150 us)"
	quote pause.log '/^ptrace pause/,$p'; }
want 2 && { echo "2 bytes per perf sample (goal: median <= 4096, truncated < 0.5%; perf record beside)"
	quote stack-auto.log '/^perf backend,/,$p'; }
want 3 && { echo "3 profiler CPU against perf record + perf script (goal: <= 0.3x short, <= 0.15x in 60 s)"
	for f in cpu-short cpu-long cpu-short-ptrace; do
		[ -f "$out/$f.log" ] || continue
		echo "  $f:"
		quote "$f.log" '/^median CPU/,$p'
	done; }
want 4 && { echo "4 first table after attach, peak RSS (goal: as now, about 0.55 s at -d 0.5; RSS < 100 MB)"
	quote first.log '/^first table/,$p'
	echo "  memory over a long run of the demo (goal: <= 30 MB for a million samples, stable):"
	quote memory.log '/^peak RSS/,$p'; }
want 5 && { echo "5 bytes on the wire (goal: the table at most htop -d 10's)"
	quote wire.log '/^bytes per second/,$p'; }
want 6 && { echo "6 target slowdown at 999 Hz (goal: the perf backend at most perf record's)"
	quote slowdown.log '/^==/,$p'; }
exit 0
