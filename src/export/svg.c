/* SPDX-License-Identifier: MIT */
/* SVG export: an interactive flame graph in one self-contained file, as
 * flamegraph.pl draws them: a <title> on every frame (name, samples,
 * percent), click to zoom, regex search with the matched percent, colours
 * by kind and consistent per name, root at the bottom (or at the top with
 * --svg-icicle). Frames narrower than SVG_MIN_WIDTH px are left out, their
 * samples staying in their parent's width (flamegraph.pl's --minwidth),
 * which keeps a profile of 100k stacks quick to open. */
#include "config.h"

#include "ctop/export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SVG_WIDTH 1200.0
#define SVG_PAD 10.0
#define SVG_FRAME_H 16
#define SVG_TOP 60		/* title, buttons */
#define SVG_BOTTOM 30		/* details line */
#define SVG_MIN_WIDTH 0.1
#define SVG_CHAR_W 7.0		/* 12 px monospace, about */

/* XML text or attribute value: markup characters as entities, controls
 * (not allowed in XML 1.0) and bytes that are not UTF-8 as U+FFFD. At most
 * max_chars characters, then "..". */
static void
xml_str(FILE *out, const char *p, size_t max_chars)
{
	const unsigned char *s = (const unsigned char *)(p ? p : "");
	size_t chars = 0, n;

	for (; *s && chars < max_chars; chars++) {
		n = *s < 0x80 ? 1 : export__utf8_len(s);
		if (chars + 1 == max_chars && s[n]) {
			fputs("..", out);
			return;
		}
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if (*s < 0x20 || *s == 0x7f || n == 0)
				fputs("\xef\xbf\xbd", out);
			else
				fwrite(s, 1, n, out);
		}
		s += n ? n : 1;
	}
}

/* A stable number in [0, 1) from a name: the same name, the same shade. */
static double
name_shade(const char *s, unsigned salt)
{
	uint32_t h = 2166136261u ^ salt;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h % 1000) / 1000.0;
}

/* flamegraph.pl's palettes, by kind: hot for functions, aqua inlined,
 * orange kernel, green JIT, blue Python, grey for the rest. */
static void
frame_fill(const struct frame *f, char *buf, size_t size)
{
	double a = name_shade(f ? f->name : NULL, 1);
	double b = name_shade(f ? f->name : NULL, 2);
	int r, g, bl;

	if (!f || f->kind == FRAME_PROCESS || f->kind == FRAME_MARKER) {
		r = g = bl = 190 + (int)(30 * a);
	} else if (f->name && strstr(f->name, ".py:")) {
		r = 80 + (int)(60 * a), g = 80 + (int)(60 * a);
		bl = 190 + (int)(65 * b);
	} else if (f->kind == FRAME_INLINE) {
		r = 50 + (int)(60 * a), g = 165 + (int)(55 * a);
		bl = 165 + (int)(55 * a);
	} else if (f->kind == FRAME_KERNEL) {
		r = 190 + (int)(65 * a), g = 90 + (int)(65 * a), bl = 0;
	} else if (f->kind == FRAME_JIT) {
		r = 50 + (int)(60 * a), g = 200 + (int)(55 * a);
		bl = 50 + (int)(60 * a);
	} else {
		r = 205 + (int)(50 * b), g = (int)(230 * a);
		bl = (int)(55 * b);
	}
	snprintf(buf, size, "rgb(%d,%d,%d)", r, g, bl);
}

