/* SPDX-License-Identifier: MIT */
/* The key table and its handlers: what each key does to the TUI state
 * (moves, zoom, focus, search, sort, threads, window, pause, reset, save),
 * in which views, and the dispatch that looks a key up and runs it. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "source_view.h"
#include "tui.h"

static void
table_move(struct tui *t, long delta, bool absolute)
{
	struct table_state *tb = &t->table;
	long n = (long)tb->n;

	if (!n || !tui_rows(t))
		return;
	tb->sel = absolute ? delta : tb->sel + delta;
	if (tb->sel >= n)
		tb->sel = n - 1;
	if (tb->sel < 0)
		tb->sel = 0;
	tb->sel_frame = tui_rows(t)->funcs[tb->rows[tb->sel]].frame;
}

/* Remembers node n of v as the selection, with its ancestors' ids so a
 * later view that lacks n can fall back to the nearest one it has. */
static void
tui_select(struct tui *t, const struct pview *v, uint32_t n)
{
	int k = 0;

	t->view.sel_depth = 0;
	while (n != PROFILE_NO_NODE && n < v->n_nodes && k < TUI_MAX_PATH) {
		t->view.sel_path[k++] = v->nodes[n].id;
		n = v->nodes[n].parent;
	}
	t->view.sel_depth = k;
}

static int
body_rows(const struct tui *t)
{
	return t->cv.h > 6 ? t->cv.h - 6 : 1;
}

static void
tree_move(struct tui *t, enum move m, int times)
{
	const struct pview *v = tui_tree(t);
	uint32_t n = tui_selected(t);

	if (!v || n == PROFILE_NO_NODE)
		return;
	while (times-- > 0)
		n = layout_move(&t->lay, v, n, m);
	tui_select(t, v, n);
}

/* Up and Down move visually: towards the callees is down in the icicle and
 * up in the flame. */
static void
tree_vertical(struct tui *t, bool up, int times)
{
	bool callee = (t->view.mode == UI_FLAME) == up;

	tree_move(t, callee ? MOVE_CALLEE : MOVE_CALLER, times);
}

static void
tree_enter(struct tui *t)
{
	const struct pview *v = tui_tree(t);
	uint32_t sel = tui_selected(t);

	if (!v || sel == PROFILE_NO_NODE || sel == tui_zoom_root(t))
		return;
	if (t->view.n_zoom == TUI_MAX_ZOOM) {
		tui_message(t, true, "zoomed in too deep");
		return;
	}
	t->view.zoom[t->view.n_zoom++] = v->nodes[sel].id;
}

static void
tree_back(struct tui *t)
{
	if (t->view.n_zoom) {
		t->view.n_zoom--;	/* the old zoom root stays selected */
		return;
	}
	if (t->view.focus_frame != PROFILE_NO_FRAME) {
		t->view.focus_frame = PROFILE_NO_FRAME;
		tui_refocus(t);
		t->view.sel_depth = 0;
		t->view.mode = UI_TABLE;
	}
}

/* Enter on a table row: the icicle of that function's callees, merged
 * over all its callers, with the function selected. */
static void
table_enter(struct tui *t)
{
	struct table_state *tb = &t->table;

	if (!tui_rows(t) || !tb->n)
		return;
	/* A gone function's row (a diff's) has a frame id past cur's: no
	 * focus view, and the message below. */
	if (!tui_focus_on(t, tui_rows(t)->funcs[tb->rows[tb->sel]].frame))
		return;
	t->view.n_zoom = 0;
	t->view.mode = UI_ICICLE;
	t->tree_top = 0;
	tui_select(t, t->focus, t->focus->nodes[0].first_child);
}

/* Moves to the next (dir 1), previous (-1) or first (0) match: table rows
 * in table order, frames in drawing order (row by row, left to right). */
