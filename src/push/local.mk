# push module (--push: intervals to a Pyroscope server over libcurl):
# sources go into libctop.a.
libctop_a_SOURCES += \
	src/push/encode.c \
	src/push/curl_dl.c \
	src/push/curl_dl.h \
	src/push/labels.c \
	src/push/push.c
noinst_HEADERS += include/ctop/push.h

# What reaches a Pyroscope stand-in (loopback, tests/integration/
# pyroscope-server.py): names, labels, auth, contiguous intervals, sums.
SCRIPT_TESTS += tests/integration/run-push.sh
EXTRA_DIST += tests/integration/run-push.sh tests/integration/push-lib.sh \
	tests/integration/pyroscope-server.py

# A server down at start, 503s, 401, a small queue, SIGTERM to an agent;
# a hung server under the TUI (tmux).
SCRIPT_TESTS += tests/integration/run-push-faults.sh tests/tui/run-push-tui.sh
EXTRA_DIST += tests/integration/run-push-faults.sh tests/tui/run-push-tui.sh

# Labels, URLs, intervals and the folded payload, without a network.
check_PROGRAMS += tests/unit/test-push
tests_unit_test_push_SOURCES = tests/unit/test-push.c tests/tap.h
tests_unit_test_push_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-push

# make check-long: ten minutes of pushes every second to a slow server.
LONG_TESTS += tests/long/run-push-soak.sh
EXTRA_DIST += tests/long/run-push-soak.sh

EXTRA_DIST += docs/FLEET.md docs/ctop-prof-push@.service
