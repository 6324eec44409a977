#!/bin/bash
# SPDX-License-Identifier: MIT
# --output never harms what it writes over (interface.md, "Files and
# formats"): a device, FIFO or socket is written through, a symlink's
# target is written (not another user's link in a sticky directory), a
# private file stays private, a 255-byte name works, a full disk leaves the
# old file, "-" is stdout, a directory is exit 2; --checkpoint leaves a
# valid profile behind a kill -9. Every node is made here, in WORKDIR.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
[ "$(id -u)" = 0 ] || skip_all "needs root (mknod, chown, mount)"

# It lives past the test (600 s, not 120: 32 s alone, 175 s beside 64
# busy threads, and "target healthy at the end" must not find it ended
# by its own clock) and is killed at the end (cleanup_pid).
"$TARGETS/ratio" --seconds 600 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
sleep 0.3
D=$WORKDIR
# rec FILE [ARGS...]: a 1 s recording of the target into FILE.
rec() {
	local f=$1; shift
	timeout 30 "$CTOP" -p "$t" --duration 1 -o "$f" "$@" 2>"$D/err"
}
# A folded file: every line "frames count", at least one sample.
valid_folded() {
	[ -s "$1" ] && ! grep -qvE '^[^ ].* [0-9]+$' "$1" &&
		[ "$(folded_total "$1")" -gt 0 ]
}
no_temp() { ! ls -A "$1" | grep -q '^\.ctop'; }

# A private file with a second hard link: contents replaced, mode, owner
# and group kept; the other link keeps the old contents (rename).
echo old >"$D/priv"
chmod 600 "$D/priv"
chown 65534:65534 "$D/priv"
ln "$D/priv" "$D/priv.link"
rec "$D/priv"
ok $? "a 0600 file: exit 0"
check "its contents are the profile" -- valid_folded "$D/priv"
m=$(stat -c '%a %u %g' "$D/priv")
[ "$m" = "600 65534 65534" ]; ok $? "mode and owner kept: $m (want 600 65534 65534)"
[ "$(cat "$D/priv.link")" = old ]
ok $? "the other hard link keeps the old contents (documented)"
check "no temporary file left" -- no_temp "$D"

