#!/bin/bash
# SPDX-License-Identifier: MIT
# The live top table's row order (issue 17, goal 5: rows that swap places
# at every refresh are bytes on the wire): two rows whose counts are
# close keep their order while the difference is within the margin, and
# take their true order once the profile has settled, although they are
# only 0.18 points apart, less than the half point a young profile's
# margin allows. tests/tui/fake-live --close: beta ahead for the first
# second, then alpha ahead by 20 samples a tick of 11,520, swinging by
# 500 at alternate ticks (a fresh sort swaps the two around 2 s).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
TUI_BIN=$top_builddir/tests/tui/fake-live
[ -x "$TUI_BIN" ] || skip_all "tests/tui/fake-live is not built"

# The first of alpha and beta on the screen, "-" when neither shows.
first() {
	screen | awk '$3 == "alpha" || $3 == "beta" { print $3; f = 1; exit }
	    END { if (!f) print "-" }'
}
# The share (SELF%) of function $1.
share() { screen | awk -v f="$1" '$3 == f { print $1; exit }'; }

tui_start 120 40 LC_ALL=C TERM=xterm-256color -- --close --delay 0.5
wait_has alpha; ok $? "the live table shows alpha" || show
# Every 0.2 s for at most 12 s, until alpha has been first for 2 s: the
# order each time it changes.
seq= last= n=0
for i in $(seq 1 60); do
	o=$(first)
	[ "$o" != "$last" ] && seq="$seq $o" && last=$o
	[ "$o" = alpha ] && n=$((n + 1))
	[ "$n" -ge 10 ] && break
	sleep 0.2
done
diag "order of the two, as it changed:$seq"
[ "$seq" = " beta alpha" ]
ok $? "beta first, then alpha, once: no swap back and forth" || show
a=$(share alpha) b=$(share beta)
[ "$(first)" = alpha ] &&
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > b && a - b < 0.5) }'
ok $? "settled: alpha ($a%) above beta ($b%), less than half a point apart" ||
	show
keys q
wait_has "EXITED:0"; ok $? "q quits with status 0" || show
done_testing
