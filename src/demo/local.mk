# demo module: the ctop-demo workload (installed) and the accuracy targets
# under tests/targets. They are built -O2 -g and never with the sanitizer
# flags: they are profiled, not tested, and must look like ordinary
# programs. Per-target CFLAGS/LDFLAGS replace AM_CFLAGS/AM_LDFLAGS.
DEMO_CC_OPTS = $(WARN_CFLAGS) -O2 -g

bin_PROGRAMS += ctop-demo
ctop_demo_SOURCES = src/demo/demo.c
ctop_demo_CFLAGS = $(DEMO_CC_OPTS)
ctop_demo_LDFLAGS =

check_PROGRAMS += tests/targets/ratio
tests_targets_ratio_SOURCES = tests/targets/ratio.c tests/targets/cpu_report.h
tests_targets_ratio_CFLAGS = $(DEMO_CC_OPTS)
tests_targets_ratio_LDFLAGS =

check_PROGRAMS += tests/targets/named_threads
tests_targets_named_threads_SOURCES = tests/targets/named_threads.c
tests_targets_named_threads_CFLAGS = $(DEMO_CC_OPTS) $(PTHREAD_CFLAGS)
tests_targets_named_threads_LDFLAGS =
tests_targets_named_threads_LDADD = $(PTHREAD_LIBS)

# The man page lists every option and key of the interface.
SCRIPT_TESTS += tests/integration/run-man.sh
EXTRA_DIST += tests/integration/run-man.sh

# ctop-demo and the targets do what their --help and comments say.
SCRIPT_TESTS += tests/integration/run-demo.sh
EXTRA_DIST += tests/integration/run-demo.sh

# ctop-demo.py, the same backtest in Python: copied into the build tree
# beside ctop-demo (build/ctop-demo.py runs like build/ctop-demo) and
# installed beside it.
bin_SCRIPTS += ctop-demo.py
CLEANFILES += ctop-demo.py
EXTRA_DIST += src/demo/ctop-demo.py
ctop-demo.py: $(top_srcdir)/src/demo/ctop-demo.py
	$(AM_V_GEN)rm -f $@ && cp $(top_srcdir)/src/demo/ctop-demo.py $@ && \
		chmod +x $@

# ctop-demo.py does what its --help says; profiled, its hot spots are the
# widest Python frames.
SCRIPT_TESTS += tests/integration/run-demo-py.sh
EXTRA_DIST += tests/integration/run-demo-py.sh
