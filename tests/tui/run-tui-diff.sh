#!/bin/bash
# SPDX-License-Identifier: MIT
# The diff in the TUI (issue 14), at 80x24 and 200x60, in 256 colours
# (UTF-8) and on a vt100 (LANG=C, no colours): --diff A B opens the table
# sorted by change with dSELF and dTOTAL, the legend leads the second
# status line, the icicle colours frames by change (red grew, blue shrank,
# grey same; a new frame marked *) or, without colours, marks them + - *
# in their edge; the selection line gives the change; B drops the
# baseline, b pins what is shown (then nothing changed), 5 sorts by
# change in a diff only; b on a live target.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tuilib.sh"
tui_need_load

# A: 1000 samples, log 40%, work 60%; B: 4000 samples under another
# process name, work 90%, fresh (new) 10%.
cat >"$WORKDIR/a.folded" <<'EOF'
old;main;loop;log 400
old;main;loop;work 600
EOF
cat >"$WORKDIR/b.folded" <<'EOF'
new;main;loop;work 3600
new;main;loop;fresh 400
EOF

# Column of the first box edge on line N, for the glyph of each mode.
edge_col() { col_of "$1" "$2"; }

for mode in color vt100; do
	for size in "80 24" "200 60"; do
		set -- $size
		w=$1 h=$2
		if [ $mode = color ]; then
			env=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)
			bar="▏"
		else
			env=(LANG=C LC_ALL=C TERM=vt100)
			bar="|"
		fi
		tag="$mode ${w}x$h"
		tui_start "$w" "$h" "${env[@]}" -- --diff a.folded b.folded
		wait_has dSELF || { show; ok 1 "$tag: the diff table shows"; continue; }
		if [ $mode = color ]; then
			line_has 2 "DIFF vs a.folded: red grew, blue shrank, grey same, * new"
		else
			line_has 2 "DIFF vs a.folded: + grew, - shrank, * new"
		fi
		ok $? "$tag: the legend leads the second status line" || show
		check "$tag: dSELF and dTOTAL titles" -- line_has 3 " SELF%  TOTAL%   dSELF  dTOTAL"
		# By change: log (-40, gone), work (+30), fresh (+10, new).
		check "$tag: log first, gone, -40.0" -- sh -c \
			"echo '$(line 4)' | grep -q '^   0.0     0.0   -40.0   -40.0 x    log'"
		check "$tag: then work, +30.0" -- sh -c \
			"echo '$(line 5)' | grep -q '^  90.0    90.0   +30.0   +30.0 +    work'"
		check "$tag: then fresh, new" -- sh -c \
			"echo '$(line 6)' | grep -q '^  10.0    10.0   +10.0   +10.0 \*    fresh'"
		if [ $mode = color ]; then
			a=$(attr_at 5 17)
			[[ $a == *g196 ]]; ok $? "$tag: work's +30.0 on deep red ($a)"
			a=$(attr_at 6 17)
			[[ $a == *g124 ]]; ok $? "$tag: fresh's +10.0 as new ($a)"
			a=$(attr_at 4 17)
			[[ $a == *g21 ]]; ok $? "$tag: log's row selected ($a)"
		fi
		keys Enter
		wait_line "$h" "no samples below that function"
		ok $? "$tag: Enter on a gone function says it has no samples" || show

		keys i
		wait_line 4 "${bar}all"; ok $? "$tag: i: the icicle" || show
		if [ $mode = color ]; then
			check "$tag: work drawn plain-edged" -- line_has 8 "▏work"
			a=$(attr_at 8 2)
			[[ $a == *g196 ]]; ok $? "$tag: work (+30 points) deep red ($a)"
			c=$(col_of 8 "*fresh")
			[ "$c" -gt 0 ]; ok $? "$tag: fresh marked * ($c)" || show
			a=$(attr_at 8 $((c + 2)))
			[[ $a == *g124 ]]; ok $? "$tag: fresh drawn as new ($a)"
			a=$(attr_at 7 2)
			[[ $a == *g250 ]]; ok $? "$tag: loop (same 100%) grey ($a)"
		else
			check "$tag: work marked + (grew)" -- line_has 8 "+work"
			check "$tag: fresh marked *" -- line_has 8 "*fresh"
			check "$tag: loop unchanged: a plain edge" -- line_has 7 "|loop"
		fi
		keys Down Down Down
		wait_line $((h - 1)) "loop  total 100.0% (4000)  change +0.0 pts (was 100.0%, gone below 40.0%) ~noise"
		ok $? "$tag: the selection line says what went from below loop" || show
		keys Down
		wait_line $((h - 1)) "work  total  90.0% (3600)  change +30.0 pts (was 60.0%)"
		ok $? "$tag: the selection line gives work's change" || show
		keys f
		wait_line $((h - 2)) "${bar}all"; ok $? "$tag: f: the flame" || show
		if [ $mode = color ]; then
			a=$(attr_at $((h - 6)) $(( $(col_of $((h - 6)) "*fresh") + 2 )))
			[[ $a == *g124 ]]; ok $? "$tag: flame: fresh drawn as new ($a)"
		else
			check "$tag: flame: fresh marked *" -- line_has $((h - 6)) "*fresh"
		fi

		keys B t
		# The count columns of a plain table from 160 columns.
		if [ "$w" -ge 160 ]; then
			wait_line 3 "SELF%  TOTAL%      SELF     TOTAL"
		else
			wait_line 3 "SELF%  TOTAL%  FUNCTION"
		fi
		ok $? "$tag: B drops the baseline: the plain table" || show
		! line_has 2 "DIFF vs"; ok $? "$tag: ... and the legend" || show
		keys 5
		wait_line "$h" "5 sorts by change in a diff"
		ok $? "$tag: 5 without a baseline says what it needs" || show
		keys b
		wait_line 2 "DIFF vs pinned"
		ok $? "$tag: b pins what is shown as the baseline" || show
		check "$tag: against itself, no change" -- sh -c \
			"echo '$(line 4)' | grep -q '^  90.0    90.0     0.0     0.0      work'"
		keys q
		wait_has "EXITED:0"; ok $? "$tag: q exits 0" || show
	done
