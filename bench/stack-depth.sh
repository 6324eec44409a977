#!/bin/bash
# SPDX-License-Identifier: MIT
# How deep a program's main thread runs and how fast its stack changes
# (issue 17 goal 2's limit): the perf backend's copies are contiguous
# bytes from the stack pointer, the same size in every record of an
# event, so a median record of SHORT bytes needs the stacks deeper than
# SHORT completed from somewhere else. The split joins them to the
# callers of earlier whole copies (its rehearsal and stack-auto.sh's
# joined% measure that); this measures the other way, reading the rest
# of the live stack (process_vm_readv) once the sampler has the record:
# right only while the thread keeps the frames beyond the short copy,
# that is, has not returned above where the copy ends. With `perf record
# --user-regs=sp` at HZ (the stack pointer alone, no copy) it prints:
#   depth:  bytes from the stack pointer to the shallowest one seen (about
#           main's frame), quantiles, and the share deeper than SHORT;
#   then, for a read D ms after the sample, the share of those deep
#   samples whose frames beyond the short copy the thread kept until
#   then, and of all samples the ones the read would complete wrongly.
# Depth is seen every 1/HZ s only: a return and a call between two
# samples is missed, so "kept" is an upper bound and the share lost a
# lower one. The goal allows 0.5% truncated; the sampler reads its ring
# after a wake-up (82 us at the median on this project's test VM for a
# ptrace stop, 0.14-0.29 ms at p90) or its poll (milliseconds).
# Usage: bench/stack-depth.sh [PROGRAM]  (cc1plus, the default, xz,
#        sqlite3; env: HZ=20000 SHORT=3584)
set -u
prog=${1:-cc1plus}
HZ=${HZ:-20000} SHORT=${SHORT:-3584}
command -v perf >/dev/null || { echo "perf not installed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The workloads of stack-auto.sh.
# shellcheck source=bench/workloads.sh
. "$(dirname "$0")/workloads.sh"
bench_workloads "$tmp"
case "$prog" in
cc1plus)
	[ -x "$cc1plus" ] || { echo "cc1plus not found (g++)"; exit 1; }
	set -- "$cc1plus" -quiet -O2 -fpreprocessed "$tmp/w.ii" -o "$tmp/w.s" ;;
xz)	set -- xz -T1 -6 -c "$tmp/data.txt" ;;
sqlite3)
	command -v sqlite3 >/dev/null || { echo "sqlite3 not installed"; exit 1; }
	set -- sqlite3 :memory: ".read $tmp/work.sql" ;;
*)	echo "usage: $0 [cc1plus|xz|sqlite3]"; exit 2 ;;
esac

perf record -q -e cpu-clock -F "$HZ" --user-regs=sp -o "$tmp/sp.data" \
	-- "$@" >/dev/null 2>&1 </dev/null || { echo "perf record failed"; exit 1; }
# "COMM PID/TID TIME: ABI:2 SP:0x..." -> "TIME SP" of the main thread
# once it runs the program (perf's child before its exec is perf-exec).
perf script -i "$tmp/sp.data" -F comm,pid,tid,time,uregs 2>/dev/null |
	awk '$1 == "perf-exec" { next }
		{ split($2, id, "/"); if (id[1] != id[2]) next
		t = $3; sub(/:$/, "", t)
		for (i = 4; i <= NF; i++) if ($i ~ /^SP:0x/) print t, substr($i, 6) }' \
	>"$tmp/sp.txt"

awk -v short="$SHORT" -v hz="$HZ" -v prog="$prog" '
function hex(s,   v, i) { v = 0; s = tolower(s)
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v }
# kept(I, AFTER): the thread stayed at least as deep as where sample
# I'"'"'s short copy ends, at every sample up to AFTER seconds after I.
function kept(i, after,   j, floor) {
	floor = d[i] - short
	for (j = i; j <= n && t[j] <= t[i] + after; j++) if (d[j] < floor) return 0
	return 1 }
{ m++; tt[m] = $1; ss[m] = hex($2); q[m] = ss[m] }
END {
	if (m < 100) { print "too few samples: " m; exit 1 }
	# The main stack: within 8 MiB of the median stack pointer (a sample
	# on another stack, a signal handler'"'"'s, is left out).
	asort_n(q, m); mid = q[int(m / 2) + 1]
	for (i = 1; i <= m; i++) {
		if (ss[i] > mid + 8388608 || ss[i] < mid - 8388608) { other++; continue }
		n++; t[n] = tt[i]; s[n] = ss[i]; if (s[n] > top) top = s[n]
	}
	for (i = 1; i <= n; i++) { d[i] = top - s[i]; q[i] = d[i]; if (d[i] > short) deep++ }
	asort_n(q, n)
	printf "%s: %d samples of the main thread at %s Hz over %.2f s (%d on another stack)\n",
		prog, n, hz, t[n] - t[1], other
	printf "depth (bytes): p10 %.0f p25 %.0f p50 %.0f p75 %.0f p90 %.0f p99 %.0f max %.0f\n",
		q[int(n * .10) + 1], q[int(n * .25) + 1], q[int(n * .50) + 1],
		q[int(n * .75) + 1], q[int(n * .90) + 1], q[int(n * .99) + 1], q[n]
	printf "deeper than a %d-byte copy: %.1f%%\n", short, 100 * deep / n
	if (!deep) exit 0
	printf "%-34s %8s %14s\n", "deep samples completed from", "kept%", "lost% of all"
	split("0.05 0.1 0.2 0.5 1 2", fwd, " ")
	for (k = 1; k <= 6; k++) {
		ok = 0
		for (i = 1; i <= n; i++) if (d[i] > short) ok += kept(i, fwd[k] / 1000)
		printf "%-34s %8.1f %14.2f\n", "the live stack " fwd[k] " ms after", 100 * ok / deep, 100 * (deep - ok) / n
	}
}
# mawk has no asort: a shell sort of q[1..m].
function asort_n(a, m,   gap, i, j, v) {
	for (gap = int(m / 2); gap > 0; gap = int(gap / 2))
		for (i = gap + 1; i <= m; i++) {
			v = a[i]
			for (j = i; j > gap && a[j - gap] > v; j -= gap) a[j] = a[j - gap]
			a[j] = v
		}
}' "$tmp/sp.txt"
