/* SPDX-License-Identifier: MIT */
/* Renders one TUI frame into the canvas: two status lines, the table or
 * the icicle/flame with its breadcrumb and selection line, or the help,
 * and the bottom line (prompt, message, search result or key hints). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "source_view.h"
#include "tui.h"

static double
pct(uint64_t n, uint64_t all)
{
	return all ? 100.0 * (double)n / (double)all : 0.0;
}

/* Whether any frame of the view knows its module or file: a folded file's
 * frames do not, and the UI says so instead of showing empty columns. */
bool
tui_has_where(struct tui *t)
{
	uint32_t i;

	if (!t->cur)
		return true;
	if (t->where_gen == t->gen)
		return t->has_where;
	t->where_gen = t->gen;
	t->has_where = false;
	for (i = 0; i < t->cur->n_frames && !t->has_where; i++)
		t->has_where = t->cur->frames[i].module ||
		    t->cur->frames[i].file;
	return t->has_where;
}

static void
thread_label(const struct tui *t, char *buf, size_t size)
{
	uint32_t i;

	if (!t->view.params.tid) {
		snprintf(buf, size, "all");
		return;
	}
	if (t->view.params.tid == PROFILE_OTHER_THREADS) {
		snprintf(buf, size, "[other threads]");
		return;
	}
	snprintf(buf, size, "%d", (int)t->view.params.tid);
	for (i = 0; t->cur && i < t->cur->n_threads; i++)
		if (t->cur->threads[i].tid == t->view.params.tid)
			snprintf(buf, size, "%.31s (%d)", t->cur->threads[i].name,
			    (int)t->view.params.tid);
}

/* A diff's legend first on the second status line: what the colours
 * (or, without enough of them, the marks) say, and against what. */
static void
diff_legend(const struct tui *t, char *l2, size_t size)
{
	char head[256];
	size_t n, rest;

	n = (size_t)snprintf(head, sizeof head, "DIFF vs %.96s: %s  ",
	    t->base_name, t->d.colors >= 256 ? "red grew, blue shrank, grey "
	    "same, * new" : "+ grew, - shrank, * new");
	if (n >= size)
		n = size - 1;
	rest = strlen(l2) + 1;
	if (n + rest > size)
		rest = size - n;
	memmove(l2 + n, l2, rest);
	memcpy(l2, head, n);
	l2[size - 1] = '\0';
}

/* The last minute in at most width columns of buf: the target's samples
 * per second and the selected function's share, on one time axis so that
 * a spike and its cause line up. Its columns, 0 when it does not fit or
 * there is nothing to show. */
static int
spark_text(const struct tui *t, char *buf, size_t size, int width)
{
	const struct pview *v = t->cur;
	uint32_t f;

	if (!v || !t->st.live || !v->spark.secs)
		return 0;
	f = v->params.spark;
	return status_spark(buf, size, width, &v->spark,
	    f && f <= v->n_frames ? v->frames[f - 1].name : "-",
	    f && f == t->view.params.spark, t->cv.g);
}

/* The spark right on the first status line where it fits (about 130
 * columns); true when drawn there. */
static bool
render_spark(struct tui *t, int used)
{
	char buf[1024];
	int cols = spark_text(t, buf, sizeof buf, t->cv.w - used - 2);

	if (cols > 0)
		canvas_text(&t->cv, 0, t->cv.w - cols, cols, buf, ST_HEADER);
	return cols > 0;
}

/* The status lines; true when the spark fitted on the first. */
static bool
render_status(struct tui *t)
{
	char l1[512], l2[512], th[64];
	bool spark, stale = t->cur && (t->cur->params.tid != t->view.params.tid ||
	    t->cur->params.window_s != t->view.params.window_s);

	thread_label(t, th, sizeof th);
	if (stale && strlen(th) + 12 < sizeof th)
		strcat(th, " (updating)");
	if (!t->have_status) {
		snprintf(l1, sizeof l1, "ctop-prof: waiting for the source");
		l2[0] = '\0';
	} else {
		status_lines(l1, l2, sizeof l1, &t->st,
		    window_name(t->view.params.window_s), th, t->view.paused,
		    !t->st.live && !tui_has_where(t) ?
		    "folded file: no module/line info" : "");
	}
	if (t->base)
		diff_legend(t, l2, sizeof l2);
	canvas_fill(&t->cv, 0, 0, t->cv.w, ' ', ST_HEADER);
	canvas_fill(&t->cv, 1, 0, t->cv.w, ' ', ST_HEADER);
	canvas_text(&t->cv, 0, 0, -1, l1, ST_HEADER);
	canvas_text(&t->cv, 1, 0, -1, l2, ST_HEADER);
	spark = render_spark(t, text_cols(l1));
	if (t->view.paused) {
		char *p = strstr(l2, "PAUSED");

		/* A reverse-video PAUSED stands out in every colour mode. */
		if (p && text_cols(l2) <= t->cv.w)
			canvas_restyle(&t->cv, 1, (int)(p - l2), 6, ST_PAUSED);
	}
	return spark;
}

