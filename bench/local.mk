# Benchmarks (built with make, run by hand; see bench/README.md).
EXTRA_DIST += bench/README.md

noinst_PROGRAMS += bench/bench-ring
bench_bench_ring_SOURCES = bench/bench-ring.c
bench_bench_ring_LDADD = $(CTOP_LIBS)

noinst_PROGRAMS += bench/bench-engine
bench_bench_engine_SOURCES = bench/bench-engine.c
bench_bench_engine_LDADD = $(CTOP_LIBS)
