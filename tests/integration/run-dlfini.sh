#!/bin/bash
# SPDX-License-Identifier: MIT
# A stack through code without CFI, on each backend: dlclose of
# libdlfini.so runs its atexit function (dlhot_unload_spin, 150 ms of CPU)
# from __cxa_finalize, which the crt's __do_global_dtors_aux calls; crt
# code is built without unwind tables, and the caller that runs it
# (ld.so's _dl_call_fini) keeps a heap pointer in rbp, so only a frame
# pointer step that does not ask the saved rbp to be a stack address
# reaches main (unwind.c, gap_step). Before that step took such frames,
# every one of these samples ended [incomplete] under the library; and
# __do_global_dtors_aux is a size-0 symbol, named as perf names it, up
# to the next symbol (resolve.c, MARK_SPAN), where it was an offset.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
backends=ptrace
if perf_allowed; then
	backends="ptrace perf"
else
	diag "perf backend not usable here: $PERF_WHY"
fi

for b in $backends; do
	mkfifo "$WORKDIR/cmd.$b"
	"$TARGETS/dlopener" <"$WORKDIR/cmd.$b" >"$WORKDIR/dl.$b" 2>&1 &
	dl=$!
	cleanup_pid "$dl"
	exec 7>"$WORKDIR/cmd.$b"
	wait_for 5 grep -q ready "$WORKDIR/dl.$b"
	# Until told to stop (SIGINT) once the three unloads are done:
	# driven by the wall clock (sleeps and --duration 2.5), the unloads
	# beside 64 busy threads did not all fit in the run.
	"$CTOP" --backend "$b" -p "$dl" -F 999 --duration 300 \
		-o "$WORKDIR/$b.folded" 2>"$WORKDIR/$b.err" &
	c=$!
	wait_for 20 sampling "$c" "$dl"
	wait_for 20 catches_signal "$c" INT
	# A path that does not load: dlclose(libdlfini.so) spends 150 ms in
	# dlhot_unload_spin, and nothing else is mapped where it was (with
	# ptrace, a library of the same size in its place is seen only at the
	# next second's maps read). Each command waits for the answer to the
	# one before ("loaded ADDRESS", printed after the dlclose and its
	# 150 ms).
	for i in 1 2 3; do
		echo "load $TARGETS/libdlfini.so dlhot_spin" >&7
		wait_for 60 has_lines "$WORKDIR/dl.$b" '^loaded ' $((2 * i - 1))
		echo "load $WORKDIR/none.so none" >&7
		wait_for 60 has_lines "$WORKDIR/dl.$b" '^loaded ' $((2 * i))
	done
	kill -INT "$c"
	wait "$c"
	ok $? "$b: recorded ($(cat "$WORKDIR/$b.err"))"
	exec 7>&-
	kill "$dl" 2>/dev/null
	f=$WORKDIR/$b.folded
	# Samples in dlhot_unload_spin or below it: it calls clock_gettime
	# (a system call for the thread's CPU time) every million rounds,
	# and beside 64 busy threads 404 of its 450 ptrace samples ended
	# there, in __vdso_clock_gettime (ptrace samples a thread that waits
	# for a CPU where it was descheduled, probably most often on that
	# call's way back); 46 were left in dlhot_unload_spin itself.
	n=$(awk '/;dlhot_unload_spin(;.*)? [0-9]+$/ { n += $NF } END { print n + 0 }' "$f")
	whole=$(awk '/;dlhot_unload_spin(;.*)? [0-9]+$/ && !/\[incomplete\]/ &&
		/;main;(poll_command;)?([^;]*;)*[^;]*dlclose[^;]*;([^;]*;)*__do_global_dtors_aux;__cxa_finalize;dlhot_unload_spin[; ]/ { n += $NF }
		END { print n + 0 }' "$f")
	# 3 x 150 ms of CPU (its own clock) at 999 Hz: 449 samples due. Both
	# backends count CPU time, so the count follows it however loaded the
	# machine: ptrace 451 alone, 448 beside 64 busy threads; perf 450 and
	# 444. Half of it is the bound (it was 90 of about 450 in a 2.5 s
	# run, which beside two busy loops held 138), enough for the share
	# below to mean something.
	due=$(cpu_due 450 999)
	follows_due "$n" "$due" 1 50 150
	ok $? "$b: $n samples in dlhot_unload_spin (3 x 150 ms of CPU make $due, want 50-150%)"
	[ "$n" -gt 0 ] && [ $((whole * 100)) -ge $((n * 95)) ]
	ok $? "$b: $whole of $n whole: main, dlclose, __do_global_dtors_aux (crt, no CFI, a size-0 symbol), __cxa_finalize (want >= 95%)$(
		[ "$whole" -lt "$n" ] && printf ' (first other: %s)' \
		"$(grep -E ';dlhot_unload_spin[; ]' "$f" | grep -v ';main;' | head -1)")"
done

done_testing
