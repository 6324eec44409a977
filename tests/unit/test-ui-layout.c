/* SPDX-License-Identifier: MIT */
/* Layout tests of the ui module against an in-memory canvas and hand-built
 * views: proportional widths, label truncation, narrow frames left out,
 * icicle vs flame rows, zoom, selection moves, glyphs, sorting, search,
 * breadcrumb, key map and the batch table. No terminal needed. */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ui_internal.h"

/* ------------------------------------------------------------------------
 * A tiny view builder: stacks in, a struct pview out (as profile_view
 * would build it: children by decreasing total, ids hashed from paths).
 * ------------------------------------------------------------------------ */

#define MAXN 256

struct tb {
	struct frame frames[MAXN];
	struct pview_node nodes[MAXN];
	struct pview_func funcs[MAXN];
	char names[MAXN][48];
	uint32_t nf, nn;
	struct pview v;
};

static uint32_t
tb_frame(struct tb *b, const char *name, const char *module)
{
	uint32_t i;

	for (i = 0; i < b->nf; i++)
		if (strcmp(b->frames[i].name, name) == 0)
			return i;
	snprintf(b->names[b->nf], sizeof b->names[0], "%s", name);
	b->frames[b->nf].name = b->names[b->nf];
	b->frames[b->nf].module = module;
	return b->nf++;
}

static void
tb_init(struct tb *b)
{
	memset(b, 0, sizeof *b);
	b->nodes[0] = (struct pview_node){ 1, PROFILE_NO_FRAME,
	    PROFILE_NO_NODE, PROFILE_NO_NODE, PROFILE_NO_NODE, 0, 0, 0 };
	b->nn = 1;
}

static uint32_t
tb_child(struct tb *b, uint32_t parent, uint32_t frame)
{
	uint32_t c;

	for (c = b->nodes[parent].first_child; c != PROFILE_NO_NODE;
	    c = b->nodes[c].next_sibling)
		if (b->nodes[c].frame == frame)
			return c;
	c = b->nn++;
	b->nodes[c] = (struct pview_node){
		b->nodes[parent].id * 1000003u + frame + 7, frame, parent,
		PROFILE_NO_NODE, b->nodes[parent].first_child,
		b->nodes[parent].depth + 1, 0, 0 };
	b->nodes[parent].first_child = c;
	return c;
}

/* "a;b;c" with count; module "m" for names starting with 'l' (libs). */
static void
tb_add(struct tb *b, const char *stack, uint64_t count)
{
	char buf[256], *save, *tok;
	uint32_t n = 0, seen[64], ns = 0, i, f;

	snprintf(buf, sizeof buf, "%s", stack);
	b->nodes[0].total += count;
	for (tok = strtok_r(buf, ";", &save); tok;
	    tok = strtok_r(NULL, ";", &save)) {
		f = tb_frame(b, tok, tok[0] == 'l' ? "/usr/lib/libm.so" : NULL);
		n = tb_child(b, n, f);
		b->nodes[n].total += count;
		for (i = 0; i < ns && seen[i] != f; i++)
			;
		if (i == ns) {
			seen[ns++] = f;
			b->funcs[f].frame = f;
			b->funcs[f].total += count;
		}
	}
	b->nodes[n].self += count;
	if (n)
		b->funcs[b->nodes[n].frame].self += count;
}

static uint32_t tb_sort_parent;
static struct tb *tb_sort_b;

static int
tb_cmp(const void *pa, const void *pb)
{
	const struct pview_node *a = &tb_sort_b->nodes[*(const uint32_t *)pa];
	const struct pview_node *b = &tb_sort_b->nodes[*(const uint32_t *)pb];

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(tb_sort_b->frames[a->frame].name,
	    tb_sort_b->frames[b->frame].name);
}

static struct pview *
tb_finish(struct tb *b)
{
	uint32_t p, c, kids[MAXN], k, i;

	tb_sort_b = b;
	for (p = 0; p < b->nn; p++) {
		k = 0;
		for (c = b->nodes[p].first_child; c != PROFILE_NO_NODE;
		    c = b->nodes[c].next_sibling)
			kids[k++] = c;
		tb_sort_parent = p;
		qsort(kids, k, sizeof *kids, tb_cmp);
		b->nodes[p].first_child = k ? kids[0] : PROFILE_NO_NODE;
		for (i = 0; i < k; i++)
			b->nodes[kids[i]].next_sibling = i + 1 < k ?
			    kids[i + 1] : PROFILE_NO_NODE;
	}
	b->v.total = b->nodes[0].total;
	b->v.frames = b->frames;
	b->v.n_frames = b->nf;
	b->v.nodes = b->nodes;
	b->v.n_nodes = b->nn;
	b->v.funcs = b->funcs;
	b->v.n_funcs = b->nf;
	return &b->v;
}

static uint32_t
node_of(const struct pview *v, const char *path)
{
	char buf[256], *save, *tok;
	uint32_t n = 0, c;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ";", &save); tok;
	    tok = strtok_r(NULL, ";", &save)) {
		for (c = v->nodes[n].first_child; c != PROFILE_NO_NODE;
		    c = v->nodes[c].next_sibling)
			if (strcmp(v->frames[v->nodes[c].frame].name, tok) == 0)
				break;
		if (c == PROFILE_NO_NODE)
			return PROFILE_NO_NODE;
		n = c;
	}
	return n;
}

