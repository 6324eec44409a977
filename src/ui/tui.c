/* SPDX-License-Identifier: MIT */
/* The TUI main loop: fetches views from the source every delay, keeps the
 * selection and zoom by stable ids across views, dispatches keys through
 * the key map and renders each frame into a canvas copied to the screen. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/ui.h"
#include "ctop/util.h"
#include "draw.h"
#include "source_view.h"
#include "tui.h"

void
tui_message(struct tui *t, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
	t->msg_err = err;
	t->msg_until = util_now_s() + 8.0;
	t->dirty = true;
}

/* ------------------------------------------------------------------------
 * Views: the newest full view, the focused one, and their caches.
 * ------------------------------------------------------------------------ */

static void
tui_drop_focus_view(struct tui *t)
{
	pview_unref(t->focus);
	t->focus = NULL;
}

/* Rebuilds what derives from cur: the focused view. */
void
tui_refocus(struct tui *t)
{
	tui_drop_focus_view(t);
	t->gen++;
	if (t->view.focus_frame == PROFILE_NO_FRAME || !t->cur)
		return;
	t->focus = pview_focus(t->cur, t->view.focus_frame);
}

bool
tui_focus_on(struct tui *t, uint32_t frame)
{
	t->view.focus_frame = frame;
	tui_refocus(t);
	if (t->focus)
		return true;
	t->view.focus_frame = PROFILE_NO_FRAME;
	tui_refocus(t);
	tui_message(t, true, "no samples below that function");
	return false;
}

const struct pview *
tui_tree(const struct tui *t)
{
	return t->view.focus_frame != PROFILE_NO_FRAME ? t->focus : t->cur;
}

static void
tui_set_view(struct tui *t, struct pview *v)
{
	if (!v)
		return;
	if (v == t->cur) {
		pview_unref(v);
		return;
	}
	pview_unref(t->cur);
	t->cur = v;
	tui_refocus(t);
	t->dirty = true;
}

/* 1 + the frame id of the selected function (the table's row, the
 * trees' frame), whose share per second the next view's spark counts;
 * 0 when none. */
static uint32_t
tui_spark_frame(const struct tui *t)
{
	const struct pview *v = tui_tree(t);
	uint32_t n, f = PROFILE_NO_FRAME;

	if (!t->cur)
		return 0;
	if (t->view.mode == UI_TABLE)
		f = t->table.sel_frame;
	else if (v && t->view.sel_depth &&
	    (n = pview_find(v, t->view.sel_path[0])) != PROFILE_NO_NODE)
		f = v->nodes[n].frame;
	return f < t->cur->n_frames ? f + 1 : 0;
}

static void
tui_fetch(struct tui *t)
{
	t->view.params.spark = tui_spark_frame(t);
	tui_set_view(t, t->src->ops->view(t->src->ctx, &t->view.params));
}

static void
tui_fetch_status(struct tui *t)
{
	struct source_status st;

	memset(&st, 0, sizeof st);
	st.exit_status = -1;
	t->src->ops->status(t->src->ctx, &st);
	if (memcmp(&st, &t->st, sizeof st) != 0)
		t->dirty = true;
	t->st = st;
	t->have_status = true;
}

/* ------------------------------------------------------------------------
 * Diff against the baseline
 * ------------------------------------------------------------------------ */

static void
tui_drop_diffs(struct tui *t)
{
	pdiff_free(t->diff);
	pdiff_free(t->tdiff);
	t->diff = t->tdiff = NULL;
	t->diff_gen = 0;
}

/* Makes base (a new reference, or NULL to drop it) the baseline. */
void
tui_set_baseline(struct tui *t, struct pview *base, const char *name)
{
	tui_drop_diffs(t);
	pview_unref(t->base);
	t->base = base;
	snprintf(t->base_name, sizeof t->base_name, "%s", name ? name : "");
	if (!base && t->view.sort == SORT_DELTA)
		t->view.sort = SORT_SELF;
	t->gen++;
	t->dirty = true;
}

/* The baseline focused on the function the tree is focused on (found by
 * name: the baseline may be another profile's view), or NULL. */
