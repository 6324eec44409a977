# python module (issue 11): CPython frames read from outside; sources go
# into libctop.a, tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/python/layout.c \
	src/python/linetable.c \
	src/python/merge.c \
	src/python/namer.c \
	src/python/probe.c \
	src/python/threadname.c \
	src/python/walk.c
noinst_HEADERS += include/ctop/python.h src/python/internal.h

check_PROGRAMS += tests/unit/test-python-merge
tests_unit_test_python_merge_SOURCES = tests/unit/test-python-merge.c \
	tests/tap.h
tests_unit_test_python_merge_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-python-merge

# Real interpreters (those installed here; the others SKIP).
check_PROGRAMS += tests/unit/test-python-walk
tests_unit_test_python_walk_SOURCES = tests/unit/test-python-walk.c \
	tests/unit/python-util.c tests/unit/python-util.h tests/tap.h
tests_unit_test_python_walk_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-python-walk

check_PROGRAMS += tests/unit/test-python-probe
tests_unit_test_python_probe_SOURCES = tests/unit/test-python-probe.c \
	tests/unit/python-util.c tests/unit/python-util.h tests/tap.h
tests_unit_test_python_probe_LDADD = $(CTOP_LIBS) -ldl
UNIT_TESTS += tests/unit/test-python-probe

# The same on structures built in the test's own memory: reuse, loops,
# bad pointers, every str kind, the location table's forms.
check_PROGRAMS += tests/unit/test-python-synth
tests_unit_test_python_synth_SOURCES = tests/unit/test-python-synth.c \
	tests/unit/python-util.c tests/unit/python-util.h tests/tap.h
tests_unit_test_python_synth_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-python-synth

# A fake statically linked CPython whose symbols are in .symtab only.
check_PROGRAMS += tests/targets/fakepython
tests_targets_fakepython_SOURCES = tests/targets/fakepython.c
tests_targets_fakepython_CFLAGS = $(WARN_CFLAGS) -O2 -g
tests_targets_fakepython_LDFLAGS =
EXTRA_tests_unit_test_python_probe_DEPENDENCIES = tests/targets/fakepython

# End to end on the interpreters found here (issue 11): shares, names,
# threads, recursion, C extensions, exec'd code, --python off.
SCRIPT_TESTS += tests/integration/run-python.sh \
	tests/unpriv/run-unpriv-python.sh tests/tui/run-python-threads.sh
EXTRA_DIST += tests/integration/run-python.sh tests/tui/run-python-threads.sh \
	tests/integration/python-lib.sh \
	tests/unpriv/run-unpriv-python.sh \
	tests/targets/py_shares.py tests/targets/py_mixed.py