static const struct box *
box_of(const struct tree_layout *l, uint32_t n)
{
	long i = layout_box(l, n);

	return i < 0 ? NULL : &l->boxes[i];
}

/* The fixture: main 100 = a 60 (a;x 40) + b 30 + c 10. */
static struct pview *
fixture(struct tb *b)
{
	tb_init(b);
	tb_add(b, "main;a;x", 40);
	tb_add(b, "main;a", 20);
	tb_add(b, "main;b", 30);
	tb_add(b, "main;c", 10);
	return tb_finish(b);
}

/* ------------------------------------------------------------------------ */

static void
test_widths(void)
{
	struct tb b;
	struct pview *v = fixture(&b);
	struct tree_layout l = { 0 };
	const struct box *x;

	is_int(layout_tree(&l, v, 0, 100), 0, "layout 100 columns");
	is_int(l.rows, 4, "4 rows: all, main, a b c, x");
	x = box_of(&l, node_of(v, "main"));
	ok(x && x->x == 0 && x->w == 100, "main spans 100 columns");
	x = box_of(&l, node_of(v, "main;a"));
	ok(x && x->x == 0 && x->w == 60, "a: 60 %% -> 60 columns at x 0");
	x = box_of(&l, node_of(v, "main;b"));
	ok(x && x->x == 60 && x->w == 30, "b: 30 columns at x 60");
	x = box_of(&l, node_of(v, "main;c"));
	ok(x && x->x == 90 && x->w == 10, "c: 10 columns at x 90");
	layout_tree(&l, v, 0, 50);
	x = box_of(&l, node_of(v, "main;a;x"));
	ok(x && x->x == 0 && x->w == 20, "x: 40 %% of 50 -> 20 columns");
	x = box_of(&l, node_of(v, "main;c"));
	ok(x && x->x == 45 && x->w == 5, "c at 50 columns: x 45 w 5");
	layout_free(&l);
}

static void
test_narrow(void)
{
	struct tb b;
	struct pview *v;
	struct tree_layout l = { 0 };
	size_t i;
	int sum = 0;

	tb_init(&b);
	tb_add(&b, "main;big", 197);
	tb_add(&b, "main;tiny;deeper", 1);
	tb_add(&b, "main;tiny2", 2);
	v = tb_finish(&b);
	layout_tree(&l, v, 0, 50);
	ok(layout_box(&l, node_of(v, "main;tiny")) < 0,
	    "a frame of 0.25 column is left out");
	ok(layout_box(&l, node_of(v, "main;tiny;deeper")) < 0,
	    "and its subtree with it");
	ok(layout_box(&l, node_of(v, "main;big")) >= 0, "big is drawn");
	for (i = 0; i < l.n; i++)
		if (l.boxes[i].row == 2)
			sum += l.boxes[i].w;
	ok(sum <= 50, "row 2 fits in 50 columns (%d)", sum);
	layout_free(&l);
}

static void
test_truncate(void)
{
	struct glyphs ga, gu;
	char out[64];

	glyphs_get(&ga, false);
	glyphs_get(&gu, true);
	text_fit("compute_checksum", 8, &ga, out, sizeof out);
	is_str(out, "comput..", "ASCII cut ends with ..");
	text_fit("compute_checksum", 8, &gu, out, sizeof out);
	is_str(out, "compute\xe2\x80\xa6", "UTF-8 cut ends with an ellipsis");
	text_fit("main", 8, &ga, out, sizeof out);
	is_str(out, "main", "a short name is kept");
	is_int(text_fit("abcdef", 2, &ga, out, sizeof out), 2,
	    "2 columns, no room for ..");
	is_str(out, "ab", "cut without ellipsis");
}

static void
draw_rows(struct canvas *c, const struct pview *v, uint32_t root, bool flame,
    uint32_t sel)
{
	struct tree_layout l = { 0 };
	struct search s;
	int top = 0;

	search_init(&s);
	canvas_clear(c);
	layout_tree(&l, v, root, c->w);
	struct tree_paint paint = { false, NULL, false };

	view_icicle_draw(c, 0, c->h, &l, v, sel, &s, flame, &paint, &top);
	layout_free(&l);
	search_fini(&s);
}

