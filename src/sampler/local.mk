# sampler module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
