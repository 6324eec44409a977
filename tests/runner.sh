#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs TAP tests (programs or scripts), keeps one log per test under
# tests/logs/, and closes with the line "N passed, M failed[, K skipped]".
# A test counts its TAP lines: "ok" passes, "not ok" fails, "# SKIP" skips.
# A test that exits non-zero without a "not ok" line counts one failure;
# exit 77 without TAP lines counts one skip.
#   RUNNER_JOBS  tests run at once (default 2)
#   RUNNER_TIMEOUT seconds before a test is killed (default 300)
# A script marked "# runner: alone" (below) runs with nothing beside it.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
export top_builddir top_srcdir
jobs=${RUNNER_JOBS:-2}
limit=${RUNNER_TIMEOUT:-300}
logdir=$top_builddir/tests/logs
mkdir -p "$logdir"
# ctop-prof's decompressed debug files (--debug-cache) go to the build
# directory, not the user's cache; `make clean` removes them.
XDG_CACHE_HOME=$(cd "$top_builddir" && pwd)/tests/cache
export XDG_CACHE_HOME
# Logs are named after a test's file name: two tests of one name would
# write one log, and one could hide the other's failure.
dups=$(for t in "$@"; do basename "$t"; done | sort | uniq -d | tr '\n' ' ')
if [ -n "$dups" ]; then
	echo "runner: tests with the same file name (their logs would collide): $dups" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

run_one() {
	local t=$1 name log rc start end
	name=$(basename "$t")
	log=$logdir/$name.log
	start=$(date +%s.%N)
	case "$t" in
	*.sh) path=$top_srcdir/$t; [ -f "$path" ] || path=$t
	      timeout -k 10 "$limit" bash "$path" >"$log" 2>&1 </dev/null ;;
	*)    timeout -k 10 "$limit" "$top_builddir/$t" >"$log" 2>&1 </dev/null ;;
	esac
	rc=$?
	end=$(date +%s.%N)
	echo "$rc $(awk -v a="$start" -v b="$end" "BEGIN{printf \"%.1f\", b - a}")" >"$log.rc"
}

summarize_one() {
	local t=$1 name log rc secs pass fail skip status
	name=$(basename "$t")
	log=$logdir/$name.log
	read -r rc secs <"$log.rc"
	pass=$(grep -cE '^ok [0-9]+' "$log" | head -1)
	skip=$(grep -E '^ok [0-9]+' "$log" | grep -ciE '# *skip')
	pass=$((pass - skip))
	fail=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$rc" = 77 ] && [ $((pass + fail + skip)) = 0 ]; then
		skip=1
	elif [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		fail=1
	elif [ "$rc" = 0 ] && [ $((pass + fail + skip)) = 0 ]; then
		pass=1
	fi
	if [ "$fail" != 0 ]; then status=FAIL
	elif [ "$pass" = 0 ]; then status=SKIP
	else status=PASS; fi
	printf '%-4s %-36s %3d ok %3d failed %3d skipped  %5.1fs\n' \
		"$status" "$name" "$pass" "$fail" "$skip" "$secs"
	if [ "$status" = FAIL ]; then
		grep -E '^not ok|^#' "$log" | head -20 | sed 's/^/     /'
		[ "$rc" != 0 ] && echo "     (exit status $rc; log: tests/logs/$name.log)"
	elif [ "$status" = SKIP ]; then
		grep -iE '# *skip|^skip' "$log" | head -3 | sed 's/^/     /'
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
}

# A script whose first lines say "# runner: alone" runs with no other
# test beside it: it measures shares or costs that another test's load
# (run-budget's 64 busy threads on two cores) would move, or it makes
# such a load itself.
alone() {
	case "$1" in
	*.sh) head -n 20 "$top_srcdir/$1" 2>/dev/null | grep -q '^# runner: alone' ;;
	*) return 1 ;;
	esac
}

total_pass=0 total_fail=0 total_skip=0
tests=("$@")
running=0
for t in "${tests[@]}"; do
	if alone "$t"; then
		wait
		run_one "$t"
		running=0
		continue
	fi
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait
for t in "${tests[@]}"; do
	summarize_one "$t"
done
if [ "$total_skip" -gt 0 ]; then
	line="$total_pass passed, $total_fail failed, $total_skip skipped"
else
	line="$total_pass passed, $total_fail failed"
fi
echo "$line" >"$logdir/summary.txt"
echo "$line"
[ "$total_fail" = 0 ]
