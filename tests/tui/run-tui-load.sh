#!/bin/bash
# SPDX-License-Identifier: MIT
# The TUI on loaded profiles (issue 12):
# - `perf script | ctop-prof --load -`: the profile comes on standard
#   input and the keys from the terminal (/dev/tty), as with less. Real
#   perf record of ratio (work_a:work_b = 3:1): the table shows work_a
#   ahead of work_b with their shares, i switches to the icicle, q exits 0
#   within 2 s. Without a controlling terminal (setsid): one line pointing
#   to --batch and exit 1; --batch and -o still work there.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load
export LC_ALL=C
D=$WORKDIR
E='LC_ALL=C TERM=xterm-256color'

# row FUNCTION FIELD: a field of FUNCTION's row in the table at 160
# columns (1 SELF%, 2 TOTAL%, 3 SELF, 4 TOTAL).
row() { screen | awk -v f="$1" -v k="$2" '$5 == f { print $k; exit }'; }

# --- perf script on standard input ------------------------------------------
if ptrace_allowed && command -v perf >/dev/null &&
	timeout 30 perf record -q -F 499 -g -o "$D/perf.data" -- \
		"$TARGETS/ratio" --seconds 1 >/dev/null 2>&1 &&
	perf script -i "$D/perf.data" >"$D/ratio.perf" 2>/dev/null; then
	"$CTOP" --load - -o "$D/ratio.folded" <"$D/ratio.perf" 2>"$D/err"
	ok $? "the perf script text converts: exit 0 $(cat "$D/err")"
	n=$(folded_total "$D/ratio.folded")
	tui_start_sh 160 30 "cat \"\$1\" | $E \"\$0\" --load -" "$D/ratio.perf"
	wait_has work_a
	ok $? "cat ratio.perf | ctop-prof --load -: the table shows" || show
	[ "$(pane '#{alternate_on}')" = 1 ]
	ok $? "drawn on the alternate screen, not refused"
	check "status: file stdin, $n samples" -- line_has 1 "file stdin  samples $n"
	a=$(row work_a 1) b=$(row work_b 1)
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 50 && b > 10 && a > 2 * b) }'
	ok $? "work_a $a% and work_b $b% self (3:1 by construction)" || show
	[ "$(row work_a 3)" -gt 0 ] 2>/dev/null &&
		[ "$(screen | grep -c 'work_[ab] ')" = 2 ]
	ok $? "their counts: $(row work_a 3) and $(row work_b 3)" || show
	keys i
	wait_line 3 "icicle"
	ok $? "i: the icicle, keys read from the terminal" || show
	check "the icicle holds work_a and work_b" -- has work_b
	keys t
	wait_line 3 FUNCTION
	ok $? "t: back to the table" || show
	t0=$(now_ms)
	keys q
	wait_for 5 has "EXITED:0"
	ok $? "q: exit 0 in $(($(now_ms) - t0)) ms" || show
	[ $(($(now_ms) - t0)) -lt 2000 ]
	ok $? "q: promptly (under 2 s)"

	# No controlling terminal: a new session has none (stdout is still
	# the pane, so the TUI is what would run).
	tui_start_sh 160 30 "cat \"\$1\" | $E setsid -w \"\$0\" --load -" \
		"$D/ratio.perf"
	wait_has "EXITED:"
	has "EXITED:1" && [ "$(screen | grep -c '^ctop-prof:')" = 1 ] &&
		has "no terminal to take keys from" && has "use --batch"
	ok $? "no /dev/tty: one line pointing to --batch, exit 1" || show
	setsid -w "$CTOP" --load - -b -n 1 <"$D/ratio.perf" >"$D/batch" 2>"$D/err"
	ok $? "no terminal, --batch: exit 0 $(cat "$D/err")"
	check "the batch table has work_a" -- grep -q ' work_a ' "$D/batch"
	setsid -w "$CTOP" --load - -o "$D/nott.folded" <"$D/ratio.perf" 2>"$D/err" &&
		cmp -s "$D/ratio.folded" "$D/nott.folded"
	ok $? "no terminal, -o: the same folded file $(cat "$D/err")"
else
	skip "perf script | ctop-prof --load - in the TUI" "perf record cannot run here"
fi

done_testing