static void
test_icicle_flame(void)
{
	struct tb b;
	struct pview *v = fixture(&b);
	struct glyphs g;
	struct canvas c = { 0 };
	char row[512];

	glyphs_get(&g, false);
	c.g = &g;
	canvas_resize(&c, 40, 6);
	draw_rows(&c, v, 0, false, 0);
	is_str(canvas_row(&c, 0, row, sizeof row),
	    "|all                                    ", "icicle: root on top");
	is_str(canvas_row(&c, 1, row, sizeof row),
	    "|main                                   ", "then main");
	is_str(canvas_row(&c, 2, row, sizeof row),
	    "|a                      |b          |c  ", "a 24, b 12, c 4 cols");
	ok(strncmp(canvas_row(&c, 3, row, sizeof row), "|x     ", 7) == 0,
	    "x below a");
	is_int(canvas_at(&c, 3, 15)->style >= ST_BAR0, 1, "x: 16 columns");
	is_int(canvas_at(&c, 3, 16)->style, ST_NORMAL, "then blank");
	is_int(canvas_at(&c, 0, 3)->style, ST_SELECTED, "root selected");
	draw_rows(&c, v, 0, true, node_of(v, "main;b"));
	is_str(canvas_row(&c, 5, row, sizeof row),
	    "|all                                    ", "flame: root at bottom");
	is_str(canvas_row(&c, 3, row, sizeof row),
	    "|a                      |b          |c  ", "a b c on row 3");
	is_str(canvas_row(&c, 2, row, sizeof row),
	    "|x                                      ", "x above a");
	is_int(canvas_at(&c, 3, 26)->style, ST_SELECTED, "b highlighted");
	is_int(canvas_at(&c, 3, 2)->style >= ST_BAR0, 1, "a has a bar colour");

	/* Zoom: a is the full-width root, nothing outside its subtree. */
	draw_rows(&c, v, node_of(v, "main;a"), false, node_of(v, "main;a"));
	is_str(canvas_row(&c, 0, row, sizeof row),
	    "|a                                      ", "zoom: a is full width");
	ok(strncmp(canvas_row(&c, 1, row, sizeof row), "|x   ", 5) == 0,
	    "x below a");
	ok(canvas_at(&c, 1, 25)->style >= ST_BAR0 &&
	    canvas_at(&c, 1, 26)->style == ST_NORMAL, "x is 2/3 of 40 cols");
	ok(!strstr(canvas_row(&c, 1, row, sizeof row), "b") &&
	    !strstr(canvas_row(&c, 0, row, sizeof row), "main"),
	    "no b, no main when zoomed into a");
	canvas_free(&c);
}

static void
test_zoom_layout(void)
{
	struct tb b;
	struct pview *v = fixture(&b);
	struct tree_layout l = { 0 };
	size_t i;
	bool only = true;

	layout_tree(&l, v, node_of(v, "main;a"), 60);
	is_int(l.n, 2, "zoom on a: two boxes (a, x)");
	for (i = 0; i < l.n; i++)
		if (l.boxes[i].node != node_of(v, "main;a") &&
		    l.boxes[i].node != node_of(v, "main;a;x"))
			only = false;
	ok(only, "only a's subtree");
	is_int(l.boxes[0].row, 0, "a on row 0");
	is_int(l.boxes[1].w, 40, "x: 40/60 of 60 columns");
	layout_free(&l);
}

static void
test_moves(void)
{
	struct tb b;
	struct pview *v = fixture(&b);
	struct tree_layout l = { 0 };
	uint32_t main_ = node_of(v, "main"), a = node_of(v, "main;a");
	uint32_t bb = node_of(v, "main;b"), c = node_of(v, "main;c");

	layout_tree(&l, v, 0, 80);
	is_int(layout_move(&l, v, 0, MOVE_CALLEE), main_, "root -> main");
	is_int(layout_move(&l, v, main_, MOVE_CALLEE), a,
	    "callee: the heaviest child");
	is_int(layout_move(&l, v, a, MOVE_RIGHT), bb, "right: a -> b");
	is_int(layout_move(&l, v, bb, MOVE_RIGHT), c, "right: b -> c");
	is_int(layout_move(&l, v, c, MOVE_RIGHT), c, "right stops at c");
	is_int(layout_move(&l, v, bb, MOVE_LEFT), a, "left: b -> a");
	is_int(layout_move(&l, v, bb, MOVE_CALLER), main_, "caller: b -> main");
	is_int(layout_move(&l, v, 0, MOVE_CALLER), 0, "root has no caller");
	is_int(layout_move(&l, v, bb, MOVE_CALLEE), bb, "b is a leaf");
	is_int(layout_move(&l, v, 0, MOVE_LAST), node_of(v, "main;a;x"),
	    "end: deepest on the heaviest path");
	layout_tree(&l, v, a, 80);
	is_int(layout_move(&l, v, a, MOVE_CALLER), a,
	    "the zoom root has no caller in the zoomed view");
	layout_free(&l);
}

static void
test_glyphs(void)
{
	struct tb b;
	struct pview *v;
	struct glyphs ga, gu;
	struct canvas c = { 0 };
	char row[512];

	tb_init(&b);
	tb_add(&b, "main;caf\xc3\xa9", 10);
	v = tb_finish(&b);
	glyphs_get(&ga, false);
	glyphs_get(&gu, true);
	canvas_resize(&c, 40, 4);
	c.g = &gu;
	draw_rows(&c, v, 0, false, 0);
	canvas_row(&c, 2, row, sizeof row);
	ok(strncmp(row, "\xe2\x96\x8f" "caf\xc3\xa9", 8) == 0,
	    "UTF-8: block edge and the name as is");
	c.g = &ga;
	draw_rows(&c, v, 0, false, 0);
	canvas_row(&c, 2, row, sizeof row);
	ok(strncmp(row, "|caf? ", 6) == 0, "ASCII: | edge, non-ASCII as ?");
	ok(strspn(row, " |abcdefghijklmnopqrstuvwxyz?") == strlen(row),
	    "ASCII row is pure ASCII");
	canvas_text(&c, 3, 0, -1, "a\tb\x01", ST_NORMAL);
	canvas_row(&c, 3, row, sizeof row);
	ok(strncmp(row, "a?b?", 4) == 0, "control characters become ?");
	canvas_free(&c);
}

