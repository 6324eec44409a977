#!/bin/bash
# SPDX-License-Identifier: MIT
# On a real terminal (a tmux pane): termesc's name and symbol hold
# ESC ] 2 ; pwned BEL (set the window title) and ESC [ 2 J. First a raw
# printf shows this pane obeys them (its title becomes "pwned"); then the
# live view, batch tables and a recording's summary (to an output path
# holding the sequence) on termesc must leave the title alone and show
# the names with '?' (live view) or escaped (batch, summary).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tuilib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
T=$TARGETS/termesc
title() { pane '#{pane_title}'; }

tui_start_sh 100 30 'printf "\033]2;pwned\007"'
wait_has "EXITED:0"
[ "$(title)" = pwned ]
ok $? "control: a raw OSC 2 in this pane sets its title ($(title))" ||
	skip_all "this tmux does not take titles from OSC 2"

tui_start 120 30 LC_ALL=C.UTF-8 TERM=xterm-256color -- --delay 0.5 -- "$T"
wait_has 'evil?]2;pwned??[2J'
ok $? "live view: the symbol as evil?]2;pwned??[2J" || show
has '?]2;pwned??[2J'
ok $? "live view: the process name with ? for ESC and BEL" || show
[ "$(title)" != pwned ]
ok $? "live view: the title is untouched ($(title))"
keys q
wait_has "EXITED:"

# Four tables: on a loaded machine the first may hold no sample yet.
tui_start_sh 120 40 '"$0" -b -n 4 -d 0.5 -- "$1" | grep -av "^ready"' "$T"
wait_has "EXITED:"
has 'evil\x1b]2;pwned\x07\x1b[2J'
ok $? "batch in a terminal: the symbol escaped" || show
[ "$(title)" != pwned ]
ok $? "batch in a terminal: the title is untouched ($(title))"

# The summary line is longer than the pane: wrapped lines joined.
tui_start_sh 200 30 '"$0" --duration 1 -o "$(printf "o\033]2;pwned\007.folded")" -- "$1" >/dev/null' "$T"
wait_has "EXITED:"
screen_joined | grep -qF -- 'wrote o\x1b]2;pwned\x07.folded'
ok $? "recording summary in a terminal: the output path escaped" || show
[ "$(title)" != pwned ]
ok $? "recording: the title is untouched ($(title))"
done_testing
