#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's two Quick start commands:
#   ./quickstart.sh demo   install what is needed, build, and run ctop-prof on
#                          the bundled demo (the live view on a terminal,
#                          batch tables otherwise)
#   ./quickstart.sh test   install what is needed, build, and run every test
#                          (the last line is "N passed, M failed")
# Builds out of tree in ./build. Needs root (or sudo) only to install
# Debian packages that are missing.
set -eu
cd "$(dirname "$0")"

# What each package is for: README.md, "Building by hand".
BUILD_PACKAGES="gcc g++ make libc6-dev autoconf automake autoconf-archive \
pkg-config libncurses-dev libunwind-dev libdw-dev libelf-dev binutils \
libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libcurl4-openssl-dev"
RUN_PACKAGES="libdebuginfod1"
TEST_PACKAGES="tmux procps man-db groff-base strace gdb python3-minimal linux-perf \
golang-go nodejs chromium"

install_packages() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "quickstart: installing:$missing"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build() {
	[ -x configure ] || ./autogen.sh
	mkdir -p build
	cd build
	[ -f Makefile ] || ../configure --quiet
	make -j"$(nproc)" --quiet
	cd ..
}

case "${1:-}" in
demo)
	install_packages $BUILD_PACKAGES $RUN_PACKAGES
	build
	if [ -t 0 ] && [ -t 1 ]; then
		exec build/ctop-prof -- build/ctop-demo
	fi
	exec build/ctop-prof --batch -n 5 -- build/ctop-demo
	;;
test)
	install_packages $BUILD_PACKAGES $RUN_PACKAGES $TEST_PACKAGES
	build
	cd build
	exec make --quiet check
	;;
*)
	echo "usage: $0 demo|test" >&2
	exit 2
	;;
esac
