#!/bin/bash
# SPDX-License-Identifier: MIT
# JIT perf maps: fakejit runs a loop copied into an anonymous page and named
# "jit_hot_loop" in /tmp/perf-PID.map, and the same loop compiled in
# (c_hot_loop), 1:1. On each backend the JIT leaf must be named from the
# map with about half the samples. Then the trust rule: a map that is a
# symlink, owned by another uid or writable by anyone is ignored (and -v /
# --log says why); one owned by the target's uid or by root is used; a map
# that appears after the attach is picked up.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
JIT=jit_hot_loop_[j]
TOL=7	# points: 1500 samples give a standard deviation of 1.3, 300 of 2.9
# tol FILE [ERR]: TOL, or four standard deviations of a 50% share over
# the samples the recording took (its summary in ERR) when that is more:
# a loaded machine gives fewer samples, and ptrace's CPU-time weights make
# each one count more.
tol() {
	awk -v n="$(samples_taken "${2:-/dev/null}" "$(folded_total "$1")")" -v t="$TOL" \
		'BEGIN { s = n > 0 ? 4 * 50 / sqrt(n) : 50; printf "%.1f", (s > t) ? s : t }'
}

[ "$(uname -m)" = x86_64 ] || skip_all "fakejit's machine code is x86-64"
[ -x "$TARGETS/fakejit" ] || skip_all "tests/targets/fakejit is not built"
ptrace_allowed || skip_all "ptrace not permitted here"

# The figures of one recording: JIT leaf, C leaf, [unknown] leaf shares.
shares() {
	echo "jit $(folded_leaf_share "$1" "$JIT")%" \
		"c $(folded_leaf_share "$1" c_hot_loop)%" \
		"unknown $(folded_leaf_share "$1" '[unknown]')%" \
		"of $(folded_total "$1")"
}

# 1. Launched under each backend: both leaves about half.
for backend in ptrace perf; do
	if [ "$backend" = perf ] && ! perf_allowed; then
		skip "perf backend: JIT leaf share" "$PERF_WHY"
		continue
	fi
	f=$WORKDIR/$backend.folded
	# 1 s of the target's CPU time, however long a loaded machine takes
	# to give it: about 500 samples at 499 Hz.
	"$CTOP" --backend "$backend" -F 499 --duration 60 -o "$f" \
		--log "$WORKDIR/$backend.log" -- "$TARGETS/fakejit" --cpu-seconds 1 \
		2>"$WORKDIR/err"
	rc=$?
	jit=$(folded_leaf_share "$f" "$JIT")
	c=$(folded_leaf_share "$f" c_hot_loop)
	[ "$rc" = 0 ] && [ "$(folded_total "$f")" -ge 300 ] &&
		within "$jit" 50 "$(tol "$f" "$WORKDIR/err")" &&
		within "$c" 50 "$(tol "$f" "$WORKDIR/err")"
	ok $? "$backend: $(shares "$f") (expected 50/50 +-$(tol "$f" "$WORKDIR/err"), $(samples_taken "$WORKDIR/err" "$(folded_total "$f")") taken), exit $rc" ||
		{ head -5 "$WORKDIR/err"; sort -k2 -nr "$f" | head -5; }
	map=$(grep -o '/tmp/perf-[0-9]*\.map' "$WORKDIR/$backend.log")
	grep -q 'JIT names from /tmp/perf-[0-9]*\.map' "$WORKDIR/$backend.log" &&
		[ -n "$map" ] && [ ! -e "$map" ]
	ok $? "$backend: --log names the map read, which fakejit removed at exit: $(head -1 "$WORKDIR/$backend.log")"
	# No CFI for JIT code: the DWARF walk stops at it.
	diag "$backend: JIT stack: $(grep -F "$JIT" "$f" | sort -k2 -nr | head -1)"
done

