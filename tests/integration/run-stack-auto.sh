#!/bin/bash
# SPDX-License-Identifier: MIT
# runner: alone: how soon the copy changes is the worker's pace, which a
# neighbour's load slows (beside run-budget: 6.3% truncated, no change)
# --stack-size auto on the perf backend (issue 17 goal 2): the copy
# follows how deep the walks read. A target built for it (deepstack:
# recursion to a known depth, 1 KiB frames) needs about 41 KiB of copy at
# depth 40: fixed 16384 truncates nearly every stack, auto grows at once
# and the stacks reach main; at depth 0 (a shallow program) auto's perf
# records are smaller than fixed 16384's. Deep stacks split the copies:
# short ones joined to whole ones (joinpaths: where that goes wrong). The
# figures come from the summary line (perf records median, truncated
# share, changes, joined share, checked joins).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"

DEEP=$TARGETS/deepstack
field() { sed -n "s/.*$2.*/\\1/p" "$WORKDIR/$1.err" | head -1; }
record() {	# record NAME SIZE DEPTH [SECONDS, 2]
	"$CTOP" --backend perf -F 499 --stack-size "$2" -v \
		-o "$WORKDIR/$1.folded" -- "$DEEP" "$3" "${4:-2}" \
		>/dev/null 2>"$WORKDIR/$1.err"
}
# The share of stacks with dive 40 deep and main under them.
whole() {
	awk '{ n = $NF; t += n; line = $0
		if (line ~ /;main;dive;/ && gsub(/;dive/, "", line) == 41) w += n }
		END { printf "%.1f", t ? 100 * w / t : 0 }' "$WORKDIR/$1.folded"
}

record deep-fixed 16384 40
ok $? "deepstack 40 with --stack-size 16384: recorded"
tf=$(field deep-fixed 'truncated \([0-9.]*\)%')
awk -v t="${tf:-0}" 'BEGIN { exit !(t >= 90) }'
ok $? "fixed 16384 truncates the 41 KiB stack: ${tf:-?}% truncated"

# 5 s: the samples taken before the first growth are a smaller part of
# them (3.7% of 2 s once, 5.0% in a TSan build; a loaded machine's worker
# comes to the first walk later).
record deep-auto auto 40 5
ok $? "deepstack 40 with --stack-size auto: recorded ($(grep 'backend:' "$WORKDIR/deep-auto.err" | cut -c1-400))"
ta=$(field deep-auto 'truncated \([0-9.]*\)%')
ch=$(field deep-auto '; stack copy [0-9]* now, \([0-9]*\) changes')
n=$(field deep-auto 'backend: \([0-9]*\) samples')
# At once: from 16384, or from a step taken before for a walk that came
# within the margin (the target's start, its recursion not yet deep:
# 16384 -> 20480 at 12824 bytes read, then 20480 -> 65528 once in a
# CI-equivalent run). The main thread's depth is the sampler's own to
# see (its stack pointer against the stack's top): no walk needed.
grown=$(grep -m1 "stack-size auto: [0-9]* -> 65528 bytes.*the main thread's stack was deeper" "$WORKDIR/deep-auto.err")
ok $? "auto grows at once when the main thread's stack is deeper than the copy ($(grep 'stack-size auto' "$WORKDIR/deep-auto.err" | head -3 | tr '\n' ' '))"
# The samples taken before the growth are truncated: those the worker had
# not walked yet when the first walk ran out (25 of 1594 on a quiet
# machine, 100 in a CI run whose worker came to its first walk late).
# None after: the truncated share is at most theirs.
before=$(printf '%s\n' "$grown" | sed -n 's/.* after \([0-9]*\) samples.*/\1/p')
awk -v t="${ta:-100}" -v b="${before:-0}" -v n="${n:-0}" \
	'BEGIN { exit !(n > 0 && b <= 0.4 * n && t <= 100 * b / n + 0.5) }'
