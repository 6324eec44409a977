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
"$TARGETS/ratio" --seconds 60 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
for b in $backends; do
	strace -f -qq -c -e trace=rt_sigprocmask -o "$WORKDIR/$b.strace" \
		"$CTOP" --backend "$b" -F 999 --duration 2 -p "$t" \
		-o "$WORKDIR/$b.folded" 2>"$WORKDIR/$b.err"
	n=$(folded_total "$WORKDIR/$b.folded")
	calls=$(awk '$NF == "rt_sigprocmask" { print $4 }' "$WORKDIR/$b.strace")
	calls=${calls:-0}
	[ "$n" -gt 200 ] && [ "$calls" -lt $((n / 10)) ]
	ok $? "$b: $calls rt_sigprocmask calls for $n samples (want < 1 in 10 samples; without it, 5 (ptrace) to 12 (perf) per sample)"
done
kill "$t"
done_testing
