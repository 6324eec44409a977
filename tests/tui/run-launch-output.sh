#!/bin/bash
# SPDX-License-Identifier: MIT
# Where a launched command's output goes, and the --log file: under the
# TUI a new private file nobody can predict (in $XDG_RUNTIME_DIR, else the
# working directory), named on the status line, else /dev/null with a
# warning, never the screen; --command-output FILE and --log FILE follow
# the --output rules for what exists (no planted link, no FIFO hang).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
D=$WORKDIR
# Prints a marker to stdout and stderr, then keeps printing.
CMD='echo MARK-OUT; echo MARK-ERR >&2; while :; do echo MARK-MORE; sleep 0.2; done'

# 1. $XDG_RUNTIME_DIR: the file is there, private, named on the status line.
mkdir -m 700 "$D/run"
tui_start 120 30 TERM=xterm-256color XDG_RUNTIME_DIR="$D/run" -- \
	--backend ptrace -- sh -c "$CMD"
wait_has "output of the command: $D/run/ctop-prof-"
ok $? "the status line names the file in XDG_RUNTIME_DIR" || show
f=$(ls "$D/run" 2>/dev/null | head -1)
[[ "$f" =~ ^ctop-prof-([0-9]+)-[A-Za-z0-9]{6}\.out$ ]]
ok $? "name ctop-prof-PID-XXXXXX.out: $f"
pid=${BASH_REMATCH[1]:-0}
grep -q 'MARK-MORE' "/proc/$pid/cmdline" 2>/dev/null || grep -q "sh" "/proc/$pid/comm" 2>/dev/null
ok $? "PID in the name is the command's ($pid: $(cat "/proc/$pid/comm" 2>/dev/null))"
[ "$(stat -c %a "$D/run/$f" 2>/dev/null)" = 600 ]
ok $? "the file is private: mode $(stat -c %a "$D/run/$f" 2>/dev/null)"
wait_for 5 grep -q MARK-ERR "$D/run/$f"
ok $? "stdout and stderr went to it" || cat "$D/run/$f"
! has MARK-; ok $? "nothing of the command on the screen" || show
check "nothing made in the working directory" -- \
	test -z "$(ls "$D" | grep '^ctop-prof')"
keys q
wait_has EXITED:143; ok $? "q ends the command (143 = SIGTERM)" || show

# 2. No XDG_RUNTIME_DIR: the working directory, a fresh name each time,
# whatever was planted at the old fixed names.
mkdir "$D/cwd"
for i in $(seq 0 5); do mkfifo "$D/cwd/ctop-prof-$(( $$ + i )).out"; done
tui_start_sh 120 30 'cd "$1" && TERM=xterm-256color "$0" --backend ptrace -- sh -c "$2"' \
	"$D/cwd" "$CMD"
wait_has "output of the command: ./ctop-prof-"
ok $? "without XDG_RUNTIME_DIR: the working directory" || show
f=$(ls "$D/cwd" | grep -E '^ctop-prof-[0-9]+-[A-Za-z0-9]{6}\.out$' | head -1)
wait_for 5 grep -q MARK-OUT "$D/cwd/$f"
ok $? "the command's output is in $f"
keys q
wait_has EXITED:143; ok $? "q quits (the planted FIFOs never opened)" || show

# 3. Nowhere to make the file (the working directory was removed, even
# root cannot create there): /dev/null, a warning, never the screen.
tui_start_sh 120 30 'mkdir "$1" && cd "$1" && rmdir "$1" &&
	TERM=xterm-256color "$0" --backend ptrace -- sh -c "$2"' "$D/gone" "$CMD"
wait_has "output of the command discarded"
ok $? "the status line warns that the output is discarded" || show
sleep 1
! has MARK-; ok $? "the command's output is not drawn over the view" || show
keys q
wait_has EXITED:143; ok $? "q quits" || show

