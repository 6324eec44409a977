#!/bin/bash
# SPDX-License-Identifier: MIT
# The source view (L) on tests/targets/hotlines, whose work() spends about
# half its time in its own loop (SELF_LINE), a quarter in callee() called
# on CALL_LINE and a quarter in the inlined inl() called on INL_CALL_LINE
# (its loop on INL_LINE). The lines are found by their markers in the
# source. Its line table names hotlines.c relative to the compilation
# directory (DW_AT_comp_dir; ../tests/targets/hotlines.c from a build out
# of tree), and ctop-prof runs in $WORKDIR, which is not that directory
# (issue 14).
# Checked: the source found and shown there, the profile naming it by an
# absolute path without "..", the inlined call site in the same file, the
# per-line self and total figures (from the file `s` writes), the hottest
# line selected, --source-path remapping the root of the tree (a moved
# checkout), "source not found: PATH" with the table still there for a
# file that is not where --source-path says, an ESC in a source line shown
# escaped, Enter zooming the icicle into the call, Esc back; at 80x24 in
# colour and 200x60 with TERM=vt100 LANG=C.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tuilib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
T=$TARGETS/hotlines
SRC=$top_srcdir/tests/targets/hotlines.c
[ -x "$T" ] || skip_all "$T not built (make check builds it)"
lineno() { grep -n "/\* $1 \*/" "$SRC" | cut -d: -f1; }
SELF=$(lineno SELF_LINE)
CALL=$(lineno CALL_LINE)
INLC=$(lineno INL_CALL_LINE)
INL=$(lineno INL_LINE)

# samples N: waits until the status line counts at least N samples.
samples_at_least() {
	local n
	n=$(line 1 | sed -n 's/.*samples *\([0-9]*\).*/\1/p')
	[ -n "$n" ] && [ "$n" -ge "$1" ]
}

# select_fn NAME: the table row of function NAME (a search for ^NAME$).
select_fn() {
	keys / "^$1\$" Enter
	sleep 0.3
}

# field FILE LINE COL: column COL (2 self, 3 total) of source line LINE in
# a saved annotation.
field() { awk -v l="$2" -v c="$3" '$1 == l { print $c }' "$1"; }

# A folded file has no lines: L says so and stays on the table.
tui_start 80 24 LANG=C TERM=vt100 -- --load "$FIXTURE"
wait_has "samples"
keys L
wait_has "no line information for that function"
ok $? "folded file: L says there is no line information" || show
keys q
wait_has "EXITED:"

mkdir -p "$WORKDIR/snap"
tui_start 80 24 LANG=C.UTF-8 TERM=xterm-256color -- --delay 0.5 \
	--snapshot-dir "$WORKDIR/snap" -- "$T"
wait_for 30 samples_at_least 300
ok $? "80x24: 300 samples of hotlines" || show
# Paused: every figure below comes from one view.
keys space
sleep 1
# The count columns (c: from 160 columns by default).
keys c
wait_line 3 "SELF%  TOTAL%      SELF     TOTAL"
ok $? "80x24: c shows the count columns" || show
tbl() { screen | awk -v f="$1" -v c="$2" '$5 == f { print $c; exit }'; }
w_tot=$(tbl work 4); c_fn=$(tbl callee 4); n_fn=$(tbl inl 4); n_fs=$(tbl inl 3)
diag "table: work total $w_tot, callee total $c_fn, inl total $n_fn self $n_fs"
select_fn work
keys L
wait_has "source of work: /"
ok $? "80x24: L opens work's lines at an absolute path" || show
! has "source not found"
ok $? "80x24: the source is found from $WORKDIR, not the build directory" ||
	show
screen | grep -q "^ *$SELF .*for (unsigned long i = 0; i < 2" &&
	screen | grep -q "^ *$CALL .*callee(N); /\* CALL_LINE \*/"
ok $? "80x24: SELF_LINE and CALL_LINE shown with their text" || show
row_of() { screen | grep -n "^ *$1 " | head -1 | cut -d: -f1; }
[ "$(attr_at "$(row_of "$SELF")" 2)" != "$(attr_at "$(row_of "$CALL")" 2)" ]
ok $? "the hottest line ($SELF) is selected (drawn unlike line $CALL)" ||
	show