static struct pview *
tui_base_focus(const struct tui *t)
{
	uint32_t f = t->view.focus_frame, bf;

	if (!t->cur || f >= t->cur->n_frames)
		return NULL;
	bf = pview_frame_lookup(t->base, &t->cur->frames[f]);
	return bf == PROFILE_NO_FRAME ? NULL : pview_focus(t->base, bf);
}

/* Rebuilds the diffs when the views changed since they were made. */
void
tui_diff(struct tui *t)
{
	struct pview *bf;

	if (!t->base || !t->cur) {
		if (t->diff)
			tui_drop_diffs(t);
		return;
	}
	if (t->diff_gen == t->gen && t->diff)
		return;
	tui_drop_diffs(t);
	t->diff_gen = t->gen;
	t->diff = pview_diff(t->cur, t->base, 0, 0);
	if (t->focus) {
		bf = tui_base_focus(t);
		t->tdiff = pview_diff(t->focus, bf, t->cur->total,
		    t->base->total);
		pview_unref(bf);
	}
	if (!t->diff || (t->focus && !t->tdiff))
		tui_message(t, true, "out of memory for the diff");
}

/* The table's rows: a diff's (with the baseline's gone functions), else
 * the view's. */
const struct pview *
tui_rows(const struct tui *t)
{
	return t->diff ? t->diff->view : t->cur;
}

/* The diff of the shown tree, or NULL. */
const struct pdiff *
tui_tree_diff(const struct tui *t)
{
	const struct pdiff *d = t->view.focus_frame != PROFILE_NO_FRAME ?
	    t->tdiff : t->diff;

	return d && d->after == tui_tree(t) ? d : NULL;
}

/* ------------------------------------------------------------------------
 * Selection and zoom by stable id
 * ------------------------------------------------------------------------ */

/* The zoom root's node index in the shown tree (0 when not zoomed), or
 * PROFILE_NO_NODE when the zoomed frame is absent from this view. */
uint32_t
tui_zoom_root(const struct tui *t)
{
	const struct pview *v = tui_tree(t);

	if (!v)
		return PROFILE_NO_NODE;
	if (!t->view.n_zoom)
		return 0;
	return pview_find(v, t->view.zoom[t->view.n_zoom - 1]);
}

/* Resolves the selection in the shown tree: the selected node, else its
 * deepest ancestor present and drawn, else the zoom root. */
uint32_t
tui_selected(struct tui *t)
{
	const struct pview *v = tui_tree(t);
	uint32_t root = tui_zoom_root(t), n;
	int k;

	if (!v || root == PROFILE_NO_NODE)
		return PROFILE_NO_NODE;
	for (k = 0; k < t->view.sel_depth; k++) {
		n = pview_find(v, t->view.sel_path[k]);
		if (n != PROFILE_NO_NODE && layout_box(&t->lay, n) >= 0)
			return n;
	}
	return root;
}

/* Lays out the shown tree when the view, the zoom root or the width
 * changed since the last time. */
void
tui_layout(struct tui *t, int width)
{
	const struct pview *v = tui_tree(t);
	uint32_t root = tui_zoom_root(t);

	if (t->gen == t->lay_gen && root == t->lay_root && width == t->lay_w)
		return;
	t->lay_gen = t->gen;
	t->lay_root = root;
	t->lay_w = width;
	if (!v || root == PROFILE_NO_NODE) {
		t->lay.n = 0;
		t->lay.rows = 0;
		return;
	}
	if (layout_tree(&t->lay, v, root, width) < 0)
		tui_message(t, true, "out of memory laying out the view");
}

