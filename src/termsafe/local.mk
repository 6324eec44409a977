# termsafe module (escaping outside text for terminals): sources go into
# libctop.a; its unit test into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += src/termsafe/termsafe.c
noinst_HEADERS += include/ctop/termsafe.h

check_PROGRAMS += tests/unit/test-termsafe
tests_unit_test_termsafe_SOURCES = tests/unit/test-termsafe.c
tests_unit_test_termsafe_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-termsafe

# A target named to attack the terminal (process name and ELF symbol)
# and the tests that it never does, through batch, the recording summary,
# errors, -v and --load.
check_PROGRAMS += tests/targets/termesc
tests_targets_termesc_SOURCES = tests/targets/termesc.c
tests_targets_termesc_CFLAGS = -O2 -g
tests_targets_termesc_LDFLAGS =
SCRIPT_TESTS += tests/integration/run-termsafe.sh
EXTRA_DIST += tests/integration/run-termsafe.sh
SCRIPT_TESTS += tests/tui/run-tui-termsafe.sh
EXTRA_DIST += tests/tui/run-tui-termsafe.sh
