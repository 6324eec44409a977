#!/bin/bash
# SPDX-License-Identifier: MIT
# Soak: ctop-prof records a thread-churning target (about 500 new threads
# per second) at 999 Hz for SOAK_SECONDS (default 600). Its open fds and
# its own threads must not change after the warm-up (the first fifth),
# (a /proc file open for a moment aside),
# and its RSS may grow only by what the profile keeps per thread seen
# (one call tree per thread: measured ~150-200 bytes per short thread),
# bounded here by 512 bytes per thread + 8 MiB. The target is healthy
# after the detach and the recording is written.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
SECS=${SOAK_SECONDS:-600}
STEP=$(( SECS / 20 )); [ "$STEP" -lt 1 ] && STEP=1

"$TARGETS/threadchurn" >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
sleep 0.3
"$CTOP" -p "$t" -F 999 -o "$WORKDIR/soak.folded" 2>"$WORKDIR/err" &
c=$!
cleanup_pid "$c"
# ctop-prof's open fds but those of the target's threads' /proc files (the
# ptrace sampler keeps one per traced thread; they come and go with the
# churn) and the files of the target's modules and their debug files (one
# each, opened when a module is first sampled: ld.so's may come late).
# Counted from the fds themselves: the target's thread count, read at
# another instant, is no measure of them.
fds() {
	local f n=0
	for f in /proc/"$c"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		"") ;;
		/proc/"$t"/task/*) ;;
		*.so|*.so.[0-9]*|*.debug|"$(readlink "/proc/$t/exe")") ;;
		*) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}
field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$c/status"; }
# Warm-up: every module and debug file is open by then (the first samples
# of each library open them), so later growth is a leak.
warm=$(( SECS / 5 )); [ "$warm" -lt 6 ] && warm=6
sleep "$warm"
fd0=$(fds) th0=$(field Threads) rss0=$(field VmRSS)
fd_targets() { for f in /proc/"$c"/fd/*; do readlink "$f"; done 2>/dev/null |
	grep -v "^/proc/$t/task/" | sed 's/[0-9]\{3,\}/N/g' | sort; }
fd_targets >"$WORKDIR/fds.warm"
fdmax=$fd0 fdmin=$fd0 thbad=0 rss=$rss0 lastmin=999
el=$warm
while [ "$el" -lt "$SECS" ]; do
	sleep "$STEP"; el=$((el + STEP))
	f=$(fds); [ "$f" -gt "$fdmax" ] && fdmax=$f; [ "$f" -lt "$fdmin" ] && fdmin=$f
	# The last quarter's minimum: a leak raises it, a /proc file open
	# for a moment (task scan, maps re-read) does not.
	[ "$el" -ge $(( SECS * 3 / 4 )) ] && [ "$f" -lt "$lastmin" ] && lastmin=$f
	[ "$(field Threads)" = "$th0" ] || thbad=$((thbad + 1))
	rss=$(field VmRSS)
	diag "t=${el}s fds-but-per-thread=$f threads=$(field Threads) rss=${rss}kB target threads=$(awk '/^Threads:/ { print $2 }' /proc/$t/status)"
done
fd_targets >"$WORKDIR/fds.end"
kill -INT "$c"
wait "$c"
rc=$?
seen=$(grep -oE '[0-9]+ threads' "$WORKDIR/err" | cut -d' ' -f1)
ok "$rc" "soak ${SECS}s: exit $rc: $(cat "$WORKDIR/err")"
[ "$lastmin" -le $((fd0 + 1)) ] && [ "$fdmax" -le $((fd0 + 3)) ]
ok $? "open fds (but per-thread /proc files and module files) flat: $fd0 at warm-up, $fdmin..$fdmax after (transient /proc reads), $lastmin at least in the last quarter" ||
	diff "$WORKDIR/fds.warm" "$WORKDIR/fds.end" | sed 's/^/# fds warm-up vs end: /'

[ "$thbad" = 0 ]
ok $? "ctop-prof's threads stay $th0"
limit=$(( ${seen:-0} / 2 + 8192 ))	# kB: 512 B per thread seen + 8 MiB
[ $((rss - rss0)) -le "$limit" ]
ok $? "RSS ${rss0} -> ${rss} kB (+$((rss - rss0)) kB for ${seen:-?} threads seen; limit +$limit kB)"
check "target healthy after the soak" -- target_healthy "$t"
[ "$(folded_total "$WORKDIR/soak.folded")" -gt 0 ]
ok $? "recording written ($(folded_total "$WORKDIR/soak.folded") samples)"
done_testing
