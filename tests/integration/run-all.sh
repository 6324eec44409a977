#!/bin/bash
# SPDX-License-Identifier: MIT
# -a (issue 15, item 3; perf backend): the whole machine. Three known
# workloads at once (ratio: work_a 75% of its time; spin; chain: main ->
# a -> b -> c -> spin), each under its own top-level frame "PID comm",
# each with the share of the samples its CPU time (/proc/PID/stat) says,
# its hot functions named; a process started and ended during the run; at
# most 64 per-process states with 100 processes exec'd during the run
# and a loop of short-lived ones; the TUI's header and P; usage errors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
export LC_ALL=C
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"
"$CTOP" -a --duration 0.1 -o "$WORKDIR/probe-all.folded" 2>"$WORKDIR/err" ||
	skip_all "-a not permitted here: $(cat "$WORKDIR/err")"

HZ=199
# proc_samples FOLDED PID: the samples under the frame "PID comm".
proc_samples() {
	awk -v p="$2" '{ split($0, f, ";"); split(f[1], w, " ")
		if (w[1] == p) n += $NF } END { print n + 0 }' "$1"
}
# func_samples FOLDED PID FUNC: PID's samples whose stack holds FUNC.
func_samples() {
	awk -v p="$2" -v fn="$3" '{ split($0, f, ";"); split(f[1], w, " ")
		if (w[1] != p) next; s = $0; sub(/ [0-9]+$/, "", s)
		if ((";" s ";") ~ (";" fn ";")) n += $NF } END { print n + 0 }' "$1"
}
# sd4 P N: 4 standard deviations, in points, of a share P (0-1) of N
# samples; at least 3 points.
sd4() {
	awk -v p="$1" -v n="$2" 'BEGIN { t = 400 * sqrt(p * (1 - p) / (n > 0 ? n : 1))
		printf "%.1f", t < 3 ? 3 : t }'
}

# 1. Three workloads at once, for 4 s of sampling.
"$TARGETS/ratio" >/dev/null &
rp=$!
cleanup_pid "$rp"
"$TARGETS/spin" -b 1 >/dev/null &
sp=$!
cleanup_pid "$sp"
"$TARGETS/chain" >/dev/null &
cp=$!
cleanup_pid "$cp"
# The CPU times are read when the perf events open and when they close:
# the start (rings prefaulted) and the end (the worker drains, the file
# is written) take a loaded machine seconds in which nothing is sampled.
perf_fds() { find "/proc/$1/fd" -lname '*perf_event*' 2>/dev/null | wc -l; }
# The machine's busy CPU time in ticks (/proc/stat: all but idle, iowait).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
"$CTOP" -a -F $HZ --duration 4 -o "$WORKDIR/all.folded" 2>"$WORKDIR/err" &
self=$!
wait_for 20 eval '[ "$(perf_fds "$self")" -gt 0 ]'
for p in $rp $sp $cp $self; do eval "c0_$p=$(cpu_ticks "$p")"; done
m0=$(busy_ticks)
while [ "$(perf_fds "$self")" -gt 0 ]; do sleep 0.01; done
for p in $rp $sp $cp $self; do eval "c1_$p=$(cpu_ticks "$p")"; done
m1=$(busy_ticks)
wait "$self"
rc=$?
[ "$rc" = 0 ]
ok $? "-a --duration 4: exit $rc: $(cut -c1-400 "$WORKDIR/err")"
total=$(folded_total "$WORKDIR/all.folded")
diag "$total samples; process frames: $(awk '{ split($0, f, ";"); print f[1] }' \
	"$WORKDIR/all.folded" | sort -u | wc -l)"
for w in "$rp ratio" "$sp spin" "$cp chain"; do
	grep -q "^$w;" "$WORKDIR/all.folded"
	ok $? "top-level frame '$w'"
done

# Each workload's share of the three's samples against its share of the
# three's CPU time (clock ticks over the run: a few ticks of the start
# and end fall outside the sampling, hence 5 points more than the noise).
n3=0
t3=0
for p in $rp $sp $cp; do
	eval "n_$p=$(proc_samples "$WORKDIR/all.folded" "$p")"
	eval "d_$p=\$((c1_$p - c0_$p))"
	eval "n3=\$((n3 + n_$p)); t3=\$((t3 + d_$p))"
