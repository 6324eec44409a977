#!/bin/bash
# SPDX-License-Identifier: MIT
# runner: alone: per-child shares against CPU time, on a machine another test would load
# --children (issue 15, item 2; perf backend): every process the target
# forks is sampled too, each under its own top-level frame "PID comm":
# make -j2 running two known workloads (ratio: work_a 75% of its own
# time), Python's multiprocessing pool, the workers of a pre-forking
# parent at attach, 500 short-lived children a second; nothing is ever
# stopped or left traced, also after kill -9 of ctop-prof.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
export LC_ALL=C
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"

# top_share FOLDED REGEX: the share (0-100) of the samples whose first
# frame (the process) matches REGEX.
top_share() {
	awk -v re="$2" '{ n = $NF; t += n; split($0, f, ";"); if (f[1] ~ re) m += n }
		END { printf "%.1f", t ? 100 * m / t : 0 }' "$1"
}
# within_proc FOLDED PROC_RE FUNC: FUNC's share of PROC's samples.
within_proc() {
	awk -v re="$2" -v fn="$3" '{ n = $NF; split($0, f, ";"); if (f[1] !~ re) next
		t += n; if ($0 ~ ";" fn " ") m += n } END { printf "%.1f", t ? 100 * m / t : 0 }' "$1"
}

# 1. make -j2: two jobs of known work, each its own process frame.
cat >"$WORKDIR/Makefile" <<MK
all: a b
a:
	$TARGETS/ratio --seconds 2 >ratio.cpu
b:
	$TARGETS/spin -b 1 -s 2 >spin.cpu
.PHONY: all a b
MK
"$CTOP" --children -F 499 -o "$WORKDIR/make.folded" -- make -s -j2 -C "$WORKDIR" \
	>/dev/null 2>"$WORKDIR/err"
ok $? "make -j2 under --children: exit 0 ($(tail -1 "$WORKDIR/err" | cut -c1-200))"
r=$(top_share "$WORKDIR/make.folded" '^[0-9]+ ratio$')
s=$(top_share "$WORKDIR/make.folded" '^[0-9]+ spin$')
# The truth: the CPU time each job reports it got (about half each on a
# quiet machine; a loaded one gives them what it gives).
truth=$(cpu_truth "$WORKDIR")
total=$(folded_total "$WORKDIR/make.folded")
tol=$(awk -v n="$total" 'BEGIN { printf "%.1f", 400 * sqrt(0.25 / (n > 0 ? n : 1)) + 3 }')
within "$r" "$truth" "$tol" && awk -v r="$r" -v s="$s" 'BEGIN { exit !(r + s >= 90) }'
ok $? "the two jobs are processes of their own: ratio $r%, spin $s% (ratio's CPU time says $truth% +- $tol; both >= 90)" ||
	awk '{ split($0, f, ";"); print f[1] }' "$WORKDIR/make.folded" | sort | uniq -c | head
a=$(within_proc "$WORKDIR/make.folded" '^[0-9]+ ratio$' work_a)
rn=$(awk '{ split($0, f, ";"); if (f[1] ~ /^[0-9]+ ratio$/) n += $NF } END { print n + 0 }' "$WORKDIR/make.folded")
# 4 standard deviations of a share from rn samples (a loaded machine gives
# ratio fewer: 80.3% once, against a fixed +- 5).
tol=$(awk -v n="$rn" 'BEGIN { t = 400 * sqrt(0.75 * 0.25 / (n > 0 ? n : 1)); printf "%.1f", (t < 3 ? 3 : t) }')
within "$a" 75 "$tol"
ok $? "within ratio's process, work_a has $a% of its $rn samples (truth 75, +- $tol)"
# The rate per CPU second counts the children's CPU time (make's is
# nearly nothing: it was 936 Hz of 499 when only make's own counted).
hz=$(sed -n 's/.*(\([0-9.]*\) Hz per busy thread.*/\1/p' "$WORKDIR/err" | head -1)
awk -v h="${hz:-0}" 'BEGIN { exit !(h >= 499 * 0.8 && h <= 499 * 1.2) }'
ok $? "the summary's rate counts the children's CPU time: ${hz:-?} Hz (-F 499, +- 20%)"
grep -qE '^[0-9]+ make;' "$WORKDIR/make.folded" || grep -qE '^[0-9]+ make ' "$WORKDIR/make.folded"
m=$?
[ "$m" = 0 ] || diag "make itself was not sampled (it only waits)"

