#!/bin/bash
# SPDX-License-Identifier: MIT
# T on a Python program (issue 11): each thread started by threading is
# named as Python names it (Thread(name="pyside") in py_mixed.py, read
# from the Thread object in the target), the main thread by the program
# that was exec'd (not by ctop-prof, which launched it). Every CPython
# 3.11+ found here, both backends (perf when permitted); an absent one is
# skipped with the reason.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/perf-lib.sh"
. "$top_srcdir/tests/integration/python-lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
[ -x "$CTOP" ] || skip_all "no ctop-prof binary at $CTOP"
ptrace_allowed || skip_all "ptrace not permitted here"
mixed=$top_srcdir/tests/targets/py_mixed.py
if perf_allowed; then backends="ptrace perf"; else
	backends=ptrace
	diag "perf not usable here ($PERF_WHY): ptrace only"
fi

# thread_label: the status line's thread field ("all", "NAME (TID)").
thread_label() { line 2 | sed -n 's/.*thread \(all\|.*([0-9]*)\).*/\1/p'; }
label_changed() { [ "$(thread_label)" != "$1" ]; }
# thread_labels: the thread field after each T, until it is back to all
# (at most 6): each T waits for the field to change, however slowly a
# loaded machine redraws.
label_is() { [ "$(thread_label)" = "$1" ]; }
thread_labels() {
	local i prev
	wait_for 10 label_is all
	for i in 1 2 3 4 5 6; do
		prev=$(thread_label)
		keys T
		wait_for 10 label_changed "$prev"
		[ "$(thread_label)" = all ] && break
		thread_label
	done
}

table_row() { line 4 | grep -qE '^ *[0-9]+\.[0-9] '; }

run_threads() {	# run_threads LABEL PY BACKEND
	local label=$1 py=$2 be=$3 labels comm i
	comm=$(basename "$py" | cut -c1-15)
	tui_start 120 30 LC_ALL=C TERM=xterm -- --backend "$be" -- \
		"$py" "$mixed" 120
	wait_has "python 3."
	ok $? "$label $be: the live view shows Python frames" || show
	# T before the first sample is named finds no thread to show (and
	# says so): wait for the table's first row. A loaded machine makes
	# each capture slow, and a T pressed too early cost 10 polls' worth
	# of seconds each time (28 to 49 s, 165 s for the file once).
	wait_for 20 table_row
	# The side thread's Python name comes with its first chain, and a
	# loaded machine may take a while to sample it: cycle until both
	# threads are listed (at most 20 s).
	for i in 1 2 3 4 5 6 7 8 9 10; do
		labels=$(thread_labels)
		[ "$(printf '%s\n' "$labels" | grep -c .)" -ge 2 ] && break
		sleep 2
	done
	printf '%s\n' "$labels" | grep -q '^pyside ([0-9]*)$'
	ok $? "$label $be: T shows the thread named by threading (pyside)" ||
		{ diag "labels: $(printf '%s' "$labels" | tr '\n' '|')"; show; }
	printf '%s\n' "$labels" | grep -q "^$comm ([0-9]*)$" &&
		! printf '%s\n' "$labels" | grep -q '^ctop-prof ('
	ok $? "$label $be: T shows the main thread as $comm, not ctop-prof" ||
		diag "labels: $(printf '%s' "$labels" | tr '\n' '|')"
	keys q
}

run_all() {	# run_all LABEL PY
	local be
	for be in $backends; do
		run_threads "$1" "$2" "$be"
	done
}
for_each_python run_all
done_testing