static void
test_sort(void)
{
	struct tb b;
	struct pview *v;
	uint32_t rows[MAXN];

	tb_init(&b);
	tb_add(&b, "main;zeta", 5);
	tb_add(&b, "main;alpha;libc_read", 30);
	tb_add(&b, "main;mid", 20);
	tb_add(&b, "main", 2);
	v = tb_finish(&b);
	table_sort(v, SORT_SELF, rows);
	is_str(v->frames[v->funcs[rows[0]].frame].name, "libc_read",
	    "self: libc_read (30) first");
	is_str(v->frames[v->funcs[rows[1]].frame].name, "mid", "then mid (20)");
	table_sort(v, SORT_TOTAL, rows);
	is_str(v->frames[v->funcs[rows[0]].frame].name, "main",
	    "total: main (57) first");
	is_str(v->frames[v->funcs[rows[1]].frame].name, "libc_read",
	    "total tie 30: libc_read (self 30) before alpha (self 0)");
	is_str(v->frames[v->funcs[rows[2]].frame].name, "alpha", "alpha");
	table_sort(v, SORT_NAME, rows);
	is_str(v->frames[v->funcs[rows[0]].frame].name, "alpha", "name: alpha");
	is_str(v->frames[v->funcs[rows[4]].frame].name, "zeta", "name: zeta last");
	table_sort(v, SORT_WHERE, rows);
	is_str(v->frames[v->funcs[rows[4]].frame].name, "libc_read",
	    "where: the one with a module sorts after the empty ones");
}

/* Rows closer than sampling noise keep last refresh's order; rows far
 * apart take their true order. */
static void
test_sort_stable(void)
{
	static struct tb b1, b2, b3;	/* same frame ids: same insert order */
	struct pview *v;
	uint32_t rows[MAXN], prev[64] = { 0 };

	tb_init(&b1);
	tb_add(&b1, "main;aaa", 300);
	tb_add(&b1, "main;bbb", 301);
	tb_add(&b1, "main;ccc", 100);
	v = tb_finish(&b1);
	table_sort(v, SORT_SELF, rows);
	table_stabilize(v, SORT_SELF, rows, v->n_funcs, prev, 64);
	is_str(v->frames[v->funcs[rows[0]].frame].name, "bbb",
	    "first refresh: bbb (301) above aaa (300)");

	tb_init(&b2);
	tb_add(&b2, "main;aaa", 303);
	tb_add(&b2, "main;bbb", 301);
	tb_add(&b2, "main;ccc", 100);
	v = tb_finish(&b2);
	table_sort(v, SORT_SELF, rows);
	table_stabilize(v, SORT_SELF, rows, v->n_funcs, prev, 64);
	is_str(v->frames[v->funcs[rows[0]].frame].name, "bbb",
	    "aaa 303 vs bbb 301: within noise, bbb keeps its place");

	tb_init(&b3);
	tb_add(&b3, "main;aaa", 340);
	tb_add(&b3, "main;bbb", 301);
	tb_add(&b3, "main;ccc", 100);
	v = tb_finish(&b3);
	table_sort(v, SORT_SELF, rows);
	table_stabilize(v, SORT_SELF, rows, v->n_funcs, prev, 64);
	is_str(v->frames[v->funcs[rows[0]].frame].name, "aaa",
	    "aaa 340 vs bbb 301: a real difference reorders");
}

/* Several close rows keep their old order, however far the fresh sort
 * puts them apart (not only neighbours). */
static void
test_sort_stable_far(void)
{
	static struct tb b1, b2;
	struct pview *v;
	uint32_t rows[MAXN], prev[64] = { 0 };

	tb_init(&b1);
	tb_add(&b1, "main;aaa", 200);
	tb_add(&b1, "main;bbb", 201);
	tb_add(&b1, "main;ccc", 202);
	tb_add(&b1, "main;zzz", 1000);
	v = tb_finish(&b1);
	table_sort(v, SORT_SELF, rows);
	table_stabilize(v, SORT_SELF, rows, v->n_funcs, prev, 64);
	is_str(v->frames[v->funcs[rows[1]].frame].name, "ccc",
	    "first refresh: ccc 202, bbb 201, aaa 200 under zzz");

	tb_init(&b2);		/* reversed, all within 0.5% of 1609 + 1 */
	tb_add(&b2, "main;aaa", 205);
	tb_add(&b2, "main;bbb", 202);
	tb_add(&b2, "main;ccc", 200);
	tb_add(&b2, "main;zzz", 1002);
	v = tb_finish(&b2);
	table_sort(v, SORT_SELF, rows);
	table_stabilize(v, SORT_SELF, rows, v->n_funcs, prev, 64);
	ok(strcmp(v->frames[v->funcs[rows[0]].frame].name, "zzz") == 0 &&
	    strcmp(v->frames[v->funcs[rows[1]].frame].name, "ccc") == 0 &&
	    strcmp(v->frames[v->funcs[rows[2]].frame].name, "bbb") == 0 &&
	    strcmp(v->frames[v->funcs[rows[3]].frame].name, "aaa") == 0,
	    "aaa 205, bbb 202, ccc 200: within noise, the order stays "
	    "ccc, bbb, aaa (aaa would pass two rows)");
}

/* A settled profile: the noise margin (twice sqrt(a + b)) is far less
 * than half a point, and rows a tenth of a point apart take their true
 * order; closer than the noise, they keep the last. */
