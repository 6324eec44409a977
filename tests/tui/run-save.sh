#!/bin/bash
# SPDX-License-Identifier: MIT
# The s key saves what is shown: the zoomed subtree of the loaded profile
# as a new folded file in the working directory, named on the status line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load

tui_start 120 30 LC_ALL=C TERM=xterm-256color -- --load "$FIXTURE"
wait_has FUNCTION || { show; skip_all "the table did not show"; }
keys s
wait_has "saved "; ok $? "s in the table: a saved message" || show
f1=$(ls "$WORKDIR"/*.folded 2>/dev/null | head -1)
[ -n "$f1" ] && [ "$(folded_total "$f1")" = 1000 ]
ok $? "the whole profile saved: 1000 samples" || ls -l "$WORKDIR"
has "$(basename "$f1")"; ok $? "the status line names the file" || show
rm -f "$f1"
keys i Down Down Down Enter
wait_line 3 "main > compute"; ok $? "zoomed into compute" || show
keys s
# The first save's "saved" message may still be on the status line: wait
# for the second file itself, then for the line naming it.
saved_file() { ls "$WORKDIR"/*.folded 2>/dev/null | grep -q .; }
wait_for 10 saved_file
f2=$(ls "$WORKDIR"/*.folded 2>/dev/null | head -1)
[ -n "$f2" ] && wait_has "$(basename "$f2")"
ok $? "s in the icicle: saved, and the status line names $(basename "$f2")" || show
[ -n "$f2" ] && [ "$(folded_total "$f2")" = 550 ]
ok $? "the zoomed subtree saved: 550 samples" || { ls -l "$WORKDIR"; cat "$f2"; }
! grep -v compute "$f2" | grep -q .
ok $? "every saved stack passes through compute" || cat "$f2"
[ "$(awk '/multiply/ { print $NF }' "$f2")" = 300 ]
ok $? "multiply keeps its 300 samples" || cat "$f2"
keys q
wait_has "EXITED:0"; ok $? "q quits" || show

# --snapshot-format svg: s writes the zoomed subtree as an SVG, named .svg.
rm -f "$WORKDIR"/*.folded
tui_start 120 30 LC_ALL=C TERM=xterm-256color -- --load "$FIXTURE" \
	--snapshot-format svg
wait_has FUNCTION || show
keys i Down Down Down Enter
wait_line 3 "main > compute"; ok $? "svg: zoomed into compute" || show
keys s
saved_svg() { ls "$WORKDIR"/ctop-prof-*.svg 2>/dev/null | grep -q .; }
wait_for 10 saved_svg
f3=$(ls "$WORKDIR"/ctop-prof-*.svg 2>/dev/null | head -1)
[ -n "$f3" ] && wait_has "$(basename "$f3")"
ok $? "s writes $(basename "${f3:-none}"), named on the status line" || show
! ls "$WORKDIR"/*.folded >/dev/null 2>&1
ok $? "and no folded file"
python3 -c 'import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
sys.exit(0 if r.get("data-total") == "550" else r.get("data-total"))' "$f3" 2>/dev/null
ok $? "it is an SVG of the zoomed subtree: 550 samples"
keys q
wait_has "EXITED:0"; ok $? "q quits" || show

# --snapshot-format pprof (issue 12): s writes what --output would, from a
# live run (rate, times, pid, comments) and from a loaded pprof (its own
# sample types, period, labels, addresses, mappings).
raw_head() {	# the parts of go tool pprof -raw both must have alike
	awk '/^Samples:/ { getline; print; s = 1; next }
		/^Locations/ { s = 0; l = 1; next } /^Mappings/ { l = 0; m = 1; next }
		/^(PeriodType|Period):/ { print }
		s && /:\[/ { gsub(/[ \t]+/, " "); print }
		l && $1 ~ /:$/ { n++; print $2, $3, $4, $5 }
		l && $1 !~ /:$/ { print $1, $2 }
		m { $1 = ""; print } END { print "locations", n }' "$1" | sort -u
}
if ! command -v go >/dev/null || ! ptrace_allowed; then
	skip "pprof snapshots" "go tool pprof or ptrace missing"
else
	export GOCACHE=$WORKDIR/gocache PPROF_TMPDIR=$WORKDIR GOTOOLCHAIN=local
	rm -f "$WORKDIR"/ctop-prof-*
	start_target t "$TARGETS/ratio" --seconds 60
	tui_start 120 30 LC_ALL=C TERM=xterm-256color -- -p "$t" -F 99 \
		--snapshot-format pprof
	# A row first: the column titles show before the worker has named
	# a sample, and an s then saved an empty profile (beside a CI run).
	wait_for 20 has work_a || show
	sleep 1
	keys s
	saved_pb() { ls "$WORKDIR"/ctop-prof-*.pb.gz 2>/dev/null | grep -q .; }
	wait_for 10 saved_pb
	f4=$(ls "$WORKDIR"/ctop-prof-*.pb.gz 2>/dev/null | head -1)
	keys q
	HOME=$WORKDIR go tool pprof -raw "$f4" >"$WORKDIR/live.raw" 2>/dev/null
	grep -q '^PeriodType: cpu nanoseconds$' "$WORKDIR/live.raw" &&
		grep -q '^Period: 10101010$' "$WORKDIR/live.raw" &&
		grep -q '^samples/count cpu/nanoseconds\[dflt\]$' "$WORKDIR/live.raw" &&
		grep -q '^Duration: [1-9]' "$WORKDIR/live.raw" &&
		grep -q "pid:\[$t\]" "$WORKDIR/live.raw" &&
		grep -q '^Comment: backend: ' "$WORKDIR/live.raw"
	ok $? "s in a live run writes $(basename "${f4:-none}"): cpu/nanoseconds, period 1e9/99, duration, pid $t, comments" ||
		head -20 "$WORKDIR/live.raw" | sed 's/^/# /'
	kill "$t" 2>/dev/null
	mv "$f4" "$WORKDIR/live.pb.gz"
	tui_start 120 30 LC_ALL=C TERM=xterm-256color -- --load live.pb.gz \
		--snapshot-format pprof
	wait_has FUNCTION || show
	keys s
	wait_for 10 saved_pb
	f5=$(ls "$WORKDIR"/ctop-prof-*.pb.gz 2>/dev/null | head -1)
	keys q
	HOME=$WORKDIR go tool pprof -raw "$f5" >"$WORKDIR/load.raw" 2>/dev/null
	# Both with code addresses in mappings with a range (not 0x0).
	grep -q ' 0x[1-9a-f][0-9a-f]* M=[0-9]' "$WORKDIR/load.raw" &&
		grep -q '^1: 0x[1-9a-f]' "$WORKDIR/load.raw" &&
		diff <(raw_head "$WORKDIR/live.raw") <(raw_head "$WORKDIR/load.raw") >"$WORKDIR/diff"
	ok $? "s on a loaded pprof: the same sample types, period, labels, locations, lines and mappings ($(raw_head "$WORKDIR/live.raw" | wc -l) lines)" ||
		head -20 "$WORKDIR/diff" | sed 's/^/# /'
fi
done_testing
