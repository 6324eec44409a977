#!/bin/bash
# SPDX-License-Identifier: MIT
# The fresh-machine check: the README's two Quick start commands, run exactly
# as written, in a minimal Debian 12 (debootstrap --variant=minbase bookworm)
# that holds nothing but the project's committed tree.  A green suite on the
# development machine can hide a missing install step; this cannot.
#
#   tests/fresh/run.sh [CACHE_DIR]
#
# CACHE_DIR (default $FRESH_CACHE, else tests/fresh-cache in the build
# directory) keeps the debootstrapped base between runs; each run works on a
# throw-away copy of it, so every run starts from the same fresh system.
# The packages come from the mirror this machine's apt already uses (or
# FRESH_MIRROR).  Needs root (chroot, mounts); prints TAP.
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
cache=${1:-${FRESH_CACHE:-$top_builddir/tests/fresh-cache}}
suite=bookworm
tap_n=0 tap_failed=0

ok() {
	local st=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$st" = 0 ]; then echo "ok $tap_n - $*"
	else echo "not ok $tap_n - $*"; tap_failed=$((tap_failed + 1)); fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip_all "needs root (debootstrap, chroot, mounts)"
git -C "$top_srcdir" rev-parse --verify -q HEAD >/dev/null ||
	skip_all "needs the project's git checkout (it copies the committed tree)"
if ! command -v debootstrap >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap \
		>/dev/null 2>&1 || skip_all "debootstrap is not installed and cannot be"
fi

# The first Debian archive in this machine's apt sources (deb822 or the
# one-line format): the fresh system installs from the same place.
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' "$f"
	done
	[ -f /etc/apt/sources.list ] &&
		awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list
}
mirror=${FRESH_MIRROR:-$(host_mirror | head -n 1)}
[ -n "$mirror" ] || skip_all "no Debian mirror in this machine's apt sources (set FRESH_MIRROR)"

base=$cache/$suite-minbase
if [ ! -f "$base/.complete" ]; then
	rm -rf "$base"
	mkdir -p "$cache"
	echo "# debootstrap $suite (minbase) into $base"
	if ! debootstrap --variant=minbase "$suite" "$base" "$mirror" \
		>"$cache/debootstrap.log" 2>&1; then
		echo "not ok 1 - debootstrap failed (see $cache/debootstrap.log)"
		tail -n 5 "$cache/debootstrap.log" | sed 's/^/# /'
		echo "1..1"
		exit 1
	fi
	touch "$base/.complete"
fi

root=$(mktemp -d "$cache/run.XXXXXX")
mounted=()
cleanup() {
	local p i
	# Processes a test left behind inside the chroot would keep its mounts busy.
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null
	done
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
echo "# fresh copy of the base in $root"
cp -a "$base/." "$root/"
rm -f "$root/.complete"
# The root a mount point of its own, as on a real machine (unshare -m, which
# a test uses, needs one to make its mounts private).
mount --bind "$root" "$root" && mount --make-private "$root" && mounted+=("$root")
for m in proc sys dev dev/pts; do
	mkdir -p "$root/$m"
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sysfs "$root/sys" ;;
	dev) mount -t tmpfs -o mode=755 dev "$root/dev" &&
	     for n in null zero full random urandom tty; do
		     cp -a "/dev/$n" "$root/dev/$n"
	     done &&
	     ln -s /proc/self/fd "$root/dev/fd" &&
	     ln -s /proc/self/fd/0 "$root/dev/stdin" &&
	     ln -s /proc/self/fd/1 "$root/dev/stdout" &&
	     ln -s /proc/self/fd/2 "$root/dev/stderr" ;;
	dev/pts) mount -t devpts -o newinstance,ptmxmode=666 devpts "$root/dev/pts" &&
	         ln -sf pts/ptmx "$root/dev/ptmx" ;;
	esac && mounted+=("$root/$m")
