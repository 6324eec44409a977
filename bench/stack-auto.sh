#!/bin/bash
# SPDX-License-Identifier: MIT
# What a perf sample costs in bytes (issue 17 goal 2): ctop-prof with
# --stack-size 16384 (fixed), with --stack-size auto, and the yardstick
# `perf record -e cpu-clock --call-graph dwarf` (8192 bytes of stack),
# side by side on xz, sqlite3, cc1plus (where installed, as realprogs.sh
# finds them) and ctop-demo; RUNS interleaved rounds, medians. Prints per
# program and profiler:
#   rec_B:   bytes per sample the kernel's ring took (ctop-prof: the
#            median perf record, from the summary line; perf: perf.data
#            bytes per sample, side-band records included);
#   trunc%:  samples whose walk ran out of the copy (ctop-prof's summary;
#            perf: not told, "-");
#   compl%:  stacks that reach their root (realprogs.sh's rule: ctop-prof
#            without [truncated] or [incomplete]; perf: _start, clone or
#            the program itself outermost);
#   samples, and (ctop-prof) the times auto opened the events again;
#   ring_B:  (ctop-prof) bytes per sample through its own ring, the part
#            of the copy kept (a main thread's ends at its first frame);
#   joined%, wrong: (auto) stacks joined to a whole walk's callers after
#            their short copy ran out (the split, see the man page), and
#            the checked joins found wrong (the first ends the split).
# Usage: bench/stack-auto.sh [BUILD_DIR]   (env: RUNS=5 HZ=499 BACKEND=perf)
set -u
build=${1:-build}
RUNS=${RUNS:-5} HZ=${HZ:-499}
ctop=$build/ctop-prof demo=$build/ctop-demo
command -v perf >/dev/null || { echo "perf not installed"; exit 1; }
[ -x "$ctop" ] && [ -x "$demo" ] || { echo "build first: $ctop, $demo"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The workloads of realprogs.sh (one to a few seconds of CPU each).
# shellcheck source=bench/workloads.sh
. "$(dirname "$0")/workloads.sh"
bench_workloads "$tmp"

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ctop NAME SIZE CMD...: one ctop-prof run; appends "rec trunc compl
# samples changes" to $tmp/NAME.SIZE.
ctop() {
	local name=$1 size=$2; shift 2
	"$ctop" --backend perf -F "$HZ" --stack-size "$size" \
		-o "$tmp/c.folded" -- "$@" >/dev/null 2>"$tmp/c.err" </dev/null
	awk -v line="$(grep 'backend:' "$tmp/c.err")" 'BEGIN {
			match(line, /truncated [0-9.]+%/); tr = substr(line, RSTART + 10, RLENGTH - 11)
			match(line, /median [0-9]+;/); rec = substr(line, RSTART + 7, RLENGTH - 8)
			match(line, /[0-9]+ changes/); ch = substr(line, RSTART, RLENGTH - 8)
			match(line, /[0-9]+ bytes\/sample/); rb = substr(line, RSTART, RLENGTH - 13)
			jn = "-"; wr = "-"
			if (match(line, /joined [0-9.]+%/)) jn = substr(line, RSTART + 7, RLENGTH - 8)
			if (match(line, /[0-9]+ wrong/)) wr = substr(line, RSTART, RLENGTH - 6) }
		{ n = $NF; t += n; if ($0 !~ /;\[(incomplete|truncated)\]/) s += n }
		END { printf "%s %s %.1f %d %s %s %s %s\n", rec, tr, t ? 100 * s / t : 0, t, ch, rb, jn, wr }' \
		"$tmp/c.folded" >>"$tmp/$name.$size"
}

# perfrec NAME CMD...: one perf record run, the same columns.
perfrec() {
	local name=$1; shift
	perf record -q -e cpu-clock -F "$HZ" --call-graph dwarf \
		-o "$tmp/p.data" -- "$@" >/dev/null 2>&1 </dev/null
	perf script -F comm,ip,sym,dso -i "$tmp/p.data" >"$tmp/p.txt" 2>/dev/null
	awk -v bytes="$(stat -c %s "$tmp/p.data")" 'BEGIN { RS = "" }
		{ k = split($0, l, "\n"); last = ""; comm = l[1]; sub(/[ \t]+$/, "", comm)
		for (i = 2; i <= k; i++) { sym = l[i]; sub(/^[ \t]*[0-9a-f]+ /, "", sym)
			dso = sym; sub(/ \([^)]*\)$/, "", sym); sub(/^.* \(/, "", dso)
			sub(/\)$/, "", dso); sub(/.*\//, "", dso)
			if (dso ~ /^\[kernel/) continue
			sub(/\+0x[0-9a-f]+$/, "", sym); last = sym; lastdso = dso }
		t++; if (last ~ /^(_start|clone|clone3|__clone3)$/ || lastdso == comm) s++ }
		END { printf "%.0f - %.1f %d - - - -\n", t ? bytes / t : 0, t ? 100 * s / t : 0, t }' \
		"$tmp/p.txt" >>"$tmp/$name.perf"
}

# one NAME CMD...: a round of the three on one program.
one() {
	local name=$1; shift
	ctop "$name" 16384 "$@"
	ctop "$name" auto "$@"
	perfrec "$name" "$@"
}

programs=(xz demo)
command -v sqlite3 >/dev/null && programs+=(sqlite3)
[ -x "$cc1plus" ] && programs+=(cc1plus)
round() {
	one xz xz -T1 -6 -c "$tmp/data.txt"
	one demo "$demo" --hours 40000 --data-dir "$tmp"
	command -v sqlite3 >/dev/null &&
		one sqlite3 sqlite3 :memory: ".read $tmp/work.sql"
	[ -x "$cc1plus" ] && one cc1plus "$cc1plus" -quiet -O2 \
		-fpreprocessed "$tmp/w.ii" -o "$tmp/w.s"
}
for i in $(seq 1 "$RUNS"); do round; done

echo "perf backend, $HZ Hz, medians of $RUNS interleaved runs"
printf '%-8s %-10s %8s %7s %7s %8s %8s %8s %8s %6s\n' program profiler rec_B trunc% compl% samples changes ring_B joined% wrong
for name in "${programs[@]}"; do
	for who in 16384 auto perf; do
		f=$tmp/$name.$who
		[ -s "$f" ] || continue
		printf '%-8s %-10s' "$name" "$([ "$who" = perf ] && echo 'perf rec' || echo "ctop $who")"
		for col in 1 2 3 4 5 6 7 8; do
			v=$(awk -v c=$col '$c != "-" { print $c }' "$f" | median)
			printf ' %8s' "$v"
		done
		echo
	done
done
