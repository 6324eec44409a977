# SPDX-License-Identifier: MIT
# Shared helpers for shell tests (sourced). Tests print TAP; tests/runner.sh
# counts it. Each test sets its own locale.
#   CTOP        the ctop-prof binary under test
#   TARGETS     directory of the built test targets
#   WORKDIR     a private temporary directory, removed on exit
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
CTOP=${CTOP:-$top_builddir/ctop-prof}
TARGETS=$top_builddir/tests/targets
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/ctop-test.XXXXXX")
tap_n=0 tap_failed=0
_cleanup_pids=()
_cleanup_files=()

_lib_cleanup() {
	local p
	for p in "${_cleanup_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for p in "${_cleanup_files[@]}"; do
		[ -f "$p" ] && [ ! -L "$p" ] && rm -f "$p"
	done
	rm -rf "$WORKDIR"
}
trap _lib_cleanup EXIT

# Kill this pid when the test ends, whatever happens.
cleanup_pid() { _cleanup_pids+=("$1"); }
# Remove this file (a regular one, never through a link) when the test
# ends: what a program the test ran leaves outside WORKDIR.
cleanup_file() { _cleanup_files+=("$1"); }
# cleanup_node_maps PIDFILE: node --perf-basic-prof writes
# /tmp/perf-PID.map and leaves it; in /tmp for good, one would stop a
# later process given that pid by the kernel (run-perfmap's fakejit, run
# as another user) from writing its own. PIDFILE holds the pids.
cleanup_node_maps() {
	local p
	while read -r p; do
		[ -n "$p" ] && cleanup_file "/tmp/perf-$p.map"
	done <"$1" 2>/dev/null
}

ok() {	# ok COND_STATUS DESCRIPTION...; use: ok $? "what"
	local st=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$st" = 0 ]; then echo "ok $tap_n - $*"
	else echo "not ok $tap_n - $*"; tap_failed=$((tap_failed + 1)); fi
	return "$st"
}
check() {	# check DESCRIPTION -- COMMAND...: passes when COMMAND succeeds
	local desc=$1; shift; [ "$1" = -- ] && shift
	"$@"; ok $? "$desc"
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP ${2:-}"; }
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
# diag TEXT: a TAP comment; every line of TEXT gets its "# ", so a runner
# that shows only comments shows all of it.
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
done_testing() { echo "1..$tap_n"; [ "$tap_failed" = 0 ]; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (0) or time out (1).
wait_for() {
	local limit=$1 i=0; shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge $((limit * 20)) ] && return 1
		sleep 0.05
	done
}
# wait_until SECS 'EXPR': wait_for a shell expression evaluated afresh
# each time (wait_for 5 test "$(cmd)" -ge 2 would run cmd only once).
wait_until() {
	local limit=$1
	shift
	wait_for "$limit" eval "$1"
}

# Whether process $1 waits in open(2) (openat: 257, open: 2 on x86-64): a
# reader of a FIFO counts for writers from then on, before any writer came.
in_open() {
	local nr
	read -r nr _ <"/proc/$1/syscall" 2>/dev/null && { [ "$nr" = 257 ] || [ "$nr" = 2 ]; }
}

# State letter of a process (R, S, t, T, Z...) or empty when gone.
proc_state() { awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
now_ms() { date +%s%3N; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# start_target VAR ARGS...: runs ARGS in the background, sets VAR to its
# pid once it printed its first line (its output is in WORKDIR/out.*).
start_target() {
	local var=$1 out; shift
	out=$WORKDIR/out.$RANDOM
	"$@" >"$out" 2>&1 &
	printf -v "$var" '%s' $!
	cleanup_pid $!
	wait_for 5 grep -q . "$out"
}
# has_lines FILE REGEX N: FILE has at least N lines matching REGEX.
has_lines() { [ "$(grep -cE "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
# catches_signal PID SIG: PID has a handler for SIG (SigCgt), i.e. is past
# the start-up during which the signal's default action would kill it.
# (A background job's pid is first bash's own fork, whose mask may catch
# the signal before the exec: check the program too, with runs_exe.)
catches_signal() {
	local n mask
	n=$(kill -l "$2") || return 1
	mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$mask" ] && [ $(( (0x$mask >> (n - 1)) & 1 )) = 1 ]
}
# runs_exe PID PROGRAM: PID has exec'd PROGRAM (symlinks resolved).
runs_exe() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]; }
# proc_cpu_ms PID: CPU time of all of PID's threads so far, in ms, exact
# (schedstat, where /proc/PID/stat counts clock ticks).
proc_cpu_ms() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null |
		awk '{ t += $1 } END { printf "%d", t / 1e6 }'
}
# sampling PROFILER TARGET: the profiler is sampling the target now (perf:
# its perf_event fds are open; ptrace: it is the target's tracer).
sampling() {
	local tr
	ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'perf_event' && return 0
	# TracerPid names the tracing thread (ctop-prof's sampler), not
	# its process.
	tr=$(tracer_of "$2")
	[ -n "$tr" ] && [ "$tr" != 0 ] && [ -d "/proc/$1/task/$tr" ]
}
tracer_of() { awk '/^TracerPid:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# True when pid and all its threads run untraced and are not stopped.
target_healthy() {
	local pid=$1 t st tr
	[ -d "/proc/$pid" ] || return 1
	for t in /proc/"$pid"/task/*; do
		st=$(awk '/^State:/ {print $2}' "$t/status" 2>/dev/null)
		tr=$(awk '/^TracerPid:/ {print $2}' "$t/status" 2>/dev/null)
		case "$st" in t|T) return 1 ;; esac
		[ "${tr:-0}" = 0 ] || return 1
	done
	return 0
}

# target_why PID: why target_healthy said no (gone; a thread stopped; a
# thread traced), for a failure's diag line.
target_why() {
	local pid=$1 t st tr
	if [ ! -d "/proc/$pid" ]; then
		echo "target $pid is gone"
		return
	fi
	for t in /proc/"$pid"/task/*; do
		st=$(awk '/^State:/ {print $2}' "$t/status" 2>/dev/null)
		tr=$(awk '/^TracerPid:/ {print $2}' "$t/status" 2>/dev/null)
		case "$st" in t|T) echo "thread ${t##*/} in state $st" ;; esac
		[ "${tr:-0}" = 0 ] || echo "thread ${t##*/} traced by $tr"
	done
}

# cpu_truth DIR: ratio's share (0-100) of the CPU time DIR/ratio.cpu and
# DIR/spin.cpu report ("cpu_ms N", printed by the targets at exit).
cpu_truth() {
	awk '/^cpu_ms / { if (FILENAME ~ /ratio/) r = $2; else s = $2 }
		END { printf "%.1f", (r + s > 0 ? 100 * r / (r + s) : 50) }' \
		"$1/ratio.cpu" "$1/spin.cpu"
}

# Share (0-100, one decimal) of samples in folded FILE whose stack contains
# frame NAME (exact frame match).
folded_share() {
	awk -v f="$2" '{
		n = $NF; total += n; line = $0; sub(/ [0-9]+$/, "", line)
		k = split(line, fr, ";"); hit = 0
		for (i = 1; i <= k; i++) if (fr[i] == f) hit = 1
		if (hit) m += n
	} END { if (total == 0) print 0; else printf "%.1f\n", 100 * m / total }' "$1"
}
# Share of samples whose leaf (last frame) is NAME.
folded_leaf_share() {
	awk -v f="$2" '{
		n = $NF; total += n; line = $0; sub(/ [0-9]+$/, "", line)
		k = split(line, fr, ";"); if (fr[k] == f) m += n
	} END { if (total == 0) print 0; else printf "%.1f\n", 100 * m / total }' "$1"
}
folded_total() { awk '{ t += $NF } END { print t + 0 }' "$1"; }

