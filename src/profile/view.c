/* SPDX-License-Identifier: MIT */
/* profile views: immutable, reference-counted trees built from a profile
 * (merged or one thread, cumulative or a time window) or from another view
 * (a function's callees merged over its callers). */
#include "config.h"

#include "ctop/profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

/* What a view owns besides the public arrays. */
struct vpriv {
	uint32_t *find;		/* node indices keyed by id */
	uint32_t find_cap;
	struct frame *frames;	/* owned copy, or NULL when borrowed */
	struct profile_module *modules;	/* likewise */
	struct profile_run run;		/* v->run's copy (strings borrowed) */
	struct profile_loc *locs;	/* likewise */
	struct profile_line *lines;	/* likewise */
	uint32_t *canon;	/* copies of the profile's per-frame arrays */
	uint64_t *line_self, *line_total;
	uint32_t *line_callee;
	struct pview *base;	/* a focus view holds its source view */
	struct pview *keep;	/* an extended view: the view whose
				 * frames its extra frames borrow from */
};

/* ------------------------------------------------------------------------
 * Builder: a tree keyed by (parent, frame) that view construction fills
 * top down (a parent is always created before its children), then
 * vb_finish() sorts, numbers in preorder and derives everything else.
 * ------------------------------------------------------------------------ */

struct bnode {
	uint64_t self, total;
	uint32_t parent, frame;
};

/* A thread's samples ending at a builder node (remapped to the view's
 * numbering by vb_emit). */
struct bleaf {
	uint32_t node;
	int32_t tid;
	uint64_t count;
	uint32_t pcnode;	/* the profile node + 1 */
};

struct vb {
	struct bnode *n;
	uint32_t count, cap;
	struct bleaf *lv;	/* NULL when the view keeps no leaves */
	size_t n_lv, cap_lv;
	uint32_t *tab, tab_cap;
	const struct frame *frames;
	uint32_t n_frames;
};

static int
vb_init(struct vb *b, const struct frame *frames, uint32_t n_frames)
{
	memset(b, 0, sizeof(*b));
	b->frames = frames;
	b->n_frames = n_frames;
	b->cap = 256;
	b->n = malloc(b->cap * sizeof(*b->n));
	b->tab_cap = 512;
	b->tab = malloc(b->tab_cap * sizeof(*b->tab));
	if (!b->n || !b->tab)
		return -ENOMEM;
	memset(b->tab, 0xff, b->tab_cap * sizeof(*b->tab));
	b->n[0] = (struct bnode){ 0, 0, PROFILE_NO_NODE, PROFILE_NO_FRAME };
	b->count = 1;
	return 0;
}

static void
vb_fini(struct vb *b)
{
	free(b->n);
	free(b->tab);
	free(b->lv);
}

/* Records count samples of thread tid ending at builder node bn. */
static int
vb_leaf(struct vb *b, uint32_t bn, int32_t tid, uint64_t count,
    uint32_t pcnode)
{
	if (b->n_lv == b->cap_lv && util_grow(&b->lv, &b->cap_lv,
	    b->n_lv + 1, sizeof(*b->lv), 64))
		return -ENOMEM;
	b->lv[b->n_lv++] = (struct bleaf){ bn, tid, count, pcnode };
	return 0;
}