/* Close rows keep their order across refreshes (same sort key only). */
static void
tui_table_stabilize(struct tui *t, const struct pview *v,
    struct table_state *tb)
{
	if (v->n_frames > tb->n_prev) {
		uint32_t *r = realloc(tb->prev_rank, v->n_frames * sizeof *r);
		int32_t *sh = r ? realloc(tb->shown, 2 * v->n_frames *
		    sizeof *sh) : NULL;

		if (r)
			tb->prev_rank = r;
		if (!sh)
			return;
		memset(r + tb->n_prev, 0, (v->n_frames - tb->n_prev) *
		    sizeof *r);
		memset(sh + 2 * tb->n_prev, 0xff, 2 * (v->n_frames -
		    tb->n_prev) * sizeof *sh);
		tb->shown = sh;
		tb->n_prev = v->n_frames;
	}
	/* Another sort key, thread or window, or the counts reset (a
	 * cumulative view has fewer samples than the last): other rows,
	 * whose old order and shares say nothing. */
	if (t->view.sort != tb->prev_sort || v->params.tid != tb->prev_tid ||
	    v->params.window_s != tb->prev_window ||
	    (!v->params.window_s && v->total < tb->prev_total)) {
		memset(tb->prev_rank, 0, tb->n_prev * sizeof *tb->prev_rank);
		memset(tb->shown, 0xff, 2 * tb->n_prev * sizeof *tb->shown);
	}
	tb->prev_sort = t->view.sort;
	tb->prev_tid = v->params.tid;
	tb->prev_window = v->params.window_s;
	tb->prev_total = v->total;
	table_stabilize(v, t->view.sort, tb->rows, tb->n, tb->prev_rank,
	    tb->n_prev);
}

/* The n sorted rows less those of process frames, which root the stacks
 * and are no functions (the batch table leaves them out too): how many
 * are left. */
static uint32_t
drop_process_rows(const struct pview *v, uint32_t *rows, uint32_t n)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < n; i++)
		if (!pview_func_is_process(v, rows[i]))
			rows[kept++] = rows[i];
	return kept;
}

/* Sorts the table of v, keeping the selected function by frame id. */
static void
tui_table_sort(struct tui *t, const struct pview *v)
{
	struct table_state *tb = &t->table;
	uint32_t i;

	t->table_gen = t->gen;
	t->table_sort = t->view.sort;
	if (v->n_funcs > tb->cap) {
		uint32_t *r = realloc(tb->rows, v->n_funcs * sizeof *r);

		if (!r) {
			tui_message(t, true, "out of memory sorting the table");
			tb->n = 0;
			return;
		}
		tb->rows = r;
		tb->cap = v->n_funcs;
	}
	tb->n = v->n_funcs;
	if (t->diff && v == t->diff->view)
		table_sort_diff(t->diff, t->view.sort, tb->rows);
	else
		table_sort(v, t->view.sort, tb->rows);
	tb->n = drop_process_rows(v, tb->rows, tb->n);
	tui_table_stabilize(t, v, tb);
	if (tb->sel_frame != PROFILE_NO_FRAME)
		for (i = 0; i < tb->n; i++)
			if (v->funcs[tb->rows[i]].frame == tb->sel_frame) {
				tb->sel = i;
				return;
			}
	if (tb->sel >= (long)tb->n)
		tb->sel = (long)tb->n - 1;
	if (tb->sel < 0)
		tb->sel = 0;
}

/* Sorts the table of cur when the view or the key changed; keeps the
 * selection's frame id in step with its row. */
void
tui_table(struct tui *t)
{
	const struct pview *v;
	struct table_state *tb = &t->table;

	tui_diff(t);
	v = tui_rows(t);
	if (!v)
		return;
	if (t->gen != t->table_gen || t->view.sort != t->table_sort)
		tui_table_sort(t, v);
	/* The selected function is what the table keeps across sorts. */
	if (tb->n)
		tb->sel_frame = v->funcs[tb->rows[tb->sel]].frame;
}

/* Applies the search to what is shown (once per view and root). */
void
tui_search(struct tui *t)
{
	const struct pview *v = t->view.mode == UI_TABLE ? tui_rows(t) :
	    tui_tree(t);
	uint32_t root = t->view.mode == UI_TABLE ? 0 : tui_zoom_root(t);

	if (!t->search.on || !v || root == PROFILE_NO_NODE)
		return;
	if (t->gen == t->search_gen && root == t->search_root &&
	    !t->search_new)
		return;
	t->search_gen = t->gen;
	t->search_root = root;
	t->search_new = false;
	if (search_apply(&t->search, v, root) < 0)
		tui_message(t, true, "out of memory searching");
}

/* ------------------------------------------------------------------------
 * Loop
 * ------------------------------------------------------------------------ */

