# profile module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/profile/diff.c \
	src/profile/internal.h \
	src/profile/profile.c \
	src/profile/view.c

check_PROGRAMS += tests/unit/test-profile
tests_unit_test_profile_SOURCES = tests/unit/test-profile.c tests/tap.h
tests_unit_test_profile_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-profile