# share_tol P N [MIN]: four standard deviations (points) of a share P (%)
# estimated from N samples, at least MIN (3): a loaded machine gives the
# target less CPU time, so fewer samples, and the bound must widen with it.
share_tol() {
	awk -v p="$1" -v n="$2" -v m="${3:-3}" 'BEGIN { p /= 100
		t = 400 * sqrt(p * (1 - p) / (n > 0 ? n : 1)); printf "%.1f", (t < m ? m : t) }'
}

# cpu_due MS HZ: the samples MS ms of CPU time make at HZ (0 without MS).
cpu_due() { echo $(( ${1:-0} * $2 / 1000 )); }
# follows_due GOT DUE MIN LO [HI]: DUE is at least MIN, and GOT at least
# LO% of it and, with HI, at most HI% of it + 3.
follows_due() {
	[ "$2" -ge "$3" ] && [ "$1" -ge $(($2 * $4 / 100)) ] &&
		{ [ -z "${5:-}" ] || [ "$1" -le $(($2 * $5 / 100 + 3)) ]; }
}

# within A B TOL: |A - B| <= TOL (floating point).
# samples_taken ERR COUNT: the samples a recording took, from ctop-prof's
# summary in ERR ("N taken, weighed by CPU time": ptrace weighs a sample
# by the thread's CPU time since its last, so a starved sampler takes
# fewer than its profile counts), else COUNT. Noise goes by this number.
samples_taken() {
	local k
	k=$(grep -o '[0-9]* taken, weighed' "$1" 2>/dev/null | head -1 | cut -d' ' -f1)
	echo "${k:-$2}"
}
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

ptrace_allowed() {
	local scope
	scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
	[ "$scope" -le 1 ] || [ "$(id -u)" = 0 ]
}

# dlchurn_bad FOLDED: the stacks of a dlopener run (tests/targets/dlopener.c)
# that show a library frame cut loose: a library's hot function
# (dlhot_spin, dlhot2_spin, which have CFI) in an [incomplete] stack or
# anywhere but right under main or churn.
dlchurn_bad() {
	awk '{ s = $0; sub(/ [0-9]+$/, "", s); k = split(s, f, ";"); bad = 0
		for (i = 2; i <= k; i++)
			if (f[i] ~ /^dlhot2?_spin$/ && (f[2] == "[incomplete]" ||
			    (f[i - 1] != "main" && f[i - 1] != "churn")))
				bad = 1
		if (bad) print }' "$1"
}

# dlchurn_unknown FOLDED: samples with an [unknown] frame, a pc in no
# module any maps read saw (every pc of dlopener is in one).
dlchurn_unknown() {
	awk '/(^|;)\[unknown\](;| )/ { n += $NF } END { print n + 0 }' "$1"
}
