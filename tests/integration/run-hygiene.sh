#!/bin/bash
# SPDX-License-Identifier: MIT
# Never harm the target: whichever way ctop-prof ends (SIGKILL at random
# moments, SIGINT, SIGTERM, SIGHUP), every thread of the target is left
# running and untraced; a stopped job stays stopped while profiled.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
KILLS=${HYGIENE_KILLS:-50}


"$TARGETS/named_threads" --threads 3 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
sleep 0.3

# kill -9 at random moments, 999 Hz so that a kill often lands mid-sample.
bad=0
for i in $(seq 1 "$KILLS"); do
	"$CTOP" -p "$t" -F 999 -o "$WORKDIR/k.folded" 2>/dev/null &
	c=$!
	sleep "0.$(printf '%03d' $((RANDOM % 300)))"
	kill -KILL "$c"
	wait "$c" 2>/dev/null
	# The kernel detaches a dead tracer's tracees; give it a moment.
	if ! wait_for 2 target_healthy "$t"; then
		bad=$((bad + 1))
		diag "iteration $i: target not healthy: $(grep -h -E 'State|TracerPid' /proc/$t/task/*/status | sort | uniq -c | tr '\n' ' ')"
	fi
done
[ "$bad" = 0 ]
ok $? "SIGKILL of ctop-prof $KILLS times at random moments: target healthy every time ($bad bad)"

# A stopped job stays stopped while profiled, and CONT resumes it.
"$CTOP" -p "$t" -F 999 -o "$WORKDIR/s.folded" 2>/dev/null &
c=$!
sleep 0.5
kill -STOP "$t"
sleep 0.3
u1=$(cpu_ticks "$t")
sleep 0.5
u2=$(cpu_ticks "$t")
st=$(proc_state "$t")
[ "$u1" = "$u2" ]
ok $? "SIGSTOP while profiled: no CPU used while stopped ($u1 -> $u2 ticks, state $st)"
kill -CONT "$t"
sleep 0.5
u3=$(cpu_ticks "$t")
[ "$u3" -gt "$u2" ]
ok $? "SIGCONT while profiled: running again ($u2 -> $u3 ticks)"
kill -INT "$c"
wait "$c"
ok $? "ctop-prof exits 0 after SIGINT"
check "target healthy after SIGINT" -- target_healthy "$t"

done_testing
