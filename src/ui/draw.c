/* SPDX-License-Identifier: MIT */
/* Curses wrappers: newterm (not initscr, which exits on a bad TERM),
 * colour pairs for 256, 8 or no colours, and a canvas copy that lets
 * ncurses send only the cells that changed. */
#include "config.h"

#include "draw.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <term.h>
#include "ctop/ui.h"

static char *xstrdup_msg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
xstrdup_msg(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return strdup(buf);
}

/* Pairs: fg/bg for 8 and 256 colours, per style (-1: terminal default). */
struct pair_def {
	short fg8, bg8, fg256, bg256;
	int extra;	/* attributes added in colour modes */
};

static const struct pair_def pair_defs[ST_COUNT] = {
	[ST_NORMAL] = { -1, -1, -1, -1, 0 },
	[ST_HEADER] = { COLOR_BLACK, COLOR_CYAN, 255, 24, 0 },
	[ST_TITLE] = { COLOR_BLACK, COLOR_WHITE, 16, 250, 0 },
	[ST_SELECTED] = { COLOR_WHITE, COLOR_BLUE, 231, 21, A_BOLD },
	[ST_MATCH] = { COLOR_BLACK, COLOR_MAGENTA, 16, 213, 0 },
	[ST_SEL_MATCH] = { COLOR_WHITE, COLOR_MAGENTA, 231, 90, A_BOLD },
	[ST_MESSAGE] = { -1, -1, -1, -1, A_BOLD },
	[ST_ERROR] = { COLOR_RED, -1, 196, -1, A_BOLD },
	[ST_PAUSED] = { COLOR_WHITE, COLOR_RED, 231, 160, A_BOLD },
	[ST_DIM] = { -1, -1, 244, -1, A_DIM },
	/* Bars: cool to hot, flame-graph colours. */
	[ST_BAR0 + 0] = { COLOR_BLACK, COLOR_YELLOW, 16, 229, 0 },
	[ST_BAR0 + 1] = { COLOR_BLACK, COLOR_CYAN, 16, 222, 0 },
	[ST_BAR0 + 2] = { COLOR_BLACK, COLOR_GREEN, 16, 215, 0 },
	[ST_BAR0 + 3] = { COLOR_BLACK, COLOR_WHITE, 16, 209, 0 },
	[ST_BAR0 + 4] = { COLOR_BLACK, COLOR_MAGENTA, 16, 203, 0 },
	[ST_BAR0 + 5] = { COLOR_BLACK, COLOR_RED, 16, 196, 0 },
	/* Diff: grey same; reds grew and blues shrank, light to deep (8
	 * colours: one of each, the marks tell the rest). */
	[ST_DIFF0 + SHADE_SAME] = { COLOR_BLACK, COLOR_WHITE, 16, 250, 0 },
	[ST_DIFF0 + SHADE_GREW1] = { COLOR_BLACK, COLOR_RED, 16, 224, 0 },
	[ST_DIFF0 + SHADE_GREW2] = { COLOR_BLACK, COLOR_RED, 16, 210, 0 },
	[ST_DIFF0 + SHADE_GREW3] = { COLOR_WHITE, COLOR_RED, 231, 196, 0 },
	[ST_DIFF0 + SHADE_SHRANK1] = { COLOR_WHITE, COLOR_BLUE, 16, 153, 0 },
	[ST_DIFF0 + SHADE_SHRANK2] = { COLOR_WHITE, COLOR_BLUE, 16, 111, 0 },
	[ST_DIFF0 + SHADE_SHRANK3] = { COLOR_WHITE, COLOR_BLUE, 231, 27, 0 },
	[ST_DIFF0 + SHADE_NEW] = { COLOR_WHITE, COLOR_RED, 231, 124, A_BOLD },
};

/* Monochrome: reverse and bold carry selection; bars stay plain and are
 * told apart by their edge glyph. */
