# termsafe module (escaping outside text for terminals): sources go into
# libctop.a; its unit test into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += src/termsafe/termsafe.c
noinst_HEADERS += include/ctop/termsafe.h

check_PROGRAMS += tests/unit/test-termsafe
tests_unit_test_termsafe_SOURCES = tests/unit/test-termsafe.c
tests_unit_test_termsafe_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-termsafe
