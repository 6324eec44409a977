# Shared test support, targets and integration scripts.
