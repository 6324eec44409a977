#!/bin/bash
# SPDX-License-Identifier: MIT
# The TUI on loaded profiles (issue 12):
# - `perf script | ctop-prof --load -`: the profile comes on standard
#   input and the keys from the terminal (/dev/tty), as with less. Real
#   perf record of ratio (work_a:work_b = 3:1): the table shows work_a
#   ahead of work_b with their shares, i switches to the icicle, q exits 0
#   within 2 s. Without a controlling terminal (setsid): one line pointing
#   to --batch and exit 1; --batch and -o still work there.
# - T on loaded profiles with threads: named_threads --threads 2 recorded
#   by ctop-prof to speedscope (then converted to pprof, read on standard
#   input): each T names the next thread on the status line and the table
#   and icicle hold only its samples (spin_worker_K, the thread's count from
#   the file; the main thread, when it has a sample, none of the workers');
#   back to all after the last. A folded file has no threads: T says so
#   and the view stays whole.
# - A thread name holding ESC ] 2 ; ... BEL (speedscope on standard
#   input) is shown with '?' and the pane's title stays untouched (after a
#   control showing a raw OSC 2 does set it).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load
export LC_ALL=C
D=$WORKDIR
E='LC_ALL=C TERM=xterm-256color'

# row FUNCTION FIELD: a field of FUNCTION's row in the table at 160
# columns (1 SELF%, 2 TOTAL%, 3 SELF, 4 TOTAL).
row() { screen | awk -v f="$1" -v k="$2" '$5 == f { print $k; exit }'; }
# worker_near K N: spin_worker_K's total is N samples or at most 3 fewer.
worker_near() {
	local t
	t=$(row "spin_worker_$1" 4)
	[ "${t:-0}" -le "$2" ] && [ "${t:-0}" -ge $(($2 - 3)) ]
}
thread_label() { line 2 | sed -n 's/.*thread \(all\|.*([0-9]*)\).*/\1/p'; }
label_is() { [ "$(thread_label)" = "$1" ]; }
label_changed() { [ "$(thread_label)" != "$1" ]; }

# --- perf script on standard input ------------------------------------------
if ptrace_allowed && command -v perf >/dev/null &&
	timeout 30 perf record -q -F 499 -g -o "$D/perf.data" -- \
		"$TARGETS/ratio" --seconds 1 >/dev/null 2>&1 &&
	perf script -i "$D/perf.data" >"$D/ratio.perf" 2>/dev/null; then
	"$CTOP" --load - -o "$D/ratio.folded" <"$D/ratio.perf" 2>"$D/err"
	ok $? "the perf script text converts: exit 0 $(cat "$D/err")"
	n=$(folded_total "$D/ratio.folded")
	tui_start_sh 160 30 "cat \"\$1\" | $E \"\$0\" --load -" "$D/ratio.perf"
	wait_has work_a
	ok $? "cat ratio.perf | ctop-prof --load -: the table shows" || show
	[ "$(pane '#{alternate_on}')" = 1 ]
	ok $? "drawn on the alternate screen, not refused"
	check "status: file stdin, $n samples" -- line_has 1 "file stdin  samples $n"
	a=$(row work_a 1) b=$(row work_b 1)
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 50 && b > 10 && a > 2 * b) }'
	ok $? "work_a $a% and work_b $b% self (3:1 by construction)" || show
	[ "$(row work_a 3)" -gt 0 ] 2>/dev/null &&
		[ "$(screen | grep -c 'work_[ab] ')" = 2 ]
	ok $? "their counts: $(row work_a 3) and $(row work_b 3)" || show
	# The process frame roots every stack and is no function: no row
	# of its own (it was '0.0 100.0 ... ratio', no module), as in batch.
	! screen | awk 'NR > 3 && $NF == "ratio" && $2 == "100.0"' | grep -q .
	ok $? "no table row for the process frame (ratio)" || show
	keys i
	wait_line 3 "icicle"
	ok $? "i: the icicle, keys read from the terminal" || show
	check "the icicle holds work_a and work_b" -- has work_b
	keys t
	wait_line 3 FUNCTION
	ok $? "t: back to the table" || show
	t0=$(now_ms)
	keys q
	wait_for 5 has "EXITED:0"
	ok $? "q: exit 0 in $(($(now_ms) - t0)) ms" || show
	[ $(($(now_ms) - t0)) -lt 2000 ]
	ok $? "q: promptly (under 2 s)"

	# No controlling terminal: a new session has none (stdout is still
	# the pane, so the TUI is what would run).
	tui_start_sh 160 30 "cat \"\$1\" | $E setsid -w \"\$0\" --load -" \
		"$D/ratio.perf"
	wait_has "EXITED:"
	has "EXITED:1" && [ "$(screen | grep -c '^ctop-prof:')" = 1 ] &&
		has "no terminal to take keys from" && has "use --batch"
	ok $? "no /dev/tty: one line pointing to --batch, exit 1" || show
	setsid -w "$CTOP" --load - -b -n 1 <"$D/ratio.perf" >"$D/batch" 2>"$D/err"
	ok $? "no terminal, --batch: exit 0 $(cat "$D/err")"
	check "the batch table has work_a" -- grep -q ' work_a ' "$D/batch"
	setsid -w "$CTOP" --load - -o "$D/nott.folded" <"$D/ratio.perf" 2>"$D/err" &&
		cmp -s "$D/ratio.folded" "$D/nott.folded"
	ok $? "no terminal, -o: the same folded file $(cat "$D/err")"
else
	skip "perf script | ctop-prof --load - in the TUI" "perf record cannot run here"
fi

