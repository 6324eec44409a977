#!/bin/bash
# SPDX-License-Identifier: MIT
# pprof output (issue 12, item 1), read back by go tool pprof:
# - a recorded folded profile converted to pprof (--load IN --output OUT)
#   gives every function the same flat and cum samples as the folded file;
# - a recording of the inline target: leaf on top, its file:line and the
#   inline frames of one location, the period from the rate, the duration;
# - a recording of a C++ target: each function's system_name is the
#   mangled symbol where it differs, its start_line the DWARF decl line;
#   its mapping has the file's path, build id and executable segment;
# - a stripped target: its build id, names from its debug file, addresses
#   in its mapping;
# - a recording of three named threads: each sample labelled with its
#   thread's name, tid and the pid, and a thread's samples are its own.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
command -v go >/dev/null || skip_all "go not installed (Debian golang-go): go tool pprof reads the files"
ptrace_allowed || skip_all "ptrace not permitted here"
D=$WORKDIR
# go tool pprof keeps nothing outside WORKDIR, and never goes online.
export HOME=$D GOCACHE=$D/gocache PPROF_TMPDIR=$D GOTOOLCHAIN=local GOFLAGS=-mod=mod
pprof() { go tool pprof "$@" 2>"$D/pprof.err"; }
go tool pprof -h >/dev/null 2>&1 || skip_all "go tool pprof does not run here"

# --- folded -> pprof: the same counts per function, to the sample ---------
start_target t "$TARGETS/ratio" --seconds 60
timeout 30 "$CTOP" -p "$t" --duration 1.5 -o "$D/r.folded" 2>"$D/err"
ok $? "a 1.5 s recording of ratio as folded"
"$CTOP" --load "$D/r.folded" --output "$D/r.pb.gz" 2>"$D/err"
ok $? "--load r.folded --output r.pb.gz: exit 0 $(cat "$D/err")"
[ "$(head -c2 "$D/r.pb.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ]
ok $? "the file is gzipped (1f 8b)"
# Per function (suffixes _[i] _[k] _[j] dropped: pprof keeps the kind in
# the location, not the name): flat = samples ending there, cum = samples
# with it anywhere in the stack (once per stack). The first frame, the
# process, is no function: pprof has it as the label "process".
awk '{ n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
	k = split(line, fr, ";"); delete seen
	for (i = 2; i <= k; i++) {
		f = fr[i]; sub(/_\[[ikj]\]$/, "", f)
		if (!(f in seen)) { cum[f] += n; seen[f] = 1 }
		if (i == k) flat[f] += n
	}
} END { for (f in cum) printf "%s %d %d\n", f, flat[f], cum[f] }' \
	"$D/r.folded" | sort >"$D/want"
pprof -top -nodecount=100000 -nodefraction=0 -edgefraction=0 \
	-sample_index=samples "$D/r.pb.gz" >"$D/top"
ok $? "go tool pprof -top reads it"
# "flat flat% sum% cum cum% NAME [(inline)]"
awk '$1 ~ /^[0-9]/ && $2 ~ /%$/ { name = $6; for (i = 7; i <= NF; i++)
	if ($i != "(inline)") name = name " " $i
	printf "%s %d %d\n", name, $1, $4 }' "$D/top" | sort >"$D/got"
diff "$D/want" "$D/got" >"$D/diff"
ok $? "every function: the same flat and cum samples as the folded file ($(wc -l <"$D/want") functions)"
[ -s "$D/diff" ] && sed 's/^/# /' "$D/diff" | head -20
top_f=$(sort -k2,2nr "$D/want" | head -1 | cut -d' ' -f1)
top_p=$(awk '$1 ~ /^[0-9]/ && $2 ~ /%$/ { print $6; exit }' "$D/top")
[ -n "$top_f" ] && [ "$top_f" = "$top_p" ]
ok $? "the same top function: folded $top_f, pprof $top_p"
proc=$(head -1 "$D/r.folded" | cut -d';' -f1)
! awk -v p="$proc" '$1 ~ /^[0-9]/ && $2 ~ /%$/ && $6 == p' "$D/top" | grep -q .
ok $? "the process frame $proc is no function of pprof's -top"
pprof -raw "$D/r.pb.gz" >"$D/raw"
# Converted from folded text, no location has an address: the check is
# that none is the process frame (every one at 0x0 matched before).
! awk -v p="$proc" '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 }
	on && $3 == p' "$D/raw" | grep -q .
