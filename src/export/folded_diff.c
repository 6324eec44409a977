/* SPDX-License-Identifier: MIT */
/* A diff as FlameGraph's two-count folded format (what difffolded.pl
 * makes): "frames before after", one line per stack either side has; the
 * before counts scaled to the after side's samples, as difffolded.pl -n
 * does, so that flamegraph.pl colours shares, not run lengths. */
#include "config.h"

#include "ctop/export.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dw {
	FILE *out;
	const struct pdiff *d;
	double scale;		/* after_all / before_all */
	uint32_t *path;		/* frame ids, root first */
	uint32_t path_cap;
};

static int
dw_room(struct dw *w, uint32_t n)
{
	uint32_t *np;

	if (n <= w->path_cap)
		return 0;
	np = realloc(w->path, (size_t)n * sizeof(*np));
	if (!np)
		return -ENOMEM;
	w->path = np;
	w->path_cap = n;
	return 0;
}

static void
dw_name(struct dw *w, const struct frame *f)
{
	char buf[1024], *big;
	size_t len = folded_frame_name(f, buf, sizeof(buf));

	if (len < sizeof(buf)) {
		fputs(buf, w->out);
		return;
	}
	big = malloc(len + 1);
	if (!big) {
		fputs("[unknown]", w->out);
		return;
	}
	folded_frame_name(f, big, len + 1);
	fputs(big, w->out);
	free(big);
}

/* The after path of after node n (depth frames), then more frames of the
 * baseline's view (extra, n_extra, innermost last), then the counts. */
static int
dw_line(struct dw *w, uint32_t n, const uint32_t *extra, uint32_t n_extra,
    uint64_t before, uint64_t after)
{
	const struct pview *a = w->d->after;
	uint32_t depth = a->nodes[n].depth, i, at = n;
	uint64_t b = (uint64_t)llround((double)before * w->scale);

	if (!b && !after)
		return 0;	/* rounded away: nothing to draw */
	if (dw_room(w, depth))
		return -ENOMEM;
	for (i = depth; i > 0; i--, at = a->nodes[at].parent)
		w->path[i - 1] = a->nodes[at].frame;
	for (i = 0; i < depth; i++) {
		if (i)
			putc(';', w->out);
		dw_name(w, &a->frames[w->path[i]]);
	}
	for (i = 0; i < n_extra; i++) {
		if (depth || i)
			putc(';', w->out);
		dw_name(w, &w->d->before->frames[extra[i]]);
	}
	fprintf(w->out, " %" PRIu64 " %" PRIu64 "\n", b, after);
	return 0;
}

/* Whether after node n is top or below it. */
static bool
below(const struct pview *v, uint32_t n, uint32_t top)
{
	while (n != PROFILE_NO_NODE && n != top)
		n = v->nodes[n].parent;
	return n == top;
}

/* Every stack of after below top, with its baseline count. */
static int
dw_after(struct dw *w, uint32_t top)
{
	const struct pview *a = w->d->after;
	uint32_t i, b;
	int err;

	for (i = 1; i < a->n_nodes; i++) {
		uint64_t bs;

		if (!below(a, i, top))
			continue;
		b = w->d->node_base[i];
		bs = b != PROFILE_NO_NODE && w->d->before ?
		    w->d->before->nodes[b].self : 0;
		if ((a->nodes[i].self || bs) &&
		    (err = dw_line(w, i, NULL, 0, bs, a->nodes[i].self)))
			return err;
	}
	return 0;
}

/* The stacks only the baseline has, below the match of top: named by
 * after's path down to their deepest matched ancestor, then by the
 * baseline's frames. */
static int
dw_gone(struct dw *w, uint32_t top)
{
	const struct pview *b = w->d->before;
	uint32_t j, k, n, x, t, *tail = NULL, cap = 0;
	int err = 0;

	if (!b)
		return 0;
	for (j = 1; j < b->n_nodes && !err; j++) {
		if (!b->nodes[j].self || w->d->base_node[j] != PROFILE_NO_NODE)
			continue;
		if (b->nodes[j].depth > cap) {
			uint32_t *nt = realloc(tail, b->nodes[j].depth *
			    sizeof(*nt));

			if (!nt) {
				err = -ENOMEM;
				break;
			}
			tail = nt;
			cap = b->nodes[j].depth;
		}
		for (n = 0, k = j; k && w->d->base_node[k] == PROFILE_NO_NODE;
		    k = b->nodes[k].parent)
			tail[n++] = b->nodes[k].frame;
		k = w->d->base_node[k];
		if (!below(w->d->after, k, top))
			continue;
		/* tail is innermost first: turn it around. */
		for (x = 0; x < n / 2; x++) {
			t = tail[x];
			tail[x] = tail[n - 1 - x];
			tail[n - 1 - x] = t;
		}
		err = dw_line(w, k, tail, n, b->nodes[j].self, 0);
	}
	free(tail);
	return err;
}

int
folded_write_diff(FILE *out, const struct pdiff *d, uint32_t node)
{
	struct dw w = { out, d, 1.0, NULL, 0 };
	int err;

	if (!d || node >= d->after->n_nodes)
		return -EINVAL;
	if (d->before_all)
		w.scale = (double)d->after_all / (double)d->before_all;
	err = dw_after(&w, node);
	if (!err)
		err = dw_gone(&w, node);
	free(w.path);
	if (!err && ferror(out))
		err = errno ? -errno : -EIO;
	return err;
}