# 2. Python's multiprocessing: the pool's two workers burn, the parent
# waits.
# (Debian's python3-minimal, which quickstart.sh installs, has no
# multiprocessing: the check needs the full standard library.)
if python3 -c 'import multiprocessing.pool' 2>/dev/null; then
	"$CTOP" --children --backend perf -F 499 -o "$WORKDIR/mp.folded" -- python3 \
		"$top_srcdir/tests/targets/py_pool.py" >/dev/null 2>"$WORKDIR/err"
	rc=$?
	# Each worker burns 1.5 s of CPU: about 750 samples at 499 Hz.
	n=$(awk '{ split($0, f, ";"); if (f[1] ~ /^[0-9]+ python3$/) p[f[1]] += $NF } END { k = 0; for (x in p) if (p[x] >= 300) k++; print k }' "$WORKDIR/mp.folded")
	[ "$rc" = 0 ] && [ "${n:-0}" = 2 ]
	ok $? "multiprocessing.Pool(2): exit $rc, $n python3 processes with >= 300 samples (the two workers)" ||
		awk '{ split($0, f, ";"); p[f[1]] += $NF } END { for (x in p) print p[x], x }' "$WORKDIR/mp.folded"
else
	skip "multiprocessing.Pool(2)" "no python3 with multiprocessing (Debian: python3)"
fi

# 3. Attach to a parent whose workers exist already (a pre-forking server).
sh -c "\"$TARGETS/spin\" -b 1 -s 60 & \"$TARGETS/spin\" -b 1 -s 60 & wait" >/dev/null &
srv=$!
cleanup_pid "$srv"
wait_until 5 '[ "$(pgrep -P "$srv" | wc -l)" -ge 2 ]'
"$CTOP" --children -F 499 --duration 2 -o "$WORKDIR/srv.folded" -p "$srv" 2>"$WORKDIR/err"
ok $? "attach to a parent with two workers: recorded"
# Each spins all the time: even a loaded machine gives each of them tens of
# samples in 2 s (one had under 100 at a load of 7 on 2 CPUs).
n=$(awk '{ split($0, f, ";"); if (f[1] ~ /^[0-9]+ spin$/) p[f[1]] += $NF } END { k = 0; for (x in p) if (p[x] >= 20) k++; print k }' "$WORKDIR/srv.folded")
[ "${n:-0}" = 2 ]
ok $? "both workers there at attach are sampled, each its own process ($n with >= 20 samples)"
# ... and named from their own image: they exec'd spin before the attach
# (a REC_PROC_NEW told for them once named them with sh's modules, and
# every stack was "PID spin;[incomplete];[unknown]").
named=$(awk '{ split($0, f, ";"); if (f[1] !~ /^[0-9]+ spin$/) next; t += $NF
	if ($0 ~ /;spin_hot(;|_\[k\]|$| )/) h += $NF } END { printf "%.1f", t ? 100 * h / t : 0 }' "$WORKDIR/srv.folded")
awk -v s="$named" 'BEGIN { exit !(s >= 90) }'
ok $? "the workers' stacks are named: $named% of their samples in spin_hot (want >= 90)" ||
	head -3 "$WORKDIR/srv.folded"
# kill -9 of ctop-prof: nothing stopped, nothing traced.
"$CTOP" --children -F 999 --duration 30 -o "$WORKDIR/k.folded" -p "$srv" 2>/dev/null &
c=$!
sleep 1.5
kill -9 "$c"
wait "$c" 2>/dev/null
bad=
for p in "$srv" $(pgrep -P "$srv"); do
	st=$(proc_state "$p")
	[ "$st" = T ] || [ "$st" = t ] || [ "$(tracer_of "$p")" != 0 ] && bad="$bad $p:$st:$(tracer_of "$p")"
done
[ -z "$bad" ]
ok $? "after kill -9 of ctop-prof: the parent and its workers run, untraced${bad:+ (not:$bad)}"
kill "$srv" $(pgrep -P "$srv") 2>/dev/null

