#!/bin/bash
# SPDX-License-Identifier: MIT
# Target lifecycle on the perf backend, the cheap items of run-lifecycle.sh:
# the target exits mid-profile (data kept, --output written, exit 0
# attached, the command's own status launched, "process N exited" in the
# live view), forked children are not profiled, and a target stopped at
# attach stays stopped and untraced. Every run must name perf in its
# summary: a fallback to ptrace would not test this backend.
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/perf-lib.sh"
export LC_ALL=C
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"
LC=$TARGETS/lifecycle

on_perf() { grep -q '^ctop-prof: perf backend: ' "$1"; }

# 1. The target exits mid-profile, attached.
"$LC" --exit-after 1500 >"$WORKDIR/exit.out" 2>&1 &
t=$!
cleanup_pid "$t"
wait_for 5 grep -q . "$WORKDIR/exit.out"
"$CTOP" --backend perf -p "$t" -F 999 -o "$WORKDIR/exit.folded" 2>"$WORKDIR/exit.err"
rc=$?
# Timed from the target's exit (its last line's file time), as in
# run-lifecycle.sh: noticed on its own, not after a loaded machine's delays.
el=$(( $(now_ms) - $(stat -c '%.3Y' "$WORKDIR/exit.out" | tr -d .) ))
[ "$rc" = 0 ] && [ "$el" -lt 5000 ] && on_perf "$WORKDIR/exit.err" &&
	grep -q '^cpu_ms ' "$WORKDIR/exit.out"
ok $? "perf: target exit ends an attached recording: exit $rc, $el ms after the target's exit ($(head -c 100 "$WORKDIR/exit.err"))"
n=$(folded_total "$WORKDIR/exit.folded" 2>/dev/null || echo 0)
# Stacks through lc_spin_exit, whatever their leaf: perf's timer can fire
# in the kernel on the target's behalf (here, where the VM enables
# interrupts again, pvm_irq_enable), more so the more the machine switches
# tasks: 75.2% of leaves were lc_spin_exit beside a loaded machine's
# strace and perf record.
s=$(folded_share "$WORKDIR/exit.folded" lc_spin_exit 2>/dev/null || echo 0)
leaf=$(folded_leaf_share "$WORKDIR/exit.folded" lc_spin_exit 2>/dev/null || echo 0)
# Every sample the summary counts is in the file, and they are at least a
# quarter of what the target's CPU time is worth at 999 Hz (perf counts
# CPU time only; the attach takes part of the run).
cpu_ms=$(awk '/^cpu_ms/ { print $2 }' "$WORKDIR/exit.out")
want=$(( ${cpu_ms:-0} * 999 / 4000 )); [ "$want" -lt 1 ] && want=1
[ "$n" = "$(grep -oE '[0-9]+ samples' "$WORKDIR/exit.err" | head -1 | cut -d' ' -f1)" ] &&
	[ "$n" -ge "$want" ] && awk -v s="$s" 'BEGIN { exit !(s >= 90) }'
ok $? "perf: --output written with the data: $n samples as the summary says (want $want for ${cpu_ms:-?} ms of CPU), $s% in lc_spin_exit ($leaf% with it as the leaf)" ||
	diag "$(awk '{ print $NF, $0 }' "$WORKDIR/exit.folded" 2>/dev/null | sort -rn | head -5 | cut -d' ' -f2-)"

# Launched: the command's own status.
"$CTOP" --backend perf -F 999 -o "$WORKDIR/exit7.folded" -- "$LC" --exit-after 700 7 \
	>"$WORKDIR/exit7.out" 2>"$WORKDIR/exit7.err"
rc=$?
n=$(folded_total "$WORKDIR/exit7.folded" 2>/dev/null || echo 0)
cpu_ms=$(awk '/^cpu_ms/ { print $2 }' "$WORKDIR/exit7.out")
want=$(( ${cpu_ms:-0} * 999 / 2000 )); [ "$want" -lt 1 ] && want=1
[ "$rc" = 7 ] && [ "$n" -ge "$want" ] && on_perf "$WORKDIR/exit7.err"
ok $? "perf: launched command exits 7: ctop-prof exits $rc, $n samples written (want $want for ${cpu_ms:-?} ms of CPU)"

