#!/bin/bash
# SPDX-License-Identifier: MIT
# What --push costs and sends (docs/FLEET.md): ctop-demo profiled at 99 Hz
# for SECS (default 30) seconds, alternately without and with --push to
# the loopback Pyroscope stand-in (10 s intervals), ROUNDS (default 2)
# times each. Prints ctop-prof's CPU time and peak RSS per run, then
# every push: its interval, payload bytes, samples and unique stacks.
# Run from the build directory: bash ../bench/bench-push.sh
set -u
SECS=${SECS:-30}
ROUNDS=${ROUNDS:-2}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
B=$PWD
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-push.XXXXXX")
trap 'kill $srv $demo 2>/dev/null; rm -rf "$W"' EXIT
python3 "$top_srcdir/tests/integration/pyroscope-server.py" \
	--port-file "$W/port" --log "$W/log" --plan 200 &
srv=$!
"$B/ctop-demo" >/dev/null 2>&1 &
demo=$!
for _ in $(seq 50); do [ -s "$W/port" ] && break; sleep 0.1; done
port=$(cat "$W/port")
for _ in $(seq "$ROUNDS"); do
	for run in without with; do
		extra=()
		[ "$run" = with ] && extra=(--push "http://127.0.0.1:$port")
		/usr/bin/time -f "$run push: cpu %U s user + %S s sys, max RSS %M kB" \
			"$B/ctop-prof" -p "$demo" -F 99 -o "$W/out.folded" \
			--duration "$SECS" "${extra[@]}" 2>&1 | grep -v '^ctop-prof: '
	done
done
python3 - "$W/log" <<'EOF_PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    q = r["query"]
    print("push %s-%s (%2d s): %6d bytes, %4d samples, %3d stacks" % (
        q["from"], q["until"], int(q["until"]) - int(q["from"]), r["bytes"],
        sum(r["stacks"].values()), len(r["stacks"])))
EOF_PY