static void
search_step(struct tui *t, int dir)
{
	long i, n, start, k;

	if (!t->search.on)
		return;
	tui_search(t);
	if (t->view.mode == UI_TABLE) {
		n = (long)t->table.n;
		start = dir ? t->table.sel : -1;
		for (k = 1; k <= n; k++) {
			i = ((start + (dir < 0 ? -k : k)) % n + n) % n;
			if (search_hit(&t->search,
			    tui_rows(t)->funcs[t->table.rows[i]].frame)) {
				table_move(t, i, true);
				return;
			}
		}
	} else if (tui_tree(t)) {
		const struct pview *v = tui_tree(t);

		n = (long)t->lay.n;
		start = dir ? layout_box(&t->lay, tui_selected(t)) : -1;
		for (k = 1; k <= n; k++) {
			i = ((start + (dir < 0 ? -k : k)) % n + n) % n;
			if (search_hit(&t->search,
			    v->nodes[t->lay.boxes[i].node].frame)) {
				tui_select(t, v, t->lay.boxes[i].node);
				return;
			}
		}
	}
	tui_message(t, false, "no match for \"%s\" on screen", t->search.text);
}

static void
prompt_key(struct tui *t, int key, bool fn)
{
	size_t len = strlen(t->prompt_buf);

	if (!fn && key == 27) {
		t->prompt = false;
	} else if ((!fn && (key == '\r' || key == '\n')) ||
	    (fn && key == KEY_ENTER)) {
		t->prompt = false;
		search_set(&t->search, t->prompt_buf);
		t->search_new = true;
		search_step(t, 0);
	} else if ((fn && key == KEY_BACKSPACE) ||
	    (!fn && (key == 127 || key == 8))) {
		while (len > 0 && ((unsigned char)t->prompt_buf[--len] &
		    0xc0) == 0x80)
			;
		t->prompt_buf[len] = '\0';
	} else if (!fn && key == 21) {	/* ^U */
		t->prompt_buf[0] = '\0';
	} else if (!fn && key >= 32 && key != 127) {
		char mb[MB_LEN_MAX];
		mbstate_t ps;
		size_t n;

		memset(&ps, 0, sizeof ps);
		n = wcrtomb(mb, (wchar_t)key, &ps);
		if (n != (size_t)-1 && len + n < sizeof t->prompt_buf) {
			memcpy(t->prompt_buf + len, mb, n);
			t->prompt_buf[len + n] = '\0';
		}
	}
}

static void
key_threads(struct tui *t, int arg)
{
	const struct pview *v = t->cur;
	uint32_t i;

	/* Before the first sample is named there is nothing to tell yet
	 * (a live view a moment old); after it, a source with no thread
	 * level (folded text) has none to give. */
	if (!v || (!v->total && !v->n_threads)) {
		tui_message(t, false, "no samples yet: T cycles through the "
		    "threads once they are sampled");
		return;
	}
	if (!v->n_threads || (v->n_threads == 1 && !v->threads[0].tid)) {
		tui_message(t, false, "no thread information in this source");
		return;
	}
	if (!t->view.params.tid) {
		t->view.params.tid = v->threads[0].tid;
	} else {
		for (i = 0; i < v->n_threads; i++)
			if (v->threads[i].tid == t->view.params.tid)
				break;
		t->view.params.tid = i + 1 < v->n_threads ? v->threads[i + 1].tid : 0;
	}
	t->refetch = true;
}

/* The process frames right under the root (--children), largest first;
 * how many, at most max. */
static int
process_nodes(const struct pview *v, uint32_t *out, int max)
{
	int n = 0;

	if (!v || !v->n_nodes)
		return 0;
	for (uint32_t c = v->nodes[0].first_child; c != PROFILE_NO_NODE &&
	    n < max; c = v->nodes[c].next_sibling) {
		uint32_t f = v->nodes[c].frame;
		int at = n++;

		if (f >= v->n_frames || v->frames[f].kind != FRAME_PROCESS) {
			n--;
			continue;
		}
		while (at > 0 && v->nodes[out[at - 1]].total <
		    v->nodes[c].total) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = c;
	}
	return n;
}

/* Whether P zoomed into node id since its cycle began. */
static bool
proc_done(const struct tui *t, uint64_t id)
{
	for (int i = 0; i < t->n_procs_done; i++)
		if (t->procs_done[i] == id)
			return true;
	return false;
}

/* P: with --children or -a, each process in turn (largest first; the
 * 256 largest) as the zoom root of the icicle or flame, then all of them
 * again. Each once: two of about the same size may swap places between
 * presses. */