/* Drawn from the key table: every entry, in columns. */
static void
render_help(struct tui *t, int y0, int h)
{
	int per_col, cols, colw, i;
	char buf[256], label[64];

	canvas_text(&t->cv, y0, 0, -1,
	    "keys (any key closes this help)", ST_TITLE);
	h--;
	per_col = h;
	cols = ((int)keymap_len + per_col - 1) / per_col;
	colw = t->cv.w / (cols ? cols : 1);
	for (i = 0; i < (int)keymap_len; i++) {
		int x = i / per_col * colw, y = y0 + 1 + i % per_col;

		snprintf(buf, sizeof buf, "%-10s %s", keymap_label(&keymap[i],
		    label, sizeof label), keymap[i].help);
		canvas_text(&t->cv, y, x, colw - 1, buf, ST_NORMAL);
	}
}

/* Before the first row: samples taken but none named yet is the worker
 * reading symbol tables and debug information (seconds under -a, where
 * every process brings its own), not an empty profile. */
static const char *
empty_table_text(const struct tui *t, char *buf, size_t size)
{
	uint64_t taken = t->st.taken > t->st.samples ? t->st.taken :
	    t->st.samples;

	if (!taken || t->view.params.tid || t->view.params.window_s)
		return NULL;
	snprintf(buf, size, "%llu samples taken, none named yet: reading "
	    "symbols and debug information", (unsigned long long)taken);
	return buf;
}

static void
render_table(struct tui *t, int y0, int h)
{
	char empty[128];

	tui_table(t);
	tui_search(t);
	view_table_draw(&t->cv, y0, h, tui_rows(t), &t->table, t->view.sort,
	    &t->search, !tui_has_where(t), t->diff,
	    empty_table_text(t, empty, sizeof empty));
}

/* Shares are of every sample shown (the whole view, also when focused on
 * a function, whose tree holds only the samples through it). */
static void
render_selection(struct tui *t, int y, const struct pview *v, uint32_t sel)
{
	const struct frame *f = tree_frame(v, sel);
	const struct pview_node *nd = &v->nodes[sel];
	uint64_t all = t->cur ? t->cur->total : v->nodes[0].total;
	char buf[512], where[256];

	const struct pdiff *d = tui_tree_diff(t);
	char change[96] = "";
	double delta, was;

	/* In a diff: the change of the total share and the baseline's. */
	if (d) {
		enum pdiff_change c = pdiff_node(d, sel, &delta, &was);
		double gone = pdiff_gone_below(d, sel);
		char below[40] = "";

		if (gone >= 0.05)
			snprintf(below, sizeof below, ", gone below %.1f%%",
			    gone);
		snprintf(change, sizeof change, "  change %+.1f pts (was "
		    "%.1f%%%s)%s", fabs(delta) < 0.05 ? 0.0 : delta, was,
		    below, c == PDIFF_NEW ? " new" : c == PDIFF_SAME ?
		    " ~noise" : "");
	}
	snprintf(buf, sizeof buf, "%s  total %5.1f%% (%llu)%s  self %5.1f%% "
	    "(%llu)  %s", f ? f->name : "all", pct(nd->total, all),
	    (unsigned long long)nd->total, change, pct(nd->self, all),
	    (unsigned long long)nd->self,
	    frame_where(f, where, sizeof where));
	canvas_text(&t->cv, y, 0, -1, buf, ST_TITLE);
}