static void
tui_init_state(struct tui *t, struct source *src, const struct ui_opts *o,
    const struct ui_signals *sig)
{
	memset(t, 0, sizeof *t);
	t->src = src;
	t->opts = o;
	t->sig = sig;
	t->delay = o->delay_s > 0.05 ? o->delay_s : 1.0;
	t->view.focus_frame = PROFILE_NO_FRAME;
	t->table.sel_frame = PROFILE_NO_FRAME;
	t->lay_root = PROFILE_NO_NODE;
	t->gen = 1;
	t->lay_w = -1;
	search_init(&t->search);
	t->dirty = true;
	/* Opened as a diff: the largest changes first. */
	if (o->baseline) {
		tui_set_baseline(t, pview_ref(o->baseline), o->baseline_name);
		t->view.sort = SORT_DELTA;
	}
}

static void
tui_free_state(struct tui *t)
{
	tui_drop_diffs(t);
	pview_unref(t->base);
	t->base = NULL;
	tui_drop_focus_view(t);
	pview_unref(t->cur);
	t->cur = NULL;
	free(t->table.rows);
	free(t->table.prev_rank);
	free(t->table.shown);
	layout_free(&t->lay);
	srcview_close(t);
	search_fini(&t->search);
	canvas_free(&t->cv);
}

/* Job control: Ctrl-Z. The terminal goes back to the shell before the
 * process stops (main's suspend() releases the target first), and the
 * whole screen is drawn again once continued. */
static void
tui_job_control(struct tui *t)
{
	const struct ui_signals *sig = t->sig;

	if (!sig)
		return;
	if (sig->stop && *sig->stop) {
		*sig->stop = 0;
		draw_suspend(&t->d);
		if (sig->suspend)
			sig->suspend();
		draw_resume(&t->d);
		t->dirty = true;
	}
	if (sig->redraw && *sig->redraw) {
		*sig->redraw = 0;
		draw_resume(&t->d);
		t->dirty = true;
	}
}

static bool
tui_should_quit(struct tui *t, double start)
{
	if (t->quit)
		return true;
	if (t->sig && t->sig->quit && *t->sig->quit)
		return true;
	return t->opts->duration_s > 0 &&
	    util_now_s() - start >= t->opts->duration_s;
}

/* Fetches a new view every delay (not while paused), at once when a key
 * asked for it (refetch), and every 50 ms while there is none yet or it was
 * built for older parameters, so the first screen and a thread or window
 * change show up quickly. */
static void
tui_tick(struct tui *t, double now)
{
	bool stale = !t->cur || t->cur->params.tid != t->view.params.tid ||
	    t->cur->params.window_s != t->view.params.window_s;

	if (now >= t->next_fetch || t->refetch ||
	    (stale && now >= t->next_poll)) {
		if (!t->view.paused || !t->cur)
			tui_fetch(t);
		tui_fetch_status(t);
		t->next_poll = now + 0.05;
		if (now >= t->next_fetch || t->refetch)
			t->next_fetch = now + t->delay;
		t->refetch = false;
	}
	if (t->msg[0] && now >= t->msg_until) {
		t->msg[0] = '\0';
		t->dirty = true;
	}
}

int
ui_run(struct source *src, const struct ui_opts *opts,
    const struct ui_signals *sig, char **cause)
{
	struct tui *t;
	double start = util_now_s();
	int rc, key;
	bool fn;

	*cause = NULL;
	t = malloc(sizeof *t);
	if (!t) {
		*cause = strdup("out of memory");
		return -ENOMEM;
	}
	tui_init_state(t, src, opts, sig);
	rc = draw_init(&t->d, opts->ascii, opts->no_color, cause);
	if (rc < 0) {
		tui_free_state(t);
		free(t);
		return rc;
	}
	t->cv.g = &t->d.g;
	while (!tui_should_quit(t, start)) {
		double now = util_now_s();

		int w, h;

		tui_job_control(t);
		draw_check_size();
		draw_size(&w, &h);
		if (w != t->cv.w || h != t->cv.h)
			t->dirty = true;
		tui_tick(t, now);
		if (t->dirty) {
			tui_render(t);
			draw_blit(&t->d, &t->cv);
			t->dirty = false;
		}
		if (draw_key(t->cur ? 100 : 50, &key, &fn)) {
			tui_key(t, key, fn);
			t->dirty = true;
		}
	}
	draw_fini(&t->d);
	rc = t->back_to_picker ? 1 : 0;
	tui_free_state(t);
	free(t);
	return rc;
}
