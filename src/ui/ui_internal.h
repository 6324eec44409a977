/* SPDX-License-Identifier: MIT */
/* Shared between the files of the ui module only: the off-screen canvas the
 * views draw into, the pure layout model (table order, icicle boxes,
 * search), the key map and the status line formatters. Nothing here calls
 * curses or the profile module, so tests/unit/test-ui-layout.c can drive it
 * with hand-built views. */
#ifndef CTOP_UI_INTERNAL_H
#define CTOP_UI_INTERNAL_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctop/profile.h"
#include "ctop/source.h"

#define UI_MIN_W 40
#define UI_MIN_H 10

/* ------------------------------------------------------------------------
 * Canvas: a grid of cells (one code point, one style each).
 * ------------------------------------------------------------------------ */

enum ui_style {
	ST_NORMAL,
	ST_HEADER,	/* status lines */
	ST_TITLE,	/* column titles, breadcrumb */
	ST_SELECTED,	/* selected table row or frame */
	ST_MATCH,	/* search match */
	ST_SEL_MATCH,	/* selected and matching */
	ST_MESSAGE,	/* notices on the bottom line */
	ST_ERROR,	/* errors on the bottom line */
	ST_PAUSED,
	ST_DIM,		/* what cannot be chosen (the picker) */
	ST_BAR0,	/* frame colours: ST_BAR0 + 0..UI_N_BAR-1 */
};
#define UI_N_BAR 6

/* Diff colours (ST_DIFF0 + shade): grey unchanged, red grew and blue
 * shrank in three steps of size, new frames the deepest red. */
enum diff_shade { SHADE_SAME, SHADE_GREW1, SHADE_GREW2, SHADE_GREW3,
	SHADE_SHRANK1, SHADE_SHRANK2, SHADE_SHRANK3, SHADE_NEW, SHADE_N };
#define ST_DIFF0 (ST_BAR0 + UI_N_BAR)
#define ST_COUNT (ST_DIFF0 + SHADE_N)

struct cell {
	uint32_t ch;
	uint8_t style;
};

/* The glyphs of one drawing mode: UTF-8 or pure ASCII. */
struct glyphs {
	bool utf8;
	uint32_t edge;		/* left edge of a frame box */
	uint32_t hline;
	const char *ellipsis;	/* replaces the cut end of a label */
	const char *crumb;	/* breadcrumb separator */
};

struct canvas {
	int w, h;
	struct cell *cells;
	const struct glyphs *g;
};

void glyphs_get(struct glyphs *g, bool utf8);
int canvas_resize(struct canvas *c, int w, int h);
void canvas_free(struct canvas *c);
void canvas_clear(struct canvas *c);
/* Writes UTF-8 text at (y, x), at most maxw columns (< 0: to the right
 * edge). What termsafe would escape (controls, C1 and bidi characters,
 * each byte of malformed UTF-8) takes one cell and shows as '?', and so
 * do non-ASCII characters in ASCII mode or of a width other than 1.
 * Returns the columns written. */
int canvas_text(struct canvas *c, int y, int x, int maxw, const char *s,
    int style);
void canvas_fill(struct canvas *c, int y, int x, int w, uint32_t ch,
    int style);
