# source module: what the UI reads views from. The live source (live.c)
# runs the worker thread (worker.c: ring -> unwind -> symbols -> profile
# -> views); the file source (file.c) reads a snapshot for --load.
libctop_a_SOURCES += \
	src/source/children.c \
	src/source/children.h \
	src/source/file.c \
	src/source/live.c \
	src/source/worker.c \
	src/source/worker.h

check_PROGRAMS += tests/unit/test-exit-drain
tests_unit_test_exit_drain_SOURCES = tests/unit/test-exit-drain.c
tests_unit_test_exit_drain_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_exit_drain_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-exit-drain
