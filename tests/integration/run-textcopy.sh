#!/bin/bash
# SPDX-License-Identifier: MIT
# A module's text copied into anonymous memory and run from there (as
# Node.js's --use-largepages does): textcopy runs copied_hot ->
# copied_leaf from its copy. On each backend at least MIN_HOT percent of
# the samples must be under textcopy's copied_hot with copied_leaf as the
# leaf, named from the file's symbols although no file backs the pcs, and
# reach _start (the copy has no CFI of its own: its file's is used).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
MIN_HOT=80

[ -x "$TARGETS/textcopy" ] || skip_all "tests/targets/textcopy is not built"
ptrace_allowed || skip_all "ptrace not permitted here"

for backend in ptrace perf; do
	if [ "$backend" = perf ] && ! perf_allowed; then
		skip "perf backend: copied text" "$PERF_WHY"
		continue
	fi
	f=$WORKDIR/$backend.folded
	"$CTOP" --backend "$backend" -F 999 --duration 60 -o "$f" \
		-- "$TARGETS/textcopy" >/dev/null 2>"$WORKDIR/err"
	rc=$?
	n=$(folded_total "$f")
	whole=$(awk '{ n = $NF; t += n
		if ($0 ~ /;_start;.*;main;copied_hot;copied_leaf [0-9]+$/) m += n }
		END { printf "%.1f", t ? 100 * m / t : 0 }' "$f")
	[ "$rc" = 0 ] && [ "$n" -ge 200 ] &&
		awk -v s="$whole" -v m="$MIN_HOT" 'BEGIN { exit !(s >= m) }'
	ok $? "$backend: _start..main;copied_hot;copied_leaf in $whole% of $n samples (>= $MIN_HOT%), exit $rc" ||
		{ head -3 "$WORKDIR/err"; sort -t' ' -k2 -nr "$f" | head -4; }
done
done_testing
