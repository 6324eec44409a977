#!/bin/bash
# SPDX-License-Identifier: MIT
# The permission doctor (--check [PID], issue 15) on real processes: an
# attached C program with DWARF, its stripped copies (a debug file found
# through .gnu_debuglink; no symbols anywhere), a launch, a CPython
# target (auto runs ptrace), a kernel thread, a dead pid, a name with
# control characters, real seccomp filters (tests/targets/seccomp-deny,
# as a container's profile), and another user's process (as nobody).
# Exit 0 exactly when profiling would work; nothing is attached: the
# target's TracerPid stays 0 and it keeps running.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/perf-lib.sh"
export LC_ALL=C
[ -x "$CTOP" ] || skip_all "no ctop-prof binary at $CTOP"
T=$top_builddir/tests/targets
out=$WORKDIR/check.out

check() {	# check ARGS...: runs --check, output in $out, sets rc
	"$CTOP" --check "$@" >"$out" 2>&1
	rc=$?
}
has() { grep -qF -- "$1" "$out"; }

start_target pid "$T/spin" -b 1
check "$pid"
[ "$rc" = 0 ] && has "target: $pid (spin)" && has "verdict: profiling this process works"
ok $? "spin attached: exit 0, works ($rc)" || diag "$(cat "$out")"
has "module $(readlink -f "$T/spin"):" &&
	grep "module $(readlink -f "$T/spin"):" "$out" | grep -q "(.symtab), DWARF (file:line, inline frames)"
ok $? "spin's module: its own .symtab and DWARF" || diag "$(grep module "$out")"
grep -q "^module .*libc.so.6: [0-9]* symbols" "$out"
ok $? "libc's module line" || diag "$(grep module "$out")"
for l in kernel: namespaces: us: perf: ptrace: "kernel symbols:" "other users' processes:" backend:; do
	has "$l" || { diag "no '$l' line"; false; } || break
done
ok $? "one line each: kernel, namespaces, us, perf, ptrace, kernel symbols, other users, backend"
has "namespaces: the target shares ours (mnt, pid)"
ok $? "spin shares our namespaces" || diag "$(grep namespaces "$out")"
if perf_allowed; then
	has "backend: --backend auto runs perf"
	ok $? "auto runs perf on a C program here"
else
	skip "auto runs perf" "perf not usable here ($PERF_WHY)"
fi
# A target in mount and pid namespaces of its own (a container's view):
# --check says so, and how its files are read.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	unshare -m -p -f --mount-proc "$T/spin" -b 1 -s 30 >/dev/null 2>&1 &
	us=$!
	cleanup_pid "$us"
	wait_until 5 '[ -n "$(pgrep -P "$us")" ]'
	inner=$(pgrep -P "$us" | head -1)
	check "${inner:-0}"
	has "namespaces: the target has its own (mnt, pid): its files are read through /proc/$inner/root"
	ok $? "spin in namespaces of its own: named, and how its files are read" ||
		diag "$(grep namespaces "$out")"
	kill "$us" $inner 2>/dev/null
else
	skip "namespaces of its own" "needs root and unshare"
fi
st=$(proc_state "$pid")
[ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$pid/status")" = 0 ] &&
	[ -n "$st" ] && [ "$st" != T ] && [ "$st" != t ]
ok $? "nothing attached: TracerPid 0, not stopped ($st)"

# Stripped: DWARF from the file .gnu_debuglink names; no symbols at all.
start_target sp "$T/chain-stripped"
check "$sp"
grep "module $(readlink -f "$T/chain-stripped"):" "$out" |
	grep -q "DWARF from .*chain-stripped.debug"
ok $? "chain-stripped: symbols and DWARF from its debug link file" ||
	diag "$(grep module "$out")"
start_target ns "$T/chain-nosym"
check "$ns"
grep "module $(readlink -f "$T/chain-nosym"):" "$out" |
	grep -q "symbols (.dynsym only: static functions unnamed), no DWARF.*(fix: not from a Debian package: build it with -g"
ok $? "chain-nosym: .dynsym only, no DWARF, and the fix for a file no package owns" ||
	diag "$(grep module "$out")"
if command -v dpkg-query >/dev/null; then
	grep "module .*libc.so.6" "$out" | grep -q -e "DWARF" -e "fix: apt install libc6-dbg"
	ok $? "libc: DWARF, or the libc6 debug package named as the fix" ||
		diag "$(grep libc "$out")"
