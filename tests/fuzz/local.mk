# Fuzzing (issue "reliability", item 7). A target is tests/fuzz/fuzz-NAME.c
# (a FUZZ_TARGET(NAME) body, see fuzz.h) with seeds in
# tests/fuzz/corpus/NAME/. To add one: write the file, add it to
# FUZZ_TARGET_SRCS below, and add its corpus directory.
#   make check      tests/fuzz/fuzz-replay replays every corpus and mutates
#                   it for a few seconds (gcc, also under --enable-sanitizers)
#   make fuzz       libFuzzer (clang) on each target for FUZZ_SECONDS
#                   (only those named in FUZZ_TARGETS when set); crashes
#                   go to tests/fuzz/crashes/ in the build tree
#   make check-long the same as make fuzz, as a TAP test
FUZZ_TARGET_SRCS = tests/fuzz/fuzz-folded.c tests/fuzz/fuzz-maps.c \
	tests/fuzz/fuzz-perf.c tests/fuzz/fuzz-perfmap.c tests/fuzz/fuzz-termsafe.c \
	tests/fuzz/fuzz-unwind.c tests/fuzz/fuzz-pprof.c tests/fuzz/fuzz-perfscript.c \
	tests/fuzz/fuzz-speedscope.c

FUZZ_CC = clang
FUZZ_SECONDS = 600
FUZZ_TARGETS =
FUZZ_MAX_LEN = 16384

check_PROGRAMS += tests/fuzz/fuzz-replay
tests_fuzz_fuzz_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz-load.h \
	tests/fuzz/fuzz-common.c $(FUZZ_TARGET_SRCS)
tests_fuzz_fuzz_replay_LDADD = $(CTOP_LIBS)

SCRIPT_TESTS += tests/fuzz/run-fuzz-smoke.sh
LONG_TESTS += tests/fuzz/run-fuzz-long.sh
EXTRA_DIST += \
	tests/fuzz/README.md \
	tests/fuzz/corpus \
	tests/fuzz/dict \
	tests/fuzz/libfuzzer.sh \
	tests/fuzz/regressions \
	tests/fuzz/run-fuzz-long.sh \
	tests/fuzz/run-fuzz-smoke.sh

# The library is compiled again by clang with coverage instrumentation
# (libctop.a is gcc's, uninstrumented); libfuzzer.sh archives it so each
# target links only the modules it uses.
fuzz:
	@env CC='$(FUZZ_CC)' CPPFLAGS='-I$(abs_top_builddir) $(AM_CPPFLAGS)' \
	    WARN_CFLAGS='$(WARN_CFLAGS)' \
	    LIBS='$(UNWIND_LIBS) $(DW_LIBS) $(NCURSES_LIBS) $(PTHREAD_LIBS) $(DEMANGLE_LIBS) $(LIBM) $(PROTOBUF_C_LIBS) $(ZLIB_LIBS)' \
	    LIB_SRCS='$(libctop_a_SOURCES) $(nodist_libctop_a_SOURCES)' \
	    TARGET_SRCS='$(FUZZ_TARGET_SRCS)' \
	    FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_MAX_LEN='$(FUZZ_MAX_LEN)' \
	    FUZZ_TARGETS='$(FUZZ_TARGETS)' \
	    top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	    $(SHELL) $(top_srcdir)/tests/fuzz/libfuzzer.sh

fuzz-clean:
	-rm -rf tests/fuzz/obj tests/fuzz/bin tests/fuzz/work tests/fuzz/crashes \
	    tests/fuzz/fuzz-*.log tests/fuzz/regression.log

clean-local: fuzz-clean

.PHONY: fuzz fuzz-clean
