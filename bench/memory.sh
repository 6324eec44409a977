#!/bin/bash
# SPDX-License-Identifier: MIT
# ctop-prof's memory over a long run (issue 17 goal 4: at most 30 MB for a
# million samples of the demo, stable over ten minutes). ctop-prof samples
# ctop-demo at HZ for SECS seconds (writing the folded profile at the end,
# as a recording would); every STEP seconds its resident memory (VmRSS) is
# printed, and at the end its peak (VmHWM, read just before it exits), the
# samples from its summary line, and the growth per 100,000 samples after
# the first minute (the start, symbols and tables, is paid once). Each
# build directory given runs in turn, the same way (before and after).
# Usage: bench/memory.sh [BUILD_DIR...]   (env: SECS=600 STEP=30 HZ=999)
set -u
SECS=${SECS:-600} STEP=${STEP:-30} HZ=${HZ:-999}
[ $# -gt 0 ] || set -- build
tmp=$(mktemp -d)
pids=
cleanup() {
	[ -n "$pids" ] && kill $pids 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status" 2>/dev/null; }

for build in "$@"; do
	ctop=$build/ctop-prof demo=$build/ctop-demo
	[ -x "$ctop" ] && [ -x "$demo" ] || { echo "build first: $ctop, $demo"; exit 1; }
	"$demo" --data-dir "$tmp" >/dev/null 2>&1 & d=$!
	sleep 1
	"$ctop" -p "$d" -F "$HZ" --duration "$SECS" -o "$tmp/out.folded" \
	    2>"$tmp/err" & c=$!
	pids="$d $c"
	echo "== $build: ctop-demo at $HZ Hz for $SECS s"
	printf '%6s %10s\n' secs RSS_kB
	t=0 hwm= rss_min1= last= t_last=
	while kill -0 "$c" 2>/dev/null && [ "$t" -lt "$SECS" ]; do
		sleep "$STEP"
		t=$((t + STEP))
		rss=$(kb VmRSS "$c")
		[ -n "$rss" ] || break	# it ended meanwhile
		hwm=$(kb VmHWM "$c") last=$rss t_last=$t
		[ "$t" -ge 60 ] && [ -z "$rss_min1" ] && rss_min1=$rss t_min1=$t
		printf '%6d %10s\n' "$t" "$rss"
	done
	wait "$c"
	kill "$d" 2>/dev/null
	wait "$d" 2>/dev/null
	pids=
	n=$(grep -o '[0-9]* samples in' "$tmp/err" | head -1 | awk '{ print $1 }')
	echo "peak RSS ${hwm:-?} kB ($(awk -v k="${hwm:-0}" 'BEGIN { printf "%.1f", k / 1024 }') MiB) for ${n:-?} samples"
	# The samples between the two reads, at the run's mean rate.
	if [ -n "$rss_min1" ] && [ -n "$n" ] && [ "$t_last" -gt "$t_min1" ]; then
		awk -v a="$rss_min1" -v b="$last" -v n="$n" -v t0="$t_min1" \
		    -v t1="$t_last" -v secs="$SECS" 'BEGIN { s = n * (t1 - t0) / secs
			printf "growth from %d to %d s: %d kB in about %d samples, %.1f kB per 100000\n", t0, t1, b - a, s, s ? (b - a) * 100000 / s : 0 }'
	fi
done