static void
test_sort_settled(void)
{
	static struct tb b[3];	/* same frame ids: same insert order */
	static const uint64_t aaa[] = { 1100, 1000, 1000 },
	    bbb[] = { 1000, 1040, 1100 };
	static const char *const want[] = { "aaa", "aaa", "bbb" },
	    *const why[] = { "first refresh: aaa (1100) above bbb (1000)",
	    "bbb 1040 vs aaa 1000 of 100000: 40 within the noise margin "
	    "(2 sqrt(2040) = 90), aaa keeps its place",
	    "bbb 1100 vs aaa 1000 of 100000: 0.1 points, over the noise "
	    "margin (92) though under half a point (500): bbb goes first" };
	struct pview *v;
	uint32_t rows[MAXN], prev[64] = { 0 };

	for (int i = 0; i < 3; i++) {
		tb_init(&b[i]);
		tb_add(&b[i], "main;aaa", aaa[i]);
		tb_add(&b[i], "main;bbb", bbb[i]);
		tb_add(&b[i], "main;zzz", 100000 - aaa[i] - bbb[i]);
		v = tb_finish(&b[i]);
		table_sort(v, SORT_SELF, rows);
		table_stabilize(v, SORT_SELF, rows, v->n_funcs, prev, 64);
		is_str(v->frames[v->funcs[rows[1]].frame].name, want[i], "%s",
		    why[i]);
	}
}

/* Draws a table of main;x (self, and total through a callee), rest and
 * kid, N samples in all, with the shares remembered in t; the row of x
 * into row. */
static void
draw_x(struct tb *b, struct canvas *c, struct table_state *t, uint64_t self,
    uint64_t total, uint64_t n, char *row, size_t size)
{
	struct search s;
	struct pview *v;

	search_init(&s);
	tb_init(b);
	tb_add(b, "main;x", self);
	if (total > self)
		tb_add(b, "main;x;kid", total - self);
	tb_add(b, "main;rest", n - total);
	v = tb_finish(b);
	t->n = v->n_funcs;
	table_sort(v, SORT_SELF, t->rows);
	view_table_draw(c, 0, 6, v, t, SORT_SELF, &s, true, NULL, NULL);
	row[0] = '\0';
	for (int y = 1; y < 6; y++) {
		canvas_row(c, y, row, size);
		if (strstr(row, "  x "))
			break;
		row[0] = '\0';
	}
	search_fini(&s);
}

/* A young profile's shares hold within half their sampling error; the
 * error shrinks with the samples, and a settled profile shows its share
 * to the tenth. Self never shows above total, and a leaf's two are one. */
static void
test_table_steady_young(void)
{
	static struct tb b[6];
	static const struct {
		uint64_t self, total, n;
		const char *want, *why;
	} step[] = {
		{ 390, 390, 1500, "  26.0    26.0", "26.0% of 1500" },
		{ 411, 411, 1600, "  26.0    26.0", "25.69% of 1600: within "
		    "half its error (0.55 points), 26.0 stays" },
		{ 25690, 25690, 100000, "  25.7    25.7", "25.69% of 100000: "
		    "half its error is 0.07 points, 25.7" },
		{ 26, 30, 1000, "   2.6     3.0", "a new table: 2.6 and 3.0 "
		    "of 1000" },
		{ 24, 25, 1000, "   2.4     2.5", "self 2.4% within half its "
		    "error, total 2.5% not: self not above total" },
		{ 24, 24, 1000, "   2.5     2.5", "a leaf: self is total, "
		    "held at 2.5" },
	};
	struct glyphs g;
	struct canvas c = { 0 };
	struct table_state t = { 0 };
	uint32_t rows[MAXN], prev[64] = { 0 };
	int32_t shown[128];
	char row[512];

	glyphs_get(&g, false);
	c.g = &g;
	canvas_resize(&c, 80, 6);
	t.rows = rows;
	t.prev_rank = prev;
	t.shown = shown;
	t.n_prev = 64;
	for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
		if (i == 0 || i == 3)
			memset(shown, 0xff, sizeof shown);
		draw_x(&b[i], &c, &t, step[i].self, step[i].total, step[i].n,
		    row, sizeof row);
		ok(strncmp(row, step[i].want, strlen(step[i].want)) == 0,
		    "%s: [%.14s], want [%s]", step[i].why, row, step[i].want);
	}
	canvas_free(&c);
}

/* A share on the edge of two tenths keeps the tenth drawn last. */
static void
test_table_steady_pct(void)
{
	static struct tb b1, b2, b3;
	static const struct { struct tb *b; uint64_t x; const char *want; }
	    step[] = { { &b1, 7660, "   7.7" }, { &b2, 7630, "   7.7" },
	    { &b3, 7600, "   7.6" } };
	struct glyphs g;
	struct canvas c = { 0 };
	struct table_state t = { 0 };
	struct search s;
	uint32_t rows[MAXN], prev[64] = { 0 };
	int32_t shown[128];
	char row[512];

	memset(shown, 0xff, sizeof shown);
	glyphs_get(&g, false);
	c.g = &g;
	canvas_resize(&c, 80, 4);
	search_init(&s);
	t.rows = rows;
	t.prev_rank = prev;
	t.shown = shown;
	t.n_prev = 64;
	for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
		struct pview *v;

		tb_init(step[i].b);
		tb_add(step[i].b, "main;edge", step[i].x);
		tb_add(step[i].b, "main;rest", 100000 - step[i].x);
		v = tb_finish(step[i].b);
		t.n = v->n_funcs;
		table_sort(v, SORT_SELF, rows);
		view_table_draw(&c, 0, 4, v, &t, SORT_SELF, &s, true, NULL, NULL);
		canvas_row(&c, 2, row, sizeof row);
		ok(strncmp(row, step[i].want, 6) == 0, "share %.2f%% drawn "
		    "as [%.6s], want [%s]", step[i].x / 1000.0, row,
		    step[i].want);
	}
	canvas_free(&c);
	search_fini(&s);
}