ok $? "no location is the process frame $proc" ||
	awk -v p="$proc" '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 } on && $3 == p' "$D/raw" | head -3 | sed "s/^/# /"
grep -q "process:\[$proc\]" "$D/raw"
ok $? "the samples are labelled process:[$proc]"
kill "$t" 2>/dev/null

# --- a recording of the inline target -------------------------------------
src=$top_srcdir/tests/targets/inline.c
leaf_line=$(grep -n 'LEAF_LINE' "$src" | head -1 | cut -d: -f1)
parent_line=$(grep -n 'PARENT_LINE' "$src" | head -1 | cut -d: -f1)
timeout 30 "$CTOP" -F 99 --duration 2 -o "$D/i.pprof" -- "$TARGETS/inline" \
	>/dev/null 2>"$D/err"
rc=$?
# Launch mode: the command's status (128 + SIGTERM when we end it).
[ "$rc" = 143 ] || [ "$rc" = 0 ]
ok $? "a 2 s recording of inline as .pprof (exit $rc)"
pprof -raw "$D/i.pprof" >"$D/raw"
ok $? "go tool pprof -raw reads it"
grep -q '^PeriodType: cpu nanoseconds$' "$D/raw"
ok $? "period type cpu/nanoseconds"
grep -q '^Period: 10101010$' "$D/raw"
ok $? "period 1e9/99 ns: $(grep '^Period:' "$D/raw")"
grep -q '^samples/count cpu/nanoseconds\[dflt\]$' "$D/raw"
ok $? "sample types samples/count and cpu/nanoseconds (default)"
dur=$(awk '/^Duration:/ { print $2 }' "$D/raw")
within "${dur:-0}" 2 0.5
ok $? "duration ${dur:-?} s for --duration 2"
grep -q '^Comment: ctop-prof ' "$D/raw" && grep -q '^Comment: backend: ' "$D/raw" &&
	grep -q '^Comment: rate: 99 Hz' "$D/raw" && grep -q '^Comment: command: .*inline' "$D/raw"
ok $? "comments: version, backend, rate, command"
# The root of every stack is code: _start (or clone's), never the
# process frame "inline" of ctop-prof's tree, which would be a function
# at 100% cum; it is the label process:[inline].
pprof -traces "$D/i.pprof" >"$D/traces"
roots=$(awk '/^-----------/ { if (last != "") print last; last = ""; on = 1
		next }
	on && $1 !~ /^(thread|pid|process|thread_id):/ && NF { last = $NF }
	END { if (last != "") print last }' "$D/traces" | sort | uniq -c | sort -rn)
! echo "$roots" | awk '{ print $2 }' | grep -qx inline &&
	echo "$roots" | awk '{ print $2 }' | grep -q '^_start$'