done
mkdir -p "$root/dev/shm" && mount -t tmpfs shm "$root/dev/shm" && mounted+=("$root/dev/shm")
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
mkdir -p "$root/root/ctop-prof"
git -C "$top_srcdir" archive HEAD | tar -x -C "$root/root/ctop-prof"
echo "# the committed tree: $(git -C "$top_srcdir" rev-parse --short HEAD)"

# in_fresh LOG COMMAND: runs a README command in the fresh system, as root
# in the project's directory, with a clean environment.
in_fresh() {
	local log=$1; shift
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c "cd /root/ctop-prof && $*" >"$log" 2>&1 </dev/null
}

logs=$cache/logs
rm -rf "$logs" && mkdir -p "$logs"
s=$(date +%s)
in_fresh "$logs/test.log" ./quickstart.sh test
rc=$?
cp -r "$root/root/ctop-prof/build/tests/logs" "$logs/tests" 2>/dev/null
closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/test.log" | tail -n 1)
echo "# ./quickstart.sh test: exit $rc in $(( $(date +%s) - s )) s; closing line: ${closing:-none}"
[ "$rc" = 0 ] && [ "$(tail -n 1 "$logs/test.log")" = "$closing" ] &&
	echo "$closing" | grep -qE '^[0-9]+ passed, 0 failed'
ok $? "./quickstart.sh test on a fresh $suite ends with: ${closing:-no closing line}"
grep -E '^FAIL|^     not ok' "$logs/test.log" | head -20 | sed 's/^/# /'

# The demo as its user sees it: in a terminal (tmux, 120x40), the live view
# opens; in the icicle (i) both of the demo's bugs are the wide bars.
demo_in_tmux() {
	local sock=$cache/tmux.sock i screen
	tmux -S "$sock" kill-server 2>/dev/null
	tmux -S "$sock" -f /dev/null new-session -d -x 120 -y 40 \
		"chroot $root /usr/bin/env -i HOME=/root TERM=xterm-256color LANG=C.UTF-8 \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c 'cd /root/ctop-prof && ./quickstart.sh demo; echo demo-exit \$?; sleep 30'"
	for i in $(seq 1 600); do
		tmux -S "$sock" capture-pane -p >"$logs/demo.table" 2>/dev/null
		grep -q 'SELF%' "$logs/demo.table" && break
		sleep 1
	done
	sleep 3
	tmux -S "$sock" send-keys i
	sleep 3
	tmux -S "$sock" capture-pane -p >"$logs/demo.icicle"
	tmux -S "$sock" send-keys q
	for i in $(seq 1 20); do
		tmux -S "$sock" capture-pane -p >"$logs/demo.end"
		grep -q 'demo-exit' "$logs/demo.end" && break
		sleep 0.5
	done
	tmux -S "$sock" kill-server 2>/dev/null
	grep -q 'SELF%' "$logs/demo.table" && grep -q 'log_debug' "$logs/demo.icicle" &&
		grep -q 'data_dir_exists' "$logs/demo.icicle" && grep -q 'demo-exit 0' "$logs/demo.end"
}
s=$(date +%s)
if command -v tmux >/dev/null; then
	demo_in_tmux
	ok $? "./quickstart.sh demo on a fresh $suite, in a terminal: live view, log_debug and data_dir_exists in the icicle, q ends it ($(( $(date +%s) - s )) s)"
	sed 's/^/# /' "$logs/demo.icicle" | grep -v '^# *$' | head -16
fi
in_fresh "$logs/demo.log" ./quickstart.sh demo
rc=$?
tables=$(grep -c 'FUNCTION' "$logs/demo.log")
[ "$rc" = 0 ] && [ "$tables" = 5 ] && ! grep -q '(no samples)' "$logs/demo.log"
ok $? "./quickstart.sh demo on a fresh $suite, no terminal: exit $rc, $tables batch tables with samples"
echo "1..$tap_n"
[ "$tap_failed" = 0 ]
