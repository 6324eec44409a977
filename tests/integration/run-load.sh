#!/bin/bash
# SPDX-License-Identifier: MIT
# --load reads any format, told by its content (issue 12, items 5 and 6):
# - round trips folded -> pprof -> folded and pprof -> pprof keep every
#   stack and count (kernel and JIT kinds too);
# - a real Go pprof (tests/go/cpuprof.go, built here with go build, offline)
#   has, per function, the samples go tool pprof -top gives it, and the same
#   top function in the batch table;
# - `perf script` text (on standard input, as `perf script | ctop-prof
#   --load -`) becomes the stacks stackcollapse-perf.pl would make;
# - bad input: one line naming the file and the byte or line, exit 1, and
#   no output file.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
D=$WORKDIR
DATA=$top_srcdir/tests/data

# --- round trips ------------------------------------------------------------
"$CTOP" --load "$DATA/sample.folded" -o "$D/s.pb.gz" 2>"$D/err" &&
	"$CTOP" --load "$D/s.pb.gz" -o "$D/s.folded" 2>>"$D/err"
ok $? "folded -> pprof -> folded: exit 0 $(cat "$D/err")"
diff <(sort "$DATA/sample.folded") <(sort "$D/s.folded") >"$D/diff"
ok $? "every stack and count kept, _[k] _[j] _[i] included"
sed 's/^/# /' "$D/diff" | head
"$CTOP" --load "$D/s.pb.gz" -o "$D/s2.pprof" 2>"$D/err" &&
	"$CTOP" --load "$D/s2.pprof" -o "$D/s2.folded" 2>>"$D/err"
cmp -s "$D/s.folded" "$D/s2.folded"
ok $? "pprof -> pprof -> folded: the same file"
"$CTOP" --load "$DATA/sample.folded" -o "$D/s.speedscope.json" 2>"$D/err" &&
	"$CTOP" --load "$D/s.speedscope.json" -o "$D/s3.folded" 2>>"$D/err"
diff <(sort "$DATA/sample.folded") <(sort "$D/s3.folded") >"$D/diff"
ok $? "folded -> speedscope -> folded: every stack and count kept $(cat "$D/err")"
sed 's/^/# /' "$D/diff" | head
gzip -dc <"$D/s.pb.gz" >"$D/raw.pb"
"$CTOP" --load "$D/raw.pb" -o "$D/raw.folded" 2>"$D/err" &&
	cmp -s "$D/s.folded" "$D/raw.folded"
ok $? "a raw (not gzipped) pprof is read too $(cat "$D/err")"

# --- perf script text on standard input --------------------------------------
cat >"$D/perf.txt" <<'EOF'
# ========
# captured on: a test
# ========
my prog 1234/1240 [001] 100.000001:   1010101 cpu-clock:pppH:
	    55d4c3a2b1c0 leaf+0x20 (/opt/my prog/bin)
	    55d4c3a2b0a0 main+0x1f (/opt/my prog/bin)
	    7f0000001000 __libc_start_main+0x80 (/usr/lib/x86_64-linux-gnu/libc.so.6)

my prog 1234/1240 [001] 100.010001:   1010101 cpu-clock:pppH:
	ffffffff81000000 do_syscall_64+0x5c ([kernel.kallsyms])
	    7f0000002000 write+0x10 (/usr/lib/x86_64-linux-gnu/libc.so.6)
	    55d4c3a2b0a0 main+0x1f (/opt/my prog/bin)
	    7f0000001000 __libc_start_main+0x80 (/usr/lib/x86_64-linux-gnu/libc.so.6)

worker 1234 [002] 100.020001:   1010101 cpu-clock:pppH:
	    7f0000003000 [unknown] ([unknown])

my prog 1234/1240 [001] 100.030001:   1010101 cpu-clock:pppH:
	    55d4c3a2b1c0 leaf+0x24 (/opt/my prog/bin)
	    55d4c3a2b0a0 main+0x1f (/opt/my prog/bin)
	    7f0000001000 __libc_start_main+0x80 (/usr/lib/x86_64-linux-gnu/libc.so.6)
