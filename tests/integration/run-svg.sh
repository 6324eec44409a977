#!/bin/bash
# SPDX-License-Identifier: MIT
# SVG flame graph output (issue 12, item 3), parsed as XML by python3:
# - a recorded folded profile converted to SVG: every frame has a title
#   with its name and samples, its width is its samples' share of the
#   width, and the frames are the folded file's call tree node for node
#   (those of 0.1 px or more);
# - a hostile frame name (markup, quotes, an ampersand, bytes that are not
#   UTF-8) is escaped and still says what it was;
# - --svg-icicle puts the root at the top; frames under 0.1 px are left out
#   and their samples stay in their parent;
# - where chromium is installed, it renders the file headless to a PNG
#   that is not blank, and one of 100k distinct stacks (timed).
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
command -v python3 >/dev/null || skip_all "python3 not installed"
ptrace_allowed || skip_all "ptrace not permitted here"
D=$WORKDIR

# check.py SVG FOLDED: prints what differs, nothing when all is well.
cat >"$D/check.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
svg = ET.parse(sys.argv[1]).getroot()
W, PAD = float(svg.get("width")), float(svg.get("data-pad"))
frames = []
for g in svg.iter(NS + "g"):
    if g.get("class") != "f":
        continue
    t, r = g.find(NS + "title"), g.find(NS + "rect")
    name, n, d = g.get("data-name"), int(g.get("data-n")), int(g.get("data-d"))
    if t is None or not t.text.startswith(name) or \
            "(%d sample" % n not in t.text:
        print("title of", name, ":", t.text if t is not None else None)
    frames.append((d, name, n, float(r.get("width"))))
total = [n for d, name, n, w in frames if d == 0]
if total != [int(svg.get("data-total"))]:
    print("root:", total)
total = total[0] if total else 1
k = (W - 2 * PAD) / total
for d, name, n, w in frames:
    if abs(w - n * k) > 0.002:
        print("width of", name, w, "for", n, "samples")
# The folded tree, node by node: (depth, name, samples).
tree = {}
for line in open(sys.argv[2], encoding="utf-8", errors="surrogateescape"):
    stack, c = line.rstrip("\n").rsplit(" ", 1)
    path = ()
    tree[path] = tree.get(path, 0) + int(c)
    for f in stack.split(";"):
        path += (f,)
        tree[path] = tree.get(path, 0) + int(c)
want = sorted((len(p), p[-1] if p else "all", n) for p, n in tree.items()
              if n * k >= 0.1)
got = sorted((d, name, n) for d, name, n, w in frames)
if want != got:
    print("frames differ: %d want, %d drawn" % (len(want), len(got)))
    print(sorted(set(want) ^ set(got))[:10])
EOF

start_target t "$TARGETS/ratio" --seconds 60
timeout 30 "$CTOP" -p "$t" --duration 1.5 -o "$D/r.folded" 2>"$D/err"
ok $? "a 1.5 s recording of ratio as folded"
kill "$t" 2>/dev/null
"$CTOP" --load "$D/r.folded" --output "$D/r.svg" 2>"$D/err"
ok $? "--load r.folded --output r.svg: exit 0 $(cat "$D/err")"
python3 "$D/check.py" "$D/r.svg" "$D/r.folded" >"$D/out" 2>&1
[ ! -s "$D/out" ]
ok $? "XML; titles, widths and frames agree with the folded file ($(grep -c '<g class="f"' "$D/r.svg") frames)"
sed 's/^/# /' "$D/out" | head -10
! grep -qE '(src|href)="(https?:)?//' "$D/r.svg" && grep -q '<script' "$D/r.svg"
ok $? "self-contained: its script inline, nothing fetched"

# Hostile names.
printf 'app;<script>alert(1)</script>;a&b "q" '"'"'s'"'"';bad\xffbyte 7\napp;x 1\n' >"$D/h.folded"
"$CTOP" --load "$D/h.folded" --output "$D/h.svg" 2>"$D/err"
ok $? "hostile names: written"
python3 - "$D/h.svg" <<'EOF'
import sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
names = [g.get("data-name") for g in ET.parse(sys.argv[1]).getroot().iter(NS + "g")
         if g.get("class") == "f"]
want = {"<script>alert(1)</script>", "a&b \"q\" 's'", "bad\ufffdbyte"}
sys.exit(0 if want <= set(names) else "got %r" % names)
EOF
ok $? "markup, quotes and & escaped, a bad byte U+FFFD: the XML parses back to the names"
! grep -q '<script>alert' "$D/h.svg"
ok $? "no frame name reaches the file as markup"

