# util module (the monotonic clock, a growable array): sources go into
# libctop.a; its unit test into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += src/util/util.c
noinst_HEADERS += include/ctop/util.h

check_PROGRAMS += tests/unit/test-util
tests_unit_test_util_SOURCES = tests/unit/test-util.c tests/tap.h
tests_unit_test_util_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-util