# 4. 500 short-lived children a second (each about 1 ms of CPU): all of
# them run, ctop-prof survives and names them. A child that runs less
# than one period may not be sampled at all (each starts its counter
# afresh): their share is not asserted.
"$CTOP" --children -F 999 -o "$WORKDIR/churn.folded" -- "$TARGETS/forkchurn" 500 3 \
	>"$WORKDIR/churn.out" 2>"$WORKDIR/err"
rc=$?
forks=$(sed -n 's/^forks=\([0-9]*\) reaped=\([0-9]*\).*/\1 \2/p' "$WORKDIR/churn.out")
[ "$rc" = 0 ] && [ "$forks" = "1500 1500" ]
ok $? "forkchurn 500/s for 3 s under --children: exit $rc, forks and reaped: ${forks:-?}"
cb=$(awk '/;child_burst / { n += $NF } END { print n + 0 }' "$WORKDIR/churn.folded")
procs=$(awk '{ split($0, f, ";"); p[f[1]] = 1 } END { print length(p) }' "$WORKDIR/churn.folded")
[ "$cb" -ge 20 ] && [ "$procs" -ge 20 ]
ok $? "children named: $cb samples in child_burst, $procs process frames"

# 4b. At 99 Hz the parent's own samples follow its CPU time while it forks
# 500 times a second, running less than the 10 ms period between forks
# (the kernel lost most of them, uncounted, while each child's events
# were a copy of the parent's: 9 of 71 due). Kernel time is the fork's.
if [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 1 ]; then
	"$CTOP" --children -F 99 -o "$WORKDIR/churn99.folded" -- \
		"$TARGETS/forkchurn" 500 3 >"$WORKDIR/churn99.out" 2>"$WORKDIR/err"
	pid=$(sed -n 's/^pid //p' "$WORKDIR/churn99.out")
	ms=$(sed -n 's/^main_ms //p' "$WORKDIR/churn99.out")
	got=$(awk -v p="${pid:-x}" '{ split($0, f, ";"); split(f[1], g, " ")
		if (g[1] == p) n += $NF } END { print n + 0 }' "$WORKDIR/churn99.folded")
	due=$(cpu_due "$ms" 99)
	follows_due "$got" "$due" 20 85 110
	ok $? "forkchurn at 99 Hz: the parent has $got samples, its ${ms:-?} ms of CPU make $due (85-110%)"
else
	skip "forkchurn's parent at 99 Hz" "its forks are kernel time, not visible here"
fi

# 5. The live view: the header counts the processes, P zooms into each
# in turn (the one with most samples first), then shows all again; at
# 80x24 with TERM=vt100 LANG=C.
tui_start 80 24 LC_ALL=C LANG=C TERM=vt100 -- --children -d 0.5 -- sh -c \
	"\"$TARGETS/spin\" -b 1 -s 60 >/dev/null & \"$TARGETS/ratio\" --seconds 60 & wait"
samples() { line 1 | sed -n 's/.*samples *\([0-9]*\).*/\1/p'; }
wait_for 10 line_has 1 "+2 procs"; ok $? "status line: $(line 1)" || show
# Both processes in the view (99 Hz each) before P.
at_least_samples() { [ "$(samples)" -ge "$1" ] 2>/dev/null; }
wait_for 20 at_least_samples 200
# The zoom's path on line 3 once it differs from $1.
zoom_changed() { [ "$(line 3)" != "$1" ]; }
next_zoom() {
	local was
	was=$(line 3)
	keys P
	wait_for 10 zoom_changed "$was"
	line 3
}
z1=$(next_zoom | sed 's/.*all > //')
z2=$(next_zoom | sed 's/.*all > //')
# Then all again: after the shell too when it was sampled (its fork and
# exec), which is a process of the cycle as well.
z3=$(next_zoom)
case "$z3" in *"all > "*" sh") z3=$(next_zoom) ;; esac
echo "$z1 $z2" | grep -qE '^[0-9]+ (spin|ratio) [0-9]+ (spin|ratio)$' &&
	[ "${z1#* }" != "${z2#* }" ] && [ "$z3" = "icicle  all" ]
ok $? "P: zoom into '$z1', then '$z2', then all ('$z3')" || show
keys q
wait_has "EXITED:"; ok $? "q quits" || show

done_testing