done
for p in $rp $sp $cp; do
	eval "n=\$n_$p; d=\$d_$p"
	got=$(awk -v a="$n" -v b="$n3" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')
	truth=$(awk -v a="$d" -v b="$t3" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')
	tol=$(awk -v t="$(sd4 "$(awk -v a="$d" -v b="$t3" 'BEGIN { print b ? a / b : 0 }')" "$n3")" \
		'BEGIN { printf "%.1f", t + 5 }')
	within "$got" "$truth" "$tol"
	ok $? "pid $p: $got% of the three's $n3 samples, CPU time says $truth% (+- $tol)"
	# Its share of the machine's samples: of the machine's busy time
	# less ctop-prof's own (whose samples it leaves out).
	mt=$(( m1 - m0 - (c1_$self - c0_$self) ))
	got=$(awk -v a="$n" -v b="$total" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')
	truth=$(awk -v a="$d" -v b="$mt" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
	tol=$(awk -v t="$(sd4 "$(awk -v a="$d" -v b="$mt" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$total")" \
		'BEGIN { printf "%.1f", t + 5 }')
	within "$got" "$truth" "$tol"
	ok $? "pid $p: $got% of the machine's $total samples, CPU time says $truth% of $mt ticks (+- $tol)"
	# Its rate: samples per second of its CPU time is -F.
	hz=$(awk -v a="$n" -v d="$d" -v tk="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.0f", d ? a / (d / tk) : 0 }')
	within "$hz" $HZ $((HZ * 15 / 100 + 10))
	ok $? "pid $p: $n samples in $d ticks of CPU: $hz Hz (-F $HZ +- 15%)"
done

# Hot functions, named within each process.
na=$(func_samples "$WORKDIR/all.folded" "$rp" work_a)
nb=$(func_samples "$WORKDIR/all.folded" "$rp" work_b)
a=$(awk -v a="$na" -v b="$nb" 'BEGIN { printf "%.1f", a + b ? 100 * a / (a + b) : 0 }')
tol=$(sd4 0.75 $((na + nb)))
within "$a" 75 "$tol"
ok $? "ratio: work_a $na, work_b $nb: work_a has $a% (truth 75, +- $tol)"
h=$(func_samples "$WORKDIR/all.folded" "$sp" spin_hot)
n=$(proc_samples "$WORKDIR/all.folded" "$sp")
[ "$n" -gt 0 ] && [ $((h * 100 / n)) -ge 90 ]
ok $? "spin: spin_hot in $h of its $n samples (>= 90%)"
h=$(awk -v p="$cp" '{ split($0, f, ";"); split(f[1], w, " ")
	if (w[1] == p && $0 ~ /;main;a;b;c;spin /) n += $NF } END { print n + 0 }' "$WORKDIR/all.folded")
n=$(proc_samples "$WORKDIR/all.folded" "$cp")
[ "$n" -gt 0 ] && [ $((h * 100 / n)) -ge 80 ]
ok $? "chain: main;a;b;c;spin in $h of its $n samples (>= 80%)"
! grep -q "^$self " "$WORKDIR/all.folded"
ok $? "ctop-prof ($self) left itself out"
grep -q "processes sampled" "$WORKDIR/err"
ok $? "the summary counts the processes sampled"
kill "$rp" "$sp" "$cp" 2>/dev/null

# 2. A process started and ended during the run: its own frame and its
# hot function, named although it is gone before the end.
"$CTOP" -a -F $HZ --duration 4 -o "$WORKDIR/late.folded" 2>"$WORKDIR/err" &
c=$!
sleep 1
"$TARGETS/spin" -b 1 -s 1 >"$WORKDIR/late.out" &
lp=$!
wait "$lp"
wait "$c"
rc=$?
h=$(func_samples "$WORKDIR/late.folded" "$lp" spin_hot)
# Due: its CPU time at HZ (a loaded machine gives it less than 1 s).
ms=$(sed -n 's/^cpu_ms //p' "$WORKDIR/late.out")
due=$(cpu_due "$ms" "$HZ")
[ "$rc" = 0 ] && follows_due "$h" "$due" 10 80
ok $? "spin started 1 s in, gone after 1 s: frame '$lp spin', spin_hot in $h samples (its ${ms:-?} ms of CPU make $due; >= 80%)" ||
	grep "^$lp " "$WORKDIR/late.folded" | head -3

# 3. The bound on states: 100 processes exec'd during the run (asleep)
# and a loop of short-lived ones (/bin/true): at most 64 states held,
# the rest evicted and counted.
"$CTOP" -a -F $HZ --duration 5 -o "$WORKDIR/many.folded" 2>"$WORKDIR/err" &
c=$!
sleep 1
pids=()
for _ in $(seq 100); do
	sleep 8 &
	pids+=($!)
	cleanup_pid $!
done
end=$(( $(date +%s) + 2 ))
n=0
while [ "$(date +%s)" -lt "$end" ]; do /bin/true; n=$((n + 1)); done
wait "$c"
rc=$?
kill "${pids[@]}" 2>/dev/null
states=$(sed -n 's/.*states: \([0-9]*\) held of at most \([0-9]*\), \([0-9]*\) made, \([0-9]*\) evicted.*/\1 \2 \3 \4/p' "$WORKDIR/err")
read -r held max made ev <<<"${states:-x x x x}"
[ "$rc" = 0 ] && [ "$max" = 64 ] && [ "$held" -le 64 ] && [ "$ev" -ge 36 ] &&
	[ "$made" -ge 100 ]
ok $? "100 sleepers and $n /bin/true: states $held held (<= $max), $made made, $ev evicted (>= 36): $(grep -o 'processes sampled.*evicted' "$WORKDIR/err")"

# 4. The live view at 80x24: the header counts processes, the table has
# its PROCESS column, P zooms into each process in turn.
"$TARGETS/ratio" >/dev/null &
rp=$!
cleanup_pid "$rp"
"$TARGETS/spin" -b 1 >/dev/null &
sp=$!
cleanup_pid "$sp"
tui_start 80 24 LC_ALL=C LANG=C TERM=vt100 -- -a -d 0.5
wait_for 15 eval 'line 1 | grep -qE "^all [1-9][0-9]* procs"'
ok $? "status line: $(line 1)" || show
wait_for 15 has "PROCESS"
ok $? "the table's PROCESS column: $(screen | grep -m1 PROCESS)" || show
# (Another ratio or spin on the machine makes the row "several".)
wait_for 15 eval 'screen | grep -qE "($rp ratio|$sp spin|several) +(work_a|spin_hot)" &&
	screen | grep -qE " [0-9]+ [^ ]+ +[^ ]+$"'
ok $? "rows of functions with their process: $(screen | grep -m1 -E "[0-9]+ (ratio|spin) +")" || show
keys P
wait_for 10 line_has 3 "icicle  all > "
z1=$(line 3 | sed 's/.*all > //')
keys P
wait_for 10 eval '[ -n "$(line 3 | grep "all > ")" ] && [ "$(line 3 | sed "s/.*all > //")" != "$z1" ]'
z2=$(line 3 | sed 's/.*all > //')
echo "$z1" | grep -qE '^[0-9]+ ' && echo "$z2" | grep -qE '^[0-9]+ ' && [ "$z1" != "$z2" ]
ok $? "P: zoom into '$z1', then '$z2'" || show
keys s
wait_for 10 eval 'ls "$WORKDIR"/ctop-prof-all-*.folded >/dev/null'
f=$(ls "$WORKDIR"/ctop-prof-all-*.folded 2>/dev/null | head -1)
[ -n "$f" ] && [ -s "$f" ]
ok $? "s writes ${f##*/} (what is shown: $(awk '{ split($0, f, ";"); print f[1] }' "$f" 2>/dev/null | sort -u | wc -l) process)" || show
keys q
wait_has "EXITED:0"
ok $? "q quits (exit 0)" || show
kill "$rp" "$sp" 2>/dev/null

# 5. Usage: -a with a target, ptrace, wall or --children: exit 2, one
# line, no file.
for bad in "-p $$" "--backend ptrace" "--mode wall" "--children" "--load $WORKDIR/all.folded"; do
	rm -f "$WORKDIR/bad.folded"
	# shellcheck disable=SC2086
	"$CTOP" -a $bad -o "$WORKDIR/bad.folded" >/dev/null 2>"$WORKDIR/err"
	rc=$?
	[ "$rc" = 2 ] && [ "$(wc -l <"$WORKDIR/err")" = 1 ] && [ ! -e "$WORKDIR/bad.folded" ]
	ok $? "-a $bad: usage error (exit $rc), no file: $(cat "$WORKDIR/err")"
done
rm -f "$WORKDIR/bad.folded"
"$CTOP" -a -o "$WORKDIR/bad.folded" -- true >/dev/null 2>"$WORKDIR/err"
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$WORKDIR/err")" = 1 ] && [ ! -e "$WORKDIR/bad.folded" ]
ok $? "-a -- true: usage error (exit $rc), no file: $(cat "$WORKDIR/err")"
done_testing