else
	skip "libc's debug package" "no dpkg-query here"
fi

check
[ "$rc" = 0 ] && has "target: none given" && has "ptrace: allowed on a launched command" &&
	has "verdict: profiling a launched command works"
ok $? "no PID: what a launch needs, exit 0" || diag "$(cat "$out")"

# A pid that is gone.
sh -c 'exit 0' & dead=$!
wait "$dead"
check "$dead"
[ "$rc" = 1 ] && has "no such process" && has "verdict: profiling this process cannot work: attach to $dead: no such process (check the PID)"
ok $? "a dead pid: exit 1 and why ($rc)" || diag "$(cat "$out")"
# A kernel thread: kthreadd is pid 2 in the initial pid namespace.
if grep -q '^Name:.*kthreadd' /proc/2/status 2>/dev/null; then
	check 2
	[ "$rc" = 1 ] && has "a kernel thread: it has no user space" &&
		has "backend: none can run"
	ok $? "kernel thread: exit 1, named as such" || diag "$(cat "$out")"
else
	skip "kernel thread" "pid 2 is not kthreadd here (a pid namespace)"
fi

# Control characters in the program's name and path reach us escaped.
evil=$WORKDIR/ev$'\033'[31mil
cp "$T/spin" "$evil"
start_target ev "$evil" -b 1
check "$ev"
[ "$rc" = 0 ] && ! grep -q $'\033' "$out" && has 'ev\x1b[31mil'
ok $? "a name with ESC: escaped in the target and module lines" ||
	diag "$(cat -v "$out" | head -3)"

# A CPython target: auto runs ptrace, and says why.
py=$(ls -d /usr/bin/python3.1[1-9] "$HOME"/.pyenv/versions/3.1[1-3].*/bin/python3.1[1-3] 2>/dev/null | head -1)
if [ -n "$py" ]; then
	start_target pp "$py" -c 'import time
print("ready", flush=True)
while True: sum(range(1000))'
	check "$pp"
	[ "$rc" = 0 ] && has ": python 3.1" && has "runs ptrace (a CPython target"
	ok $? "CPython ($py): python 3.x, auto runs ptrace" || diag "$(cat "$out")"
else
	skip "CPython target" "no CPython 3.11+ found"
fi

# Real seccomp filters around ctop-prof (a container's default profile).
SD=$T/seccomp-deny
if [ -x "$SD" ]; then
	"$SD" ptrace -- "$CTOP" --check "$pid" >"$out" 2>&1
	rc=$?
	has "ptrace: refused: attach to $pid: not permitted: a seccomp filter refuses ptrace" &&
		has "seccomp filter"
	ok $? "seccomp refusing ptrace: named ($rc)" || diag "$(cat "$out")"
	"$SD" perf -- "$CTOP" --check "$pid" >"$out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && has "perf: refused: perf_event_open on $pid: not permitted: a seccomp filter refuses it" &&
		has "runs ptrace (perf refused)"
	ok $? "seccomp refusing perf: ptrace runs instead, exit 0 ($rc)" || diag "$(cat "$out")"
else
	skip "seccomp filters" "tests/targets/seccomp-deny not built"
fi

# Another user's process: as nobody, root's spin cannot be profiled.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$CTOP" --check "$pid" >"$out" 2>&1
	rc=$?
	[ "$rc" = 1 ] && has "belongs to uid 0" &&
		has "other users' processes: cannot be profiled" &&
		grep -q "^verdict: profiling this process cannot work: .*(.*)" "$out"
	ok $? "as nobody on root's process: exit 1, the gate and its fix ($rc)" ||
		diag "$(cat "$out")"
else
	skip "another user's process" "needs root, setpriv and a nobody user"
fi

# Usage.
"$CTOP" --check -- true >"$out" 2>&1
rc=$?
[ "$rc" = 2 ] && has "--check takes a PID or nothing"
ok $? "--check with a command: usage error, exit 2 ($rc)"
"$CTOP" --check abc >"$out" 2>&1
rc=$?
[ "$rc" = 2 ] && has "bad pid 'abc'"
ok $? "--check abc: usage error, exit 2 ($rc)"
done_testing
