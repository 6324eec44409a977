# SPDX-License-Identifier: MIT
# The unprivileged tier (sourced after tests/lib.sh): ctop-prof run as a
# user without privileges on that user's own processes, as most users run
# it. As root, commands run as CTOP_TEST_USER (default nobody, which every
# Debian system has, so nothing needs creating) through setpriv; as any
# other user they run as that user, unchanged.
#   as_user CMD...  runs CMD as the user, HOME and TMPDIR in UDIR; AS is
#                   the same as a command prefix, for `"${AS[@]}" CMD &`
#                   (its $! is CMD's pid: setpriv and env exec it)
#   U_UID, U_GID    the user's ids
#   UDIR            a directory the user owns (mode 700)
#   RODIR           a directory the user may enter but not write to
#   UBIN            copies of ctop-prof and the targets the user can run
#                   (the checkout may sit in a directory only root enters)
#   UCTOP           $UBIN/ctop-prof
# A tier script needs no root itself: run as a user, it tests that user.

if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null ||
		skip_all "as root the tier runs as a user through setpriv (util-linux), not found"
	U_NAME=${CTOP_TEST_USER:-nobody}
	U_UID=$(id -u "$U_NAME" 2>/dev/null) ||
		skip_all "no user $U_NAME to run as (set CTOP_TEST_USER to a user without privileges)"
	U_GID=$(id -g "$U_NAME")
	[ "$U_UID" != 0 ] || skip_all "CTOP_TEST_USER=$U_NAME is root"
	AS_USER=(setpriv --reuid="$U_UID" --regid="$U_GID" --init-groups)
else
	U_NAME=$(id -un 2>/dev/null || id -u)
	U_UID=$(id -u) U_GID=$(id -g)
	AS_USER=()
fi

# The user must reach WORKDIR (mktemp made it 0700, root's).
chmod 711 "$WORKDIR"
UDIR=$WORKDIR/home
RODIR=$WORKDIR/rootdir
UBIN=$WORKDIR/bin
UCTOP=$UBIN/ctop-prof
mkdir -m 700 "$UDIR" && mkdir -m 555 "$RODIR" && mkdir -m 755 "$UBIN" ||
	skip_all "cannot make directories in $WORKDIR"
[ "${#AS_USER[@]}" = 0 ] || chown "$U_UID:$U_GID" "$UDIR"

AS=("${AS_USER[@]}" env HOME="$UDIR" TMPDIR="$UDIR" TMUX_TMPDIR="$UDIR"
	USER="$U_NAME" LOGNAME="$U_NAME")
as_user() { "${AS[@]}" "$@"; }
# The user's programs start in UDIR: the TUI writes there, and the
# build directory may be closed to the user.
cd "$UDIR" || skip_all "cannot enter $UDIR"

# user_bin NAME...: copies ctop-prof and the named programs (paths under
# the build directory) into UBIN.
user_bin() {
	local f
	cp "$CTOP" "$UCTOP" || skip_all "cannot copy $CTOP"
	for f in "$@"; do
		[ -x "$top_builddir/$f" ] || skip_all "$f is not built"
		cp "$top_builddir/$f" "$UBIN/" || skip_all "cannot copy $f"
	done
	chmod -R a+rX "$UBIN"
}

# user_ready: the first test of each script; it proves the tier runs as a
# user without capabilities, or stops (exit 77) saying why it cannot.
user_ready() {
	local cap uid
	as_user "$UCTOP" --version >/dev/null 2>&1 ||
		skip_all "uid $U_UID cannot run programs from $UBIN (a noexec mount? a TMPDIR it cannot enter?)"
	uid=$(as_user id -u)
	cap=$(as_user awk '/^CapEff:/ { print $2 }' /proc/self/status)
	[ "$uid" != 0 ] && [ "$uid" = "$U_UID" ] &&
		[ -z "$(echo "$cap" | tr -d 0)" ] && as_user test -w "$UDIR" &&
		! as_user test -w "$RODIR"
	ok $? "runs as $U_NAME (uid $uid), CapEff $cap, writes only its own directory"
}

# user_spawn VAR CMD...: starts CMD as the user in the background (in
# UDIR), sets VAR to its pid once it printed a line; killed at exit.
user_spawn() {
	local var=$1; shift
	start_target "$var" "${AS[@]}" "$@"
}

perf_paranoid() { cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2; }
yama_scope() { cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0; }
one_line() { [ "$(wc -l <"$1")" = 1 ]; }
