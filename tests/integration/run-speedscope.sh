#!/bin/bash
# SPDX-License-Identifier: MIT
# speedscope output (issue 12, item 2), checked against the file format's
# schema (speedscope.app/file-format-schema.json: its fields, types and
# index ranges) by python3:
# - a recorded folded profile converted (--load IN --output OUT) has every
#   function's self and total samples of the folded file;
# - a recording of three named threads has one sampled profile per thread,
#   "worker-K TID", each with only its own function, the busiest active;
# - hostile names (quotes, backslashes, a tab, bytes that are not UTF-8)
#   still make valid JSON that says what they were.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
command -v python3 >/dev/null || skip_all "python3 not installed"
ptrace_allowed || skip_all "ptrace not permitted here"
D=$WORKDIR

# check.py FILE: the schema's rules; prints "FUNCTION SELF TOTAL" per frame
# name over all profiles (a name once per stack for TOTAL), then for each
# profile "profile NAME TOTAL FRAME-NAMES...".
cat >"$D/check.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
def need(c, what):
    if not c:
        sys.exit("schema: " + what)
need(d["$schema"] == "https://www.speedscope.app/file-format-schema.json", "$schema")
need(isinstance(d["exporter"], str) and d["exporter"].startswith("ctop-prof "), "exporter")
need(isinstance(d.get("name", ""), str), "name")
frames = d["shared"]["frames"]
need(isinstance(frames, list) and frames, "shared.frames")
for f in frames:
    need(isinstance(f["name"], str), "frame name")
    need(set(f) <= {"name", "file", "line", "col"}, "frame keys")
    need(isinstance(f.get("file", ""), str), "frame file")
    need(isinstance(f.get("line", 1), int) and f.get("line", 1) > 0, "frame line")
profs = d["profiles"]
need(isinstance(profs, list) and profs, "profiles")
need(isinstance(d["activeProfileIndex"], int) and
     0 <= d["activeProfileIndex"] < len(profs), "activeProfileIndex in range")
self, total = {}, {}
for p in profs:
    need(p["type"] == "sampled", "type")
    need(p["unit"] in ("none", "nanoseconds", "microseconds", "milliseconds",
                       "seconds", "bytes"), "unit")
    need(isinstance(p["name"], str), "profile name")
    need(len(p["samples"]) == len(p["weights"]), "samples and weights")
    need(all(isinstance(w, int) and w > 0 for w in p["weights"]), "weights")
    need(p["startValue"] == 0 and p["endValue"] == sum(p["weights"]), "endValue")
    names = set()
    for s, w in zip(p["samples"], p["weights"]):
        need(s and all(isinstance(i, int) and 0 <= i < len(frames) for i in s),
             "frame index in range")
        ns = [frames[i]["name"] for i in s]
        self[ns[-1]] = self.get(ns[-1], 0) + w
        for n in set(ns):
            total[n] = total.get(n, 0) + w
        names.update(ns)
    print("profile", p["name"].replace(" ", "_"), sum(p["weights"]), *sorted(names))
for n in sorted(total):
    print("func", n, self.get(n, 0), total[n])
print("active", profs[d["activeProfileIndex"]]["name"].replace(" ", "_"),
      max(sum(p["weights"]) for p in profs))
EOF

# --- folded -> speedscope: the same counts per function ------------------
start_target t "$TARGETS/ratio" --seconds 60
timeout 30 "$CTOP" -p "$t" --duration 1.5 -o "$D/r.folded" 2>"$D/err"
ok $? "a 1.5 s recording of ratio as folded"
kill "$t" 2>/dev/null
"$CTOP" --load "$D/r.folded" --output "$D/r.speedscope.json" 2>"$D/err"
ok $? "--load r.folded --output r.speedscope.json: exit 0 $(cat "$D/err")"
python3 "$D/check.py" "$D/r.speedscope.json" >"$D/out" 2>"$D/err"
ok $? "it follows the schema: fields, types, index ranges $(cat "$D/err")"
awk '{ n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
	k = split(line, fr, ";"); delete seen
	for (i = 1; i <= k; i++) {
		if (!(fr[i] in seen)) { tot[fr[i]] += n; seen[fr[i]] = 1 }
		if (i == k) self[fr[i]] += n
	}
} END { for (f in tot) printf "func %s %d %d\n", f, self[f], tot[f] }' \
	"$D/r.folded" | sort >"$D/want"
