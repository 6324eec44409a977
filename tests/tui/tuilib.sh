# SPDX-License-Identifier: MIT
# Helpers for the tmux-driven TUI tests (sourced after tests/lib.sh): a
# private tmux server (-L ctop$$, no config), ctop-prof --load on a fixture
# in a pane of a fixed size, send-keys, capture-pane and polling waits.
# Exits 77 (skip) without tmux or without a ctop-prof that loads files.
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
FIXTURE=$top_srcdir/tests/data/ui-tree.folded
[ -x "$CTOP" ] || skip_all "no ctop-prof binary at $CTOP"
"$CTOP" --load "$FIXTURE" --batch >/dev/null 2>&1 ||
	skip_all "ctop-prof --load FILE --batch does not work in this build"
TM=(tmux -L "ctop$$" -f /dev/null)

_tui_cleanup() {
	"${TM[@]}" kill-server 2>/dev/null
	_lib_cleanup
}
trap _tui_cleanup EXIT

# tui_start W H [VAR=value...] -- [ctop-prof args...]: runs ctop-prof in a
# clean environment in a W x H pane, working directory $WORKDIR. When it
# exits the pane prints "EXITED:<status>" and stays.
tui_start() {
	local w=$1 h=$2 envs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	"${TM[@]}" kill-server 2>/dev/null
	"${TM[@]}" new-session -d -s t -x "$w" -y "$h" -c "$WORKDIR" \
		env -i PATH="$PATH" HOME="$WORKDIR" "${envs[@]}" \
		sh -c '"$@"; echo "EXITED:$?"; exec sleep 600' sh "$CTOP" "$@"
	"${TM[@]}" set-option -t t -g status off >/dev/null 2>&1
	"${TM[@]}" resize-window -t t -x "$w" -y "$h" >/dev/null 2>&1
}
screen() { "${TM[@]}" capture-pane -t t -p; }
screen_sgr() { "${TM[@]}" capture-pane -t t -p -e; }
line() { screen | sed -n "${1}p"; }	# line N (1-based)
keys() { "${TM[@]}" send-keys -t t "$@"; }
has() { screen | grep -qF -- "$1"; }
line_has() { line "$1" | grep -qF -- "$2"; }
pane() { "${TM[@]}" display-message -t t -p "$1"; }
resize() { "${TM[@]}" resize-window -t t -x "$1" -y "$2"; }
# wait_has TEXT: poll up to 10 s for TEXT on the screen.
wait_has() { wait_for 10 has "$1"; }
wait_line() { wait_for 10 line_has "$1" "$2"; }
# Column (0-based) where TEXT starts on line N, -1 when absent.
col_of() {
	line "$1" | awk -v t="$2" '{ i = index($0, t); print i ? i - 1 : -1 }'
}
# Prints the screen as a TAP diagnostic (on failure).
show() { screen | sed 's/^/# |/'; }
