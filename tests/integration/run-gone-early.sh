#!/bin/bash
# SPDX-License-Identifier: MIT
# A target gone before the worker's first record: a short program, or one
# attached just before it ends, behind a worker that the machine does not
# schedule (or that is still reading debug information). The worker reads
# the target's maps when it makes its symbols, too late then; the files
# must reach it from the sampler (ptrace: its first maps read; perf: the
# maps told at attach, as perf record does, and the kernel's MMAP2s).
# Here the worker thread is held stopped by tests/targets/holdthread (the
# other threads run on) while ratio, attached with -p, works 0.5 s of CPU
# and exits; then let go. Its profile must be whole: work_a:work_b 75:25,
# main above them, the samples its CPU time gives. Before the fix the
# profile was empty on both backends.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
HZ=499

if perf_allowed; then backends="ptrace perf"; else
	backends=ptrace
	diag "perf not usable here ($PERF_WHY): ptrace only"
fi

# usr1_blocked PID: the target is past its sigprocmask (in sigwait).
usr1_blocked() {
	local blk
	blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$blk" ] && (( 0x$blk & 512 ))
}
# attached BACKEND CTOP_PID TARGET_PID
attached() {
	local tracer
	if [ "$1" = ptrace ]; then
		# TracerPid is the tracing thread, ctop-prof's sampler.
		tracer=$(tracer_of "$3")
		[ "${tracer:-0}" != 0 ] && [ -d "/proc/$2/task/$tracer" ]
	else
		# An event per CPU (a probe that comes and goes is one).
		[ "$(ls -l "/proc/$2/fd" 2>/dev/null | grep -c 'perf_event')" -ge "$(nproc)" ]
	fi
}

for b in $backends; do
	out=$WORKDIR/$b.folded err=$WORKDIR/$b.err
	"$TARGETS/ratio" --seconds 0.5 --after-usr1 > "$WORKDIR/$b.cpu" &
	t=$!
	cleanup_pid "$t"
	wait_for 5 usr1_blocked "$t"
	"$CTOP" --backend "$b" -F $HZ -o "$out" -p "$t" 2> "$err" &
	c=$!
	cleanup_pid "$c"
	mkfifo "$WORKDIR/$b.hold"
	"$TARGETS/holdthread" "$c" ctop-worker < "$WORKDIR/$b.hold" > "$WORKDIR/$b.held" &
	h=$!
	cleanup_pid "$h"
	# Read-write: opening never waits, should the holder be gone.
	exec 7<> "$WORKDIR/$b.hold"
	wait_for 10 grep -q '^held' "$WORKDIR/$b.held"
	ok $? "$b: the worker thread held ($(cat "$WORKDIR/$b.held"))"
	wait_for 10 attached "$b" "$c" "$t"
	ok $? "$b: attached to the waiting target"
	kill -USR1 "$t"
	wait "$t"
	# The worker meets the first record now, the target gone.
	exec 7>&-
	wait "$h"
	wait "$c"
	ok $? "$b: exit 0 ($(tail -1 "$err" | cut -c1-160))"
	cpu=$(awk '/^cpu_ms/ { print $2 }' "$WORKDIR/$b.cpu")
	due=$(cpu_due "${cpu:-0}" $HZ)
	total=$(folded_total "$out")
	[ "$total" -ge $((due / 2)) ]
	ok $? "$b: $total samples of the $due its $cpu ms of CPU give (at least half)" ||
		diag "$(head -5 "$out")"
	a=$(folded_share "$out" work_a)
	tol=$(share_tol 75 "$(samples_taken "$err" "$total")")
	within "$a" 75 "$tol"
	ok $? "$b: work_a $a% of the samples (75 +- $tol)"
	whole=$(awk '/;main;ratio_round;work_[ab] / { n += $NF } END { print n + 0 }' "$out")
	[ "$total" -gt 0 ] && [ "$whole" -ge $((total * 9 / 10)) ]
	ok $? "$b: $whole of $total samples whole (main;ratio_round;work_a|b)"
done
done_testing
