#!/bin/bash
# SPDX-License-Identifier: MIT
# The docs name exactly the keys of the TUI's key table: the tags of the
# man page's INTERACTIVE COMMANDS (their bold words) and the keys section
# of --help. The table's keys come from the table itself (keymap-names,
# built from src/ui), so a key added to the table and not to the docs, or
# documented and not in the table, fails here.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
export LC_ALL=C

names=$top_builddir/tests/tui/keymap-names
page=$top_builddir/man/ctop-prof.1
[ -x "$names" ] || skip_all "$names not built (make check builds it)"
[ -f "$page" ] || skip_all "$page not generated (run configure)"
command -v groff >/dev/null || skip_all "groff not installed"

# differ WHAT A B: A and B are files of names, one per line; fails and
# names both sides' extra keys when they differ.
differ() {
	local extra_a extra_b
	extra_a=$(comm -23 "$2" "$3" | tr '\n' ' ')
	extra_b=$(comm -13 "$2" "$3" | tr '\n' ' ')
	[ -z "$extra_a$extra_b" ] && return 0
	diag "$1: in the key table only: ${extra_a:-none};" \
		"in the docs only: ${extra_b:-none}"
	return 1
}

"$names" >"$WORKDIR/names" 2>"$WORKDIR/names.err"
ok $? "keymap-names names every key of the table" ||
	diag "$(cat "$WORKDIR/names.err")"
sort -u "$WORKDIR/names" >"$WORKDIR/table"
n=$(wc -l <"$WORKDIR/table")
[ "$n" -ge 30 ]; ok $? "the table has $n key names (at least 30)" ||
	diag "$(cat "$WORKDIR/table")"

# The tags of INTERACTIVE COMMANDS are the lines after .TP (joined when
# they end in a backslash). Each is rendered alone with overstrike kept,
# so bold letters show as "c BS c" and italic ones as "_ BS c"; keys are
# set in bold, placeholders (/ text Enter) in italic, commas in roman.
man_tags() {
	{
		echo '.TH KEYS 1'
		awk '/^\.SH/ { on = ($0 ~ /^\.SH "?INTERACTIVE COMMANDS/); next }
		on && /^\.TP/ { tag = 1; line = ""; next }
		on && tag {
			if (sub(/\\$/, "")) { line = line $0; next }
			print ".PP"; print line $0; tag = 0
		}' "$page"
	} | groff -man -Tascii -P-c -rHY=0 2>/dev/null
}
# Keeps the bold letters, a blank for every other one; one word a line.
bold_words() {
	awk '{
		out = ""
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (substr($0, i + 1, 1) != "\b") {
				out = out " "
				continue
			}
			d = substr($0, i + 2, 1)
			out = out (c == d ? d : " ")
			i += 2
		}
		print out
	}' | tr -s ' ' '\n' | grep -v '^$'
}
man_tags >"$WORKDIR/tags.txt"
[ -s "$WORKDIR/tags.txt" ]; ok $? "the man page has INTERACTIVE COMMANDS tags"
bold_words <"$WORKDIR/tags.txt" | sort -u >"$WORKDIR/man"
differ "man page" "$WORKDIR/table" "$WORKDIR/man"
ok $? "the man page's key tags name the table's keys"

# --help: the lines after "Keys of the live view" up to a blank line.
help=$("$CTOP" --help 2>&1)
ok $? "ctop-prof --help runs"
awk '/^Keys of the live view/ { on = 1; next } /^$/ { on = 0 } on' \
	<<<"$help" | tr -s ' ' '\n' | grep -v '^$' | sort -u >"$WORKDIR/help"
differ "--help" "$WORKDIR/table" "$WORKDIR/help"
ok $? "the keys section of --help names the table's keys"

# The check itself: a key the docs lack and one they add are both seen.
{ cat "$WORKDIR/table"; echo Insert; } | sort -u >"$WORKDIR/table+"
! differ "self-check" "$WORKDIR/table+" "$WORKDIR/man" >/dev/null
ok $? "a key missing from the docs is caught"
grep -vx q "$WORKDIR/table" >"$WORKDIR/table-"
! differ "self-check" "$WORKDIR/table-" "$WORKDIR/help" >/dev/null
ok $? "a documented key missing from the table is caught"

done_testing
