#!/bin/bash
# SPDX-License-Identifier: MIT
# Unprivileged tier: the gates and the user's files. Attaching to root's
# process is refused by every backend with the gate's one line (the cause:
# whose it is; the fix: run as that user or root), exit 1, the process
# untouched. -o and --log write into a directory the user owns; into one
# it may not write they fail before sampling, in one line.
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/unpriv-lib.sh"
export LC_ALL=C
user_bin tests/targets/spin tests/targets/fakejit
user_ready
ms_since() { echo $(( $(now_ms) - $1 )); }

# 1. A process of root's: as root the test starts one; as a user, pid 1
# when root owns it.
if [ "$(id -u)" = 0 ]; then
	start_target r "$UBIN/spin" -b 1
else
	r=1
fi
if [ "$(stat -c %u "/proc/$r" 2>/dev/null)" != 0 ]; then
	skip "attach to a process of root's" "no process of root's here (pid 1 is not root's)"
else
	for b in auto ptrace perf; do
		as_user "$UCTOP" --backend "$b" -p "$r" --duration 2 \
			-o "$UDIR/root.folded" >"$WORKDIR/root.out" 2>"$WORKDIR/root.err"
		rc=$?
		case $b in
		perf) want="^ctop-prof: perf_event_open on $r: not permitted: it belongs to uid 0, we are uid $U_UID (run as that user, as root or with CAP_PERFMON)\$" ;;
		# auto: the perf probe failed, so ptrace was tried and refused;
		# Yama, when on, is the first gate the line names.
		*) if [ "$(yama_scope)" = 0 ]; then
			want="^ctop-prof: attach to $r: not permitted: it belongs to uid 0, we are uid $U_UID (run as that user or root)\$"
		   else
			want="^ctop-prof: attach to $r: not permitted: Yama ptrace_scope is $(yama_scope), "
		   fi ;;
		esac
		[ "$rc" = 1 ] && one_line "$WORKDIR/root.err" && grep -q "$want" "$WORKDIR/root.err" &&
			[ ! -s "$WORKDIR/root.out" ] && [ ! -e "$UDIR/root.folded" ]
		ok $? "--backend $b -p (root's pid $r): exit $rc: $(cat "$WORKDIR/root.err")"
	done
	if [ "$r" != 1 ]; then
		target_healthy "$r"
		ok $? "root's process runs on, untraced and not stopped"
	fi
fi

# 2. -o into the user's own directory: a file the user owns, mode 0644
# less the umask, with the profile in it.
user_spawn t "$UBIN/spin" -b 1
as_user "$UCTOP" -p "$t" --duration 1 -o "$UDIR/own.folded" 2>"$WORKDIR/own.err"
rc=$?
want=$(printf '%o' $(( 0644 & ~$(umask) )))
got=$(stat -c '%u %a' "$UDIR/own.folded" 2>/dev/null)
[ "$rc" = 0 ] && [ "$got" = "$U_UID $want" ] &&
	[ "$(folded_share "$UDIR/own.folded" spin_hot)" != 0 ]
ok $? "-o into its own directory: exit $rc, file owner and mode '$got' (want '$U_UID $want')"
ls -A "$UDIR" | grep -q '^\.own' && diag "left over: $(ls -A "$UDIR")"
! ls -A "$UDIR" | grep -q '^\.'
ok $? "no temporary file left beside it"

# 3. -o into a directory the user may not write: one line naming the
# directory and why, before sampling: attach mode exits 1 at once (not
# after --duration), launch mode 125 and the command never starts.
s=$(now_ms)
as_user "$UCTOP" -p "$t" --duration 5 -o "$RODIR/x.folded" 2>"$WORKDIR/ro.err"
rc=$? el=$(ms_since "$s")
[ "$rc" = 1 ] && one_line "$WORKDIR/ro.err" && [ "$el" -lt 5000 ] &&
	grep -q "^ctop-prof: cannot write $RODIR/x.folded: cannot create files in directory $RODIR: Permission denied" "$WORKDIR/ro.err"
ok $? "-o into a directory it may not write, -p: exit $rc after $el ms: $(cat "$WORKDIR/ro.err")"
target_healthy "$t"
ok $? "the target was not touched"
as_user "$UCTOP" --duration 5 -o "$RODIR/x.folded" -- \
	sh -c 'echo ran >"$0"' "$UDIR/ran" 2>"$WORKDIR/ro2.err"
rc=$?
[ "$rc" = 125 ] && one_line "$WORKDIR/ro2.err" && [ ! -e "$UDIR/ran" ] &&
	grep -q "^ctop-prof: cannot write $RODIR/x.folded: cannot create files in directory $RODIR" "$WORKDIR/ro2.err"
ok $? "-o there in launch mode: exit $rc, the command did not run"
[ -z "$(ls -A "$RODIR")" ]
ok $? "nothing was created in that directory"

# 4. --log into the user's directory; into one it may not write, one line
# and exit 1. fakejit's perf map (written by the user's own process into
# /tmp) gives the log its line.
if [ "$(uname -m)" = x86_64 ]; then
	as_user "$UCTOP" -v --log "$UDIR/ctop.log" --duration 5 -o "$UDIR/jit.folded" -- \
		"$UBIN/fakejit" --seconds 1 >/dev/null 2>"$WORKDIR/jit.err"
	rc=$?
	[ "$rc" = 0 ] && [ "$(stat -c %u "$UDIR/ctop.log")" = "$U_UID" ] &&
		grep -q 'JIT names from /tmp/perf-[0-9]*\.map' "$UDIR/ctop.log" &&
		grep -qF 'jit_hot_loop_[j]' "$UDIR/jit.folded"
	ok $? "--log into its own directory: exit $rc, the user's file, says: $(head -1 "$UDIR/ctop.log")"
else
	skip "--log with a JIT map" "fakejit's machine code is x86-64"
fi
as_user "$UCTOP" -p "$t" --duration 5 -o "$UDIR/y.folded" --log "$RODIR/ctop.log" \
	2>"$WORKDIR/rolog.err"
rc=$?
[ "$rc" = 1 ] && one_line "$WORKDIR/rolog.err" && [ ! -e "$UDIR/y.folded" ] &&
	grep -q "^ctop-prof: cannot open the log $RODIR/ctop.log: Permission denied" "$WORKDIR/rolog.err"
ok $? "--log into a directory it may not write: exit $rc: $(cat "$WORKDIR/rolog.err")"

# 5. -a (every CPU) needs CPU-wide events: refused above paranoid 0
# without CAP_PERFMON, in one line naming the gate and the fix, exit 1.
if [ "$(perf_paranoid)" -gt 0 ]; then
	as_user "$UCTOP" -a --duration 1 -o "$UDIR/all.folded" 2>"$WORKDIR/all.err"
	rc=$?
	[ "$rc" = 1 ] && one_line "$WORKDIR/all.err" && [ ! -e "$UDIR/all.folded" ] &&
		grep -q "^ctop-prof: -a: sampling every CPU: not permitted: perf_event_paranoid is $(perf_paranoid) and we lack CAP_PERFMON (.*kernel.perf_event_paranoid=0" "$WORKDIR/all.err"
	ok $? "-a as a user at perf_event_paranoid $(perf_paranoid): exit $rc: $(cat "$WORKDIR/all.err")"
else
	skip "-a refused as a user" "perf_event_paranoid is $(perf_paranoid): users may sample every CPU"
fi
done_testing
