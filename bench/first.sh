#!/bin/bash
# SPDX-License-Identifier: MIT
# The first screen and memory (issue 17 goal 4): how long after attach the
# first table comes, and ctop-prof's peak memory, on programs nobody here
# wrote and on a process with 200 mapped libraries, beside perf in the
# same run. Each workload runs for longer than the measure; per program
# and round:
#   ctop-prof: `ctop-prof --batch -d DELAY -n 1 -p PID` (start-up, attach,
#              one window of DELAY seconds, symbols, the table, detach):
#              wall seconds and peak RSS;
#   perf:      `perf record --call-graph dwarf -p PID -- sleep DELAY`,
#              then `perf report --stdio`: the same question answered by
#              perf (its first table), wall seconds and peak RSS of the two.
# RUNS interleaved rounds, medians. Programs: ctop-demo, xz, sqlite3,
# cc1plus, python3 and node where installed, and libs200 (built here:
# a program that maps 200 shared libraries and spins in the last one).
# Usage: bench/first.sh [BUILD_DIR]   (env: RUNS=5 HZ=999 DELAY=0.5
#   BACKEND=auto PROGS="demo xz sqlite3 cc1plus python3 node libs200")
set -u
build=${1:-build}
RUNS=${RUNS:-5} HZ=${HZ:-999} DELAY=${DELAY:-0.5} BACKEND=${BACKEND:-auto}
PROGS=${PROGS:-demo xz sqlite3 cc1plus python3 node libs200}
ctop=$build/ctop-prof demo=$build/ctop-demo
[ -x "$ctop" ] && [ -x "$demo" ] || { echo "build first: $ctop, $demo"; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is needed (apt-get install time)"; exit 1; }
have_perf=$(command -v perf || true)
tmp=$(mktemp -d)
wpid=
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Workloads that run for tens of seconds (killed after the measure).
head -c 30000000 /dev/urandom | base64 >"$tmp/data.txt"
cat >"$tmp/work.sql" <<'SQL'
CREATE TABLE t(a INTEGER, b TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)
INSERT INTO t SELECT x, hex(randomblob(16)) FROM c;
CREATE INDEX ti ON t(b);
SELECT count(*) FROM t a JOIN t b ON a.b = b.b;
SQL
cat >"$tmp/work.py" <<'PY'
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
while True: fib(25)
PY
cat >"$tmp/work.js" <<'JS'
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
for (;;) fib(30);
JS
# cc1plus: a translation unit that keeps it busy for several seconds.
{
	printf '#include <map>\n#include <regex>\n#include <string>\n#include <vector>\n#include <algorithm>\n#include <iostream>\n'
	for i in $(seq 1 60); do
		printf 'int f%d(){std::map<std::string,std::vector<int>> m; std::regex r("a+b%d"); for(auto&p:m) std::sort(p.second.begin(),p.second.end()); return (int)m.size()+std::regex_match("aab",r);}\n' "$i" "$i"
	done
	printf 'int main(){return f1();}\n'
} >"$tmp/w.cc"
cc1plus=$(g++ -print-prog-name=cc1plus 2>/dev/null)
g++ -E "$tmp/w.cc" -o "$tmp/w.ii" 2>/dev/null || cc1plus=
# libs200: 200 shared libraries, each with a function; the program calls
# through all of them once, then spins in the last.
build_libs200() {
	local d=$tmp/libs i
	mkdir -p "$d"
	for i in $(seq 1 200); do
		printf 'volatile unsigned long sink%d;\nvoid f%d(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink%d += i; }\n' "$i" "$i" "$i" >"$d/l$i.c"
		gcc -O1 -g -shared -fPIC -o "$d/libl$i.so" "$d/l$i.c" || return 1
	done
	{
		for i in $(seq 1 200); do printf 'void f%d(unsigned long);\n' "$i"; done
		printf 'int main(void) {\n'
		for i in $(seq 1 199); do printf '\tf%d(1000);\n' "$i"; done
		printf '\tfor (;;) f200(100000000);\n}\n'
	} >"$d/main.c"
	# shellcheck disable=SC2046
	gcc -O1 -g -o "$d/libs200" "$d/main.c" -L"$d" -Wl,-rpath,"$d" \
		$(for i in $(seq 1 200); do printf -- '-ll%d ' "$i"; done)
}

# start_workload NAME: starts it in the background (wpid), or returns 1
# when it is not installed here.
start_workload() {
	case $1 in
	demo) "$demo" >/dev/null 2>&1 & ;;
	xz) command -v xz >/dev/null || return 1
		xz -T1 -9 -c "$tmp/data.txt" >/dev/null & ;;
	sqlite3) command -v sqlite3 >/dev/null || return 1
		sqlite3 :memory: <"$tmp/work.sql" >/dev/null & ;;
	cc1plus) [ -n "$cc1plus" ] || return 1
		"$cc1plus" -quiet -O2 -fpreprocessed "$tmp/w.ii" -o /dev/null >/dev/null 2>&1 & ;;
	python3) command -v python3 >/dev/null || return 1
		python3 "$tmp/work.py" & ;;
	node) command -v node >/dev/null || return 1
		node "$tmp/work.js" & ;;
	libs200) [ -x "$tmp/libs/libs200" ] || return 1
		"$tmp/libs/libs200" & ;;
	*) return 1 ;;
	esac
	wpid=$!
	sleep 0.5	# past its start-up
	kill -0 "$wpid" 2>/dev/null
}

