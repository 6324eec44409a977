/* SPDX-License-Identifier: MIT */
/* profile: frame interning, one call tree per thread, and the window log.
 * This is the worker's hot path (up to ~100k profile_add per second), so
 * every lookup is an open-addressing hash table of 32-bit indices.
 *
 * Memory: a tree node is 24 bytes (struct pnode), its 4-byte location
 * beside it (node_loc), plus one 4-byte slot in the (parent, frame,
 * location) hash table, kept at most half full; arrays grow by doubling.
 * Measured by test-profile before locations (1 M unique synthetic stacks,
 * each one new node under a shared prefix, no times): stats.bytes =
 * 33.7 MB, i.e. 33.7 bytes per node and per unique stack, ~37.7 with
 * node_loc; the default cap of 4 M nodes is thus ~150 MB. Keying nodes by
 * location (pc) makes more of them: recording ctop-demo for 10 s at
 * 999 Hz gave 1872 nodes where frames alone gave 340 (1390 distinct pcs),
 * 620 kB in all against 497 kB (73 and 55 bytes per sample, the window
 * log included). A location is 16 bytes, 8 per frame of it and a slot. Samples with a time also cost one 24-byte window log
 * entry while they are in the window (42 bytes each with doubling slack,
 * measured over 300k); the log holds at most PROFILE_LOG_MAX entries.
 * Views are separate: 48 bytes per view node, built and freed per view,
 * plus 12 per profile node (pcnodes) and a copy of the locations. */
#include "config.h"

#include "ctop/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

#define ARENA_CHUNK (64 * 1024)
#define DEFAULT_MAX_NODES (4u * 1024 * 1024)
#define DEFAULT_WINDOW_S 30
/* A thread entry costs about 64 bytes (its struct, its root node, its
 * hash slots, with the arrays' slack): 65536 of them 4 MiB, whatever the
 * thread churn. Its call tree counts against max_nodes. */
#define DEFAULT_MAX_THREADS 65536u
#define OTHER_THREADS_NAME "[other threads]"
/* 2 M entries (48 MiB) hold 30 s at ~70k samples/s; past that the oldest
 * entries go first and windows get shorter than asked. */
#define PROFILE_LOG_MAX (1u << 21)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

/* ------------------------------------------------------------------------
 * Strings: an append-only arena of chunks that never move, so views can
 * borrow frame strings for the life of the profile.
 * ------------------------------------------------------------------------ */

static const char *
arena_strdup(struct profile *p, const char *s)
{
	size_t len = strlen(s) + 1;
	struct arena_chunk *c = p->arena;
	char *dst;

	if (!c || c->size - c->used < len) {
		size_t size = len > ARENA_CHUNK ? len : ARENA_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = p->arena;
		c->used = 0;
		c->size = size;
		p->arena = c;
		p->arena_bytes += sizeof(*c) + size;
	}
	dst = c->data + c->used;
	memcpy(dst, s, len);
	c->used += len;
	return dst;
}

/* ------------------------------------------------------------------------
 * Hash tables of 32-bit indices (linear probing, power-of-two sizes).
 * ------------------------------------------------------------------------ */

typedef uint32_t (*slot_hash_fn)(const struct profile *p, uint32_t idx);