# An access ACL (user 65534 may read) survives the replacement.
acl_hex() { python3 -c 'import os, sys
print(os.getxattr(sys.argv[1], "system.posix_acl_access").hex())' "$1" 2>/dev/null; }
echo old >"$D/acl"
chmod 600 "$D/acl"
if command -v python3 >/dev/null && python3 -c '
import os, struct, sys
e = [(1, 6, 0xffffffff), (2, 4, 65534), (4, 0, 0xffffffff),
     (0x10, 4, 0xffffffff), (0x20, 0, 0xffffffff)]
os.setxattr(sys.argv[1], "system.posix_acl_access", struct.pack("<I", 2) +
            b"".join(struct.pack("<HHI", *x) for x in e))' "$D/acl" 2>/dev/null
then
	a0=$(acl_hex "$D/acl")
	rec "$D/acl"
	ok $? "a file with an ACL: exit 0"
	check "its contents are the profile" -- valid_folded "$D/acl"
	[ -n "$a0" ] && [ "$(acl_hex "$D/acl")" = "$a0" ]
	ok $? "its ACL is kept (user 65534 may read)"
else
	skip "a file with an ACL" "no python3 or no ACL support here"
fi

# A new file: 0644 minus the umask.
(umask 027; rec "$D/new.folded")
ok $? "a new file: exit 0"
m=$(stat -c %a "$D/new.folded")
[ "$m" = 640 ]; ok $? "a new file is 0644 minus the umask 027: $m"

# A character device of our own (/dev/null's numbers): written through.
if mknod "$D/null" c 1 3 2>/dev/null; then
	rec "$D/null"
	ok $? "a character device: exit 0"
	[ -c "$D/null" ] && [ "$(stat -c '%t,%T' "$D/null")" = 1,3 ]
	ok $? "the device node is still there, still 1,3"
else
	skip "a character device" "mknod failed here"
	skip "the device node is still there" "mknod failed here"
fi

# A FIFO with a reader gets the profile; the node stays a FIFO.
mkfifo "$D/fifo"
cat "$D/fifo" >"$D/fifo.got" &
r=$!
rec "$D/fifo"
ok $? "a FIFO with a reader: exit 0"
wait_for 5 test ! -d "/proc/$r"
ok $? "the reader got EOF and ended"
check "the reader got the profile" -- valid_folded "$D/fifo.got"
check "the FIFO is still a FIFO" -- test -p "$D/fifo"
# Without a reader: refused after a bounded wait, never a hang.
s0=$(now_ms)
rec "$D/fifo"
rc=$?
el=$(( $(now_ms) - s0 ))
[ "$rc" = 1 ] && [ "$el" -lt 20000 ] && grep -q 'no process reads' "$D/err"
ok $? "a FIFO without a reader: exit $rc after $el ms: $(cat "$D/err" | head -1)"

# A listening stream socket gets the profile.
if command -v python3 >/dev/null; then
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[1] + ".ready", "w").close()
c, _ = s.accept()
with open(sys.argv[2], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
' "$D/sock" "$D/sock.got" &
	r=$!
	cleanup_pid "$r"
	wait_for 5 test -e "$D/sock.ready"
	rec "$D/sock"
	ok $? "a socket: exit 0"
	wait_for 5 test ! -d "/proc/$r"
	check "the listener got the profile" -- valid_folded "$D/sock.got"
	check "the socket is still a socket" -- test -S "$D/sock"
else
	skip "a socket" "no python3 to listen"
fi

# A symlink: the link stays, its target gets the profile.
echo old >"$D/target"
chmod 640 "$D/target"
ln -s target "$D/link"
rec "$D/link"
ok $? "a symlink: exit 0"
check "the link is still a link to target" -- \
	test "$(readlink "$D/link")" = target
check "its target holds the profile" -- valid_folded "$D/target"
[ "$(stat -c %a "$D/target")" = 640 ]; ok $? "the target keeps its mode"
# A dangling link: its target is created.
ln -s made "$D/dangling"
rec "$D/dangling"
ok $? "a dangling symlink: exit 0"
check "the target was created" -- valid_folded "$D/made"
check "the dangling link is still a link" -- test -L "$D/dangling"

# A loop of links: refused before sampling, both links left alone.
ln -s loopb "$D/loopa"
ln -s loopa "$D/loopb"
rec "$D/loopa"
rc=$?
[ "$rc" = 1 ] && grep -q 'Too many levels' "$D/err" && [ -L "$D/loopa" ] &&
	[ -L "$D/loopb" ]
ok $? "a loop of symlinks: exit $rc: $(head -c 120 "$D/err")"

# Another user's link in a sticky world-writable directory: refused,
# the file it points to untouched (protected_symlinks).
mkdir "$D/sticky"
chmod 1777 "$D/sticky"
echo secret >"$D/victim"
ln -s ../victim "$D/sticky/planted"
chown -h 65534 "$D/sticky/planted"
rec "$D/sticky/planted"
rc=$?
[ "$rc" = 1 ] && grep -q 'protected_symlinks' "$D/err" && [ "$(wc -l <"$D/err")" = 1 ]
ok $? "a planted link in a sticky dir: exit $rc, one line: $(head -c 160 "$D/err")"
[ "$(cat "$D/victim")" = secret ]; ok $? "the file it points to is untouched"
check "the planted link is left alone" -- test -L "$D/sticky/planted"
# Another user's file there cannot be replaced by a plain user: said
# before sampling, not after.
echo theirs >"$D/sticky/theirs"
chown 65534 "$D/sticky/theirs"
if command -v setpriv >/dev/null && chmod 755 "$D"; then
	s0=$(now_ms)
	setpriv --reuid 1 --regid 1 --clear-groups "$CTOP" --duration 5 \
		-o "$D/sticky/theirs" -- true 2>"$D/err"
	rc=$?
	el=$(( $(now_ms) - s0 ))
	[ "$rc" = 125 ] && grep -q 'sticky directory' "$D/err"
	ok $? "another user's file in a sticky dir: exit $rc in $el ms: $(head -c 140 "$D/err")"
	[ "$(cat "$D/sticky/theirs")" = theirs ]; ok $? "their file is untouched"
else
	skip "another user's file in a sticky dir" "no setpriv"
fi
# Our own link there is followed.
ln -s ../mine "$D/sticky/own"
rec "$D/sticky/own"
ok $? "our own link in the sticky dir is followed"
check "its target holds the profile" -- valid_folded "$D/mine"

# The longest valid name (255 bytes): the temporary name is short.
long=$(printf 'n%.0s' $(seq 255))
rec "$D/$long"
ok $? "a 255-byte file name: exit 0: $(head -c 120 "$D/err")"
check "it holds the profile" -- valid_folded "$D/$long"
# A name over 255 bytes fails before sampling: well before the 60 s run.
s0=$(now_ms)
timeout 90 "$CTOP" -p "$t" --duration 60 -o "$D/${long}x" 2>"$D/err"
rc=$?
el=$(( $(now_ms) - s0 ))
[ "$rc" = 1 ] && [ "$el" -lt 30000 ] && grep -q 'too long' "$D/err"
ok $? "a 256-byte name: exit $rc before sampling ($el ms of a 60 s run)"

# "-" is standard output; no file named "-" appears.
(cd "$D" && timeout 30 "$CTOP" -p "$t" --duration 1 -o - >"$D/stdout.got" 2>"$D/err")
ok $? "-o -: exit 0"
check "the profile went to stdout" -- valid_folded "$D/stdout.got"
check "no file named -" -- test ! -e "$D/-"

# A directory is a usage error, before anything runs.
mkdir "$D/adir"
rec "$D/adir"
rc=$?
[ "$rc" = 2 ]; ok $? "a directory: exit $rc (want 2): $(cat "$D/err")"
check "nothing left in the directory" -- test -z "$(ls -A "$D/adir")"

# A full file system: the write fails, the old file survives, one line.
mkdir "$D/full"
trap 'umount "$D/full" 2>/dev/null; _lib_cleanup' EXIT
if mount -t tmpfs -o size=64k ctop-test "$D/full" 2>/dev/null; then
	echo keep >"$D/full/prof"
	dd if=/dev/zero of="$D/full/fill" bs=4k 2>/dev/null
	rec "$D/full/prof"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'No space left on device' "$D/err" &&
		grep -q 'old file is left' "$D/err" &&
		[ "$(grep -c '^ctop-prof: cannot' "$D/err")" = 1 ]
	ok $? "disk full: exit $rc, one line: $(grep cannot "$D/err")"
	[ "$(cat "$D/full/prof")" = keep ]; ok $? "the old file is intact"
	check "no temporary file left on the full disk" -- no_temp "$D/full"
	umount "$D/full"
else
	skip "disk full" "mount -t tmpfs failed here"
fi

# --checkpoint: the file holds a valid profile while recording, and
# after a kill -9 of the recorder.
# Started directly (not under timeout) so that kill -9 hits ctop-prof.
"$CTOP" -p "$t" --duration 50 --checkpoint 0.5 -o "$D/cp.folded" 2>"$D/err" &
c=$!
cleanup_pid "$c"
wait_for 10 valid_folded "$D/cp.folded"
ok $? "a checkpoint was written within 10 s"
n1=$(folded_total "$D/cp.folded")
more_than() { [ "$(folded_total "$1")" -gt "$2" ]; }
wait_for 10 more_than "$D/cp.folded" "$n1"
ok $? "a later checkpoint holds more samples ($n1 -> $(folded_total "$D/cp.folded"))"
{ kill -9 "$c"; wait "$c"; } 2>/dev/null
check "the recorder is gone after kill -9" -- test ! -d "/proc/$c"
check "after kill -9 the file is a valid folded profile" -- valid_folded "$D/cp.folded"
check "the target is not left traced or stopped" -- target_healthy "$t"
# With --checkpoint 0 nothing is written before the end.
timeout 30 "$CTOP" -p "$t" --duration 3 --checkpoint 0 -o "$D/nocp.folded" \
	2>/dev/null &
c=$!
sleep 1.5
check "--checkpoint 0: no file before the end" -- test ! -e "$D/nocp.folded"
wait "$c"
ok $? "--checkpoint 0: exit 0"
check "--checkpoint 0: the file at the end" -- valid_folded "$D/nocp.folded"
check "target healthy at the end" -- target_healthy "$t"
done_testing
