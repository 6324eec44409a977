/* SPDX-License-Identifier: MIT */
/* What each key-map action does to the TUI state: moves, zoom, focus,
 * search, sort, threads, window, pause, reset and save. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "tui.h"

static void
table_move(struct tui *t, long delta, bool absolute)
{
	struct table_state *tb = &t->table;
	long n = (long)tb->n;

	if (!n || !t->cur)
		return;
	tb->sel = absolute ? delta : tb->sel + delta;
	if (tb->sel >= n)
		tb->sel = n - 1;
	if (tb->sel < 0)
		tb->sel = 0;
	tb->sel_frame = t->cur->funcs[tb->rows[tb->sel]].frame;
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
	bool callee = (t->mode == UI_FLAME) == up;

	tree_move(t, callee ? MOVE_CALLEE : MOVE_CALLER, times);
}

static void
tree_enter(struct tui *t)
{
	const struct pview *v = tui_tree(t);
	uint32_t sel = tui_selected(t);

	if (!v || sel == PROFILE_NO_NODE || sel == tui_zoom_root(t))
		return;
	if (t->n_zoom == TUI_MAX_ZOOM) {
		tui_message(t, true, "zoomed in too deep");
		return;
	}
	t->zoom[t->n_zoom++] = v->nodes[sel].id;
}

static void
tree_back(struct tui *t)
{
	if (t->n_zoom) {
		t->n_zoom--;	/* the old zoom root stays selected */
		return;
	}
	if (t->focus_frame != PROFILE_NO_FRAME) {
		t->focus_frame = PROFILE_NO_FRAME;
		tui_refocus(t);
		t->sel_depth = 0;
		t->mode = UI_TABLE;
	}
}

/* Enter on a table row: the icicle of that function's callees, merged
 * over all its callers, with the function selected. */
