#!/bin/bash
# SPDX-License-Identifier: MIT
# Icicle and flame at 200x60 under LC_ALL=C: proportional columns, root at
# the top vs the bottom, visual arrow moves, zoom and zoom out, the
# breadcrumb, and search (highlight, % of samples matched, n/N).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load

tui_start 200 60 LC_ALL=C TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION || { show; skip_all "the table did not show"; }
keys i
wait_line 4 "|all"; ok $? "i: icicle, root on the first body line" || show
check "breadcrumb line" -- line_has 3 "icicle  all"
check "prog below all" -- line_has 5 "|prog"
check "main below prog" -- line_has 6 "|main"
# 200 columns: compute 550/1000 -> 110, parse_input 250 -> 50, write_output 30.
[ "$(col_of 7 '|compute') $(col_of 7 '|parse_input') $(col_of 7 '|write_output')" \
	= "0 110 160" ]; ok $? "compute, parse_input, write_output at 0, 110, 160" || show
[ "$(col_of 8 '|multiply') $(col_of 8 '|add') $(col_of 8 '|tokenize')" = "0 60 110" ]
ok $? "multiply 60 cols, add at 60, tokenize at 110" || show
check "selection line: the root" -- line_has 59 "all  total 100.0% (1000)"

keys f
wait_line 58 "|all"; ok $? "f: flame, root on the last body line" || show
check "flame: main above prog" -- line_has 56 "|main"
check "flame: compute row above main" -- line_has 55 "|compute"
check "flame: multiply above compute" -- line_has 54 "|multiply"
check "flame: line 4 empty (tree is short)" -- sh -c "[ -z \"\$(echo '$(line 4)' | tr -d ' ')\" ]"

# Visual moves in the flame: Up goes to callees.
keys Up Up Up
wait_line 59 "compute  total  55.0% (550)"; ok $? "flame: Up x3 -> compute" || show
keys Right
wait_line 59 "parse_input"; ok $? "Right: the next frame on the row" || show
keys Left Down
wait_line 59 "main  total 100.0%"; ok $? "flame: Down -> caller" || show

keys i
wait_line 4 "|all"; ok $? "back to the icicle, selection kept" || show
check "selection still main" -- line_has 59 "main  total 100.0%"
keys Down
wait_line 59 "compute"; ok $? "icicle: Down -> callee (the heaviest)" || show

# Zoom into compute: full width, only its subtree.
keys Enter
wait_line 3 "all > prog > main > compute"; ok $? "Enter: breadcrumb to compute" || show
check "compute is the full-width root" -- line_has 4 "|compute"
[ "$(col_of 5 '|multiply') $(col_of 5 '|add')" = "0 109" ]
ok $? "multiply 300/550 of 200 cols, add at 109" || show
! has "parse_input"; ok $? "parse_input is outside the zoom" || show
keys Down Right Enter
wait_line 3 "compute > add"; ok $? "zoom one more level into add" || show
keys BSpace
wait_line 3 "main > compute"; ok $? "Backspace: zoom out one level" || show
check "add stays selected" -- line_has 59 "add  total  20.0% (200)"
keys Escape
wait_line 3 "icicle  all"; ok $? "Esc: zoom out to the root" || show
wait_has parse_input; ok $? "the whole tree again" || show

# Search: highlight, share of samples, first match selected, n / N.
keys / a d d Enter
wait_has 'search "add" (regex): 20.0% of samples matched'; ok $? "search add: 20.0 %" || show
check "the first match is selected" -- line_has 59 "add  total  20.0%"
keys / 'multiply|fwrite' Enter
wait_has "42.0% of samples matched"; ok $? "regex multiply|fwrite: 42.0 %" || show
check "first match: multiply" -- line_has 59 "multiply  total  30.0%"
# In colour, a match is drawn in the match colour (magenta, 213).
[ "$(attr_at 8 "$(col_of 8 '|fwrite')")" = f16g213 ]
ok $? "fwrite is highlighted in the match colour" || screen_sgr | sed -n 8p | cat -v
[ "$(attr_at 8 "$(col_of 8 '|add')")" != f16g213 ]
ok $? "add is not" || screen_sgr | sed -n 8p | cat -v
keys n
wait_line 59 "fwrite  total  12.0%"; ok $? "n: next match fwrite" || show
keys N
wait_line 59 "multiply"; ok $? "N: previous match multiply" || show
keys / nothing_like_this Enter
wait_has "0.0% of samples matched"; ok $? "no match: 0.0 %" || show
keys / x y Escape
wait_has "0.0% of samples matched"; ok $? "Esc cancels the prompt, the old search stays" || show
# That line was there before the Escape: wait out the escape delay (25 ms,
# set_escdelay in draw.c), or the q reads as Alt-q (1 run in 4 lost it).
sleep 0.2
keys q
wait_has "EXITED:0"; ok $? "q quits" || show
done_testing
