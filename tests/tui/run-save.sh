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
done_testing
