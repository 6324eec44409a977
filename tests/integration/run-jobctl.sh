#!/bin/bash
# SPDX-License-Identifier: MIT
# Job control in a recording: kill -TSTP stops ctop-prof, never the
# target: every thread is released first (ptrace: detached, TracerPid 0,
# never in state t; perf: events disabled, nothing lost), so the target
# runs on while ctop-prof is stopped; kill -CONT resumes the recording,
# which then holds samples from before the stop and after it. The target
# execs while ctop-prof is stopped: the samples after it are named from
# the new program (lc_before_exec before, spin_hot after).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"

# all_threads PID CMD: CMD (a function) holds for every thread of PID.
untraced() { [ "$(tracer_of "$1")" = 0 ] && [ "$(proc_state "$1")" != t ]; }
all_threads() {
	local t
	for t in /proc/"$1"/task/*; do "$2" "${t#/proc/}" || return 1; done
}
# TracerPid names the tracing thread: one of ctop-prof's.
traced_by() { local t; t=$(tracer_of "$1"); [ "${t:-0}" != 0 ] && [ -d "/proc/$CPID/task/$t" ]; }

jobctl() {
	local be=$1 pid k0 k1 st
	"$TARGETS/lifecycle" --exec-after 3000 "$TARGETS/spin" -b 1 \
		>"$WORKDIR/$be.out" 2>&1 &
	pid=$!
	cleanup_pid "$pid"
	wait_for 5 grep -q ready "$WORKDIR/$be.out"
	"$CTOP" --backend "$be" -p "$pid" --duration 6 \
		-o "$WORKDIR/$be.folded" 2>"$WORKDIR/$be.err" &
	CPID=$!
	cleanup_pid "$CPID"
	sleep 1
	kill -TSTP "$CPID"
	wait_for 5 eval '[ "$(proc_state $CPID)" = T ]'
	ok $? "$be: kill -TSTP stops ctop-prof (state $(proc_state $CPID))"
	wait_for 5 all_threads "$pid" untraced
	ok $? "$be: while it is stopped no thread of the target is traced or in state t"
	k0=$(cpu_ticks "$pid")
	sleep 3	# the target execs meanwhile
	k1=$(cpu_ticks "$pid")
	st=$(proc_state "$CPID")
	[ "$st" = T ] && [ "$k1" -gt "$k0" ] && all_threads "$pid" untraced
	ok $? "$be: the target ran on meanwhile (CPU ticks $k0 -> $k1), still untraced, ctop-prof still stopped ($st)"
	grep -q "^ready" "$WORKDIR/$be.out" && [ "$(grep -c ready "$WORKDIR/$be.out")" -ge 2 ]
	ok $? "$be: the target exec'd while ctop-prof was stopped"
	kill -CONT "$CPID"
	if [ "$be" = ptrace ]; then
		wait_for 5 all_threads "$pid" traced_by
		ok $? "$be: after SIGCONT every thread is seized again ($(cat /proc/$pid/task/*/status | awk '/^(Name|State|TracerPid)/ { printf "%s ", $2 }'))"
	fi
	wait "$CPID"
	ok $? "$be: the recording ends normally ($(cat "$WORKDIR/$be.err"))"
	[ "$(folded_share "$WORKDIR/$be.folded" lc_before_exec)" != 0 ]
	ok $? "$be: samples from before the stop (lc_before_exec)"
	[ "$(folded_share "$WORKDIR/$be.folded" spin_hot)" != 0 ]
	ok $? "$be: samples from after it, named from the new program (spin_hot)"
	target_healthy "$pid"
	ok $? "$be: target healthy afterwards"
	kill "$pid" 2>/dev/null
}

jobctl ptrace
if perf_allowed; then
	jobctl perf
	grep -q ", 0 lost," "$WORKDIR/perf.err"
	ok $? "perf: nothing counted lost over the stop (events disabled)"
else
	skip "perf: job control" "$PERF_WHY"
fi
done_testing