static void
render_tree(struct tui *t, int y0, int h)
{
	const struct pview *v = tui_tree(t);
	uint32_t root = tui_zoom_root(t), sel;
	char crumb[1024], line[1200];
	const char *kind = t->view.mode == UI_FLAME ? "flame" : "icicle";
	struct tree_paint paint = { false, NULL, false };

	canvas_fill(&t->cv, y0, 0, t->cv.w, ' ', ST_TITLE);
	canvas_fill(&t->cv, y0 + h - 1, 0, t->cv.w, ' ', ST_TITLE);
	if (!v || root == PROFILE_NO_NODE) {
		canvas_text(&t->cv, y0, 0, -1, kind, ST_TITLE);
		canvas_text(&t->cv, y0 + 2, 2, -1, !t->cur ? "no samples yet" :
		    t->view.focus_frame != PROFILE_NO_FRAME && !t->focus ?
		    "this function has no samples in this view (Esc: back)" :
		    "the zoomed frame has no samples in this view (Esc: "
		    "zoom out)", ST_NORMAL);
		return;
	}
	tui_diff(t);
	tui_layout(t, t->cv.w);
	tui_search(t);
	sel = tui_selected(t);
	status_crumb(crumb, sizeof crumb, t->cv.w - (int)strlen(kind) - 2,
	    v, root, t->cv.g);
	if (t->view.focus_frame != PROFILE_NO_FRAME && t->cur &&
	    t->view.focus_frame < t->cur->n_frames)
		snprintf(line, sizeof line, "%s: callees of %s  %s", kind,
		    t->cur->frames[t->view.focus_frame].name, crumb);
	else
		snprintf(line, sizeof line, "%s  %s", kind, crumb);
	canvas_text(&t->cv, y0, 0, -1, line, ST_TITLE);
	paint.color_module = tui_has_where(t);
	paint.diff = tui_tree_diff(t);
	paint.marks = t->d.colors < 256;
	view_icicle_draw(&t->cv, y0 + 1, h - 2, &t->lay, v, sel, &t->search,
	    t->view.mode == UI_FLAME, &paint, &t->tree_top);
	if (sel != PROFILE_NO_NODE)
		render_selection(t, y0 + h - 1, v, sel);
}

/* A launched command's output note stays this long, then the bottom line
 * may show the spark instead (and the note again while ? is open). */
#define OUTPUT_NOTE_S 10.0

/* The bottom line: a prompt, a message, the search's figures, else (the
 * spark not on the first line, in a narrow terminal) the spark, else the
 * output note or a hint of the keys. */
static void
render_bottom(struct tui *t, int y, bool spark_shown)
{
	char buf[1024];
	int st = ST_NORMAL;
	bool note = t->have_status && t->st.output_note[0];

	if (t->prompt) {
		snprintf(buf, sizeof buf, "/%s", t->prompt_buf);
		canvas_text(&t->cv, y, 0, -1, buf, ST_MESSAGE);
		return;
	}
	if (t->msg[0]) {
		snprintf(buf, sizeof buf, "%s", t->msg);
		st = t->msg_err ? ST_ERROR : ST_MESSAGE;
	} else if (t->have_status && t->st.message[0]) {
		snprintf(buf, sizeof buf, "%s", t->st.message);
		st = ST_MESSAGE;
	} else if (t->search.on) {
		snprintf(buf, sizeof buf, "search \"%s\"%s: %.1f%% of samples "
		    "matched  (n/N next/previous, / Enter clears)",
		    t->search.text, t->search.regex ? " (regex)" : "",
		    pct(t->search.samples, t->search.total));
		st = ST_MATCH;
	} else if (!spark_shown && (!note || (t->st.elapsed_s >=
	    OUTPUT_NOTE_S && !t->help)) &&
	    spark_text(t, buf, sizeof buf, t->cv.w - 1)) {
		st = ST_HEADER;
	} else if (note) {
		snprintf(buf, sizeof buf, "%s", t->st.output_note);
	} else {
		snprintf(buf, sizeof buf, "? help  q quit  t/i/f views  "
		    "Enter zoom  Esc back  / search  s save  space pause");
	}
	canvas_text(&t->cv, y, 0, -1, buf, st);
}

/* One line when it fits, else wrapped at spaces (a 20-column terminal
 * still reads the whole message). */
static void
render_wrapped(struct canvas *c, const char *msg)
{
	const char *p = msg;
	int y = 0;

	while (*p && y < c->h) {
		int n = (int)strlen(p), cut = n;

		if (n > c->w) {
			for (cut = c->w; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = c->w;
		}
		canvas_text(c, y++, 0, cut, p, ST_NORMAL);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

void
tui_render(struct tui *t)
{
	int w, h;
	char buf[128];

	bool spark;

	draw_size(&w, &h);
	if (canvas_resize(&t->cv, w, h) < 0)
		return;
	canvas_clear(&t->cv);
	if (w < UI_MIN_W || h < UI_MIN_H) {
		snprintf(buf, sizeof buf, "terminal too small: %dx%d, need "
		    "%dx%d", w, h, UI_MIN_W, UI_MIN_H);
		render_wrapped(&t->cv, buf);
		return;
	}
	spark = render_status(t);
	if (t->help)
		render_help(t, 2, h - 3);
	else if (t->srcv)
		srcview_draw(t, 2, h - 3);
	else if (t->view.mode == UI_TABLE)
		render_table(t, 2, h - 3);
	else
		render_tree(t, 2, h - 3);
	render_bottom(t, h - 1, spark);
}