ok $? "stack roots in -traces: $(echo $roots | head -c 200)"
grep -q 'process:\[inline\]' "$D/raw"
ok $? "samples labelled process:[inline]"
# Enough nodes that middle, leaf's caller, stays: pprof's "(inline)"
# comes from the edges into a node, which trimming removes.
pprof -top -lines -nodecount=1000 "$D/i.pprof" >"$D/top"
first=$(awk '$1 ~ /^[0-9]/ && $2 ~ /%$/ { print; exit }' "$D/top")
# Every line of leaf's loop (its body, LEAF_LINE, and its head, the line
# before: each sampled pc has its own) together hold >= 90% of the flat.
flat=$(awk -v a=$((leaf_line - 1)) -v b="$leaf_line" '$1 ~ /^[0-9]/ &&
	$2 ~ /%$/ && $6 == "leaf" { l = $7; sub(/.*:/, "", l)
	if (l >= a && l <= b) { sub(/%/, "", $2); f += $2 } }
	END { print f + 0 }' "$D/top")
got_line=$(echo "$first" | sed -n 's/.*leaf .*inline\.c:\([0-9]*\) (inline).*/\1/p')
[ -n "$got_line" ] && [ "$got_line" -ge $((leaf_line - 1)) ] &&
	[ "$got_line" -le "$leaf_line" ] &&
	awk -v f="$flat" 'BEGIN { exit !(f >= 90) }'
ok $? "top line: leaf at inline.c:$got_line, inlined; its loop's lines $((leaf_line - 1))-$leaf_line hold $flat% (>= 90%): $first"
# One location holds leaf, middle (inlined) and parent, innermost first.
awk '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 } on' "$D/raw" |
	grep -A2 ' leaf ' | tr -s ' ' >"$D/loc"
sed -n 2p "$D/loc" | grep -q '^ middle .*inline.c:[0-9]' &&
	sed -n 3p "$D/loc" | grep -q "^ parent .*inline.c:$parent_line"
ok $? "one location: leaf, middle, parent at inline.c:$parent_line"
# One location per distinct address: each user-space address lies in
# its mapping's range; leaf's loop has a location per sampled pc, each
# with its own line.
awk '/^Locations/ { on = 1; next } /^Mappings/ { on = 0; m = 1; next }
	on && $2 ~ /^0x/ && $3 ~ /^M=/ { n++; a = $2 " " $3; if (a in seen) dup++
		seen[a] = 1; addr[n] = $2; map[n] = substr($3, 3) }
	m && $1 ~ /^[0-9]+:$/ { split($2, r, "/"); id = $1 + 0
		lo[id] = r[1]; hi[id] = r[2] }
	END { for (i = 1; i <= n; i++) print addr[i], lo[map[i]], hi[map[i]]
		print "dup", dup + 0 }' "$D/raw" >"$D/addr"
dups=$(awk '$1 == "dup" { print $2 }' "$D/addr")
n_addr=$(grep -c '^0x' "$D/addr")
outside=0
while read -r a lo hi; do
	[ "$a" = dup ] && continue
	# Kernel addresses have no range to be in (no mapping range known).
	[ "$lo" = 0x0 ] && [ "$hi" = 0x0 ] && continue
	[ $((a)) -ge $((lo)) ] && [ $((a)) -lt $((hi)) ] || outside=$((outside + 1))
done <"$D/addr"
[ "$n_addr" -gt 3 ] && [ "$dups" = 0 ] && [ "$outside" = 0 ]
ok $? "$n_addr locations with an address, none twice, every one inside its mapping ($outside outside)"
leaf_locs=$(awk '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 }
	on && $2 ~ /^0x/ && $4 == "leaf" { print $2, $5 }' "$D/raw" | sort -u)
[ "$(echo "$leaf_locs" | wc -l)" -ge 2 ] &&
	[ "$(echo "$leaf_locs" | awk '{ print $2 }' | sort -u | wc -l)" -ge 2 ]
ok $? "leaf's loop: $(echo "$leaf_locs" | wc -l) addresses, lines $(echo "$leaf_locs" | awk '{ print $2 }' | sed 's/.*://' | sort -u | tr '\n' ' ')"
# Each function's start line is the line its name is declared on (the
# line after INLINE or NOINLINE): an inlined one's from its abstract origin.
for fn in leaf middle parent; do
	want=$(grep -n "^$fn(unsigned long n)" "$src" | cut -d: -f1)
	got=$(awk '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 }
		on' "$D/raw" | grep -m1 " $fn .*inline\.c:" |
		sed -n 's/.* s=\([0-9]*\)().*/\1/p')
	[ -n "$want" ] && [ "$got" = "$want" ]
	ok $? "$fn: start line $want (inline.c), pprof says ${got:-none}"
done
awk '/^Mappings/ { on = 1; next } on && /\/inline /' "$D/raw" | grep -q '\[FN\]\[FL\]\[LN\]\[IN\]'
ok $? "the target's mapping says functions, files, lines and inline frames"

# --- the recording converted: --load i.pprof --output again.pb.gz ----------
# It says what the recording said: sample types, period, duration, labels,
# one location per address with its own lines, mappings with ranges and
# build ids (it had samples/count, period 1, addresses and ranges 0x0 and
# a location per call tree node, whose lines collapsed).
raw_parts() {	# the parts of go tool pprof -raw both must have alike
	awk '/^Samples:/ { getline; print; s = 1; next }
		/^Locations/ { s = 0; l = 1; next } /^Mappings/ { l = 0; m = 1; next }
		/^(PeriodType|Period|Duration|Comment):/ { print }
		s && /:\[/ { gsub(/[ \t]+/, " "); print }
		l && $1 ~ /:$/ { n++; print "loc", $2, $3, $4, $5 }
		l && $1 !~ /:$/ { print "loc", $1, $2 }
		m { $1 = ""; print "map", $0 } END { print "locations", n }' "$1" | sort -u
}
"$CTOP" --load "$D/i.pprof" --output "$D/again.pb.gz" 2>"$D/err"
ok $? "--load i.pprof --output again.pb.gz $(cat "$D/err")"
pprof -raw "$D/i.pprof" | raw_parts /dev/stdin >"$D/want"
pprof -raw "$D/again.pb.gz" | raw_parts /dev/stdin >"$D/got"
diff "$D/want" "$D/got" >"$D/diff"
ok $? "converted: the same sample types, period, duration, comments, labels, $(grep -c '^loc 0x' "$D/want") locations by address, their lines and $(grep -c '^map' "$D/want") mappings" ||
	head -20 "$D/diff" | sed 's/^/# /'
fl() { awk '$1 == "loc" { print $(NF - 1), $NF }' "$1" | sort -u | wc -l; }
[ "$(fl "$D/want")" = "$(fl "$D/got")" ]
ok $? "distinct function:line pairs: $(fl "$D/want") recorded, $(fl "$D/got") converted"

# --- a C++ target: mangled system_name, start line -------------------------
src=$top_srcdir/tests/targets/cxxtmpl.cc
decl=$(grep -n '^Worker<T>::run()' "$src" | cut -d: -f1)
timeout 30 "$CTOP" -F 99 --duration 1.5 -o "$D/c.pb.gz" -- "$TARGETS/cxxtmpl" \
	>/dev/null 2>"$D/err"
pprof -raw "$D/c.pb.gz" >"$D/raw"
ok $? "go tool pprof -raw reads a recording of cxxtmpl"
# "ID: 0xADDR M=N NAME FILE:LINE s=START(SYSTEM_NAME)"
run_loc=$(grep -m1 ' ns::Worker<int>::run() ' "$D/raw")
echo "$run_loc" | grep -q "cxxtmpl\.cc:[0-9]* s=$decl(_ZN2ns6WorkerIiE3runEv)\$"
ok $? "ns::Worker<int>::run(): system_name _ZN2ns6WorkerIiE3runEv, start line $decl (its definition): $run_loc"
# "ID: START/LIMIT/OFFSET PATH BUILDID [FN]...": the executable mapping
# of the file, whose build id is the one in its notes.
map=$(awk '/^Mappings/ { on = 1; next } on && /\/cxxtmpl /' "$D/raw")
bid=$(readelf -n "$TARGETS/cxxtmpl" | awk '/Build ID:/ { print $3 }')
echo "$map" | grep -q "/tests/targets/cxxtmpl $bid \[FN\]\[FL\]\[LN\]\[IN\]\$"
ok $? "cxxtmpl's mapping: its path, build id $bid (readelf -n), functions, files, lines, inline frames: $map"
# Its range is the file's executable segment: limit - start is the
# p_memsz of the R E PT_LOAD rounded to pages, offset its page's offset.
read -r m_start m_limit m_off <<<"$(echo "$map" | sed -n 's/^ *[0-9]*: \(0x[0-9a-f]*\)\/\(0x[0-9a-f]*\)\/\(0x[0-9a-f]*\) .*/\1 \2 \3/p')"
want_off=$(readelf -lW "$TARGETS/cxxtmpl" | awk '$1 == "LOAD" && $7 == "R" && $8 == "E" { print $2; exit }')
[ -n "$want_off" ] && want_off=$((want_off - want_off % 4096))
[ -n "$m_start" ] && [ $((m_start % 4096)) = 0 ] && [ $((m_limit)) -gt $((m_start)) ] &&
	[ $((m_off)) = "${want_off:-x}" ]
ok $? "cxxtmpl's mapping [$m_start, $m_limit) maps file offset $m_off: the executable segment's page (${want_off:-?})"
main_decl=$(grep -n '^main()' "$src" | cut -d: -f1)
grep -q " main .*cxxtmpl\.cc:[0-9]* s=$main_decl()\$" "$D/raw"
ok $? "main: start line $main_decl, no system_name (a C name): $(grep -m1 ' main ' "$D/raw")"

# --- a stripped target with a separate debug file --------------------------
timeout 30 "$CTOP" -F 99 --duration 1.5 -o "$D/s.pb.gz" -- "$TARGETS/chain-stripped" \
	>/dev/null 2>"$D/err"
pprof -raw "$D/s.pb.gz" >"$D/raw"
ok $? "go tool pprof -raw reads a recording of chain-stripped"
map=$(awk '/^Mappings/ { on = 1; next } on && /\/chain-stripped /' "$D/raw")
bid=$(readelf -n "$TARGETS/chain-stripped" | awk '/Build ID:/ { print $3 }')
echo "$map" | grep -q "/chain-stripped $bid \[FN\]\[FL\]\[LN\]\[IN\]\$"
ok $? "chain-stripped's mapping: the stripped file's build id $bid, and what its debug file gives: $map"
read -r m_id m_start m_limit <<<"$(echo "$map" | sed -n 's/^ *\([0-9]*\): \(0x[0-9a-f]*\)\/\(0x[0-9a-f]*\)\/.*/\1 \2 \3/p')"
spin=$(awk -v m="M=$m_id" '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 }
	on && $3 == m && $4 == "spin" { print $2 }' "$D/raw")
out=0
for a in $spin; do
	[ $((a)) -ge $((m_start)) ] && [ $((a)) -lt $((m_limit)) ] || out=$((out + 1))
done
[ -n "$spin" ] && [ "$out" = 0 ]
ok $? "spin's locations ($(echo $spin)) lie in [$m_start, $m_limit)"

# --- three named threads: thread labels -------------------------------------
start_target t "$TARGETS/named_threads" --threads 3 --seconds 60
wait_until 5 '[ "$(ls "/proc/$t/task" 2>/dev/null | wc -l)" -ge 4 ]'
timeout 30 "$CTOP" -p "$t" --duration 1.5 -o "$D/n.pb.gz" 2>"$D/err"
ok $? "a 1.5 s recording of named_threads --threads 3"
pprof -raw "$D/n.pb.gz" >"$D/raw"
for k in 1 2 3; do
	tid=""
	for task in /proc/"$t"/task/*; do
		[ "$(cat "$task/comm" 2>/dev/null)" = "worker-$k" ] && tid=${task##*/}
	done
	pprof -top -nodefraction=0 -tagfocus="thread=worker-$k" "$D/n.pb.gz" >"$D/tk"
	# Its samples are in spin_worker_K (90% of the thread's, the root's
	# cum), none in another's.
	cum=$(awk -v f="spin_worker_$k" '$1 ~ /^[0-9]/ && $2 ~ /%$/ {
		sub(/%/, "", $5); if ($5 + 0 > m) m = $5 + 0
		if ($6 == f) c = $5 } END { printf "%.0f\n", m ? 100 * c / m : 0 }' "$D/tk")
	others=$(grep -c 'spin_worker_[0-9]' "$D/tk")
	[ "$cum" -ge 90 ] && [ "$others" = 1 ]
	ok $? "thread=worker-$k: spin_worker_$k has $cum% of its samples, no other worker's function"
	grep -A1 "thread:\[worker-$k\]" "$D/raw" | grep -q "pid:\[$t\] thread_id:\[$tid\]"
	ok $? "worker-$k's samples are labelled pid $t, thread_id ${tid:-?}"
done
# --- the kernel's Mapping -------------------------------------------------
# Where kernel frames are named (kallsyms shows addresses), the kernel is
# one Mapping with the image's text range (_stext, _etext) and the running
# kernel's build id; it was 0x0/0x0/0x0 without one.
st=$(awk '$3 == "_stext" && NF == 3 { print $1; exit }' /proc/kallsyms)
et=$(awk '$3 == "_etext" && NF == 3 { print $1; exit }' /proc/kallsyms)
if [ -n "$st" ] && [ "$st" != 0000000000000000 ] && [ -n "$et" ]; then
	timeout 30 "$CTOP" --duration 2 -o "$D/k.pb.gz" -- "$top_builddir/ctop-demo" \
		>/dev/null 2>&1
	pprof -raw "$D/k.pb.gz" >"$D/kraw"
	km=$(awk '/^Mappings/ { on = 1; next } on && /\[kernel.kallsyms\]/' "$D/kraw")
	if [ -z "$km" ]; then
		skip "the kernel's Mapping" "no kernel frame sampled (perf hides kernel time here, or ptrace ran)"
	else
		echo "$km" | grep -qE "0x0*${st#0x}/0x0*${et#0x}/0x0 \[kernel.kallsyms\] [0-9a-f]{40} "
		ok $? "the kernel's Mapping: _stext to _etext ($st-$et) and a build id: $km"
	fi
else
	skip "the kernel's Mapping" "kallsyms hides addresses here"
fi
done_testing
