#!/bin/bash
# SPDX-License-Identifier: MIT
# Batch tables on a real target: every table, the first included, holds
# the samples taken up to when it is printed (its SELF column sums to the
# header's count, give or take the samples of the printing itself), and a
# reader that goes away (| head) ends the run quietly with status 0,
# leaving the target running and untraced.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"

"$TARGETS/ratio" --seconds 60 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
sleep 0.3

"$CTOP" -p "$t" -F 499 -b -d 0.5 -n 3 >"$WORKDIR/tables" 2>"$WORKDIR/err"
ok $? "three tables, exit 0 ($(head -c 200 "$WORKDIR/err"))"
# table_sums: per table, the header's sample count and the SELF sum.
awk '/^ctop-prof / { if (h != "") print h, s; h = $0; sub(/.*samples /, "", h)
	sub(/ .*/, "", h); s = 0; next }
	/^ *[0-9.]+ +[0-9.]+ +[0-9]+ / { s += $3 }
	END { if (h != "") print h, s }' "$WORKDIR/tables" >"$WORKDIR/sums"
[ "$(wc -l <"$WORKDIR/sums")" = 3 ]
ok $? "three headers: $(tr '\n' ',' <"$WORKDIR/sums")"
read -r first_h first_s <"$WORKDIR/sums"
[ "${first_s:-0}" -gt 0 ] && ! grep -q '(no samples)' "$WORKDIR/tables"
ok $? "the first table has rows ($first_s samples in it, $first_h in its header)"
# The table shows at most 25 rows: compare where every function fits.
good=$(awk '{ if ($2 > 0 && $2 >= 0.9 * $1 && $2 <= $1 + 5) n++ } END { print n + 0 }' "$WORKDIR/sums")
[ "$good" = 3 ]
ok $? "each table holds the samples its header counts ($good of 3 within 10%)"
grep -q 'work_a' <(sed -n '2,30p' "$WORKDIR/tables")
ok $? "work_a in the first table"

"$CTOP" -p "$t" -F 499 -b -d 0.2 2>"$WORKDIR/err2" | head -3 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && [ ! -s "$WORKDIR/err2" ]
ok $? "| head -3: exit $rc, nothing on stderr ($(head -c 200 "$WORKDIR/err2"))"
check "target healthy after both runs" -- target_healthy "$t"
done_testing