# 2. Trust. A running fakejit is attached to with -p after its map was
# tampered with; the map's content stays valid, so only the trust rule
# can hide its names.
# It lives past all the recordings made of it (600 s, not 60: the test
# took 22 s alone, 156 s beside 64 busy threads) and is killed by
# stop_jit.
# A map some other program left at the pid fakejit gets (node leaves
# its maps) stops a fakejit run as another user from writing its own: it
# exits, and is started again, with another pid.
start_jit() {	# start_jit [setpriv args...]: sets P and MAP
	local _
	for _ in 1 2 3; do
		"$@" "$TARGETS/fakejit" --seconds 600 >/dev/null \
			2>"$WORKDIR/jit.err" &
		P=$!
		cleanup_pid "$P"
		MAP=/tmp/perf-$P.map
		wait_for 5 grep -q jit_hot_loop "$MAP" &&
			[ "$(proc_state "$P")" != Z ] && return 0
		diag "fakejit (pid $P) wrote no map: $(head -c 200 "$WORKDIR/jit.err")"
		kill "$P" 2>/dev/null
		wait "$P" 2>/dev/null
	done
	return 1
}
stop_jit() {
	kill "$P" 2>/dev/null
	wait "$P" 2>/dev/null
	rm -f "$MAP"
}
record() {	# record NAME: a 2 s recording of $P with --log
	"$CTOP" -p "$P" --backend ptrace -F 499 --duration 2 \
		-o "$WORKDIR/$1.folded" --log "$WORKDIR/$1.log" 2>/dev/null
}
# ignored NAME WHY: no JIT name, the JIT pcs went to [unknown] (at least
# half of their 50%: see trusted below), and the log says why.
ignored() {
	local f=$WORKDIR/$1.folded u
	u=$(folded_leaf_share "$f" '[unknown]')
	! grep -qF '_[j]' "$f" && awk -v u="$u" 'BEGIN { exit !(u >= 25) }' &&
		grep -q "perf-$P.map ignored.*$2" "$WORKDIR/$1.log"
	ok $? "$1: ignored: $(shares "$f"); log: $(head -1 "$WORKDIR/$1.log")"
}
# trusted NAME: every JIT pc named (none [unknown]) and the log says
# nothing was ignored. The JIT share only has to be there (half of its
# truth, 50%): its accuracy is section 1's; here, under load, ptrace's
# CPU-time weights make 2 s of samples spread more than their count says
# (seen: 60.3% of 476 while every JIT pc was named).
trusted() {
	local f=$WORKDIR/$1.folded
	awk -v j="$(folded_leaf_share "$f" "$JIT")" \
	    -v u="$(folded_leaf_share "$f" '[unknown]')" \
	    'BEGIN { exit !(j >= 25 && u <= 1) }' &&
		! grep -q ignored "$WORKDIR/$1.log"
	ok $? "$1: used: $(shares "$f")"
}

start_jit
mv "$MAP" "$WORKDIR/real.map"
ln -s "$WORKDIR/real.map" "$MAP"
record symlink
ignored symlink "symbolic link"
rm "$MAP"
mv "$WORKDIR/real.map" "$MAP"
record restored
trusted restored
chmod 666 "$MAP"
record world-writable
ignored world-writable "anyone may write"
chmod 644 "$MAP"

# A map that appears a second after sampling began: the JIT pcs first
# named [unknown] must get their name once it is there. The test times
# both parts itself (1 s without the map, 2 s with it), however long a
# loaded machine takes to attach.
mv "$MAP" "$WORKDIR/late.map"
"$CTOP" -p "$P" --backend ptrace -F 499 --duration 60 \
	-o "$WORKDIR/late.folded" 2>/dev/null &
c=$!
wait_for 20 sampling "$c" "$P"
sleep 1
mv "$WORKDIR/late.map" "$MAP"
sleep 2
kill -TERM "$c"
wait "$c"
jit=$(folded_leaf_share "$WORKDIR/late.folded" "$JIT")
unk=$(folded_leaf_share "$WORKDIR/late.folded" '[unknown]')
# About 2/3 of the JIT time named (the attach takes a moment), the rest not.
awk -v j="$jit" -v u="$unk" 'BEGIN { exit !(j >= 10 && u >= 5) }' &&
	within "$(awk -v j="$jit" -v u="$unk" 'BEGIN { print j + u }')" 50 "$(tol "$WORKDIR/late.folded")"
ok $? "late map: named once it appeared: $(shares "$WORKDIR/late.folded") (expected jit about 33, unknown 17)"

if [ "$(id -u)" != 0 ]; then
	skip "map owned by another uid" "needs root (chown)"
	skip "map owned by root" "needs root (chown)"
	stop_jit
	done_testing; exit
fi
chown 65534 "$MAP"
record other-uid
ignored other-uid "owned by uid 65534, neither the target's (0)"
stop_jit

# The target runs as nobody: its own map is used, and so is one that root
# owns; one owned by a third uid is not.
if ! command -v setpriv >/dev/null; then
	skip "map owned by the target's uid / by root" "needs setpriv"
	done_testing; exit
fi
chmod 755 "$WORKDIR"
start_jit setpriv --reuid=65534 --regid=65534 --clear-groups
[ "$(stat -c %u "$MAP")" = 65534 ]
ok $? "the map of a target run as uid 65534 is owned by it"
record own-uid
trusted own-uid
chown 0 "$MAP"
record root-owned
trusted root-owned
chown 1 "$MAP"
record third-uid
ignored third-uid "owned by uid 1, neither the target's (65534)"
stop_jit

done_testing
