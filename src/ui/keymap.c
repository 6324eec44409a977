/* SPDX-License-Identifier: MIT */
/* Looking keys up in the key table (tui_keys.c holds it, next to the
 * handlers) and naming them: the help screen's labels and the names the
 * man page and --help use come from the key codes, so they cannot drift. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "ui_internal.h"

#define KEY_ESC 27

const struct keymap_entry *
keymap_lookup(int key)
{
	size_t i, k;

	for (i = 0; i < keymap_len; i++)
		for (k = 0; k < 6 && keymap[i].keys[k]; k++)
			if (keymap[i].keys[k] == key)
				return &keymap[i];
	return NULL;
}

/* Several codes share a name: a terminal sends Enter as \r, \n or
 * KEY_ENTER and Backspace as DEL, ^H or KEY_BACKSPACE. */
const char *
keymap_key_name(int key, bool brief)
{
	static char chars[256][2];

	switch (key) {
	case KEY_UP:		return "Up";
	case KEY_DOWN:		return "Down";
	case KEY_LEFT:		return "Left";
	case KEY_RIGHT:		return "Right";
	case KEY_PPAGE:		return "PgUp";
	case KEY_NPAGE:		return "PgDn";
	case KEY_HOME:		return "Home";
	case KEY_END:		return "End";
	case '\n': case '\r': case KEY_ENTER:
		return "Enter";
	case KEY_ESC:		return "Esc";
	case KEY_BACKSPACE: case 127: case 8:
		return brief ? "Bksp" : "Backspace";
	case ' ':		return "space";
	}
	if (key <= ' ' || key > '~')
		return NULL;
	chars[key][0] = (char)key;
	return chars[key];
}

char *
keymap_label(const struct keymap_entry *e, char *buf, size_t size)
{
	size_t k, j, len = 0;
	const char *name;
	int n;

	buf[0] = '\0';
	for (k = 0; k < 6 && e->keys[k]; k++) {
		name = keymap_key_name(e->keys[k], true);
		for (j = 0; j < k; j++)
			if (keymap_key_name(e->keys[j], true) == name)
				break;
		if (!name || j < k)
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? " " : "",
		    name);
		if (n < 0 || (size_t)n >= size - len)
			break;		/* cut: keep what fitted */
		len += (size_t)n;
	}
	return buf;
}