ok $? "auto: ${ta:-?}% truncated, the ${before:-?} of ${n:-?} samples taken before the growth at most (fixed 16384: ${tf:-?}%), ${ch:-?} changes"
# Every stack after the growth is whole, but for a point of them (the
# target's start and end, not yet or no longer 40 deep): the share asked
# follows from the samples taken before it (156 of 1545 in a CI run's ASan
# build, whose worker came to its first walk at 0.57 s: 89.9% whole).
w=$(whole deep-auto)
awk -v w="$w" -v b="${before:-0}" -v n="${n:-0}" \
	'BEGIN { exit !(n > 0 && w >= 100 - 100 * b / n - 1) }'
ok $? "auto: $w% of the stacks are whole, main and 41 dive frames (want all but the ${before:-?} of ${n:-?} taken before the growth, and 1%)"

# The split: once a window of whole walks judged the size, most samples
# copy 3584 bytes and one in 8 the whole; the short walks are joined to
# the whole walks' callers (src/unwind/join.c), which are checked.
med=$(field deep-auto 'perf records [0-9]*, median \([0-9]*\)')
jn=$(field deep-auto '; joined \([0-9.]*\)%')
wrong=$(field deep-auto 'checked on [0-9]* whole walks, \([0-9]*\) wrong')
[ -n "$med" ] && [ "$med" -le 4096 ] && [ "${wrong:-1}" = 0 ] &&
	awk -v j="${jn:-0}" 'BEGIN { exit !(j >= 50) }'
ok $? "auto split the copies: perf records median ${med:-?} bytes (want <= 4096), ${jn:-?}% of the stacks joined, ${wrong:-?} checked joins wrong ($(grep 'stack-size auto:' "$WORKDIR/deep-auto.err" | tr '\n' ' '))"

# Threads the split meets after it began: each one's first short copies
# come before a whole copy of it taught links, and stay truncated; they
# are not counted against the split, which would have ended at 1.1 s (19
# of 458 walks not joined) and copied 65528 bytes for every sample.
"$CTOP" --backend perf -F 499 --stack-size auto -v --duration 4 \
	-o "$WORKDIR/late.folded" -- "$DEEP" 40 4 3 >/dev/null 2>"$WORKDIR/late.err"
med=$(field late 'perf records [0-9]*, median \([0-9]*\)')
nt=$(field late 'per busy thread, \([0-9]*\) threads')
ended=$(grep -m1 'from now on' "$WORKDIR/late.err")
w=$(awk '{ n = $NF; t += n; line = $0
	if (line ~ /;(main|late_dive);dive;/ && gsub(/;dive/, "", line) == 41)
		w += n }
	END { printf "%.1f", t ? 100 * w / t : 0 }' "$WORKDIR/late.folded")
[ -n "$med" ] && [ "$med" -le 4096 ] && [ -z "$ended" ] &&
	[ "${nt:-0}" -ge 5 ] && awk -v w="$w" 'BEGIN { exit !(w >= 95) }'
ok $? "late threads: the split goes on, median ${med:-?} bytes (want <= 4096), $w% of the stacks whole (main or late_dive, 41 dive frames; want 95), ${nt:-?} threads (want 5) ($(grep 'stack-size auto:' "$WORKDIR/late.err" | tr '\n' ' '))"

# A thread other than main whose stack is deeper than the copy: the
# sampler cannot see its depth, the worker's walk that ran out tells it
# (main spins shallow, the copy shrunk to fit it before the thread dives
# at 0.75 s).
"$CTOP" --backend perf -F 499 --stack-size auto -v \
	-o "$WORKDIR/thread.folded" -- "$DEEP" 40 3 1 0 >/dev/null 2>"$WORKDIR/thread.err"
grep -q 'stack-size auto: [0-9]* -> [0-9]* bytes (deepest read [0-9]*, a walk ran out)' "$WORKDIR/thread.err" &&
	grep -q ';late_dive;dive;' "$WORKDIR/thread.folded"
ok $? "a deep thread other than main: grown when its walk ran out ($(grep 'stack-size auto' "$WORKDIR/thread.err" | head -3 | tr '\n' ' '))"

