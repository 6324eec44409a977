# SPDX-License-Identifier: MIT
# Helpers of the --push tests (sourced after lib.sh): a loopback Pyroscope
# stand-in (pyroscope-server.py) started and stopped by the test, and
# checks over the JSON lines it records.
command -v python3 >/dev/null || skip_all "python3 not installed"
PUSH_SERVER=$top_srcdir/tests/integration/pyroscope-server.py
: "${PUSH_SERVER_N:=0}"

# start_server PLAN [PORT]: starts a server answering by PLAN ("200",
# "503*3,200", "401", "hang:60") on PORT (default: a free one); sets
# SRV_PID, PORT and SRV_LOG (its records). With SRV_SAVE set to a
# directory, the server keeps each pprof body there.
start_server() {
	PUSH_SERVER_N=$((PUSH_SERVER_N + 1))
	local pf=$WORKDIR/port.$PUSH_SERVER_N
	SRV_LOG=$WORKDIR/ingest.$PUSH_SERVER_N.jsonl
	: >"$SRV_LOG"
	python3 "$PUSH_SERVER" --port "${2:-0}" --port-file "$pf" \
		--log "$SRV_LOG" --plan "$1" ${SRV_SAVE:+--save-dir "$SRV_SAVE"} &
	SRV_PID=$!
	cleanup_pid "$SRV_PID"
	wait_for 10 test -s "$pf" || return 1
	PORT=$(cat "$pf")
}
stop_server() { kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; }

# free_port: a port nothing listens on now (bound, then closed).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# push_py SCRIPT ARGS...: runs a Python check over the records; the
# script gets recs (every request, in arrival order), ok (the 200s,
# sorted by from) and sys.argv. It prints one line and exits 0 or 1.
push_py() {
	local script=$1; shift
	python3 - "$SRV_LOG" "$@" <<EOF_PY
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = sorted((r for r in recs if r["code"] == 200),
            key=lambda r: int(r["query"]["from"]))
argv = sys.argv[1:]
$script
EOF_PY
}

# Checks: intervals contiguous (each 'until' is the next 'from'), none
# empty or reversed.
contiguous_py='
bad = [(a["query"]["from"], a["query"]["until"], b["query"]["from"])
       for a, b in zip(ok, ok[1:])
       if a["query"]["until"] != b["query"]["from"]]
bad += [r["query"] for r in ok
        if int(r["query"]["until"]) <= int(r["query"]["from"])]
print("%d intervals, %s" % (len(ok), "contiguous" if not bad else
      "gaps or overlaps: %s" % bad[:3]))
sys.exit(1 if bad or not ok else 0)'

# Checks: the pushed stacks add up to the folded file argv[1] exactly.
sums_py='
pushed = {}
for r in ok:
    for k, v in r["stacks"].items():
        pushed[k] = pushed.get(k, 0) + v
snap = {}
for line in open(argv[1]):
    k, _, n = line.rstrip("\n").rpartition(" ")
    snap[k] = snap.get(k, 0) + int(n)
diff = {k: (pushed.get(k, 0), snap.get(k, 0))
        for k in set(pushed) | set(snap) if pushed.get(k, 0) != snap.get(k, 0)}
print("pushed %d samples in %d stacks, snapshot %d in %d; %d differ %s" % (
      sum(pushed.values()), len(pushed), sum(snap.values()), len(snap),
      len(diff), list(diff.items())[:2]))
sys.exit(1 if diff or not snap else 0)'
