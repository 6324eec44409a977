#!/bin/bash
# SPDX-License-Identifier: MIT
# --push (issue 13) against a loopback Pyroscope stand-in: what reaches the
# server (app name, labels, query, auth headers), intervals that cover the
# run without gaps or overlaps, and stacks that add up exactly to the same
# run's --output snapshot; the command line refuses what it must.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/integration/push-lib.sh"

# sort_folded FILE: its stacks summed and sorted, one "stack count" each.
sort_folded() {
	awk '{ n = $NF; sub(/ [0-9]+$/, ""); c[$0] += n }
	     END { for (s in c) print s " " c[s] }' "$1" | LC_ALL=C sort
}
export LC_ALL=C
ptrace_allowed || skip_all "ptrace not permitted here"
unset CTOP_PUSH_TOKEN CTOP_PUSH_USER CTOP_PUSH_PASSWORD CTOP_PUSH_TENANT

# Usage errors (exit 2, one line), before anything is attached.
"$CTOP" -p 1 --push 'http://u:hunter2@127.0.0.1:9/' 2>"$WORKDIR/err"
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$WORKDIR/err")" = 1 ] &&
	grep -q 'CTOP_PUSH_PASSWORD' "$WORKDIR/err" &&
	grep -q 'CTOP_PUSH_TOKEN' "$WORKDIR/err" && ! grep -q hunter2 "$WORKDIR/err"
ok $? "a URL with a password: exit 2 ($rc), one line naming the variables, password not echoed: $(cat "$WORKDIR/err")"
for bad in 'novalue' '1x=a' '__name__=a' 'pid=3' 'env=a b' 'env=a,b' 'env='; do
	"$CTOP" -p 1 --push http://127.0.0.1:9 --tag "$bad" 2>"$WORKDIR/err"
	rc=$?
	[ "$rc" = 2 ] && grep -q "^ctop-prof: bad --tag" "$WORKDIR/err"
	ok $? "--tag '$bad' refused with exit 2 ($rc): $(cat "$WORKDIR/err")"
done
"$CTOP" -p 1 --push ftp://127.0.0.1:9 2>"$WORKDIR/err"
[ $? = 2 ]; ok $? "--push ftp:// refused: $(cat "$WORKDIR/err")"
"$CTOP" -p 1 -b -n 0 2>"$WORKDIR/err"
[ $? = 2 ]; ok $? "-n 0 without --push refused: $(cat "$WORKDIR/err")"
"$CTOP" -p 1 --tag env=a 2>"$WORKDIR/err"
[ $? = 2 ]; ok $? "--tag without --push refused: $(cat "$WORKDIR/err")"

# libcurl is loaded when --push needs it, not at every start: without it
# ctop-prof runs, and --push says in one line what is missing, before it
# attaches or starts anything (exit 1; 125 when it would have launched).
! readelf -d "$CTOP" | grep -q 'NEEDED.*libcurl'
ok $? "ctop-prof does not need libcurl to start: $(readelf -d "$CTOP" | grep -c NEEDED) libraries named"
curl_so=$(ldconfig -p | awk '/libcurl\.so\.4 .*x86-64/ { print $NF; exit }')
curl_so=${curl_so:+$(readlink -f "$curl_so")}
if [ "$(id -u)" != 0 ] || [ -z "$curl_so" ] || ! unshare -m true 2>/dev/null; then
	skip "libcurl hidden" "needs root, unshare -m and libcurl.so.4"
else
	# In a mount namespace of its own, /dev/null stands for the library.
	unshare -m --propagation private sh -c '
		mount --bind /dev/null "$1" || exit 9
		"$2" -p 1 --push http://127.0.0.1:9 --batch -n 0 --duration 1 2>"$3/e1"
		echo $? >"$3/rc1"
		"$2" --push http://127.0.0.1:9 -b -n 0 -- touch "$3/ran" 2>"$3/e2"
		echo $? >"$3/rc2"
		"$2" --version >/dev/null; echo $? >"$3/rc3"' sh "$curl_so" "$CTOP" "$WORKDIR"
	[ "$(cat "$WORKDIR/rc1")" = 1 ] && [ "$(wc -l <"$WORKDIR/e1")" = 1 ] &&
		grep -q 'needs libcurl (the Debian package libcurl4)' "$WORKDIR/e1"
	ok $? "libcurl hidden, attach: exit $(cat "$WORKDIR/rc1"), one line: $(cat "$WORKDIR/e1")"
	[ "$(cat "$WORKDIR/rc2")" = 125 ] && [ ! -e "$WORKDIR/ran" ] &&
		grep -q 'needs libcurl' "$WORKDIR/e2"
	ok $? "libcurl hidden, launch: exit $(cat "$WORKDIR/rc2"), the command not started ($( [ -e "$WORKDIR/ran" ] && echo ran || echo 'not run'))"
	[ "$(cat "$WORKDIR/rc3")" = 0 ]
	ok $? "libcurl hidden: ctop-prof --version runs (exit $(cat "$WORKDIR/rc3"))"
