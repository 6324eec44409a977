#!/bin/bash
# SPDX-License-Identifier: MIT
# --push under the TUI with a server that never answers (issue 13): the
# status line says the pushes wait and how many are queued, sampling keeps
# its rate (samples worth the target's CPU time at 99 Hz), keys still
# work, and q quits within the 5 s flush deadline, counting what was lost;
# a reset (r) within an interval loses none of the interval's samples.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
. "$top_srcdir/tests/integration/push-lib.sh"
ptrace_allowed || skip_all "ptrace not permitted here"
samples() { line 1 | sed -n 's/.*samples *\([0-9]*\).*/\1/p'; }

start_server 'hang:60' || skip_all "the test server did not start"
# It lives past the test (600 s, not 120: 15 s alone, 96 s beside 64
# busy threads, and "target healthy" at the end must not find it ended
# by its own clock) and is killed at the end.
"$TARGETS/ratio" --seconds 600 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
tui_start 120 30 LC_ALL=C TERM=xterm-256color -- -p "$t" \
	--push "http://127.0.0.1:$PORT" --push-interval 1 --delay 0.5
wait_has FUNCTION; ok $? "the live table shows" || show
wait_for 15 has "push waiting, queued 2"
ok $? "status: the first push hangs, intervals queue up" || show
s1=$(samples); c1=$(proc_cpu_ms "$t")
sleep 2
s2=$(samples); c2=$(proc_cpu_ms "$t")
want=$(( (c2 - c1) * 99 * 7 / 10000 ))
[ $(( ${s2:-0} - ${s1:-0} )) -ge "$want" ]
ok $? "sampling keeps its rate while the push hangs: $((s2 - s1)) samples >= $want (70% of $((c2 - c1)) ms CPU at 99 Hz)" || show
keys '?'
wait_has "keys (any key closes this help)"; ok $? "? shows the help" || show
keys Escape
wait_has FUNCTION; ok $? "any key closes it" || show
start=$(now_ms)
keys q
wait_for 15 has "EXITED:0"; ok $? "q quits with status 0" || show
took=$(( $(now_ms) - start ))
# The flush waits 5 s for the hung request; quitting takes little else.
[ "$took" -le 9000 ]; ok $? "quit within the 5 s flush deadline (+4 s): $took ms"
wait_for 5 has "intervals sent"
ok $? "summary after the TUI: $(screen | grep 'push:')" || show
screen | grep -q 'push: 0 intervals sent.*[1-9][0-9]* dropped'
ok $? "nothing sent, the unsent intervals counted as dropped"
stop_server

# r within an interval: the samples before the reset still belong to it.
# One interval for the whole run (--push-interval 3600): what arrives must
# hold the samples counted before r plus those saved (s) after it.
start_server 200 || skip_all "the test server did not start"
tui_start 120 30 LC_ALL=C TERM=xterm-256color -- -p "$t" \
	--push "http://127.0.0.1:$PORT" --push-interval 3600 --delay 0.5
wait_has FUNCTION; ok $? "the live table shows again" || show
wait_until 10 '[ "$(samples)" -ge 50 ]'
pre=$(samples)
keys r
sleep 1.5
keys s
wait_has "saved "; ok $? "s saved the profile since the reset" || show
keys q
wait_for 15 has "EXITED:0"; ok $? "q quits with status 0" || show
f=$(ls "$WORKDIR"/ctop-prof-"$t"-*.folded 2>/dev/null | head -1)
saved=$(folded_total "$f")
push_py '
got = sum(sum(r["stacks"].values()) for r in ok)
spans = set((r["query"]["from"], r["query"]["until"]) for r in recs)
print(len(recs), "push(es) of", len(spans), "interval(s),", got, "samples")
sys.exit(0 if len(spans) == 1 and len(recs) == len(ok) <= 2 and
         got >= int(argv[1]) + int(argv[2]) else 1)' \
	"$pre" "$saved" >"$WORKDIR/reset"
ok $? "one interval with the samples before r ($pre) and after ($saved), a pprof for each part: $(cat "$WORKDIR/reset")"
stop_server
check "target healthy" -- target_healthy "$t"
kill "$t"
done_testing
