/* SPDX-License-Identifier: MIT */
/* The process picker: ctop-prof without -p, a command or --load, on a
 * terminal. A top-like list from proclist (refreshed every -d), a filter
 * typed straight in, and Enter to choose; ui.h says what each key does.
 * Drawn through the canvas like the live view, so the process names and
 * command lines (text from outside) are made printable there. */
#include "config.h"

#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctop/proclist.h"
#include "ctop/ui.h"
#include "ctop/util.h"
#include "draw.h"
#include "ui_internal.h"

#define KEY_ESC 27
#define KEY_CTRL_U 21
#define FILTER_MAX UI_PICK_FILTER_MAX
#define HEAD_ROWS 3		/* status, keys, column titles */

struct picker {
	struct proclist *pl;
	const struct proc_row **shown;	/* rows passing the filter */
	size_t nshown, capshown;
	char filter[FILTER_MAX];
	pid_t selected;		/* kept across refreshes by pid */
	size_t sel, top;	/* index in shown, first row drawn */
	char msg[600];
	bool quit, chosen;
};

static bool
matches(const struct proc_row *r, const char *filter)
{
	return !filter[0] || strcasestr(r->comm, filter) ||
	    strcasestr(r->cmd, filter);
}

/* The rows that pass the filter; the selection follows its pid. */
static void
picker_filter(struct picker *p)
{
	const struct proc_row *rows;
	size_t n = proclist_rows(p->pl, &rows), i;

	p->nshown = 0;
	if (util_grow(&p->shown, &p->capshown, n ? n : 1, sizeof *p->shown,
	    256) < 0)
		return;
	for (i = 0; i < n; i++)
		if (matches(&rows[i], p->filter))
			p->shown[p->nshown++] = &rows[i];
	p->sel = 0;
	for (i = 0; i < p->nshown; i++)
		if (p->shown[i]->pid == p->selected)
			p->sel = i;
	if (p->nshown)
		p->selected = p->shown[p->sel]->pid;
}

static void
format_row(const struct proc_row *r, char *buf, size_t size)
{
	char rss[16];

	if (r->rss_kb >= 10ull * 1024 * 1024)
		snprintf(rss, sizeof rss, "%lluG",
		    (unsigned long long)(r->rss_kb >> 20));
	else if (r->rss_kb >= 10ull * 1024)
		snprintf(rss, sizeof rss, "%lluM",
		    (unsigned long long)(r->rss_kb >> 10));
	else
		snprintf(rss, sizeof rss, "%lluK",
		    (unsigned long long)r->rss_kb);
	/* '!' marks a process we may not profile, where dim is not drawn
	 * (vt100, --no-color) as where it is. */
	snprintf(buf, size, "%c%7d %-9.9s %5.1f %4u %6s  %s",
	    r->profilable ? ' ' : '!', (int)r->pid, r->user, r->cpu,
	    r->threads, rss, r->cmd);
}

static void
picker_render(struct picker *p, struct canvas *cv, int w, int h)
{
	char line[1024];
	int rows = h - HEAD_ROWS - 1, y;
	size_t i;

	canvas_resize(cv, w, h);
	canvas_clear(cv);
	snprintf(line, sizeof line, "ctop-prof: pick a process to profile  "
	    "%zu shown  filter: %s%s", p->nshown, p->filter,
	    p->filter[0] ? "" : "(type to filter)");
	canvas_fill(cv, 0, 0, w, ' ', ST_HEADER);
	canvas_text(cv, 0, 0, w, line, ST_HEADER);
	/* Within 80 columns: the legend of '!' must not be cut. */
	canvas_text(cv, 1, 0, w, "Up/Down move  Enter profile  Esc clear "
	    "(twice: quit)  q quit  ! not profilable", ST_NORMAL);
	canvas_fill(cv, 2, 0, w, ' ', ST_TITLE);
	canvas_text(cv, 2, 0, w, "     PID USER       CPU%  THR    RSS  "
	    "COMMAND", ST_TITLE);
	if (rows < 1)
		return;
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + (size_t)rows)
		p->top = p->sel - (size_t)rows + 1;
	for (i = p->top, y = HEAD_ROWS; i < p->nshown && y < h - 1; i++, y++) {
		const struct proc_row *r = p->shown[i];
		int style = i == p->sel ? ST_SELECTED : r->profilable ?
		    ST_NORMAL : ST_DIM;

		format_row(r, line, sizeof line);
		if (i == p->sel)
			canvas_fill(cv, y, 0, w, ' ', style);
		canvas_text(cv, y, 0, w, line, style);
	}
	if (p->msg[0])
		canvas_text(cv, h - 1, 0, w, p->msg, ST_ERROR);
	else if (p->nshown && !p->shown[p->sel]->profilable)
		canvas_text(cv, h - 1, 0, w, p->shown[p->sel]->why, ST_DIM);
}

