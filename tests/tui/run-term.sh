#!/bin/bash
# SPDX-License-Identifier: MIT
# Terminal kinds: UTF-8 glyphs only under a UTF-8 locale (and not with
# --ascii), 256 and 8 colours, monochrome (TERM=vt100, NO_COLOR,
# --no-color) with the selection in reverse video, and clear refusals
# for TERM=dumb, TERM unset and stdin not a terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load

colours256() { screen_sgr | grep -q '48;5;'; }
colours8() { screen_sgr | grep -qE $'\e\\[(4[0-7]|3[0-7])m'; }
any_colour() { screen_sgr | grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|4[0-7]|38;5;[0-9]+|48;5;[0-9]+)m'; }
non_ascii() { screen | LC_ALL=C grep -q $'[\x80-\xff]'; }

tui_start 80 24 LANG=C.UTF-8 TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION || { show; skip_all "the table did not show"; }
keys i
wait_line 4 $'\xe2\x96\x8fall'; ok $? "C.UTF-8: block edges in the icicle" || show
colours256; ok $? "xterm-256color: 256-colour pairs" || screen_sgr | head -8 | cat -v
keys Down Down Down Down Down Down Down
wait_line 23 "multiply"; ok $? "icicle selection moves to multiply" || show
keys q; wait_has EXITED:0

tui_start 80 24 LANG=C.UTF-8 TERM=xterm-256color -- --load "$FIXTURE" --ascii
wait_has FUNCTION; keys i
wait_line 4 "|all"; ok $? "--ascii: | edges under C.UTF-8" || show
! non_ascii; ok $? "--ascii: pure ASCII on screen" || show
keys q; wait_has EXITED:0

tui_start 80 24 LANG=C TERM=xterm -- --load "$FIXTURE"
wait_has FUNCTION; keys i
wait_line 4 "|all"; ok $? "LANG=C: | edges" || show
! non_ascii; ok $? "LANG=C: pure ASCII on screen" || show
keys / c o m p Enter
wait_has "% of samples matched"
! non_ascii; ok $? "LANG=C: breadcrumb and search line ASCII too" || show
colours8; ok $? "TERM=xterm: 8-colour pairs" || screen_sgr | head -6 | cat -v
! colours256; ok $? "TERM=xterm: no 256-colour codes" || screen_sgr | head -6 | cat -v
keys q; wait_has EXITED:0

tui_start 80 24 LANG=C TERM=vt100 -- --load "$FIXTURE"
wait_has FUNCTION; ok $? "TERM=vt100: the table shows" || show
check "vt100: rows readable" -- line_has 4 "  30.0    30.0  multiply"
! any_colour; ok $? "vt100: no colour codes" || screen_sgr | head -6 | cat -v
[ "$(attr_at 4 10)" = rb ] && [ "$(attr_at 5 10)" = "" ]
ok $? "vt100: the selected row (only) in reverse video" || screen_sgr | sed -n 3,5p | cat -v
keys i Down Down Down
wait_line 23 compute
[ "$(attr_at 7 1)" = rb ] && [ "$(attr_at 7 "$(col_of 7 "|parse")")" = "" ]
ok $? "vt100: the selected frame in reverse video" || screen_sgr | sed -n 7p | cat -v
keys q; wait_has EXITED:0

tui_start 80 24 LANG=C TERM=xterm-256color NO_COLOR=1 -- --load "$FIXTURE"
wait_has FUNCTION
! any_colour; ok $? "NO_COLOR=1: no colour codes" || screen_sgr | head -6 | cat -v
keys q; wait_has EXITED:0

tui_start 80 24 LANG=C TERM=xterm-256color -- --load "$FIXTURE" --no-color
wait_has FUNCTION
! any_colour; ok $? "--no-color: no colour codes" || screen_sgr | head -6 | cat -v
keys q
wait_has "EXITED:0"; ok $? "q quits" || show

tui_start 80 24 LANG=C TERM=dumb -- --load "$FIXTURE"
wait_has "EXITED:"
has "cannot move the cursor" && ! has "EXITED:0"
ok $? "TERM=dumb: refused with a cause" || show
tui_start 80 24 LANG=C TERM=no-such-terminal -- --load "$FIXTURE"
wait_has "EXITED:"
has "unknown terminal type TERM=no-such-terminal" && ! has "EXITED:0"
ok $? "unknown TERM: refused with a cause" || show
tui_start_sh 80 24 'unset TERM; "$0" --load "$1"' "$FIXTURE"
wait_has "EXITED:"
has "TERM is not set" && ! has "EXITED:0"; ok $? "TERM unset: refused" || show
tui_start_sh 80 24 'TERM=xterm "$0" --load "$1" </dev/null' "$FIXTURE"
wait_has "EXITED:"
screen | tr -d '\n' | grep -q "not a terminal.*--batch" && ! has "EXITED:0"
ok $? "stdin not a terminal: refused, pointing to --batch" || show
done_testing
