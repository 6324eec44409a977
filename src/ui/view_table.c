/* SPDX-License-Identifier: MIT */
/* The top table, on the canvas and as batch text: one row per function with self and total shares and
 * counts, its name and where it lives, in the chosen sort order. Numbers
 * have fixed widths so a steady profile redraws only the digits that
 * change. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/termsafe.h"
#include "ui_internal.h"

/* Column starts of one table width. */
struct table_cols {
	bool counts;	/* the two sample count columns fit */
	int name, name_w, where, where_w;
	/* MODULE, from 120 columns: WHERE is then the file:line alone;
	 * narrower, WHERE holds the module of a frame without a line. */
	int module, module_w;
	/* PROCESS, before FUNCTION, when the view has several (-a,
	 * --children); WHERE gives way to it below 100 columns. */
	int proc, proc_w;
};

static const char *path_base(const char *path);
static const char *points(char *buf, size_t size, double d);

#define TABLE_MODULE_MIN_W 120
#define TABLE_MODULE_W 24
#define TABLE_PROC_W 18

/* The count columns by default from this width: they change at every
 * refresh for every row that gets samples, most of the bytes a live
 * table sends (931 B/s with them, 347 without, at 120x40), and a
 * narrower table gives their 20 columns to the names. */
#define TABLE_COUNTS_W 160

bool
view_table_counts(const struct table_state *t, int w, bool diff)
{
	if (t->counts)
		return t->counts > 0;
	return w >= (diff ? 70 : TABLE_COUNTS_W);
}

static void
table_cols(int w, bool counts, bool no_where, bool procs,
    struct table_cols *tc)
{
	tc->counts = counts;
	tc->proc = tc->counts ? 36 : 16;
	tc->proc_w = procs && w >= 60 ? TABLE_PROC_W : 0;
	tc->name = tc->proc + (tc->proc_w ? tc->proc_w + 2 : 0);
	if (tc->proc_w && w < 100)
		no_where = true;
	tc->where_w = (no_where || w < 60) ? 0 : (w - tc->name) / 3;
	if (tc->where_w > 40)
		tc->where_w = 40;
	tc->module_w = !no_where && w >= TABLE_MODULE_MIN_W ? TABLE_MODULE_W :
	    0;
	tc->name_w = w - tc->name - (tc->where_w ? tc->where_w + 2 : 0) -
	    (tc->module_w ? tc->module_w + 2 : 0);
	tc->module = tc->name + tc->name_w + 2;
	tc->where = tc->module + (tc->module_w ? tc->module_w + 2 : 0);
}

static double
pct(uint64_t n, uint64_t all)
{
	return all ? 100.0 * (double)n / (double)all : 0.0;
}

static void
table_title(struct canvas *c, int y, const struct table_cols *tc,
    enum sort_key key, bool diff)
{
	char buf[64];

	if (diff && tc->counts)
		snprintf(buf, sizeof buf, "%6s %7s %7s %7s", "SELF%", "TOTAL%",
		    "dSELF", "dTOTAL");
	else if (diff)
		snprintf(buf, sizeof buf, "%6s %7s", "SELF%", "dSELF");
	else if (tc->counts)
		snprintf(buf, sizeof buf, "%6s %7s %9s %9s", "SELF%", "TOTAL%",
		    "SELF", "TOTAL");
	else
		snprintf(buf, sizeof buf, "%6s %7s", "SELF%", "TOTAL%");
	canvas_fill(c, y, 0, c->w, ' ', ST_TITLE);
	canvas_text(c, y, 0, -1, buf, ST_TITLE);
	if (tc->proc_w)
		canvas_text(c, y, tc->proc, tc->proc_w, "PROCESS", ST_TITLE);
	canvas_text(c, y, tc->name, tc->name_w, "FUNCTION", ST_TITLE);
	if (tc->module_w)
		canvas_text(c, y, tc->module, tc->module_w, "MODULE", ST_TITLE);
	if (tc->where_w)
		canvas_text(c, y, tc->where, tc->where_w, "WHERE", ST_TITLE);
	/* The sort column is drawn as selected, which reads in mono too. */
	if (key == SORT_SELF)
		canvas_restyle(c, y, 0, 6, ST_SELECTED);
	else if (key == SORT_TOTAL)
		canvas_restyle(c, y, 7, 7, ST_SELECTED);
	else if (key == SORT_NAME)
		canvas_restyle(c, y, tc->name, 8, ST_SELECTED);
	else if (key == SORT_WHERE && tc->where_w)
		canvas_restyle(c, y, tc->where, 5, ST_SELECTED);
	else if (key == SORT_DELTA && diff)
		canvas_restyle(c, y, tc->counts ? 15 : 7, 7, ST_SELECTED);
}