static void
test_search(void)
{
	struct tb b;
	struct pview *v;
	struct search s;

	tb_init(&b);
	tb_add(&b, "main;parse;parse;lex", 30);	/* recursion: count once */
	tb_add(&b, "main;eval", 60);
	tb_add(&b, "main;parse_num", 10);
	v = tb_finish(&b);
	search_init(&s);
	search_set(&s, "parse");
	search_apply(&s, v, 0);
	ok(s.regex, "a plain word compiles as a regex");
	is_int(s.samples, 40, "parse matched in 40 samples, each once");
	is_int(s.total, 100, "of 100");
	ok(search_hit(&s, tb_frame(&b, "parse_num", NULL)), "substring hit");
	ok(!search_hit(&s, tb_frame(&b, "eval", NULL)), "eval not hit");
	search_set(&s, "^parse$");
	search_apply(&s, v, 0);
	is_int(s.samples, 30, "ERE ^parse$: 30 samples");
	search_set(&s, "ev(al");
	search_apply(&s, v, 0);
	ok(!s.regex, "an unbalanced ( falls back to a substring");
	is_int(s.samples, 0, "no name contains 'ev(al'");
	search_set(&s, "lex|eval");
	search_apply(&s, v, node_of(v, "main;parse"));
	is_int(s.samples, 30, "under the zoom root only: 30");
	is_int(s.total, 30, "of the zoom root's 30");
	search_fini(&s);
}

static void
test_table_view(void)
{
	struct tb b;
	struct pview *v = fixture(&b);
	struct glyphs g;
	struct canvas c = { 0 };
	struct table_state t = { 0 };
	struct search s;
	uint32_t rows[MAXN];
	char row[512];

	glyphs_get(&g, false);
	c.g = &g;
	canvas_resize(&c, 80, 4);
	search_init(&s);
	t.rows = rows;
	t.n = v->n_funcs;
	table_sort(v, SORT_SELF, rows);
	t.sel = 3;
	view_table_draw(&c, 0, 4, v, &t, SORT_SELF, &s, true, NULL, NULL);
	canvas_row(&c, 0, row, sizeof row);
	ok(strncmp(row, " SELF%  TOTAL%  FUNCTION", 24) == 0,
	    "80 columns: no count columns by default [%.40s]", row);
	ok(view_table_counts(&t, 160, false) && !view_table_counts(&t, 159,
	    false) && view_table_counts(&t, 70, true),
	    "count columns by default from 160 columns, a diff's from 70");
	t.counts = 1;
	view_table_draw(&c, 0, 4, v, &t, SORT_SELF, &s, true, NULL, NULL);
	canvas_row(&c, 0, row, sizeof row);
	ok(strncmp(row, " SELF%  TOTAL%      SELF     TOTAL  FUNCTION", 44) == 0,
	    "column titles with counts (the c key)");
	canvas_row(&c, 1, row, sizeof row);
	ok(strncmp(row, "  30.0    30.0        30        30  b ", 38) == 0,
	    "scrolled by one: b (30 %%) first, x (40 %%) above: [%s]", row);
	is_int(t.top, 1, "scrolled so the 4th row is visible");
	is_int(canvas_at(&c, 3, 0)->style, ST_SELECTED, "selection drawn");
	is_int(canvas_at(&c, 0, 0)->style, ST_SELECTED,
	    "sort column marked");
	canvas_free(&c);
	search_fini(&s);
}

static void
test_crumb(void)
{
	struct tb b;
	struct pview *v;
	struct glyphs g;
	char buf[512];

	tb_init(&b);
	tb_add(&b, "main;run_loop;handle_request;parse_header", 5);
	v = tb_finish(&b);
	glyphs_get(&g, false);
	status_crumb(buf, sizeof buf, 200, v,
	    node_of(v, "main;run_loop;handle_request"), &g);
	is_str(buf, "all > main > run_loop > handle_request", "breadcrumb");
	status_crumb(buf, sizeof buf, 30, v,
	    node_of(v, "main;run_loop;handle_request;parse_header"), &g);
	is_int(text_cols(buf), 30, "cut to 30 columns");
	ok(strncmp(buf, "..", 2) == 0 && strstr(buf, "parse_header"),
	    "cut from the left, the deepest level kept: %s", buf);
}

static const char *
command_of(int key)
{
	const struct keymap_entry *e = keymap_lookup(key);

	return e ? e->name : "(none)";
}

static void
test_keymap(void)
{
	size_t i, k;
	int shadowed = 0;
	bool labels = true;
	char buf[64];

	is_str(command_of('q'), "quit", "q quits");
	is_str(command_of('/'), "search", "/ searches");
	is_str(command_of('u'), "zoom-out", "u zooms out");
	is_str(command_of(27), "zoom-out", "Esc zooms out");
	is_str(command_of('3'), "sort-name", "3 sorts by name");
	is_str(command_of('x'), "(none)", "x does nothing");
	for (i = 0; i < keymap_len; i++)
		if (!keymap[i].name || !keymap[i].help || !keymap[i].keys[0] ||
		    !keymap[i].run || !keymap[i].modes)
			labels = false;
	ok(labels, "every key map entry has keys, a name, views, a help text "
	    "and a handler");
	ok(keymap_len >= 29, "the help lists %zu entries", keymap_len);
	for (i = 0; i < keymap_len; i++)
		for (k = 0; k < 6 && keymap[i].keys[k]; k++)
			if (keymap_lookup(keymap[i].keys[k]) != &keymap[i] ||
			    !keymap_key_name(keymap[i].keys[k], false))
				shadowed++;
	is_int(shadowed, 0, "every key has a name and is in one entry only");
	is_str(keymap_label(keymap_lookup(27), buf, sizeof buf), "Esc Bksp u",
	    "a label names each key once, briefly");
	is_str(keymap_label(keymap_lookup('\r'), buf, sizeof buf), "Enter",
	    "Enter's three codes are one key");
	is_str(keymap_key_name(127, false), "Backspace",
	    "the docs spell Backspace out");
}

