#!/bin/bash
# SPDX-License-Identifier: MIT
# --debug-cache: a target whose debug file is zlib-compressed (as Debian's
# -dbg and -dbgsym files are) leaves a decompressed copy, named by its
# build id, in the user's cache ($XDG_CACHE_HOME/ctop-prof/debug, else
# ~/.cache/ctop-prof/debug, or the directory given); the next run reads
# the copy in the original's place; "off" keeps none. Its frames are
# named with their source line every time. The kernel image's symbol
# table is kept there too, by the kernel's build id: the next run reads
# the first lines of /proc/kallsyms, not all of it. (Refused
# directories, planted links: test-symbols, test-kallsyms.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
export LC_ALL=C

target=$TARGETS/chain-zstripped
original=$TARGETS/.debug/chain-zstripped.debug
[ -x "$target" ] && [ -f "$original" ] || skip_all "build $target first"
command -v readelf >/dev/null || skip_all "needs readelf (binutils)"
id=$(readelf -n "$target" | awk '/Build ID:/ { print $3 }')
[ -n "$id" ] || skip_all "$target has no build id"

# run NAME [OPTION...]: a second of the target in batch mode; its table
# in WORKDIR/NAME.out, the files it opened (strace, when there) in
# WORKDIR/NAME.opens.
run() {
	local name=$1; shift
	local trace=()
	command -v strace >/dev/null &&
		trace=(strace -f -qq -e trace=open,openat -o "$WORKDIR/$name.opens")
	ASAN_OPTIONS=detect_leaks=0 timeout 60 "${trace[@]}" "$CTOP" "$@" \
		-b -n 1 -d 1 -- "$target" >"$WORKDIR/$name.out" 2>"$WORKDIR/$name.err"
}
# spin with its line in run NAME's table.
named() { grep -qE '^ .* spin +chain-zstripped +chain\.c:[0-9]+' "$WORKDIR/$1.out"; }
compressed() { readelf -S -W -t "$1" 2>/dev/null | grep -c COMPRESSED; }
# Whether run NAME opened a file whose path ends in END (the copy is
# opened in its directory, the original through /proc/PID/root).
opened() { [ -f "$WORKDIR/$1.opens" ] && grep -qE "[\"/]$2\", O_RDONLY.*= [0-9]" "$WORKDIR/$1.opens"; }

[ "$(compressed "$original")" -gt 0 ]
ok $? "the target's debug file is compressed ($(compressed "$original") sections)"

# 1. The default place, XDG_CACHE_HOME first.
xdg=$WORKDIR/xdg
copy=$xdg/ctop-prof/debug/$id.debug
XDG_CACHE_HOME=$xdg HOME=$WORKDIR/home run first
rc=$?
named first && [ -f "$copy" ] && [ ! -L "$copy" ] && [ "$(compressed "$copy")" = 0 ] &&
	[ "$(stat -c %a "$copy")" = 600 ] && [ "$(stat -c %a "$xdg/ctop-prof/debug")" = 700 ]
ok $? "first run (exit $rc): spin named with its line; a decompressed copy, mode $(stat -c %a "$copy" 2>/dev/null), in \$XDG_CACHE_HOME/ctop-prof/debug" ||
	diag "$(cat "$WORKDIR/first.err")"
[ ! -e "$WORKDIR/home" ]
ok $? "nothing made under HOME when XDG_CACHE_HOME is set"
XDG_CACHE_HOME=$xdg HOME=$WORKDIR/home run second
rc=$?
if [ -f "$WORKDIR/second.opens" ]; then
	named second && opened second "$id\.debug" &&
		! opened second "\.debug/chain-zstripped\.debug"
	ok $? "second run (exit $rc): spin named with its line from the copy; the compressed file not opened"
else
	named second
	ok $? "second run (exit $rc): spin named with its line (no strace: what it opened not checked)"
fi

# 2. Without XDG_CACHE_HOME: HOME's .cache.
(unset XDG_CACHE_HOME; HOME=$WORKDIR/home run home)
named home && [ -f "$WORKDIR/home/.cache/ctop-prof/debug/$id.debug" ]
ok $? "without XDG_CACHE_HOME: the copy in HOME/.cache/ctop-prof/debug"