/* The share columns of a diff row: self and total shares now and their
 * change in points, the change coloured, and its mark. */
static void
diff_cells(struct canvas *c, int y, const struct table_cols *tc,
    const struct pdiff *d, uint32_t i, int st)
{
	const struct pview_func *f = &d->view->funcs[i];
	double ds, dt;
	enum pdiff_change cs = pdiff_func(d, i, false, &ds);
	enum pdiff_change ct = pdiff_func(d, i, true, &dt);
	char buf[96], p1[16], p2[16];
	int x = tc->counts ? 15 : 7;

	if (tc->counts)
		snprintf(buf, sizeof buf, "%6.1f %7.1f %7s %7s %c",
		    pct(f->self, d->after_all), pct(f->total, d->after_all),
		    points(p1, sizeof p1, ds), points(p2, sizeof p2, dt), diff_mark(cs != PDIFF_SAME ? cs : ct));
	else
		snprintf(buf, sizeof buf, "%6.1f %7s %c",
		    pct(f->self, d->after_all), points(p1, sizeof p1, ds),
		    diff_mark(cs));
	canvas_text(c, y, 0, tc->name, buf, st);
	if (st != ST_NORMAL)
		return;
	canvas_restyle(c, y, x, 7, ST_DIFF0 + diff_shade(cs, ds));
	if (tc->counts)
		canvas_restyle(c, y, x + 8, 7, ST_DIFF0 + diff_shade(ct, dt));
}

/* The PROCESS cell: "PID comm", or "several" for a function (a library's)
 * sampled in more than one. */
static const char *
func_proc(const struct pview *v, const struct pview_func *f)
{
	if (f->proc < v->n_frames && v->frames[f->proc].name)
		return v->frames[f->proc].name;
	return "several";
}

/* A share as drawn: the one drawn last (*shown, in tenths) while the
 * exact share n/all stays within 0.075 points of it or within half its
 * sampling error (the standard error of a share of all samples,
 * sqrt(n (all - n) / all) samples), whichever is wider; a new tenth once
 * it moves on. A young profile's shares wander by about their error from
 * one refresh to the next, and their last digit flipped at every
 * refresh: bytes on the wire, and an eye drawn to nothing. The error
 * shrinks as samples come, so a settled profile shows its shares to
 * the tenth (a share on the edge of two tenths keeps the one drawn
 * last). */
static double
steady_pct(int32_t *shown, uint64_t n, uint64_t all)
{
	double exact = pct(n, all), tenths = exact * 10, hold = 0.75;
	double noise;

	if (!shown)
		return exact;
	if (all && n < all) {
		/* Half the standard error, in tenths of a point. */
		noise = 5.0 * 100.0 * sqrt((double)n * (double)(all - n) /
		    (double)all) / (double)all;
		if (noise > hold)
			hold = noise;
	}
	if (*shown < 0 || fabs(tenths - *shown) >= hold)
		*shown = (int32_t)lround(tenths);
	return *shown / 10.0;
}

