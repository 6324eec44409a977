# doctor module (--check, issue 15): sources go into libctop.a; tests into
# check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/doctor/doctor.c \
	src/doctor/packages.c
noinst_HEADERS += include/ctop/doctor.h src/doctor/packages.h

check_PROGRAMS += tests/unit/test-doctor
tests_unit_test_doctor_SOURCES = tests/unit/test-doctor.c tests/tap.h
tests_unit_test_doctor_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-doctor

SCRIPT_TESTS += tests/integration/run-check.sh
EXTRA_DIST += tests/integration/run-check.sh
