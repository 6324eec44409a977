#!/bin/bash
# SPDX-License-Identifier: MIT
# dlopen/dlclose churn, many short recordings on each backend: dlopener
# loads libdlhot.so and libdlhot2.so in turn (DLCHURN_MS each, default 20,
# so 25 loads and unloads per 0.5 s), and ctop-prof attaches DLCHURN_RUNS
# times (default 100) per backend for 0.4 s. Samples taken in a library
# just before its dlclose are handled after the maps no longer list it: a
# module must stay known for them (symbols.c, "Module lifetimes"). In no
# run may a library frame be cut loose (dlchurn_bad in tests/lib.sh).
# [unknown] frames (a library that came and went between two maps reads
# was never seen): none with perf, whose MMAP2 records make each library's
# module in order with the samples; under 1% of the samples with ptrace,
# which reads the maps only on a miss and each second. Other [incomplete]
# stacks (crt or ld.so code that has no CFI): under 1%.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../integration/perf-lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
RUNS=${DLCHURN_RUNS:-100}
MS=${DLCHURN_MS:-20}
backends=ptrace
if perf_allowed; then
	backends="ptrace perf"
else
	diag "perf backend not usable here: $PERF_WHY"
fi

"$TARGETS/dlopener" churn "$TARGETS/libdlhot.so" dlhot_spin \
	"$TARGETS/libdlhot2.so" dlhot2_spin "$MS" >"$WORKDIR/dl.out" 2>&1 &
dl=$!
cleanup_pid "$dl"
wait_for 5 grep -q ready "$WORKDIR/dl.out"

for b in $backends; do
	fails=0 samples=0 gaps=0 unknown=0 first=
	for i in $(seq "$RUNS"); do
		f=$WORKDIR/$b.folded
		if ! "$CTOP" -p "$dl" --backend "$b" -F 999 --duration 0.4 \
		    -o "$f" 2>"$WORKDIR/err"; then
			fails=$((fails + 1))
			first=${first:-"run $i: $(cat "$WORKDIR/err")"}
			continue
		fi
		bad=$(dlchurn_bad "$f" | head -2 | tr '\n' '|')
		if [ -n "$bad" ]; then
			fails=$((fails + 1))
			first=${first:-"run $i: $bad"}
		fi
		samples=$((samples + $(folded_total "$f")))
		unknown=$((unknown + $(dlchurn_unknown "$f")))
		gaps=$((gaps + $(awk '/\[incomplete\]/ && !/\[unknown\]/ &&
			!/dlhot2?_spin/ { n += $NF } END { print n + 0 }' "$f")))
	done
	[ "$fails" = 0 ]
	ok $? "$b: $RUNS runs, none with a frame cut loose${first:+ ($fails did; first: $first)}"
	if [ "$b" = perf ]; then
		[ "$samples" -gt 0 ] && [ "$unknown" = 0 ]
		ok $? "$b: $unknown of $samples samples in a library no MMAP2 record told (want 0)"
	else
		[ "$samples" -gt 0 ] && [ $((unknown * 100)) -lt "$samples" ]
		ok $? "$b: $unknown of $samples samples in a library no maps read saw (want < 1%)"
	fi
	[ $((gaps * 100)) -lt "$samples" ]
	ok $? "$b: $gaps of $samples samples end in code without CFI (want < 1%)"
done
kill -0 "$dl"
ok $? "dlopener still running after $RUNS attaches per backend"

done_testing
