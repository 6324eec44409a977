#!/bin/bash
# SPDX-License-Identifier: MIT
# The process picker (issue 15): ctop-prof without a target on a
# terminal lists the processes like top (pid, user, CPU %, threads, RSS,
# command, by CPU), typing filters, kernel threads are hidden, Enter
# opens the live view of the chosen one, p there detaches and comes back
# to the list (its filter kept), q quits; the target is never left traced
# or stopped. As
# another user (nobody, when we are root) root's process is dimmed with
# the gate that refuses it. Without a terminal: one line pointing to -p.
# 120x30 in colour, and 80x24 with TERM=vt100 LANG=C.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
[ -x "$CTOP" ] || skip_all "no ctop-prof binary at $CTOP"
SPIN=$top_builddir/tests/targets/spin
[ -x "$SPIN" ] || skip_all "tests/targets/spin is not built"

# Targets with names no other process has: one busy thread, and one
# that only sleeps (0.0% CPU whatever the machine's load).
name=pickme$$
cp "$SPIN" "$WORKDIR/$name"
cp "$SPIN" "$WORKDIR/${name}idle"
start_target pid "$WORKDIR/$name" -b 1
start_target idle "$WORKDIR/${name}idle" -b 0 -i 1
untraced() {
	local st
	st=$(proc_state "$pid")
	[ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$pid/status")" = 0 ] &&
		[ -n "$st" ] && [ "$st" != T ] && [ "$st" != t ]
}

"$CTOP" </dev/null >"$WORKDIR/nt.out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "give -p PID.*the process list needs a terminal" "$WORKDIR/nt.out"
ok $? "no terminal: exit 2, pointing to -p ($rc: $(cat "$WORKDIR/nt.out"))"

tui_start 120 30 LC_ALL=C.UTF-8 TERM=xterm-256color --
wait_has "pick a process to profile"; ok $? "the list opens" || show
check "column titles" -- line_has 3 "PID USER       CPU%  THR    RSS  COMMAND"
keys "$name"
wait_line 1 "2 shown  filter: $name"; ok $? "typing filters: 2 shown" || show
# Two refreshes: the shares are over the last interval.
sleep 2.2
row=$(line 4) row2=$(line 5)
echo "$row" | grep -qE "^ *$pid root +[0-9.]+ +2 .*$WORKDIR/$name -b 1$"
ok $? "its row: pid, user, CPU, 2 threads, RSS, command line" || diag "$row"
echo "$row2" | grep -qE "^ *$idle root +0\.0 +2 .*$WORKDIR/${name}idle -b 0 -i 1$"
ok $? "sorted by CPU: the busy one first, the sleeping one at 0.0%" ||
	diag "$row|$row2"
cpu=$(echo "$row" | awk '{ print $3 }')
awk -v c="$cpu" 'BEGIN { exit !(c > 0) }'
ok $? "the busy one's CPU share: $cpu% (> 0)"
keys "idle"
wait_line 1 "1 shown  filter: ${name}idle"; ok $? "typing more narrows it: 1 shown" || show
keys BSpace BSpace BSpace BSpace
wait_line 1 "2 shown  filter: $name"; ok $? "Backspace widens it again" || show
keys C-u kthreadd
wait_line 1 "0 shown  filter: kthreadd"; ok $? "kernel threads hidden" || show
keys C-u "$name" Home Up Enter
wait_line 1 "pid $pid $name"; ok $? "Enter: the live view of it" || show
wait_has "spin_hot"; ok $? "its hot function shows" || show
keys p
wait_has "pick a process to profile"; ok $? "p: back to the list" || show
sleep 0.3
untraced; ok $? "after p: the target runs untraced ($(proc_state "$pid"))"
wait_line 1 "2 shown  filter: $name"
ok $? "back in the list, the filter is as it was left" || show
keys Home Enter
wait_line 1 "pid $pid $name"; ok $? "and Enter again attaches again" || show
keys q
wait_has "EXITED:0"; ok $? "q in the live view: ctop-prof exits 0" || show
untraced; ok $? "after q: the target runs untraced"

tui_start 80 24 LC_ALL=C TERM=vt100 --
wait_has "pick a process to profile"; ok $? "80x24 vt100: the list opens" || show
keys q
wait_has "EXITED:0"; ok $? "q on an empty filter quits, exit 0" || show

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	id nobody >/dev/null 2>&1; then
	chmod 711 "$WORKDIR"
	mkdir -m 755 "$WORKDIR/bin" && cp "$CTOP" "$WORKDIR/bin/" &&
		chmod 755 "$WORKDIR/bin/ctop-prof"
	TUI_BIN=setpriv
	tui_start 120 30 LC_ALL=C TERM=xterm-256color -- --reuid=nobody \
		--regid="$(id -g nobody)" --clear-groups "$WORKDIR/bin/ctop-prof"
	wait_has "pick a process to profile"; ok $? "as nobody: the list opens" || show
	keys "$name" Down Up
	wait_line 30 "belongs to uid 0"
	ok $? "as nobody: root's process selected, the gate on the bottom line" || show
	# Dim is not the only sign (vt100 has none): a '!' before the pid.
	screen | grep -qE "^!  *$pid " && ! screen | grep -qE "^! *[0-9]+ nobody "
	ok $? "as nobody: root's process marked '!', nobody's not" || show
	keys Enter
	wait_line 30 "cannot profile $pid: attach to $pid: not permitted"
	ok $? "Enter on it: refused with the reason, still in the list" || show
	keys Escape Escape
	wait_has "EXITED:0"; ok $? "Esc twice quits" || show
else
	skip "as another user" "needs root, setpriv and a nobody user"
fi
done_testing