# Icicle: the root at the top; flame: at the bottom.
root_y() { python3 -c 'import sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
ys = {int(g.get("data-d")): float(g.find(NS + "rect").get("y"))
      for g in ET.parse(sys.argv[1]).getroot().iter(NS + "g") if g.get("class") == "f"}
print("top" if ys[0] == min(ys.values()) else "bottom" if ys[0] == max(ys.values()) else "?")' "$1"; }
"$CTOP" --load "$D/r.folded" --output "$D/i.svg" --svg-icicle 2>"$D/err"
[ "$(root_y "$D/i.svg")" = top ] && [ "$(root_y "$D/r.svg")" = bottom ]
ok $? "--svg-icicle: root at the top ($(root_y "$D/i.svg")); default at the bottom ($(root_y "$D/r.svg"))"

# Min width: 100 stacks of 1 sample next to 10^7 are 0.0001 px wide.
{ echo "app;main;big 10000000"; for i in $(seq 100); do echo "app;main;tiny$i 1"; done; } >"$D/m.folded"
"$CTOP" --load "$D/m.folded" --output "$D/m.svg" 2>"$D/err"
python3 "$D/check.py" "$D/m.svg" "$D/m.folded" >"$D/out" 2>&1
[ ! -s "$D/out" ] && ! grep -q tiny "$D/m.svg" && grep -q 'data-n="10000100"' "$D/m.svg"
ok $? "frames under 0.1 px left out, their samples kept in the parent's width"

# A browser draws it.
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	skip "chromium renders it to a PNG that is not blank" "chromium not installed"
	skip "chromium renders 100k distinct stacks" "chromium not installed"
	done_testing; exit
fi
shot() {	# shot SVG PNG: a headless screenshot, within 120 s
	rm -f "$2"
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$D/chrome" --window-size=1200,800 \
		--screenshot="$2" "file://$1" >"$D/chrome.log" 2>&1
	[ -s "$2" ]
}
# Distinct byte values of the PNG's pixels: a blank page has a handful.
png_colours() { python3 -c 'import sys, zlib
d = open(sys.argv[1], "rb").read(); i = 8; z = b""
while i < len(d):
    n = int.from_bytes(d[i:i + 4], "big"); t = d[i + 4:i + 8]
    if t == b"IDAT": z += d[i + 8:i + 8 + n]
    i += 12 + n
print(len(set(zlib.decompress(z))))' "$1"; }
shot "$D/r.svg" "$D/r.png"
ok $? "chromium renders it headless to a PNG"
c=$(png_colours "$D/r.png" 2>/dev/null || echo 0)
[ "$c" -gt 40 ]
ok $? "the PNG is not blank: $c distinct byte values (want > 40)"
# Its script: a click on compute zooms it to the full width (io, beside
# it, hidden; sqrt_[i], 40 of compute's 65 samples, scaled to 40/65), and
# a search for ^(leaf|sqrt_) marks them and says 53.8% (50 of 93 samples,
# leaf's 10 counted once). The page is driven from a script added to a copy.
"$CTOP" --load "$top_srcdir/tests/data/sample.folded" --output "$D/s.svg"
python3 - "$D/s.svg" "$D/s2.svg" <<'EOF2'
import sys
drive = """<script><![CDATA[
window.prompt = function () { return "^(leaf|sqrt_)"; };
window.addEventListener("load", function () {
  var gs = document.querySelectorAll("g.f"), i;
  for (i = 0; i < gs.length; i++)
    if (gs[i].getAttribute("data-name") === "compute")
      gs[i].dispatchEvent(new MouseEvent("click"));
  document.getElementById("search").dispatchEvent(new MouseEvent("click"));
});
]]></script></svg>"""
open(sys.argv[2], "w").write(open(sys.argv[1]).read().replace("</svg>", drive))
EOF2
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
	--user-data-dir="$D/chrome" --dump-dom "file://$D/s2.svg" >"$D/dom" 2>"$D/chrome.log"
python3 - "$D/dom" <<'EOF2'
import re, sys
d = open(sys.argv[1]).read()
def frame(name):
    m = re.search(r'<g [^>]*data-name="%s"[^>]*>.*?<rect ([^>]*)>' % re.escape(name), d)
    return (re.search(r'data-name="%s"( style="[^"]*")?' % re.escape(name), d).group(0),
            dict(re.findall(r'(\w+)="([^"]*)"', m.group(1))) if m else {})
bad = []
g, r = frame("compute")
if float(r.get("x", 0)) != 10 or float(r.get("width", 0)) != 1180: bad.append("compute " + str(r))
g, r = frame("io")
if "display: none" not in g: bad.append("io " + g)
g, r = frame("sqrt_[i]")
if abs(float(r.get("width", 0)) - 1180 * 40 / 65) > 0.01 or r.get("fill") != "rgb(230,0,230)":
    bad.append("sqrt " + str(r))
if "Matched: 53.8%" not in d: bad.append("no 'Matched: 53.8%'")
sys.exit("; ".join(bad) if bad else 0)
EOF2
ok $? "in chromium: click zooms (compute full width, io hidden, sqrt_[i] 40/65), search marks and says Matched: 53.8%"
# 100k distinct stacks: how long the browser takes to open it, said here
# (machine speed; the bound is the timeout). Most are under 0.1 px, so
# left out: what keeps such a file small and quick.
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "app;main;f%d;g%d;h%d %d\n", i % 97, i % 1009, i, 1 + i % 7 }' >"$D/big.folded"
"$CTOP" --load "$D/big.folded" --output "$D/big.svg" 2>"$D/err"
t0=$(now_ms)
shot "$D/big.svg" "$D/big.png"
ok $? "chromium renders 100k distinct stacks ($(stat -c %s "$D/big.svg") bytes, $(grep -c '<g class="f"' "$D/big.svg") frames drawn) in $(($(now_ms) - t0)) ms"
done_testing
