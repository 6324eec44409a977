/* SPDX-License-Identifier: MIT */
/* The text of the two status lines and of the breadcrumb. Fixed-width
 * numbers keep the columns still, so a refresh sends only changed digits. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ui_internal.h"

const char *
window_name(uint32_t window_s)
{
	switch (window_s) {
	case 0:
		return "cumulative";
	case 5:
		return "last 5 s";
	case 30:
		return "last 30 s";
	default:
		return "window";
	}
}

static double
share(uint64_t n, uint64_t all)
{
	return all ? 100.0 * (double)n / (double)all : 0.0;
}

/* Decimals of an achieved rate: a tenth only below 10 Hz, where it is
 * one sample in a hundred (at the default 99 Hz, 99.2 and 98.7 said
 * nothing and changed at every refresh). */
static int
hz_digits(double hz)
{
	return hz < 9.95 ? 1 : 0;
}

void
status_lines(char *l1, char *l2, size_t size, const struct source_status *st,
    const char *window, const char *thread, bool paused, const char *note)
{
	unsigned long e = (unsigned long)(st->elapsed_s > 0 ? st->elapsed_s : 0);
	char rate[64], procs[24], who[48], states[64] = "";
	uint64_t all = st->samples + st->dropped;

	if (!st->live) {
		const char *base = strrchr(st->comm, '/');

		snprintf(l1, size, "file %s  samples %llu%s%s",
		    base ? base + 1 : st->comm,
		    (unsigned long long)st->samples, note && *note ? "  " : "",
		    note ? note : "");
		snprintf(l2, size, "%swindow %-10s  thread %s",
		    paused ? "PAUSED  " : "", window, thread);
		return;
	}
	/* The rate asked (lowered by an overhead budget: said so) and the
	 * rate achieved, in whole hertz from 10 Hz: its tenths changed at
	 * every refresh and were bytes on the wire that said nothing. */
	if (st->budget_pct > 0)
		snprintf(rate, sizeof rate, "%.0f/%.*f Hz (budget %g%%)",
		    st->hz_now, hz_digits(st->hz_achieved), st->hz_achieved,
		    st->budget_pct);
	else
		snprintf(rate, sizeof rate, "%u/%.*f Hz", st->hz_requested,
		    hz_digits(st->hz_achieved), st->hz_achieved);
	procs[0] = '\0';
	if (st->procs > 0)
		snprintf(procs, sizeof procs, " +%u procs", st->procs);
	/* -a: the machine, its processes sampled so far, and how the
	 * bounded per-process states fare. */
	if (st->all) {
		snprintf(who, sizeof who, "all %u procs", st->procs);
		snprintf(states, sizeof states, "states %u/%u evicted %llu  ",
		    st->states, st->states_max,
		    (unsigned long long)st->evicted);
		procs[0] = '\0';
	} else {
		snprintf(who, sizeof who, "pid %d %.15s", (int)st->pid,
		    st->comm);
	}
	/* The most useful first: a narrow terminal cuts the ends. */
	snprintf(l1, size, "%s%s  %s/%s  %s  samples %8llu  "
	    "%lu:%02lu:%02lu%s", who, procs,
	    st->backend ? st->backend : "?", st->mode ? st->mode : "?",
	    rate,
	    (unsigned long long)st->samples, e / 3600, e / 60 % 60, e % 60,
	    st->target_exited ? "  EXITED" : "");
	snprintf(l2, size, "%swindow %-10s  thread %-18s  %s%s%s%s%sdropped %llu "
	    "(%.1f%%)  unwind failed %llu (%.1f%%)", paused ? "PAUSED  " : "",
	    window, thread, st->python, st->python[0] ? "  " : "",
	    st->push, st->push[0] ? "  " : "", states,
	    (unsigned long long)st->dropped,
	    share(st->dropped, all), (unsigned long long)st->unwind_failed,
	    share(st->unwind_failed, st->samples));
}