static int
mono_attr(int style)
{
	switch (style) {
	case ST_HEADER:
	case ST_TITLE:
		return A_REVERSE;
	case ST_SELECTED:
	case ST_PAUSED:
		return A_REVERSE | A_BOLD;
	case ST_MATCH:
		return A_BOLD | A_UNDERLINE;
	case ST_SEL_MATCH:
		return A_REVERSE | A_BOLD | A_UNDERLINE;
	case ST_MESSAGE:
	case ST_ERROR:
		return A_BOLD;
	case ST_DIM:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

static void
draw_colors(struct draw *d, bool no_color)
{
	const char *nc = getenv("NO_COLOR");
	int i;

	d->colors = 0;
	if (!no_color && !(nc && *nc) && has_colors() &&
	    start_color() == OK && COLORS >= 8 && COLOR_PAIRS > ST_COUNT) {
		use_default_colors();
		d->colors = COLORS >= 256 ? 256 : 8;
	}
	for (i = 0; i < ST_COUNT; i++) {
		const struct pair_def *p = &pair_defs[i];

		if (!d->colors || (i == ST_NORMAL)) {
			d->attrs[i] = mono_attr(i);
			continue;
		}
		if (d->colors == 256)
			init_pair((short)i, p->fg256, p->bg256);
		else
			init_pair((short)i, p->fg8, p->bg8);
		d->attrs[i] = (int)COLOR_PAIR(i) | p->extra;
	}
}

static bool
locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

int
ui_check_terminal(int keys_fd, char **cause)
{
	const char *term = getenv("TERM");
	char *cup;
	int err = 0;
	bool can_move;

	*cause = NULL;
	if (!isatty(keys_fd) || !isatty(STDOUT_FILENO)) {
		*cause = strdup("the TUI needs a terminal on stdin and stdout "
		    "(use --batch)");
		return -ENOTTY;
	}
	if (!term || !*term) {
		*cause = strdup("TERM is not set (set it, e.g. TERM=xterm, "
		    "or use --batch)");
		return -EINVAL;
	}
	/* setupterm() only reads the terminfo entry: nothing is drawn. */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		*cause = xstrdup_msg("unknown terminal type TERM=%s (set TERM "
		    "to a known type, e.g. xterm, or use --batch)", term);
		return -EINVAL;
	}
	cup = tigetstr("cup");
	can_move = cup && cup != (char *)-1;
	del_curterm(cur_term);
	if (!can_move) {
		*cause = xstrdup_msg("terminal TERM=%s cannot move the cursor "
		    "(use a full-screen terminal type or --batch)", term);
		return -EINVAL;
	}
	return 0;
}

int
draw_init(struct draw *d, bool ascii, bool no_color, char **cause)
{
	SCREEN *s;
	int rc;

	memset(d, 0, sizeof *d);
	rc = ui_check_terminal(STDIN_FILENO, cause);
	if (rc < 0)
		return rc;
	setlocale(LC_ALL, "");
	d->utf8 = !ascii && locale_utf8();
	glyphs_get(&d->g, d->utf8);
	s = newterm(NULL, stdout, stdin);
	if (!s) {
		*cause = xstrdup_msg("unknown terminal type TERM=%s (set TERM "
		    "to a known type, e.g. xterm, or use --batch)",
		    getenv("TERM"));
		return -EINVAL;
	}
	d->screen = s;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	draw_colors(d, no_color);
	return 0;
}

void
draw_fini(struct draw *d)
{
	if (!d->screen)
		return;
	curs_set(1);
	endwin();
	delscreen(d->screen);
	d->screen = NULL;
}

void
draw_suspend(struct draw *d)
{
	if (!d->screen)
		return;
	curs_set(1);
	endwin();
}

void
draw_resume(struct draw *d)
{
	if (!d->screen)
		return;
	/* The next refresh leaves endwin's mode; curscr is forgotten so
	 * that every cell is drawn again over whatever the shell wrote. */
	curs_set(0);
	clearok(curscr, TRUE);
}

void
draw_check_size(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0 && (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
}

void
draw_size(int *w, int *h)
{
	*w = COLS;
	*h = LINES;
}

void
draw_blit(struct draw *d, const struct canvas *c)
{
	wchar_t run[1024];
	int y, x, n, style;

	werase(stdscr);
	for (y = 0; y < c->h && y < LINES; y++) {
		for (x = 0; x < c->w && x < COLS; x += n) {
			const struct cell *cl = &c->cells[(size_t)y *
			    (size_t)c->w + (size_t)x];

			style = cl->style;
			for (n = 0; x + n < c->w && x + n < COLS && n < 1023 &&
			    cl[n].style == style; n++)
				run[n] = (wchar_t)cl[n].ch;
			run[n] = 0;
			wattrset(stdscr, d->attrs[style < ST_COUNT ? style : 0]);
			mvwaddnwstr(stdscr, y, x, run, n);
		}
	}
	wattrset(stdscr, A_NORMAL);
	wnoutrefresh(stdscr);
	doupdate();
}

/* After an ESC: the rest of an escape sequence curses did not know (a
 * terminal whose keys differ from its TERM's entry, e.g. Home as ESC [ 1
 * ~ under TERM=xterm) is in the same burst of input. It is read and
 * dropped, so that it is neither an Esc nor typed text. True when there
 * was one. */
static bool
drop_unknown_sequence(void)
{
	wint_t wc;
	int n = 0;

	wtimeout(stdscr, 0);
	if (wget_wch(stdscr, &wc) == ERR)
		return false;
	if (wc == 27) {		/* Esc pressed twice: both are keys */
		unget_wch(wc);
		return false;
	}
	/* CSI: parameters up to a final byte; SS3: one more; Alt+key: that
	 * key alone. */
	if (wc == '[') {
		while (n++ < 16 && wget_wch(stdscr, &wc) != ERR &&
		    !(wc >= 0x40 && wc <= 0x7e))
			;
	} else if (wc == 'O') {
		wget_wch(stdscr, &wc);
	}
	return true;
}

bool
draw_key(int ms, int *key, bool *fn)
{
	wint_t wc;
	int rc;

	wtimeout(stdscr, ms);
	rc = wget_wch(stdscr, &wc);
	if (rc == ERR)
		return false;
	if (rc != KEY_CODE_YES && wc == 27 && drop_unknown_sequence())
		return false;
	*key = (int)wc;
	*fn = rc == KEY_CODE_YES;
	return true;
}
