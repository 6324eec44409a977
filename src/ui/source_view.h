/* SPDX-License-Identifier: MIT */
/* The source view (the L key): the lines of one function with the
 * samples whose pc maps to each (pview_lines), a heat bar, and the text of
 * the source file when it can be read (--source-path remaps, a live
 * target's /proc/PID/root). It draws over the body of the TUI while open;
 * the view it came from stays as it was under it. Thread: main. */
#ifndef CTOP_UI_SOURCE_VIEW_H
#define CTOP_UI_SOURCE_VIEW_H

#include <stdbool.h>
#include <stdint.h>

struct tui;
struct source_view;

/* Opens the view of the function of frame id `frame` of t->cur, scrolled
 * to its hottest line. Says why on the message line when it cannot. */
void srcview_open(struct tui *t, uint32_t frame);
void srcview_close(struct tui *t);

/* Handles a key of the open view: moves, Enter (zoom into the call on
 * the line), Esc (back), s (save the annotated lines). Returns false for
 * a key the view leaves to the key table. */
bool srcview_key(struct tui *t, int key, bool fn);

/* Draws the view into rows [y0, y0+h) of t->cv. */
void srcview_draw(struct tui *t, int y0, int h);

/* The annotated lines as plain text (escaped), malloc'd; *len its size.
 * For `s` and the tests. NULL when out of memory. */
char *srcview_text(const struct source_view *sv, size_t *len);

#endif
