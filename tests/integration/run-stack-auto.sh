#!/bin/bash
# SPDX-License-Identifier: MIT
# --stack-size auto on the perf backend (issue 17 goal 2): the copy
# follows how deep the walks read. A target built for it (deepstack:
# recursion to a known depth, 1 KiB frames) needs about 41 KiB of copy at
# depth 40: fixed 16384 truncates nearly every stack, auto grows at once
# and the stacks reach main; at depth 0 (a shallow program) auto's perf
# records are smaller than fixed 16384's. The figures come from the
# summary line (perf records median, truncated share, changes).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"

DEEP=$TARGETS/deepstack
field() { sed -n "s/.*$2.*/\\1/p" "$WORKDIR/$1.err" | head -1; }
record() {	# record NAME SIZE DEPTH [SECONDS, 2]
	"$CTOP" --backend perf -F 499 --stack-size "$2" -v \
		-o "$WORKDIR/$1.folded" -- "$DEEP" "$3" "${4:-2}" \
		>/dev/null 2>"$WORKDIR/$1.err"
}
# The share of stacks with dive 40 deep and main under them.
whole() {
	awk '{ n = $NF; t += n; line = $0
		if (line ~ /;main;dive;/ && gsub(/;dive/, "", line) == 41) w += n }
		END { printf "%.1f", t ? 100 * w / t : 0 }' "$WORKDIR/$1.folded"
}

record deep-fixed 16384 40
ok $? "deepstack 40 with --stack-size 16384: recorded"
tf=$(field deep-fixed 'truncated \([0-9.]*\)%')
awk -v t="${tf:-0}" 'BEGIN { exit !(t >= 90) }'
ok $? "fixed 16384 truncates the 41 KiB stack: ${tf:-?}% truncated"

# 5 s: the samples taken before the first growth are a smaller part of
# them (3.7% of 2 s once, 5.0% in a TSan build; a loaded machine's worker
# comes to the first walk later).
record deep-auto auto 40 5
ok $? "deepstack 40 with --stack-size auto: recorded ($(grep 'backend:' "$WORKDIR/deep-auto.err" | cut -c1-400))"
ta=$(field deep-auto 'truncated \([0-9.]*\)%')
ch=$(field deep-auto '; stack copy [0-9]* now, \([0-9]*\) changes')
grep -q 'stack-size auto: 16384 -> 65528 bytes.*a walk ran out' "$WORKDIR/deep-auto.err"
ok $? "auto grows at once when a walk runs out ($(grep 'stack-size auto' "$WORKDIR/deep-auto.err" | head -3 | tr '\n' ' '))"
# The samples already taken when the first walk ran out are truncated
# (tens of milliseconds at 499 Hz); none after.
awk -v t="${ta:-100}" 'BEGIN { exit !(t <= 5) }'
ok $? "auto: ${ta:-?}% truncated (want <= 5; fixed 16384: ${tf:-?}%), ${ch:-?} changes"
w=$(whole deep-auto)
awk -v w="$w" 'BEGIN { exit !(w >= 90) }'
ok $? "auto: $w% of the stacks are whole, main and 41 dive frames (want >= 90)"

record shallow-fixed 16384 0
ok $? "deepstack 0 (shallow) with --stack-size 16384: recorded"
record shallow-auto auto 0
ok $? "deepstack 0 with --stack-size auto: recorded ($(grep 'backend:' "$WORKDIR/shallow-auto.err" | cut -c1-400))"
rf=$(field shallow-fixed 'perf records [0-9]*, median \([0-9]*\)')
ra=$(field shallow-auto 'perf records [0-9]*, median \([0-9]*\)')
ts=$(field shallow-auto 'truncated \([0-9.]*\)%')
[ -n "$rf" ] && [ -n "$ra" ] && [ "$ra" -le $((rf / 2)) ]
ok $? "shallow: auto's perf records are smaller, median $ra bytes (fixed 16384: $rf)"
awk -v t="${ts:-100}" 'BEGIN { exit !(t == 0) }'
ok $? "shallow: auto truncates nothing (${ts:-?}%)"

# ptrace takes auto too (its copy is fixed: what it reads is bounded by
# the stack's mapping already).
"$CTOP" --backend ptrace -F 199 --stack-size auto -o "$WORKDIR/pt.folded" \
	-- "$DEEP" 0 0.5 >/dev/null 2>"$WORKDIR/pt.err"
ok $? "ptrace with --stack-size auto: recorded ($(tail -1 "$WORKDIR/pt.err" | cut -c1-200))"
done_testing