fi

# Threads go as pprof sample labels (thread, thread_id): two workers that
# spin alike get about half the samples each (199 Hz for enough of them).
start_server 200 || skip_all "the test server did not start"
"$TARGETS/named_threads" --threads 2 --seconds 60 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
wait_until 5 '[ "$(ls /proc/$t/task 2>/dev/null | wc -l)" -ge 3 ]'
"$CTOP" -p "$t" --push "http://127.0.0.1:$PORT" --push-interval 1 \
	-F 199 --batch -n 0 --duration 2.5 2>"$WORKDIR/err"
ok $? "agent on two threads exits 0"
push_py '
th = {}
for r in ok:
    for k, v in r["threads"].items():
        th[k] = th.get(k, 0) + v
tot = sum(th.values())
print(", ".join("%s %.0f%%" % (k, 100.0 * v / tot) for k, v in
      sorted(th.items())) or "no thread labels", "of", tot)
# Half each, within three standard deviations of the samples taken (a
# loaded machine gives the workers fewer), and never tighter than 15 points.
tol = max(0.15, 1.5 / tot ** 0.5) if tot else 1
names = sorted(k.split(None, 1)[1] for k in th if th[k] > tot * (0.5 - tol))
sys.exit(0 if tot >= 30 and names == ["worker-1", "worker-2"] and
         all(abs(v / tot - 0.5) <= tol for k, v in th.items()
             if "worker" in k) else 1)' >"$WORKDIR/thr"
ok $? "thread labels: $(cat "$WORKDIR/thr")"
stop_server
kill "$t" 2>/dev/null

# A recording that also pushes, every second, with a token and a tenant.
SRV_SAVE=$WORKDIR/bodies
mkdir -p "$SRV_SAVE"
start_server 200 || skip_all "the test server did not start"
unset SRV_SAVE
# It lives past the test (26 s alone; 124 s once in the suite on a
# fresh machine): "healthy after three runs" must not find it ended by
# its own clock.
"$TARGETS/ratio" --seconds 600 >/dev/null 2>&1 &
t=$!
cleanup_pid "$t"
CTOP_PUSH_TOKEN=tok-123 CTOP_PUSH_TENANT=team-a "$CTOP" -p "$t" \
	--push "http://127.0.0.1:$PORT/" --push-interval 1 --tag env=test \
	--tag region=eu-1 -o "$WORKDIR/run.folded" --duration 3.5 \
	2>"$WORKDIR/err"