static void
test_batch(void)
{
	struct tb b;
	struct pview *v = fixture(&b);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	is_int(batch_table(f, v, 2), 2, "two rows printed");
	fclose(f);
	ok(strstr(text, "(folded file: no module/line info)") != NULL,
	    "says there is no module information");
	ok(strstr(text, "  40.0    40.0        40        40  x\n") != NULL &&
	    strstr(text, "  30.0    30.0        30        30  b\n") != NULL,
	    "x then b with their figures");
	ok(strstr(text, "main") == NULL, "only 2 rows");
	free(text);
}

/* A diff of two real profiles (the profile module builds the views and
 * the diff): before 1000 samples, log 40% and work 60%; after 4000, work
 * 90% and fresh 10%. */
static struct pview *
diff_view(const char *const *stacks, const uint64_t *counts, int n,
    struct profile **pp)
{
	struct profile *p = profile_new(NULL);
	int i;

	for (i = 0; i < n; i++) {
		char buf[128], *save, *tok;
		uint32_t ids[16];
		size_t k = 0;

		snprintf(buf, sizeof buf, "%s", stacks[i]);
		for (tok = strtok_r(buf, ";", &save); tok && k < 16;
		    tok = strtok_r(NULL, ";", &save)) {
			struct frame f = { .name = tok, .kind = k ?
			    FRAME_FUNC : FRAME_PROCESS };

			ids[k++] = profile_intern(p, &f);
		}
		profile_add(p, 0, 0, ids, k, counts[i]);
	}
	*pp = p;
	return profile_view(p, NULL, 0);
}

static void
test_diff(void)
{
	static const char *const before[] = { "p;main;log", "p;main;work" };
	static const char *const after[] = { "q;main;work", "q;main;fresh" };
	static const uint64_t bc[] = { 400, 600 }, ac[] = { 3600, 400 };
	struct profile *pb, *pa;
	struct pview *b = diff_view(before, bc, 2, &pb);
	struct pview *a = diff_view(after, ac, 2, &pa);
	struct pdiff *d = pview_diff(a, b, 0, 0);
	struct table_state t = { 0 };
	struct tree_layout l = { 0 };
	struct tree_paint paint = { false, d, true };
	struct canvas c = { 0 };
	struct glyphs g;
	struct search s;
	uint32_t rows[16], i;
	char row[512], *text = NULL;
	size_t len = 0;
	FILE *f;
	int top = 0;

	ok(d != NULL, "diff built");
	glyphs_get(&g, false);
	c.g = &g;
	canvas_resize(&c, 80, 6);
	search_init(&s);
	table_sort_diff(d, SORT_DELTA, rows);
	is_str(d->view->frames[d->view->funcs[rows[0]].frame].name, "log",
	    "by change: log (-40) first");
	t.rows = rows;
	t.n = d->view->n_funcs;
	t.sel = 5;
	view_table_draw(&c, 0, 6, d->view, &t, SORT_DELTA, &s, true, d, NULL);
	canvas_row(&c, 0, row, sizeof row);
	ok(strncmp(row, " SELF%  TOTAL%   dSELF  dTOTAL", 30) == 0,
	    "diff column titles: %.40s", row);
	canvas_row(&c, 1, row, sizeof row);
	ok(strncmp(row, "   0.0     0.0   -40.0   -40.0 x    log", 39) == 0,
	    "log: gone, -40 points: %.40s", row);
	canvas_row(&c, 2, row, sizeof row);
	ok(strncmp(row, "  90.0    90.0   +30.0   +30.0 +    work", 40) == 0,
	    "work: +30 points: %.40s", row);
	canvas_row(&c, 3, row, sizeof row);
	ok(strncmp(row, "  10.0    10.0   +10.0   +10.0 *    fresh", 41) == 0,
	    "fresh: new: %.41s", row);
	is_int(canvas_at(&c, 2, 17)->style, ST_DIFF0 + SHADE_GREW3,
	    "work's dSELF deep red (30 points)");
	is_int(canvas_at(&c, 1, 17)->style, ST_DIFF0 + SHADE_SHRANK3,
	    "log's dSELF deep blue");
	/* The icicle with marks: work '+' and fresh '*' in their edges. */
	canvas_clear(&c);
	layout_tree(&l, a, 0, 80);
	view_icicle_draw(&c, 0, 6, &l, a, 0, &s, false, &paint, &top);
	canvas_row(&c, 3, row, sizeof row);
	ok(strncmp(row, "+work", 5) == 0 && strstr(row, "*fre") != NULL,
	    "icicle marks: +work, *fresh: %.80s", row);
	canvas_row(&c, 2, row, sizeof row);
	ok(row[0] == '|', "main unchanged: a plain edge: %.10s", row);
	is_int(canvas_at(&c, 3, 2)->style, ST_DIFF0 + SHADE_GREW3,
	    "work drawn deep red");
	is_int(canvas_at(&c, 2, 2)->style, ST_DIFF0 + SHADE_SAME,
	    "main drawn grey");
	/* Batch. */
	f = open_memstream(&text, &len);
	is_int(batch_diff_table(f, d, 10), 4, "four rows (not the process)");
	fclose(f);
	ok(strstr(text, "   40.0     0.0   -40.0    40.0     0.0   -40.0  "
	    "gone  log\n") != NULL, "batch: log gone");
	ok(strstr(text, "    0.0    10.0   +10.0     0.0    10.0   +10.0  "
	    "new   fresh\n") != NULL, "batch: fresh new");
	free(text);
	for (i = 0; i < 3; i++)
		is_int(diff_shade(PDIFF_GREW, i == 0 ? 0.5 : i == 1 ? 2 : 9),
		    SHADE_GREW1 + (int)i, "grew by %s: shade %u",
		    i == 0 ? "0.5" : i == 1 ? "2" : "9", i + 1);
	is_int(diff_shade(PDIFF_SAME, 3), SHADE_SAME, "noise: grey");
	layout_free(&l);
	search_fini(&s);
	canvas_free(&c);
	pdiff_free(d);
	pview_unref(a);
	pview_unref(b);
	profile_free(pa);
	profile_free(pb);
}