done

# --no-color, and 8 colours (too few for shades): the marks too.
for how in no-color 8-colours; do
	if [ $how = no-color ]; then
		tui_start 80 24 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color -- --no-color --diff a.folded b.folded
	else
		tui_start 80 24 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm -- --diff a.folded b.folded
	fi
	wait_has dSELF || show
	check "$how: the marks' legend" -- line_has 2 "DIFF vs a.folded: + grew, - shrank, * new"
	keys i
	wait_line 8 "+work"; ok $? "$how: work marked +" || show
	check "$how: fresh marked *" -- line_has 8 "*fresh"
	if [ $how = 8-colours ]; then
		a=$(attr_at 8 2)
		[[ $a == *g1 ]]; ok $? "8 colours: work on red too ($a)"
	fi
	keys q
	wait_has "EXITED:0"
done

# s in a diff: the snapshot and the diff as two-count folded stacks
# (difffolded.pl's format), the before counts scaled to after's 4000.
tui_start 80 24 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color -- --diff a.folded b.folded
wait_has dSELF || show
keys s
wait_line 24 "and the diff"; ok $? "s: saved the snapshot and the diff" || show
df=$(ls "$WORKDIR"/ctop-prof-b-*-diff.folded 2>/dev/null | head -1)
[ -n "$df" ]; ok $? "the diff file is ctop-prof-b-TIME-diff.folded ($df)"
[ "$(sort "$df" 2>/dev/null)" = "$(printf '%s\n' 'new;main;loop;fresh 0 400' \
	'new;main;loop;log 1600 0' 'new;main;loop;work 2400 3600')" ]
ok $? "stack before after: work 600 -> 2400 scaled, log gone, fresh new" ||
	diag "$(cat "$df" 2>/dev/null)"
sn=$(ls "$WORKDIR"/ctop-prof-b-*.folded | grep -v -- -diff.folded | head -1)
[ "$(sort "$sn")" = "$(printf '%s\n' 'new;main;loop;fresh 400' 'new;main;loop;work 3600')" ]
ok $? "the snapshot is what is shown (b.folded)" || diag "$(cat "$sn")"
n_diffs() { [ "$(ls "$WORKDIR"/ctop-prof-b-*-diff*.folded | wc -l)" -ge "$1" ]; }
keys i Down Down Down Enter s
wait_for 10 n_diffs 2; ok $? "s zoomed into loop: the diff saved again" || show
df2=$(ls "$WORKDIR"/ctop-prof-b-*-diff*.folded | grep -vxF "$df" | head -1)
[ -n "$df2" ] && [ "$(sort "$df2")" = "$(sort "$df")" ]
ok $? "the zoomed diff (through loop, all of it) has the same stacks" ||
	diag "$df2: $(cat "$df2")"
keys q
wait_has "EXITED:0"

# Live: b pins the running profile; the table then shows changes against it.
DEMO=$top_builddir/ctop-demo
if [ -x "$DEMO" ] && ptrace_allowed; then
	tui_start 80 24 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color -- -- "$DEMO" --fixed
	wait_has update_moving_average || show
	keys b
	wait_line 2 "DIFF vs pinned"; ok $? "live: b pins the baseline" || show
	wait_line 3 "dSELF"; ok $? "live: the table gets the change columns" || show
	keys q
	wait_has "EXITED:"; ok $? "live: q ends the run" || show
else
	skip "b on a live target" "no demo or ptrace not permitted"
fi

done_testing
