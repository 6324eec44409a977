#!/bin/bash
# SPDX-License-Identifier: MIT
# The header's sparkline (issue 14 item 4) on a fake live target whose
# rate doubles for 2 s because of one function (fake-live --burst): the
# last minute of samples per second and of the selected function's share
# on one time axis, so the spike and its cause line up; the w windows
# leave it be; ASCII on a vt100; none where it does not fit (80 columns)
# or without times (a loaded file).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
TUI_BIN=$top_builddir/tests/tui/fake-live
[ -x "$TUI_BIN" ] || skip_all "tests/tui/fake-live not built"

# The first status line with its trailing blanks (blank cells at the end
# of the sparkline, which is right-aligned).
line1() { "${TM[@]}" capture-pane -t t -p -N | head -1; }
# The cells of the series after "cpu " and after the function's name.
cpu_cells() { line1 | sed -n 's/.* cpu \(.*\)  burst .*/\1/p'; }
fn_cells() { line1 | sed -n 's/.* burst \(.*\)$/\1/p'; }
# Positions (0-based) of the cells that are not blank.
marked() {
	local s=$1 i out=
	for ((i = 0; i < ${#s}; i++)); do
		[ "${s:i:1}" != " " ] && out="$out $i"
	done
	echo "${out# }"
}

# The position of the first cell C in S, -1 when none (in characters of
# the locale, as marked counts).
first_cell() {
	local s=$1 i
	for ((i = 0; i < ${#s}; i++)); do
		[ "${s:i:1}" = "$2" ] && { echo "$i"; return; }
	done
	echo -1
}

for mode in color vt100; do
	if [ $mode = color ]; then
		env=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)
		full="█"
	else
		env=(LANG=C LC_ALL=C TERM=vt100)
		full="@"
	fi
	export LC_ALL=${env[1]#LC_ALL=}
	tui_start 200 60 "${env[@]}" -- --burst 2:4
	wait_has FUNCTION || { show; skip_all "fake-live did not start"; }
	sleep 5	# the burst is over
	keys / b u r s t Enter
	wait_for 10 line_has 1 " burst "
	ok $? "$mode: the selected function (burst) names the second series" || show
	sleep 1.5	# a view built for it
	cpu=$(cpu_cells) sel=$(fn_cells)
	diag "$mode: cpu [$cpu] burst [$sel]"
	[ ${#cpu} = 30 ] && [ ${#sel} = 30 ]
	ok $? "$mode: 200 columns: 30 cells of 2 s each (${#cpu}, ${#sel})"
	at=$(first_cell "$cpu" "$full")
	hits=$(marked "$sel")
	[ "$at" -ge 0 ] && [[ " $hits " == *" $at "* ]]
	ok $? "$mode: the busiest second (cell $at) is one of burst's ($hits)"
	first=${hits%% *} last=${hits##* }
	[ -n "$hits" ] && [ $((last - first)) -le 2 ]
	ok $? "$mode: burst shows in 2 s only: cells $hits"
	if [ $mode = vt100 ]; then
		printf '%s' "$cpu$sel" | LC_ALL=C grep -q '[^ -~]'
		[ $? = 1 ]; ok $? "vt100: ASCII cells only"
	fi
	keys w
	wait_line 2 "last 5 s"; ok $? "$mode: w: the last 5 s" || show
	sleep 1.5
	cpu2=$(cpu_cells)
	[ ${#cpu2} = 30 ] && [[ $cpu2 == *"$full"* ]]
	ok $? "$mode: the sparkline keeps the minute in a window ($cpu2)"
	keys q
	wait_has "EXITED:0"; ok $? "$mode: q exits 0" || show
done
export LC_ALL=C

tui_start 80 24 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color -- --burst 1:2
wait_has FUNCTION || show
sleep 2
line_has 1 "pid 4242 fake-target" && ! line_has 1 " cpu "
ok $? "80x24: no room on the status line, no sparkline" || show
keys q
wait_has "EXITED:0"

TUI_BIN=$CTOP
tui_start 200 60 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION || show
! line_has 1 " cpu "; ok $? "a loaded file has no times: no sparkline" || show
keys q
wait_has "EXITED:0"

done_testing
