# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The short workloads of realprogs.sh, stack-auto.sh and stack-depth.sh,
# one to a few seconds of CPU each; sourced, not run.
# bench_workloads DIR [BYTES]: writes DIR/data.txt (xz's input: BYTES of
# random data in base64, 3000000 unless given), DIR/work.sql (sqlite3's)
# and DIR/w.ii (a preprocessed C++ file for cc1plus, where g++ is), and
# sets cc1plus to cc1plus's path (empty without g++).
bench_workloads() {
	head -c "${2:-3000000}" /dev/urandom | base64 >"$1/data.txt"
	cat >"$1/work.sql" <<'SQL'
CREATE TABLE t(a INTEGER, b TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)
INSERT INTO t SELECT x, hex(randomblob(16)) FROM c;
CREATE INDEX ti ON t(b);
SELECT count(*) FROM t a JOIN t b ON a.b = b.b;
SQL
	printf '#include <map>\n#include <regex>\n#include <random>\n#include <unordered_map>\n#include <functional>\n#include <string>\n#include <vector>\n#include <algorithm>\n#include <iostream>\nint main(){std::map<std::string,std::vector<int>> m; for(auto&p:m) std::sort(p.second.begin(),p.second.end()); std::cout<<m.size();}\n' >"$1/w.cc"
	g++ -E "$1/w.cc" -o "$1/w.ii" 2>/dev/null
	# shellcheck disable=SC2034 # for the caller
	cc1plus=$(g++ -print-prog-name=cc1plus 2>/dev/null)
}