static void
table_row(struct canvas *c, int y, const struct table_cols *tc,
    const struct pview *v, const struct pview_func *f, bool sel, bool hit,
    const struct pdiff *d, int32_t *shown)
{
	const struct frame *fr = f->frame < v->n_frames ?
	    &v->frames[f->frame] : NULL;
	char buf[512], where[256];
	int st = sel ? (hit ? ST_SEL_MATCH : ST_SELECTED) : ST_NORMAL;
	double total = steady_pct(shown ? shown + 1 : NULL, f->total,
	    v->total);
	double self = steady_pct(shown, f->self, v->total);

	/* Held apart, the two could tell a leaf's equal shares apart, or
	 * a self share above its total. */
	if (shown && (f->self == f->total || shown[0] > shown[1])) {
		shown[0] = f->self == f->total ? shown[1] :
		    (int32_t)lround(10 * pct(f->self, v->total));
		if (shown[0] > shown[1])
			shown[0] = shown[1];
		self = shown[0] / 10.0;
	}

	if (tc->counts)
		snprintf(buf, sizeof buf, "%6.1f %7.1f %9llu %9llu",
		    self, total,
		    (unsigned long long)f->self, (unsigned long long)f->total);
	else
		snprintf(buf, sizeof buf, "%6.1f %7.1f", self, total);
	canvas_fill(c, y, 0, c->w, ' ', st);
	if (d)
		diff_cells(c, y, tc, d, (uint32_t)(f - v->funcs), st);
	else
		canvas_text(c, y, 0, tc->name, buf, st);
	if (tc->proc_w) {
		text_fit(func_proc(v, f), tc->proc_w, c->g, buf, sizeof buf);
		canvas_text(c, y, tc->proc, tc->proc_w, buf, st);
	}
	text_fit(fr && fr->name ? fr->name : "?", tc->name_w, c->g, buf,
	    sizeof buf);
	canvas_text(c, y, tc->name, tc->name_w, buf,
	    hit && !sel ? ST_MATCH : st);
	if (tc->module_w) {
		text_fit(fr && fr->module ? path_base(fr->module) : "",
		    tc->module_w, c->g, buf, sizeof buf);
		canvas_text(c, y, tc->module, tc->module_w, buf, st);
	}
	if (tc->where_w) {
		if (tc->module_w && !(fr && fr->file))
			where[0] = '\0';	/* the module has its column */
		else
			frame_where(fr, where, sizeof where);
		text_fit(where, tc->where_w, c->g, buf, sizeof buf);
		canvas_text(c, y, tc->where, tc->where_w, buf, st);
	}
}

void
view_table_draw(struct canvas *c, int y0, int h, const struct pview *v,
    struct table_state *t, enum sort_key key, const struct search *s,
    bool no_where, const struct pdiff *diff, const char *empty)
{
	struct table_cols tc;
	long i, body = h - 1;

	table_cols(c->w, view_table_counts(t, c->w, diff != NULL), no_where,
	    v && v->n_procs > 1, &tc);
	table_title(c, y0, &tc, key, diff != NULL);
	if (!v || !t->n) {
		canvas_text(c, y0 + 2, 2, -1, empty ? empty : "no samples yet",
		    ST_NORMAL);
		return;
	}
	if (body < 1)
		return;
	/* Scroll only as far as needed to keep the selection visible. */
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + body)
		t->top = t->sel - body + 1;
	if (t->top > (long)t->n - body)
		t->top = (long)t->n - body;
	if (t->top < 0)
		t->top = 0;
	for (i = 0; i < body && t->top + i < (long)t->n; i++) {
		const struct pview_func *f = &v->funcs[t->rows[t->top + i]];
		int32_t *shown = !diff && t->shown && f->frame < t->n_prev ?
		    &t->shown[2 * f->frame] : NULL;

		table_row(c, y0 + 1 + (int)i, &tc, v, f, t->top + i == t->sel,
		    search_hit(s, f->frame), diff, shown);
	}
}

static const char *
path_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Pads to `cols` terminal columns after text of text_cols() `used`. */
static void
pad_to(FILE *out, int used, int cols)
{
	fprintf(out, "%*s", used < cols ? cols - used : 0, "");
}

/* One row: counts, then the name, module and source location, escaped
 * (they come from the target) and padded by columns, not bytes. */
static void
batch_row(FILE *out, const struct pview *v, const struct pview_func *f,
    const struct frame *fr, bool any_where)
{
	char *proc = v->n_procs > 1 ? termsafe_dup(func_proc(v, f)) : NULL;

	char where[256];
	char *name = termsafe_dup(fr->name ? fr->name : "?");
	char *mod = termsafe_dup(fr->module ? path_base(fr->module) : "-");
	char *wh;

	where[0] = '\0';
	if (fr->file && fr->line)
		snprintf(where, sizeof where, "%s:%u", path_base(fr->file),
		    (unsigned)fr->line);
	else if (fr->file)
		snprintf(where, sizeof where, "%s", path_base(fr->file));
	wh = termsafe_dup(where);
	fprintf(out, "%6.1f %7.1f %9llu %9llu  ", pct(f->self, v->total),
	    pct(f->total, v->total), (unsigned long long)f->self,
	    (unsigned long long)f->total);
	if (v->n_procs > 1) {
		fprintf(out, "%s", proc ? proc : "?");
		pad_to(out, text_cols(proc ? proc : "?"), 20);
		fputc(' ', out);
	}
	fprintf(out, "%s", name ? name : "?");
	if (any_where) {
		pad_to(out, text_cols(name ? name : "?"), 40);
		fprintf(out, " %s", mod ? mod : "?");
		if (where[0]) {
			pad_to(out, text_cols(mod ? mod : "?"), 20);
			fprintf(out, " %s", wh ? wh : "?");
		}
	}
	fputc('\n', out);
	free(proc);
	free(name);
	free(mod);
	free(wh);
}