keys s
wait_has "saved "
ok $? "s saves the annotated lines" || show
f=$(ls "$WORKDIR"/snap/ctop-prof-*-lines-*.txt 2>/dev/null | head -1)
[ -f "$f" ]; ok $? "the annotation file exists ($f)"
# The file as the profile names it (the title shows where it was read).
path=$(sed -n '1{s/^# ctop-prof source lines of work in //
	s/ (source not found)$//;p;}' "$f")
case $path in /*/../* | */./*) false ;; /*) [ "$path" -ef "$SRC" ] ;;
*) false ;; esac
ok $? "the profile names $SRC absolutely, without .. ($path)"
# Named from the inline's DW_AT_call_file, not the line table: the same
# string, or the row would read "(in FILE)" instead of the text.
grep -q "^ *$INLC .*inl(N); /\* INL_CALL_LINE" "$f" && ! grep -q "(in " "$f"
ok $? "the inlined call site (line $INLC) is in the same file, with its text"
s_self=$(field "$f" "$SELF" 2); s_tot=$(field "$f" "$SELF" 3)
c_self=$(field "$f" "$CALL" 2); c_tot=$(field "$f" "$CALL" 3)
i_self=$(field "$f" "$INLC" 2); i_tot=$(field "$f" "$INLC" 3)
sum=$((s_tot + c_tot + i_tot))
diag "work: line $SELF self $s_self total $s_tot, line $CALL self $c_self" \
	"total $c_tot, line $INLC self $i_self total $i_tot (of $sum)"
# near A B: within 2% or two samples, whichever is more (a sample or
# two whose pc the unwinder names otherwise, as the prologue of a call:
# 49 against 48 once, 2% of 48 being less than one sample).
near() {
	local d=$(($1 - $2))
	[ "$d" -lt 0 ] && d=$((-d))
	[ "$d" -le 2 ] || [ $((d * 50)) -le "$2" ]
}
near "$sum" "$w_tot"
ok $? "the lines of work add up to work's total in the table ($sum, $w_tot)"
near "$c_tot" "$c_fn"
ok $? "CALL_LINE's total is callee's total in the table ($c_tot, $c_fn)"
near "$i_tot" "$n_fn"
ok $? "INL_CALL_LINE's total is inl's total in the table ($i_tot, $n_fn)"
# Truth: 50% / 25% / 25% by iterations; the loops differ a little in
# cost per iteration, so a wide band, still far from any other split.
in_band() { [ $(($1 * 100)) -ge $(($2 * sum)) ] && [ $(($1 * 100)) -le $(($3 * sum)) ]; }
in_band "$s_self" 40 72; ok $? "SELF_LINE: self $s_self is 40-72% of $sum"
[ "$s_tot" -le $((s_self + s_self / 50 + 2)) ]
ok $? "SELF_LINE: total $s_tot is about its self (it calls nothing)"
# A call line's own code (the argument, the call) runs once per call of
# N iterations: at most the same sample or two as above, once 1 of 49.
[ "$c_self" -le 2 ] && in_band "$c_tot" 8 38
ok $? "CALL_LINE: self $c_self (at most 2), total $c_tot is 8-38% (time in callee)"
[ "$i_self" -le 2 ] && in_band "$i_tot" 8 38
ok $? "INL_CALL_LINE: self $i_self (at most 2: inlined code counts in inl), total $i_tot is 8-38%"
keys Escape
sleep 0.5
sleep 0.3
select_fn inl
keys L
wait_has "source of inl"
keys s
wait_for 10 sh -c "[ \$(ls '$WORKDIR'/snap/*-lines-*.txt | wc -l) -ge 2 ]"
g=$(ls -t "$WORKDIR"/snap/ctop-prof-*-lines-*.txt | head -1)
n_self=$(field "$g" "$INL" 2)
diag "inl: line $INL self $n_self"
[ -n "$n_self" ] && near "$n_self" "$n_fs"
ok $? "INL_LINE: the inlined loop's own line holds inl's self ($n_self, $n_fs)"
keys Escape
sleep 0.5
select_fn work
keys L
wait_has "source of work"
for _ in $(seq $((CALL - SELF))); do keys Down; done
keys Enter
wait_line 3 "work › callee"
ok $? "Enter on CALL_LINE: the icicle of work zoomed into callee" || show
keys Escape
sleep 0.5
wait_has "▏inl"
ok $? "Esc: zoomed out to work's callees" || show
keys q
wait_has "EXITED:"

# The source, copied with an ESC on SELF_LINE into a tree moved as a
# whole, found through --source-path OLD=NEW on the tree's root (the
# joined path's prefix), in ASCII and without colour.
root=${path%/tests/targets/hotlines.c}
mkdir -p "$WORKDIR/moved/tests/targets"
sed "${SELF}s|SELF_LINE|SELF_LINE $(printf '\033')[2J|" "$SRC" \
	>"$WORKDIR/moved/tests/targets/hotlines.c"
tui_start 200 60 LANG=C TERM=vt100 -- --delay 0.5 \
	--source-path "$root=$WORKDIR/moved" -- "$T"
wait_for 30 samples_at_least 100
select_fn work
keys L
wait_has "source of work: $WORKDIR/moved/tests/targets/hotlines.c"
ok $? "200x60 vt100: --source-path $root=... is read" || show
has 'SELF_LINE \x1b[2J */'
ok $? "an ESC in the source shows as \\x1b" || show
! screen | grep -q "source not found"
ok $? "no 'source not found' once remapped"
screen | grep -q "^ *$CALL .*callee(N); /\* CALL_LINE"
ok $? "CALL_LINE shown with its text" || show
keys Escape
sleep 0.5
keys q
wait_has "EXITED:"

# A file that is not there (--source-path to an empty directory): the
# title names where it was looked for, and the per-line table stays.
mkdir -p "$WORKDIR/gone"
tui_start 200 24 LANG=C.UTF-8 TERM=xterm-256color -- --delay 0.5 \
	--source-path "$root=$WORKDIR/gone" -- "$T"
wait_for 30 samples_at_least 100
select_fn work
keys L
wait_has "source not found: $WORKDIR/gone/tests/targets/hotlines.c"
ok $? "200x24: source not found: $WORKDIR/gone/tests/targets/hotlines.c" ||
	show
has "$(printf '%6s' "$SELF")" && ! has "callee(N);"
ok $? "the per-line table is shown without the source (line $SELF)" || show
keys q
wait_has "EXITED:"

# Python: a function's lines are its code object's (the executing line of
# each frame), in its own file.
PY=$top_srcdir/tests/targets/py_lines.py
pyline() { grep -n "# $1\$" "$PY" | cut -d: -f1; }
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
then
	tui_start 120 30 LANG=C.UTF-8 TERM=xterm-256color -- --delay 0.5 \
		-- python3 "$PY"
	wait_for 30 samples_at_least 200
	keys space
	sleep 1
	keys / '^work [(]' Enter
	sleep 0.3
	keys L
	wait_has "source of work"
	ok $? "python: L on work opens its lines" || show
	ps=$(pyline SELF_LINE); pc=$(pyline CALL_LINE)
	pt() { screen | awk -v l="$1" '$1 == l { print $3; exit }'; }
	s_t=$(pt "$ps"); c_t=$(pt "$pc")
	diag "python work: line $ps total $s_t, line $pc total $c_t"
	[ -n "$s_t" ] && [ -n "$c_t" ] && [ "$c_t" -gt 0 ] && [ "$s_t" -gt "$c_t" ]
	ok $? "python: SELF_LINE ($s_t) is hotter than CALL_LINE ($c_t), both sampled" || show
	screen | grep -q "^ *$ps .*# SELF_LINE"
	ok $? "python: the text of $PY is shown" || show
	keys q
	wait_has "EXITED:"
else
	skip "python: the source lines of a Python function" \
		"no python3 3.11+ here"
fi
done_testing