# The live view says "process N exited" and keeps running until q.
if command -v tmux >/dev/null 2>&1; then
	TM=(tmux -L "ctopperf$$" -f /dev/null)
	"$LC" --exit-after 1500 >/dev/null 2>&1 &
	t=$!
	cleanup_pid "$t"
	"${TM[@]}" new-session -d -s t -x 100 -y 24 -c "$WORKDIR" env -i \
		PATH="$PATH" LC_ALL=C TERM=xterm sh -c \
		'"$@"; echo "EXITED:$?"; exec sleep 60' sh "$CTOP" \
		--backend perf -p "$t" -F 999
	has() { "${TM[@]}" capture-pane -t t -p | grep -qF -- "$1"; }
	wait_for 10 has "process $t exited"
	st=$?
	sleep 0.5
	has lc_spin_exit && ! has EXITED: && [ "$st" = 0 ]
	ok $? "perf: live view: \"process $t exited\", the data stays on screen" ||
		"${TM[@]}" capture-pane -t t -p | sed 's/^/# |/'
	"${TM[@]}" send-keys -t t q
	wait_for 5 has EXITED:0
	ok $? "perf: live view: q after the target's exit: exit 0"
	"${TM[@]}" kill-server 2>/dev/null
else
	skip "perf: live view says the target exited" "tmux is not installed"
	skip "perf: live view: exit 0 after q" "tmux is not installed"
fi

# 2. fork: the events follow threads, not children.
start_target t "$TARGETS/forker" 4
"$CTOP" --backend perf -p "$t" -F 499 --duration 1.5 -o "$WORKDIR/fork.folded" 2>"$WORKDIR/fork.err"
rc=$?
kids=$(pgrep -P "$t" | wc -l)
p=$(folded_share "$WORKDIR/fork.folded" parent_work)
k=$(folded_share "$WORKDIR/fork.folded" child_work)
[ "$rc" = 0 ] && [ "$kids" -ge 1 ] && on_perf "$WORKDIR/fork.err" &&
	awk -v p="$p" -v k="$k" 'BEGIN { exit !(p > 50 && k == 0) }'
ok $? "perf: fork: exit $rc, $kids children, parent_work $p%, child_work $k% (children not profiled)"
kill "$t"

# 3. Stopped at attach: stays stopped, uses no CPU, untraced after.
start_target t "$LC" --threads 3
kill -STOP "$t"
wait_until 2 '[ "$(proc_state "$t")" = T ]'
u1=$(cpu_ticks "$t")
"$CTOP" --backend perf -p "$t" -F 999 --duration 1 -o "$WORKDIR/stopped.folded" 2>"$WORKDIR/stopped.err"
rc=$?
u2=$(cpu_ticks "$t")
states=$(awk '/^State:/ { print $2 }' /proc/"$t"/task/*/status | sort | uniq -c | tr -s ' \n' ' ')
tracers=$(awk '/^TracerPid:/ { print $2 }' /proc/"$t"/task/*/status | sort -u | tr '\n' ' ')
[ "$rc" = 0 ] && [ "$u1" = "$u2" ] && [ "$states" = " 3 T " ] &&
	[ "$tracers" = "0 " ] && on_perf "$WORKDIR/stopped.err"
ok $? "perf: stopped at attach: exit $rc, no CPU used ($u1 -> $u2 ticks), after: states$states, TracerPid $tracers"
kill -CONT "$t"
# Until its CPU time grows: 0.3 s of wall time may hold no tick of it
# on a loaded machine (1-3% of a CPU beside 64 busy threads).
wait_until 10 '[ "$(cpu_ticks "$t")" -gt "$u2" ]'
u3=$(cpu_ticks "$t")
[ "$u3" -gt "$u2" ] && target_healthy "$t"
ok $? "perf: stopped at attach: SIGCONT afterwards resumes it ($u2 -> $u3 ticks)"
kill "$t"

done_testing
