# Shared test support, targets and integration scripts.
# --output and the command's output never harm the user's files.
SCRIPT_TESTS += tests/integration/run-output.sh tests/tui/run-launch-output.sh
EXTRA_DIST += tests/integration/run-output.sh tests/tui/run-launch-output.sh
