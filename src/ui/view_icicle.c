/* SPDX-License-Identifier: MIT */
/* Icicle (root at the top) and flame (root at the bottom) views: each laid
 * out box becomes a bar with a left edge and its name cut to fit, coloured
 * by module, or by heat (its self share) when modules are unknown. */
#include "config.h"

#include <string.h>

#include "ui_internal.h"

static unsigned
hash_str(const char *s)
{
	unsigned h = 2166136261u;

	while (s && *s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int
box_color(const struct pview *v, uint32_t n, bool color_module)
{
	const struct pview_node *nd = &v->nodes[n];
	const struct frame *f = tree_frame(v, n);

	if (color_module && f && f->module)
		return (int)(hash_str(f->module) % UI_N_BAR);
	/* Heat: frames that are mostly self time are the hot ones. */
	if (!nd->total)
		return 0;
	return (int)(nd->self * (UI_N_BAR - 1) / nd->total);
}

/* A node's shade by the change of its total share, and its mark. */
static int
diff_box(const struct pdiff *d, uint32_t n, char *mark)
{
	double delta;
	enum pdiff_change c = pdiff_node(d, n, &delta, NULL);

	*mark = diff_mark(c);
	return (int)diff_shade(c, delta);
}

static void
draw_box(struct canvas *c, int y, const struct box *b, const struct pview *v,
    int style)
{
	const struct frame *f = tree_frame(v, b->node);
	char label[512];

	canvas_fill(c, y, b->x, b->w, ' ', style);
	canvas_fill(c, y, b->x, 1, c->g->edge, style);
	if (b->w < 2)
		return;
	text_fit(f ? (f->name ? f->name : "?") : "all", b->w - 1, c->g,
	    label, sizeof label);
	canvas_text(c, y, b->x + 1, b->w - 1, label, style);
}

void
view_icicle_draw(struct canvas *c, int y0, int h,
    const struct tree_layout *l, const struct pview *v, uint32_t sel,
    const struct search *s, bool flame, const struct tree_paint *paint,
    int *top)
{
	long sb = layout_box(l, sel);
	size_t i;

	if (h < 1)
		return;
	if (sb >= 0) {
		int r = l->boxes[sb].row;

		if (r < *top)
			*top = r;
		if (r >= *top + h)
			*top = r - h + 1;
	}
	if (*top > l->rows - h)
		*top = l->rows - h;
	if (*top < 0)
		*top = 0;
	for (i = 0; i < l->n; i++) {
		const struct box *b = &l->boxes[i];
		int r = b->row - *top, style;
		char mark = ' ';
		bool hit = search_hit(s, v->nodes[b->node].frame);

		if (r < 0 || r >= h)
			continue;
		if (b->node == sel)
			style = hit ? ST_SEL_MATCH : ST_SELECTED;
		else if (hit)
			style = ST_MATCH;
		else
			style = paint->diff ? ST_DIFF0 + diff_box(paint->diff,
			    b->node, &mark) : ST_BAR0 + box_color(v, b->node,
			    paint->color_module);
		draw_box(c, flame ? y0 + h - 1 - r : y0 + r, b, v, style);
		/* The change's mark where colours cannot say it, and a new
		 * frame's in every mode. */
		if (paint->diff && (paint->marks || mark == '*') &&
		    mark != ' ')
			canvas_at(c, flame ? y0 + h - 1 - r : y0 + r,
			    b->x)->ch = (uint32_t)mark;
	}
}
