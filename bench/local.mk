# Benchmarks (built with make, run by hand; see bench/README.md).
EXTRA_DIST += bench/README.md

noinst_PROGRAMS += bench/bench-ring
bench_bench_ring_SOURCES = bench/bench-ring.c
bench_bench_ring_LDADD = $(CTOP_LIBS)

noinst_PROGRAMS += bench/bench-engine
bench_bench_engine_SOURCES = bench/bench-engine.c
bench_bench_engine_LDADD = $(CTOP_LIBS)

# perf backend benchmarks (bench/bench-perf.sh): a fixed-work target.
noinst_PROGRAMS += bench/bench-work
bench_bench_work_SOURCES = bench/bench-work.c
bench_bench_work_CFLAGS = -O2 -g -pthread
bench_bench_work_LDFLAGS = -pthread
EXTRA_DIST += bench/bench-perf.sh bench/bench-python.sh
EXTRA_DIST += bench/bench-push.sh
EXTRA_DIST += bench/realprogs.sh
EXTRA_DIST += bench/budget.sh
EXTRA_DIST += bench/all-scale.sh bench/compare-perf.sh bench/stack-auto.sh
EXTRA_DIST += bench/stack-depth.sh bench/precision.sh bench/workloads.sh
EXTRA_DIST += bench/pause.sh bench/wire.sh bench/first.sh bench/round2.sh
EXTRA_DIST += bench/self.sh bench/wakeups.sh bench/memory.sh
