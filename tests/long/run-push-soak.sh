#!/bin/bash
# SPDX-License-Identifier: MIT
# Push soak (issue 13): an agent pushes every second for SOAK_SECONDS
# (default 600) to a slow server (0.8 s per answer). Its RSS and open fds
# (sockets, pipes, event fds: +2/-1, see below) must stay flat after the
# warm-up (the first fifth): RSS may grow by at most 2 MiB (the target's
# stacks do not change, so the profile does not grow); every interval is
# sent, none dropped, and they are contiguous.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/integration/push-lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
SECS=${SOAK_SECONDS:-600}
STEP=$(( SECS / 20 )); [ "$STEP" -lt 1 ] && STEP=1
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# Sockets, pipes and event fds: the files of the target's modules (one
# each, opened when a module is first sampled) may come late and count not.
fds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c -e socket: -e pipe: -e anon_inode:; }

start_server 'hang:0.8' || skip_all "the test server did not start"
# nice: the target only has to keep the stacks coming, not run fast.
nice -n 10 "$TARGETS/ratio" --seconds $((SECS + 60)) >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
"$CTOP" -p "$t" --push "http://127.0.0.1:$PORT" --push-interval 1 \
	-b -n 0 >/dev/null 2>"$WORKDIR/err" &
c=$!
cleanup_pid "$c"
sleep $((SECS / 5))
rss0=$(rss_kb "$c"); fd0=$(fds "$c"); max=$rss0
for _ in $(seq $(( (SECS - SECS / 5) / STEP ))); do
	sleep "$STEP"
	r=$(rss_kb "$c"); [ "${r:-0}" -gt "$max" ] && max=$r
done
rss1=$(rss_kb "$c"); fd1=$(fds "$c")
fdlist=$(ls -l "/proc/$c/fd" 2>/dev/null | grep -e socket: -e pipe: -e anon_inode:)
kill -TERM "$c"
wait "$c"
ok $? "the agent exits 0 after $SECS s"
[ $((max - rss0)) -le 2048 ]
ok $? "RSS flat: $rss0 kB after the warm-up, at most $max kB, $rss1 kB at the end"
# The connection to the server comes and goes (keep-alive): one fd. And
# one more socket pair appeared once, minutes in, in each of three runs
# (8 -> 10 after some 600 pushes; why is not known yet): up to 2 more is
# taken; a leak per push or per retry would be hundreds.
[ $((fd1 - fd0)) -le 2 ] && [ $((fd0 - fd1)) -le 1 ]
ok $? "open fds flat (+2/-1): $fd0 -> $fd1" ||
	diag "$(echo "$fdlist" | awk '{ print $(NF - 2), $NF }' | tr '\n' ' ')"
grep -q 'push: [0-9]* intervals sent ([0-9]* bytes), [0-9]* retries, 0 dropped' "$WORKDIR/err"
ok $? "nothing dropped: $(grep 'push:' "$WORKDIR/err")"
n=$(push_py 'print(len(ok))')
# A second in which the niced target got no CPU has no samples: it is
# not sent, and joins the next interval.
[ "$n" -ge $((SECS * 8 / 10)) ]; ok $? "$n pushes in $SECS s"
push_py "$contiguous_py" >/dev/null
ok $? "$(push_py "$contiguous_py")"
stop_server
check "target healthy" -- target_healthy "$t"
done_testing
