#!/bin/bash
# SPDX-License-Identifier: MIT
# Node.js, a runtime nobody here wrote: a script whose time goes to one
# JS function, hotLoop, run under `node --perf-basic-prof`, which writes
# /tmp/perf-PID.map for V8's JIT code. On each backend the samples under
# a JIT frame named as V8 writes it ("JS:*hotLoop ..." from V8 11, node
# 20; "LazyCompile:*hotLoop ..." before, Debian 12's node 18) must be
# at least MIN_HOT percent, and no frame may be named by an absolute
# address ("node+0x7f..."): a module frame is module+FILE_OFFSET, inside
# the file. And at least MIN_START percent of the stacks must reach _start:
# V8's JIT code and builtins have no unwind tables, the unwinder steps
# through them by frame pointer. The same script without the flag, a
# sorting one, is checked too (below). Skips, saying why, without node.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/perf-lib.sh"
export LC_ALL=C
MIN_HOT=80
MIN_START=95	# stacks that reach _start through JIT and builtin frames

command -v node >/dev/null || skip_all "node is not installed (Debian: nodejs)"
[ "$(uname -m)" = x86_64 ] || skip_all "the checks assume x86-64 V8 code"
ptrace_allowed || skip_all "ptrace not permitted here"

# hotLoop does all the work; driver and the top level only call it. Its
# pid goes to NODE_PIDS: the perf map node leaves is removed at the end.
export NODE_PIDS=$WORKDIR/node.pids
cat >"$WORKDIR/app.js" <<'JS'
require('fs').appendFileSync(process.env.NODE_PIDS, process.pid + '\n');
function hotLoop(n) {
	let s = 0;
	for (let i = 0; i < n; i++)
		s = (s + i * i) % 1000003;
	return s;
}
function driver() {
	let t = 0;
	for (let k = 0; k < 20; k++)
		t += hotLoop(100000);
	return t;
}
// Until argv[2] ms of the process's CPU time: a loaded machine gives it
// fewer samples, never a larger share of start-up.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const end = cpu() + Number(process.argv[2]);
let x = 0;
while (cpu() < end)
	x += driver();
process.exitCode = x > 0 ? 0 : 1;
JS

# Share (0-100) of the samples of folded FILE with a frame that matches
# the extended regular expression RE.
share_regex() {
	awk -v re="$2" '{
		n = $NF; total += n; line = $0; sub(/ [0-9]+$/, "", line)
		k = split(line, fr, ";"); hit = 0
		for (i = 1; i <= k; i++) if (fr[i] ~ re) hit = 1
		if (hit) m += n
	} END { if (total == 0) print 0; else printf "%.1f\n", 100 * m / total }' "$1"
}

# The module+0xOFFSET frames of FILE whose offset is past the module's
# file size (the module found with `command -v` or under /usr/lib).
bad_offsets() {
	grep -o '[A-Za-z0-9_.+-]*+0x[0-9a-f]*' "$1" | sort -u |
	while IFS=+ read -r mod off; do
		path=$(command -v "$mod" 2>/dev/null)
		[ -f "$path" ] || path=$(find /usr/lib /lib -name "$mod" 2>/dev/null | head -1)
		[ -f "$path" ] || continue
		[ $((off)) -lt "$(stat -L -c %s "$path")" ] || echo "$mod+$off"
	done
}

for backend in ptrace perf; do
	if [ "$backend" = perf ] && ! perf_allowed; then
		skip "perf backend: node --perf-basic-prof" "$PERF_WHY"
		continue
	fi
	f=$WORKDIR/$backend.folded
	# In WORKDIR: node leaves an isolate-*-v8.log in its directory.
	(cd "$WORKDIR" && "$CTOP" --backend "$backend" -F 499 --duration 60 \
		-o "$f" -- node --perf-basic-prof "$WORKDIR/app.js" 2500 \
		2>"$WORKDIR/err")
	rc=$?
	cleanup_node_maps "$NODE_PIDS"
	hot=$(share_regex "$f" '^(JS|LazyCompile):[*~^+]?hotLoop ')
	any=$(share_regex "$f" '_\[j\]$')
	n=$(folded_total "$f")
	[ "$rc" = 0 ] && [ "$n" -ge 200 ] &&
		awk -v h="$hot" -v m="$MIN_HOT" 'BEGIN { exit !(h >= m) }'
	ok $? "$backend: hotLoop's JIT frame in $hot% of $n samples (>= $MIN_HOT%; any JIT frame $any%), exit $rc" ||
		{ head -3 "$WORKDIR/err"; sort -t' ' -k2 -nr "$f" | head -3 | cut -c1-300; }
	start=$(folded_share "$f" _start)
	[ "$n" -ge 200 ] &&
		awk -v s="$start" -v m="$MIN_START" 'BEGIN { exit !(s >= m) }'
	ok $? "$backend: $start% of the stacks reach _start (>= $MIN_START%)" ||
		sort -t' ' -k2 -nr "$f" | grep -v ';_start;' | head -3 | cut -c1-300
	bad=$(bad_offsets "$f" | head -3)
	[ -z "$bad" ]
	ok $? "$backend: every module+0xOFFSET frame is inside its file${bad:+: not $bad}"
