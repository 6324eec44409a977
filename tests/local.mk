# Shared test support, targets and integration scripts.

# ptrace cpu mode weighs samples by CPU time (issue 16): three threads of
# measured shares on one CPU, on both backends.
check_PROGRAMS += tests/targets/cpushare
tests_targets_cpushare_SOURCES = tests/targets/cpushare.c
tests_targets_cpushare_CFLAGS = $(WARN_CFLAGS) -O2 -g $(PTHREAD_CFLAGS)
tests_targets_cpushare_LDFLAGS =
tests_targets_cpushare_LDADD = $(PTHREAD_LIBS)
SCRIPT_TESTS += tests/integration/run-cputime.sh
EXTRA_DIST += tests/integration/run-cputime.sh

# Job control (issue 16): Ctrl-Z / kill -TSTP release the target before
# ctop-prof stops, in a recording (both backends) and in the TUI.
SCRIPT_TESTS += tests/integration/run-jobctl.sh tests/tui/run-jobctl.sh
EXTRA_DIST += tests/integration/run-jobctl.sh tests/tui/run-jobctl.sh
