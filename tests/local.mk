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
