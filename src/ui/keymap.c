/* SPDX-License-Identifier: MIT */
/* The key map: one table of {keys, label, help, action} drives both the
 * dispatch in tui.c and the help screen, so they cannot disagree. */
#include "config.h"

#include <curses.h>

#include "ui_internal.h"

#define KEY_ESC 27

const struct keymap_entry keymap[] = {
	{ { 't' }, "t", "top table of functions", ACT_TABLE },
	{ { 'i' }, "i", "icicle (root at the top)", ACT_ICICLE },
	{ { 'f' }, "f", "flame (root at the bottom)", ACT_FLAME },
	{ { KEY_UP, 'k' }, "Up k", "up (flame: to a callee)", ACT_UP },
	{ { KEY_DOWN, 'j' }, "Down j", "down (icicle: to a callee)",
	    ACT_DOWN },
	{ { KEY_LEFT, 'h' }, "Left h", "previous frame on the row", ACT_LEFT },
	{ { KEY_RIGHT, 'l' }, "Right l", "next frame on the row", ACT_RIGHT },
	{ { KEY_PPAGE }, "PgUp", "page up", ACT_PGUP },
	{ { KEY_NPAGE }, "PgDn", "page down", ACT_PGDN },
	{ { KEY_HOME }, "Home", "first row / zoom root", ACT_HOME },
	{ { KEY_END }, "End", "last row / hottest leaf", ACT_END },
	{ { '\n', '\r', KEY_ENTER }, "Enter",
	    "zoom in; table: callees", ACT_ENTER },
	{ { KEY_ESC, KEY_BACKSPACE, 127, 8, 'u' }, "Esc Bksp u",
	    "zoom out / back to table", ACT_BACK },
	{ { '/' }, "/", "search (text or regex)", ACT_SEARCH },
	{ { 'n' }, "n", "next match", ACT_NEXT },
	{ { 'N' }, "N", "previous match", ACT_PREV },
	{ { '1' }, "1", "sort by self", ACT_SORT_SELF },
	{ { '2' }, "2", "sort by total", ACT_SORT_TOTAL },
	{ { '3' }, "3", "sort by name", ACT_SORT_NAME },
	{ { '4' }, "4", "sort by module or file", ACT_SORT_WHERE },
	{ { '<' }, "<", "previous sort column", ACT_SORT_PREV },
	{ { '>' }, ">", "next sort column", ACT_SORT_NEXT },
	{ { 'T' }, "T", "threads: all, each in turn", ACT_THREADS },
	{ { ' ' }, "space", "pause the display",
	    ACT_PAUSE },
	{ { 'r' }, "r", "reset counts", ACT_RESET },
	{ { 'w' }, "w", "window: all, 5 s, 30 s",
	    ACT_WINDOW },
	{ { 's' }, "s", "save what is shown", ACT_SAVE },
	{ { '?' }, "?", "this help", ACT_HELP },
	{ { 'q' }, "q", "quit", ACT_QUIT },
};

const size_t keymap_len = sizeof keymap / sizeof keymap[0];

enum ui_action
keymap_lookup(int key)
{
	size_t i, k;

	for (i = 0; i < keymap_len; i++)
		for (k = 0; k < 6 && keymap[i].keys[k]; k++)
			if (keymap[i].keys[k] == key)
				return keymap[i].action;
	return ACT_NONE;
}