/* Sets the style of w cells, keeping their characters. */
void canvas_restyle(struct canvas *c, int y, int x, int w, int style);
/* Row y as UTF-8 (trailing blanks kept); for tests and batch. */
char *canvas_row(const struct canvas *c, int y, char *buf, size_t size);
static inline struct cell *
canvas_at(struct canvas *c, int y, int x)
{
	return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

/* Copies s cut to at most w columns into out, ending with the ellipsis
 * when cut. Returns the columns of the result. */
int text_fit(const char *s, int w, const struct glyphs *g, char *out,
    size_t size);
/* Columns of a UTF-8 string (one per code point). */
int text_cols(const char *s);

/* ------------------------------------------------------------------------
 * Frames
 * ------------------------------------------------------------------------ */

/* The frame of node n, or NULL at the root (no profile call). */
const struct frame *tree_frame(const struct pview *v, uint32_t n);
/* "file:line" when known, else the module's base name, else "". */
const char *frame_where(const struct frame *f, char *buf, size_t size);
/* Index of the node with a stable id in v, PROFILE_NO_NODE if none
 * (a linear scan; tui.c uses pview_find). */
uint32_t tree_find(const struct pview *v, uint64_t id);

/* ------------------------------------------------------------------------
 * Top table
 * ------------------------------------------------------------------------ */

/* SORT_DELTA: by the size of the change of the self or total share,
 * whichever is larger (diffs only). */
enum sort_key { SORT_SELF, SORT_TOTAL, SORT_NAME, SORT_WHERE, SORT_DELTA,
	SORT_N };

/* Fills rows[0..v->n_funcs) with indices into v->funcs in key order. */
void table_sort(const struct pview *v, enum sort_key key, uint32_t *rows);
/* The same for the rows of a diff (d->view); SORT_DELTA sorts by change. */
void table_sort_diff(const struct pdiff *d, enum sort_key key,
    uint32_t *rows);

/* A diff's shade for a change of delta points, and its one-character
 * mark: '+' grew, '-' shrank, '*' new, 'x' gone, ' ' within noise. */
enum diff_shade diff_shade(enum pdiff_change c, double delta);
char diff_mark(enum pdiff_change c);

/* Keeps the previous order of rows whose counts differ by less than a
 * margin (half a point of share, or twice the sampling noise of the two
 * counts where that is less: layout.c), then remembers this order:
 * prev_rank[frame] is 1 + the row of that frame last time (0: not
 * shown), n_prev entries. */
void table_stabilize(const struct pview *v, enum sort_key key, uint32_t *rows,
    uint32_t n, uint32_t *prev_rank, uint32_t n_prev);

/* ------------------------------------------------------------------------
 * Search: substring, or a POSIX ERE when the text parses as one.
 * ------------------------------------------------------------------------ */

struct search {
	char text[128];
	bool on;
	bool regex;
	regex_t re;
	uint8_t *match;		/* per frame id of the view applied */
	uint32_t n_match;
	uint64_t samples;	/* samples whose stack holds a match */
	uint64_t total;
};

void search_init(struct search *s);
void search_fini(struct search *s);
int search_set(struct search *s, const char *text);
void search_clear(struct search *s);
/* Marks matching frames of v and counts matched samples under root. */
int search_apply(struct search *s, const struct pview *v, uint32_t root);
bool search_hit(const struct search *s, uint32_t frame);

/* ------------------------------------------------------------------------
 * Icicle / flame layout
 * ------------------------------------------------------------------------ */

struct box {
	uint32_t node;
	int row;		/* depth below the zoom root (0 = the root) */
	int x, w;
};

struct tree_layout {
	struct box *boxes;	/* by row, then x */
	size_t n, cap;
	int rows;		/* deepest row + 1 */
	uint32_t root;
};

/* Lays out the subtree of node root in width columns: each node gets
 * floor-rounded columns proportional to its total; nodes narrower than one
 * column are left out with their subtrees. Returns 0 or -ENOMEM. */
int layout_tree(struct tree_layout *l, const struct pview *v, uint32_t root,
    int width);
void layout_free(struct tree_layout *l);
/* Index of the box of node n, or -1 when not laid out. */
long layout_box(const struct tree_layout *l, uint32_t n);

enum move { MOVE_CALLEE, MOVE_CALLER, MOVE_LEFT, MOVE_RIGHT, MOVE_FIRST,
	MOVE_LAST };
/* The node a move from node `from` reaches (from itself when none). */
uint32_t layout_move(const struct tree_layout *l, const struct pview *v,
    uint32_t from, enum move m);

/* How frames are coloured: diff NULL, by module (color_module) or by
 * heat; else by their change against the baseline (diff->after is the
 * drawn view), with the change's mark in each box's edge column when
 * marks (no colours, or 8: too few for shades). */
struct tree_paint {
	bool color_module;
	const struct pdiff *diff;
	bool marks;
};

/* Draws the layout into rows [y0, y0+h) of c: root at the top (icicle)
 * or at the bottom (flame), scrolled so that `sel` is visible (*top keeps
 * the first shown row between calls). */
void view_icicle_draw(struct canvas *c, int y0, int h,
    const struct tree_layout *l, const struct pview *v, uint32_t sel,
    const struct search *s, bool flame, const struct tree_paint *paint,
    int *top);

/* ------------------------------------------------------------------------
 * Table view
 * ------------------------------------------------------------------------ */

struct table_state {
	uint32_t *rows;		/* sorted indices into v->funcs */
	uint32_t n, cap;
	long sel;		/* index into rows */
	long top;		/* first shown row */
	uint32_t sel_frame;	/* frame id of the selection (stable) */
	uint32_t *prev_rank;	/* by frame id: 1 + last row, 0 = none */
	uint32_t n_prev;
	int32_t *shown;		/* by frame id, 2 each: the self and total
				 * shares last drawn, in tenths; -1 none */
	int counts;		/* the sample count columns: 1 shown, -1 not
				 * (the c key), 0 by the width
				 * (view_table_counts) */
	enum sort_key prev_sort;	/* sort key prev_rank was made for */
	int32_t prev_tid;	/* thread filter it was made for */
	uint32_t prev_window;	/* time window it was made for */
	uint64_t prev_total;	/* samples of the view it was made for */
};

/* Whether the sample count columns show at width w (t->counts). */
bool view_table_counts(const struct table_state *t, int w, bool diff);

/* Draws the column titles at y0 and the rows below, to y0+h. With a
 * diff (v is then diff->view), the count columns give way to the change
 * of the self and total shares in points and a mark column. */
/* empty: what to say when there is no row (NULL: "no samples yet"). */
void view_table_draw(struct canvas *c, int y0, int h, const struct pview *v,
    struct table_state *t, enum sort_key key, const struct search *s,
    bool no_where, const struct pdiff *diff, const char *empty);

/* ------------------------------------------------------------------------
 * Breadcrumb and status
 * ------------------------------------------------------------------------ */

/* "all > main > f" for the path to node (from the left cut when long). */
void status_crumb(char *buf, size_t size, int width, const struct pview *v,
    uint32_t node, const struct glyphs *g);
/* Formats the two header lines. */
void status_lines(char *l1, char *l2, size_t size,
    const struct source_status *st, const char *window, const char *thread,
    bool paused, const char *note);
const char *window_name(uint32_t window_s);
/* The header's sparkline of the last minute: "cpu" and the samples per
 * second (scaled to the busiest second), then `name` and the share of
 * each second's samples that went through the selected function (sel
 * false: its cells blank, not counted yet), in at most width columns
 * (each cell 1 to 6 seconds). Returns the columns written to buf, 0 when
 * it does not fit or the view has no times. */
int status_spark(char *buf, size_t size, int width,
    const struct pview_spark *sp, const char *name, bool sel,
    const struct glyphs *g);

/* Prints the top table of v (by self, rows functions) as plain text.
 * Returns the rows printed or -ENOMEM. */
int batch_table(FILE *out, const struct pview *v, int rows);
/* Prints the rows of a diff with the largest changes first: shares and
 * their change in points, a change column (+ - new gone, blank within
 * noise). Returns the rows printed or -ENOMEM. */
int batch_diff_table(FILE *out, const struct pdiff *d, int rows);

/* ------------------------------------------------------------------------
 * Key table: one entry per command, with its keys, the views where it
 * works, its help line and its handler. It drives the dispatch
 * (tui_keys.c, where the table and the handlers are), the help screen
 * (tui_render.c) and the check that the man page and --help name the same
 * keys (tests/tui/run-keys-doc.sh, through tests/tui/keymap-names.c).
 * A new key is one entry and its handler.
 * ------------------------------------------------------------------------ */

enum ui_view { UI_TABLE, UI_ICICLE, UI_FLAME };

/* Where an entry works: bits of the views, and over the help screen
 * (which any key closes; only an entry with KEYS_HELP then runs too). */
#define KEYS_IN(view)	(1u << (view))
#define KEYS_TREE	(KEYS_IN(UI_ICICLE) | KEYS_IN(UI_FLAME))
#define KEYS_VIEWS	(KEYS_IN(UI_TABLE) | KEYS_TREE)
#define KEYS_HELP	(1u << 3)

struct tui;

struct keymap_entry {
	const char *name;	/* the command, one word: "quit" */
	int keys[6];		/* curses key codes, 0-terminated */
	unsigned modes;		/* KEYS_* where it works */
	const char *help;	/* its line on the help screen */
	void (*run)(struct tui *t, int arg);
	int arg;		/* passed to run: a view, a direction... */
};

extern const struct keymap_entry keymap[];
extern const size_t keymap_len;
/* The entry of a curses key code, or NULL when the key does nothing. */
const struct keymap_entry *keymap_lookup(int key);
/* The name of a key code as the man page and --help write it ("Up",
 * "Enter", "Esc", "Backspace", "space", "q"); brief: as the help screen
 * writes it ("Bksp"). NULL for a code the table should not hold. */
const char *keymap_key_name(int key, bool brief);
/* The help screen's label of an entry: the brief names of its keys, each
 * once, space-separated ("Esc Bksp u"). Returns buf. */
char *keymap_label(const struct keymap_entry *e, char *buf, size_t size);

#endif
