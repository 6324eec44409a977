#!/bin/bash
# SPDX-License-Identifier: MIT
# Unprivileged tier: the TUI run by the user (tmux too, so the terminal is
# the user's) on a command it launches. The command's output file and the
# `s` snapshots land in the user's directory, owned by the user; a save
# into a directory it may not write says so on the status line, and the
# TUI goes on.
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/unpriv-lib.sh"
export LC_ALL=C
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
user_bin tests/targets/spin
user_ready

TM=(tmux -L "ctopu$$" -f /dev/null)
_tui_cleanup() {
	as_user "${TM[@]}" kill-server 2>/dev/null
	_lib_cleanup
}
trap _tui_cleanup EXIT
screen() { as_user "${TM[@]}" capture-pane -t t -p; }
has() { screen | grep -qF -- "$1"; }
wait_has() { wait_for 10 has "$1"; }
keys() { as_user "${TM[@]}" send-keys -t t "$@"; }
show() { screen | sed 's/^/# |/'; }
owned() { [ "$(stat -c %u "$1" 2>/dev/null)" = "$U_UID" ]; }

as_user mkdir "$UDIR/snaps"
as_user "${TM[@]}" new-session -d -s t -x 200 -y 30 -c "$UDIR" \
	env TERM=xterm-256color sh -c '"$@"; echo "EXITED:$?"; exec sleep 600' sh \
	"$UCTOP" --snapshot-dir "$UDIR/snaps" -- "$UBIN/spin" -b 1
wait_has spin_hot
ok $? "the TUI runs as $U_NAME and shows spin_hot" || show

# The launched command's output goes to ctop-prof-<pid>.out in the
# working directory: the user's.
out=$(ls "$UDIR"/ctop-prof-*.out 2>/dev/null | head -1)
[ -n "$out" ] && owned "$out" && wait_for 5 grep -q ready "$out"
ok $? "the command's output file ${out##*/} is the user's and holds its output"

keys s
wait_has "saved "
ok $? "s: saved" || show
f=$(ls "$UDIR"/snaps/ctop-prof-*.folded 2>/dev/null | head -1)
[ -n "$f" ] && owned "$f" && [ "$(folded_total "$f")" -gt 0 ] &&
	grep -q ';spin_hot ' "$f"
ok $? "the snapshot ${f##*/} is in --snapshot-dir, the user's, with spin_hot in it" ||
	ls -la "$UDIR/snaps"
keys q
wait_has "EXITED:"
ok $? "q quits" || show
as_user "${TM[@]}" kill-server

# --snapshot-dir where the user may not write: s fails on the status line
# only, and the TUI stays up.
TM=(tmux -L "ctopu$$-1" -f /dev/null)
as_user "${TM[@]}" new-session -d -s t -x 200 -y 30 -c "$UDIR" \
	env TERM=xterm-256color sh -c '"$@"; echo "EXITED:$?"; exec sleep 600' sh \
	"$UCTOP" --snapshot-dir "$RODIR" -- "$UBIN/spin" -b 1
wait_has spin_hot
ok $? "second TUI up" || show
keys s
wait_has "save failed"
ok $? "s into a directory it may not write: save failed" || show
# One look at the message: it times out. (A wide pane: it holds a path.)
msg=$(screen | grep -o 'save failed.*' | head -1)
echo "$msg" | grep -q "rootdir: Permission denied"
ok $? "the status line says where and why: $msg" || show
keys t
sleep 0.3
! has EXITED && has spin_hot
ok $? "the TUI goes on" || show
[ -z "$(ls -A "$RODIR")" ]
ok $? "nothing was created there"
keys q
wait_has "EXITED:"
ok $? "q quits" || show
done_testing