# joinpaths: dive 40 deep (256-byte frames) under path_a for good ("a"),
# or under path_a and path_b in turn ("ab"), their frames alike: there a
# join can name the wrong path; the checks find it and the split ends.
JP=$TARGETS/joinpaths
jp() {
	"$CTOP" --backend perf -F 499 --stack-size auto -v --duration 4 \
		-o "$WORKDIR/$1.folded" -- "$JP" 40 "$2" >/dev/null 2>"$WORKDIR/$1.err"
}
jp jp-a a
med=$(field jp-a 'perf records [0-9]*, median \([0-9]*\)')
wrong=$(field jp-a 'checked on [0-9]* whole walks, \([0-9]*\) wrong')
wa=$(awk '{ n = $NF; t += n; line = $0
	if (line ~ /;main;path_a;dive;/ && gsub(/;dive/, "", line) == 41) w += n }
	END { printf "%.1f", t ? 100 * w / t : 0 }' "$WORKDIR/jp-a.folded")
[ -n "$med" ] && [ "$med" -le 4096 ] && [ "${wrong:-1}" = 0 ] &&
	awk -v w="$wa" 'BEGIN { exit !(w >= 98) }'
ok $? "joinpaths a: median ${med:-?} bytes, $wa% of the stacks whole (main, path_a, 41 dive frames; want 98), ${wrong:-?} checked joins wrong"
jp jp-ab ab
ended=$(grep -m1 'a joined stack was wrong' "$WORKDIR/jp-ab.err")
pa=$(awk '{ t += $NF; if ($0 ~ /;path_a;/) a += $NF }
	END { printf "%.1f", t ? 100 * a / t : 0 }' "$WORKDIR/jp-ab.folded")
[ -n "$ended" ] && awk -v a="$pa" 'BEGIN { exit !(a >= 40 && a <= 60) }'
ok $? "joinpaths ab: a wrong join found, in the rehearsal or the split: no more splitting (${ended#ctop-prof: }); path_a $pa% (truth 50)"

# A run too short for the rehearsal's 64 walks (0.1 s at 499 Hz: about 50
# samples) never splits, and -v says why at the end: not the program's
# stacks but the run's length (the size: 65528, or the first 32768 where
# a slow build's worker came to its first walk after the end).
record deep-brief auto 40 0.1
never=$(grep -m1 'the copies were never split' "$WORKDIR/deep-brief.err")
printf '%s\n' "$never" | grep -Eq ' (65528|32768) bytes for every sample: the run ended first \(the last rehearsal: [0-9]+ of [0-9]+ walks'
ok $? "a 0.1 s run: -v says the copies were never split and why (${never#ctop-prof: })"

record shallow-fixed 16384 0 3
ok $? "deepstack 0 (shallow) with --stack-size 16384: recorded"
record shallow-auto auto 0 3
ok $? "deepstack 0 with --stack-size auto: recorded ($(grep 'backend:' "$WORKDIR/shallow-auto.err" | cut -c1-400))"
rf=$(field shallow-fixed 'perf records [0-9]*, median \([0-9]*\)')
ra=$(field shallow-auto 'perf records [0-9]*, median \([0-9]*\)')
ts=$(field shallow-auto 'truncated \([0-9.]*\)%')
now=$(field shallow-auto '; stack copy \([0-9]*\) now')
n=$(field shallow-auto 'backend: \([0-9]*\) samples')
shrunk=$(grep -m1 'stack-size auto: 32768 -> [0-9]* bytes.*a window needed less' "$WORKDIR/shallow-auto.err")
before=$(printf '%s\n' "$shrunk" | sed -n 's/.* after \([0-9]*\) samples.*/\1/p')
# 3584 when the first 32 walks were all of the shallow loop; 8704 when
# one went deeper (twice beside a CI run's build, the decision then at
# 1.07 s): at most half the fixed size and 1 KiB.
[ -n "$shrunk" ] && [ -n "$now" ] && [ "$now" -le 9216 ]
ok $? "shallow: auto shrinks the copy to ${now:-?} bytes (want <= 9216: ${shrunk#ctop-prof: })"
# The records' median falls with it when the change came in the first
# 40% of the samples (32 walks: 64 ms at 499 Hz, later when the worker
# comes to its first walks late on a loaded machine).
# The first decision reads 32 walks; when one of them went deeper (the
# process's start, likely: 16384 -> 8704 once in a CI-equivalent run,
# then 3584 a window later; 8192 once with sanitizers, its median 8448),
# the median falls by a quarter rather than a half.
first=$(printf '%s\n' "$shrunk" | sed -n 's/.*32768 -> \([0-9]*\) bytes.*/\1/p')
cut=2; [ "${first:-0}" -gt 4096 ] && cut=4
if [ -n "$before" ] && [ -n "$n" ] && [ "$before" -le $((n * 4 / 10)) ]; then
	[ -n "$rf" ] && [ -n "$ra" ] && [ "$ra" -le $((rf - rf / cut)) ]
	ok $? "shallow: auto's perf records are smaller, median $ra bytes (fixed 16384: $rf; the change to ${first:-?} after $before of $n samples)"
else
	[ -n "$before" ] && [ -n "$n" ] && [ "$before" -le $((n * 8 / 10)) ]
	ok $? "shallow: the change came late, after ${before:-?} of ${n:-?} samples (want within the first 80%; median $ra bytes, fixed 16384: $rf)"
fi
awk -v t="${ts:-100}" 'BEGIN { exit !(t == 0) }'
ok $? "shallow: auto truncates nothing (${ts:-?}%)"

# The main thread's copy ends where its frames do (its starting stack
# pointer, from /proc/PID/stat): above are the arguments, the environment
# and the auxiliary vector. The walks read 1536 bytes of deepstack 0's
# copy; the kernel's copy of 16384 had 7712 valid bytes (the stack's
# mapping ends there) until the copies were cut, 1540 since. Launched
# (the start read again at the exec) and attached.
valid() { sed -n 's/.*stack copies: \([0-9]*\) bytes valid.*/\1/p' "$WORKDIR/$1.err" | head -1; }
mains() { awk '{ t += $NF; if ($0 ~ /;main;/) m += $NF }
	END { printf "%.1f", t ? 100 * m / t : 0 }' "$WORKDIR/$1.folded"; }
vf=$(valid shallow-fixed) mf=$(mains shallow-fixed)
[ -n "$vf" ] && [ "$vf" -le 4096 ] && awk -v m="$mf" 'BEGIN { exit !(m >= 99) }'
ok $? "launched: the main thread's copies end at its first frame: ${vf:-?} bytes valid a sample (want <= 4096), $mf% of the stacks through main"
"$DEEP" 0 30 >/dev/null 2>&1 &
dp=$!
sleep 0.3
"$CTOP" --backend perf -F 499 -v -p "$dp" --duration 2 \
	-o "$WORKDIR/attached.folded" >/dev/null 2>"$WORKDIR/attached.err"
rc=$?
kill "$dp" 2>/dev/null
wait "$dp" 2>/dev/null
va=$(valid attached) ma=$(mains attached)
[ "$rc" = 0 ] && [ -n "$va" ] && [ "$va" -le 4096 ] &&
	awk -v m="$ma" 'BEGIN { exit !(m >= 99) }'
ok $? "attached: ${va:-?} bytes valid a sample (want <= 4096), $ma% of the stacks through main"

# ptrace takes auto too (its copy is fixed: what it reads is bounded by
# the stack's mapping already).
"$CTOP" --backend ptrace -F 199 --stack-size auto -o "$WORKDIR/pt.folded" \
	-- "$DEEP" 0 0.5 >/dev/null 2>"$WORKDIR/pt.err"
ok $? "ptrace with --stack-size auto: recorded ($(tail -1 "$WORKDIR/pt.err" | cut -c1-200))"
done_testing
