#!/bin/bash
# SPDX-License-Identifier: MIT
# The header's sparkline (issue 14 item 4) on a fake live target whose
# rate doubles for 2 s because of one function (fake-live --burst): the
# last minute of samples per second and of the selected function's share
# on one time axis, so the spike and its cause line up; the w windows
# leave it be; ASCII on a vt100. Where the first status line has no room
# (80 columns) it is the bottom line (after a launched command's output
# note, which has its first 10 s: run-launch-output.sh). None without
# times (a loaded file).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
TUI_BIN=$top_builddir/tests/tui/fake-live
[ -x "$TUI_BIN" ] || skip_all "tests/tui/fake-live not built"

# The spark's line (ROW: the first status line, or the bottom line) with
# its trailing blanks (blank cells at the end of a series).
spark_line() { "${TM[@]}" capture-pane -t t -p -N | sed -n "${ROW}p"; }
# The cells of the series after "cpu " and after the function's name.
cpu_cells() { spark_line | sed -n 's/\(.* \|^\)cpu \(.*\)  burst .*/\2/p'; }
# As many as the first (the bottom line's blanks follow them).
fn_cells() {
	local n s
	n=$(cpu_cells)
	n=${#n}
	s=$(spark_line | sed -n 's/.* burst \(.*\)$/\1/p')
	printf '%s\n' "${s:0:n}"
}
# The 30 cells after "cpu ", whichever function the second series is.
cpu30() {
	local l
	l=$(spark_line)
	[[ $l == *"cpu "* ]] || return
	l=${l##*cpu }
	printf '%s\n' "${l:0:30}"
}
cpu_shown() { [ -n "$(cpu30)" ]; }
# Whether the spark's second series is function $1's.
spark_names() { spark_line | grep -q "cpu .*  $1 "; }
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

for size in "200 60 1" "80 24 24"; do
read -r W H ROW <<<"$size"
for mode in color vt100; do
	if [ $mode = color ]; then
		env=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)
		full="█"
	else
		env=(LANG=C LC_ALL=C TERM=vt100)
		full="@"
	fi
	export LC_ALL=${env[1]#LC_ALL=}
	tui_start "$W" "$H" "${env[@]}" -- --burst 2:4
	wait_has FUNCTION || { show; skip_all "fake-live did not start"; }
	sleep 5	# the burst is over
	keys / b u r s t Enter
	# The search's line is the bottom line while it is on: cleared (the
	# selection stays).
	[ "$ROW" = 24 ] && sleep 0.5 && keys / Enter
	wait_for 10 spark_names burst
	ok $? "$mode: the selected function (burst) names the second series" || show
	sleep 1.5	# a view built for it
	cpu=$(cpu_cells) sel=$(fn_cells)
	diag "$mode: cpu [$cpu] burst [$sel]"
	[ ${#cpu} = 30 ] && [ ${#sel} = 30 ]
	ok $? "$mode, ${W}x$H: line $ROW: 30 cells of 2 s each (${#cpu}, ${#sel})"
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
	if [ "$ROW" = 24 ]; then
		! line_has 1 " cpu "
		ok $? "$mode, 80x24: not on the first status line" || show
	fi
	keys w
	wait_line 2 "last 5 s"; ok $? "$mode: w: the last 5 s" || show
	sleep 1.5
	# On the bottom line, after the w key's message.
	wait_for 10 cpu_shown
	cpu2=$(cpu30)
	[ ${#cpu2} = 30 ] && [[ $cpu2 == *"$full"* ]]
	ok $? "$mode: the sparkline keeps the minute in a window ($cpu2)"
	keys q
	wait_has "EXITED:0"; ok $? "$mode: q exits 0" || show
done
done
export LC_ALL=C

TUI_BIN=$CTOP
tui_start 200 60 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION || show
! line_has 1 " cpu "; ok $? "a loaded file has no times: no sparkline" || show
keys q
wait_has "EXITED:0"

done_testing
