#!/bin/bash
# SPDX-License-Identifier: MIT
# Target safety at scale: ctop-prof killed at random moments (SIGKILL,
# SIGSEGV, SIGABRT, SIGBUS) KILL_LOOPS times (default 200) attached to a
# multi-threaded target at 999 Hz, and 50 times in launch mode; the
# target is never left stopped (t/T) or traced, and keeps running (its CPU
# time grows). The TUI's crash loop runs with HANGUP_CRASHES=50.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
N=${KILL_LOOPS:-200}
sigs=(KILL SEGV ABRT BUS)

"$TARGETS/lifecycle" --threads 8 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
sleep 0.3
bad=0 stalled=0
for i in $(seq 1 "$N"); do
	sig=${sigs[$((i % 4))]}
	"$CTOP" -p "$t" -F 999 -o "$WORKDIR/k.folded" 2>/dev/null &
	c=$!
	sleep "0.$(printf '%03d' $((RANDOM % 400)))"
	kill -"$sig" "$c"
	wait "$c" 2>/dev/null
	if ! wait_for 2 target_healthy "$t"; then
		bad=$((bad + 1))
		diag "iteration $i (SIG$sig): $(grep -h -E 'State|TracerPid' /proc/$t/task/*/status | sort | uniq -c | tr '\n' ' ')"
	fi
	u1=$(cpu_ticks "$t"); sleep 0.05; u2=$(cpu_ticks "$t")
	[ "$u2" -gt "$u1" ] || stalled=$((stalled + 1))
done
[ "$bad" = 0 ]
ok $? "attached, $N kills (SIGKILL/SEGV/ABRT/BUS) at random moments: target healthy every time ($bad bad)"
[ "$stalled" -le $((N / 20)) ]
ok $? "the target kept running: CPU time grew after $((N - stalled)) of $N kills"
kill "$t"

# Launch mode: ctop-prof dies, the command it launched runs on untraced.
bad=0
for i in $(seq 1 50); do
	"$CTOP" -F 999 -o "$WORKDIR/l.folded" -- "$TARGETS/lifecycle" --threads 4 >/dev/null 2>&1 &
	c=$!
	sleep "0.$(printf '%03d' $((RANDOM % 400 + 100)))"
	k=$(pgrep -P "$c" lifecycle | head -1)
	kill -KILL "$c"
	wait "$c" 2>/dev/null
	if [ -z "$k" ] || ! wait_for 2 target_healthy "$k"; then
		bad=$((bad + 1))
		diag "launch iteration $i: child ${k:-none}: $(proc_state "${k:-0}") $(tracer_of "${k:-0}")"
	fi
	[ -n "$k" ] && kill -KILL "$k" 2>/dev/null
done
[ "$bad" = 0 ]
ok $? "launch mode, 50 SIGKILLs of ctop-prof: the command left running and untraced every time ($bad bad)"

# The TUI, 50 crash signals.
if command -v tmux >/dev/null; then
	HANGUP_CRASHES=50 bash "$top_srcdir/tests/tui/run-hangup.sh" >"$WORKDIR/hangup.log" 2>&1
	grep -q 'to the TUI 50 times.*(0 bad)' "$WORKDIR/hangup.log"
	ok $? "TUI: $(grep -o 'SIGSEGV.*' "$WORKDIR/hangup.log")"
else
	skip "TUI crash loop" "tmux is not installed"
fi
done_testing