ok $? "record + push exits 0"
grep -q '^ctop-prof: push: [1-9][0-9]* intervals sent ([0-9]* bytes), 0 retries, 0 dropped' "$WORKDIR/err"
ok $? "summary counts the pushes: $(grep push: "$WORKDIR/err")"
push_py "$contiguous_py" >/dev/null
ok $? "intervals cover the run: $(push_py "$contiguous_py")"
push_py "$sums_py" "$WORKDIR/run.folded" >/dev/null
ok $? "pushed stacks add up to the snapshot: $(push_py "$sums_py" "$WORKDIR/run.folded")"
# The same bodies read by ctop-prof's own pprof reader (--load): every
# push converts, and together they are the snapshot again.
: >"$WORKDIR/reread.folded"
nb=0 bad=0
for b in "$WORKDIR"/bodies/*.pb.gz; do
	[ -f "$b" ] || continue
	nb=$((nb + 1))
	"$CTOP" --load "$b" -o "$WORKDIR/one.folded" 2>>"$WORKDIR/reread.err" &&
		cat "$WORKDIR/one.folded" >>"$WORKDIR/reread.folded" || bad=$((bad + 1))
done
cmp -s <(sort_folded "$WORKDIR/reread.folded") <(sort_folded "$WORKDIR/run.folded")
same=$?
[ "$nb" -ge 3 ] && [ "$bad" = 0 ] && [ "$same" = 0 ]
ok $? "ctop-prof --load reads the $nb pushed pprof bodies ($bad failed) and they add up to the snapshot$( [ "$same" = 0 ] || echo ": they do not")" ||
	head -3 "$WORKDIR/reread.err"
n=$(push_py 'print(len(ok))')
[ "$n" -ge 3 ]; ok $? "one push per second of the run ($n >= 3)"
want="ratio.cpu{hostname=$(uname -n | tr -c 'A-Za-z0-9_.:/\n-' _),pid=$t,backend="
push_py '
bad = [r["query"]["name"] for r in recs
       if not r["query"]["name"].startswith(argv[1])
       or not r["query"]["name"].endswith(",env=test,region=eu-1}")]
print(recs[0]["query"]["name"], "bad:", bad[:2]); sys.exit(1 if bad else 0)' "$want" >/dev/null
ok $? "name is APP.cpu{hostname,pid,backend,tags}: $(push_py 'print(recs[0]["query"]["name"])')"
push_py '
want = {"sampleRate": "99", "spyName": "ctop-prof", "units": "samples",
        "aggregationType": "sum", "format": "pprof"}
bad = [r["query"] for r in recs if r["path"] != "/ingest"
       or any(r["query"].get(k) != v for k, v in want.items())
       or not (r["content_type"] or "").startswith("multipart/form-data")]
print(bad[:1]); sys.exit(1 if bad else 0)' >/dev/null
ok $? "POST /ingest with sampleRate, spyName, units, aggregationType, format=pprof as the multipart field profile"
push_py '
bad = [r["query"]["from"] for r in ok
       if sum(r["threads"].values()) != sum(r["stacks"].values())
       or set(k.split()[0] for k in r["threads"]) != {argv[1]}]
print(len(ok) - len(bad), "of", len(ok), "pushes label every sample with",
      "thread", argv[1], "bad:", bad[:2]); sys.exit(1 if bad or not ok else 0)' \
	"$t" >"$WORKDIR/thr"
ok $? "every pushed sample carries its thread: $(cat "$WORKDIR/thr")"
push_py '
bad = [(r["authorization"], r["tenant"]) for r in recs
       if r["authorization"] != "Bearer tok-123" or r["tenant"] != "team-a"]
print(bad[:1]); sys.exit(1 if bad else 0)' >/dev/null
ok $? "CTOP_PUSH_TOKEN as Bearer and CTOP_PUSH_TENANT as X-Scope-OrgID"
stop_server

# Basic auth and --app; headless agent with --batch -n 0 for a while.
start_server 200 || skip_all "the test server did not start"
CTOP_PUSH_USER=alice CTOP_PUSH_PASSWORD='s3cret:x' "$CTOP" -p "$t" \
	--push "http://127.0.0.1:$PORT" --push-interval 1 --app my.app \
	-b -n 0 --duration 1.5 >"$WORKDIR/out" 2>"$WORKDIR/err"
ok $? "agent (--batch -n 0) exits 0"
[ ! -s "$WORKDIR/out" ]; ok $? "the agent prints no tables"
auth="Basic $(printf 'alice:s3cret:x' | base64)"
push_py '
bad = [r for r in recs if r["authorization"] != argv[1] or r["tenant"]
       or not r["query"]["name"].startswith("my.app.cpu{")]
print(len(recs), "requests", len(bad), "bad"); sys.exit(1 if bad or not recs else 0)' "$auth" >/dev/null
ok $? "CTOP_PUSH_USER/PASSWORD as basic auth, --app my.app: $(push_py 'print(recs[0]["authorization"] if recs else "nothing", recs[0]["query"]["name"] if recs else "")')"
stop_server

# Seconds without samples (the command sleeps first) are not sent: the
# first interval sent starts at the run's start and spans them.
start_server 200 || skip_all "the test server did not start"
t0=$(date +%s)
"$CTOP" --push "http://127.0.0.1:$PORT" --push-interval 1 \
	-o "$WORKDIR/idle.folded" -- sh -c \
	"sleep 2.5; exec '$TARGETS/ratio' --seconds 1.5" >/dev/null 2>&1
ok $? "launch with an idle start exits 0"
push_py '
f = ok[0]["query"] if ok else {"from": "0", "until": "0"}
print(f["from"], f["until"], len(ok))
sys.exit(0 if ok and int(f["from"]) <= int(argv[1]) + 1
         and int(f["until"]) - int(f["from"]) >= 2 else 1)' "$t0" >"$WORKDIR/first"
ok $? "the first interval spans the idle start (from, until, pushes: $(cat "$WORKDIR/first"); run started at $t0)"
push_py "$contiguous_py" >/dev/null
ok $? "idle start: $(push_py "$contiguous_py")"
push_py "$sums_py" "$WORKDIR/idle.folded" >/dev/null
ok $? "idle start: $(push_py "$sums_py" "$WORKDIR/idle.folded")"
stop_server
check "target healthy after three runs" -- target_healthy "$t"
kill "$t"
done_testing
