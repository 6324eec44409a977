#!/bin/bash
# SPDX-License-Identifier: MIT
# Headless recording checks (run-record.sh) on the perf backend.
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/perf-lib.sh"
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"
rm -rf "$WORKDIR"
CTOP_BACKEND_ARGS="--backend perf" exec bash "$here/run-record.sh"
