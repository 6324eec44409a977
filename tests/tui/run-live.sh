#!/bin/bash
# SPDX-License-Identifier: MIT
# The TUI on a live source (tests/tui/fake-live: a profile fed 600 samples
# a second over two named threads): status line, threads, windows, pause
# (nothing moves), reset, selection kept across refreshes, save with the
# thread filter applied, and the bytes sent per second at 120x40.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
TUI_BIN=$top_builddir/tests/tui/fake-live
[ -x "$TUI_BIN" ] || skip_all "tests/tui/fake-live is not built"
samples() { line 1 | sed -n 's/.*samples *\([0-9]*\).*/\1/p'; }

tui_start 120 40 LC_ALL=C TERM=xterm-256color -- --delay 0.5
wait_has FUNCTION; ok $? "the live table shows" || show
check "status: pid, command, backend/mode, rate" -- \
	line_has 1 "pid 4242 fake-target  ptrace/cpu  100/100 Hz  samples"
check "status: window, thread, dropped and unwind failures" -- \
	line_has 2 "window cumulative  thread all"
check "dropped and unwind failures with %" -- \
	line_has 2 "dropped 0 (0.0%)  unwind failed 0 (0.0%)"
check "the output note on the bottom line" -- line_has 40 "target output: ctop-prof-4242.out"
wait_line 4 "  50.0    50.0"; ok $? "first row: hot 50 %" || show
check "module column" -- line_has 4 "libhot.so"
s1=$(samples); sleep 1.2; s2=$(samples)
[ "${s2:-0}" -gt "${s1:-0}" ]; ok $? "samples grow ($s1 -> $s2)" || show

keys T
wait_line 2 "thread worker-a (101)"; ok $? "T: the first thread, named" || show
wait_line 4 "  75.0    75.0"; ok $? "worker-a alone: hot 75 %" || show
keys T
wait_line 2 "thread worker-b (102)"; ok $? "T: the second thread" || show
wait_line 4 " 100.0   100.0"; ok $? "worker-b alone: wait 100 %" || show
check "and it is wait" -- line_has 4 wait
keys s
wait_has "saved "; ok $? "s with a thread filter: saved" || show
f=$(ls "$WORKDIR"/ctop-prof-4242-test*.folded 2>/dev/null | head -1)
[ -n "$f" ] && ! grep -qv ';io;wait ' "$f"
ok $? "the file holds worker-b's stacks only" || cat "$f"
keys T
wait_line 2 "thread all"; ok $? "T: back to all threads" || show

keys w
wait_line 2 "window last 5 s"; ok $? "w: last 5 s" || show
keys w
wait_line 2 "window last 30 s"; ok $? "w: last 30 s" || show
keys w
wait_line 2 "window cumulative"; ok $? "w: cumulative again" || show

# The count columns (c; by default from 160 columns) move at every
# refresh, where this fake source's shares stay put.
keys c
wait_line 3 "SELF%  TOTAL%      SELF     TOTAL"; ok $? "c: count columns" || show
keys ' '
wait_line 2 PAUSED; ok $? "space: PAUSED shows" || show
sleep 0.6
t1=$(screen | sed -n '3,38p'); s1=$(samples)
sleep 1.5
t2=$(screen | sed -n '3,38p'); s2=$(samples)
[ "$t1" = "$t2" ]; ok $? "paused: the table does not move" || show
[ "${s2:-0}" -gt "${s1:-0}" ]; ok $? "paused: sampling goes on ($s1 -> $s2)" || show
keys ' '
wait_for 5 sh -c "! tmux -L ctop$$-$tui_n capture-pane -t t -p | sed -n 2p | grep -q PAUSED"
ok $? "space again: resumed" || show
sleep 1.2
t3=$(screen | sed -n '3,38p')
[ "$t3" != "$t2" ]; ok $? "resumed: the counts move again" || show
keys c
wait_line 3 "SELF%  TOTAL%  FUNCTION"; ok $? "c again: no count columns" || show

# Selection and zoom stay put across refreshes.
keys i Down Down Down Down Right
wait_line 39 "warm  total"; ok $? "icicle: warm selected" || show
keys Up Enter
wait_line 3 "all > fake-target > main > run"; ok $? "zoomed into run" || show
keys Down Right
wait_line 39 "warm  total"; ok $? "warm selected in the zoom" || show
sleep 1.6
check "after three refreshes: still warm" -- line_has 39 "warm  total"
check "after three refreshes: still zoomed" -- line_has 3 "main > run"

# Bytes on the wire at 120x40 with a steady profile (budget ~1 KB/s).
out=$WORKDIR/wire.bytes
"${TM[@]}" pipe-pane -t t -o "cat >> '$out'"
sleep 5
"${TM[@]}" pipe-pane -t t
bytes=$(wc -c <"$out" 2>/dev/null || echo 99999)
diag "icicle, 120x40, 0.5 s refresh: $bytes bytes in 5 s"
[ "$bytes" -lt 5000 ]; ok $? "under 1 KB/s on the wire ($((bytes / 5)) B/s)"
keys t
wait_line 3 FUNCTION
: >"$out"
"${TM[@]}" pipe-pane -t t -o "cat >> '$out'"
sleep 5
"${TM[@]}" pipe-pane -t t
bytes=$(wc -c <"$out" 2>/dev/null || echo 99999)
diag "table, 120x40, 0.5 s refresh: $bytes bytes in 5 s"
[ "$bytes" -lt 5000 ]; ok $? "table: under 1 KB/s ($((bytes / 5)) B/s)"

keys r
wait_has "counts reset"; ok $? "r: counts reset" || show
s3=$(samples)
[ "${s3:-999999}" -lt "${s2:-0}" ]; ok $? "the sample count starts again ($s3)" || show
keys q
wait_has "EXITED:0"; ok $? "q quits with status 0" || show
done_testing
