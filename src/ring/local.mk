# ring module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += src/ring/ring.c

check_PROGRAMS += tests/unit/test-ring tests/unit/test-ring-stress
tests_unit_test_ring_SOURCES = tests/unit/test-ring.c tests/tap.h
tests_unit_test_ring_LDADD = $(CTOP_LIBS)
tests_unit_test_ring_stress_SOURCES = tests/unit/test-ring-stress.c tests/tap.h
tests_unit_test_ring_stress_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-ring tests/unit/test-ring-stress