static void
key_procs(struct tui *t, int arg)
{
	const struct pview *v = tui_tree(t);
	uint32_t procs[256];
	int n = process_nodes(v, procs, 256), i = 0;

	if (n < 2) {
		tui_message(t, false, "P: one process only (--children shows "
		    "each process the target forks, -a every process)");
		return;
	}
	/* A new cycle unless a process is what P zoomed into last. */
	if (t->view.n_zoom != 1 || !proc_done(t, t->view.zoom[0]))
		t->n_procs_done = 0;
	while (i < n && proc_done(t, v->nodes[procs[i]].id))
		i++;
	if (t->view.mode == UI_TABLE)
		t->view.mode = UI_ICICLE;
	if (i == n || t->n_procs_done == 256) {
		t->view.n_zoom = 0;
		t->n_procs_done = 0;
		tui_message(t, false, "all %d processes", n);
		return;
	}
	t->view.zoom[0] = v->nodes[procs[i]].id;
	t->view.n_zoom = 1;
	t->procs_done[t->n_procs_done++] = t->view.zoom[0];
	tui_message(t, false, "process %d of %d", t->n_procs_done, n);
}

static void
key_window(struct tui *t, int arg)
{
	if (t->have_status && !t->st.live) {
		tui_message(t, false, "a loaded file has no time information: "
		    "the window stays cumulative");
		return;
	}
	t->view.params.window_s = t->view.params.window_s == 0 ? 5 :
	    t->view.params.window_s == 5 ? 30 : 0;
	t->refetch = true;
}

/* In a diff, s also writes the diff (of the table's whole view, or of
 * the tree through its zoom) as two-count folded stacks. */
static void
save_diff(struct tui *t, const char *saved, uint32_t node)
{
	const struct pdiff *d = t->view.mode == UI_TABLE ? t->diff :
	    tui_tree_diff(t);
	char *path = NULL, *cause = NULL;
	int rc;

	if (!d || !t->src->ops->save_diff) {
		tui_message(t, false, "saved %s", saved);
		return;
	}
	rc = t->src->ops->save_diff(t->src->ctx, d, node, &path, &cause);
	if (rc < 0)
		tui_message(t, true, "saved %s; the diff failed: %s", saved,
		    cause ? cause : "error");
	else
		tui_message(t, false, "saved %s and the diff %s", saved,
		    path ? path : "");
	free(path);
	free(cause);
}

static void
key_save(struct tui *t, int arg)
{
	const struct pview *v = t->view.mode == UI_TABLE ? t->cur : tui_tree(t);
	uint32_t node = t->view.mode == UI_TABLE ? 0 : tui_zoom_root(t);
	char *path = NULL, *cause = NULL;
	int rc;

	if (!v || node == PROFILE_NO_NODE) {
		tui_message(t, true, "nothing to save yet");
		return;
	}
	tui_diff(t);
	rc = t->src->ops->save(t->src->ctx, v, node, &path, &cause);
	if (rc < 0)
		tui_message(t, true, "save failed: %s",
		    cause ? cause : "error");
	else
		save_diff(t, path ? path : "", node);
	free(path);
	free(cause);
}

/* key is a sort key, -1 for the previous one or SORT_N for the next;
 * the change (SORT_DELTA) is one only in a diff. */
static void
key_sort(struct tui *t, int key)
{
	int n = t->base ? SORT_N : SORT_DELTA;

	if (key == SORT_DELTA && !t->base) {
		tui_message(t, false, "5 sorts by change in a diff: b pins "
		    "a baseline");
		return;
	}
	if (key < 0)
		key = (t->view.sort + n - 1) % n;
	else if (key >= SORT_N)
		key = (t->view.sort + 1) % n;
	t->view.sort = (enum sort_key)key;
}

/* b: what is shown now becomes the baseline; the live view goes on and
 * is drawn as its diff against it. */
static void
key_baseline(struct tui *t, int arg)
{
	char name[64];
	time_t now = time(NULL);
	struct tm tm;

	if (!t->cur || !t->cur->total) {
		tui_message(t, true, "no samples to pin as the baseline yet");
		return;
	}
	localtime_r(&now, &tm);
	strftime(name, sizeof name, "pinned %H:%M:%S", &tm);
	tui_set_baseline(t, pview_ref(t->cur), name);
	tui_message(t, false, "baseline pinned: %llu samples (B drops it)",
	    (unsigned long long)t->cur->total);
}

