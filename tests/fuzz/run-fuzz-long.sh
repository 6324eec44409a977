#!/bin/bash
# SPDX-License-Identifier: MIT
# Long fuzz run (make check-long): `make fuzz` with FUZZ_SECONDS per target
# (default 600). tests/runner.sh kills a test after RUNNER_TIMEOUT seconds
# (default 300), so the time is cut to fit and the cut is reported: run
# `RUNNER_TIMEOUT=1500 make check-long` for the full 600 s.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
export LC_ALL=C
ulimit -c 0
seconds=${FUZZ_SECONDS:-600}
if [ -n "${FUZZ_TARGETS:-}" ]; then
	ntargets=$(echo $FUZZ_TARGETS | wc -w)
else
	ntargets=$("$top_builddir/tests/fuzz/fuzz-replay" -l 2>/dev/null | wc -l)
fi
[ "$ntargets" -ge 1 ] || ntargets=1
fit=$(( (${RUNNER_TIMEOUT:-300} - 90) / ntargets ))
if [ "$seconds" -gt "$fit" ]; then
	diag "FUZZ_SECONDS=$seconds cut to $fit s per target to fit RUNNER_TIMEOUT=${RUNNER_TIMEOUT:-300}"
	seconds=$fit
fi
[ "$seconds" -ge 10 ] || skip_all "RUNNER_TIMEOUT leaves under 10 s per target"
out=$(${MAKE:-make} -C "$top_builddir" --no-print-directory fuzz \
	FUZZ_SECONDS="$seconds" FUZZ_TARGETS="${FUZZ_TARGETS:-}" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q '^fuzz: SKIP' &&
	skip_all "$(echo "$out" | sed -n 's/^fuzz: SKIP: //p')"
found=$(echo "$out" | grep -c ': no crash$')
[ "$rc" = 0 ] && [ "$found" -ge "$ntargets" ]
ok $? "make fuzz: $found of $ntargets target(s) ran $seconds s each without a crash"
done_testing
