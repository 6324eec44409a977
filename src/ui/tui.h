/* SPDX-License-Identifier: MIT */
/* State of the TUI shared by its loop (tui.c), its key actions
 * (tui_keys.c) and its frame rendering (tui_render.c). Thread: main. */
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

struct tui {
	struct source *src;
	const struct ui_opts *opts;
	const struct ui_signals *sig;
	struct draw d;
	struct canvas cv;
	double delay;

	struct pview_params params;	/* what we ask the source for */
	struct pview *cur;		/* newest full view (a reference) */
	struct pview *focus;		/* pview_focus(cur, focus_frame) */
	uint32_t focus_frame;		/* PROFILE_NO_FRAME: not focused */
	struct source_status st;
	bool have_status;

	enum ui_view mode;
	enum sort_key sort;
	struct table_state table;
	uint64_t gen;			/* bumped when cur or focus change */
	uint64_t table_gen;		/* gen table.rows was sorted for */
	enum sort_key table_sort;

	/* Zoom stack and selection of the icicle/flame, as stable ids. */
	uint64_t zoom[TUI_MAX_ZOOM];
	int n_zoom;
	uint64_t sel_path[TUI_MAX_PATH];	/* selection, then ancestors */
	int sel_depth;
	struct tree_layout lay;
	uint64_t lay_gen;
	uint32_t lay_root;
	int lay_w;
	int tree_top;

	struct search search;
	uint64_t search_gen;
	uint32_t search_root;
	bool search_new;

	uint64_t where_gen;
	bool has_where;
	bool paused, help, prompt, quit, dirty, refetch;
	char prompt_buf[128];
	char msg[256];
	bool msg_err;
	double msg_until;
	double next_fetch, next_poll;
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
bool tui_has_where(struct tui *t);
void tui_render(struct tui *t);
void tui_key(struct tui *t, int key, bool fn);

#endif