static int
vb_grow_tab(struct vb *b)
{
	uint32_t ncap = b->tab_cap * 2, *nt, i, j;

	nt = malloc((size_t)ncap * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	memset(nt, 0xff, (size_t)ncap * sizeof(*nt));
	for (i = 1; i < b->count; i++) {
		j = profile__pair_hash(b->n[i].parent, b->n[i].frame) &
		    (ncap - 1);
		while (nt[j] != PROFILE__EMPTY)
			j = (j + 1) & (ncap - 1);
		nt[j] = i;
	}
	free(b->tab);
	b->tab = nt;
	b->tab_cap = ncap;
	return 0;
}

/* The child of parent for frame, created when absent; PROFILE_NO_NODE on
 * ENOMEM. */
static uint32_t
vb_child(struct vb *b, uint32_t parent, uint32_t frame)
{
	uint32_t h = profile__pair_hash(parent, frame), j, mask;

	if (b->count + 1 > b->tab_cap / 2 && vb_grow_tab(b))
		return PROFILE_NO_NODE;
	mask = b->tab_cap - 1;
	for (j = h & mask; b->tab[j] != PROFILE__EMPTY; j = (j + 1) & mask) {
		const struct bnode *c = &b->n[b->tab[j]];

		if (c->parent == parent && c->frame == frame)
			return b->tab[j];
	}
	if (b->count == b->cap) {
		size_t cap = b->cap;

		if (b->cap > UINT32_MAX / 4 || util_grow(&b->n, &cap,
		    (size_t)b->count + 1, sizeof *b->n, 0))
			return PROFILE_NO_NODE;
		b->cap = (uint32_t)cap;
	}
	b->n[b->count] = (struct bnode){ 0, 0, parent, frame };
	b->tab[j] = b->count;
	return b->count++;
}

static int
str_cmp0(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Sibling order: decreasing total, then name, kind, module and frame id,
 * so equal trees sort the same whatever the frame numbering. */
static int
vb_sibling_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct vb *b = ctx;
	const struct bnode *x = &b->n[*(const uint32_t *)pa];
	const struct bnode *y = &b->n[*(const uint32_t *)pb];
	const struct frame *fx = &b->frames[x->frame];
	const struct frame *fy = &b->frames[y->frame];
	int c;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if ((c = strcmp(fx->name, fy->name)))
		return c;
	if (fx->kind != fy->kind)
		return fx->kind < fy->kind ? -1 : 1;
	if ((c = str_cmp0(fx->module, fy->module)))
		return c;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* Children of every node, grouped by parent (counting sort) and each
 * group sorted. kids[start[i] .. start[i + 1]) are node i's children. */
static int
vb_sorted_children(struct vb *b, uint32_t **kids_out, uint32_t **start_out)
{
	uint32_t *kids, *start, *fill, i;

	kids = malloc((size_t)b->count * sizeof(*kids));
	start = calloc((size_t)b->count + 1, sizeof(*start));
	fill = malloc((size_t)b->count * sizeof(*fill));
	if (!kids || !start || !fill) {
		free(kids);
		free(start);
		free(fill);
		return -ENOMEM;
	}
	for (i = 1; i < b->count; i++)
		start[b->n[i].parent + 1]++;
	for (i = 0; i < b->count; i++)
		start[i + 1] += start[i];
	memcpy(fill, start, (size_t)b->count * sizeof(*fill));
	for (i = 1; i < b->count; i++)
		kids[fill[b->n[i].parent]++] = i;
	free(fill);
	for (i = 0; i < b->count; i++)
		if (start[i + 1] - start[i] > 1)
			qsort_r(kids + start[i], start[i + 1] - start[i],
			    sizeof(*kids), vb_sibling_cmp, b);
	*kids_out = kids;
	*start_out = start;
	return 0;
}

/* Numbers the nodes in preorder into v->nodes, with ids and links. */
static int
leaf_cmp(const void *pa, const void *pb)
{
	const struct pview_leaf *x = pa, *y = pb;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->pcnode < y->pcnode ? -1 : x->pcnode > y->pcnode;
}

/* The builder's leaves in the view's numbering, sorted, one entry per
 * (node, thread). */
static int
vb_emit_leaves(struct vb *b, struct pview *v, const uint32_t *newidx)
{
	size_t i, n = 0;

	if (!b->lv)
		return 0;
	v->leaves = malloc((b->n_lv ? b->n_lv : 1) * sizeof(*v->leaves));
	if (!v->leaves)
		return -ENOMEM;
	for (i = 0; i < b->n_lv; i++)
		v->leaves[i] = (struct pview_leaf){ newidx[b->lv[i].node],
		    b->lv[i].tid, b->lv[i].count, b->lv[i].pcnode };
	qsort(v->leaves, b->n_lv, sizeof(*v->leaves), leaf_cmp);
	for (i = 0; i < b->n_lv; i++) {
		if (n && leaf_cmp(&v->leaves[n - 1], &v->leaves[i]) == 0)
			v->leaves[n - 1].count += v->leaves[i].count;
		else
			v->leaves[n++] = v->leaves[i];
	}
	v->n_leaves = (uint32_t)n;
	return 0;
}

static int
vb_emit(struct vb *b, struct pview *v, const uint32_t *kids,
    const uint32_t *start)
{
	uint32_t *stack, *newidx, sp = 0, out = 0, i, k;
	int err;

	stack = malloc((size_t)b->count * sizeof(*stack));
	newidx = malloc((size_t)b->count * sizeof(*newidx));
	if (!stack || !newidx) {
		free(stack);
		free(newidx);
		return -ENOMEM;
	}
	stack[sp++] = 0;
	while (sp) {
		uint32_t o = stack[--sp];
		struct pview_node *vn = &v->nodes[out];

		newidx[o] = out++;
		vn->frame = b->n[o].frame;
		vn->self = b->n[o].self;
		vn->total = b->n[o].total;
		vn->first_child = vn->next_sibling = PROFILE_NO_NODE;
		if (o == 0) {
			vn->parent = PROFILE_NO_NODE;
			vn->depth = 0;
			vn->id = PROFILE__ROOT_ID;
		} else {
			const struct pview_node *pn;

			vn->parent = newidx[b->n[o].parent];
			pn = &v->nodes[vn->parent];
			vn->depth = pn->depth + 1;
			vn->id = profile__child_id(pn->id, vn->frame);
		}
		/* Reverse push: the first child comes out first. */
		for (k = start[o + 1]; k > start[o]; k--)
			stack[sp++] = kids[k - 1];
	}
	for (i = 0; i < b->count; i++) {
		uint32_t prev = PROFILE_NO_NODE;

		for (k = start[i]; k < start[i + 1]; k++) {
			uint32_t c = newidx[kids[k]];

			if (prev == PROFILE_NO_NODE)
				v->nodes[newidx[i]].first_child = c;
			else
				v->nodes[prev].next_sibling = c;
			prev = c;
		}
	}
	free(stack);
	v->n_nodes = b->count;
	err = vb_emit_leaves(b, v, newidx);
	free(newidx);
	return err;
}

static int
func_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct pview_func *x = pa, *y = pb;
	const struct frame *frames = ctx;
	int c;

	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if ((c = strcmp(frames[x->frame].name, frames[y->frame].name)))
		return c;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

#define FUNC_PROC_SEVERAL (PROFILE_NO_FRAME - 1)

/* A row's process: the one its stacks start with, kept in proc as the
 * frame id + 1 while the rows are summed (0: none yet), or
 * FUNC_PROC_SEVERAL. */
static void
func_note_proc(struct pview_func *f, const struct pview *v, uint32_t root)
{
	uint32_t p = root < v->n_frames &&
	    v->frames[root].kind == FRAME_PROCESS ? root + 1 : FUNC_PROC_SEVERAL;

	if (f->proc == 0)
		f->proc = p;
	else if (f->proc != p)
		f->proc = FUNC_PROC_SEVERAL;
}

static void
funcs_proc_final(struct pview_func *f, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		f[i].proc = f[i].proc == 0 || f[i].proc == FUNC_PROC_SEVERAL ?
		    PROFILE_NO_FRAME : f[i].proc - 1;
}

/* Top table rows from the preorder nodes: a frame's total is taken at
 * its outermost occurrence on each path only (recursion counts once). */
static int
view_funcs(struct pview *v)
{
	uint32_t *onpath, *path, depth = 0, i, n = 0;
	struct pview_func *f;

	f = calloc(v->n_frames ? v->n_frames : 1, sizeof(*f));
	onpath = calloc(v->n_frames ? v->n_frames : 1, sizeof(*onpath));
	path = malloc((size_t)v->n_nodes * sizeof(*path));
	if (!f || !onpath || !path) {
		free(f);
		free(onpath);
		free(path);
		return -ENOMEM;
	}
	for (i = 1; i < v->n_nodes; i++) {
		const struct pview_node *vn = &v->nodes[i];

		while (depth >= vn->depth)
			onpath[path[--depth]]--;
		if (!onpath[vn->frame])
			f[vn->frame].total += vn->total;
		f[vn->frame].self += vn->self;
		onpath[vn->frame]++;
		path[depth++] = vn->frame;
		func_note_proc(&f[vn->frame], v, path[0]);
		if (depth == 1 && vn->frame < v->n_frames &&
		    v->frames[vn->frame].kind == FRAME_PROCESS)
			v->n_procs++;
	}
	for (i = 0; i < v->n_frames; i++) {
		if (!f[i].total)
			continue;
		f[n] = f[i];
		f[n++].frame = i;
	}
	funcs_proc_final(f, n);
	qsort_r(f, n, sizeof(*f), func_cmp, (void *)v->frames);
	free(onpath);
	free(path);
	v->funcs = f;
	v->n_funcs = n;
	return 0;
}

static int
view_find_index(struct pview *v)
{
	struct vpriv *pr = v->priv;
	uint32_t cap = 16, i, j;

	while (cap / 2 < v->n_nodes)
		cap *= 2;
	pr->find = malloc((size_t)cap * sizeof(*pr->find));
	if (!pr->find)
		return -ENOMEM;
	memset(pr->find, 0xff, (size_t)cap * sizeof(*pr->find));
	pr->find_cap = cap;
	for (i = 0; i < v->n_nodes; i++) {
		j = (uint32_t)v->nodes[i].id & (cap - 1);
		while (pr->find[j] != PROFILE__EMPTY)
			j = (j + 1) & (cap - 1);
		pr->find[j] = i;
	}
	return 0;
}

/* Totals (children come after parents), then the public arrays. */
static int
vb_finish(struct vb *b, struct pview *v)
{
	uint32_t *kids, *start, i;
	int err;

	for (i = 1; i < b->count; i++)
		b->n[i].total = 0;
	b->n[0].total = 0;
	for (i = b->count; i-- > 0;) {
		b->n[i].total += b->n[i].self;
		if (i)
			b->n[b->n[i].parent].total += b->n[i].total;
	}
	v->total = b->n[0].total;
	v->nodes = calloc(b->count, sizeof(*v->nodes));
	if (!v->nodes)
		return -ENOMEM;
	if ((err = vb_sorted_children(b, &kids, &start)))
		return err;
	err = vb_emit(b, v, kids, start);
	free(kids);
	free(start);
	if (!err)
		err = view_funcs(v);
	if (!err)
		err = view_find_index(v);
	return err;
}

/* ------------------------------------------------------------------------
 * Views of a profile
 * ------------------------------------------------------------------------ */

static struct pview *
view_alloc(void)
{
	struct pview *v = calloc(1, sizeof(*v));
	struct vpriv *pr = calloc(1, sizeof(*pr));

	if (!v || !pr) {
		free(v);
		free(pr);
		return NULL;
	}
	v->priv = pr;
	atomic_init(&v->refs, 1);
	return v;
}

static void
view_free(struct pview *v)
{
	struct vpriv *pr = v->priv;

	free(v->nodes);
	free(v->funcs);
	free(v->threads);
	free(v->leaves);
	free(pr->find);
	free(pr->frames);
	free(pr->modules);
	free(pr->locs);
	free(pr->lines);
	free(v->pcnodes);
	free(pr->canon);
	free(pr->line_self);
	free(pr->line_total);
	free(pr->line_callee);
	pview_unref(pr->base);
	pview_unref(pr->keep);
	free(pr);
	free(v);
}

/* Cumulative: every node of the chosen threads with samples, in index
 * order (a parent's index is below its children's). */
static int
view_fill_cumulative(const struct profile *p, int32_t tid, struct vb *b)
{
	uint32_t *map, i, root = PROFILE_NO_NODE;
	int32_t *owner;
	int err = 0;

	map = malloc(((size_t)p->n_nodes + 1) * sizeof(*map));
	owner = malloc(((size_t)p->n_nodes + 1) * sizeof(*owner));
	if (!map || !owner) {
		free(map);
		free(owner);
		return -ENOMEM;
	}
	if (tid)
		root = p->threads[profile__thread_find(p, tid)].root;
	/* Each node's thread: its root's, set here, then inherited. */
	for (i = 0; i < p->n_threads; i++)
		owner[p->threads[i].root] = p->threads[i].tid;
	for (i = 0; i < p->n_nodes && !err; i++) {
		const struct pnode *n = &p->nodes[i];

		if (n->parent == PROFILE_NO_NODE) {
			/* Every root merges into the view's, or just one. */
			map[i] = !tid || i == root ? 0 : PROFILE_NO_NODE;
			if (map[i] == 0)
				b->n[0].self += n->self;
			if (map[i] == 0 && n->self)
				err = vb_leaf(b, 0, owner[i], n->self, i + 1);
			continue;
		}
		owner[i] = owner[n->parent];
		map[i] = PROFILE_NO_NODE;
		if (!n->total || map[n->parent] == PROFILE_NO_NODE)
			continue;
		map[i] = vb_child(b, map[n->parent], n->frame);
		if (map[i] == PROFILE_NO_NODE)
			err = -ENOMEM;
		else
			b->n[map[i]].self += n->self;
		if (!err && n->self)
			err = vb_leaf(b, map[i], owner[i], n->self, i + 1);
	}
	free(map);
	free(owner);
	return err;
}

/* The builder node of profile node `leaf`, creating its path; memo maps
 * profile nodes to builder nodes (PROFILE_NO_NODE when not yet made). */
static uint32_t
view_path_node(const struct profile *p, struct vb *b, uint32_t *memo,
    uint32_t *chain, uint32_t leaf)
{
	uint32_t len = 0, at = leaf, bn;

	while (memo[at] == PROFILE_NO_NODE) {
		chain[len++] = at;
		at = p->nodes[at].parent;
	}
	bn = memo[at];
	while (len) {
		at = chain[--len];
		bn = vb_child(b, bn, p->nodes[at].frame);
		if (bn == PROFILE_NO_NODE)
			return bn;
		memo[at] = bn;
	}
	return bn;
}

/* Window: counts rebuilt from the log entries in (now - window, now]. */
static int
view_fill_window(const struct profile *p, const struct pview_params *pa,
    uint64_t now_ns, struct vb *b, uint64_t *newest)
{
	uint64_t span = (uint64_t)pa->window_s * 1000000000u;
	uint32_t *memo, *chain, i;
	int err = 0;

	memo = malloc(((size_t)p->n_nodes + 1) * sizeof(*memo));
	chain = malloc(((size_t)p->n_nodes + 1) * sizeof(*chain));
	if (!memo || !chain) {
		free(memo);
		free(chain);
		return -ENOMEM;
	}
	for (i = 0; i < p->n_nodes; i++)
		memo[i] = p->nodes[i].parent == PROFILE_NO_NODE ? 0 :
		    PROFILE_NO_NODE;
	for (i = 0; i < p->log_len && !err; i++) {
		const struct plog_entry *e = profile__log_at(p, i);
		uint32_t bn;

		if (e->time_ns > now_ns || e->time_ns + span <= now_ns ||
		    (pa->tid && e->tid != pa->tid))
			continue;
		bn = view_path_node(p, b, memo, chain, e->leaf);
		if (bn == PROFILE_NO_NODE) {
			err = -ENOMEM;
			break;
		}
		b->n[bn].self += e->count;
		if ((err = vb_leaf(b, bn, e->tid, e->count, e->leaf + 1)))
			break;
		if (e->time_ns > *newest)
			*newest = e->time_ns;
	}
	free(memo);
	free(chain);
	return err;
}

/* Whether frame f is on the path from node n up to its thread's root:
 * memo[n] 0 unknown, 1 yes, 2 no; each node is walked once. */
static bool
spark_on_path(const struct profile *p, uint8_t *memo, uint32_t n, uint32_t f)
{
	uint32_t at = n, k;
	uint8_t ans = 2;

	while (at != PROFILE_NO_NODE && !memo[at]) {
		if (p->nodes[at].frame == f) {
			ans = 1;
			break;
		}
		at = p->nodes[at].parent;
	}
	if (at != PROFILE_NO_NODE && memo[at])
		ans = memo[at];
	for (k = n; k != at; k = p->nodes[k].parent)
		memo[k] = ans;
	if (at != PROFILE_NO_NODE)
		memo[at] = ans;
	return ans == 1;
}

/* The spark: the log's entries of the last minute before now_ns, per
 * second. Without the frame's memo (out of memory) only the samples. */
static void
view_spark(const struct profile *p, const struct pview_params *pa,
    uint64_t now_ns, struct pview *v)
{
	uint32_t f = pa->spark ? pa->spark - 1 : PROFILE_NO_FRAME, i;
	uint8_t *memo = NULL;

	if (!p->log_len || !now_ns)
		return;
	v->spark.secs = PVIEW_SPARK_S;
	if (f < p->n_frames)
		memo = calloc(p->n_nodes ? p->n_nodes : 1, 1);
	for (i = 0; i < p->log_len; i++) {
		const struct plog_entry *e = profile__log_at(p, i);
		uint64_t age = now_ns - e->time_ns;
		uint32_t at;

		if (e->time_ns > now_ns || age >= PVIEW_SPARK_S * 1000000000ull ||
		    (pa->tid && e->tid != pa->tid))
			continue;
		at = PVIEW_SPARK_S - 1 - (uint32_t)(age / 1000000000u);
		v->spark.samples[at] += e->count;
		if (memo && spark_on_path(p, memo, e->leaf, f))
			v->spark.sel[at] += e->count;
	}
	free(memo);
}

static int
thread_cmp(const void *pa, const void *pb)
{
	const struct pview_thread *x = pa, *y = pb;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Every thread with samples in the view's window, whatever params.tid. */
static int
view_threads(const struct profile *p, const struct pview_params *pa,
    uint64_t now_ns, struct pview *v)
{
	uint64_t span = (uint64_t)pa->window_s * 1000000000u;
	uint32_t i, n = 0;

	v->threads = calloc(p->n_threads ? p->n_threads : 1,
	    sizeof(*v->threads));
	if (!v->threads)
		return -ENOMEM;
	for (i = 0; i < p->n_threads; i++) {
		v->threads[i].tid = p->threads[i].tid;
		memcpy(v->threads[i].name, p->threads[i].name,
		    sizeof(v->threads[i].name));
		if (!pa->window_s)
			v->threads[i].samples =
			    p->nodes[p->threads[i].root].total;
	}
	for (i = 0; pa->window_s && i < p->log_len; i++) {
		const struct plog_entry *e = profile__log_at(p, i);

		if (e->time_ns > now_ns || e->time_ns + span <= now_ns)
			continue;
		v->threads[profile__thread_find(p, e->tid)].samples +=
		    e->count;
	}
	for (i = 0; i < p->n_threads; i++)
		if (v->threads[i].samples)
			v->threads[n++] = v->threads[i];
	qsort(v->threads, n, sizeof(*v->threads), thread_cmp);
	v->n_threads = n;
	return 0;
}

/* The profile's locations and its tree by address (pcnodes: node i + 1
 * is profile node i), for the formats that keep addresses. */
static int
view_copy_locs(const struct profile *p, struct pview *v)
{
	struct vpriv *pr = v->priv;
	uint32_t i;

	pr->locs = malloc((p->n_locs ? p->n_locs : 1) * sizeof(*pr->locs));
	pr->lines = malloc((p->n_lines ? p->n_lines : 1) *
	    sizeof(*pr->lines));
	v->pcnodes = malloc(((size_t)p->n_nodes + 1) * sizeof(*v->pcnodes));
	if (!pr->locs || !pr->lines || !v->pcnodes)
		return -ENOMEM;
	if (p->n_locs)
		memcpy(pr->locs, p->locs, p->n_locs * sizeof(*pr->locs));
	if (p->n_lines)
		memcpy(pr->lines, p->lines, p->n_lines * sizeof(*pr->lines));
	v->locs = pr->locs;
	v->n_locs = p->n_locs;
	v->lines = pr->lines;
	v->pcnodes[0] = (struct pview_pcnode){ 0, PROFILE_NO_FRAME,
	    PROFILE_NO_LOC };
	for (i = 0; i < p->n_nodes; i++)
		v->pcnodes[i + 1] = (struct pview_pcnode){
		    p->nodes[i].parent == PROFILE_NO_NODE ? 0 :
		    p->nodes[i].parent + 1, p->nodes[i].frame, p->node_loc[i] };
	v->n_pcnodes = p->n_nodes + 1;
	return 0;
}

static void *
dup_array(const void *a, size_t n, size_t elem)
{
	void *d = malloc(n ? n * elem : 1);

	if (d && n)
		memcpy(d, a, n * elem);
	return d;
}

/* The per-line counts as they are now: views are immutable. */
static int
view_copy_lines(const struct profile *p, struct vpriv *pr)
{
	pr->canon = dup_array(p->canon, p->n_frames, sizeof(uint32_t));
	pr->line_self = dup_array(p->line_self, p->n_frames, sizeof(uint64_t));
	pr->line_total = dup_array(p->line_total, p->n_frames,
	    sizeof(uint64_t));
	pr->line_callee = dup_array(p->line_callee, p->n_frames,
	    sizeof(uint32_t));
	return pr->canon && pr->line_self && pr->line_total &&
	    pr->line_callee ? 0 : -ENOMEM;
}

/* The run a view tells, copied into it: a view outlives the one it was
 * made from (its strings are the profile's, which outlives both). */
static void
view_set_run(struct pview *v, const struct profile_run *r)
{
	struct vpriv *pr = v->priv;

	if (r)
		pr->run = *r;
	v->run = r ? &pr->run : NULL;
}

struct pview *
profile_view(const struct profile *p, const struct pview_params *params,
    uint64_t now_ns)
{
	struct pview_params pa = params ? *params : (struct pview_params){0};
	struct pview *v = view_alloc();
	struct vpriv *pr;
	uint64_t newest = 0;
	struct vb b;
	int err;

	if (!v)
		return NULL;
	pr = v->priv;
	v->params = pa;
	v->n_frames = p->n_frames;
	pr->frames = malloc((p->n_frames ? p->n_frames : 1) *
	    sizeof(*pr->frames));
	if (!pr->frames)
		goto fail;
	if (p->n_frames)
		memcpy(pr->frames, p->frames,
		    p->n_frames * sizeof(*pr->frames));
	v->frames = pr->frames;
	if (p->n_mods && !(pr->modules = malloc(p->n_mods *
	    sizeof(*pr->modules))))
		goto fail;
	if (p->n_mods)
		memcpy(pr->modules, p->mods, p->n_mods * sizeof(*pr->modules));
	v->modules = pr->modules;
	v->n_modules = p->n_mods;
	view_set_run(v, p->has_run ? &p->run : NULL);
	if (view_copy_locs(p, v) || view_copy_lines(p, pr))
		goto fail;
	if (!now_ns)
		now_ns = p->last_time;
	if (vb_init(&b, v->frames, v->n_frames))
		goto fail_vb;
	if (pa.tid && profile__thread_find(p, pa.tid) == PROFILE__EMPTY)
		err = 0;	/* an unknown thread: an empty view */
	else if (pa.window_s)
		err = view_fill_window(p, &pa, now_ns, &b, &newest);
	else
		err = view_fill_cumulative(p, pa.tid, &b);
	if (!pa.window_s) {
		uint32_t t = pa.tid ? profile__thread_find(p, pa.tid) :
		    PROFILE__EMPTY;

		newest = t != PROFILE__EMPTY ? p->threads[t].last_time :
		    pa.tid ? 0 : p->last_time;
	}
	v->time_ns = newest;
	if (err || vb_finish(&b, v) || view_threads(p, &pa, now_ns, v))
		goto fail_vb;
	vb_fini(&b);
	view_spark(p, &pa, now_ns, v);
	return v;

fail_vb:
	vb_fini(&b);
fail:
	view_free(v);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Focus: the callees of one function, merged over its callers
 * ------------------------------------------------------------------------ */

/* Merges the subtree of every outermost occurrence of frame below builder
 * node 1. v's nodes are in preorder, so a subtree is the run of nodes
 * after it that are deeper. */
static int
focus_fill(const struct pview *v, uint32_t frame, struct vb *b)
{
	uint32_t *map, i, in_depth = 0;
	int inside = 0;

	map = malloc((size_t)v->n_nodes * sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (i = 1; i < v->n_nodes; i++) {
		const struct pview_node *vn = &v->nodes[i];

		if (inside && vn->depth <= in_depth)
			inside = 0;
		if (!inside && vn->frame == frame) {
			inside = 1;
			in_depth = vn->depth;
			map[i] = 1;
		} else if (inside) {
			map[i] = vb_child(b, map[vn->parent], vn->frame);
			if (map[i] == PROFILE_NO_NODE) {
				free(map);
				return -ENOMEM;
			}
		} else {
			continue;
		}
		b->n[map[i]].self += vn->self;
	}
	free(map);
	return 0;
}

struct pview *
pview_focus(const struct pview *v, uint32_t frame)
{
	struct pview *f;
	struct vb b;

	if (!v || frame >= v->n_frames)
		return NULL;
	f = view_alloc();
	if (!f)
		return NULL;
	f->params = v->params;
	f->time_ns = v->time_ns;
	f->spark = v->spark;
	f->frames = v->frames;
	f->n_frames = v->n_frames;
	f->modules = v->modules;
	f->n_modules = v->n_modules;
	view_set_run(f, v->run);
	f->locs = v->locs;
	f->n_locs = v->n_locs;
	f->lines = v->lines;
	/* The frames array belongs to v: keep v alive as long as f. */
	((struct vpriv *)f->priv)->base = pview_ref((struct pview *)v);
	if (vb_init(&b, f->frames, f->n_frames) ||
	    vb_child(&b, 0, frame) != 1 || focus_fill(v, frame, &b) ||
	    vb_finish(&b, f))
		goto fail;
	vb_fini(&b);
	if (!f->total) {
		view_free(f);
		return NULL;
	}
	f->threads = malloc((v->n_threads ? v->n_threads : 1) *
	    sizeof(*f->threads));
	if (!f->threads) {
		view_free(f);
		return NULL;
	}
	if (v->n_threads)
		memcpy(f->threads, v->threads,
		    v->n_threads * sizeof(*f->threads));
	f->n_threads = v->n_threads;
	return f;

fail:
	vb_fini(&b);
	view_free(f);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Extended views (diffs): v with more frames and zero function rows
 * ------------------------------------------------------------------------ */

struct pview *
profile__view_extend(const struct pview *v, const struct frame *extra,
    uint32_t n_extra, struct pview *keep)
{
	struct pview *x = view_alloc();
	struct vpriv *pr;
	uint32_t i;

	if (!x)
		return NULL;
	pr = x->priv;
	x->params = v->params;
	x->time_ns = v->time_ns;
	x->spark = v->spark;
	x->total = v->total;
	x->n_frames = v->n_frames + n_extra;
	x->n_nodes = v->n_nodes;
	x->n_funcs = v->n_funcs + n_extra;
	x->n_procs = v->n_procs;
	x->n_threads = v->n_threads;
	view_set_run(x, v->run);
	pr->keep = pview_ref(keep);
	pr->frames = malloc((x->n_frames ? x->n_frames : 1) *
	    sizeof(*pr->frames));
	x->nodes = dup_array(v->nodes, v->n_nodes, sizeof(*v->nodes));
	x->funcs = malloc((x->n_funcs ? x->n_funcs : 1) * sizeof(*x->funcs));
	x->threads = dup_array(v->threads, v->n_threads, sizeof(*v->threads));
	if (v->leaves) {
		x->leaves = dup_array(v->leaves, v->n_leaves,
		    sizeof(*v->leaves));
		x->n_leaves = v->n_leaves;
	}
	if (!pr->frames || !x->nodes || !x->funcs || !x->threads ||
	    (v->leaves && !x->leaves) || view_find_index(x)) {
		view_free(x);
		return NULL;
	}
	x->frames = pr->frames;
	if (v->n_frames)
		memcpy(pr->frames, v->frames, v->n_frames * sizeof(*pr->frames));
	if (n_extra)
		memcpy(pr->frames + v->n_frames, extra,
		    n_extra * sizeof(*extra));
	if (v->n_funcs)
		memcpy(x->funcs, v->funcs, v->n_funcs * sizeof(*x->funcs));
	for (i = 0; i < n_extra; i++)
		x->funcs[v->n_funcs + i] = (struct pview_func){
		    v->n_frames + i, 0, 0, PROFILE_NO_FRAME };
	return x;
}

/* ------------------------------------------------------------------------
 * References and lookups
 * ------------------------------------------------------------------------ */

struct pview *
pview_ref(struct pview *v)
{
	/* Relaxed: the caller already holds a reference that keeps v alive. */
	if (v)
		atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
	return v;
}

void
pview_unref(struct pview *v)
{
	/* acq_rel: every thread's reads of v happen before the free. */
	if (v && atomic_fetch_sub_explicit(&v->refs, 1,
	    memory_order_acq_rel) == 1)
		view_free(v);
}

uint32_t
pview_find(const struct pview *v, uint64_t id)
{
	const struct vpriv *pr;
	uint32_t j, mask;

	if (!v || !(pr = v->priv) || !pr->find)
		return PROFILE_NO_NODE;
	mask = pr->find_cap - 1;
	for (j = (uint32_t)id & mask; pr->find[j] != PROFILE__EMPTY;
	    j = (j + 1) & mask)
		if (v->nodes[pr->find[j]].id == id)
			return pr->find[j];
	return PROFILE_NO_NODE;
}

const struct frame *
pview_node_frame(const struct pview *v, uint32_t node)
{
	uint32_t f;

	if (!v || node >= v->n_nodes)
		return NULL;
	f = v->nodes[node].frame;
	return f < v->n_frames ? &v->frames[f] : NULL;
}

const struct profile_module *
pview_module(const struct pview *v, const char *name)
{
	uint32_t i;

	for (i = 0; name && i < v->n_modules; i++)
		if (strcmp(v->modules[i].name, name) == 0)
			return &v->modules[i];
	return NULL;
}

/* A focus view reads its base view's line counts. */
static const struct vpriv *
lines_priv(const struct pview *v)
{
	const struct vpriv *pr = v->priv;

	return pr->base ? pr->base->priv : pr;
}

uint32_t
pview_func_frame(const struct pview *v, uint32_t frame)
{
	const struct vpriv *pr = lines_priv(v);

	if (!pr->canon || frame >= v->n_frames)
		return frame;
	return pr->canon[frame];
}

long
pview_lines(const struct pview *v, uint32_t frame, struct pview_line **out)
{
	const struct vpriv *pr = lines_priv(v);
	uint32_t f, i;
	long n = 0;

	*out = NULL;
	if (!pr->canon || frame >= v->n_frames)
		return 0;
	f = pr->canon[frame];
	for (i = 0; i < v->n_frames; i++)
		n += pr->canon[i] == f && pr->line_total[i];
	if (!n)
		return 0;
	*out = malloc((size_t)n * sizeof(**out));
	if (!*out)
		return -1;
	n = 0;
	for (i = 0; i < v->n_frames; i++) {
		if (pr->canon[i] != f || !pr->line_total[i])
			continue;
		(*out)[n].frame = i;
		(*out)[n].callee = pr->line_callee[i];
		(*out)[n].self = pr->line_self[i];
		(*out)[n++].total = pr->line_total[i];
	}
	return n;
}
