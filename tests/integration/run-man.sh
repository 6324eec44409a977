#!/bin/bash
# SPDX-License-Identifier: MIT
# The man page renders without groff warnings and names every long option,
# short option and TUI key of the interface contract; once ctop-prof
# --help works, every long option it lists must be in the page too.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
export LC_ALL=C

page=$top_builddir/man/ctop-prof.1
[ -f "$page" ] || skip_all "$page not generated (run configure)"
command -v groff >/dev/null || skip_all "groff not installed"

# The contract (interface.md), copied: this test must not read it.
long_opts="--pid --frequency --delay --duration --output --format --load
--batch --iterations --mode --backend --unwind --stack-size --snapshot-dir
--debuginfod --ascii --no-color --verbose --log --help --version --children
--python --check --svg-icicle --snapshot-format --push --push-interval
--push-queue --app --tag --max-overhead --baseline --diff --fail-above
--source-path --all --debug-cache"
short_opts="-p -a -F -d -o -b -n -v -h -V"
values="cpu wall auto perf ptrace dwarf fp folded pprof speedscope svg"
sections=(NAME SYNOPSIS DESCRIPTION OPTIONS "INTERACTIVE COMMANDS" VIEWS
	"OUTPUT FORMATS" PERMISSIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES
	"SEE ALSO")
keys="t i f arrows h j k l PgUp PgDn Home End Enter Esc Backspace u / n N
1 2 3 4 5 < > T space r w b B s L ? q"

# Warnings (-ww) go to stderr; -z discards the output.
warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
[ -z "$warn" ]; ok $? "groff -man -ww renders without warnings" ||
	diag "$warn"
[ "$(grep -c '@[A-Z_]*@' "$page")" = 0 ]
ok $? "configure substituted every @VARIABLE@"

# Plain text of the page: no overstrike, no SGR, no hyphenation (a word
# split over two lines would not be found). ASCII hyphens are checked
# separately below.
text=$WORKDIR/page.txt
groff -man -Tascii -P-c -P-b -P-u -rLL=80n -rHY=0 "$page" >"$text" 2>/dev/null
ok $? "groff renders the page as text"
[ "$(awk 'length > 80' "$text" | wc -l)" = 0 ]
ok $? "no line wider than 80 columns" ||
	diag "$(awk 'length > 80' "$text" | head -3)"

# Options must be written \- in the source: a plain - may render as a
# hyphen (U+2010) that cannot be copied into a shell. (Debian's groff maps
# - to ASCII anyway, so the rendering cannot show it: look at the source.)
plain=$(grep -nE '(^|[ ("])--?[a-zA-Z]' "$page" | grep -v '^[0-9]*:\.\\"')
[ -z "$plain" ]; ok $? "options are written \\- in the source" ||
	diag "$plain"

utf8=$WORKDIR/page.utf8
LC_ALL=C.UTF-8 groff -man -Tutf8 -P-c -P-b -P-u -rHY=0 "$page" \
	>"$utf8" 2>/dev/null
missing=
for o in $long_opts; do
	grep -qF -e "$o" "$utf8" || missing="$missing $o"
done
[ -z "$missing" ]; ok $? "every long option" ||
	diag "missing:$missing"

missing=
for o in $short_opts; do
	grep -qE -- "(^|[ ,\[])$o([ ,=]|\$)" "$text" || missing="$missing $o"
done
[ -z "$missing" ]; ok $? "every short option" || diag "missing:$missing"

# Every option has its default or a value list next to it in OPTIONS.
opts=$(awk '/^OPTIONS/ {on = 1; next} /^[A-Z]/ {on = 0} on' "$text")
missing=
for d in 99 1.0 16384 4096 65528 10000 unlimited; do
	grep -qF -e "$d" <<<"$opts" || missing="$missing $d"
done
[ -z "$missing" ]; ok $? "defaults and ranges in OPTIONS" ||
	diag "missing:$missing"

missing=
for v in $values; do
	grep -qw -e "$v" <<<"$opts" || missing="$missing $v"
done
[ -z "$missing" ]; ok $? "option values in OPTIONS" || diag "missing:$missing"

missing=
for s in "${sections[@]}"; do
	grep -qx -e "$s" "$text" || missing="$missing '$s'"
done
[ -z "$missing" ]; ok $? "every section" || diag "missing:$missing"

# Keys are looked for in INTERACTIVE COMMANDS only, as whole words, so
# that a stray "t" elsewhere does not count.
cmds=$(awk '/^INTERACTIVE COMMANDS/ {on = 1; next} /^[A-Z]/ {on = 0} on' \
	"$text")
tokens=$(tr ' ,' '\n\n' <<<"$cmds" | sort -u)
missing=
set -f
for k in $keys; do
	grep -qxF -e "$k" <<<"$tokens" || missing="$missing $k"
done
set +f
[ -z "$missing" ]; ok $? "every key in INTERACTIVE COMMANDS" ||
	diag "missing:$missing"

# Exit codes and environment of the contract.
missing=
for w in 125 126 127 128+N NO_COLOR TERM LANG LC_ALL DEBUGINFOD_URLS \
	ctop-prof-PID-XXXXXX.out XDG_RUNTIME_DIR ptrace_scope perf_event_paranoid CAP_SYS_PTRACE \
	CTOP_PUSH_TOKEN CTOP_PUSH_USER CTOP_PUSH_PASSWORD CTOP_PUSH_TENANT \
	CAP_PERFMON SYS_PTRACE seccomp '[truncated]' '_[i]' '_[k]' '_[j]' \
	'+0x' 16 'perf(1)' 'eu-stack(1)' 'htop(1)' 'top(1)'; do
	grep -qF -e "$w" "$text" || missing="$missing $w"
done
[ -z "$missing" ]; ok $? "exit codes, environment, files, see also" ||
	diag "missing:$missing"

# man(1) itself formats it (what users run).
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$page" 2>"$WORKDIR/man.err" | head -1 |
		grep -q 'CTOP-PROF(1)'
	ok $? "man -l shows the page" || diag "$(cat "$WORKDIR/man.err")"
else
	skip "man -l shows the page" "man not installed"
fi

# Both directions: what --help lists must be documented. Skipped until
# the command line parser answers --help.
if help=$("$CTOP" --help 2>/dev/null) && [ -n "$help" ]; then
	missing=
	for o in $(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u); do
		grep -qF -e "$o" "$utf8" || missing="$missing $o"
	done
	[ -z "$missing" ]; ok $? "every option of --help is in the page" ||
		diag "missing:$missing"
else
	skip "every option of --help is in the page" \
		"ctop-prof --help does not work yet"
fi

done_testing
