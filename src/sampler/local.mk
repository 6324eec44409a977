# sampler module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/sampler/access.c \
	src/sampler/budget.c \
	src/sampler/gates.c \
	src/sampler/maps_watch.c \
	src/sampler/procfs.c \
	src/sampler/ptrace_attach.c \
	src/sampler/ptrace_backend.c \
	src/sampler/ptrace_children.c \
	src/sampler/ptrace_threads.c \
	src/sampler/python_side.c \
	src/sampler/sampler.c \
	src/sampler/stack_auto.c
noinst_HEADERS += src/sampler/internal.h src/sampler/gates.h

# Unit test: runs the sampler against the real targets below.
check_PROGRAMS += tests/unit/test-sampler
tests_unit_test_sampler_SOURCES = \
	tests/unit/test-sampler.c \
	tests/unit/sampler-util.c \
	tests/unit/sampler-util.h
tests_unit_test_sampler_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_sampler_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-sampler

# Targets: built -O2 -g without sanitizers (they are profiled, not tested).
check_PROGRAMS += \
	tests/targets/forkchurn \
	tests/targets/forker \
	tests/targets/forklat \
	tests/targets/sigcount \
	tests/targets/spin \
	tests/targets/threadchurn
tests_targets_forkchurn_SOURCES = tests/targets/forkchurn.c
tests_targets_forkchurn_CFLAGS = -O2 -g -pthread
tests_targets_forkchurn_LDFLAGS = -pthread
tests_targets_forklat_SOURCES = tests/targets/forklat.c
tests_targets_forklat_CFLAGS = -O2 -g
tests_targets_forklat_LDFLAGS =
tests_targets_forker_SOURCES = tests/targets/forker.c
tests_targets_forker_CFLAGS = -O2 -g
tests_targets_forker_LDFLAGS =
tests_targets_sigcount_SOURCES = tests/targets/sigcount.c
tests_targets_sigcount_CFLAGS = -O2 -g
tests_targets_sigcount_LDFLAGS =
tests_targets_spin_SOURCES = tests/targets/spin.c
tests_targets_spin_CFLAGS = -O2 -g -pthread
tests_targets_spin_LDFLAGS = -pthread
tests_targets_threadchurn_SOURCES = tests/targets/threadchurn.c
tests_targets_threadchurn_CFLAGS = -O2 -g -pthread
tests_targets_threadchurn_LDFLAGS = -pthread

# perf_event backend.
libctop_a_SOURCES += \
	src/sampler/perf_backend.c \
	src/sampler/perf_calib.c \
	src/sampler/perf_open.c \
	src/sampler/perf_parse.c
noinst_HEADERS += src/sampler/perf_internal.h

# Unit test of the overhead budget's rule.
check_PROGRAMS += tests/unit/test-budget
tests_unit_test_budget_SOURCES = tests/unit/test-budget.c
tests_unit_test_budget_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_budget_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-budget

# Unit test of the ptrace sampler's schedule (the gaps between samples).
check_PROGRAMS += tests/unit/test-schedule
tests_unit_test_schedule_SOURCES = tests/unit/test-schedule.c
tests_unit_test_schedule_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_schedule_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-schedule

# Unit test of --stack-size auto's rule.
check_PROGRAMS += tests/unit/test-stack-auto
tests_unit_test_stack_auto_SOURCES = tests/unit/test-stack-auto.c
tests_unit_test_stack_auto_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_stack_auto_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-stack-auto

# Unit test of the permission gates: every cause from simulated facts.
check_PROGRAMS += tests/unit/test-gates
tests_unit_test_gates_SOURCES = tests/unit/test-gates.c
tests_unit_test_gates_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_gates_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-gates

# Unit test of the perf backend: decoder, then real targets when permitted.
check_PROGRAMS += tests/unit/test-perf
tests_unit_test_perf_SOURCES = \
	tests/unit/test-perf.c \
	tests/unit/sampler-util.c \
	tests/unit/sampler-util.h
tests_unit_test_perf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_perf_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-perf

# perf backend end to end, and the engine's checks on each backend.
SCRIPT_TESTS += tests/integration/run-perf.sh \
	tests/integration/run-accuracy-perf.sh \
	tests/integration/run-record-perf.sh \
	tests/integration/run-accuracy-ptrace.sh
EXTRA_DIST += tests/integration/run-perf.sh \
	tests/integration/run-accuracy-perf.sh \
	tests/integration/run-record-perf.sh \
	tests/integration/run-accuracy-ptrace.sh \
	tests/integration/perf-lib.sh
SCRIPT_TESTS += tests/integration/run-rate.sh
EXTRA_DIST += tests/integration/run-rate.sh
SCRIPT_TESTS += tests/integration/run-record-naps.sh
EXTRA_DIST += tests/integration/run-record-naps.sh
SCRIPT_TESTS += tests/integration/run-budget.sh
EXTRA_DIST += tests/integration/run-budget.sh
SCRIPT_TESTS += tests/integration/run-stack-auto.sh
EXTRA_DIST += tests/integration/run-stack-auto.sh
check_PROGRAMS += tests/targets/deepstack
tests_targets_deepstack_SOURCES = tests/targets/deepstack.c
tests_targets_deepstack_CFLAGS = -O2 -g -fomit-frame-pointer -pthread
tests_targets_deepstack_LDFLAGS = -pthread
SCRIPT_TESTS += tests/integration/run-children.sh \
	tests/integration/run-children-ptrace.sh \
	tests/integration/run-children-python.sh
EXTRA_DIST += tests/integration/run-children.sh \
	tests/integration/run-children-ptrace.sh tests/targets/py_pool.py \
	tests/integration/run-children-python.sh tests/targets/py_children.py
SCRIPT_TESTS += tests/integration/run-all.sh
EXTRA_DIST += tests/integration/run-all.sh
# A target gone before the worker's first record (holdthread holds the
# worker thread stopped meanwhile).
check_PROGRAMS += tests/targets/holdthread
tests_targets_holdthread_SOURCES = tests/targets/holdthread.c
tests_targets_holdthread_CFLAGS = -O2 -g
tests_targets_holdthread_LDFLAGS =
SCRIPT_TESTS += tests/integration/run-gone-early.sh
EXTRA_DIST += tests/integration/run-gone-early.sh
