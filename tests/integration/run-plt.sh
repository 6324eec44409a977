#!/bin/bash
# SPDX-License-Identifier: MIT
# PLT stubs named "callee@plt" from the relocation tables, as objdump and
# perf name them: pltcall's hot loop calls labs through its PLT, and the
# stub holds about a third of the samples. On each backend labs@plt must
# be a leaf of at least MIN_STUB percent, and no frame may be an unnamed
# pltcall+0xOFFSET (where the stub's samples went before).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
MIN_STUB=5

[ -x "$TARGETS/pltcall" ] || skip_all "tests/targets/pltcall is not built"
ptrace_allowed || skip_all "ptrace not permitted here"

for backend in ptrace perf; do
	if [ "$backend" = perf ] && ! perf_allowed; then
		skip "perf backend: labs@plt" "$PERF_WHY"
		continue
	fi
	f=$WORKDIR/$backend.folded
	"$CTOP" --backend "$backend" -F 999 --duration 60 -o "$f" \
		-- "$TARGETS/pltcall" 300 >/dev/null 2>"$WORKDIR/err"
	rc=$?
	stub=$(folded_leaf_share "$f" labs@plt)
	n=$(folded_total "$f")
	unnamed=$(grep -c 'pltcall+0x' "$f")
	[ "$rc" = 0 ] && [ "$n" -ge 200 ] && [ "$unnamed" = 0 ] &&
		awk -v s="$stub" -v m="$MIN_STUB" 'BEGIN { exit !(s >= m) }'
	ok $? "$backend: labs@plt leaf in $stub% of $n samples (>= $MIN_STUB%), $unnamed unnamed pltcall+0x stacks, exit $rc" ||
		{ head -3 "$WORKDIR/err"; sort -t' ' -k2 -nr "$f" | head -4; }
done
done_testing
