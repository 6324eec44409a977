#!/bin/bash
# SPDX-License-Identifier: MIT
# The top table's place columns (issue 19): from 120 columns MODULE (the
# ELF file) and WHERE (file:line) are apart; narrower, one WHERE column
# holds the file:line, or the module of a frame without a line. The
# profile is a real one (ratio, recorded as pprof: module and line kept).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load
ptrace_allowed || skip_all "ptrace not permitted here"

"$CTOP" -F 499 --duration 1.5 -o "$WORKDIR/r.pb.gz" -- "$TARGETS/ratio" \
	--seconds 10 >/dev/null 2>&1
[ -s "$WORKDIR/r.pb.gz" ] || skip_all "no profile recorded"

tui_start 200 40 LC_ALL=C TERM=xterm-256color -- --load "$WORKDIR/r.pb.gz"
wait_has FUNCTION; ok $? "the table shows at 200x40" || show
check "200 columns: FUNCTION, MODULE, WHERE" -- \
	eval 'line 3 | grep -qE "FUNCTION +MODULE +WHERE"'
check "a ratio row: module ratio, WHERE ratio.c:LINE" -- \
	eval 'screen | grep -qE " ratio +ratio\.c:[0-9]+"'
resize 100 30
wait_for 10 eval '! line 3 | grep -q MODULE'
ok $? "100 columns: no MODULE column" || show
check "100 columns: WHERE still there, with ratio.c:LINE" -- \
	eval 'line 3 | grep -q WHERE && screen | grep -qE "ratio\.c:[0-9]+"'
keys q
wait_has "EXITED:0"; ok $? "q quits with status 0" || show
done_testing
