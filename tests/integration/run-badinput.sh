#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad input beyond run-cli-errors.sh: --load of a line over 16 MiB, a
# directory, an endless NUL stream, bad counts, a pipe (fine) and a FIFO
# nobody writes (killable, nothing written); --output refused before
# anything starts (a directory, a missing parent, a file as parent; in
# launch mode the command never runs); live refusals before attaching.
# (Terminal sizes, TERM and no tty: tests/tui/run-term.sh, run-resize.sh,
# run-hangup.sh.)
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C

# expect_fail CODE PATTERN -- ARGS...: exit CODE, exactly one stderr line
# "ctop-prof: ..." matching PATTERN, nothing on stdout.
expect_fail() {
	local code=$1 pat=$2 rc lines; shift 2; [ "$1" = -- ] && shift
	timeout 20 "$CTOP" "$@" >"$WORKDIR/out" 2>"$WORKDIR/err" </dev/null
	rc=$?
	lines=$(wc -l <"$WORKDIR/err")
	if [ "$rc" = "$code" ] && [ "$lines" = 1 ] && [ ! -s "$WORKDIR/out" ] &&
	    grep -q '^ctop-prof: ' "$WORKDIR/err" &&
	    grep -qiE "$pat" "$WORKDIR/err"; then
		ok 0 "exit $code, one line: $(cut -c1-150 "$WORKDIR/err")"
	else
		ok 1 "ctop-prof $* -> want exit $code and /$pat/"
		diag "got exit $rc, $lines lines on stderr:"
		cut -c1-200 "$WORKDIR/err" | sed 's/^/#   /'
	fi
}

# --load: a line over 16 MiB is refused (and costs no more than 16 MiB).
{ head -c $((16 * 1024 * 1024 + 10)) /dev/zero | tr '\0' a; echo ' 1'; } >"$WORKDIR/long.folded"
start=$(date +%s%3N)
expect_fail 1 'long.folded:1: line longer than 16 MiB' -- --load "$WORKDIR/long.folded" --batch
diag "refused in $(( $(date +%s%3N) - start )) ms"
# The line after a good one: the line number is right.
{ echo 'a;b 1'; head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' b; echo ' 1'; } >"$WORKDIR/long2.folded"
expect_fail 1 'long2.folded:2: line longer' -- --load "$WORKDIR/long2.folded" --batch
rm -f "$WORKDIR"/long*.folded
expect_fail 1 'director' -- --load "$WORKDIR" --batch
expect_fail 1 '/dev/zero:1:' -- --load /dev/zero --batch
printf 'a;b 99999999999999999999999\n' >"$WORKDIR/big.folded"
expect_fail 1 'big.folded:1:.*count' -- --load "$WORKDIR/big.folded" --batch
printf 'a;b 1\na;c -3\n' >"$WORKDIR/neg.folded"
expect_fail 1 'neg.folded:2:.*count' -- --load "$WORKDIR/neg.folded" --batch
printf 'a;b 1\n\xff\xfe;\x01 2\n' >"$WORKDIR/bin.folded"
"$CTOP" --load "$WORKDIR/bin.folded" --batch >"$WORKDIR/out" 2>&1
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ]
ok $? "non-UTF-8 bytes in a name: a profile or a one-line error, no crash (exit $rc)"

# A pipe is read to its end (process substitution works).
"$CTOP" --load <(printf 'main;work 7\n') --batch >"$WORKDIR/out" 2>"$WORKDIR/err"
rc=$?
[ "$rc" = 0 ] && grep -q ' work$' "$WORKDIR/out"
ok $? "--load of a pipe: read to its end (exit $rc)"
# A FIFO nobody writes blocks like cat would; SIGTERM and SIGHUP end it
# at once and nothing is printed.
mkfifo "$WORKDIR/fifo"
for sig in TERM HUP; do
	"$CTOP" --load "$WORKDIR/fifo" --batch >"$WORKDIR/fifo.out" 2>&1 &
	c=$!
	cleanup_pid "$c"
	sleep 0.3
	alive=$(kill -0 "$c" 2>/dev/null && echo yes || echo no)
	kill -"$sig" "$c"
	t0=$(date +%s%3N)
	wait "$c"
	rc=$?
	el=$(( $(date +%s%3N) - t0 ))
	[ "$alive" = yes ] && [ "$rc" != 0 ] && [ "$el" -lt 1000 ] && [ ! -s "$WORKDIR/fifo.out" ]
	ok $? "--load of a FIFO nobody writes: waits (alive: $alive), SIG$sig ends it in $el ms (exit $rc), nothing printed"
done
# Its writer ends: the profile is read and shown.
( sleep 0.3; printf 'main;late 5\n' >"$WORKDIR/fifo" ) &
"$CTOP" --load "$WORKDIR/fifo" --batch >"$WORKDIR/fifo.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q ' late$' "$WORKDIR/fifo.out"
ok $? "--load of a FIFO: read once its writer closes it (exit $rc)"

