/* SPDX-License-Identifier: MIT */
/* Pure layout logic: the order of the top table, the boxes of the icicle
 * and flame views and how the selection moves between them. No curses. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "ui_internal.h"

const struct frame *
tree_frame(const struct pview *v, uint32_t n)
{
	uint32_t f;

	if (n >= v->n_nodes)
		return NULL;
	f = v->nodes[n].frame;
	if (f == PROFILE_NO_FRAME || f >= v->n_frames)
		return NULL;
	return &v->frames[f];
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

const char *
frame_where(const struct frame *f, char *buf, size_t size)
{
	if (f && f->file && f->line)
		snprintf(buf, size, "%s:%u", base_name(f->file),
		    (unsigned)f->line);
	else if (f && f->file)
		snprintf(buf, size, "%s", base_name(f->file));
	else if (f && f->module)
		snprintf(buf, size, "%s", base_name(f->module));
	else
		buf[0] = '\0';
	return buf;
}

uint32_t
tree_find(const struct pview *v, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].id == id)
			return i;
	return PROFILE_NO_NODE;
}

/* ------------------------------------------------------------------------
 * Table order
 * ------------------------------------------------------------------------ */

/* qsort has no context argument; the table is sorted on main only. */
static const struct pview *sort_view;
static const struct pdiff *sort_diff;
static enum sort_key sort_by;

static const char *
func_name(const struct pview_func *f)
{
	const char *n = f->frame < sort_view->n_frames ?
	    sort_view->frames[f->frame].name : NULL;

	return n ? n : "";
}

static int
cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Larger changes (either way) first: of the self or the total share,
 * whichever changed more (a caller whose callees went shows in its total
 * only), then of the self share. */
static int
delta_cmp(ptrdiff_t ia, ptrdiff_t ib)
{
	double sa = 0, sb = 0, ta = 0, tb = 0, ma, mb;

	if (!sort_diff)
		return 0;
	pdiff_func(sort_diff, (uint32_t)ia, false, &sa);
	pdiff_func(sort_diff, (uint32_t)ib, false, &sb);
	pdiff_func(sort_diff, (uint32_t)ia, true, &ta);
	pdiff_func(sort_diff, (uint32_t)ib, true, &tb);
	ma = fmax(fabs(sa), fabs(ta));
	mb = fmax(fabs(sb), fabs(tb));
	if (ma != mb)
		return ma > mb ? -1 : 1;
	if (fabs(sa) != fabs(sb))
		return fabs(sa) > fabs(sb) ? -1 : 1;
	return 0;
}

static int
table_cmp(const void *pa, const void *pb)
{
	const struct pview_func *a = &sort_view->funcs[*(const uint32_t *)pa];
	const struct pview_func *b = &sort_view->funcs[*(const uint32_t *)pb];
	char wa[256], wb[256];
	int r = 0;

	switch (sort_by) {
	case SORT_SELF:
		r = cmp_u64_desc(a->self, b->self);
		if (!r)
			r = cmp_u64_desc(a->total, b->total);
		break;
	case SORT_TOTAL:
		r = cmp_u64_desc(a->total, b->total);
		if (!r)
			r = cmp_u64_desc(a->self, b->self);
		break;
	case SORT_NAME:
		break;
	case SORT_DELTA:
		r = delta_cmp(a - sort_view->funcs, b - sort_view->funcs);
		break;
	case SORT_WHERE:
		r = strcmp(frame_where(&sort_view->frames[a->frame], wa,
		    sizeof wa), frame_where(&sort_view->frames[b->frame], wb,
		    sizeof wb));
		break;
	default:
		break;
	}
	if (!r)
		r = strcmp(func_name(a), func_name(b));
	if (!r)
		r = a->frame < b->frame ? -1 : a->frame > b->frame;
	return r;
}

void
table_sort(const struct pview *v, enum sort_key key, uint32_t *rows)
{
	uint32_t i;

	for (i = 0; i < v->n_funcs; i++)
		rows[i] = i;
	sort_view = v;
	sort_by = key;
	if (v->n_funcs > 1)
		qsort(rows, v->n_funcs, sizeof *rows, table_cmp);
	sort_view = NULL;
}

