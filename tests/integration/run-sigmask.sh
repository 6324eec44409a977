#!/bin/bash
# SPDX-License-Identifier: MIT
# libunwind sets the signal mask around its lock at every step: two
# rt_sigprocmask system calls per frame, twelve per sample, two thirds of
# the worker's CPU on a VM. ctop-prof's own sigprocmask (unwind/sigmask.c)
# answers them on the worker, which blocks every signal: counted here by
# strace on each backend, against the samples taken.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
command -v strace >/dev/null || skip_all "strace is not installed"
ptrace_allowed || skip_all "ptrace not permitted here"
nm -D "$CTOP" 2>/dev/null | grep -qE ' T sigprocmask$'
ok $? "ctop-prof exports its sigprocmask, so libunwind's calls find it first"
backends=ptrace
perf_allowed && backends="ptrace perf"
# strace -f follows ctop-prof's threads; the target runs on its own
# (launched, ctop-prof's child would be traced by strace too).
"$TARGETS/ratio" --seconds 600 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
# Each run ends (SIGINT to ctop-prof, strace's child) once the target had
# 300 ms of CPU time while sampled: a 2 s run with a fixed bound (200
# samples at 999 Hz) asked for CPU time that a loaded machine does not
# give (1-3% of a CPU beside 64 busy threads: a few dozen samples). At
# least half of what that CPU time makes at 999 Hz is asked: ptrace 464
# for 364 due, perf 474 for 337 alone; 399 for 326 and 400 for 319
# beside 64 busy threads (the samples before the first look and after
# the last count too).
for b in $backends; do
	strace -f -qq -c -e trace=rt_sigprocmask -o "$WORKDIR/$b.strace" \
		"$CTOP" --backend "$b" -F 999 --duration 300 -p "$t" \
		-o "$WORKDIR/$b.folded" 2>"$WORKDIR/$b.err" &
	s=$!
	wait_until 20 'c=$(pgrep -P "$s"); [ -n "$c" ] && runs_exe "$c" "$CTOP"'
	wait_for 20 sampling "$c" "$t"
	wait_for 20 catches_signal "$c" INT
	cpu0=$(proc_cpu_ms "$t")
	wait_until 120 '[ $(( $(proc_cpu_ms "$t") - cpu0 )) -ge 300 ]'
	cpu1=$(proc_cpu_ms "$t")
	kill -INT "$c"
	wait "$s"
	n=$(folded_total "$WORKDIR/$b.folded")
	due=$(cpu_due $((cpu1 - cpu0)) 999)
	calls=$(awk '$NF == "rt_sigprocmask" { print $4 }' "$WORKDIR/$b.strace")
	calls=${calls:-0}
	follows_due "$n" "$due" 100 50 && [ "$calls" -lt $((n / 10)) ]
	ok $? "$b: $calls rt_sigprocmask calls for $n samples (want < 1 in 10 samples; without it, 5 (ptrace) to 12 (perf) per sample; the target's $((cpu1 - cpu0)) ms of CPU make $due samples, want >= 50%)"
done
kill "$t"
done_testing