done

# Without --perf-basic-prof: JIT frames have no names, but V8's builtins
# (code in node's own text without CFI: the stacks of a sorting script
# ended at the first of them in 80% of samples) are named as perf names
# them (Builtins_*), and the frame chain goes on through them and the JIT
# code to _start (perf record --call-graph fp: 97%; dwarf: 60%).
cat >"$WORKDIR/sort.js" <<'JS'
function makeArray(n, seed) {
	const a = new Array(n);
	for (let i = 0; i < n; i++) {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		a[i] = seed;
	}
	return a;
}
function sortMany() {
	let t = 0;
	for (let k = 0; k < 20; k++) {
		const a = makeArray(20000, k + 1);
		a.sort((x, y) => x - y);
		t += a[0];
	}
	return t;
}
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const end = cpu() + Number(process.argv[2]);
let x = 0;
while (cpu() < end)
	x += sortMany();
process.exitCode = x >= 0 ? 0 : 1;
JS
MIN_BUILTINS=50
MIN_START_PLAIN=90
# V8's builtins have names only where node's V8 keeps its symbols (the
# nodejs build here; Debian 12's libnode.so.108 is stripped: perf cannot
# name them either). Where they have none only the walk is checked.
v8_module=$(ldd "$(command -v node)" 2>/dev/null | awk '/libnode/ { print $3 }')
[ -n "$v8_module" ] || v8_module=$(command -v node)
builtins_named=0
nm "$v8_module" 2>/dev/null | grep -q ' Builtins_' && builtins_named=1
for backend in ptrace perf; do
	if [ "$backend" = perf ] && ! perf_allowed; then
		skip "perf backend: node without --perf-basic-prof" "$PERF_WHY"
		continue
	fi
	f=$WORKDIR/$backend.plain.folded
	(cd "$WORKDIR" && "$CTOP" --backend "$backend" -F 499 --duration 60 \
		-o "$f" -- node "$WORKDIR/sort.js" 2500 2>"$WORKDIR/err")
	rc=$?
	n=$(folded_total "$f")
	b=$(share_regex "$f" '^Builtins_')
	# Main thread's stacks (V8's worker threads start at clone3).
	start=$(awk '{ n = $NF; if ($0 ~ /;(__GI___)?clone3?;/) next; t += n
		if ($0 ~ /;_start;/) m += n } END { printf "%.1f", t ? 100 * m / t : 0 }' "$f")
	mb=$MIN_BUILTINS
	[ "$builtins_named" = 1 ] || mb=0
	[ "$rc" = 0 ] && [ "$n" -ge 200 ] &&
		awk -v b="$b" -v s="$start" -v mb="$mb" -v ms="$MIN_START_PLAIN" \
		'BEGIN { exit !(b >= mb && s >= ms) }'
	ok $? "$backend, no perf map: a Builtins_ frame in $b% of $n samples (>= $mb%$( [ "$builtins_named" = 1 ] || echo ": $v8_module has no Builtins_ symbols")), $start% of the main thread's stacks reach _start (>= $MIN_START_PLAIN%), exit $rc" ||
		{ head -3 "$WORKDIR/err"; sort -t' ' -k2 -nr "$f" | grep -v ';_start;' | head -3 | cut -c1-300; }
	bad=$(bad_offsets "$f" | head -3)
	[ -z "$bad" ]
	ok $? "$backend, no perf map: every module+0xOFFSET frame is inside its file${bad:+: not $bad}"
done
done_testing