stop_workload() {
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	wpid=
}

# One measure: "wall_s peak_kb" of the command, and its output in $tmp/out.
timed() {
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	cat "$tmp/time"
	return $rc
}

case " $PROGS " in *" libs200 "*) build_libs200 2>"$tmp/libs.err" ||
	echo "libs200 not built: $(head -c 200 "$tmp/libs.err")" ;; esac
for r in $(seq 1 "$RUNS"); do
	for p in $PROGS; do
		start_workload "$p" || { stop_workload; continue; }
		if t=$(timed "$ctop" --batch --backend "$BACKEND" -F "$HZ" \
		    -d "$DELAY" -n 1 -p "$wpid") &&
		    grep -q '^ *[0-9.]\+%\? ' "$tmp/out"; then
			echo "$t" >>"$tmp/$p.ctop"
		else
			echo "round $r $p: ctop-prof: $(head -c 300 "$tmp/err")"
		fi
		if [ -n "$have_perf" ] && kill -0 "$wpid" 2>/dev/null; then
			t=$(timed sh -c "perf record -q -F $HZ --call-graph dwarf \
			    -p $wpid -o '$tmp/p.data' -- sleep $DELAY &&
			    perf report -i '$tmp/p.data' --stdio 2>/dev/null |
			    grep -v '^#' | grep -q '%'") &&
				echo "$t" >>"$tmp/$p.perf"
		fi
		stop_workload
	done
	echo "round $r of $RUNS done"
done

echo
echo "first table after attach, -d $DELAY, $HZ Hz, medians of $RUNS interleaved rounds:"
printf '%-9s %10s %10s %11s %11s %10s\n' program ctop_s perf_s ctop_RSS_MB perf_RSS_MB ctop/perf
for p in $PROGS; do
	[ -f "$tmp/$p.ctop" ] || { printf '%-9s  not installed or failed\n' "$p"; continue; }
	cs=$(awk '{ print $1 }' "$tmp/$p.ctop" | median)
	cm=$(awk '{ print $2 / 1024 }' "$tmp/$p.ctop" | median)
	ps=- pm=-
	if [ -f "$tmp/$p.perf" ]; then
		ps=$(awk '{ print $1 }' "$tmp/$p.perf" | median)
		pm=$(awk '{ print $2 / 1024 }' "$tmp/$p.perf" | median)
	fi
	printf '%-9s %10s %10s %11.1f %11s %10s\n' "$p" "$cs" "$ps" "$cm" \
		"$([ "$pm" = - ] && echo - || printf '%.1f' "$pm")" \
		"$(awk -v a="$cs" -v b="$ps" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "-" }')"
done
