# cli module: options, launch/attach, signals, exit codes; the program.
libctop_a_SOURCES += \
	src/cli/launch.c \
	src/cli/launch.h \
	src/cli/options.c

check_PROGRAMS += tests/unit/test-options
tests_unit_test_options_SOURCES = tests/unit/test-options.c
tests_unit_test_options_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-options

SCRIPT_TESTS += tests/integration/run-cli-errors.sh tests/integration/run-record.sh \
	tests/integration/run-batch.sh \
	tests/integration/run-hygiene.sh tests/integration/run-accuracy.sh
EXTRA_DIST += tests/integration/run-cli-errors.sh tests/integration/run-record.sh \
	tests/integration/run-batch.sh \
	tests/integration/run-hygiene.sh tests/integration/run-accuracy.sh
