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
	bool picker;		/* started from the process picker: the p
				 * key goes back to it (ui_run returns 1) */
	/* --baseline, --diff: the view to diff against from the start (a
	 * reference the caller keeps for the run; NULL = none) and its name
	 * for the status line. */
	struct pview *baseline;
	const char *baseline_name;
	const char *snapshot_dir;	/* where the source view's s writes */
	const char *const *source_paths;	/* OLD=NEW remaps (L key) */
	size_t n_source_paths;
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
 * terminal on keys_fd (where keys will come from) and on stdout, TERM set,
 * known, and able to move the cursor. Returns 0, or -errno with *cause
 * (one line naming the fix). Main calls it before attaching, launching or
 * reading a profile from standard input (keys_fd is then the controlling
 * terminal, which the TUI's stdin becomes once the profile is read), so
 * that a refusal leaves nothing half-done. The TUI itself reads keys from
 * stdin. Thread: main. */
int ui_check_terminal(int keys_fd, char **cause);

/* Runs the TUI until `q`, a quit signal, or the duration. Returns 0, 1
 * when the user pressed p to go back to the process picker (opts->picker
 * only), or -errno with *cause when the terminal cannot be used (no tty,
 * TERM unknown). The terminal is restored on every path. Thread: main. */
int ui_run(struct source *src, const struct ui_opts *opts,
    const struct ui_signals *sig, char **cause);

struct proclist;

/* The process picker (ctop-prof without a target): a top-like list of
 * the processes (pid, user, CPU %, threads, RSS, command), sorted by CPU
 * and refreshed every delay_s; typing filters by name or command line,
 * arrows move, Enter chooses; a process we may not profile is dimmed and
 * the bottom line says why when it is selected. Returns 1 with *pid
 * chosen, 0 when the user quit (q on an empty filter, Esc twice, a quit
 * signal), or -errno with *cause (no usable terminal). filter (a
 * UI_PICK_FILTER_MAX buffer, "" at first) is the typed filter, kept from
 * one call to the next: back from a live view, the list is as it was left.
 * Thread: main. */
#define UI_PICK_FILTER_MAX 64
int ui_pick(struct proclist *pl, const struct ui_opts *opts,
    const struct ui_signals *sig, char *filter, pid_t *pid, char **cause);

/* --fail-above: what the last table found. */
struct batch_verdict {
	unsigned regressions;	/* functions whose self share grew by more
				 * than fail_above points */
	char line[512];		/* the largest of them, in words (its name
				 * raw: escape it for a terminal) */
};

struct batch_opts {
	double delay_s;
	double duration_s;	/* 0 = until quit or target exit */
	long iterations;	/* 0 = unlimited */
	int rows;		/* functions per table (0 = 25) */
	/* A diff against this view (as ui_opts.baseline): each table is
	 * the diff, largest changes first. */
	struct pview *baseline;
	const char *baseline_name;
	double fail_above;	/* points; < 0 = no check */
	struct batch_verdict *verdict;	/* out (fail_above), or NULL */
};

/* Prints the top table as text to out every delay_s (once for a loaded
 * file). Returns 0 or -errno. Thread: main. */
int batch_run(struct source *src, const struct batch_opts *opts,
    const struct ui_signals *sig, FILE *out);

#endif