/* Rebuilds *tab with room for `want` entries at a load of at most 1/2. */
static int
table_resize(const struct profile *p, uint32_t **tab, uint32_t *cap,
    uint32_t want, slot_hash_fn hash)
{
	uint32_t ncap = 16, *nt, i, j;

	while (ncap / 2 < want)
		ncap *= 2;
	nt = malloc((size_t)ncap * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	memset(nt, 0xff, (size_t)ncap * sizeof(*nt));
	for (i = 0; *tab && i < *cap; i++) {
		if ((*tab)[i] == PROFILE__EMPTY)
			continue;
		j = hash(p, (*tab)[i]) & (ncap - 1);
		while (nt[j] != PROFILE__EMPTY)
			j = (j + 1) & (ncap - 1);
		nt[j] = (*tab)[i];
	}
	free(*tab);
	*tab = nt;
	*cap = ncap;
	return 0;
}

/* util_grow for the arrays indexed by uint32_t ids: the capacity stays
 * a uint32_t (at most 2^31 from a first 64). */
static int
grow_array(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	size_t c = *cap;

	if (need > *cap && need > (uint32_t)1 << 31)
		return -ENOMEM;
	if (util_grow(arr, &c, need, elem, 64))
		return -ENOMEM;
	*cap = (uint32_t)c;
	return 0;
}

/* ------------------------------------------------------------------------
 * Frames
 * ------------------------------------------------------------------------ */

static uint32_t
frame_key_hash(const struct frame *f)
{
	uint64_t h = UINT64_C(1469598103934665603) ^ f->kind;
	const unsigned char *s;

	/* FNV-1a over name, a separator and module, then a final mix. */
	for (s = (const unsigned char *)(f->name ? f->name : ""); *s; s++)
		h = (h ^ *s) * UINT64_C(1099511628211);
	h = (h ^ 0xff) * UINT64_C(1099511628211);
	for (s = (const unsigned char *)(f->module ? f->module : ""); *s; s++)
		h = (h ^ *s) * UINT64_C(1099511628211);
	return (uint32_t)profile__mix64(h);
}

static uint32_t
frame_slot_hash(const struct profile *p, uint32_t id)
{
	return p->frame_hash[id];
}

static int
str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
frame_same(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && str_eq(a->name, b->name) &&
	    str_eq(a->module, b->module);
}

/* realloc of one array indexed by frame id; *arr is kept on failure. */
static int
frames_resize(void **arr, uint32_t cap, size_t elem)
{
	void *n = realloc(*arr, (size_t)cap * elem);

	if (!n)
		return -ENOMEM;
	*arr = n;
	return 0;
}

/* Room for one more frame in frames[] and the arrays indexed by frame id,
 * which share a capacity. */
static int
frames_reserve(struct profile *p)
{
	uint32_t cap = p->cap_frames;

	if (p->n_frames < p->cap_frames)
		return 0;
	if (grow_array((void **)&p->frames, &cap, p->n_frames + 1,
	    sizeof(*p->frames)))
		return -ENOMEM;
	/* A failure leaves some arrays grown: harmless, retried. */
	if (frames_resize((void **)&p->frame_hash, cap, sizeof(uint32_t)) ||
	    frames_resize((void **)&p->line_hash, cap, sizeof(uint32_t)) ||
	    frames_resize((void **)&p->canon, cap, sizeof(uint32_t)) ||
	    frames_resize((void **)&p->line_seen, cap, sizeof(uint32_t)) ||
	    frames_resize((void **)&p->line_callee, cap, sizeof(uint32_t)) ||
	    frames_resize((void **)&p->line_self, cap, sizeof(uint64_t)) ||
	    frames_resize((void **)&p->line_total, cap, sizeof(uint64_t)))
		return -ENOMEM;
	p->cap_frames = cap;
	return 0;
}

/* The full key's hash: the function's, then file and line. */
static uint32_t
line_key_hash(const struct frame *f, uint32_t func_hash)
{
	uint64_t h = func_hash ^ ((uint64_t)f->line << 32);
	const unsigned char *s;

	for (s = (const unsigned char *)(f->file ? f->file : ""); *s; s++)
		h = (h ^ *s) * UINT64_C(1099511628211);
	return (uint32_t)profile__mix64(h);
}

static uint32_t
line_slot_hash(const struct profile *p, uint32_t id)
{
	return p->line_hash[id];
}

static int
line_same(const struct frame *a, const struct frame *b)
{
	return frame_same(a, b) && a->line == b->line &&
	    str_eq(a->file, b->file);
}

/* The function frame of key (same kind, name, module), or
 * PROFILE_NO_FRAME. */
static uint32_t
func_find(const struct profile *p, const struct frame *key, uint32_t h)
{
	uint32_t j;

	for (j = h & (p->ftab_cap - 1); p->ftab[j] != PROFILE__EMPTY;
	    j = (j + 1) & (p->ftab_cap - 1))
		if (p->frame_hash[p->ftab[j]] == h &&
		    frame_same(&p->frames[p->ftab[j]], key))
			return p->ftab[j];
	return PROFILE_NO_FRAME;
}

static void
tab_insert(uint32_t *tab, uint32_t cap, uint32_t h, uint32_t id)
{
	uint32_t j;

	for (j = h & (cap - 1); tab[j] != PROFILE__EMPTY; j = (j + 1) & (cap - 1))
		;
	tab[j] = id;
}

/* A frame's identity for the tree is (kind, name, module): the first
 * frame interned of a function is its function frame, and the tree, the
 * table and the views use only that one. Every other (file, line) of the
 * function gets a line frame of its own, whose id profile_add() maps to
 * the function frame while it counts the samples of that line. */
uint32_t
profile_intern(struct profile *p, const struct frame *f)
{
	struct frame key = *f, *nf;
	uint32_t h, lh, j, canon, id;

	if (!key.name)
		key.name = "";
	h = frame_key_hash(&key);
	lh = line_key_hash(&key, h);
	for (j = lh & (p->lntab_cap - 1); p->lntab[j] != PROFILE__EMPTY;
	    j = (j + 1) & (p->lntab_cap - 1)) {
		if (p->line_hash[p->lntab[j]] == lh &&
		    line_same(&p->frames[p->lntab[j]], &key))
			return p->lntab[j];
	}
	canon = func_find(p, &key, h);
	if (p->n_frames == PROFILE_NO_FRAME - 1 || frames_reserve(p))
		return PROFILE_NO_FRAME;
	id = p->n_frames;
	nf = &p->frames[id];
	memset(nf, 0, sizeof(*nf));
	nf->kind = key.kind;
	nf->line = key.line;
	nf->name = arena_strdup(p, key.name);
	nf->module = key.module ? arena_strdup(p, key.module) : NULL;
	nf->file = key.file ? arena_strdup(p, key.file) : NULL;
	nf->start_line = key.start_line;
	nf->system_name = key.system_name ?
	    arena_strdup(p, key.system_name) : NULL;
	if (!nf->name || (key.module && !nf->module) ||
	    (key.file && !nf->file) ||
	    (key.system_name && !nf->system_name))
		return PROFILE_NO_FRAME;	/* arena bytes stay, harmless */
	if ((id + 1) > p->ftab_cap / 2 && table_resize(p, &p->ftab,
	    &p->ftab_cap, id + 1, frame_slot_hash))
		return PROFILE_NO_FRAME;
	if ((id + 1) > p->lntab_cap / 2 && table_resize(p, &p->lntab,
	    &p->lntab_cap, id + 1, line_slot_hash))
		return PROFILE_NO_FRAME;
	p->frame_hash[id] = h;
	p->line_hash[id] = lh;
	p->canon[id] = canon == PROFILE_NO_FRAME ? id : canon;
	p->line_self[id] = p->line_total[id] = 0;
	p->line_seen[id] = 0;
	p->line_callee[id] = PROFILE_NO_FRAME;
	if (canon == PROFILE_NO_FRAME)
		tab_insert(p->ftab, p->ftab_cap, h, id);
	tab_insert(p->lntab, p->lntab_cap, lh, id);
	return p->n_frames++;
}

const struct frame *
profile_frame(const struct profile *p, uint32_t id)
{
	return id < p->n_frames ? &p->frames[id] : NULL;
}

/* ------------------------------------------------------------------------
 * Locations: one per (address, outermost frame)
 * ------------------------------------------------------------------------ */

static uint32_t
loc_key_hash(uint64_t address, uint32_t outer)
{
	return (uint32_t)profile__mix64(address ^
	    ((uint64_t)outer << 40 | (uint64_t)outer >> 24));
}

static uint32_t
loc_outer(const struct profile *p, uint32_t id)
{
	const struct profile_loc *l = &p->locs[id];

	return p->lines[l->first + l->n - 1].frame;
}

static uint32_t
loc_slot_hash(const struct profile *p, uint32_t id)
{
	return loc_key_hash(p->locs[id].address, loc_outer(p, id));
}

uint32_t
profile_intern_loc(struct profile *p, uint64_t address,
    const struct profile_line *lines, uint32_t n)
{
	uint32_t h, j, outer;
	struct profile_loc *l;

	if (!n || p->n_locs == PROFILE_NO_LOC - 1)
		return PROFILE_NO_LOC;
	for (j = 0; j < n; j++)
		if (lines[j].frame >= p->n_frames)
			return PROFILE_NO_LOC;
	/* A line's own number is kept: its frame is the function's. */
	outer = p->canon[lines[n - 1].frame];
	h = loc_key_hash(address, outer);
	for (j = h & (p->ltab_cap - 1); p->ltab && p->ltab[j] !=
	    PROFILE__EMPTY; j = (j + 1) & (p->ltab_cap - 1))
		if (p->locs[p->ltab[j]].address == address &&
		    loc_outer(p, p->ltab[j]) == outer)
			return p->ltab[j];
	if (grow_array((void **)&p->locs, &p->cap_locs, p->n_locs + 1,
	    sizeof(*p->locs)) || grow_array((void **)&p->lines,
	    &p->cap_lines, p->n_lines + n, sizeof(*p->lines)) ||
	    p->n_lines + n < p->n_lines)
		return PROFILE_NO_LOC;
	l = &p->locs[p->n_locs];
	l->address = address;
	l->first = p->n_lines;
	l->n = n;
	for (j = 0; j < n; j++) {
		p->lines[p->n_lines + j].frame = p->canon[lines[j].frame];
		p->lines[p->n_lines + j].line = lines[j].line;
	}
	p->n_lines += n;
	if (!p->ltab || (p->n_locs + 1) > p->ltab_cap / 2) {
		if (table_resize(p, &p->ltab, &p->ltab_cap, p->n_locs + 1,
		    loc_slot_hash)) {
			p->n_lines -= n;
			return PROFILE_NO_LOC;
		}
		for (j = h & (p->ltab_cap - 1); p->ltab[j] != PROFILE__EMPTY;
		    j = (j + 1) & (p->ltab_cap - 1))
			;
	}
	p->ltab[j] = p->n_locs;
	return p->n_locs++;
}

/* ------------------------------------------------------------------------
 * Modules
 * ------------------------------------------------------------------------ */

const struct profile_module *
profile_module(const struct profile *p, const char *name)
{
	uint32_t i;

	for (i = 0; name && i < p->n_mods; i++)
		if (strcmp(p->mods[i].name, name) == 0)
			return &p->mods[i];
	return NULL;
}

/* A copy of s in the arena; NULL stays NULL. *bad is set when out of
 * memory. */
static const char *
arena_strdup_opt(struct profile *p, const char *s, bool *bad)
{
	const char *d = s ? arena_strdup(p, s) : NULL;

	if (s && !d)
		*bad = true;
	return d;
}

int
profile_set_run(struct profile *p, const struct profile_run *r)
{
	struct profile_run nr = *r;
	const char **c = NULL;
	bool bad = false;
	uint32_t i;

	if (r->n_comments && !(c = calloc(r->n_comments, sizeof(*c))))
		return -ENOMEM;
	nr.count_type = arena_strdup_opt(p, r->count_type, &bad);
	nr.count_unit = arena_strdup_opt(p, r->count_unit, &bad);
	nr.time_type = arena_strdup_opt(p, r->time_type, &bad);
	nr.period_type = arena_strdup_opt(p, r->period_type, &bad);
	nr.period_unit = arena_strdup_opt(p, r->period_unit, &bad);
	for (i = 0; i < r->n_comments; i++)
		c[i] = arena_strdup_opt(p, r->comments[i] ? r->comments[i] :
		    "", &bad);
	if (bad) {
		free(c);
		return -ENOMEM;
	}
	free(p->run_comments);
	p->run_comments = c;
	nr.comments = c;
	p->run = nr;
	p->has_run = true;
	return 0;
}

int
profile_set_module(struct profile *p, const struct profile_module *m)
{
	struct profile_module *nm;

	if (!m->name || profile_module(p, m->name))
		return 0;
	if (grow_array((void **)&p->mods, &p->cap_mods, p->n_mods + 1,
	    sizeof(*p->mods)))
		return -ENOMEM;
	nm = &p->mods[p->n_mods];
	*nm = *m;
	nm->name = arena_strdup(p, m->name);
	nm->path = m->path ? arena_strdup(p, m->path) : NULL;
	nm->build_id = m->build_id ? arena_strdup(p, m->build_id) : NULL;
	if (!nm->name || (m->path && !nm->path) ||
	    (m->build_id && !nm->build_id))
		return -ENOMEM;
	p->n_mods++;
	return 0;
}

/* ------------------------------------------------------------------------
 * Threads and nodes
 * ------------------------------------------------------------------------ */

/* A node's key is (parent, frame, location). */
static uint32_t
node_key_hash(uint32_t parent, uint32_t frame, uint32_t loc)
{
	return profile__pair_hash(parent, frame) ^
	    (uint32_t)profile__mix64((uint64_t)loc + 1);
}

static uint32_t
node_slot_hash(const struct profile *p, uint32_t idx)
{
	return node_key_hash(p->nodes[idx].parent, p->nodes[idx].frame,
	    p->node_loc[idx]);
}

static uint32_t
thread_slot_hash(const struct profile *p, uint32_t idx)
{
	return (uint32_t)profile__mix64((uint32_t)p->threads[idx].tid);
}

/* Appends a node (roots are not in the (parent, frame) table). */
static uint32_t
node_append(struct profile *p, uint32_t parent, uint32_t frame, uint32_t loc)
{
	struct pnode *n;

	if (grow_array((void **)&p->nodes, &p->cap_nodes, p->n_nodes + 1,
	    sizeof(*p->nodes)) || grow_array((void **)&p->node_loc,
	    &p->cap_node_loc, p->n_nodes + 1, sizeof(*p->node_loc)))
		return PROFILE_NO_NODE;
	n = &p->nodes[p->n_nodes];
	n->self = n->total = 0;
	n->parent = parent;
	n->frame = frame;
	p->node_loc[p->n_nodes] = loc;
	return p->n_nodes++;
}

uint32_t
profile__thread_find(const struct profile *p, int32_t tid)
{
	uint32_t j, mask = p->ttab_cap - 1;

	if (!p->ttab)
		return PROFILE__EMPTY;
	for (j = (uint32_t)profile__mix64((uint32_t)tid) & mask;
	    p->ttab[j] != PROFILE__EMPTY; j = (j + 1) & mask)
		if (p->threads[p->ttab[j]].tid == tid)
			return p->ttab[j];
	return PROFILE__EMPTY;
}

static uint32_t
thread_create(struct profile *p, int32_t tid)
{
	uint32_t j, mask;
	struct pthread *th;

	if (grow_array((void **)&p->threads, &p->cap_threads,
	    p->n_threads + 1, sizeof(*p->threads)))
		return PROFILE__EMPTY;
	if (p->n_threads + 1 > p->ttab_cap / 2 &&
	    table_resize(p, &p->ttab, &p->ttab_cap, p->n_threads + 1,
	    thread_slot_hash))
		return PROFILE__EMPTY;
	th = &p->threads[p->n_threads];
	memset(th, 0, sizeof(*th));
	th->tid = tid;
	if (tid == PROFILE_OTHER_THREADS)
		memcpy(th->name, OTHER_THREADS_NAME, sizeof OTHER_THREADS_NAME);
	/* Roots are created past max_nodes: a thread always has one. */
	th->root = node_append(p, PROFILE_NO_NODE, PROFILE_NO_FRAME,
	    PROFILE_NO_LOC);
	if (th->root == PROFILE_NO_NODE)
		return PROFILE__EMPTY;
	mask = p->ttab_cap - 1;
	for (j = (uint32_t)profile__mix64((uint32_t)tid) & mask;
	    p->ttab[j] != PROFILE__EMPTY; j = (j + 1) & mask)
		;
	p->ttab[j] = p->n_threads;
	return p->n_threads++;
}

/* The entry of tid, made if new. Past max_threads a new thread shares
 * "[other threads]": a process that churns through millions of threads
 * keeps its first ones apart and every sample counted, in bounded
 * memory. */
static uint32_t
thread_get(struct profile *p, int32_t tid)
{
	uint32_t t = profile__thread_find(p, tid);

	if (t != PROFILE__EMPTY)
		return t;
	if (p->n_threads - p->has_other >= p->lim.max_threads) {
		tid = PROFILE_OTHER_THREADS;
		t = profile__thread_find(p, tid);
		if (t != PROFILE__EMPTY)
			return t;
	}
	t = thread_create(p, tid);
	if (t != PROFILE__EMPTY && tid == PROFILE_OTHER_THREADS)
		p->has_other = 1;
	return t;
}

/* The child of parent for frame; with create, makes it (PROFILE_NO_NODE
 * when absent, or on ENOMEM with *err set). */
static uint32_t
node_child(struct profile *p, uint32_t parent, uint32_t frame, uint32_t loc,
    int create, int *err)
{
	uint32_t h = node_key_hash(parent, frame, loc), j, mask, n;

	mask = p->ntab_cap - 1;
	for (j = h & mask; p->ntab[j] != PROFILE__EMPTY; j = (j + 1) & mask) {
		const struct pnode *c = &p->nodes[p->ntab[j]];

		if (c->parent == parent && c->frame == frame &&
		    p->node_loc[p->ntab[j]] == loc)
			return p->ntab[j];
	}
	if (!create)
		return PROFILE_NO_NODE;
	if (p->n_nodes + 1 > p->ntab_cap / 2) {
		if (table_resize(p, &p->ntab, &p->ntab_cap, p->n_nodes + 1,
		    node_slot_hash)) {
			*err = -ENOMEM;
			return PROFILE_NO_NODE;
		}
		mask = p->ntab_cap - 1;
		for (j = h & mask; p->ntab[j] != PROFILE__EMPTY;
		    j = (j + 1) & mask)
			;
	}
	n = node_append(p, parent, frame, loc);
	if (n == PROFILE_NO_NODE) {
		*err = -ENOMEM;
		return n;
	}
	p->ntab[j] = n;
	return n;
}

/* Walks (and grows) thread t's tree along frames; returns the leaf, or
 * PROFILE_NO_NODE on ENOMEM. *cut is set when max_nodes stopped it. */
static uint32_t
path_resolve(struct profile *p, uint32_t t, const uint32_t *frames,
    const uint32_t *locs, size_t n, int *cut)
{
	uint32_t node = p->threads[t].root, c;
	int err = 0;
	size_t i;

	*cut = 0;
	for (i = 0; i < n; i++) {
		int room = p->n_nodes < p->lim.max_nodes;

		c = node_child(p, node, frames[i], locs ? locs[i] :
		    PROFILE_NO_LOC, room, &err);
		if (c == PROFILE_NO_NODE) {
			if (err)
				return PROFILE_NO_NODE;
			*cut = 1;	/* full: count at the deepest known */
			break;
		}
		node = c;
	}
	return node;
}

/* ------------------------------------------------------------------------
 * Window log
 * ------------------------------------------------------------------------ */

static int
log_reserve(struct profile *p)
{
	struct plog_entry *nl;
	uint32_t ncap, i;

	if (p->log_len < p->log_cap || p->log_cap >= PROFILE_LOG_MAX)
		return 0;
	ncap = p->log_cap ? p->log_cap * 2 : 1024;
	nl = malloc((size_t)ncap * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	for (i = 0; i < p->log_len; i++)
		nl[i] = *profile__log_at(p, i);
	free(p->log);
	p->log = nl;
	p->log_cap = ncap;
	p->log_head = 0;
	return 0;
}

static void
log_append(struct profile *p, int32_t tid, uint64_t time_ns, uint32_t leaf,
    uint64_t count)
{
	uint64_t keep = (uint64_t)p->lim.window_s * 1000000000u;
	struct plog_entry *e;

	/* Expire what left the longest window; a full log drops its oldest. */
	while (p->log_len && (p->log_len == p->log_cap ||
	    profile__log_at(p, 0)->time_ns + keep <= time_ns)) {
		p->log_head = (p->log_head + 1) & (p->log_cap - 1);
		p->log_len--;
	}
	e = &p->log[(p->log_head + p->log_len) & (p->log_cap - 1)];
	e->time_ns = time_ns;
	e->count = count;
	e->tid = tid;
	e->leaf = leaf;
	p->log_len++;
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

struct profile *
profile_new(const struct profile_limits *limits)
{
	struct profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (limits)
		p->lim = *limits;
	if (!p->lim.max_nodes)
		p->lim.max_nodes = DEFAULT_MAX_NODES;
	if (!p->lim.window_s)
		p->lim.window_s = DEFAULT_WINDOW_S;
	if (!p->lim.max_threads)
		p->lim.max_threads = DEFAULT_MAX_THREADS;
	if (table_resize(p, &p->ftab, &p->ftab_cap, 0, frame_slot_hash) ||
	    table_resize(p, &p->lntab, &p->lntab_cap, 0, line_slot_hash) ||
	    table_resize(p, &p->ntab, &p->ntab_cap, 0, node_slot_hash)) {
		profile_free(p);
		return NULL;
	}
	return p;
}

void
profile_free(struct profile *p)
{
	struct arena_chunk *c, *next;

	if (!p)
		return;
	for (c = p->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	free(p->frames);
	free(p->frame_hash);
	free(p->mods);
	free(p->run_comments);
	free(p->ftab);
	free(p->lntab);
	free(p->line_hash);
	free(p->canon);
	free(p->line_self);
	free(p->line_total);
	free(p->line_seen);
	free(p->line_callee);
	free(p->scratch);
	free(p->nodes);
	free(p->node_loc);
	free(p->locs);
	free(p->ltab);
	free(p->lines);
	free(p->ntab);
	free(p->threads);
	free(p->ttab);
	free(p->log);
	free(p);
}

/* The stack with every line frame replaced by its function frame, in
 * p->scratch; NULL when out of memory or an id is unknown. */
static const uint32_t *
canon_stack(struct profile *p, const uint32_t *frames, size_t n)
{
	size_t k;

	if (n > p->scratch_cap) {
		uint32_t *s = realloc(p->scratch, n * sizeof(*s));

		if (!s)
			return NULL;
		p->scratch = s;
		p->scratch_cap = n;
	}
	for (k = 0; k < n; k++) {
		if (frames[k] >= p->n_frames)
			return NULL;
		p->scratch[k] = p->canon[frames[k]];
	}
	return p->scratch;
}

/* Per-line counts: self on the leaf's line, total on each line of the
 * stack once (a recursive function's line is counted once per stack). */
static void
count_lines(struct profile *p, const uint32_t *frames, size_t n,
    uint64_t count)
{
	size_t k;

	if (++p->line_stamp == 0) {
		memset(p->line_seen, 0, (size_t)p->n_frames *
		    sizeof(*p->line_seen));
		p->line_stamp = 1;
	}
	if (n)
		p->line_self[frames[n - 1]] += count;
	for (k = 0; k < n; k++) {
		if (k + 1 < n)
			p->line_callee[frames[k]] = p->canon[frames[k + 1]];
		if (p->line_seen[frames[k]] == p->line_stamp)
			continue;
		p->line_seen[frames[k]] = p->line_stamp;
		p->line_total[frames[k]] += count;
	}
}

int
profile_add(struct profile *p, int32_t tid, uint64_t time_ns,
    const uint32_t *frames, size_t n, uint64_t count)
{
	return profile_add_locs(p, tid, time_ns, frames, NULL, n, count);
}

int
profile_add_locs(struct profile *p, int32_t tid, uint64_t time_ns,
    const uint32_t *frames, const uint32_t *locs, size_t n, uint64_t count)
{
	const uint32_t *cf;
	uint32_t t, leaf, i;
	int cut;
	size_t k;

	for (k = 0; k < n; k++)
		if (frames[k] >= p->n_frames || (locs &&
		    locs[k] != PROFILE_NO_LOC && locs[k] >= p->n_locs))
			return -EINVAL;
	cf = canon_stack(p, frames, n);
	if (n && !cf)
		return -ENOMEM;
	t = thread_get(p, tid);
	if (t == PROFILE__EMPTY)
		return -ENOMEM;
	leaf = path_resolve(p, t, cf, locs, n, &cut);
	if (leaf == PROFILE_NO_NODE)
		return -ENOMEM;
	/* Samples without a time cannot be placed in a window: not logged. */
	if (time_ns && log_reserve(p))
		return -ENOMEM;
	p->nodes[leaf].self += count;
	for (i = leaf; i != PROFILE_NO_NODE; i = p->nodes[i].parent)
		p->nodes[i].total += count;
	count_lines(p, frames, n, count);
	p->samples += count;
	if (cut)
		p->collapsed += count;
	if (time_ns) {
		/* The entry's tid: views find every logged tid's entry. */
		log_append(p, p->threads[t].tid, time_ns, leaf, count);
		if (time_ns > p->last_time)
			p->last_time = time_ns;
		if (time_ns > p->threads[t].last_time)
			p->threads[t].last_time = time_ns;
	}
	return 0;
}

void
profile_set_thread_name(struct profile *p, int32_t tid, const char *name)
{
	uint32_t t = thread_get(p, tid);

	/* Past max_threads: not a name for "[other threads]". */
	if (t == PROFILE__EMPTY || !name || p->threads[t].tid != tid)
		return;
	strncpy(p->threads[t].name, name, sizeof(p->threads[t].name) - 1);
	p->threads[t].name[sizeof(p->threads[t].name) - 1] = '\0';
}

/* Drops every tree (ids are path hashes, so nothing stable is lost) and
 * keeps one empty root per known thread: the node budget is whole again. */
void
profile_reset(struct profile *p)
{
	uint32_t i;

	p->n_nodes = 0;
	memset(p->ntab, 0xff, (size_t)p->ntab_cap * sizeof(*p->ntab));
	for (i = 0; i < p->n_threads; i++) {
		/* Cannot fail: n_nodes <= n_threads < cap_nodes here. */
		p->threads[i].root = node_append(p, PROFILE_NO_NODE,
		    PROFILE_NO_FRAME, PROFILE_NO_LOC);
		p->threads[i].last_time = 0;
	}
	p->log_len = 0;
	p->log_head = 0;
	p->samples = p->collapsed = p->last_time = 0;
	if (p->n_frames) {
		memset(p->line_self, 0, (size_t)p->n_frames *
		    sizeof(*p->line_self));
		memset(p->line_total, 0, (size_t)p->n_frames *
		    sizeof(*p->line_total));
	}
}

void
profile_get_stats(const struct profile *p, struct profile_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->samples = p->samples;
	out->collapsed = p->collapsed;
	out->nodes = p->n_nodes;
	out->frames = p->n_frames;
	out->threads = p->n_threads;
	out->bytes = sizeof(*p) + p->arena_bytes +
	    (size_t)p->cap_frames * (sizeof(*p->frames) + 5 *
	    sizeof(uint32_t) + 2 * sizeof(uint64_t)) +
	    (size_t)p->lntab_cap * sizeof(uint32_t) +
	    (size_t)p->ftab_cap * sizeof(uint32_t) +
	    (size_t)p->cap_mods * sizeof(*p->mods) +
	    (size_t)p->cap_nodes * sizeof(*p->nodes) +
	    (size_t)p->cap_node_loc * sizeof(*p->node_loc) +
	    (size_t)p->cap_locs * sizeof(*p->locs) +
	    (size_t)p->ltab_cap * sizeof(uint32_t) +
	    (size_t)p->cap_lines * sizeof(*p->lines) +
	    (size_t)p->ntab_cap * sizeof(uint32_t) +
	    (size_t)p->cap_threads * sizeof(*p->threads) +
	    (size_t)p->ttab_cap * sizeof(uint32_t) +
	    (size_t)p->log_cap * sizeof(*p->log);
}
