/* SPDX-License-Identifier: MIT */
/* State of the TUI shared by its loop (tui.c), its key actions
 * (tui_keys.c) and its frame rendering (tui_render.c): the user's view
 * state in one struct, then the state each of the three files writes
 * (each group names its writer). Thread: main. */
#ifndef CTOP_UI_TUI_H
#define CTOP_UI_TUI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctop/source.h"
#include "ctop/ui.h"
#include "draw.h"
#include "ui_internal.h"

#define TUI_MAX_ZOOM 256
#define TUI_MAX_PATH 512

/* The user's view state: what the keys chose, kept in stable ids (no node
 * index, no pointer) so that it outlives every view. It is what `s` saves
 * (thread, window, zoom) and what a session restore would need.
 * Written by tui_keys.c only (tui.c sets the defaults once). */
struct tui_view {
	enum ui_view mode;
	enum sort_key sort;		/* of the top table */
	struct pview_params params;	/* thread and window asked for */
	uint32_t focus_frame;		/* function opened from the table,
					 * PROFILE_NO_FRAME: none */
	uint64_t zoom[TUI_MAX_ZOOM];	/* zoom stack of the trees */
	int n_zoom;
	uint64_t sel_path[TUI_MAX_PATH];	/* selection, then ancestors */
	int sel_depth;
	bool paused;			/* the display; sampling goes on */
};

struct tui {
	/* Set once by tui.c: where views come from, and the options. */
	struct source *src;
	const struct ui_opts *opts;
	const struct ui_signals *sig;
	double delay;

	struct tui_view view;

	/* Input state, written by tui_keys.c: the help screen or the search
	 * prompt being open, and quit. refetch and search_new are requests
	 * to tui.c, which clears them once served. */
	bool help, prompt, quit;
	bool back_to_picker;	/* p: quit to the process picker */
	/* P: the processes zoomed into since the cycle began (their node
	 * ids), so that each comes once however their sizes change. */
	uint64_t procs_done[256];
	int n_procs_done;
	char prompt_buf[128];
	bool refetch, search_new;

	/* Derived state, written by tui.c: the views from the source and
	 * what is made from them and from the user's view state (a focused
	 * view, the sorted table, the tree layout, search matches), each
	 * cache with the generation it was made for; the status, the
	 * message line and the fetch schedule. */
	struct pview *cur;		/* newest full view (a reference) */
	struct pview *focus;		/* pview_focus(cur, focus_frame) */
	uint64_t gen;			/* bumped when cur or focus change */
	struct source_status st;
	bool have_status;
	/* The table's selection (sel, sel_frame) is the user's: the keys
	 * move it, and tui.c finds it again after a sort. tui_render.c
	 * scrolls it (top). */
	struct table_state table;
	uint64_t table_gen;		/* gen table.rows was sorted for */
	enum sort_key table_sort;
	struct tree_layout lay;
	uint64_t lay_gen;
	uint32_t lay_root;
	int lay_w;
	/* The search's text is the user's, set by the keys (search_set);
	 * tui.c marks its matches (search_apply). */
	struct search search;
	uint64_t search_gen;
	uint32_t search_root;
	/* The baseline (b, --baseline, --diff): the view diffed against and
	 * its name, set by tui_keys.c (b, B) and tui.c (the option); the
	 * diffs made from it by tui.c, for generation diff_gen: cur against
	 * it (the table, the unfocused trees), and a focused tree against
	 * the baseline focused on the same function. */
	struct pview *base;
	char base_name[128];
	struct pdiff *diff;
	struct pdiff *tdiff;
	uint64_t diff_gen;
	char msg[256];
	bool msg_err;
	double msg_until;
	double next_fetch, next_poll;
	struct draw d;			/* the terminal */
	bool dirty;			/* the screen needs drawing */

	/* Screen state, written by tui_render.c: the canvas a frame is
	 * drawn into (tui.c gives it its glyphs and frees it), the scroll
	 * of the trees (the keys reset it when they open a function) and
	 * whether the view knows modules or files. */
	struct canvas cv;
	int tree_top;
	uint64_t where_gen;
	bool has_where;

	/* The source view (L) while open, over the view it came from;
	 * source_view.c alone writes it. */
	struct source_view *srcv;
};

void tui_message(struct tui *t, bool err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const struct pview *tui_tree(const struct tui *t);
uint32_t tui_zoom_root(const struct tui *t);
uint32_t tui_selected(struct tui *t);
void tui_layout(struct tui *t, int width);
void tui_table(struct tui *t);
void tui_search(struct tui *t);
void tui_refocus(struct tui *t);
/* Focuses the trees on function frame (the Enter of a table row): false,
 * focus unchanged and a message, when no sample goes through it. */
bool tui_focus_on(struct tui *t, uint32_t frame);
void tui_diff(struct tui *t);
const struct pview *tui_rows(const struct tui *t);
const struct pdiff *tui_tree_diff(const struct tui *t);
void tui_set_baseline(struct tui *t, struct pview *base, const char *name);
bool tui_has_where(struct tui *t);
void tui_render(struct tui *t);
void tui_key(struct tui *t, int key, bool fn);

#endif