void
status_crumb(char *buf, size_t size, int width, const struct pview *v,
    uint32_t node, const struct glyphs *g)
{
	uint32_t path[64];
	int n = 0, i, cols;
	size_t o = 0;

	buf[0] = '\0';
	/* Collect the path leaf first; only the last 64 levels matter. */
	while (node != PROFILE_NO_NODE && node < v->n_nodes && n < 64) {
		path[n++] = node;
		node = v->nodes[node].parent;
	}
	for (i = n - 1; i >= 0 && o + 1 < size; i--) {
		const struct frame *f = tree_frame(v, path[i]);

		o += (size_t)snprintf(buf + o, size - o, "%s%s",
		    i == n - 1 ? "" : g->crumb, f ? f->name : "all");
		if (o >= size)
			o = size - 1;
	}
	/* Too long: keep the end (the deepest levels), cut from the left. */
	cols = text_cols(buf);
	if (cols > width && width > 3) {
		const unsigned char *p = (const unsigned char *)buf;
		char tmp[1024];
		int skip = cols - width + text_cols(g->ellipsis);

		while (skip > 0 && *p) {
			p++;
			while ((*p & 0xc0) == 0x80)
				p++;
			skip--;
		}
		snprintf(tmp, sizeof tmp, "%s%s", g->ellipsis, (const char *)p);
		snprintf(buf, size, "%s", tmp);
	}
}

/* ------------------------------------------------------------------------
 * Sparkline
 * ------------------------------------------------------------------------ */

/* Level 0 (nothing) to 8 (full) of x out of max, at least 1 when x > 0. */
static int
spark_level(double x, double max)
{
	int l;

	if (x <= 0 || max <= 0)
		return 0;
	l = (int)(8.0 * x / max + 0.999);
	return l < 1 ? 1 : l > 8 ? 8 : l;
}

static size_t
spark_cell(char *buf, size_t size, size_t o, int level,
    const struct glyphs *g)
{
	static const char *const utf8[] = { " ", "\u2581", "\u2582",
	    "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#@";
	int n;

	if (g->utf8)
		n = snprintf(buf + o, size - o, "%s", utf8[level]);
	else
		n = snprintf(buf + o, size - o, "%c", ascii[level]);
	return n > 0 && o + (size_t)n < size ? o + (size_t)n : o;
}

int
status_spark(char *buf, size_t size, int width, const struct pview_spark *sp,
    const char *name, bool sel, const struct glyphs *g)
{
	static const int per[] = { 1, 2, 3, 4, 5, 6 };
	uint64_t s[PVIEW_SPARK_S], f[PVIEW_SPARK_S], max = 0;
	char label[64];
	int k = 0, cells, c, i, nl;
	size_t o = 0;

	buf[0] = '\0';
	if (!sp->secs || !size)
		return 0;
	nl = text_fit(name && *name ? name : "-", 12, g, label, sizeof label);
	/* "cpu " cells "  " name " " cells */
	while (k < 6 && 7 + nl + 2 * (PVIEW_SPARK_S / per[k]) > width)
		k++;
	if (k == 6)
		return 0;
	cells = PVIEW_SPARK_S / per[k];
	for (c = 0; c < cells; c++) {
		s[c] = f[c] = 0;
		for (i = 0; i < per[k]; i++) {
			s[c] += sp->samples[c * per[k] + i];
			f[c] += sp->sel[c * per[k] + i];
		}
		if (s[c] > max)
			max = s[c];
	}
	o = (size_t)snprintf(buf, size, "cpu ");
	for (c = 0; c < cells; c++)
		o = spark_cell(buf, size, o, spark_level((double)s[c],
		    (double)max), g);
	o += (size_t)snprintf(buf + o, size > o ? size - o : 0, "  %s ", label);
	for (c = 0; c < cells && o < size; c++)
		o = spark_cell(buf, size, o, sel ? spark_level((double)f[c],
		    (double)s[c]) : 0, g);
	return 7 + nl + 2 * cells;
}
