#!/bin/bash
# SPDX-License-Identifier: MIT
# Terminal sizes: 80x24, down to 20x6 (one "too small" line, no exit),
# back up with the view, zoom and selection kept, 200x60, and a burst of
# resizes without a crash.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load

tui_start 80 24 LC_ALL=C TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION || { show; skip_all "the table did not show"; }
keys i Down Down Down Enter Down Right
wait_line 23 "add  total  20.0%"; ok $? "80x24: zoomed into compute, add selected" || show
resize 20 6
joined() { [ "$(screen | tr -s ' \n' '  ' | sed 's/ *$//')" = "$1" ]; }
wait_for 10 joined "terminal too small: 20x6, need 40x10"
ok $? "20x6: only the too-small message (wrapped to fit)" || show
resize 60 8
wait_line 1 "terminal too small: 60x8, need 40x10"; ok $? "60x8: on one line" || show
[ "$(screen | grep -c .)" = 1 ]; ok $? "and nothing else is drawn" || show
resize 39 24
wait_line 1 "terminal too small: 39x24"; ok $? "39x24 is still too small" || show
resize 80 24
wait_line 3 "all > prog > main > compute"; ok $? "80x24 again: the zoom is kept" || show
check "the selection is kept" -- line_has 23 "add  total  20.0%"
resize 200 60
wait_line 59 "add  total  20.0%"; ok $? "200x60: selection line at the bottom" || show
[ "$(col_of 5 '|add')" = 109 ]; ok $? "200x60: add at column 109 of the zoomed view" || show
resize 40 10
wait_line 9 "add  total"; ok $? "40x10 (the minimum) draws the view" || show
for i in $(seq 1 20); do
	resize $((40 + i * 7)) $((10 + i * 2))
done
resize 100 30
wait_line 29 "add  total  20.0%"; ok $? "20 quick resizes, then 100x30: still fine" || show
keys q
wait_has "EXITED:0"; ok $? "q quits with status 0 after the resizes" || show
done_testing
