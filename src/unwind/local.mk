# unwind module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += src/unwind/unwind.c src/unwind/fp.c src/unwind/internal.h \
	src/unwind/memo.c src/unwind/join.c src/unwind/sigmask.c

# Accuracy tests: real targets sampled through a test-only ptrace capture.
check_PROGRAMS += tests/unit/test-unwind
tests_unit_test_unwind_SOURCES = tests/unit/test-unwind.c \
	tests/unit/capture.c tests/unit/capture.h
tests_unit_test_unwind_LDADD = $(CTOP_LIBS)
EXTRA_tests_unit_test_unwind_DEPENDENCIES = tests/targets/chain-stripped \
	tests/targets/libdlhot.so tests/targets/libdlhot2.so \
	tests/targets/libdlfini.so
UNIT_TESTS += tests/unit/test-unwind
# The joiner on walks made up by the test.
check_PROGRAMS += tests/unit/test-join
tests_unit_test_join_SOURCES = tests/unit/test-join.c
tests_unit_test_join_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_join_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-join
check_PROGRAMS += tests/unit/test-sigmask
tests_unit_test_sigmask_SOURCES = tests/unit/test-sigmask.c tests/tap.h
tests_unit_test_sigmask_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-sigmask
SCRIPT_TESTS += tests/integration/run-sigmask.sh
SCRIPT_TESTS += tests/integration/run-dlfini.sh

# Targets: plain optimised code, never the sanitizer flags (per-target
# flags replace AM_CFLAGS and AM_LDFLAGS).
TARGET_CFLAGS = -O2 -g -fomit-frame-pointer
check_PROGRAMS += tests/targets/chain tests/targets/chain-fp \
	tests/targets/inline tests/targets/qsortcb tests/targets/sighandler \
	tests/targets/recurse tests/targets/dlopener tests/targets/qsortcb-fp \
	tests/targets/joinpaths
tests_targets_chain_SOURCES = tests/targets/chain.c
tests_targets_chain_CFLAGS = $(TARGET_CFLAGS)
tests_targets_chain_LDFLAGS =
tests_targets_chain_fp_SOURCES = tests/targets/chain.c
tests_targets_chain_fp_CFLAGS = -O2 -g -fno-omit-frame-pointer
tests_targets_chain_fp_LDFLAGS =
tests_targets_inline_SOURCES = tests/targets/inline.c
tests_targets_inline_CFLAGS = $(TARGET_CFLAGS)
tests_targets_inline_LDFLAGS =
tests_targets_qsortcb_SOURCES = tests/targets/qsortcb.c
tests_targets_qsortcb_CFLAGS = $(TARGET_CFLAGS)
tests_targets_qsortcb_LDFLAGS =
tests_targets_qsortcb_fp_SOURCES = tests/targets/qsortcb.c
tests_targets_qsortcb_fp_CFLAGS = -O2 -g -fno-omit-frame-pointer
tests_targets_qsortcb_fp_LDFLAGS =
tests_targets_sighandler_SOURCES = tests/targets/sighandler.c
tests_targets_sighandler_CFLAGS = $(TARGET_CFLAGS)
tests_targets_sighandler_LDFLAGS =
tests_targets_recurse_SOURCES = tests/targets/recurse.c
tests_targets_recurse_CFLAGS = $(TARGET_CFLAGS)
tests_targets_recurse_LDFLAGS =
tests_targets_joinpaths_SOURCES = tests/targets/joinpaths.c
tests_targets_joinpaths_CFLAGS = $(TARGET_CFLAGS)
tests_targets_joinpaths_LDFLAGS =
tests_targets_dlopener_SOURCES = tests/targets/dlopener.c
tests_targets_dlopener_CFLAGS = $(TARGET_CFLAGS)
tests_targets_dlopener_LDFLAGS =
tests_targets_dlopener_LDADD = -ldl

# Two builds of one small library, same size, so that after dlclose the
# second is mapped where the first was.
DLHOT_SRC = $(top_srcdir)/tests/targets/libdlhot.c
tests/targets/libdlhot.so: $(DLHOT_SRC)
	$(AM_V_CC)$(MKDIR_P) tests/targets && \
	$(CC) -O2 -g -fPIC -shared -o $@ $(DLHOT_SRC)
tests/targets/libdlhot2.so: $(DLHOT_SRC)
	$(AM_V_CC)$(MKDIR_P) tests/targets && \
	$(CC) -O2 -g -fPIC -shared -DDLHOT_FN=dlhot2_spin -o $@ $(DLHOT_SRC)
# The third spends 150 ms of CPU at dlclose, under crt code without CFI
# (tests/integration/run-dlfini.sh).
tests/targets/libdlfini.so: $(DLHOT_SRC)
	$(AM_V_CC)$(MKDIR_P) tests/targets && \
	$(CC) -O2 -g -fPIC -shared -DDLHOT_UNLOAD_MS=150 -o $@ $(DLHOT_SRC)
EXTRA_DIST += tests/targets/libdlhot.c
CLEANFILES += tests/targets/libdlhot.so tests/targets/libdlhot2.so \
	tests/targets/libdlfini.so
