# Shared test support, targets and integration scripts.

# The fresh-machine check: the README's two commands in a debootstrapped
# Debian 12 (minutes and a download), so only under make check-long.
LONG_TESTS += tests/fresh/run.sh
EXTRA_DIST += tests/fresh/run.sh

# The include graph against docs/ARCHITECTURE.md (also `make check-deps`).
SCRIPT_TESTS += tests/check-deps.sh

# --output and the command's output never harm the user's files.
SCRIPT_TESTS += tests/integration/run-output.sh tests/tui/run-launch-output.sh
EXTRA_DIST += tests/integration/run-output.sh tests/tui/run-launch-output.sh

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
SCRIPT_TESTS += tests/integration/run-jobctl.sh tests/tui/run-tui-jobctl.sh
EXTRA_DIST += tests/integration/run-jobctl.sh tests/tui/run-tui-jobctl.sh

# The unprivileged tier (issue 16): ctop-prof as a user without privileges
# on the user's own processes. As root each script runs it as
# CTOP_TEST_USER (default nobody) through setpriv; as a user, as that user.
UNPRIV_TESTS = \
	tests/unpriv/run-unpriv-backend.sh \
	tests/unpriv/run-unpriv-gates.sh \
	tests/unpriv/run-unpriv-tui.sh \
	tests/unpriv/run-unpriv-repeat.sh
SCRIPT_TESTS += $(UNPRIV_TESTS)
EXTRA_DIST += $(UNPRIV_TESTS) tests/unpriv/unpriv-lib.sh

# pprof output read back by go tool pprof (issue 12); skips without go.
SCRIPT_TESTS += tests/integration/run-pprof.sh
EXTRA_DIST += tests/integration/run-pprof.sh

# speedscope output against the file format's schema (issue 12).
SCRIPT_TESTS += tests/integration/run-speedscope.sh
EXTRA_DIST += tests/integration/run-speedscope.sh

# --load of every format (round trips, a Go pprof, perf script, bad input).
SCRIPT_TESTS += tests/integration/run-load.sh
EXTRA_DIST += tests/integration/run-load.sh tests/go/cpuprof.go

# --diff BEFORE AFTER, --fail-above: exact shares, the demo (issue 14).
SCRIPT_TESTS += tests/integration/run-diff.sh
EXTRA_DIST += tests/integration/run-diff.sh

# SVG flame graph output: XML, titles, widths, escaping; chromium if any.
SCRIPT_TESTS += tests/integration/run-svg.sh
EXTRA_DIST += tests/integration/run-svg.sh