# --- T on a loaded profile with threads -----------------------------------------
"$CTOP" -F 199 -o "$D/nt.speedscope.json" -- "$TARGETS/named_threads" \
	--threads 2 --seconds 2 >/dev/null 2>"$D/err"
ok $? "named_threads --threads 2 recorded to speedscope" || sed 's/^/# /' "$D/err"
# NAME TID SAMPLES per thread, from the file itself.
python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["profiles"]:
    name, tid = p["name"].rsplit(" ", 1)
    print(name, tid, sum(p["weights"]))' "$D/nt.speedscope.json" >"$D/threads"
all=$(awk '{ t += $3 } END { print t + 0 }' "$D/threads")
[ "$(grep -c '^worker-[12] [0-9]* [1-9]' "$D/threads")" = 2 ]
ok $? "both workers have samples: $(tr '\n' ' ' <"$D/threads")"
"$CTOP" --load "$D/nt.speedscope.json" -o "$D/nt.pb.gz" 2>"$D/err"
ok $? "converted to pprof $(cat "$D/err")"

# check_worker WHAT K N: the view of worker-K alone holds spin_worker_K
# with the thread's N samples from the file, and not the other's.
check_worker() {
	local what=$1 k=$2 n=$3 other=$((3 - $2))
	# All of the thread's samples but those of its start and exit (libc's
	# thread exit, __resolv_context_freeres, was sampled once: 182 of 183).
	wait_for 5 worker_near "$k" "${n:-0}"
	ok $? "$what: spin_worker_$k has the thread's $n samples (but for at most 3)" || show
	check "$what: at 97% total or more" -- awk -v p="$(row "spin_worker_$k" 2)" 'BEGIN { exit !(p >= 97) }'
	! has "spin_worker_$other"
	ok $? "$what: no spin_worker_$other" || show
	check "$what: no (updating)" -- eval '! has "(updating)"'
	check "$what: the status keeps the file's $all samples" -- \
		line_has 1 "samples $all"
	keys i
	wait_line 3 icicle
	has "spin_worker_$k" && ! has "spin_worker_$other"
	ok $? "$what: the icicle holds spin_worker_$k only" || show
	keys t
	wait_line 3 FUNCTION
}
# check_threads WHAT: T steps through every thread of the file, then all.
# The main thread only joins, but may have a sample from its start.
check_threads() {
	local what=$1 i name tid n prev seen="" label
	wait_has spin_worker_1
	ok $? "$what: the table shows" || show
	check "$what: thread all" -- label_is all
	for i in 1 2 3 4 5; do
		prev=$(thread_label)
		keys T
		wait_for 10 label_changed "$prev"
		label=$(thread_label)
		[ "$label" = all ] && break
		read -r name tid <<<"$(printf '%s\n' "$label" |
			sed -n 's/^\(.*\) (\([0-9]*\))$/\1 \2/p')"
		n=$(awk -v t="$tid" '$2 == t { print $3 }' "$D/threads")
		[ -n "$n" ] && grep -q "^$name $tid " "$D/threads"
		ok $? "$what: T names thread $label, one of the file's" || show
		case $name in
		worker-[12])
			check_worker "$what" "${name#worker-}" "$n"
			seen="$seen${name#worker-}" ;;
		*)
			! has spin_worker_
			ok $? "$what: $label ($n samples) has no worker's function" || show
		esac
	done
	[ "$seen" = 12 ] || [ "$seen" = 21 ]
	ok $? "$what: both workers in turn ($seen)"
	check "$what: after the last thread, all again" -- label_is all
	wait_for 5 test "$(row spin_worker_1 4)" -gt 0
	has spin_worker_2
	ok $? "$what: both workers again" || show
	keys q
	wait_has "EXITED:0"
	ok $? "$what: q exits 0" || show
}
tui_start 160 30 LC_ALL=C TERM=xterm-256color -- --load "$D/nt.speedscope.json"
check_threads "speedscope"
tui_start_sh 160 30 "cat \"\$1\" | $E \"\$0\" --load -" "$D/nt.pb.gz"
check_threads "pprof on stdin"

# Folded has no threads: T says so and changes nothing.
tui_start 160 30 LC_ALL=C TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION
keys T
wait_has "no thread information"
ok $? "folded: T says there is no thread information" || show
check "folded: the thread stays all" -- label_is all

# --- a hostile thread name on standard input ------------------------------------
title() { pane '#{pane_title}'; }
# The control: a raw OSC 2 does set this pane's title.
tui_start_sh 100 10 'printf "\033]2;pwned\007"'
wait_has "EXITED:0"
if [ "$(title)" = pwned ]; then
	ok 0 "control: a raw OSC 2 sets the pane's title"
else
	skip "control: a raw OSC 2 sets the pane's title" \
		"this tmux does not take titles from OSC 2 ($(title))"
fi
cat >"$D/evil.speedscope.json" <<'EOF'
{"shared": {"frames": [{"name": "evil_main"}, {"name": "evil_leaf"}]},
 "profiles": [{"type": "sampled", "name": "e\u001b]2;pwned\u0007 77",
   "unit": "none", "startValue": 0, "endValue": 5,
   "samples": [[0, 1]], "weights": [5]}]}
EOF
tui_start_sh 160 30 "cat \"\$1\" | $E \"\$0\" --load -" "$D/evil.speedscope.json"
wait_has evil_leaf
ok $? "a speedscope with a hostile thread name, on stdin" || show
keys T
wait_has "(77)"
line_has 2 'e?]2;pwned? (77)'
ok $? "T: the thread named with ? for ESC and BEL" || show
[ "$(title)" != pwned ]
ok $? "the pane's title is untouched ($(title))"
keys q
wait_has "EXITED:0"
ok $? "q exits 0" || show

done_testing
