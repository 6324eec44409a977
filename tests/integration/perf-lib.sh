# SPDX-License-Identifier: MIT
# Sourced by the perf-backend tests after lib.sh: perf_allowed says whether
# ctop-prof's perf backend can attach here, and sets PERF_WHY when not.
perf_allowed() {
	local p out
	sleep 5 &
	p=$!
	out=$("$CTOP" --backend perf -p "$p" --duration 0.1 \
		-o "$WORKDIR/probe.folded" 2>&1)
	local rc=$?
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	PERF_WHY=$(printf '%s' "$out" | head -1)
	[ "$rc" = 0 ]
}
