#!/bin/sh
# SPDX-License-Identifier: MIT
# `make fuzz`: builds every fuzz target with clang and libFuzzer (plus ASan
# and UBSan) against the project's sources and runs each for FUZZ_SECONDS.
# Skips, with the reason, when clang or its libFuzzer runtime is missing.
# Environment (set by tests/fuzz/local.mk): CC CPPFLAGS WARN_CFLAGS LIBS
# LIB_SRCS TARGET_SRCS FUZZ_SECONDS FUZZ_MAX_LEN top_srcdir top_builddir;
# FUZZ_TARGETS, when set, names the targets to run (default: all).
# Prints "fuzz: NAME: ... no crash" per target; exits 1 after a crash.
set -u
out=$top_builddir/tests/fuzz
obj=$out/obj bin=$out/bin work=$out/work crashes=$out/crashes
fdir=$top_srcdir/tests/fuzz

say() { echo "fuzz: $*"; }
skip() { say "SKIP: $*"; exit 0; }
die() { say "FAILED: $*"; exit 1; }

mkdir -p "$obj/lib" "$bin" "$work" || die "cannot create $out"
command -v "$CC" >/dev/null 2>&1 ||
	skip "$CC not found (install the Debian package clang)"
printf '%s\n' 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);' \
	'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)' \
	'{ return d && n > 1 && d[0] == 1 ? 1 : 0; }' >"$obj/probe.c"
"$CC" -fsanitize=fuzzer,address,undefined "$obj/probe.c" -o "$obj/probe" \
	>"$obj/probe.log" 2>&1 ||
	skip "$CC cannot link -fsanitize=fuzzer,address,undefined: no libFuzzer runtime? (Debian: clang ships it; see $obj/probe.log)"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -std=gnu11 -fno-omit-frame-pointer $SAN $WARN_CFLAGS"

# The library, instrumented for coverage. Every module goes in: the
# archive lets each target pull only what it calls.
objs=
for src in $LIB_SRCS; do
	case $src in *.c) ;; *) continue ;; esac
	o=$obj/lib/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	# shellcheck disable=SC2086
	# Generated sources (protoc-c's) are in the build tree.
	in=$top_srcdir/$src
	[ -f "$in" ] || in=$top_builddir/$src
	"$CC" $CPPFLAGS $CFLAGS -fsanitize=fuzzer-no-link -c "$in" \
		-o "$o" || die "cannot compile $src with $CC"
	objs="$objs $o"
done
rm -f "$obj/libctop-fuzz.a"
# shellcheck disable=SC2086
ar cr "$obj/libctop-fuzz.a" $objs || die "ar failed"

status=0
for src in $TARGET_SRCS; do
	name=$(basename "$src" .c)
	name=${name#fuzz-}
	case " ${FUZZ_TARGETS:-$name} " in
	*" $name "*) ;;
	*) continue ;;
	esac
	exe=$bin/fuzz-$name
	# shellcheck disable=SC2086
	"$CC" $CPPFLAGS -I"$fdir" $CFLAGS -fsanitize=fuzzer -DCTOP_FUZZ_LIBFUZZER \
		"$top_srcdir/$src" "$fdir/fuzz-common.c" "$obj/libctop-fuzz.a" \
		$LIBS -o "$exe" || die "cannot build $exe"

	# Regressions first, one run each: one that still fails is a known
	# bug (its file name is its id), whose check is then turned off so
	# that the fuzzer can look for new ones.
	known=${CTOP_FUZZ_IGNORE:-}
	for r in "$fdir/regressions/$name"/*; do
		[ -f "$r" ] || continue
		if ! "$exe" "$r" >"$out/regression.log" 2>&1; then
			say "$name: known bug $(basename "$r") still fails (tests/fuzz/regressions/$name/)"
			known="$known,$(basename "$r")"
		fi
	done
	export CTOP_FUZZ_IGNORE="${known#,}"

	# New inputs go to work/NAME (first directory); the seeds in the
	# source tree are only read.
	mkdir -p "$work/$name" "$crashes"
	set -- "$work/$name" "$fdir/corpus/$name"
	dict=
	[ -f "$fdir/dict/$name.dict" ] && dict=-dict=$fdir/dict/$name.dict
	log=$out/fuzz-$name.log
	say "$name: running for $FUZZ_SECONDS s (log: $log)"
	# shellcheck disable=SC2086
	"$exe" -max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashes/$name-" $dict "$@" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	if [ "$rc" = 0 ]; then
		say "$name: ${runs:-?} runs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} inputs: no crash"
	else
		status=1
		say "$name: CRASH (exit $rc) after ${runs:-?} runs; input: $(sed -n 's/.*Test unit written to //p' "$log" | tail -1)"
		grep -E 'ERROR|invariant broken|SUMMARY' "$log" | head -5 | sed 's/^/fuzz:   /'
	fi
done
exit $status