void
table_sort_diff(const struct pdiff *d, enum sort_key key, uint32_t *rows)
{
	sort_diff = d;
	table_sort(d->view, key, rows);
	sort_diff = NULL;
}

enum diff_shade
diff_shade(enum pdiff_change c, double delta)
{
	double size = fabs(delta);
	int step = size < 1.0 ? 0 : size < 5.0 ? 1 : 2;

	switch (c) {
	case PDIFF_GREW:
		return (enum diff_shade)(SHADE_GREW1 + step);
	case PDIFF_SHRANK:
	case PDIFF_GONE:
		return (enum diff_shade)(SHADE_SHRANK1 + step);
	case PDIFF_NEW:
		return SHADE_NEW;
	default:
		return SHADE_SAME;
	}
}

char
diff_mark(enum pdiff_change c)
{
	static const char marks[] = { ' ', '+', '-', '*', 'x' };

	return (unsigned)c < sizeof marks ? marks[c] : ' ';
}

static uint64_t
table_key(const struct pview_func *f, enum sort_key key)
{
	return key == SORT_TOTAL ? f->total : f->self;
}

/* How many of the first rows keep their order: more than any screen
 * shows, and an insertion pass over them stays cheap. */
#define TABLE_STABLE_ROWS 512u

/* How far one count must be ahead of another before their rows trade
 * places: 0.5% of the samples (half a point of share), or twice the
 * sampling noise of the two counts (the standard deviation of their
 * difference, sqrt(a + b)) where that is less. The first holds close
 * rows still in a young profile, whose counts are mostly noise; the
 * second shrinks, next to the samples taken, as the profile settles, so
 * rows a tenth of a point apart end up in their true order (after about
 * 85,000 samples for two rows near 1%), where a fixed half point kept
 * them wrong for good. Always at least one sample: equal counts keep
 * their order. */
static double
table_margin(uint64_t all, uint64_t a, uint64_t b)
{
	double share = (double)all / 200.0, noise = 2.0 * sqrt((double)(a + b));
	double m = share < noise ? share : noise;

	return m > 1.0 ? m : 1.0;
}

void
table_stabilize(const struct pview *v, enum sort_key key, uint32_t *rows,
    uint32_t n, uint32_t *prev_rank, uint32_t n_prev)
{
	/* A row moves above one it was below only when its count is ahead
	 * by the margin; close rows keep their previous order, however far
	 * the fresh sort put them apart, so they do not swap places at
	 * every refresh: less to read, fewer bytes on the wire. */
	uint64_t kx, ky;
	double m;
	uint32_t i, j, x, fx, fy, lim = n < TABLE_STABLE_ROWS ? n :
	    TABLE_STABLE_ROWS;

	if (key != SORT_SELF && key != SORT_TOTAL)
		goto remember;
	for (i = 1; i < lim; i++) {
		x = rows[i];
		fx = v->funcs[x].frame;
		if (fx >= n_prev || !prev_rank[fx])
			continue;
		kx = table_key(&v->funcs[x], key);
		for (j = i; j > 0; j--) {
			fy = v->funcs[rows[j - 1]].frame;
			ky = table_key(&v->funcs[rows[j - 1]], key);
			m = table_margin(v->total, kx, ky);
			/* x goes above y when it was above it and y is not
			 * ahead by the margin, or x is ahead by it. */
			if (!((double)kx >= (double)ky + m || (fy < n_prev &&
			    prev_rank[fy] > prev_rank[fx] &&
			    (double)ky < (double)kx + m)))
				break;
			rows[j] = rows[j - 1];
		}
		rows[j] = x;
	}
remember:
	for (i = 0; i < n_prev; i++)
		prev_rank[i] = 0;
	for (i = 0; i < n; i++)
		if (v->funcs[rows[i]].frame < n_prev)
			prev_rank[v->funcs[rows[i]].frame] = i + 1;
}

/* ------------------------------------------------------------------------
 * Icicle boxes
 * ------------------------------------------------------------------------ */

