#!/bin/bash
# SPDX-License-Identifier: MIT
# Unprivileged tier: short --backend auto recordings run again and again
# as the user (a user once saw one run in four die of SIGSEGV). Ten runs
# of 1 s at 499 Hz (more samples, more walks) over five targets, launched
# and attached to: the README's demo, busy threads, a qsort callback in a
# frame-pointer build (walks that change between frame pointers and
# DWARF), thread churn (threads that come and go while perf opens events)
# and a deep recursion (stacks cut short). Each must exit as documented,
# print one summary line naming the backend auto picked, and write a
# well-formed profile of that target.
#   UNPRIV_RUNS   number of runs (default 10)
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/unpriv-lib.sh"
export LC_ALL=C
user_bin ctop-demo tests/targets/spin tests/targets/qsortcb-fp \
	tests/targets/threadchurn tests/targets/recurse
user_ready
runs=${UNPRIV_RUNS:-10}
if [ "$(perf_paranoid)" -le 2 ]; then backend=perf; else backend=ptrace; fi
diag "auto should pick $backend (perf_event_paranoid $(perf_paranoid))"

user_spawn spin "$UBIN/spin" -b 2
user_spawn churn "$UBIN/threadchurn"
# ptrace under Yama: -p refused, so those runs launch the target instead.
attach=1
[ "$backend" = ptrace ] && [ "$(yama_scope)" != 0 ] && attach=0

# well_formed FILE COMM FRAME: folded lines, each stack rooted at COMM,
# and FRAME in the profile (an empty FRAME: an empty profile will do).
well_formed() {
	local bad
	bad=$(grep -cvE '^[^ ;][^;]*(;[^;]+)* [1-9][0-9]*$' "$1")
	[ "$bad" = 0 ] && ! grep -qv "^$2;" "$1" &&
		{ [ -z "$3" ] || grep -qE "(^|;)$3(;| )" "$1"; }
}

# One run: a target (launched or attached to), its process name, a frame
# it must show, and the exit status ctop-prof must give. The demo ends
# on SIGTERM with status 0; the other launched targets die of it (143).
fails=0
for i in $(seq 1 "$runs"); do
	f=$UDIR/run$i.folded
	case $((i % 5)) in
	1) what="launch ctop-demo" comm=ctop-demo frame=main want=0
	   cmd=(-- "$UBIN/ctop-demo") ;;
	2) what="-p spin" comm=spin frame=spin_hot want=0
	   cmd=(-p "$spin") ;;
	3) what="launch qsortcb-fp" comm=qsortcb-fp frame=compare_ints want=143
	   cmd=(-- "$UBIN/qsortcb-fp") ;;
	# Each thread of threadchurn runs about 1 ms, less than the 10 ms
	# period of its perf event: perf may well see none of them.
	4) what="-p threadchurn" comm=threadchurn frame= want=0
	   cmd=(-p "$churn") ;;
	0) what="launch recurse" comm=recurse frame=rec want=143
	   cmd=(-- "$UBIN/recurse") ;;
	esac
	if [ "$attach" = 0 ] && [ "${cmd[0]}" = -p ]; then
		what="launch $comm" want=143 cmd=(-- "$UBIN/$comm")
		[ "$comm" = spin ] && cmd+=(-b 2)
	fi
	as_user "$UCTOP" --backend auto -F 499 --duration 1 -o "$f" "${cmd[@]}" \
		>"$WORKDIR/run$i.out" 2>"$WORKDIR/run$i.err"
	rc=$?
	n=$(folded_total "$f" 2>/dev/null)
	[ "$rc" = "$want" ] && one_line "$WORKDIR/run$i.err" &&
		grep -q "^ctop-prof: $backend backend: [0-9]* samples .*; wrote $f" "$WORKDIR/run$i.err" &&
		well_formed "$f" "$comm" "$frame"
	ok $? "run $i, $what: exit $rc (want $want), ${n:-0} samples${frame:+, $frame seen}" || {
		fails=$((fails + 1))
		sed 's/^/# stderr: /' "$WORKDIR/run$i.err" | head -5
		[ -f "$f" ] && sort -t' ' -k2 -nr "$f" | head -3 | cut -c1-200 | sed 's/^/# /'
	}
done
diag "$fails of $runs runs failed"
target_healthy "$spin" && target_healthy "$churn"
ok $? "the attached targets run on, untraced and not stopped"
done_testing