static const char svg_script[] =
"<script type=\"text/ecmascript\"><![CDATA[\n"
"'use strict';\n"
"var F = [], W, PAD, TOTAL, CW, details, matchedText, searching = null;\n"
"function label(f, w) {\n"
"  var c = Math.floor((w - 6) / CW), n = f.name;\n"
"  if (c < 3) return '';\n"
"  return Array.from(n).length <= c ? n : Array.from(n).slice(0, c - 2).join('') + '..';\n"
"}\n"
"function place(f, x, w) {\n"
"  f.r.setAttribute('x', x); f.r.setAttribute('width', w);\n"
"  f.t.setAttribute('x', x + 3); f.t.textContent = label(f, w);\n"
"  f.g.style.display = '';\n"
"}\n"
"function zoom(z) {\n"
"  var x0 = z ? z.x : PAD, w0 = z ? z.w : W - 2 * PAD, d0 = z ? z.d : -1;\n"
"  var k = (W - 2 * PAD) / w0, e = 1e-6;\n"
"  F.forEach(function (f) {\n"
"    if (f.d < d0 && f.x <= x0 + e && f.x + f.w >= x0 + w0 - e) {\n"
"      place(f, PAD, W - 2 * PAD); f.g.style.opacity = '0.6';\n"
"    } else if (f.d >= d0 && f.x >= x0 - e && f.x + f.w <= x0 + w0 + e) {\n"
"      place(f, PAD + (f.x - x0) * k, f.w * k); f.g.style.opacity = '';\n"
"    } else {\n"
"      f.g.style.display = 'none';\n"
"    }\n"
"  });\n"
"  document.getElementById('unzoom').style.opacity = z ? '1' : '0';\n"
"}\n"
"function search() {\n"
"  var s = prompt('Search (regular expression)', searching || ''), re;\n"
"  if (s === null) return;\n"
"  try { re = new RegExp(s); } catch (err) { alert('bad regular expression: ' + err.message); return; }\n"
"  searching = s || null;\n"
"  var hit = F.filter(function (f) {\n"
"    var m = !!s && re.test(f.name);\n"
"    f.r.setAttribute('fill', m ? 'rgb(230,0,230)' : f.fill);\n"
"    return m;\n"
"  });\n"
"  /* Samples counted once: a match inside another is not added. */\n"
"  hit.sort(function (a, b) { return a.x - b.x || b.w - a.w; });\n"
"  var sum = 0, end = -1;\n"
"  hit.forEach(function (f) { if (f.x >= end - 1e-6) { sum += f.n; end = f.x + f.w; } });\n"
"  matchedText.textContent = s ? 'Matched: ' + (100 * sum / TOTAL).toFixed(1) + '%' : '';\n"
"  document.getElementById('reset').style.opacity = s ? '1' : '0';\n"
"}\n"
"function init() {\n"
"  var svg = document.documentElement;\n"
"  W = +svg.getAttribute('width'); PAD = +svg.getAttribute('data-pad');\n"
"  TOTAL = +svg.getAttribute('data-total'); CW = +svg.getAttribute('data-cw');\n"
"  details = document.getElementById('details');\n"
"  matchedText = document.getElementById('matched');\n"
"  var gs = document.querySelectorAll('g.f');\n"
"  for (var i = 0; i < gs.length; i++) {\n"
"    var g = gs[i], r = g.querySelector('rect'), f = { g: g, r: r,\n"
"      t: g.querySelector('text'), name: g.getAttribute('data-name'),\n"
"      x: +r.getAttribute('x'), w: +r.getAttribute('width'),\n"
"      d: +g.getAttribute('data-d'), n: +g.getAttribute('data-n'),\n"
"      fill: r.getAttribute('fill') };\n"
"    F.push(f);\n"
"    g.addEventListener('click', zoom.bind(null, f));\n"
"    g.addEventListener('mouseover', function () { details.textContent = this.querySelector('title').textContent; });\n"
"    g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
"  }\n"
"  document.getElementById('unzoom').addEventListener('click', function () { zoom(null); });\n"
"  document.getElementById('search').addEventListener('click', search);\n"
"  document.getElementById('reset').addEventListener('click', function () { searching = ''; F.forEach(function (f) { f.r.setAttribute('fill', f.fill); }); matchedText.textContent = ''; this.style.opacity = '0'; });\n"
"  document.addEventListener('keydown', function (e) { if ((e.ctrlKey && e.key === 'f') || e.key === '/') { e.preventDefault(); search(); } });\n"
"}\n"
"window.addEventListener('load', init);\n"
"]]></script>\n";

/* One frame: its group with the title, the box and the label. */
static void
svg_frame(FILE *out, const struct pview *v, uint32_t i, double x, double w,
    double y, uint64_t total)
{
	const struct pview_node *nd = &v->nodes[i];
	const struct frame *f = i ? &v->frames[nd->frame] : NULL;
	char name[1024], fill[48];
	double pct = total ? 100.0 * (double)nd->total / (double)total : 0;

	if (f)
		folded_frame_name(f, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "all");
	frame_fill(f, fill, sizeof(fill));
	fprintf(out, "<g class=\"f\" data-d=\"%u\" data-n=\"%llu\" "
	    "data-name=\"", nd->depth, (unsigned long long)nd->total);
	xml_str(out, name, SIZE_MAX);
	fputs("\"><title>", out);
	xml_str(out, name, SIZE_MAX);
	if (f && f->file) {
		fputs(" [", out);
		xml_str(out, f->file, SIZE_MAX);
		fprintf(out, ":%u]", f->line);
	}
	fprintf(out, " (%llu sample%s, %.2f%%)</title>", (unsigned long long)
	    nd->total, nd->total == 1 ? "" : "s", pct);
	fprintf(out, "<rect x=\"%.3f\" y=\"%.1f\" width=\"%.3f\" height=\"%d\" "
	    "fill=\"%s\" rx=\"2\"/><text x=\"%.2f\" y=\"%.1f\">", x, y, w,
	    SVG_FRAME_H - 1, fill, x + 3, y + SVG_FRAME_H - 5);
	if ((w - 6) / SVG_CHAR_W >= 3)
		xml_str(out, name, (size_t)((w - 6) / SVG_CHAR_W));
	fputs("</text></g>\n", out);
}