static int
layout_push(struct tree_layout *l, uint32_t node, int row, int x, int w)
{
	if (util_grow(&l->boxes, &l->cap, l->n + 1, sizeof *l->boxes, 256))
		return -ENOMEM;
	l->boxes[l->n++] = (struct box){ node, row, x, w };
	if (row + 1 > l->rows)
		l->rows = row + 1;
	return 0;
}

static int
box_cmp(const void *pa, const void *pb)
{
	const struct box *a = pa, *b = pb;

	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	return a->x < b->x ? -1 : a->x > b->x;
}

/* Columns are computed from sample offsets, not from the parent's rounded
 * columns, so rounding errors never accumulate with depth. */
struct pending {
	uint32_t node;
	uint64_t off;
};

int
layout_tree(struct tree_layout *l, const struct pview *v, uint32_t root,
    int width)
{
	struct pending *stack = NULL;
	size_t sp = 0, cap = 0;
	uint64_t all;
	int rc = 0;

	l->n = 0;
	l->rows = 0;
	l->root = root;
	if (root >= v->n_nodes || width < 1)
		return 0;
	all = v->nodes[root].total;
	if (!all)
		all = 1;
	cap = 64;
	stack = malloc(cap * sizeof *stack);
	if (!stack)
		return -ENOMEM;
	stack[sp++] = (struct pending){ root, 0 };
	while (sp && !rc) {
		struct pending p = stack[--sp];
		const struct pview_node *nd = &v->nodes[p.node];
		int x0 = (int)((unsigned __int128)p.off * (unsigned)width / all);
		int x1 = (int)((unsigned __int128)(p.off + nd->total) *
		    (unsigned)width / all);
		uint64_t off = p.off;
		uint32_t c;

		/* Narrower than a column: left out with its subtree, even
		 * where a column boundary happens to fall inside it. */
		if (nd->total * (unsigned)width < all || x1 - x0 < 1)
			continue;
		rc = layout_push(l, p.node, (int)(nd->depth -
		    v->nodes[root].depth), x0, x1 - x0);
		for (c = nd->first_child; c != PROFILE_NO_NODE && !rc &&
		    c < v->n_nodes; c = v->nodes[c].next_sibling) {
			if (util_grow(&stack, &cap, sp + 1, sizeof *stack, 0)) {
				rc = -ENOMEM;
				break;
			}
			stack[sp++] = (struct pending){ c, off };
			off += v->nodes[c].total;
		}
	}
	free(stack);
	if (l->n > 1)
		qsort(l->boxes, l->n, sizeof *l->boxes, box_cmp);
	return rc;
}

void
layout_free(struct tree_layout *l)
{
	free(l->boxes);
	memset(l, 0, sizeof *l);
}

long
layout_box(const struct tree_layout *l, uint32_t n)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->boxes[i].node == n)
			return (long)i;
	return -1;
}

uint32_t
layout_move(const struct tree_layout *l, const struct pview *v,
    uint32_t from, enum move m)
{
	long b = layout_box(l, from);
	size_t i;

	if (b < 0)
		return l->n ? l->boxes[0].node : from;
	switch (m) {
	case MOVE_CALLEE:
		/* The leftmost child box is the heaviest drawn child. */
		for (i = (size_t)b + 1; i < l->n; i++)
			if (l->boxes[i].row == l->boxes[b].row + 1 &&
			    v->nodes[l->boxes[i].node].parent == from)
				return l->boxes[i].node;
		break;
	case MOVE_CALLER:
		if (l->boxes[b].row > 0)
			return v->nodes[from].parent;
		break;
	case MOVE_LEFT:
		if (b > 0 && l->boxes[b - 1].row == l->boxes[b].row)
			return l->boxes[b - 1].node;
		break;
	case MOVE_RIGHT:
		if ((size_t)b + 1 < l->n &&
		    l->boxes[b + 1].row == l->boxes[b].row)
			return l->boxes[b + 1].node;
		break;
	case MOVE_FIRST:
		return l->boxes[0].node;
	case MOVE_LAST:
		/* The deepest frame along the heaviest path. */
		for (;;) {
			uint32_t n = layout_move(l, v, from, MOVE_CALLEE);

			if (n == from)
				return from;
			from = n;
		}
	}
	return from;
}