# 3. A directory given, relative to the working directory; and off.
(cd "$WORKDIR" && XDG_CACHE_HOME=$WORKDIR/unused run given --debug-cache mine/dbg)
named given && [ -f "$WORKDIR/mine/dbg/$id.debug" ] && [ ! -e "$WORKDIR/unused" ]
ok $? "--debug-cache DIR (relative): the copy in DIR, nothing in the default place"
XDG_CACHE_HOME=$WORKDIR/off run off --debug-cache off
named off && [ ! -e "$WORKDIR/off" ]
ok $? "--debug-cache off: spin named with its line, no copy made"
if [ -f "$WORKDIR/off.opens" ]; then
	opened off "\.debug/chain-zstripped\.debug" && ! opened off "$id\.debug"
	ok $? "--debug-cache off: the compressed file read as it is"
fi
# 4. The kernel's table: dd's read and write paths, named by a run that
# reads /proc/kallsyms whole and keeps the image's part, then by one that
# reads the kept table (strace counts the reads of /proc/kallsyms).
# kernel_run NAME: a second of dd at 499 Hz, the cache in WORKDIR/kx.
kernel_run() {
	ASAN_OPTIONS=detect_leaks=0 XDG_CACHE_HOME=$WORKDIR/kx timeout 60 \
		strace -f -qq -y -e trace=read -o "$WORKDIR/$1.reads" \
		"$CTOP" --backend perf -F 499 --duration 1 -p "$dd" \
		-o "$WORKDIR/$1.folded" 2>"$WORKDIR/$1.err"
}
kallsyms_reads() { grep -c '</proc/kallsyms>' "$WORKDIR/$1.reads"; }
kernel_named() { grep -qE ';(ksys|vfs)_(read|write)_\[k\]' "$WORKDIR/$1.folded"; }
if ! command -v strace >/dev/null; then
	skip "the kernel's table kept" "needs strace"
elif [ "$(id -u)" != 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 1 ]; then
	skip "the kernel's table kept" "kernel frames not visible (perf_event_paranoid >= 2, not root)"
elif [ "$(head -c 16 /proc/kallsyms)" = 0000000000000000 ]; then
	skip "the kernel's table kept" "/proc/kallsyms shows no addresses"
else
	dd if=/dev/zero of=/dev/null bs=1k count=100000000 2>/dev/null &
	dd=$!
	kernel_run kcold
	kernel_run kwarm
	kill "$dd"
	wait "$dd" 2>/dev/null
	kept=$(ls "$WORKDIR/kx/ctop-prof/debug/" 2>/dev/null | grep -E '^[0-9a-f]{40,128}\.kallsyms$')
	kernel_named kcold && [ "$(kallsyms_reads kcold)" -ge 100 ] && [ -n "$kept" ] &&
		[ "$(stat -c %a "$WORKDIR/kx/ctop-prof/debug/$kept")" = 600 ]
	ok $? "kernel, first run: read and write paths named, /proc/kallsyms read whole ($(kallsyms_reads kcold) reads), the image's table kept as ${kept:-nothing} (mode $(stat -c %a "$WORKDIR/kx/ctop-prof/debug/$kept" 2>/dev/null))" ||
		diag "$(cat "$WORKDIR/kcold.err")"
	kernel_named kwarm && [ "$(kallsyms_reads kwarm)" -le 8 ]
	ok $? "kernel, next run: the same paths named from the kept table, $(kallsyms_reads kwarm) reads of /proc/kallsyms (want <= 8)" ||
		diag "$(cat "$WORKDIR/kwarm.err")"
fi

"$CTOP" --debug-cache '' -p 1 >/dev/null 2>"$WORKDIR/empty.err"
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$WORKDIR/empty.err")" = 1 ]
ok $? "--debug-cache '': usage error, exit $rc: $(cat "$WORKDIR/empty.err")"
done_testing