grep '^func ' "$D/out" | sort >"$D/got"
diff "$D/want" "$D/got" >"$D/diff"
ok $? "every function: the folded file's self and total samples ($(wc -l <"$D/want") functions)"
[ -s "$D/diff" ] && sed 's/^/# /' "$D/diff" | head -10
grep -q '^profile all_threads ' "$D/out"
ok $? "a folded file (no threads) makes one profile, 'all threads'"

# --- three named threads: a profile each -------------------------------------
start_target t "$TARGETS/named_threads" --threads 3 --seconds 60
wait_until 5 '[ "$(ls "/proc/$t/task" 2>/dev/null | wc -l)" -ge 4 ]'
timeout 30 "$CTOP" -p "$t" --duration 1.5 -o "$D/n.speedscope.json" 2>"$D/err"
ok $? "a 1.5 s recording of named_threads --threads 3"
python3 "$D/check.py" "$D/n.speedscope.json" >"$D/out" 2>"$D/err"
ok $? "it follows the schema $(cat "$D/err")"
for k in 1 2 3; do
	tid=""
	for task in /proc/"$t"/task/*; do
		[ "$(cat "$task/comm" 2>/dev/null)" = "worker-$k" ] && tid=${task##*/}
	done
	line=$(grep "^profile worker-${k}_$tid " "$D/out")
	echo "$line" | grep -q " spin_worker_$k" &&
		! echo "$line" | grep -q "spin_worker_[^$k]"
	ok $? "profile 'worker-$k $tid': spin_worker_$k and no other worker's function"
done
# Launched under ptrace, the threads are named after their clone
# (pthread_setname_np): ptrace tells no rename, and each thread kept the
# name it was cloned with (named_threads) until its comm was read again.
timeout 30 "$CTOP" --backend ptrace --duration 1.5 -o "$D/l.speedscope.json" \
	-- "$TARGETS/named_threads" --threads 2 --seconds 3 >/dev/null 2>"$D/err"
python3 "$D/check.py" "$D/l.speedscope.json" >"$D/out" 2>"$D/err"
grep "^profile worker-1_[0-9]* " "$D/out" | grep -q " spin_worker_1" &&
	grep "^profile worker-2_[0-9]* " "$D/out" | grep -q " spin_worker_2"
ok $? "ptrace, launched: threads renamed after they start carry their names (worker-1, worker-2)" ||
	diag "$(grep '^profile' "$D/out" | cut -c1-100)"
read -r _ active n <<<"$(grep '^active ' "$D/out")"
grep -q "^profile $active $n " "$D/out"
ok $? "activeProfileIndex is the busiest thread ($active, $n samples)"

# --- hostile names ---------------------------------------------------------
printf 'app;say "hi";back\\slash;tab\there;bad\xff\xfebytes;caf\xc3\xa9 5\n' >"$D/h.folded"
"$CTOP" --load "$D/h.folded" --output "$D/h.speedscope.json" 2>"$D/err"
ok $? "hostile names: written $(cat "$D/err")"
python3 - "$D/h.speedscope.json" <<'EOF'
import json, sys
names = [f["name"] for f in json.load(open(sys.argv[1], encoding="utf-8"))["shared"]["frames"]]
want = ["app", 'say "hi"', "back\\slash", "tab_here", "bad\ufffd\ufffdbytes", "caf\u00e9"]
sys.exit(0 if names == want else "got %r" % names)
EOF
ok $? "valid JSON; quotes, backslash and UTF-8 kept, a tab _ as in folded, bad bytes U+FFFD"
done_testing
