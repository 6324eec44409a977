#!/bin/bash
# SPDX-License-Identifier: MIT
# A real seccomp filter (tests/targets/seccomp-deny, as a container's
# default profile) in front of ctop-prof: perf_event_open refused ->
# --backend auto falls back to ptrace and says why, --backend perf fails
# with one line naming the gate (exit 1 attached, 125 launched); ptrace
# and process_vm_readv refused -> one line naming the gate, exit 1, auto
# takes perf where it may. The target is left running and untraced every
# time.
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/perf-lib.sh"
export LC_ALL=C
DENY=$TARGETS/seccomp-deny
"$DENY" perf -- true 2>/dev/null || skip_all "cannot install a seccomp filter here"
SPIN_ARGS=(-b 1 -i 2)

# one_line FILE REGEX: FILE is exactly one line, matching REGEX.
one_line() { [ "$(wc -l <"$1")" = 1 ] && grep -qE "$2" "$1"; }
# unharmed PID: running, untraced, and still getting CPU: its CPU time
# grows within 5 s (a fixed 0.2 s may hold no tick of it on a loaded
# machine: 1-3% of a CPU beside 64 busy threads).
unharmed() {
	local pid=$1 u1
	u1=$(cpu_ticks "$pid")
	wait_for 2 target_healthy "$pid" || return 1
	wait_until 5 '[ "$(cpu_ticks "$pid")" -gt "$u1" ]'
}
state_of() { echo "State $(proc_state "$1"), TracerPid $(tracer_of "$1")"; }

"$TARGETS/spin" "${SPIN_ARGS[@]}" >"$WORKDIR/spin.out" &
t=$!
cleanup_pid "$t"
wait_for 5 grep -q ready "$WORKDIR/spin.out"

# perf_event_open refused.
if ptrace_allowed; then
	k0=$(cpu_ticks "$t")
	"$DENY" perf -- "$CTOP" -p "$t" --duration 0.5 -o "$WORKDIR/auto.folded" 2>"$WORKDIR/auto.err"
	rc=$?
	k1=$(cpu_ticks "$t")
	n=$(folded_total "$WORKDIR/auto.folded" 2>/dev/null || echo 0)
	# cpu mode samples count CPU time: a quarter of what the target's
	# (99 per CPU second; the machine may be busy), and some.
	want=$(awk -v k=$((k1 - k0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { w = int(0.25 * k / hz * 99); print (w > 1 ? w : 1) }')
	[ "$rc" = 0 ] && [ "$n" -ge "$want" ] && one_line "$WORKDIR/auto.err" \
		"^ctop-prof: ptrace backend: .*; perf not used: perf_event_open on $t: not permitted: a seccomp filter refuses it.*\(.*--backend ptrace\)$"
	ok $? "perf refused, --backend auto: ptrace took over and the summary says why: exit $rc, $n samples (want >= $want) ($(cat "$WORKDIR/auto.err"))"
	unharmed "$t"
	ok $? "perf refused, --backend auto: target running and untraced ($(state_of "$t"))"
else
	skip "perf refused, --backend auto falls back to ptrace" "ptrace not permitted here"
	skip "perf refused, --backend auto: target unharmed" "ptrace not permitted here"
fi

"$DENY" perf -- "$CTOP" --backend perf -p "$t" --duration 0.5 -o "$WORKDIR/perf.folded" 2>"$WORKDIR/perf.err"
rc=$?
[ "$rc" = 1 ] && [ ! -e "$WORKDIR/perf.folded" ] && one_line "$WORKDIR/perf.err" \
	"^ctop-prof: perf_event_open on $t: not permitted: a seccomp filter refuses it[^(]* \(.*--backend ptrace\)$"
ok $? "perf refused, --backend perf -p: exit $rc, one line: $(cat "$WORKDIR/perf.err")"
unharmed "$t"
ok $? "perf refused, --backend perf -p: target running and untraced ($(state_of "$t"))"

# Launched: ctop-prof's own failure is 125, and the command does not run on.
"$DENY" perf -- "$CTOP" --backend perf -o "$WORKDIR/lperf.folded" -- \
	"$TARGETS/spin" -b 1 -i 5 >/dev/null 2>"$WORKDIR/lperf.err"
rc=$?
sleep 0.1
left=$(pgrep -f "^$TARGETS/spin -b 1 -i 5" | wc -l)
[ "$rc" = 125 ] && [ "$left" = 0 ] && one_line "$WORKDIR/lperf.err" \
	"^ctop-prof: perf_event_open on [0-9]+: not permitted: a seccomp filter refuses it"
ok $? "perf refused, --backend perf -- COMMAND: exit $rc (125 documented), $left commands left, one line: $(cat "$WORKDIR/lperf.err")"

# ptrace and process_vm_readv refused. LeakSanitizer (--enable-sanitizers)
# checks leaks from a thread that ptraces the process: the filter denies
# it too, so leaks are checked in the runs above only.
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
for args in "--backend ptrace" "--mode wall"; do
	# shellcheck disable=SC2086
	env "$NOLEAK" "$DENY" ptrace -- "$CTOP" $args -p "$t" --duration 0.5 -o "$WORKDIR/pt.folded" 2>"$WORKDIR/pt.err"
	rc=$?
	[ "$rc" = 1 ] && [ ! -e "$WORKDIR/pt.folded" ] && one_line "$WORKDIR/pt.err" \
		"^ctop-prof: attach to $t: not permitted: a seccomp filter refuses ptrace[^(]* \(.*SYS_PTRACE\)$"
	ok $? "ptrace refused, $args: exit $rc, one line: $(cat "$WORKDIR/pt.err")"
	unharmed "$t"
	ok $? "ptrace refused, $args: target running and untraced ($(state_of "$t"))"
done

if perf_allowed; then
	env "$NOLEAK" "$DENY" ptrace -- "$CTOP" -p "$t" --duration 0.5 -o "$WORKDIR/pauto.folded" 2>"$WORKDIR/pauto.err"
	rc=$?
	[ "$rc" = 0 ] && grep -q '^ctop-prof: perf backend: ' "$WORKDIR/pauto.err"
	ok $? "ptrace refused, --backend auto: perf needs no ptrace: exit $rc ($(head -c 120 "$WORKDIR/pauto.err"))"
else
	skip "ptrace refused, --backend auto takes perf" "$PERF_WHY"
fi
unharmed "$t"
ok $? "after every run: target running and untraced ($(state_of "$t"))"

done_testing
