#!/bin/bash
# SPDX-License-Identifier: MIT
# cpu mode counts CPU time, not runnable threads: three busy threads
# share one CPU (taskset -c 0) at nice 0, 2, 5; each counts its own work,
# which is the truth the profiles must match. The ptrace backend weighs
# each sample by the thread's CPU time since its last one, so its shares
# match the work split within 2 points and its weighted samples are one
# CPU's worth (the target's own CPU time x the frequency), not three;
# the perf backend agrees with both.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
command -v taskset >/dev/null 2>&1 || skip_all "taskset is not installed"
HZ=99
SECS=5

counts() { cat "$WORKDIR/counts"; }
# shares C0 C1: the work split between two counts lines, "hi mid lo" in %.
shares() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
		h = y[2] - x[2]; m = y[4] - x[4]; l = y[6] - x[6]; t = h + m + l
		printf "%.1f %.1f %.1f", 100 * h / t, 100 * m / t, 100 * l / t }'
}
# frame_shares FOLDED: the same split from a profile, among the samples
# in the three spin functions (main's own CPU time, writing the counts,
# is no part of the work split).
frame_shares() {
	awk -v h="$(folded_share "$1" spin_hi)" -v m="$(folded_share "$1" spin_mid)" \
		-v l="$(folded_share "$1" spin_lo)" 'BEGIN { t = h + m + l
		if (t == 0) t = 1
		printf "%.1f %.1f %.1f", 100 * h / t, 100 * m / t, 100 * l / t }'
}
# agree NAME TRUTH GOT: each of the three shares within 2 points.
agree() {
	local t=($2) g=($3) i bad=0
	for i in 0 1 2; do within "${t[$i]}" "${g[$i]}" 2 || bad=1; done
	[ "$bad" = 0 ]
	ok $? "$1: shares hi/mid/lo $3 match the work split $2 within 2 points"
}

taskset -c 0 "$TARGETS/cpushare" "$WORKDIR/counts" >"$WORKDIR/t.out" 2>&1 &
pid=$!
cleanup_pid "$pid"
wait_for 5 grep -q ready "$WORKDIR/t.out"
sleep 0.5	# let the nice values settle the split

# profile NAME ARGS...: records the target for SECS with ARGS; leaves
# NAME.folded, and TRUTH (the work split meanwhile) and CPU_S (seconds of
# CPU the target used meanwhile).
profile() {
	local name=$1 c0 c1 k0 k1; shift
	c0=$(counts); k0=$(cpu_ticks "$pid")
	"$@" 2>"$WORKDIR/$name.err"
	ok $? "$name: recorded ($(tail -1 "$WORKDIR/$name.err"))"
	c1=$(counts); k1=$(cpu_ticks "$pid")
	TRUTH=$(shares "$c0" "$c1")
	CPU_S=$(awk -v a="$k0" -v b="$k1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f", (b - a) / hz }')
}

profile ptrace "$CTOP" --backend ptrace --mode cpu -F $HZ -p "$pid" \
	--duration $SECS -o "$WORKDIR/ptrace.folded"
got=$(frame_shares "$WORKDIR/ptrace.folded")
diag "ptrace: truth $TRUTH, profile $got, target CPU ${CPU_S}s"
agree "ptrace cpu mode" "$TRUTH" "$got"
# Weighted samples: one per 1/HZ s of the target's CPU time, whatever the
# number of runnable threads; counted 3x before weights. That CPU time is
# measured around the whole run, ctop-prof's start (slow on a busy
# machine) and end included, hence the looser lower bound.
total=$(folded_total "$WORKDIR/ptrace.folded")
want=$(awk -v c="$CPU_S" -v hz=$HZ 'BEGIN { printf "%.0f", c * hz }')
rate=$(awk -v t="$total" -v s=$SECS 'BEGIN { printf "%.1f", t / s }')
awk -v t="$total" -v w="$want" 'BEGIN { exit !(w > 0 && t >= 0.75 * w && t <= 1.1 * w) }'
ok $? "ptrace cpu mode: $total samples (${rate}/s) for ${CPU_S}s of CPU x $HZ Hz = $want (within -25%/+10%)"
awk -v r="$rate" -v hz=$HZ 'BEGIN { exit !(r <= 1.15 * hz) }'
ok $? "ptrace cpu mode: ${rate} samples/s from one CPU at $HZ Hz, not one per runnable thread"
grep -q "samples in" "$WORKDIR/ptrace.err"
ok $? "ptrace: summary line printed"

if perf_allowed; then
	profile perf "$CTOP" --backend perf -F $HZ -p "$pid" \
		--duration $SECS -o "$WORKDIR/perf.folded"
	pgot=$(frame_shares "$WORKDIR/perf.folded")
	diag "perf: truth $TRUTH, profile $pgot, target CPU ${CPU_S}s"
	agree "perf backend" "$TRUTH" "$pgot"
	ptotal=$(folded_total "$WORKDIR/perf.folded")
	pwant=$(awk -v c="$CPU_S" -v hz=$HZ 'BEGIN { printf "%.0f", c * hz }')
	awk -v t="$ptotal" -v w="$pwant" 'BEGIN { exit !(w > 0 && t >= 0.75 * w && t <= 1.1 * w) }'
	ok $? "perf backend: $ptotal samples for ${CPU_S}s of CPU x $HZ Hz = $pwant (within -25%/+10%)"
else
	skip "perf backend: shares" "$PERF_WHY"
fi

# perf record itself, as a third opinion where it is installed and allowed
# (leaf symbols: the spin functions are leaves).
if command -v perf >/dev/null 2>&1 &&
	perf record -q -F $HZ -e cpu-clock -o "$WORKDIR/probe.data" -- true >/dev/null 2>&1; then
	c0=$(counts)
	perf record -q -F $HZ -e cpu-clock -p "$pid" -o "$WORKDIR/perf.data" \
		-- sleep $SECS >/dev/null 2>&1
	c1=$(counts)
	TRUTH=$(shares "$c0" "$c1")
	rgot=$(perf report -i "$WORKDIR/perf.data" --stdio --no-children \
		--sort symbol 2>/dev/null | awk '
		$3 == "spin_hi" { h = $1 } $3 == "spin_mid" { m = $1 }
		$3 == "spin_lo" { l = $1 }
		END { t = h + m + l; if (t == 0) t = 1
		printf "%.1f %.1f %.1f", 100 * h / t, 100 * m / t, 100 * l / t }')
	diag "perf record: truth $TRUTH, profile $rgot"
	agree "perf record" "$TRUTH" "$rgot"
else
	skip "perf record: shares" "perf is not installed or not permitted"
fi

kill "$pid"
done_testing
