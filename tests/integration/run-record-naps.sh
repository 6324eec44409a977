#!/bin/bash
# SPDX-License-Identifier: MIT
# A recording (-o, no view) on the perf backend wakes its threads seldom
# once its first two seconds are over: the main thread about once a
# second (10 a second before), the worker too while its naps bring
# little, the sampler when a ring is half full or after a second; and
# still ends at once when the target exits (its pidfd) or at a signal,
# with the target's samples written. (A JIT's samples named while it
# lives, its map removed at exit: run-perfmap.sh, run-unpriv-gates.sh.)
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/perf-lib.sh"
export LC_ALL=C
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"

# switches TID: its voluntary context switches, each a sleep it woke
# from (preemptions, many while other work runs beside, not counted).
switches() {
	awk '/^voluntary_ctxt_switches/ { print $2 }' \
		"/proc/$c/task/$1/status" 2>/dev/null
}
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
tid_of() { grep -lx "$1" /proc/"$c"/task/*/comm 2>/dev/null | cut -d/ -f5; }

start_target t "$TARGETS/spin" -b 1
"$CTOP" --backend perf -F 99 -p "$t" -o "$WORKDIR/a.folded" 2>"$WORKDIR/a.err" &
c=$!
cleanup_pid "$c"
sleep 3
main=$c worker=$(tid_of ctop-worker) sampler=$(tid_of ctop-sampler)
m0=$(switches "$main") w0=$(switches "$worker") s0=$(switches "$sampler")
sleep 4
m1=$(switches "$main") w1=$(switches "$worker") s1=$(switches "$sampler")
dm=$((m1 - m0)) dw=$((w1 - w0)) ds=$((s1 - s0))
[ -n "$worker" ] && [ -n "$sampler" ] && [ "$dm" -le 8 ] && [ "$dw" -le 16 ]
ok $? "after 3 s, in 4 s at 99 Hz: main woke $dm times (want <= 8; 40 at 100 ms), the worker $dw (want <= 16; 40 at 100 ms)"
[ "$ds" -le 24 ]
ok $? "the sampler woke $ds times (want <= 24; 40 at 100 ms)"

# The target's exit ends it at once, its samples written.
s=$(now_ms)
kill "$t"
wait "$c"
rc=$? el=$(( $(now_ms) - s ))
[ "$rc" = 0 ] && [ "$el" -le 700 ] && at_least "$(folded_share "$WORKDIR/a.folded" spin_hot)" 90
ok $? "the target killed: exit $rc after $el ms (want <= 700), spin_hot $(folded_share "$WORKDIR/a.folded" spin_hot)% of $(folded_total "$WORKDIR/a.folded") samples" ||
	diag "$(cat "$WORKDIR/a.err")"

# A signal ends it at once too.
start_target t "$TARGETS/spin" -b 1
"$CTOP" --backend perf -F 99 -p "$t" -o "$WORKDIR/b.folded" 2>"$WORKDIR/b.err" &
c=$!
sleep 3
s=$(now_ms)
kill -INT "$c"
wait "$c"
rc=$? el=$(( $(now_ms) - s ))
[ "$rc" = 0 ] && [ "$el" -le 700 ] && [ "$(folded_total "$WORKDIR/b.folded")" -ge 100 ] &&
	target_healthy "$t"
ok $? "SIGINT: exit $rc after $el ms (want <= 700), $(folded_total "$WORKDIR/b.folded") samples written, the target runs on" ||
	diag "$(cat "$WORKDIR/b.err")"
kill "$t" 2>/dev/null
done_testing
