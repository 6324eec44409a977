# Shared test support, targets and integration scripts.

# The unprivileged tier (issue 16): ctop-prof as a user without privileges
# on the user's own processes. As root each script runs it as
# CTOP_TEST_USER (default nobody) through setpriv; as a user, as that user.
UNPRIV_TESTS = \
	tests/unpriv/run-unpriv-backend.sh \
	tests/unpriv/run-unpriv-gates.sh \
	tests/unpriv/run-unpriv-tui.sh \
	tests/unpriv/run-unpriv-repeat.sh
SCRIPT_TESTS += $(UNPRIV_TESTS)
EXTRA_DIST += $(UNPRIV_TESTS) tests/unpriv/unpriv-lib.sh