/* B: no baseline, no diff. */
static void
key_drop_baseline(struct tui *t, int arg)
{
	if (!t->base) {
		tui_message(t, false, "no baseline to drop (b pins one)");
		return;
	}
	tui_set_baseline(t, NULL, NULL);
	tui_message(t, false, "baseline dropped");
}

/* ------------------------------------------------------------------------
 * Handlers of the key table: arg is the entry's.
 * ------------------------------------------------------------------------ */

static void
key_view(struct tui *t, int view)
{
	srcview_close(t);
	t->view.mode = (enum ui_view)view;
}

/* L: the source lines of the selected function (row or frame). */
static void
key_lines(struct tui *t, int arg)
{
	const struct pview *v = tui_tree(t);
	uint32_t n;

	if (t->view.mode == UI_TABLE) {
		if (t->cur && t->table.n)
			srcview_open(t, t->cur->funcs[t->table.rows[
			    t->table.sel]].frame);
		return;
	}
	n = tui_selected(t);
	if (v && n != PROFILE_NO_NODE && v->nodes[n].frame != PROFILE_NO_FRAME)
		srcview_open(t, v->nodes[n].frame);
}

/* One row up (dir -1) or down (1); in the trees, visually. */
static void
key_step(struct tui *t, int dir)
{
	if (t->view.mode == UI_TABLE)
		table_move(t, dir, false);
	else
		tree_vertical(t, dir < 0, 1);
}

/* To the previous (dir -1) or next (1) frame on the row. */
static void
key_sideways(struct tui *t, int dir)
{
	tree_move(t, dir < 0 ? MOVE_LEFT : MOVE_RIGHT, 1);
}

/* A page up (dir -1) or down (1); half a page of levels in the trees. */
static void
key_page(struct tui *t, int dir)
{
	int page = body_rows(t);

	if (t->view.mode == UI_TABLE)
		table_move(t, dir * page, false);
	else
		tree_vertical(t, dir < 0, page / 2);
}

static void
key_home(struct tui *t, int arg)
{
	if (t->view.mode == UI_TABLE)
		table_move(t, 0, true);
	else
		tree_move(t, MOVE_FIRST, 1);
}

static void
key_end(struct tui *t, int arg)
{
	if (t->view.mode == UI_TABLE)
		table_move(t, LONG_MAX / 2, true);
	else
		tree_move(t, MOVE_LAST, 1);
}

static void
key_enter(struct tui *t, int arg)
{
	if (t->view.mode == UI_TABLE)
		table_enter(t);
	else
		tree_enter(t);
}

static void
key_back(struct tui *t, int arg)
{
	tree_back(t);
}

static void
key_search(struct tui *t, int arg)
{
	t->prompt = true;
	t->prompt_buf[0] = '\0';
}

static void
key_match(struct tui *t, int dir)
{
	search_step(t, dir);
}

static void
key_pause(struct tui *t, int arg)
{
	t->view.paused = !t->view.paused;
	t->refetch = true;
}

static void
key_reset(struct tui *t, int arg)
{
	t->src->ops->reset(t->src->ctx);
	tui_message(t, false, "counts reset");
	t->refetch = true;
}

/* The sample count columns of the table, shown or not whatever the
 * width (by default from 160 columns). */
static void
key_counts(struct tui *t, int arg)
{
	bool shown = view_table_counts(&t->table, t->cv.w, t->diff != NULL);

	t->table.counts = shown ? -1 : 1;
	tui_message(t, false, shown ? "sample counts hidden (c shows them)" :
	    "sample counts shown (c hides them)");
}

static void
key_help(struct tui *t, int arg)
{
	t->help = true;
}

static void
key_quit(struct tui *t, int arg)
{
	t->quit = true;
}

/* Started from the process picker: detach and go back to it. */
static void
key_pick(struct tui *t, int arg)
{
	if (!t->opts->picker) {
		tui_message(t, false, "p: back to the process list, when "
		    "ctop-prof was started without a target");
		return;
	}
	t->quit = true;
	t->back_to_picker = true;
}

#define KEY_ESC 27
#define ALL KEYS_VIEWS