# --output is checked before anything starts.
"$TARGETS/ratio" --seconds 30 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
mkdir "$WORKDIR/adir"
expect_fail 2 '^ctop-prof: cannot write [^:]*adir: it is a directory \(give a file name\)$' -- -p "$t" --duration 1 -o "$WORKDIR/adir"
: >"$WORKDIR/afile"
expect_fail 1 'cannot write .*afile/x.folded: .*Not a directory' -- -p "$t" --duration 1 -o "$WORKDIR/afile/x.folded"
check "target never traced and still running" -- target_healthy "$t"
# Launch mode: the command never runs.
expect_fail 125 'cannot write' -- --duration 1 -o "$WORKDIR/missing/x.folded" -- \
	sh -c ": >'$WORKDIR/marker'"
check "launch with a bad --output: the command never ran" -- test ! -e "$WORKDIR/marker"
expect_fail 2 'format' -- --duration 1 -o "$WORKDIR/x.folded" --format bogus -- \
	sh -c ": >'$WORKDIR/marker'"
check "launch with a bad --format: the command never ran" -- test ! -e "$WORKDIR/marker"
check "no output file left behind" -- test ! -e "$WORKDIR/x.folded"
ls -A "$WORKDIR/adir" | grep -q . && ok 1 "no temporary file left in adir" ||
	ok 0 "no temporary file left in the refused directory"

# Live refusals: stdin not a terminal for the TUI (stdout a tty is needed
# to pick the TUI: script(1) gives one when present).
if command -v script >/dev/null; then
	script -qec "$CTOP -- sh -c ': >$WORKDIR/marker2' </dev/null" /dev/null \
		>"$WORKDIR/tty.out" 2>&1
	grep -q 'not a terminal.*--batch' "$WORKDIR/tty.out" && [ ! -e "$WORKDIR/marker2" ]
	ok $? "TUI without a tty on stdin: refused before launching: $(tr -d '\r' <"$WORKDIR/tty.out" | head -1)"
else
	skip "TUI without a tty on stdin" "script(1) is not installed"
fi
kill "$t"

# Extreme input from targets: a 10 KB C++ name, a 10 000-frame stack.
if ptrace_allowed; then
	"$CTOP" -F 499 --duration 1.5 -o "$WORKDIR/long.folded" -- "$TARGETS/longname" \
		>/dev/null 2>"$WORKDIR/err"
	rc=$?
	len=$(grep -o 'lc_long_name_spin<[^;]*>()' "$WORKDIR/long.folded" | awk '{ print length }' | sort -n | tail -1)
	[ "$rc" = 143 ] && [ "${len:-0}" -gt 10000 ]
	ok $? "10 KB C++ name: recorded whole, demangled (${len:-0} bytes; exit $rc = ended by --duration)" ||
		{ cut -c1-150 "$WORKDIR/long.folded" "$WORKDIR/err" | sed 's/^/# /'; }
	"$CTOP" --load "$WORKDIR/long.folded" --batch >"$WORKDIR/out" 2>&1
	rc=$?
	w=$(grep 'lc_long_name_spin<' "$WORKDIR/out" | awk '{ print length }' | sort -n | tail -1)
	[ "$rc" = 0 ] && [ "${w:-0}" -gt 10000 ]
	ok $? "10 KB name loaded back; batch text keeps it whole (${w:-0} columns, exit $rc)"
	"$CTOP" -F 199 --duration 1.5 --stack-size 65528 -o "$WORKDIR/deep.folded" -- \
		"$TARGETS/recurse" 10000 >/dev/null 2>"$WORKDIR/err"
	rc=$?
	n=$(folded_total "$WORKDIR/deep.folded")
	tr=$(awk '$0 ~ /^recurse;\[truncated\];/ { m += $NF } { t += $NF } END { printf "%.0f", t ? 100 * m / t : 0 }' "$WORKDIR/deep.folded")
	maxd=$(awk '{ print gsub(/;/, ";") + 1 }' "$WORKDIR/deep.folded" | sort -n | tail -1)
	[ "$rc" = 143 ] && [ "$n" -gt 20 ] && [ "$tr" -ge 90 ]
	ok $? "10 000-frame recursion: $n samples, $tr% marked [truncated] (64 KiB copy), up to $maxd frames kept"
else
	skip "10 KB names and deep stacks" "ptrace not permitted here"
fi
awk 'BEGIN { s = "prog"; for (i = 0; i < 10000; i++) s = s ";f" i; print s " 3"; print "prog;main 1" }' \
	>"$WORKDIR/deep10k.folded"
"$CTOP" --load "$WORKDIR/deep10k.folded" --batch >"$WORKDIR/out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q ' f9999$' "$WORKDIR/out"
ok $? "--load of a 10 000-frame stack: exit $rc, leaf f9999 in the table"

done_testing
