# SPDX-License-Identifier: MIT
# Reliability, safety and bad-input tests (issue 6): target safety
# whichever way ctop-prof ends, signals, target lifecycle, bad input,
# resource bounds, security, permission gates. The *-perf scripts run the
# same checks on the perf backend (skipped where perf_event_open is
# refused). Fast ones run in `make check`; soak and scale runs in
# `make check-long`.

# Targets: -O2 -g, no sanitizer flags (they are profiled, not tested).
RELIAB_CC_OPTS = $(WARN_CFLAGS) -O2 -g

check_PROGRAMS += tests/targets/lifecycle tests/targets/longname
tests_targets_lifecycle_SOURCES = tests/targets/lifecycle.c tests/targets/cpu_report.h
tests_targets_lifecycle_CFLAGS = $(RELIAB_CC_OPTS) $(PTHREAD_CFLAGS)
tests_targets_lifecycle_LDFLAGS =
tests_targets_lifecycle_LDADD = $(PTHREAD_LIBS)
tests_targets_longname_SOURCES = tests/targets/longname.cc
tests_targets_longname_CXXFLAGS = -O2 -g
tests_targets_longname_LDFLAGS =
# A launcher that makes perf_event_open, or ptrace and process_vm_readv,
# fail with EPERM (a container's seccomp profile, simulated).
check_PROGRAMS += tests/targets/seccomp-deny
tests_targets_seccomp_deny_SOURCES = tests/targets/seccomp-deny.c
tests_targets_seccomp_deny_CFLAGS = $(RELIAB_CC_OPTS)
tests_targets_seccomp_deny_LDFLAGS =

RELIAB_TESTS = \
	tests/integration/run-lifecycle.sh \
	tests/integration/run-signals.sh \
	tests/integration/run-signals-perf.sh \
	tests/integration/run-lifecycle-perf.sh \
	tests/integration/run-seccomp.sh \
	tests/integration/run-badinput.sh \
	tests/integration/run-security.sh \
	tests/integration/run-debug-cache.sh \
	tests/integration/run-soak-short.sh \
	tests/tui/run-hangup.sh
SCRIPT_TESTS += $(RELIAB_TESTS)
EXTRA_DIST += $(RELIAB_TESTS)

RELIAB_LONG_TESTS = \
	tests/long/run-soak.sh \
	tests/long/run-kill-loop.sh \
	tests/long/run-dlopen-churn.sh
LONG_TESTS += $(RELIAB_LONG_TESTS)
EXTRA_DIST += $(RELIAB_LONG_TESTS)