static void
svg_head(FILE *out, const struct pview *v, double height, uint64_t total,
    bool icicle)
{
	uint32_t c = v->n_nodes > 1 ? v->nodes[0].first_child :
	    PROFILE_NO_NODE;
	const char *proc = c != PROFILE_NO_NODE &&
	    v->frames[v->nodes[c].frame].kind == FRAME_PROCESS ?
	    v->frames[v->nodes[c].frame].name : NULL;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
	    "standalone=\"no\"?>\n<svg version=\"1.1\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" data-pad=\"%.0f\" "
	    "data-total=\"%llu\" data-cw=\"%.1f\">\n", SVG_WIDTH, height,
	    SVG_WIDTH, height, SVG_PAD, (unsigned long long)total,
	    SVG_CHAR_W);
	fputs("<style>text { font: 12px monospace; fill: rgb(0,0,0); }\n"
	    "g.f:hover rect { stroke: black; stroke-width: 0.5; }\n"
	    "g.f { cursor: pointer; }\n"
	    ".title { font-size: 17px; text-anchor: middle; }\n"
	    ".btn { cursor: pointer; fill: rgb(0,0,160); }</style>\n", out);
	fputs(svg_script, out);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"rgb(248,248,240)\"/>\n<text class=\"title\" x=\"%.0f\" "
	    "y=\"24\">%s", SVG_WIDTH / 2, icicle ? "Icicle Graph" :
	    "Flame Graph");
	if (proc) {
		fputs(": ", out);
		xml_str(out, proc, 80);
	}
	fprintf(out, "</text>\n<text x=\"%.0f\" y=\"44\" id=\"unzoom\" "
	    "class=\"btn\" style=\"opacity:0\">Reset Zoom</text>\n"
	    "<text x=\"%.0f\" y=\"44\" id=\"search\" class=\"btn\" "
	    "style=\"text-anchor:end\">Search</text>\n"
	    "<text x=\"%.0f\" y=\"44\" id=\"reset\" class=\"btn\" "
	    "style=\"text-anchor:end;opacity:0\">Reset Search</text>\n"
	    "<text x=\"%.0f\" y=\"%.0f\" id=\"details\"> </text>\n"
	    "<text x=\"%.0f\" y=\"%.0f\" id=\"matched\" "
	    "style=\"text-anchor:end\"></text>\n", SVG_PAD,
	    SVG_WIDTH - SVG_PAD, SVG_WIDTH - SVG_PAD - 70, SVG_PAD,
	    height - 10, SVG_WIDTH - SVG_PAD, height - 10);
}

int
svg_write(FILE *out, const struct pview *v, uint32_t node, bool icicle)
{
	double *x, scale, height;
	uint32_t end = node + 1, i, max = 0, base;
	uint64_t total;

	if (!v || node >= v->n_nodes)
		return -EINVAL;
	while (end < v->n_nodes && v->nodes[end].depth > v->nodes[node].depth)
		end++;
	if (node == 0)
		end = v->n_nodes;
	base = v->nodes[node].depth;
	for (i = node; i < end; i++)
		if (v->nodes[i].depth - base > max)
			max = v->nodes[i].depth - base;
	total = v->nodes[node].total;
	/* x[i]: where node i starts, then (for a parent) where its next
	 * child goes: preorder puts a parent before its children. */
	x = malloc((size_t)(end - node) * sizeof(*x));
	if (!x)
		return -ENOMEM;
	scale = total ? (SVG_WIDTH - 2 * SVG_PAD) / (double)total : 0;
	height = SVG_TOP + (double)(max + 1) * SVG_FRAME_H + SVG_BOTTOM;
	flockfile(out);
	svg_head(out, v, height, total, icicle);
	x[0] = SVG_PAD;
	for (i = node; i < end; i++) {
		const struct pview_node *nd = &v->nodes[i];
		double w = (double)nd->total * scale, at;
		uint32_t d = nd->depth - base;

		if (i > node) {
			at = x[nd->parent - node];
			x[nd->parent - node] += w;
			x[i - node] = at;
		}
		if (w < SVG_MIN_WIDTH || (i == node && !total))
			continue;
		svg_frame(out, v, i, x[i - node], w, icicle ? SVG_TOP +
		    (double)d * SVG_FRAME_H : SVG_TOP + (double)(max - d) *
		    SVG_FRAME_H, total);
	}
	fputs("</svg>\n", out);
	funlockfile(out);
	free(x);
	return ferror(out) ? (errno ? -errno : -EIO) : 0;
}
