#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad input gets one clear line on stderr ("ctop-prof: ..."), the documented
# exit status, nothing half-written, and the target untouched.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C

# expect_fail CODE PATTERN -- ARGS...: ctop-prof exits CODE, prints exactly
# one line on stderr that starts with "ctop-prof: " and matches PATTERN.
expect_fail() {
	local code=$1 pat=$2 rc lines; shift 2; [ "$1" = -- ] && shift
	"$CTOP" "$@" >"$WORKDIR/out" 2>"$WORKDIR/err" </dev/null
	rc=$?
	lines=$(wc -l <"$WORKDIR/err")
	if [ "$rc" = "$code" ] && [ "$lines" = 1 ] &&
	    grep -q '^ctop-prof: ' "$WORKDIR/err" &&
	    grep -qiE "$pat" "$WORKDIR/err"; then
		ok 0 "exit $code, one line: $(cat "$WORKDIR/err")"
	else
		ok 1 "ctop-prof $* -> want exit $code and /$pat/"
		diag "got exit $rc, $lines lines on stderr:"
		sed 's/^/#   /' "$WORKDIR/err"
	fi
}

# A pid that does not exist: one past pid_max is never valid.
nopid=$(( $(cat /proc/sys/kernel/pid_max) + 1 ))
[ "$nopid" -gt 2147483647 ] && nopid=2147483647
expect_fail 1 'no such process' -- -p 4194304 --duration 1 -o "$WORKDIR/a.folded"
expect_fail 1 'kernel thread' -- -p 2 --duration 1 -o "$WORKDIR/a.folded"
check "no output file after a failed attach" -- test ! -e "$WORKDIR/a.folded"

expect_fail 2 'pid' -- -p abc
expect_fail 2 'pid' -- -p -5
expect_fail 2 'frequency' -- -p 1 -F 0
expect_fail 2 'frequency' -- -p 1 -F 1000000
expect_fail 2 'stack size' -- -p 1 --stack-size 12
expect_fail 2 'auto or a multiple of 8' -- -p 1 --stack-size automatic
expect_fail 2 'wall' -- -p 1 --backend perf --mode wall
expect_fail 2 'unknown option' -- --bogus
expect_fail 2 'nothing to profile' --

# An output directory that is missing or unwritable is refused before any
# sampling starts: the target is never touched.
"$TARGETS/ratio" --seconds 30 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
expect_fail 1 'cannot write' -- -p "$t" --duration 1 -o "$WORKDIR/missing/x.folded"
mkdir "$WORKDIR/ro" && chmod 0555 "$WORKDIR/ro"
if [ "$(id -u)" = 0 ]; then
	skip "unwritable output directory" "root writes anywhere"
else
	expect_fail 1 'cannot write' -- -p "$t" --duration 1 -o "$WORKDIR/ro/x.folded"
fi
check "target untraced and running" -- target_healthy "$t"

# Zombie: a child that exited and was not reaped.
sh -c 'sleep 0.1 & exec sleep 30' &
parent=$!
cleanup_pid "$parent"
sleep 0.4
zombie=$(pgrep -P "$parent" | head -1)
if [ -n "$zombie" ] && [ "$(proc_state "$zombie")" = Z ]; then
	expect_fail 1 'zombie|exited' -- -p "$zombie" --duration 1 -o "$WORKDIR/z.folded"
else
	skip "zombie target" "could not make a zombie"
fi

# Another user's process, as an unprivileged user.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	cp "$CTOP" "$WORKDIR/ctop-prof" && chmod 755 "$WORKDIR" "$WORKDIR/ctop-prof"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$WORKDIR/ctop-prof" -p "$t" --duration 1 -o /tmp/ctop-x.folded \
		>/dev/null 2>"$WORKDIR/err"
	rc=$?
	grep -qiE 'permission|not permitted|another user' "$WORKDIR/err" && [ "$rc" = 1 ]
	ok $? "another user's process: exit 1 and the gate named: $(cat "$WORKDIR/err")"
	check "target still healthy" -- target_healthy "$t"
else
	skip "another user's process" "needs root to switch users"
fi

# --load of bad files.
expect_fail 1 'No such file|cannot load' -- --load "$WORKDIR/none.folded"
# Binary bytes, the same each run (random ones chose another reader one
# run in 227; test-folded gives each reader thousands of seeded ones): a text
# reader names the line, a binary one the byte.
printf '\177ELF\2\1\1\0\377\376;\1 9\n\200' >"$WORKDIR/binary.folded"
expect_fail 1 'binary.folded:1: NUL' -- --load "$WORKDIR/binary.folded"
printf '\n\5\10\1\20\377\377' >"$WORKDIR/cut.pb"
expect_fail 1 'cut.pb: byte 4: pprof' -- --load "$WORKDIR/cut.pb"
printf 'a;b 3\nc;d\n' >"$WORKDIR/bad.folded"
expect_fail 1 'bad.folded:2:' -- --load "$WORKDIR/bad.folded"
printf 'a;b\0x 3\n' >"$WORKDIR/nul.folded"
expect_fail 1 'nul.folded:1:' -- --load "$WORKDIR/nul.folded"
: >"$WORKDIR/empty.folded"
"$CTOP" --load "$WORKDIR/empty.folded" --batch >"$WORKDIR/out" 2>"$WORKDIR/err"
ok $? "an empty file is an empty profile (exit 0)"

# Launch mode errors: 127 not found, 126 not executable.
expect_fail 127 'not found|No such file' -- --duration 1 -o "$WORKDIR/l.folded" -- "$WORKDIR/no-such-command"
printf '#!/bin/sh\n' >"$WORKDIR/noexec" && chmod 0644 "$WORKDIR/noexec"
expect_fail 126 'ermission' -- --duration 1 -o "$WORKDIR/l.folded" -- "$WORKDIR/noexec"

done_testing