int
batch_table(FILE *out, const struct pview *v, int rows)
{
	uint32_t *order, i;
	bool any_where = false;
	int shown = 0;

	if (!v || !v->n_funcs) {
		fprintf(out, "(no samples)\n\n");
		return 0;
	}
	order = malloc(v->n_funcs * sizeof *order);
	if (!order)
		return -ENOMEM;
	table_sort(v, SORT_SELF, order);
	for (i = 0; i < v->n_frames && !any_where; i++)
		any_where = v->frames[i].module || v->frames[i].file;
	/* The headers say what each column holds: the module (ELF file)
	 * and the source location are separate columns. */
	fprintf(out, "%6s %7s %9s %9s  ", "SELF%", "TOTAL%", "SELF", "TOTAL");
	if (v->n_procs > 1)
		fprintf(out, "%-20s ", "PROCESS");
	if (any_where)
		fprintf(out, "%-40s %-20s %s\n", "FUNCTION", "MODULE",
		    "WHERE");
	else
		fprintf(out, "%-40s %s\n", "FUNCTION",
		    "(folded file: no module/line info)");
	for (i = 0; i < v->n_funcs && shown < rows; i++) {
		const struct pview_func *f = &v->funcs[order[i]];
		const struct frame *fr = &v->frames[f->frame];

		/* The process name roots every stack: not a function. */
		if (fr->kind == FRAME_PROCESS)
			continue;
		batch_row(out, v, f, fr, any_where);
		shown++;
	}
	fputc('\n', out);
	free(order);
	return shown;
}


/* ------------------------------------------------------------------------
 * Batch: a diff's table
 * ------------------------------------------------------------------------ */

/* A change in points with its sign, and 0.0 (not "+0.0" or "-0.0")
 * where it rounds to nothing. */
static const char *
points(char *buf, size_t size, double d)
{
	if (fabs(d) < 0.05)
		snprintf(buf, size, "0.0");
	else
		snprintf(buf, size, "%+.1f", d);
	return buf;
}

static const char *
change_word(enum pdiff_change c)
{
	switch (c) {
	case PDIFF_GREW:
		return "+";
	case PDIFF_SHRANK:
		return "-";
	case PDIFF_NEW:
		return "new";
	case PDIFF_GONE:
		return "gone";
	default:
		return "";
	}
}

static void
batch_diff_row(FILE *out, const struct pdiff *d, uint32_t i)
{
	const struct pview_func *f = &d->view->funcs[i];
	const struct frame *fr = &d->view->frames[f->frame];
	char *name = termsafe_dup(fr->name ? fr->name : "?");
	double ds, dt;
	enum pdiff_change cs = pdiff_func(d, i, false, &ds);
	enum pdiff_change ct = pdiff_func(d, i, true, &dt);
	char p1[16], p2[16];

	fprintf(out, "%7.1f %7.1f %7s %7.1f %7.1f %7s  %-4s  %s\n",
	    pct(d->base_self[i], d->before_all), pct(f->self, d->after_all),
	    points(p1, sizeof p1, ds), pct(d->base_total[i], d->before_all),
	    pct(f->total, d->after_all), points(p2, sizeof p2, dt),
	    change_word(cs != PDIFF_SAME ? cs : ct), name ? name : "?");
	free(name);
}

int
batch_diff_table(FILE *out, const struct pdiff *d, int rows)
{
	uint32_t *order, i;
	int shown = 0;

	if (!d->view->n_funcs) {
		fprintf(out, "(no samples)\n\n");
		return 0;
	}
	order = malloc(d->view->n_funcs * sizeof *order);
	if (!order)
		return -ENOMEM;
	table_sort_diff(d, SORT_DELTA, order);
	fprintf(out, "%7s %7s %7s %7s %7s %7s  %-4s  %s\n", "SELF%A",
	    "SELF%B", "dSELF", "TOTAL%A", "TOTAL%B", "dTOTAL", "CHG",
	    "FUNCTION");
	for (i = 0; i < d->view->n_funcs && shown < rows; i++) {
		if (pview_func_is_process(d->view, order[i]))
			continue;
		batch_diff_row(out, d, order[i]);
		shown++;
	}
	fputc('\n', out);
	free(order);
	return shown;
}
