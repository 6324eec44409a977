#!/bin/bash
# SPDX-License-Identifier: MIT
# The 15-second version of tests/long/run-soak.sh for make check: fds,
# threads and RSS of ctop-prof under thread churn.
SOAK_SECONDS=${SOAK_SECONDS:-15} exec bash "$(dirname "$0")/../long/run-soak.sh"
