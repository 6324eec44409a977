#!/bin/bash
# SPDX-License-Identifier: MIT
# runner: alone: per-child shares against CPU time, on a machine another test would load
# --children on the ptrace backend (issue 15, item 2): every process the
# target forks arrives attached (PTRACE_O_TRACEFORK, TRACEVFORK), runs at
# once and is sampled under its own top-level frame "PID comm"; the
# descendants at attach are seized. Shares per process against the CPU
# time each used; make -j2 and a shell pipeline launched; a pre-forking
# server attached; no process left stopped or traced after q, SIGHUP,
# SIGTERM or kill -9 of ctop-prof (also with children born at 500 a
# second, some in their first stop when the tracer dies); 500 short-lived
# children a second survived; the pause a fork costs the child.
. "$(dirname "$0")/../lib.sh"
# The TUI's q is checked where tmux is (tuilib skips everything without).
command -v tmux >/dev/null 2>&1 && . "$top_srcdir/tests/tui/tuilib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted (yama ptrace_scope > 1)"
P=(--backend ptrace --children)

# proc_samples FOLDED REGEX: samples of the processes whose frame matches.
proc_samples() {
	awk -v re="$2" '{ split($0, f, ";"); if (f[1] ~ re) n += $NF } END { print n + 0 }' "$1"
}
# within_proc FOLDED PROC_RE FUNC: FUNC's share of PROC's samples.
within_proc() {
	awk -v re="$2" -v fn="$3" '{ n = $NF; split($0, f, ";"); if (f[1] !~ re) next
		t += n; if ($0 ~ ";" fn " ") m += n } END { printf "%.1f", t ? 100 * m / t : 0 }' "$1"
}
# tol_for N P: 4 standard deviations (percent) of a share P from N samples,
# at least 3.
tol_for() {
	awk -v n="$1" -v p="$2" 'BEGIN { p /= 100; t = 400 * sqrt(p * (1 - p) / (n > 0 ? n : 1)); printf "%.1f", (t < 3 ? 3 : t) }'
}
# draws N ERR: of N weighted samples in a run whose summary is ERR, how
# many were draws of their own. ptrace weighs a sample by the CPU time
# since the thread's last one ("1804 samples ..., 1049 taken, weighed by
# CPU time"): a share's spread is that of the samples taken, not of the
# weighted count (work_a once 81.1% of 908 weighted samples: 4.2 standard
# deviations of those, 3.3 of the 550 taken).
draws() {
	local taken all
	taken=$(sed -n 's/.*, \([0-9]*\) taken, weighed by CPU time.*/\1/p' "$2" | head -1)
	all=$(sed -n 's/.*backend: \([0-9]*\) samples.*/\1/p' "$2" | head -1)
	awk -v n="$1" -v t="${taken:-0}" -v a="${all:-0}" \
		'BEGIN { printf "%d", (t > 0 && a > 0 && t < a) ? n * t / a : n }'
}
# descendants PID: PID's descendants, every level.
descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}
# tree_bad PID: each process of PID's tree (PID too) with a thread that is
# stopped (t, T) or traced, as pid:state:tracer; empty when all are well.
tree_bad() {
	local p
	for p in "$1" $(descendants "$1"); do
		target_healthy "$p" || [ ! -d /proc/"$p" ] ||
			echo -n " $p:$(proc_state "$p"):$(tracer_of "$p")"
	done
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
"$CTOP" "${P[@]}" -F 499 -o "$WORKDIR/make.folded" -- make -s -j2 -C "$WORKDIR" \
	>/dev/null 2>"$WORKDIR/err"
ok $? "make -j2 under --children (ptrace): exit 0 ($(tail -1 "$WORKDIR/err" | cut -c1-160))"
total=$(folded_total "$WORKDIR/make.folded")
rn=$(proc_samples "$WORKDIR/make.folded" '^[0-9]+ ratio$')
sn=$(proc_samples "$WORKDIR/make.folded" '^[0-9]+ spin$')
r=$(awk -v a="$rn" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * a / t : 0 }')
s=$(awk -v a="$sn" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * a / t : 0 }')
# The truth: the CPU time each job reports it got (each runs 2 s: about
# half each on a quiet machine; 65.2% for ratio once under load).
truth=$(cpu_truth "$WORKDIR")
tol=$(awk -v n="$total" 'BEGIN { printf "%.1f", 400 * sqrt(0.25 / (n > 0 ? n : 1)) + 3 }')
within "$r" "$truth" "$tol" && awk -v r="$r" -v s="$s" 'BEGIN { exit !(r + s >= 90) }'
ok $? "the two jobs are processes of their own: ratio $r%, spin $s% (ratio's CPU time says $truth% +- $tol; both >= 90)" ||
	awk '{ split($0, f, ";"); p[f[1]] += $NF } END { for (x in p) print "# " p[x], x }' "$WORKDIR/make.folded"
a=$(within_proc "$WORKDIR/make.folded" '^[0-9]+ ratio$' work_a)
tol=$(tol_for "$(draws "$rn" "$WORKDIR/err")" 75)
within "$a" 75 "$tol"
ok $? "within ratio's process, work_a has $a% of its $rn samples (truth 75, +- $tol)"

# 2. A shell pipeline: the shell forks both ends, which exec.
"$CTOP" "${P[@]}" -F 499 -o "$WORKDIR/pipe.folded" -- sh -c \
	"\"$TARGETS/spin\" -b 1 -s 1.5 | cat >\"$WORKDIR/pipe.spin\"; \"$TARGETS/ratio\" --seconds 1.5 >\"$WORKDIR/pipe.ratio\"" \
	>/dev/null 2>"$WORKDIR/err"
rc=$?
sn=$(proc_samples "$WORKDIR/pipe.folded" '^[0-9]+ spin$')
rn=$(proc_samples "$WORKDIR/pipe.folded" '^[0-9]+ ratio$')
# Each runs 1.5 s, and gets what CPU time the machine gives it in that
# time (750 samples' worth at 499 Hz on a quiet machine; 0.1 s once
# beside a second test suite): each its own process, with at least half
# the samples the CPU time it reports makes (and that at least 20).
sd=$(cpu_due "$(awk '/^cpu_ms/ { print $2 }' "$WORKDIR/pipe.spin")" 499)
rd=$(cpu_due "$(awk '/^cpu_ms/ { print $2 }' "$WORKDIR/pipe.ratio")" 499)
[ "$rc" = 0 ] && follows_due "${sn:-0}" "$sd" 20 50 && follows_due "${rn:-0}" "$rd" 20 50
ok $? "sh -c 'spin | cat; ratio': exit $rc, spin $sn and ratio $rn samples (their CPU time makes $sd and $rd at 499 Hz: at least half)"
grep -qE '^[0-9]+ spin;.*spin_hot ' "$WORKDIR/pipe.folded"
ok $? "the exec'd child is named from its own program (spin_hot under 'PID spin')"

if python3 -c 'import multiprocessing.pool' 2>/dev/null; then
	"$CTOP" "${P[@]}" -F 499 -o "$WORKDIR/mp.folded" -- python3 \
		"$top_srcdir/tests/targets/py_pool.py" >/dev/null 2>"$WORKDIR/err"
	rc=$?
	n=$(awk '{ split($0, f, ";"); if (f[1] ~ /^[0-9]+ python3$/) p[f[1]] += $NF } END { k = 0; for (x in p) if (p[x] >= 300) k++; print k }' "$WORKDIR/mp.folded")
	[ "$rc" = 0 ] && [ "${n:-0}" = 2 ]
	ok $? "multiprocessing.Pool(2): exit $rc, $n python3 processes with >= 300 samples (the two workers)"
else
	skip "multiprocessing.Pool(2)" "no python3 with multiprocessing (Debian: python3)"
fi

# 3. Attach to a pre-forking server: its two workers exist already. The
# truth for each worker's share: the CPU time it used while recorded.
sh -c "\"$TARGETS/spin\" -b 1 -s 120 & \"$TARGETS/ratio\" --seconds 120 & wait" >/dev/null &
srv=$!
cleanup_pid "$srv"
wait_until 5 '[ "$(pgrep -P "$srv" | wc -l)" -ge 2 ]'
w1=$(pgrep -P "$srv" spin) w2=$(pgrep -P "$srv" ratio)
c1=$(proc_cpu_ms "$w1") c2=$(proc_cpu_ms "$w2")
"$CTOP" "${P[@]}" -F 499 --duration 3 -o "$WORKDIR/srv.folded" -p "$srv" 2>"$WORKDIR/err"
ok $? "attach to a parent with two workers: recorded"
d1=$(( $(proc_cpu_ms "$w1") - c1 )) d2=$(( $(proc_cpu_ms "$w2") - c2 ))
n1=$(proc_samples "$WORKDIR/srv.folded" "^$w1 spin\$")
n2=$(proc_samples "$WORKDIR/srv.folded" "^$w2 ratio\$")
got=$(awk -v a="$n1" -v b="$n2" 'BEGIN { printf "%.1f", a + b ? 100 * a / (a + b) : 0 }')
truth=$(awk -v a="$d1" -v b="$d2" 'BEGIN { printf "%.1f", a + b ? 100 * a / (a + b) : 0 }')
tol=$(tol_for $((n1 + n2)) 50)
tol=$(awk -v t="$tol" 'BEGIN { print t + 3 }')	# the CPU read around the run
# Samples: at least half what each worker's CPU time while recorded makes.
follows_due "$n1" "$(cpu_due "$d1" 499)" 20 50 &&
	follows_due "$n2" "$(cpu_due "$d2" 499)" 20 50 && within "$got" "$truth" "$tol"
ok $? "workers at attach: spin $n1, ratio $n2 samples (of $(cpu_due "$d1" 499) and $(cpu_due "$d2" 499) due); spin's share $got% (truth by CPU time $truth%: ${d1} ms vs ${d2} ms, +- $tol)"
a=$(within_proc "$WORKDIR/srv.folded" "^$w2 ratio\$" work_a)
tol=$(tol_for "$(draws "$n2" "$WORKDIR/err")" 75)
within "$a" 75 "$tol"
ok $? "within the ratio worker, work_a has $a% of its $n2 samples (truth 75, +- $tol)"
bad=$(tree_bad "$srv")
[ -z "$bad" ]
ok $? "after the recording: the server and its workers run, untraced${bad:+ (not:$bad)}"

# 4. Every way out: SIGHUP, SIGTERM, kill -9 of a recording; q in the TUI.
for sig in HUP TERM KILL; do
	"$CTOP" "${P[@]}" -F 999 --duration 60 -o "$WORKDIR/x.folded" -p "$srv" 2>/dev/null &
	c=$!
	wait_for 10 sampling "$c" "$w1"
	sleep 0.5
	kill -"$sig" "$c"
	wait "$c" 2>/dev/null
	bad=$(tree_bad "$srv")
	[ -z "$bad" ]
	ok $? "after SIG$sig of ctop-prof: the server and its workers run, untraced${bad:+ (not:$bad)}"
done
if declare -F tui_start >/dev/null; then
	tui_start 80 24 LC_ALL=C LANG=C TERM=vt100 -- "${P[@]}" -d 0.5 -p "$srv"
	wait_for 10 line_has 1 "+2 procs"
	ok $? "TUI on ptrace: the header counts the workers: $(line 1)" || show
	keys q
	wait_has "EXITED:"
	bad=$(tree_bad "$srv")
	[ -z "$bad" ]
	ok $? "after q: the server and its workers run, untraced${bad:+ (not:$bad)}"
else
	skip "q in the TUI" "no tmux"
fi
kill "$srv" $(descendants "$srv") 2>/dev/null

# 5. 500 short-lived children a second (each about 1 ms of CPU): all run
# and are reaped, and ctop-prof names them.
"$CTOP" "${P[@]}" -F 999 -o "$WORKDIR/churn.folded" -- "$TARGETS/forkchurn" 500 3 \
	>"$WORKDIR/churn.out" 2>"$WORKDIR/err"
rc=$?
forks=$(sed -n 's/^forks=\([0-9]*\) reaped=\([0-9]*\).*/\1 \2/p' "$WORKDIR/churn.out")
secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$WORKDIR/churn.out")
[ "$rc" = 0 ] && [ "$forks" = "1500 1500" ]
ok $? "forkchurn 500/s for 3 s under --children (ptrace): exit $rc, forks and reaped: ${forks:-?} in ${secs:-?} s ($(awk -v s="${secs:-0}" 'BEGIN { printf "%.0f", (s > 0 ? 1500 / s : 0) }') children/s)"
cb=$(awk '/;child_burst / { n += $NF } END { print n + 0 }' "$WORKDIR/churn.folded")
procs=$(awk '{ split($0, f, ";"); p[f[1]] = 1 } END { print length(p) }' "$WORKDIR/churn.folded")
[ "$cb" -ge 20 ] && [ "$procs" -ge 20 ]
ok $? "children named: $cb samples in child_burst, $procs process frames"

# 6. kill -9 of ctop-prof while children are born at 500 a second: some
# are in their first stop (auto-attached, not yet seen) when the tracer
# dies; the kernel detaches every tracee and wakes it. Five times, at
# different moments.
bad_all=
for i in 1 2 3 4 5; do
	"$TARGETS/forkchurn" 500 4 >"$WORKDIR/k$i.out" 2>&1 &
	fc=$!
	cleanup_pid "$fc"
	wait_for 5 grep -q ready "$WORKDIR/k$i.out"
	"$CTOP" "${P[@]}" -F 999 --duration 60 -o "$WORKDIR/k.folded" -p "$fc" 2>/dev/null &
	c=$!
	wait_for 10 sampling "$c" "$fc"
	sleep "0.$((RANDOM % 9 + 1))"
	kill -9 "$c"
	wait "$c" 2>/dev/null
	bad=$(tree_bad "$fc")
	wait "$fc"
	rc=$?
	f=$(sed -n 's/^forks=\([0-9]*\) reaped=\([0-9]*\).*/\1 \2/p' "$WORKDIR/k$i.out")
	[ -n "$bad" ] || [ "$rc" != 0 ] || [ "$f" != "2000 2000" ] &&
		bad_all="$bad_all [$i: rc $rc, $f,$bad]"
done
[ -z "$bad_all" ]
ok $? "kill -9 of ctop-prof under fork churn, 5 times: target and children untraced, running, all reaped${bad_all:+ (not:$bad_all)}"

# 7. The pause a fork costs the child (fork to its first instruction),
# without and with ctop-prof: reported; asserted only against a hang.
"$TARGETS/forklat" 200 >"$WORKDIR/lat0" 2>&1
"$CTOP" "${P[@]}" -o "$WORKDIR/lat.folded" -- "$TARGETS/forklat" 200 \
	>"$WORKDIR/lat1" 2>/dev/null
rc=$?
p99=$(sed -n 's/.*p99=\([0-9]*\).*/\1/p' "$WORKDIR/lat1")
[ "$rc" = 0 ] && [ "${p99:-999999}" -lt 200000 ]
ok $? "fork to the child's first instruction: alone $(cat "$WORKDIR/lat0"); under ctop-prof $(cat "$WORKDIR/lat1")"

# 8. Both backends and both modes take --children.
for opt in "--backend ptrace" "--mode wall"; do
	# shellcheck disable=SC2086
	"$CTOP" --children $opt -o "$WORKDIR/u.folded" -- sh -c 'true | true' \
		>/dev/null 2>"$WORKDIR/err"
	rc=$?
	ok $rc "--children $opt runs (exit $rc): $(tail -1 "$WORKDIR/err" | cut -c1-120)"
done
done_testing