static void
picker_move(struct picker *p, long by)
{
	long to = (long)p->sel + by;

	if (!p->nshown)
		return;
	if (to < 0)
		to = 0;
	if (to >= (long)p->nshown)
		to = (long)p->nshown - 1;
	p->sel = (size_t)to;
	p->selected = p->shown[p->sel]->pid;
}

static void
picker_choose(struct picker *p)
{
	const struct proc_row *r;

	if (!p->nshown)
		return;
	r = p->shown[p->sel];
	if (!r->profilable) {
		snprintf(p->msg, sizeof p->msg, "cannot profile %d: %s",
		    (int)r->pid, r->why);
		return;
	}
	p->chosen = true;
}

static void
picker_type(struct picker *p, int key)
{
	size_t len = strlen(p->filter);

	if (key == 'q' && len == 0) {
		p->quit = true;
		return;
	}
	if (len + 1 < sizeof p->filter) {
		p->filter[len] = (char)key;
		p->filter[len + 1] = '\0';
		picker_filter(p);
	}
}

static void
picker_key(struct picker *p, int key, bool fn, int page)
{
	size_t len = strlen(p->filter);

	p->msg[0] = '\0';
	if (fn && key == KEY_UP)
		picker_move(p, -1);
	else if (fn && key == KEY_DOWN)
		picker_move(p, 1);
	else if (fn && key == KEY_PPAGE)
		picker_move(p, -page);
	else if (fn && key == KEY_NPAGE)
		picker_move(p, page);
	else if (fn && key == KEY_HOME)
		picker_move(p, -(long)p->nshown);
	else if (fn && key == KEY_END)
		picker_move(p, (long)p->nshown);
	else if ((fn && key == KEY_ENTER) || (!fn && (key == '\r' ||
	    key == '\n')))
		picker_choose(p);
	else if ((fn && key == KEY_BACKSPACE) || (!fn && (key == 127 ||
	    key == 8))) {
		if (len)
			p->filter[len - 1] = '\0';
		picker_filter(p);
	} else if (!fn && key == KEY_ESC) {
		if (!len)
			p->quit = true;
		p->filter[0] = '\0';
		picker_filter(p);
	} else if (!fn && key == KEY_CTRL_U) {
		p->filter[0] = '\0';
		picker_filter(p);
	} else if (!fn && key < 128 && isprint(key)) {
		picker_type(p, key);
	}
}

static bool
picker_should_quit(const struct picker *p, const struct ui_signals *sig)
{
	return p->quit || p->chosen || (sig && sig->quit && *sig->quit);
}

int
ui_pick(struct proclist *pl, const struct ui_opts *opts,
    const struct ui_signals *sig, char *filter, pid_t *pid, char **cause)
{
	struct picker p = { .pl = pl };
	struct canvas cv = { 0 };
	struct draw d;
	double next = 0;
	int rc, key, w, h;
	bool fn, dirty = true;

	*cause = NULL;
	if ((rc = draw_init(&d, opts->ascii, opts->no_color, cause)) < 0)
		return rc;
	cv.g = &d.g;
	snprintf(p.filter, sizeof p.filter, "%s", filter);
	while (!picker_should_quit(&p, sig)) {
		double now = util_now_s();

		if (sig && sig->stop && *sig->stop) {
			*sig->stop = 0;
			draw_suspend(&d);
			if (sig->suspend)
				sig->suspend();
			draw_resume(&d);
			dirty = true;
		}
		if (now >= next) {
			proclist_refresh(pl);
			picker_filter(&p);
			next = now + (opts->delay_s > 0 ? opts->delay_s : 1);
			dirty = true;
		}
		draw_check_size();
		draw_size(&w, &h);
		if (dirty || w != cv.w || h != cv.h) {
			picker_render(&p, &cv, w, h);
			draw_blit(&d, &cv);
			dirty = false;
		}
		if (draw_key(100, &key, &fn)) {
			picker_key(&p, key, fn, h - HEAD_ROWS - 1);
			dirty = true;
		}
	}
	draw_fini(&d);
	canvas_free(&cv);
	free(p.shown);
	snprintf(filter, UI_PICK_FILTER_MAX, "%s", p.filter);
	if (!p.chosen)
		return 0;
	*pid = p.selected;
	return 1;
}