EOF
cat >"$D/perf.want" <<'EOF'
my prog;__libc_start_main;main;leaf 2
my prog;__libc_start_main;main;write;do_syscall_64_[k] 1
worker;[unknown] 1
EOF
"$CTOP" --load - -o "$D/perf.folded" <"$D/perf.txt" 2>"$D/err"
ok $? "perf script text on standard input: exit 0 $(cat "$D/err")"
diff <(sort "$D/perf.want") <(sort "$D/perf.folded") >"$D/diff"
ok $? "its stacks: comm with a space, offsets dropped, kernel frames _[k]"
sed 's/^/# /' "$D/diff" | head
"$CTOP" --load "$D/perf.txt" -o "$D/perf.speedscope.json" 2>"$D/err"
python3 -c 'import json, sys
p = [x["name"] for x in json.load(open(sys.argv[1]))["profiles"]]
sys.exit(0 if sorted(p) == ["my prog 1240", "worker 1234"] else p)' "$D/perf.speedscope.json"
ok $? "its threads: 'my prog' 1240 (pid/tid) and 'worker' 1234"
"$CTOP" --load "$D/perf.speedscope.json" -o "$D/perf2.speedscope.json" 2>"$D/err" &&
	"$CTOP" --load "$D/perf2.speedscope.json" -o "$D/perf2.folded" 2>>"$D/err"
python3 -c 'import json, sys
n = [sorted(x["name"] for x in json.load(open(f))["profiles"]) for f in sys.argv[1:]]
sys.exit(n[0] != n[1])' "$D/perf.speedscope.json" "$D/perf2.speedscope.json" &&
	diff <(sort "$D/perf.want") <(sort "$D/perf2.folded") >/dev/null
ok $? "speedscope -> speedscope -> folded: threads, stacks and kernel frames kept $(cat "$D/err")"
# The real thing, where perf may record here.
if command -v perf >/dev/null && ptrace_allowed &&
	timeout 20 perf record -q -F 499 -g -o "$D/perf.data" -- \
		"$TARGETS/ratio" --seconds 1 >/dev/null 2>&1; then
	perf script -i "$D/perf.data" 2>/dev/null >"$D/real.txt"
	"$CTOP" --load - -o "$D/real.folded" <"$D/real.txt" 2>"$D/err"
	ok $? "perf script | ctop-prof --load -: exit 0 $(cat "$D/err")"
	a=$(folded_leaf_share "$D/real.folded" work_a)
	b=$(folded_leaf_share "$D/real.folded" work_b)
	# The same shares counted straight from perf script's text (each
	# sample's first frame line): what was read must be what perf wrote,
	# whatever perf's own sampling made of the 3:1 (on a loaded VM one
	# run's perf record saw 65.7:33.1).
	want=$(awk '/^[^ \t]/ { getline; f = $2; sub(/\+0x.*/, "", f); n++
		if (f == "work_a") a++; if (f == "work_b") b++ }
		END { if (n) printf "%.1f %.1f", 100 * a / n, 100 * b / n }' "$D/real.txt")
	awk -v a="$a" -v b="$b" -v w="$want" 'BEGIN { split(w, t, " ")
		d1 = a - t[1]; d2 = b - t[2]; if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2
		exit !(w != "" && d1 <= 0.5 && d2 <= 0.5 && a > 40 && a > b) }'
	ok $? "ratio's work_a and work_b: $a% and $b% of the samples, perf script's own lines $want (3:1 by construction)"
else
	skip "perf script | ctop-prof --load -" "perf record cannot run here"
	skip "ratio's shares through perf script" "perf record cannot run here"
