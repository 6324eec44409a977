# Shared test support, targets and integration scripts.

# The fresh-machine check: the README's two commands in a debootstrapped
# Debian 12 (minutes and a download), so only under make check-long.
LONG_TESTS += tests/fresh/run.sh
EXTRA_DIST += tests/fresh/run.sh

# The include graph against docs/ARCHITECTURE.md (also `make check-deps`).
SCRIPT_TESTS += tests/check-deps.sh
