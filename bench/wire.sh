#!/bin/bash
# SPDX-License-Identifier: MIT
# Bytes on the wire (issue 17 goal 5): what the live view sends to the
# terminal, the number a user on a slow SSH link feels, beside htop and
# top in the same run. Each runs in a tmux pane of WxH (120x40) with the
# bundled demo busy; after WARM seconds, `tmux pipe-pane` counts every
# byte the program writes for SECS seconds. RUNS interleaved rounds,
# medians and ranges of bytes per second:
#   ctop-table  ctop-prof -d 1 -- ctop-demo, the top table (the first view)
#   ctop-icicle the same with the icicle (i)
#   htop        htop -d 10 (one refresh a second), the demo running
#   top         top -d 1, the demo running
# With a second build directory (a build of the commit before a change),
# base-table and base-icicle are that build's, measured in the same
# rounds: a before and after on one machine in one state.
# Usage: bench/wire.sh [BUILD_DIR [BASE_BUILD_DIR]]  (env: RUNS=5 SECS=20
#   WARM=10 W=120 H=40 TERM_NAME=xterm-256color). htop: apt-get install
#   htop.
set -u
build=${1:-build} base=${2:-}
RUNS=${RUNS:-5} SECS=${SECS:-20} WARM=${WARM:-10} W=${W:-120} H=${H:-40}
TERM_NAME=${TERM_NAME:-xterm-256color}
ctop=$build/ctop-prof demo=$build/ctop-demo
[ -x "$ctop" ] && [ -x "$demo" ] || { echo "build first: $ctop, $demo"; exit 1; }
names="ctop-table ctop-icicle htop top"
if [ -n "$base" ]; then
	[ -x "$base/ctop-prof" ] && [ -x "$base/ctop-demo" ] || {
		echo "build first: $base/ctop-prof, $base/ctop-demo"
		exit 1
	}
	names="ctop-table base-table ctop-icicle base-icicle htop top"
fi
command -v tmux >/dev/null || { echo "tmux not installed"; exit 1; }
tmp=$(mktemp -d)
TM=(tmux -L "wire$$" -f /dev/null)
demo_pid=
cleanup() {
	"${TM[@]}" kill-server 2>/dev/null
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

# measure NAME KEYS CMD...: runs CMD in a fresh WxH pane (HOME a scratch
# directory: htop and top keep their settings there), sends KEYS after
# a second, waits WARM, then appends the bytes per second of the next
# SECS seconds to $tmp/NAME.
measure() {
	local name=$1 keys=$2 out=$tmp/$1.bytes
	shift 2
	: >"$out"
	"${TM[@]}" new-session -d -s w -x "$W" -y "$H" \
		env -i PATH="$PATH" HOME="$tmp/home" TERM="$TERM_NAME" LANG=C.UTF-8 "$@"
	"${TM[@]}" set-option -t w -g status off >/dev/null 2>&1
	"${TM[@]}" resize-window -t w -x "$W" -y "$H" >/dev/null 2>&1
	sleep 1
	[ -n "$keys" ] && "${TM[@]}" send-keys -t w "$keys"
	sleep "$WARM"
	"${TM[@]}" pipe-pane -t w -o "cat >> '$out'"
	sleep "$SECS"
	"${TM[@]}" pipe-pane -t w
	"${TM[@]}" kill-session -t w 2>/dev/null
	sleep 0.5
	echo $(( $(wc -c <"$out") / SECS )) >>"$tmp/$name"
}

with_demo() {	# a busy demo for htop and top to list
	"$demo" >/dev/null 2>&1 &
	demo_pid=$!
	"$@"
	kill "$demo_pid" 2>/dev/null
	wait "$demo_pid" 2>/dev/null
	demo_pid=
}

mkdir -p "$tmp/home"
have_htop=$(command -v htop || true)
for r in $(seq 1 "$RUNS"); do
	measure ctop-table "" "$ctop" -d 1 -- "$demo"
	[ -n "$base" ] && measure base-table "" "$base/ctop-prof" -d 1 -- \
		"$base/ctop-demo"
	measure ctop-icicle i "$ctop" -d 1 -- "$demo"
	[ -n "$base" ] && measure base-icicle i "$base/ctop-prof" -d 1 -- \
		"$base/ctop-demo"
	[ -n "$have_htop" ] && with_demo measure htop "" htop -d 10
	with_demo measure top "" top -d 1
	echo "round $r of $RUNS: $(for n in $names; do
		[ -f "$tmp/$n" ] && printf '%s %s B/s  ' "$n" "$(tail -1 "$tmp/$n")"; done)"
done
echo
echo "bytes per second at ${W}x$H, $TERM_NAME, $SECS s per run, medians of $RUNS interleaved runs (range):"
for n in $names; do
	if [ -f "$tmp/$n" ]; then
		printf '  %-12s %6s B/s  (%s)\n' "$n" "$(median <"$tmp/$n")" "$(range <"$tmp/$n")"
	else
		printf '  %-12s not installed\n' "$n"
	fi
done
if [ -f "$tmp/htop" ]; then
	awk -v c="$(median <"$tmp/ctop-table")" -v h="$(median <"$tmp/htop")" \
		'BEGIN { printf "ctop-table / htop: %.2fx (goal <= 1)\n", h ? c / h : 0 }'
	[ -n "$base" ] && awk -v c="$(median <"$tmp/base-table")" \
		-v h="$(median <"$tmp/htop")" \
		'BEGIN { printf "base-table / htop: %.2fx\n", h ? c / h : 0 }'
fi
