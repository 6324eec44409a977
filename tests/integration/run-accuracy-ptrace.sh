#!/bin/bash
# SPDX-License-Identifier: MIT
# The engine's accuracy checks (run-accuracy.sh) forced onto the ptrace
# backend: where perf is permitted, auto (the default) picks perf.
here=$(dirname "$0")
CTOP_BACKEND_ARGS="--backend ptrace" exec bash "$here/run-accuracy.sh"
