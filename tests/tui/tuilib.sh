# SPDX-License-Identifier: MIT
# Helpers for the tmux-driven TUI tests (sourced after tests/lib.sh): a
# private tmux server (-L ctop$$, no config), ctop-prof --load on a fixture
# in a pane of a fixed size, send-keys, capture-pane and polling waits.
# Exits 77 (skip) without tmux; tui_need_load skips without a ctop-prof
# that loads files. TUI_BIN is the program tui_start runs ($CTOP).
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
FIXTURE=$top_srcdir/tests/data/ui-tree.folded
TUI_BIN=$CTOP
tui_need_load() {
	[ -x "$CTOP" ] || skip_all "no ctop-prof binary at $CTOP"
	"$CTOP" --load "$FIXTURE" --batch >/dev/null 2>&1 ||
		skip_all "ctop-prof --load FILE --batch does not work in this build"
}
# One private server per start (ctop<pid>-<n>): a new server on the socket
# of one just killed could race with its exit.
tui_n=0
TM=(tmux -L "ctop$$-0" -f /dev/null)

_tui_cleanup() {
	local i
	for i in $(seq 0 "$tui_n"); do
		tmux -L "ctop$$-$i" kill-server 2>/dev/null
		rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/ctop$$-$i"
	done
	_lib_cleanup
}
_tui_next() {
	"${TM[@]}" kill-server 2>/dev/null
	tui_n=$((tui_n + 1))
	TM=(tmux -L "ctop$$-$tui_n" -f /dev/null)
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
	_tui_next
	"${TM[@]}" new-session -d -s t -x "$w" -y "$h" -c "$WORKDIR" \
		env -i PATH="$PATH" HOME="$WORKDIR" "${envs[@]}" \
		sh -c '"$@"; echo "EXITED:$?"; exec sleep 600' sh "$TUI_BIN" "$@"
	"${TM[@]}" set-option -t t -g status off >/dev/null 2>&1
	"${TM[@]}" resize-window -t t -x "$w" -y "$h" >/dev/null 2>&1
}
screen() { "${TM[@]}" capture-pane -t t -p; }
# The same with lines the terminal wrapped joined again.
screen_joined() { "${TM[@]}" capture-pane -t t -p -J; }
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
# tui_start_sh W H SCRIPT [ARGS...]: like tui_start, but SCRIPT is a shell
# command run with "$CTOP" as $0 (for redirections and unset variables).
tui_start_sh() {
	local w=$1 h=$2 script=$3
	shift 3
	_tui_next
	"${TM[@]}" new-session -d -s t -x "$w" -y "$h" -c "$WORKDIR" \
		env -i PATH="$PATH" HOME="$WORKDIR" \
		sh -c "$script; echo \"EXITED:\$?\"; exec sleep 600" "$TUI_BIN" "$@"
}
# attr_at LINE COL: the SGR state of one cell (1-based line, 0-based
# column) from capture-pane -e, which only prints attribute changes:
# "r" reverse, "b" bold, "u" underline, then "f<fg>" "g<bg>" when set.
attr_at() {
	screen_sgr | LC_ALL=C awk -v L="$1" -v C="$2" '
	function sgr(p,   n, a, i) {
		n = split(p, a, ";")
		if (p == "") { n = 1; a[1] = 0 }
		for (i = 1; i <= n; i++) {
			v = a[i] + 0
			if (v == 0) { r = b = u = 0; fg = bg = "" }
			else if (v == 1) b = 1
			else if (v == 4) u = 1
			else if (v == 7) r = 1
			else if (v == 22) b = 0
			else if (v == 24) u = 0
			else if (v == 27) r = 0
			else if (v == 39) fg = ""
			else if (v == 49) bg = ""
			else if (v == 38 || v == 48) {
				c = a[i + 2]; i += 2
				if (v == 38) fg = c; else bg = c
			}
			else if (v >= 30 && v <= 37) fg = v - 30
			else if (v >= 40 && v <= 47) bg = v - 40
		}
	}
	{
		col = 0; s = $0
		while (length(s) > 0) {
			if (match(s, /^\033\[[0-9;]*m/)) {
				sgr(substr(s, 3, RLENGTH - 3))
				s = substr(s, RLENGTH + 1); continue
			}
			ch = substr(s, 1, 1); s = substr(s, 2)
			if (ch >= "\200" && ch < "\300") continue
			if (NR == L && col == C) {
				printf "%s%s%s%s%s\n", r ? "r" : "", b ? "b" : "",
				    u ? "u" : "", fg != "" ? "f" fg : "",
				    bg != "" ? "g" bg : ""
				exit
			}
			col++
		}
		if (NR == L) { print "-"; exit }
	}'
}