/* In the order of the help screen. */
const struct keymap_entry keymap[] = {
	{ "table", { 't' }, ALL, "top table of functions", key_view, UI_TABLE },
	{ "icicle", { 'i' }, ALL, "icicle (root at the top)",
	    key_view, UI_ICICLE },
	{ "flame", { 'f' }, ALL, "flame (root at the bottom)",
	    key_view, UI_FLAME },
	{ "up", { KEY_UP, 'k' }, ALL, "up (flame: to a callee)", key_step, -1 },
	{ "down", { KEY_DOWN, 'j' }, ALL, "down (icicle: to a callee)",
	    key_step, 1 },
	{ "left", { KEY_LEFT, 'h' }, KEYS_TREE, "previous frame on the row",
	    key_sideways, -1 },
	{ "right", { KEY_RIGHT, 'l' }, KEYS_TREE, "next frame on the row",
	    key_sideways, 1 },
	{ "page-up", { KEY_PPAGE }, ALL, "page up", key_page, -1 },
	{ "page-down", { KEY_NPAGE }, ALL, "page down", key_page, 1 },
	{ "first", { KEY_HOME }, ALL, "first row / zoom root", key_home, 0 },
	{ "last", { KEY_END }, ALL, "last row / hottest leaf", key_end, 0 },
	{ "zoom-in", { '\n', '\r', KEY_ENTER }, ALL,
	    "zoom in; table: callees", key_enter, 0 },
	{ "zoom-out", { KEY_ESC, KEY_BACKSPACE, 127, 8, 'u' }, KEYS_TREE,
	    "zoom out / back to table", key_back, 0 },
	{ "search", { '/' }, ALL, "search (text or regex)", key_search, 0 },
	{ "next-match", { 'n' }, ALL, "next match", key_match, 1 },
	{ "previous-match", { 'N' }, ALL, "previous match", key_match, -1 },
	{ "sort-self", { '1' }, ALL, "sort by self", key_sort, SORT_SELF },
	{ "sort-total", { '2' }, ALL, "sort by total", key_sort, SORT_TOTAL },
	{ "sort-name", { '3' }, ALL, "sort by name", key_sort, SORT_NAME },
	{ "sort-where", { '4' }, ALL, "sort by module or file",
	    key_sort, SORT_WHERE },
	{ "sort-change", { '5' }, ALL, "sort by change (diff)",
	    key_sort, SORT_DELTA },
	{ "sort-previous", { '<' }, ALL, "previous sort column", key_sort, -1 },
	{ "sort-next", { '>' }, ALL, "next sort column", key_sort, SORT_N },
	{ "threads", { 'T' }, ALL, "threads: all, each in turn",
	    key_threads, 0 },
	{ "processes", { 'P' }, ALL, "processes (--children, -a)",
	    key_procs, 0 },
	{ "pause", { ' ' }, ALL, "pause the display", key_pause, 0 },
	{ "reset", { 'r' }, ALL, "reset counts", key_reset, 0 },
	{ "counts", { 'c' }, KEYS_IN(UI_TABLE),
	    "table: counts shown or not", key_counts, 0 },
	{ "window", { 'w' }, ALL, "window: all, 5 s, 30 s", key_window, 0 },
	{ "baseline", { 'b' }, ALL, "diff against the view now",
	    key_baseline, 0 },
	{ "drop-baseline", { 'B' }, ALL, "drop the baseline",
	    key_drop_baseline, 0 },
	{ "save", { 's' }, ALL, "save (as --snapshot-format)",
	    key_save, 0 },
	{ "lines", { 'L' }, ALL, "source lines with heat", key_lines, 0 },
	{ "pick", { 'p' }, ALL, "detach, back to process list",
	    key_pick, 0 },
	{ "help", { '?' }, ALL, "this help", key_help, 0 },
	{ "quit", { 'q' }, ALL | KEYS_HELP, "quit", key_quit, 0 },
};

const size_t keymap_len = sizeof keymap / sizeof keymap[0];

void
tui_key(struct tui *t, int key, bool fn)
{
	const struct keymap_entry *e;
	unsigned mode = KEYS_IN(t->view.mode);

	if (fn && key == KEY_RESIZE)
		return;
	if (t->prompt) {
		prompt_key(t, key, fn);
		return;
	}
	/* A character beyond Latin-1 could collide with a KEY_* code. */
	e = (!fn && key >= 0x100) ? NULL : keymap_lookup(key);
	if (t->help) {
		t->help = false;
		mode = KEYS_HELP;
	} else if (t->srcv && srcview_key(t, key, fn)) {
		return;
	}
	if (e && (e->modes & mode))
		e->run(t, e->arg);
}
