#!/bin/bash
# SPDX-License-Identifier: MIT
# Job control in the TUI (ptrace backend), in an interactive shell: C-z
# gives the terminal back to the shell and stops ctop-prof only. Before
# it stops, every thread of the target is detached, so for the 5 s it
# stays stopped the target runs on (its CPU time grows) and no thread is
# traced (TracerPid 0) or in state t. `fg` redraws the view and sampling
# goes on (the samples count grows again); q detaches cleanly.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
ptrace_allowed || skip_all "ptrace not permitted here"
command -v bash >/dev/null 2>&1 || skip_all "bash is not installed"

"$TARGETS/lifecycle" --threads 3 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
sleep 0.2

untraced() { [ "$(tracer_of "$1")" = 0 ] && [ "$(proc_state "$1")" != t ]; }
all_untraced() {
	local x
	for x in /proc/"$t"/task/*; do untraced "${x#/proc/}" || return 1; done
}
# The samples count of the status line.
samples() { screen | sed -n 's/.*samples *\([0-9][0-9]*\).*/\1/p' | head -1; }
grown() { [ "$(samples)" -gt "$1" ] 2>/dev/null; }

# An interactive shell (job control on) in the pane; ctop-prof typed in.
_tui_next
"${TM[@]}" new-session -d -s t -x 100 -y 30 -c "$WORKDIR" \
	env -i PATH="$PATH" HOME="$WORKDIR" TERM=xterm LC_ALL=C PS1='sh$ ' \
	bash --norc --noprofile -i
"${TM[@]}" set-option -t t -g status off >/dev/null 2>&1
wait_has 'sh$' || show
keys -l "$CTOP --backend ptrace -p $t -d 0.3"
keys Enter
wait_has lc_spin_many; ok $? "the TUI shows the target" || show
sh_pid=$(pane '#{pane_pid}')
wait_for 5 eval 'c=$(pgrep -P "$sh_pid" | head -1); [ -n "$c" ]'
wait_for 5 grown 0
n0=$(samples)

keys C-z
wait_has Stopped && ! has lc_spin_many
ok $? "C-z: the terminal is back to the shell, which says ctop-prof stopped" || show
[ "$(proc_state "$c")" = T ]
ok $? "C-z: ctop-prof is stopped (state $(proc_state "$c"))"
wait_for 5 all_untraced
ok $? "C-z: every thread of the target detached, none in state t"
k0=$(cpu_ticks "$t")
sleep 5
k1=$(cpu_ticks "$t")
[ "$k1" -gt "$k0" ] && all_untraced && [ "$(proc_state "$c")" = T ]
ok $? "5 s stopped: the target ran on (CPU ticks $k0 -> $k1), untraced; ctop-prof still stopped"

keys -l fg
keys Enter
wait_has lc_spin_many; ok $? "fg: the view is drawn again" || show
n1=$(samples)
wait_for 10 grown "$n1"
ok $? "fg: samples arrive again ($n0 before C-z, $n1 -> $(samples))" || show
wait_for 5 eval '[ "$(tracer_of "$t")" != 0 ]'
ok $? "fg: the target is seized again (TracerPid $(tracer_of "$t"))"

keys q
wait_for 5 test ! -d "/proc/$c"
ok $? "q: ctop-prof exits" || show
wait_for 2 target_healthy "$t"
ok $? "q: target running and untraced ($(tracer_of "$t"), $(proc_state "$t"))"
kill "$t"
done_testing
