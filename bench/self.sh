#!/bin/bash
# SPDX-License-Identifier: MIT
# Where ctop-prof's own CPU goes (issue 17, goal 3): ctop-prof profiling
# ctop-prof. An observer (perf backend, launch mode, so start-up is in
# it) runs the subject, `ctop-prof -p TARGET -F HZ --duration SECS -o
# FILE` on tests/targets/ratio, and writes the folded profile OUT. Then,
# per thread of the subject (ctop-sampler, ctop-worker, main: start-up,
# the end and the output; told apart by their start functions), its share
# of the subject's samples and its hottest functions by self time; and the
# share of the whole spent loading what names frames (libdw's symbol
# tables and debug info, /proc/kallsyms), which a run pays once.
# Usage: bench/self.sh [BUILD_DIR]
#   (env: SECS=5 HZ=999 BACKEND=perf OHZ=999 OUT=self.folded TOP=8)
set -u
build=${1:-build}
SECS=${SECS:-5} HZ=${HZ:-999} BACKEND=${BACKEND:-perf} OHZ=${OHZ:-999}
OUT=${OUT:-self.folded} TOP=${TOP:-8}
ctop=$build/ctop-prof target=$build/tests/targets/ratio
[ -x "$ctop" ] && [ -x "$target" ] || { echo "build first: $ctop, $target"; exit 1; }
ctop=$(cd "$(dirname "$ctop")" && pwd)/ctop-prof
tmp=$(mktemp -d)
trap 'kill $t 2>/dev/null; rm -rf "$tmp"' EXIT

"$target" --seconds 100000 >/dev/null 2>&1 &
t=$!
sleep 0.5
"$ctop" --backend perf -F "$OHZ" -o "$OUT" -- \
	"$ctop" --backend "$BACKEND" -p "$t" -F "$HZ" --duration "$SECS" \
	-o "$tmp/subject.folded" 2>"$tmp/observer.err" >/dev/null
rc=$?
[ "$rc" = 0 ] && [ -s "$OUT" ] || { echo "the observer failed ($rc):"; cat "$tmp/observer.err"; exit 1; }
echo "subject: ctop-prof --backend $BACKEND -p (ratio) -F $HZ --duration $SECS; observer at $OHZ Hz; folded profile in $OUT"
awk -v top="$TOP" '
function thread_of(s) {
	if (index(s, ";sampler_thread_main;")) return "ctop-sampler"
	if (index(s, ";worker_main;")) return "ctop-worker"
	if (index(s, ";push_main;")) return "ctop-push"
	return "main"
}
{
	n = $NF; s = $0; sub(/ [0-9]+$/, "", s); s = s ";"
	k = split(s, f, ";"); leaf = f[k - 1]
	th = thread_of(s); total += n; by[th] += n; self[th SUBSEP leaf] += n
	# Loading what names frames, once per module: the symbol tables
	# and debug info (and their decompression), the kernel symbols.
	if (index(s, ";dwfl_module_getdwarf;") || index(s, ";dwfl_module_getsymtab;") ||
	    index(s, ";dwfl_linux_proc_report;"))
		dbg += n
	if (index(s, ";kallsyms_load_file;"))
		ksyms += n
}
END {
	if (!total) { print "no samples"; exit 1 }
	printf "%d samples of the subject; loading symbol tables and debug info: %.1f%%, kernel symbols: %.1f%%\n",
		total, 100 * dbg / total, 100 * ksyms / total
	for (th in by) printf "%s %d\n", th, by[th] | "sort -k2 -n -r > \"'"$tmp"'/threads\""
	close("sort -k2 -n -r > \"'"$tmp"'/threads\"")
	while ((getline line < "'"$tmp"'/threads") > 0) {
		split(line, a, " "); th = a[1]
		printf "\n%-13s %5.1f%% of the samples; self, hottest first:\n", th, 100 * a[2] / total
		m = 0
		for (key in self) { split(key, b, SUBSEP); if (b[1] == th) { m++; nm[m] = b[2]; v[m] = self[key] } }
		for (i = 1; i <= m && i <= top; i++) {
			best = i
			for (j = i + 1; j <= m; j++) if (v[j] > v[best]) best = j
			x = nm[i]; nm[i] = nm[best]; nm[best] = x
			x = v[i]; v[i] = v[best]; v[best] = x
			printf "  %5.1f%%  %s\n", 100 * v[i] / total, substr(nm[i], 1, 70)
		}
	}
}' "$OUT"