static void
table_enter(struct tui *t)
{
	struct table_state *tb = &t->table;

	if (!t->cur || !tb->n)
		return;
	t->focus_frame = t->cur->funcs[tb->rows[tb->sel]].frame;
	tui_refocus(t);
	if (!t->focus) {
		t->focus_frame = PROFILE_NO_FRAME;
		tui_refocus(t);
		tui_message(t, true, "no samples below that function");
		return;
	}
	t->n_zoom = 0;
	t->mode = UI_ICICLE;
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
	if (t->mode == UI_TABLE) {
		n = (long)t->table.n;
		start = dir ? t->table.sel : -1;
		for (k = 1; k <= n; k++) {
			i = ((start + (dir < 0 ? -k : k)) % n + n) % n;
			if (search_hit(&t->search,
			    t->cur->funcs[t->table.rows[i]].frame)) {
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
key_threads(struct tui *t)
{
	const struct pview *v = t->cur;
	uint32_t i;

	if (!v || !v->n_threads || (v->n_threads == 1 && !v->threads[0].tid)) {
		tui_message(t, false, "no thread information in this source");
		return;
	}
	if (!t->params.tid) {
		t->params.tid = v->threads[0].tid;
	} else {
		for (i = 0; i < v->n_threads; i++)
			if (v->threads[i].tid == t->params.tid)
				break;
		t->params.tid = i + 1 < v->n_threads ? v->threads[i + 1].tid : 0;
	}
	t->next_fetch = 0;
}

static void
key_window(struct tui *t)
{
	if (t->have_status && !t->st.live) {
		tui_message(t, false, "a loaded file has no time information: "
		    "the window stays cumulative");
		return;
	}
	t->params.window_s = t->params.window_s == 0 ? 5 :
	    t->params.window_s == 5 ? 30 : 0;
	t->next_fetch = 0;
}

static void
key_save(struct tui *t)
{
	const struct pview *v = t->mode == UI_TABLE ? t->cur : tui_tree(t);
	uint32_t node = t->mode == UI_TABLE ? 0 : tui_zoom_root(t);
	char *path = NULL, *cause = NULL;
	int rc;

	if (!v || node == PROFILE_NO_NODE) {
		tui_message(t, true, "nothing to save yet");
		return;
	}
	rc = t->src->ops->save(t->src->ctx, v, node, &path, &cause);
	if (rc < 0)
		tui_message(t, true, "save failed: %s",
		    cause ? cause : "error");
	else
		tui_message(t, false, "saved %s", path ? path : "");
	free(path);
	free(cause);
}

static void
key_sort(struct tui *t, int key)
{
	if (key < 0)
		key = (t->sort + SORT_N - 1) % SORT_N;
	else if (key >= SORT_N)
		key = (t->sort + 1) % SORT_N;
	t->sort = (enum sort_key)key;
}

static void
key_move(struct tui *t, enum ui_action a)
{
	bool table = t->mode == UI_TABLE;
	int page = body_rows(t);

	switch (a) {
	case ACT_UP:
		table ? table_move(t, -1, false) : tree_vertical(t, true, 1);
		break;
	case ACT_DOWN:
		table ? table_move(t, 1, false) : tree_vertical(t, false, 1);
		break;
	case ACT_LEFT:
		if (!table)
			tree_move(t, MOVE_LEFT, 1);
		break;
	case ACT_RIGHT:
		if (!table)
			tree_move(t, MOVE_RIGHT, 1);
		break;
	case ACT_PGUP:
		table ? table_move(t, -page, false) :
		    tree_vertical(t, true, page / 2);
		break;
	case ACT_PGDN:
		table ? table_move(t, page, false) :
		    tree_vertical(t, false, page / 2);
		break;
	case ACT_HOME:
		table ? table_move(t, 0, true) : tree_move(t, MOVE_FIRST, 1);
		break;
	case ACT_END:
		table ? table_move(t, LONG_MAX / 2, true) :
		    tree_move(t, MOVE_LAST, 1);
		break;
	default:
		break;
	}
}

static void
key_action(struct tui *t, enum ui_action a)
{
	switch (a) {
	case ACT_TABLE:
		t->mode = UI_TABLE;
		break;
	case ACT_ICICLE:
		t->mode = UI_ICICLE;
		break;
	case ACT_FLAME:
		t->mode = UI_FLAME;
		break;
	case ACT_ENTER:
		t->mode == UI_TABLE ? table_enter(t) : tree_enter(t);
		break;
	case ACT_BACK:
		if (t->mode != UI_TABLE)
			tree_back(t);
		break;
	case ACT_SEARCH:
		t->prompt = true;
		t->prompt_buf[0] = '\0';
		break;
	case ACT_NEXT:
	case ACT_PREV:
		search_step(t, a == ACT_NEXT ? 1 : -1);
		break;
	case ACT_SORT_SELF:
	case ACT_SORT_TOTAL:
	case ACT_SORT_NAME:
	case ACT_SORT_WHERE:
		key_sort(t, SORT_SELF + (int)(a - ACT_SORT_SELF));
		break;
	case ACT_SORT_PREV:
		key_sort(t, -1);
		break;
	case ACT_SORT_NEXT:
		key_sort(t, SORT_N);
		break;
	case ACT_THREADS:
		key_threads(t);
		break;
	case ACT_PAUSE:
		t->paused = !t->paused;
		t->next_fetch = 0;
		break;
	case ACT_RESET:
		t->src->ops->reset(t->src->ctx);
		tui_message(t, false, "counts reset");
		t->next_fetch = 0;
		break;
	case ACT_WINDOW:
		key_window(t);
		break;
	case ACT_SAVE:
		key_save(t);
		break;
	case ACT_HELP:
		t->help = true;
		break;
	case ACT_QUIT:
		t->quit = true;
		break;
	default:
		key_move(t, a);
		break;
	}
}

void
tui_key(struct tui *t, int key, bool fn)
{
	enum ui_action a;

	t->dirty = true;
	if (fn && key == KEY_RESIZE)
		return;
	if (t->prompt) {
		prompt_key(t, key, fn);
		return;
	}
	/* A character beyond Latin-1 could collide with a KEY_* code. */
	a = (!fn && key >= 0x100) ? ACT_NONE : keymap_lookup(key);
	if (t->help) {
		t->help = false;
		if (a != ACT_QUIT)
			return;
	}
	key_action(t, a);
}
