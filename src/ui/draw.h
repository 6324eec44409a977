/* SPDX-License-Identifier: MIT */
/* Curses wrappers of the ui module: terminal setup and restore, colours or
 * monochrome attributes, UTF-8 or ASCII glyphs, and the copy of a canvas to
 * the screen. Thread: main only (ncurses is not thread-safe). */
#ifndef CTOP_UI_DRAW_H
#define CTOP_UI_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "ui_internal.h"

struct draw {
	void *screen;		/* SCREEN * */
	bool utf8;
	int colors;		/* 0 (mono), 8 or 256 */
	int attrs[ST_COUNT];	/* curses attributes of each style */
	struct glyphs g;
};

/* Starts curses on stdin/stdout. Returns 0, or -ENOTTY / -EINVAL with
 * *cause (no terminal, TERM unset, unknown or unable to address the
 * cursor); nothing is left changed on failure. */
int draw_init(struct draw *d, bool ascii, bool no_color, char **cause);
void draw_fini(struct draw *d);
/* Job control: gives the terminal back before the process stops, and
 * takes it again (a full redraw) after it was continued. */
void draw_suspend(struct draw *d);
void draw_resume(struct draw *d);
/* Follows a terminal size change even when ncurses did not see SIGWINCH
 * (another SIGWINCH handler). */
void draw_check_size(void);
void draw_size(int *w, int *h);
/* Copies the canvas to the screen: werase, cells, one doupdate. */
void draw_blit(struct draw *d, const struct canvas *c);
/* Reads one key, waiting at most ms. Returns false on timeout. *fn is
 * true for a function key (KEY_*), false for a character. */
bool draw_key(int ms, int *key, bool *fn);

#endif