# 4. --command-output FILE (a recording: the command's own streams
# otherwise). An existing 0600 file keeps its mode and gets the output.
rec() { timeout 30 "$CTOP" --duration 5 -o "$D/rec.folded" "$@" 2>"$D/err"; }
printf 'old contents, longer than the new\n' >"$D/cmd.out"
chmod 600 "$D/cmd.out"
rec --command-output "$D/cmd.out" -- sh -c 'echo MARK-OUT; echo MARK-ERR >&2; exit 3'
rc=$?
[ "$rc" = 3 ]; ok $? "--command-output: the command's status 3 (got $rc)"
[ "$(cat "$D/cmd.out")" = "$(printf 'MARK-OUT\nMARK-ERR')" ]
ok $? "stdout and stderr in the file, old contents gone" || cat "$D/cmd.out"
[ "$(stat -c %a "$D/cmd.out")" = 600 ]; ok $? "its mode is kept"
# A FIFO without a reader: refused at once, the command never runs.
mkfifo "$D/cmd.fifo"
s0=$(now_ms)
rec --command-output "$D/cmd.fifo" -- sh -c ": >'$D/ran'"
rc=$?
el=$(( $(now_ms) - s0 ))
# (A hang would end as 124 by timeout: the status is the proof.)
[ "$rc" = 125 ] && [ ! -e "$D/ran" ]
ok $? "a FIFO without a reader: exit $rc in $el ms, command not run: $(cat "$D/err")"
# With a reader: written through. The reader must be waiting in its open
# first: until then the FIFO has none, and a refusal is right.
cat "$D/cmd.fifo" >"$D/fifo.got" &
r=$!
cleanup_pid "$r"
wait_for 10 in_open "$r"
ok $? "the reader waits in open(2) on the FIFO"
rec --command-output "$D/cmd.fifo" -- sh -c 'echo MARK-FIFO'
ok $? "a FIFO with a reader: exit 0"
wait_for 5 grep -q MARK-FIFO "$D/fifo.got"
ok $? "the reader got the output"
check "the FIFO is still a FIFO" -- test -p "$D/cmd.fifo"
# A directory: usage error.
rec --command-output "$D" -- true
rc=$?
[ "$rc" = 2 ]; ok $? "--command-output DIR: exit $rc (want 2)"
# Another user's link in a sticky directory: refused.
mkdir -m 1777 "$D/sticky"
echo secret >"$D/victim"
ln -s ../victim "$D/sticky/planted"
chown -h 65534 "$D/sticky/planted" 2>/dev/null ||
	skip_all "chown to uid 65534 failed (needs root)"
rec --command-output "$D/sticky/planted" -- sh -c 'echo MARK-BAD'
rc=$?
[ "$rc" = 125 ] && grep -q protected_symlinks "$D/err" &&
	[ "$(cat "$D/victim")" = secret ]
ok $? "--command-output: a planted link refused ($rc), target untouched"

# 5. --log FILE: the same rules.
FIX=$top_srcdir/tests/data/sample.folded
logrun() { timeout 20 "$CTOP" --load "$FIX" --batch -n 1 -v --log "$@" \
	>/dev/null 2>"$D/err"; }
logrun "$D/sticky/planted"
rc=$?
[ "$rc" = 1 ] && grep -q protected_symlinks "$D/err" &&
	[ "$(cat "$D/victim")" = secret ]
ok $? "--log: a planted link refused ($rc), target untouched: $(head -c 120 "$D/err")"
ln -s ../mylog "$D/sticky/own"
logrun "$D/sticky/own"
ok $? "--log: our own link is followed"
[ -f "$D/mylog" ] && [ "$(stat -c %a "$D/mylog")" = 600 ]
ok $? "--log: a new log is 0600"
s0=$(now_ms)
logrun "$D/cmd.fifo"
rc=$?
el=$(( $(now_ms) - s0 ))
[ "$rc" = 1 ]
ok $? "--log FIFO without a reader: exit $rc in $el ms, no hang (124 would be)"
logrun "$D/run"
rc=$?
[ "$rc" = 2 ]; ok $? "--log DIR: exit $rc (want 2)"
done_testing
