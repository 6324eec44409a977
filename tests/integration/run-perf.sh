#!/bin/bash
# SPDX-License-Identifier: MIT
# runner: alone: shares against CPU time under dlopen churn, moved by a neighbour's load
# The perf backend end to end: auto's choice and its reason in the
# summary, a target that exec()s another program, dlopen/dlclose churn
# that puts two libraries at one address in turn (names must follow),
# kernel frames (_[k]) where permitted, and --unwind fp on a frame-pointer
# build.
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/perf-lib.sh"
export LC_ALL=C
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"

leaf_share() { folded_leaf_share "$@"; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# auto picks perf in cpu mode and says so; ptrace for wall mode, and why.
"$TARGETS/ratio" --seconds 30 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
sleep 0.2
"$CTOP" -p "$t" --duration 0.5 -o "$WORKDIR/auto.folded" 2>"$WORKDIR/auto.err"
grep -q '^ctop-prof: perf backend: ' "$WORKDIR/auto.err"
ok $? "auto, cpu mode: the summary names perf ($(cat "$WORKDIR/auto.err"))"
"$CTOP" -p "$t" --mode wall --duration 0.5 -o "$WORKDIR/wall.folded" 2>"$WORKDIR/wall.err"
grep -q '^ctop-prof: ptrace backend: .*perf not used: --mode wall' "$WORKDIR/wall.err"
ok $? "auto, wall mode: ptrace, and why ($(cat "$WORKDIR/wall.err"))"
kill "$t"

# exec: a shell that execs ratio; the profile after the exec is ratio's,
# under its new name, rooted at _start.
"$CTOP" --backend perf -F 499 -o "$WORKDIR/exec.folded" -- \
	sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec "$0" --seconds 1' \
	"$TARGETS/ratio" >/dev/null 2>"$WORKDIR/exec.err"
ok $? "exec: recorded through the exec ($(cat "$WORKDIR/exec.err"))"
# How long the shell ran before the exec depends on this machine's speed,
# so the check is on the samples taken after it: those named ratio (ratio
# spins 1 s, at least 20 samples at 499 Hz on any machine) are ratio's
# whole stack, and no sample of the shell carries ratio's frames.
s=$(awk '/^ratio;/ { t += $NF; if (/^ratio;_start;.*;main;ratio_round;work_[ab] /) m += $NF }
	END { printf "%.1f", t ? 100 * m / t : 0 }' "$WORKDIR/exec.folded")
n=$(awk '/^ratio;/ { t += $NF } END { print t + 0 }' "$WORKDIR/exec.folded")
at_least "$s" 90 && [ "$n" -ge 20 ] && ! grep -qE '^sh;.*(ratio_round|work_[ab])' "$WORKDIR/exec.folded"
ok $? "exec: $s% of the $n samples after the exec are ratio's whole stack, under its name (want >= 90% of >= 20)"
grep -qE '^sh;(dash|sh|bash)' "$WORKDIR/exec.folded"
ok $? "exec: the shell before the exec was sampled as sh, in its own binary"

# A non-main thread execs (the exec'ing thread takes the leader's tid).
# The exec comes 300 ms after SIGUSR1, sent once ctop-prof's perf events
# are open (a loaded machine may take longer than that to start it).
"$TARGETS/spin" -b 2 -E 300 -G >"$WORKDIR/spinexec.out" 2>&1 &
t=$!
cleanup_pid "$t"
wait_for 5 grep -q ready "$WORKDIR/spinexec.out"
"$CTOP" --backend perf -p "$t" -F 499 --duration 1.2 -o "$WORKDIR/spinexec.folded" 2>"$WORKDIR/spinexec.err" &
c=$!
wait_for 20 sampling "$c" "$t"
kill -USR1 "$t"
wait "$c"
ok $? "multi-threaded exec: recorded ($(cat "$WORKDIR/spinexec.err"))"
wait_until 2 '[ "$(grep -c ready "$WORKDIR/spinexec.out")" -ge 2 ]'
ok $? "multi-threaded exec: the new image runs"
s=$(folded_share "$WORKDIR/spinexec.folded" spin_hot)
at_least "$s" 90
ok $? "multi-threaded exec: $s% of stacks in spin_hot (want >= 90%)"
kill "$t"

# dlopen/dlclose churn: libdlhot.so (dlhot_spin) 0.2 s, then libdlhot2.so
# (dlhot2_spin) 0.6 s at the same address, three times. A stale module or
# unwind cache names the second library's samples after the first.
mkfifo "$WORKDIR/cmd"
"$TARGETS/dlopener" <"$WORKDIR/cmd" >"$WORKDIR/dl.out" 2>&1 &
dl=$!
cleanup_pid "$dl"
exec 7>"$WORKDIR/cmd"
wait_for 5 grep -q ready "$WORKDIR/dl.out"
"$CTOP" --backend perf -p "$dl" -F 999 --duration 2.8 -o "$WORKDIR/churn.folded" 2>"$WORKDIR/churn.err" &
c=$!
# The loads must come after the attach, or a slow start sees only the
# second library (the maps are read when the worker reaches the event).
wait_for 20 sampling "$c" "$dl"
sleep 0.2
for i in 1 2 3; do
	echo "load $TARGETS/libdlhot.so dlhot_spin" >&7
	sleep 0.2
	echo "load $TARGETS/libdlhot2.so dlhot2_spin" >&7
	sleep 0.6
done
wait "$c"
ok $? "dlopen churn: recorded ($(cat "$WORKDIR/churn.err"))"
# One more load makes the dlopener say the CPU time the last one had.
echo "load $TARGETS/libdlhot.so dlhot_spin" >&7
wait_until 5 '[ "$(grep -c "^spent " "$WORKDIR/dl.out")" -ge 6 ]'
exec 7>&-
addrs=$(grep -c loaded "$WORKDIR/dl.out")
uniq_addrs=$(grep loaded "$WORKDIR/dl.out" | sort -u | wc -l)
diag "dlopener: $addrs loads at $uniq_addrs distinct addresses"
a=$(leaf_share "$WORKDIR/churn.folded" dlhot_spin)
b=$(leaf_share "$WORKDIR/churn.folded" dlhot2_spin)
share=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (a + b) ? 100 * b / (a + b) : 0 }')
# Which of two libraries at one address a sample hit is known from the
# MMAP2 records, in order with the samples, however late the worker gets
# to them: the maps read when it does may list the other library already
# (issue 20: 2 of 5 quiet runs named dlhot_spin's samples after dlhot2 when
# the modules came from that read). So no skip, loaded or not.
at_least "$a" 5 && at_least "$b" 5
ok $? "dlopen churn: both libraries named (dlhot_spin $a%, dlhot2_spin $b%)"
# The truth: the CPU time each library's function had, as the dlopener
# says (0.2 s and 0.6 s of wall time each round: 75% on a quiet machine,
# 53.9% of the samples once under a double load, which the wall time did
# not show).
truth=$(awk '/^spent dlhot_spin / { a += $4 } /^spent dlhot2_spin / { b += $4 }
	END { printf "%.1f", (a + b) ? 100 * b / (a + b) : 75 }' "$WORKDIR/dl.out")
within "$share" "$truth" 15
ok $? "dlopen churn: dlhot2_spin has $share% of the library time (its CPU time says $truth%, +- 15)"
# A library frame anywhere else is dlclose running the library's
# destructors (crt code without CFI, then __cxa_finalize) or dlopen its
# constructors: a whole stack, under main.
bad=$(awk '/dlhot/ && !/;main;dlhot2?_spin(;[^;]*_\[k\])* [0-9]+$/ &&
	(/\[incomplete\]/ || !/;main;(poll_command;)?([^;]*;)*[^;]*dl(close|open)[^;]*;/)' \
	"$WORKDIR/churn.folded" | head -2)
[ -z "$bad" ]
ok $? "dlopen churn: library frames sit right under main, or whole under dlclose or dlopen${bad:+ (bad: $bad)}"
# Every library lived 0.2 s or more, far longer than the rings take to
# drain (50 ms): each was seen, so no pc is in no module.
u=$(dlchurn_unknown "$WORKDIR/churn.folded")
bad=$(dlchurn_bad "$WORKDIR/churn.folded" | head -2)
[ "$u" = 0 ] && [ -z "$bad" ]
ok $? "dlopen churn: $u samples [unknown], no hot function cut loose${bad:+ (bad: $bad)}"

# A thread that starts a short thread and joins it, with 4 ms of its own
# CPU between two, at 99 Hz: its own samples follow its CPU time (the
# kernel lost about half of them, uncounted, while a new thread's events
# were a copy of its creator's: 29-33 of 59-75 due). Its samples are
# those under main().
"$CTOP" --backend perf -F 99 -o "$WORKDIR/tchurn.folded" -- \
	"$TARGETS/forkchurn" 250 3 thread >"$WORKDIR/tchurn.out" 2>"$WORKDIR/tchurn.err"
ms=$(sed -n 's/^main_ms //p' "$WORKDIR/tchurn.out")
got=$(awk '/;main;|;main$/ { n += $NF } END { print n + 0 }' "$WORKDIR/tchurn.folded")
due=$(cpu_due "$ms" 99)
follows_due "$got" "$due" 20 85 110
ok $? "thread churn at 99 Hz: the main thread has $got samples, its ${ms:-?} ms of CPU make $due (85-110%)"

# Kernel frames: root sees them, named from /proc/kallsyms.
if [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 1 ]; then
	"$CTOP" --backend perf -F 499 --duration 1 -o "$WORKDIR/kern.folded" -- \
		dd if=/dev/zero of=/dev/null bs=1M count=1000000 2>/dev/null
	k=$(awk '{ n = $NF; t += n; s = $0; sub(/ [0-9]+$/, "", s)
		if (s ~ /_\[k\]$/) m += n } END { printf "%.1f", t ? 100 * m / t : 0 }' \
		"$WORKDIR/kern.folded")
	at_least "$k" 30
	ok $? "kernel: $k% of dd's stacks end in kernel frames (want >= 30%)"
	grep -qE ';ksys_(read|write)_\[k\]' "$WORKDIR/kern.folded"
	ok $? "kernel: the frames are named (read/write system call paths)"
	grep -qE '^dd;.*;[^;]*(read|write)[^;]*;entry_SYSCALL_64[^;]*_\[k\]' "$WORKDIR/kern.folded"
	ok $? "kernel: kernel frames hang under the user stack (libc's read/write)"
else
	skip "kernel frames" "perf_event_paranoid >= 2 and not root"
fi

# --unwind fp on a frame-pointer build: the kernel's chain, no stack copy.
# spin() is a leaf without a frame of its own, so c() is skipped: that is
# what a frame-pointer walk sees.
"$TARGETS/chain-fp" >"$WORKDIR/fp.out" 2>&1 &
t=$!
cleanup_pid "$t"
wait_for 5 grep -q ready "$WORKDIR/fp.out"
"$CTOP" --backend perf --unwind fp -p "$t" -F 499 --duration 1 -o "$WORKDIR/fp.folded" 2>"$WORKDIR/fp.err"
ok $? "fp: recorded ($(cat "$WORKDIR/fp.err"))"
s=$(awk '{ n = $NF; t += n; s = $0; sub(/ [0-9]+$/, "", s)
	if (s ~ /;main;a;b;(c;)?spin$/) m += n } END { printf "%.1f", t ? 100 * m / t : 0 }' \
	"$WORKDIR/fp.folded")
at_least "$s" 90
ok $? "fp: $s% of stacks are main;a;b;[c;]spin (want >= 90%)"
kill "$t"

done_testing
