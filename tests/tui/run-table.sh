#!/bin/bash
# SPDX-License-Identifier: MIT
# TUI top table at 80x24 under LC_ALL=C: row order by self, c for the
# count columns (from 160 columns by default), the four sort keys and
# < >, Enter opens the callees of a function and Esc comes back, the help
# lists every key, and q restores the terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load

tui_start 80 24 LC_ALL=C TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION; ok $? "the table shows" || show
[ "$(pane '#{alternate_on}')" = 1 ]; ok $? "drawn on the alternate screen"
check "status: file name and total" -- line_has 1 "file ui-tree.folded  samples 1000"
check "status says a folded file has no module/line info" -- \
	line_has 1 "folded file: no module/line info"
check "column titles on line 3, no count columns at 80" -- line_has 3 " SELF%  TOTAL%  FUNCTION"
check "first row: multiply 30 %" -- line_has 4 "  30.0    30.0  multiply"
check "then add" -- line_has 5 "  20.0    20.0  add"
keys c
wait_line 3 " SELF%  TOTAL%      SELF     TOTAL  FUNCTION"
ok $? "c: the count columns" || show
check "c: first row with counts" -- line_has 4 "  30.0    30.0       300       300  multiply"
check "c: then add" -- line_has 5 "  20.0    20.0       200       200  add"
check "c: said on the bottom line" -- line_has 24 "sample counts shown (c hides them)"
check "then tokenize" -- line_has 6 "tokenize"
check "then fwrite" -- line_has 7 "fwrite"
check "then read_line" -- line_has 8 "read_line"

keys 2
wait_line 4 main; ok $? "2: by total, main (1000, self 50) first" || show
# The process frame (prog, 1000, self 0) roots every stack and is no
# row of the table (as in batch).
check "2: then compute (550), not the process frame prog" -- line_has 5 "  5.0    55.0        50       550  compute"
check "2: prog is no row" -- eval '! screen | sed -n "4,30p" | grep -q " prog *$"'
keys 3
wait_line 4 add; ok $? "3: by name, add first" || show
check "3: then compute" -- line_has 5 compute
check "3: write_output last" -- line_has 12 write_output
keys '<'
wait_line 4 main; ok $? "<: back to total" || show
keys '>' '>'
wait_line 4 add; ok $? "> >: module/file (all empty: by name)" || show
keys 1
wait_line 4 multiply; ok $? "1: by self again" || show

# Enter on tokenize: the icicle of its callees, Esc back to the table.
keys Down Down Enter
wait_has "callees of tokenize"; ok $? "Enter: callees of the selected row" || show
check "the focused function is the selection" -- line_has 23 "tokenize  total  15.0% (150)"
keys Escape
wait_line 3 FUNCTION; ok $? "Esc: back to the table" || show
keys Enter
wait_has "callees of tokenize"; ok $? "the selection stayed on tokenize" || show
keys u
wait_line 3 FUNCTION; ok $? "u: back to the table" || show

keys '?'
wait_has "keys (any key closes this help)"; ok $? "? shows the help" || show
missing=
for k in "t " "i " "f " "Up k" "Down j" "Left h" "Right l" PgUp PgDn Home End \
    Enter "Esc Bksp u" "/ " "n " "N " "1 " "2 " "3 " "4 " "< " "> " "T " space \
    "r " "w " "s " "? " "q "; do
	screen | grep -qE "(^| )$(printf '%s' "$k" | sed 's/[?*.\\/]/\\&/g')" || missing="$missing [$k]"
done
[ -z "$missing" ]; ok $? "the help lists every key${missing:+; missing:$missing}"
keys x
wait_line 3 FUNCTION; ok $? "any key closes the help" || show

keys q
wait_has "EXITED:0"; ok $? "q quits with status 0" || show
[ "$(pane '#{alternate_on}')" = 0 ]; ok $? "the normal screen is back"
[ "$(pane '#{cursor_flag}')" = 1 ]; ok $? "the cursor is visible again"
done_testing
