# symbols module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/symbols/debugcache.c \
	src/symbols/debugpages.c \
	src/symbols/debugstore.c \
	src/symbols/debuginfod.c \
	src/symbols/fde.c \
	src/symbols/intern.c \
	src/symbols/interp.c \
	src/symbols/kallkeep.c \
	src/symbols/kallsyms.c \
	src/symbols/perfmap.c \
	src/symbols/report.c \
	src/symbols/plt.c \
	src/symbols/remap.c \
	src/symbols/resolve.c \
	src/symbols/shared.c \
	src/symbols/symbols.c
noinst_HEADERS += src/symbols/internal.h src/symbols/kallsyms.h

check_PROGRAMS += tests/unit/test-symbols
tests_unit_test_symbols_SOURCES = tests/unit/test-symbols.c \
	tests/unit/capture.c tests/unit/capture.h
tests_unit_test_symbols_LDADD = $(CTOP_LIBS) -ldl
EXTRA_tests_unit_test_symbols_DEPENDENCIES = tests/targets/chain-stripped \
	tests/targets/chain-zstripped tests/targets/chain-nosym \
	tests/targets/libdlhot.so
UNIT_TESTS += tests/unit/test-symbols

# kallsyms' parser, on files of its format and the real table.
check_PROGRAMS += tests/unit/test-kallsyms
tests_unit_test_kallsyms_SOURCES = tests/unit/test-kallsyms.c
tests_unit_test_kallsyms_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_kallsyms_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-kallsyms

# A C++ target for demangling (no sanitizer flags, see src/unwind/local.mk).
check_PROGRAMS += tests/targets/cxxtmpl
tests_targets_cxxtmpl_SOURCES = tests/targets/cxxtmpl.cc
tests_targets_cxxtmpl_CXXFLAGS = -O2 -g
tests_targets_cxxtmpl_LDFLAGS =

# A stripped copy of chain whose symbols live only in a separate debug
# file found through .gnu_debuglink in .debug/ next to it.
TARGET_OBJCOPY = objcopy
TARGET_STRIP = strip
tests/targets/chain-stripped: tests/targets/chain$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) tests/targets/.debug && \
	$(TARGET_OBJCOPY) --only-keep-debug tests/targets/chain$(EXEEXT) \
		tests/targets/.debug/chain-stripped.debug && \
	$(TARGET_STRIP) --strip-all -o $@.tmp tests/targets/chain$(EXEEXT) && \
	$(TARGET_OBJCOPY) \
		--add-gnu-debuglink=tests/targets/.debug/chain-stripped.debug \
		$@.tmp && \
	mv $@.tmp $@
CLEANFILES += tests/targets/chain-stripped \
	tests/targets/.debug/chain-stripped.debug

# The same with its debug file's sections zlib-compressed, as Debian's
# -dbg and -dbgsym files are.
tests/targets/chain-zstripped: tests/targets/chain$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) tests/targets/.debug && \
	$(TARGET_OBJCOPY) --only-keep-debug --compress-debug-sections=zlib \
		tests/targets/chain$(EXEEXT) \
		tests/targets/.debug/chain-zstripped.debug && \
	$(TARGET_STRIP) --strip-all -o $@.tmp tests/targets/chain$(EXEEXT) && \
	$(TARGET_OBJCOPY) \
		--add-gnu-debuglink=tests/targets/.debug/chain-zstripped.debug \
		$@.tmp && \
	mv $@.tmp $@
CLEANFILES += tests/targets/chain-zstripped \
	tests/targets/.debug/chain-zstripped.debug

# A stripped copy of chain with no symbols anywhere: its functions can be
# told apart only by their .eh_frame entries.
tests/targets/chain-nosym: tests/targets/chain$(EXEEXT)
	$(AM_V_GEN)$(TARGET_STRIP) --strip-all -o $@.tmp \
		tests/targets/chain$(EXEEXT) && mv $@.tmp $@
CLEANFILES += tests/targets/chain-nosym

# JIT perf maps: a target that runs code from an anonymous page named in
# /tmp/perf-PID.map (-O2 -g, no sanitizer flags: it is profiled), and the
# test that names it and checks the map's trust rule.
check_PROGRAMS += tests/targets/fakejit
tests_targets_fakejit_SOURCES = tests/targets/fakejit.c
tests_targets_fakejit_CFLAGS = $(WARN_CFLAGS) -O2 -g
tests_targets_fakejit_LDFLAGS =
SCRIPT_TESTS += tests/integration/run-perfmap.sh
EXTRA_DIST += tests/integration/run-perfmap.sh
# Real programs (issue 19): Node.js's JIT code named from its perf map,
# stacks through code without unwind tables.
SCRIPT_TESTS += tests/integration/run-node.sh
EXTRA_DIST += tests/integration/run-node.sh
# PLT stubs named callee@plt: a target whose hot path is a PLT call.
check_PROGRAMS += tests/targets/pltcall
tests_targets_pltcall_SOURCES = tests/targets/pltcall.c
tests_targets_pltcall_CFLAGS = $(WARN_CFLAGS) -O2 -g -fno-builtin
tests_targets_pltcall_LDFLAGS =
SCRIPT_TESTS += tests/integration/run-plt.sh
EXTRA_DIST += tests/integration/run-plt.sh
# A copy of a module's text run from anonymous memory, named as the module.
check_PROGRAMS += tests/targets/textcopy
tests_targets_textcopy_SOURCES = tests/targets/textcopy.c
tests_targets_textcopy_CFLAGS = $(WARN_CFLAGS) -O2 -g
tests_targets_textcopy_LDFLAGS =
SCRIPT_TESTS += tests/integration/run-textcopy.sh
EXTRA_DIST += tests/integration/run-textcopy.sh