fi
# Inline frames (perf's "(inlined)" where the module goes) and -F +srcline
# (a FILE:LINE line after each frame, the inline mark there instead): the
# frames are inline frames of the module they sit in (they were named as
# from a module "inlined", and +srcline was refused as frames without an
# address), with their lines from perf.
# (inline runs until killed: timeout ends it, and perf record passes on
# its status, 124.)
command -v perf >/dev/null && ptrace_allowed &&
	timeout 20 perf record -q -F 199 --call-graph dwarf,8192 -o "$D/inl.data" -- \
		timeout 1 "$TARGETS/inline" >/dev/null 2>&1
if [ -s "$D/inl.data" ]; then
	for how in plain srcline; do
		f=; [ "$how" = srcline ] && f="-F +srcline"
		perf script -i "$D/inl.data" $f 2>/dev/null >"$D/inl-$how.txt"
		"$CTOP" --load "$D/inl-$how.txt" -o "$D/inl-$how.folded" 2>"$D/err" &&
			"$CTOP" --load "$D/inl-$how.txt" --batch >"$D/inl-$how.top" 2>>"$D/err"
		ok $? "perf script ($how) of the inline target: read $(cat "$D/err")"
		n=$(awk '/;parent;middle_\[i\];leaf_\[i\]( |;)/ { m += $NF } { t += $NF } END { printf "%d", t ? 100 * m / t : 0 }' "$D/inl-$how.folded")
		leafrow=$(grep -m1 ' leaf ' "$D/inl-$how.top")
		[ "${n:-0}" -ge 80 ] && echo "$leafrow" | grep -qE ' leaf +inline( |$)'
		ok $? "$how: parent;middle_[i];leaf_[i] in $n% of the samples (want >= 80), leaf in module inline" ||
			diag "$leafrow"
	done
	grep -m1 ' leaf ' "$D/inl-srcline.top" | grep -qE 'inline\.c:1[56]' &&
		grep -m1 ' main ' "$D/inl-srcline.top" | grep -q 'inline\.c:4[0-9]'
	ok $? "srcline: leaf at inline.c:15 or 16 (its loop), main at its call line" ||
		diag "$(sed -n 1,6p "$D/inl-srcline.top")"
else
	skip "perf script of the inline target" "perf record cannot run here"
fi

# --- a Go program's own pprof ------------------------------------------------
if ! command -v go >/dev/null; then
	skip "a Go runtime/pprof profile" "go not installed (Debian golang-go)"
