#!/bin/bash
# SPDX-License-Identifier: MIT
# Names chosen to attack the terminal never reach it raw. termesc renames
# itself ESC ] 2 ; pwned BEL ESC [ 2 J (set the title, clear the screen)
# and spins in a function whose ELF symbol holds the same sequence; a
# --load file holds it in frames, C1 CSI and a raw 0x9b byte. Batch
# tables, the recording summary, -v and --log diagnostics and error lines
# must hold no control byte (nor 0x9b), and show the escaped form (-v and
# --log lines are checked in tests/unit/test-termsafe.c); UTF-8
# names stay as they are in a UTF-8 locale; the folded file has '_'.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"

seq=$'\e]2;pwned\a\e[2J'
esc='\x1b]2;pwned\x07\x1b[2J'
folded_seq='_]2_pwned__[2J'

# raw FILE: how many bytes of FILE are a control (but tab and newline),
# DEL or 0x9b (CSI for an 8-bit terminal).
raw() { LC_ALL=C tr -dc '\000-\010\013-\037\177\233' <"$1" | wc -c; }
# has FILE TEXT: FILE holds TEXT literally (no regex).
has() { grep -qF -- "$2" "$1"; }

# Batch tables, launching the target (it keeps our stdout: its "ready"
# line is in the tables too).
"$CTOP" -b -n 2 -d 0.5 -- "$TARGETS/termesc" >"$WORKDIR/tables" \
	2>"$WORKDIR/err"
rc=$?
[ "$rc" = 143 ] || [ "$rc" = 137 ]
ok $? "batch run on termesc ends it after 2 tables (status $rc)"
n=$(raw "$WORKDIR/tables")
[ "$n" = 0 ] && [ "$(raw "$WORKDIR/err")" = 0 ]
ok $? "batch tables and stderr: no raw control byte ($n in the tables)"
has "$WORKDIR/tables" "($esc)"
ok $? "the header names the process escaped: ($esc)"
grep -qE "^ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+  evil\\\\x1b\]2;pwned\\\\x07\\\\x1b\[2J +termesc" \
	"$WORKDIR/tables"
ok $? "the symbol's row: evil$esc, padded to the MODULE column" ||
	sed -n 1,8p "$WORKDIR/tables" | cat -v | sed 's/^/# /'

# A recording with -v, written to a path that holds the sequence too.
out="$WORKDIR/rec$seq.folded"
"$CTOP" -v --duration 1 -o "$out" -- "$TARGETS/termesc" \
	>"$WORKDIR/rec.out" 2>"$WORKDIR/rec.err"
rc=$?
summary=$(grep -a ' backend: ' "$WORKDIR/rec.err")
[ -n "$summary" ] && [ -s "$out" ]
ok $? "recording: status $rc, a summary line, the file written"
n=$(raw "$WORKDIR/rec.err")
[ "$n" = 0 ]
ok $? "summary and -v lines: no raw control byte ($n)" ||
	cat -v "$WORKDIR/rec.err" | head -5 | sed 's/^/# /'
has "$WORKDIR/rec.err" "wrote $WORKDIR/rec$esc.folded"
ok $? "the summary names the output escaped"
[ "$(raw "$out")" = 0 ] && has "$out" "$folded_seq;" &&
	has "$out" ";evil$folded_seq "
ok $? "the folded file: process and symbol names with '_' for controls"

# --load: frames (';' splits them: clear, home, bell, C1 CSI as UTF-8
# and as a raw byte), the file's name, and errors that quote it. The
# process name (the first frame) is not a row of the table (the PROCESS
# column names it, two processes being there: escaped too).
load="$WORKDIR/evil$seq.folded"
fseq=$'\e[2J\e[H\a' fesc='\x1b[2J\x1b[H\x07'
printf 'app%s;main;evil%s 5\napp;main;\xc2\x9bC1;\x9braw 2\n' "$fseq" \
	"$fseq" >"$load"
"$CTOP" -b --load "$load" >"$WORKDIR/load" 2>"$WORKDIR/load.err"
ok $? "--load of a file with escape sequences in its frames"
[ "$(raw "$WORKDIR/load")" = 0 ] && [ "$(raw "$WORKDIR/load.err")" = 0 ] &&
	has "$WORKDIR/load" "evil$fesc" && has "$WORKDIR/load" "app$fesc " &&
	! P="app$fesc" awk '$NF == ENVIRON["P"] { f = 1 } END { exit !f }' \
		"$WORKDIR/load" &&
	has "$WORKDIR/load" '\xc2\x9bC1' && has "$WORKDIR/load" '\x9braw' &&
	has "$WORKDIR/load" "file evil$esc.folded"
ok $? "its table and header: escaped, no raw control byte (C locale)" ||
	cat -v "$WORKDIR/load" | head -8 | sed 's/^/# /'
if LC_ALL=C.UTF-8 locale charmap 2>/dev/null | grep -q UTF-8; then
	printf 'app;main;caf\xc3\xa9;\xe9\x96\xa2\xe6\x95\xb0 3\napp;\xc2\x9bC1 1\n' \
		>"$WORKDIR/utf8.folded"
	LC_ALL=C.UTF-8 "$CTOP" -b --load "$WORKDIR/utf8.folded" \
		>"$WORKDIR/utf8" 2>&1
	has "$WORKDIR/utf8" $'caf\xc3\xa9' &&
		has "$WORKDIR/utf8" $'\xe9\x96\xa2\xe6\x95\xb0' &&
		has "$WORKDIR/utf8" '\u009bC1' && ! has "$WORKDIR/utf8" $'\xc2\x9b'
	ok $? "C.UTF-8: UTF-8 names as they are, C1 CSI as \\u009b"
else
	skip "C.UTF-8: UTF-8 names as they are" "no C.UTF-8 locale"
fi

printf 'app;main 1\nbad%s line\n' "$seq" >"$WORKDIR/bad$seq.folded"
"$CTOP" -b --load "$WORKDIR/bad$seq.folded" >/dev/null 2>"$WORKDIR/e1"
rc=$?
"$CTOP" -b --load "$WORKDIR/none$seq" >/dev/null 2>"$WORKDIR/e2"
rc2=$?
"$CTOP" -o "$WORKDIR/x.folded" -- "$WORKDIR/cmd$seq" >/dev/null 2>"$WORKDIR/e3"
rc3=$?
[ "$rc" = 1 ] && [ "$rc2" = 1 ] && [ "$rc3" = 127 ] &&
	[ "$(cat "$WORKDIR"/e[123] | wc -l)" = 3 ]
ok $? "three errors, one line each (status $rc, $rc2, $rc3)"
cat "$WORKDIR"/e[123] >"$WORKDIR/errs"
[ "$(raw "$WORKDIR/errs")" = 0 ] && has "$WORKDIR/e1" "bad$esc.folded:2:" &&
	has "$WORKDIR/e2" "none$esc" && has "$WORKDIR/e3" "cmd$esc"
ok $? "error lines: paths escaped, no raw control byte" ||
	cat -v "$WORKDIR/errs" | sed 's/^/# /'
done_testing
