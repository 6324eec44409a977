#!/bin/bash
# SPDX-License-Identifier: MIT
# Signal checks (run-signals.sh) on the perf backend.
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/perf-lib.sh"
perf_allowed || skip_all "perf backend not usable here: $PERF_WHY"
rm -rf "$WORKDIR"
SIGNALS_BACKEND=perf exec bash "$here/run-signals.sh"
