# Benchmarks (built with make, run by hand; see bench/README.md).
