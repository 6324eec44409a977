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
	"$CTOP" --backend "$b" -p "$dl" -F 999 --duration 2.5 \
		-o "$WORKDIR/$b.folded" 2>"$WORKDIR/$b.err" &
	c=$!
	wait_for 20 sampling "$c" "$dl"
	# A path that does not load: dlclose(libdlfini.so) spends 150 ms in
	# dlhot_unload_spin, and nothing else is mapped where it was (with
	# ptrace, a library of the same size in its place is seen only at the
	# next second's maps read).
	for i in 1 2 3; do
		echo "load $TARGETS/libdlfini.so dlhot_spin" >&7
		sleep 0.2
		echo "load $WORKDIR/none.so none" >&7
		sleep 0.4
	done
	wait "$c"
	ok $? "$b: recorded ($(cat "$WORKDIR/$b.err"))"
	exec 7>&-
	kill "$dl" 2>/dev/null
	f=$WORKDIR/$b.folded
	n=$(awk '/;dlhot_unload_spin [0-9]+$/ { n += $NF } END { print n + 0 }' "$f")
	whole=$(awk '/;dlhot_unload_spin [0-9]+$/ && !/\[incomplete\]/ &&
		/;main;(poll_command;)?([^;]*;)*[^;]*dlclose[^;]*;([^;]*;)*__do_global_dtors_aux;__cxa_finalize;dlhot_unload_spin / { n += $NF }
		END { print n + 0 }' "$f")
	# 3 x 150 ms of CPU at 999 Hz: about 450 samples (138 with ptrace
	# beside two busy loops); enough for the share below to mean something.
	[ "$n" -ge 90 ]
	ok $? "$b: $n samples in dlhot_unload_spin (3 x 150 ms of CPU, want >= 90)"
	[ "$n" -gt 0 ] && [ $((whole * 100)) -ge $((n * 95)) ]
	ok $? "$b: $whole of $n whole: main, dlclose, __do_global_dtors_aux (crt, no CFI, a size-0 symbol), __cxa_finalize (want >= 95%)$(
		[ "$whole" -lt "$n" ] && printf ' (first other: %s)' \
		"$(grep ';dlhot_unload_spin ' "$f" | grep -v ';main;' | head -1)")"
done

done_testing
