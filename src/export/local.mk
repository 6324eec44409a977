# export module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/export/files.c \
	src/export/folded.c

check_PROGRAMS += tests/unit/test-folded
tests_unit_test_folded_SOURCES = tests/unit/test-folded.c tests/tap.h
tests_unit_test_folded_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-folded
tests_unit_test_folded_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCTOP_TEST_DATA='"$(abs_top_srcdir)/tests/data"'
EXTRA_DIST += \
	tests/data/crlf.folded \
	tests/data/sample.folded