/* The sparkline: cells of 1-6 s by the room, levels of the busiest
 * second and of each second's share, blanks where nothing ran. */
static void
test_spark(void)
{
	struct pview_spark sp;
	struct glyphs ga, gu;
	char buf[1024];
	int i;

	memset(&sp, 0, sizeof sp);
	glyphs_get(&ga, false);
	glyphs_get(&gu, true);
	is_int(status_spark(buf, sizeof buf, 200, &sp, "f", true, &ga), 0,
	    "no times: nothing");
	sp.secs = PVIEW_SPARK_S;
	for (i = 40; i < 60; i++) {
		sp.samples[i] = i >= 50 ? 200 : 100;	/* doubles at 50 */
		sp.sel[i] = i >= 50 ? 100 : 0;		/* because of f */
	}
	is_int(status_spark(buf, sizeof buf, 130, &sp, "f", true, &ga), 128,
	    "130 columns: 60 cells of 1 s (7 + 1 + 120)");
	ok(strncmp(buf + 4 + 40, "@@@@@@@@@@@@@@@@@@@@", 20) != 0 &&
	    strncmp(buf + 4 + 40, "==========@@@@@@@@@@", 20) == 0,
	    "cpu: half, then the busiest (ASCII): %.24s", buf + 44);
	ok(strncmp(buf + 4 + 60, "  f ", 4) == 0, "then the name: %.6s",
	    buf + 64);
	ok(strncmp(buf + 68 + 40, "          ==========", 20) == 0,
	    "f: nothing, then half of each second: %.20s", buf + 108);
	is_int(status_spark(buf, sizeof buf, 127, &sp, "f", true, &ga), 68,
	    "127 columns: 30 cells of 2 s");
	is_int(status_spark(buf, sizeof buf, 30, &sp, "f", true, &ga), 28,
	    "30 columns: 10 cells of 6 s");
	is_int(status_spark(buf, sizeof buf, 27, &sp, "f", true, &ga), 0,
	    "27 columns: no room");
	status_spark(buf, sizeof buf, 30, &sp, "f", false, &ga);
	ok(strcmp(buf + 4 + 10, "  f           ") == 0,
	    "not counted yet: blank cells: [%s]", buf);
	status_spark(buf, sizeof buf, 30, &sp, "f", true, &gu);
	ok(strstr(buf, "\u2588") != NULL && strstr(buf, "\u2584") != NULL,
	    "UTF-8 blocks: %s", buf);
	status_spark(buf, sizeof buf, 200, &sp,
	    "a_very_long_function_name", true, &ga);
	ok(strstr(buf, "  a_very_lon.. ") != NULL, "a long name cut: %s",
	    buf);
}

static void
test_too_small(void)
{
	struct canvas c = { 0 };
	struct glyphs g;

	glyphs_get(&g, false);
	c.g = &g;
	is_int(canvas_resize(&c, 1, 1), 0, "a 1x1 canvas");
	is_int(canvas_text(&c, 0, 0, -1, "terminal too small", ST_NORMAL), 1,
	    "text clipped to 1 column");
	canvas_fill(&c, 5, 0, 10, 'x', ST_NORMAL);	/* out of range: no-op */
	is_int(canvas_at(&c, 0, 0)->ch, 't', "clipped, no overflow");
	canvas_free(&c);
}

int
main(void)
{
	if (!setlocale(LC_ALL, "C.UTF-8"))
		diag("no C.UTF-8 locale: wide glyph checks may fail");
	test_widths();
	test_narrow();
	test_truncate();
	test_icicle_flame();
	test_zoom_layout();
	test_moves();
	test_glyphs();
	test_sort();
	test_sort_stable();
	test_sort_stable_far();
	test_table_steady_pct();
	test_sort_settled();
	test_table_steady_young();
	test_search();
	test_table_view();
	test_crumb();
	test_keymap();
	test_batch();
	test_diff();
	test_spark();
	test_too_small();
	return done_testing();
}
