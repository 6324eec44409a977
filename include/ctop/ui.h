/* SPDX-License-Identifier: MIT */
/* ui: the ncurses front end (top table, icicle and flame views, zoom,
 * search, threads, pause, reset, window, snapshot key) and the batch text
 * printer. Every ncurses call of the program is in this module and runs on
 * the main thread. */
#ifndef CTOP_UI_H
#define CTOP_UI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "ctop/source.h"

struct ui_opts {
	double delay_s;		/* refresh interval (-d) */
	double duration_s;	/* stop after this long, 0 = until quit */
	bool ascii;		/* force ASCII drawing */
	bool no_color;		/* force monochrome */
};

/* Flags main's signal handlers set; the UI and batch loops poll them. */
struct ui_signals {
	volatile sig_atomic_t *quit;	/* SIGINT, SIGTERM, SIGHUP */
	/* Job control (may be NULL): stop is set by SIGTSTP for the TUI,
	 * which restores the terminal, calls suspend() (it returns once the
	 * process was continued) and redraws; redraw is set after a stop the
	 * TUI did not see coming (SIGTTIN, SIGTTOU in the background). */
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t *redraw;
	void (*suspend)(void);
};

/* Checks, without drawing anything, that the TUI can run here: a
 * terminal on stdin and stdout, TERM set, known, and able to move the
 * cursor. Returns 0, or -errno with *cause (one line naming the fix).
 * Main calls it before attaching or launching, so that a refusal leaves
 * nothing half-done. Thread: main. */
int ui_check_terminal(char **cause);

/* Runs the TUI until `q`, a quit signal, or the duration. Returns 0, or
 * -errno with *cause when the terminal cannot be used (no tty, TERM
 * unknown). The terminal is restored on every path. Thread: main. */
int ui_run(struct source *src, const struct ui_opts *opts,
    const struct ui_signals *sig, char **cause);

struct batch_opts {
	double delay_s;
	double duration_s;	/* 0 = until quit or target exit */
	long iterations;	/* 0 = unlimited */
	int rows;		/* functions per table (0 = 25) */
};

/* Prints the top table as text to out every delay_s (once for a loaded
 * file). Returns 0 or -errno. Thread: main. */
int batch_run(struct source *src, const struct batch_opts *opts,
    const struct ui_signals *sig, FILE *out);

#endif