else
	export HOME=$D GOCACHE=$D/gocache GOPATH=$D/gopath PPROF_TMPDIR=$D \
		GOPROXY=off GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
	if go build -o "$D/cpuprof" "$top_srcdir/tests/go/cpuprof.go" 2>"$D/err"; then
		"$D/cpuprof" "$D/go.pprof" 3
		ok $? "the Go program profiled itself for 3 s"
		"$CTOP" --load "$D/go.pprof" -o "$D/go.folded" 2>"$D/err"
		ok $? "--load go.pprof: exit 0 $(cat "$D/err")"
		go tool pprof -top -nodecount=100000 -nodefraction=0 \
			-sample_index=samples "$D/go.pprof" 2>/dev/null |
			awk '$1 ~ /^[0-9]/ && $2 ~ /%$/ && $1 > 0 { print $6, $1 }' |
			sort >"$D/want"
		awk '{ n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
			k = split(line, fr, ";"); f = fr[k]; sub(/_\[[ikj]\]$/, "", f)
			flat[f] += n } END { for (f in flat) print f, flat[f] }' \
			"$D/go.folded" | sort >"$D/got"
		[ -s "$D/want" ] && diff "$D/want" "$D/got" >"$D/diff"
		ok $? "every function's samples as go tool pprof -top says ($(wc -l <"$D/want") functions)"
		sed 's/^/# /' "$D/diff" | head
		top_go=$(sort -k2,2nr "$D/want" | head -1 | cut -d' ' -f1)
		top_us=$("$CTOP" --load "$D/go.pprof" -b -n 1 -d 0.1 |
			awk '$1 ~ /^[0-9.]+$/ { print $5; exit }')
		[ -n "$top_go" ] && [ "$top_go" = "$top_us" ]
		ok $? "the batch table's top function is pprof's: $top_us ($top_go)"
		grep -q ';main.main;main.hotA;main.work ' "$D/go.folded"
		ok $? "Go's stacks: ...;main.main;main.hotA;main.work"
		# Converted to pprof it is still Go's: Type cpu, its period,
		# a location per address with its own line (main.main calls
		# hotA and hotB from two lines: one line per node gave one).
		"$CTOP" --load "$D/go.pprof" -o "$D/go2.pb.gz" 2>"$D/err"
		ok $? "--load go.pprof -o go2.pb.gz: exit 0 $(cat "$D/err")"
		go tool pprof -top "$D/go2.pb.gz" 2>/dev/null | grep -q '^Type: cpu$'
		ok $? "converted: Type: cpu (go tool pprof -top)"
		gr() { go tool pprof -raw "$1" 2>/dev/null | awk '
			/^(PeriodType|Period):/ { print }
			/^Locations/ { l = 1; next } /^Mappings/ { l = 0; m = 1; next }
			l && $1 ~ /:$/ { print $2, $3, $4, $5 }
			m { print $2, $3, $4 }' | sort; }
		gr "$D/go.pprof" >"$D/want"
		gr "$D/go2.pb.gz" >"$D/got"
		diff "$D/want" "$D/got" >"$D/diff"
		ok $? "converted: the same period, $(grep -c '^0x' "$D/want") locations (address, function, file:line) and mappings" ||
			sed 's/^/# /' "$D/diff" | head
		lines=$(grep ' main\.main ' "$D/got" | awk '{ print $4 }' | sort -u | tr '\n' ' ')
		[ "$(echo $lines | wc -w)" -ge 2 ]
		ok $? "main.main keeps its call lines: $lines"
	else
		skip "a Go runtime/pprof profile" "go build failed offline: $(head -1 "$D/err")"
	fi
fi

# --- bad input ---------------------------------------------------------------
bad() {	# bad FILE WHAT-REGEX DESCRIPTION
	rm -f "$D/out.folded"
	"$CTOP" --load "$1" -o "$D/out.folded" 2>"$D/err"
	local rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$D/err")" = 1 ] &&
		grep -q "^ctop-prof: .*$(basename "$1")" "$D/err" &&
		grep -qE "$2" "$D/err" && [ ! -e "$D/out.folded" ]
	ok $? "$3: exit $rc, one line, no output: $(cat "$D/err")"
}
head -c 100 "$D/s.pb.gz" >"$D/cut.pb.gz"
bad "$D/cut.pb.gz" "byte [0-9]+: gzip data cut short" "a gzip cut short"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage!' >"$D/bad.pb.gz"
bad "$D/bad.pb.gz" "byte [0-9]+: gzip data" "corrupt gzip data"
printf 'hello\x00\xff\xfe' | gzip >"$D/notpb.pb.gz"
bad "$D/notpb.pb.gz" "notpb.pb.gz: pprof: byte 2 of the 8 inflated bytes does not parse" "gzip of something else"
head -c 300 "$D/raw.pb" >"$D/cut.pb"
bad "$D/cut.pb" "cut.pb: byte 2[0-9][0-9]: pprof: the protobuf message of 300 bytes does not parse there" "a raw protobuf cut short"
printf '{"shared": {"frames": [{"name": "a"}]}, "profiles": [{"type": "sampled",
 "samples": [[0, 7]], "weights": [1]}]}' >"$D/bad.json"
bad "$D/bad.json" "bad.json: byte [0-9]+: speedscope: sample 0: frame index out of range" "speedscope, a frame index out of range"
printf '{"profiles": [1,' >"$D/cut.json"
bad "$D/cut.json" "cut.json: byte 16: speedscope: unexpected end" "speedscope cut short"
printf 'app 1/1 [000] 1.0: x:\n\tnotanaddress foo (bar)\n' >"$D/bad.perf"
bad "$D/bad.perf" "bad.perf:2: perf script: a frame line without an address" "perf script, a bad frame line"
done_testing
