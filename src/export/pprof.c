/* SPDX-License-Identifier: MIT */
/* pprof export: a view as google/pprof's Profile message (profile.proto,
 * encoded by the protobuf-c code generated from it at build time), gzipped
 * with zlib as the format asks. One Function per (name, file), with its
 * mangled system_name and start line; one Mapping per module (path,
 * executable range, file offset, build id, as the worker recorded them);
 * one Location per distinct pc (its address, its mapping, the frames
 * inlined there innermost first, each with its line at that pc), or, for
 * frames without a pc (loaded files, focus views, Python, markers), one per
 * run of frames (a function with those inlined into it); one Sample per
 * (stack by address, thread) with the thread and the process as labels:
 * the process frame that begins every stack of the tree is no code, so it
 * is a label, not a location (the reader makes it a frame again). */
#include "config.h"

#include "ctop/export.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "ctop/util.h"
#include "internal.h"
#include "pprof_pb.h"

/* Open-addressing table of uint32 indexes (UINT32_MAX = free); the caller
 * compares keys. Power-of-two capacity, at most half full. */
struct itab {
	uint32_t *slot;
	uint32_t cap;
};

/* The labels of the samples of one thread and process frame. */
struct lset {
	uint32_t ti;			/* thread index, UINT32_MAX: none */
	uint32_t proc;			/* process frame, or PROFILE_NO_FRAME */
	size_t n;
	pb_label l[4];
	pb_label *ptr[4];
};

/* What one encoding builds; everything is freed by pp_fini. */
struct pp {
	char **str;			/* string table; owned[i] says whether
					 * str[i] is ours to free */
	uint8_t *owned;
	size_t n_str, cap_str, cap_owned;
	struct itab str_tab;

	pb_function *fn;
	size_t n_fn, cap_fn;
	struct itab fn_tab;
	uint32_t *fn_of_frame;		/* frame id -> function index + 1 */

	pb_mapping *map;
	size_t n_map, cap_map;
	uint32_t *map_of_str;		/* module string -> mapping index + 1 */
	size_t cap_map_of_str;

	/* Locations: each is a run of frame ids (innermost first) in pool. */
	pb_location *loc;
	uint32_t *loc_off, *loc_len;
	size_t n_loc, cap_loc, cap_loc_off, cap_loc_len;
	uint32_t *pool;
	uint32_t *pool_line;		/* each pool entry's line */
	size_t n_pool, cap_pool, cap_pool_line;
	struct itab loc_tab;		/* locations without an address */
	uint32_t *loc_of_addr;		/* view location -> our id (0: not
					 * yet), for those with one */
	uint32_t *stack_locs;		/* scratch: a sample's locations */

	pb_sample *smp;
	size_t n_smp, cap_smp;
	uint64_t *ids;			/* every sample's location ids */
	size_t n_ids, cap_ids;
	size_t *ids_at;			/* where each sample's ids start */
	size_t cap_ids_at;
	int64_t *values;		/* n_values per sample */
	size_t cap_values;
	size_t n_values;

	struct lset **lsets;		/* the samples' label sets */
	size_t n_lsets, cap_lsets;
	struct itab lset_tab;
	uint32_t last_ti;		/* pp_thread_index's last answer */
	int64_t period_ns;		/* 0 when the rate is unknown */
	const struct pview *v;
	const struct export_meta *meta;
};

static uint32_t
hash_bytes(const void *p, size_t n, uint32_t seed)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u ^ seed;	/* FNV-1a */

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static int
itab_init(struct itab *t)
{
	t->cap = 1024;
	t->slot = malloc(t->cap * sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	memset(t->slot, 0xff, t->cap * sizeof(*t->slot));
	return 0;
}

/* Makes room for one more entry of n used; rehash(i) gives entry i's hash. */
static int
itab_reserve(struct itab *t, size_t n, uint32_t (*rehash)(struct pp *,
    uint32_t), struct pp *pp)
{
	uint32_t *old = t->slot, cap = t->cap, i, j;

	if ((n + 1) * 2 <= t->cap)
		return 0;
	if (t->cap > UINT32_MAX / 4)
		return -ENOMEM;
	t->cap *= 2;
	t->slot = malloc((size_t)t->cap * sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		t->cap = cap;
		return -ENOMEM;
	}
	memset(t->slot, 0xff, (size_t)t->cap * sizeof(*t->slot));
	for (i = 0; i < cap; i++) {
		if (old[i] == UINT32_MAX)
			continue;
		for (j = rehash(pp, old[i]) & (t->cap - 1);
		    t->slot[j] != UINT32_MAX; j = (j + 1) & (t->cap - 1))
			;
		t->slot[j] = old[i];
	}
	free(old);
	return 0;
}

/* ------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------ */

static uint32_t
str_hash(struct pp *pp, uint32_t i)
{
	return hash_bytes(pp->str[i], strlen(pp->str[i]), 0);
}

/* The string table index of s (NULL = ""), added when new; owned strings
 * are freed with the table (and at once when already there). Returns -1
 * when out of memory. */
static int64_t
pp_str_take(struct pp *pp, char *s, int owned)
{
	uint32_t h, j, mask;

	if (!s)
		return 0;
	if (itab_reserve(&pp->str_tab, pp->n_str, str_hash, pp))
		goto fail;
	h = hash_bytes(s, strlen(s), 0);
	mask = pp->str_tab.cap - 1;
	for (j = h & mask; pp->str_tab.slot[j] != UINT32_MAX; j = (j + 1) & mask)
		if (strcmp(pp->str[pp->str_tab.slot[j]], s) == 0) {
			if (owned)
				free(s);
			return pp->str_tab.slot[j];
		}
	if (util_grow(&pp->str, &pp->cap_str, pp->n_str + 1, sizeof(*pp->str),
	    256) || util_grow(&pp->owned, &pp->cap_owned, pp->n_str + 1, 1,
	    256))
		goto fail;
	pp->str[pp->n_str] = s;
	pp->owned[pp->n_str] = (uint8_t)owned;
	pp->str_tab.slot[j] = (uint32_t)pp->n_str;
	return (int64_t)pp->n_str++;
fail:
	if (owned)
		free(s);
	return -1;
}

static int64_t
pp_str(struct pp *pp, const char *s)
{
	return pp_str_take(pp, (char *)s, 0);
}

static int64_t
pp_strf(struct pp *pp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int64_t
pp_strf(struct pp *pp, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	return pp_str_take(pp, s, 1);
}

/* ------------------------------------------------------------------------
 * Functions and mappings
 * ------------------------------------------------------------------------ */

static uint32_t
fn_hash(struct pp *pp, uint32_t i)
{
	int64_t k[2] = { pp->fn[i].name, pp->fn[i].filename };

	return hash_bytes(k, sizeof(k), 1);
}

/* The function id of frame fid: one per (name, source file), so a
 * function seen both inlined and on its own is one function. 0 when out
 * of memory. */
static uint64_t
pp_function(struct pp *pp, uint32_t fid)
{
	const struct frame *f = &pp->v->frames[fid];
	pb_function init = PERFTOOLS__PROFILES__FUNCTION__INIT;
	int64_t name, file, sys;
	uint32_t j, mask;

	if (pp->fn_of_frame[fid])
		return pp->fn_of_frame[fid];
	name = pp_str(pp, f->name);
	file = pp_str(pp, f->file);
	sys = pp_str(pp, f->system_name);
	if (name < 0 || file < 0 || sys < 0 ||
	    itab_reserve(&pp->fn_tab, pp->n_fn, fn_hash, pp))
		return 0;
	mask = pp->fn_tab.cap - 1;
	{
		int64_t k[2] = { name, file };

		j = hash_bytes(k, sizeof(k), 1) & mask;
	}
	for (; pp->fn_tab.slot[j] != UINT32_MAX; j = (j + 1) & mask) {
		const pb_function *o = &pp->fn[pp->fn_tab.slot[j]];

		if (o->name == name && o->filename == file)
			return pp->fn_of_frame[fid] = (uint32_t)o->id;
	}
	if (util_grow(&pp->fn, &pp->cap_fn, pp->n_fn + 1, sizeof(*pp->fn), 64))
		return 0;
	init.id = pp->n_fn + 1;
	init.name = name;
	/* The symbol as linked only where it differs from the (demangled)
	 * name: pprof shows system_name with -symbolize=none. */
	init.system_name = sys;
	init.filename = file;
	init.start_line = pp->v->frames[fid].start_line;
	pp->fn[pp->n_fn] = init;
	pp->fn_tab.slot[j] = (uint32_t)pp->n_fn++;
	return pp->fn_of_frame[fid] = (uint32_t)init.id;
}

/* A mapping as the worker saw its module: path, executable range, file
 * offset, build id, and what naming had (has_* say what was symbolized:
 * functions from a symbol table; files, lines and inline frames from
 * DWARF). Returns 0 or -1 (out of memory). */
static int
pp_mapping_module(struct pp *pp, pb_mapping *m,
    const struct profile_module *pm)
{
	int64_t path = pp_str(pp, pm->path), bid = pp_str(pp, pm->build_id);

	if (path < 0 || bid < 0)
		return -1;
	if (pm->path)
		m->filename = path;
	m->build_id = bid;
	m->memory_start = pm->start;
	m->memory_limit = pm->limit;
	m->file_offset = pm->offset;
	m->has_functions = (pm->flags & PROFILE_MOD_FUNCTIONS) != 0;
	m->has_filenames = m->has_line_numbers = m->has_inline_frames =
	    (pm->flags & PROFILE_MOD_LINES) != 0;
	return 0;
}

/* The mapping id of a frame's module (0: none, as for the process name,
 * markers and frames without a module); -1 when out of memory. */
static int64_t
pp_mapping(struct pp *pp, const struct frame *f)
{
	pb_mapping init = PERFTOOLS__PROFILES__MAPPING__INIT;
	const char *module = f->module;
	const struct profile_module *pm;
	int64_t file;

	/* The kind of a frame without a module (as read from a folded
	 * file) is kept by the mapping's name, which the reader knows. */
	if (!module && f->kind == FRAME_KERNEL)
		module = "[kernel.kallsyms]";
	else if (!module && f->kind == FRAME_JIT)
		module = "[jit]";
	if (!module || f->kind == FRAME_PROCESS || f->kind == FRAME_MARKER)
		return 0;
	pm = pview_module(pp->v, module);
	/* Keyed by the module's name, as frames name it; the mapping's
	 * file is its path where the worker told it. */
	if ((file = pp_str(pp, module)) < 0)
		return -1;
	if ((size_t)file >= pp->cap_map_of_str) {
		size_t old = pp->cap_map_of_str;

		if (util_grow(&pp->map_of_str, &pp->cap_map_of_str,
		    (size_t)file + 1, sizeof(*pp->map_of_str), 256))
			return -1;
		memset(pp->map_of_str + old, 0, (pp->cap_map_of_str - old) *
		    sizeof(*pp->map_of_str));
	}
	if (pp->map_of_str[file])
		return pp->map_of_str[file];
	if (util_grow(&pp->map, &pp->cap_map, pp->n_map + 1, sizeof(*pp->map),
	    16))
		return -1;
	init.id = pp->n_map + 1;
	init.filename = file;
	/* Every frame of a module is named (a function, or module+0xOFF). */
	init.has_functions = 1;
	if (pm && pp_mapping_module(pp, &init, pm))
		return -1;
	pp->map[pp->n_map] = init;
	return pp->map_of_str[file] = (uint32_t)++pp->n_map;
}

/* ------------------------------------------------------------------------
 * Locations: a run of frame ids, inlined ones first, the function they
 * were inlined into last (pprof's Location.line order).
 * ------------------------------------------------------------------------ */

static uint32_t
loc_hash(struct pp *pp, uint32_t i)
{
	return hash_bytes(pp->pool + pp->loc_off[i],
	    pp->loc_len[i] * sizeof(*pp->pool), 2);
}

/* Sets the mapping's has_* flags from what the location's frames carry. */
static void
pp_mapping_flags(struct pp *pp, uint64_t map_id, const uint32_t *run,
    uint32_t n)
{
	pb_mapping *m = &pp->map[map_id - 1];
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct frame *f = &pp->v->frames[run[i]];

		m->has_filenames |= f->file != NULL;
		m->has_line_numbers |= f->line != 0;
		m->has_inline_frames |= f->kind == FRAME_INLINE;
	}
}

/* Room for n more entries in the pool and one more location. */
static int
pp_loc_reserve(struct pp *pp, uint32_t n)
{
	if (util_grow(&pp->loc, &pp->cap_loc, pp->n_loc + 1,
	    sizeof(*pp->loc), 256) ||
	    util_grow(&pp->loc_off, &pp->cap_loc_off, pp->n_loc + 1,
	    sizeof(*pp->loc_off), 256) ||
	    util_grow(&pp->loc_len, &pp->cap_loc_len, pp->n_loc + 1,
	    sizeof(*pp->loc_len), 256) ||
	    util_grow(&pp->pool, &pp->cap_pool, pp->n_pool + n,
	    sizeof(*pp->pool), 1024) ||
	    util_grow(&pp->pool_line, &pp->cap_pool_line, pp->n_pool + n,
	    sizeof(*pp->pool_line), 1024) || pp->n_pool + n > UINT32_MAX)
		return -ENOMEM;
	return 0;
}

/* The location id of the view's location vl: its address, the mapping
 * of its function's module, and the line of each of its frames at that
 * address. 0 when out of memory. */
static uint64_t
pp_location_addr(struct pp *pp, uint32_t vl)
{
	pb_location init = PERFTOOLS__PROFILES__LOCATION__INIT;
	const struct profile_loc *l = &pp->v->locs[vl];
	const struct profile_line *ln = pp->v->lines + l->first;
	uint32_t i;
	int64_t map;

	if (pp->loc_of_addr[vl])
		return pp->loc_of_addr[vl];
	for (i = 0; i < l->n; i++)
		if (!pp_function(pp, ln[i].frame))
			return 0;
	if ((map = pp_mapping(pp, &pp->v->frames[ln[l->n - 1].frame])) < 0 ||
	    pp_loc_reserve(pp, l->n))
		return 0;
	for (i = 0; i < l->n; i++) {
		pp->pool[pp->n_pool + i] = ln[i].frame;
		pp->pool_line[pp->n_pool + i] = ln[i].line;
	}
	pp->loc_off[pp->n_loc] = (uint32_t)pp->n_pool;
	pp->loc_len[pp->n_loc] = l->n;
	if (map && !pview_module(pp->v, pp->v->frames[ln[l->n - 1].frame].
	    module))
		pp_mapping_flags(pp, (uint64_t)map, pp->pool + pp->n_pool,
		    l->n);
	pp->n_pool += l->n;
	init.id = pp->n_loc + 1;
	init.mapping_id = (uint64_t)map;
	init.address = l->address;
	pp->loc[pp->n_loc++] = init;
	return pp->loc_of_addr[vl] = (uint32_t)init.id;
}

/* How many frames from i on are the whole location locs[i] (its lines'
 * frames, in order); 0 when frame i has none or a cut stack split it. */
static uint32_t
pp_loc_run(struct pp *pp, const uint32_t *frames, const uint32_t *locs,
    uint32_t i, uint32_t n)
{
	const struct profile_loc *l;
	uint32_t k;

	if (!locs || locs[i] == PROFILE_NO_LOC || locs[i] >= pp->v->n_locs)
		return 0;
	l = &pp->v->locs[locs[i]];
	if (l->n > n - i)
		return 0;
	for (k = 0; k < l->n; k++)
		if (locs[i + k] != locs[i] ||
		    frames[i + k] != pp->v->lines[l->first + k].frame)
			return 0;
	return l->n;
}

/* The location id of run[0..n); 0 when out of memory. */
static uint64_t
pp_location(struct pp *pp, const uint32_t *run, uint32_t n)
{
	pb_location init = PERFTOOLS__PROFILES__LOCATION__INIT;
	uint32_t j, mask, i;
	int64_t map;

	if (itab_reserve(&pp->loc_tab, pp->n_loc, loc_hash, pp))
		return 0;
	mask = pp->loc_tab.cap - 1;
	for (j = hash_bytes(run, n * sizeof(*run), 2) & mask;
	    pp->loc_tab.slot[j] != UINT32_MAX; j = (j + 1) & mask) {
		uint32_t o = pp->loc_tab.slot[j];

		if (pp->loc_len[o] == n && memcmp(pp->pool + pp->loc_off[o],
		    run, n * sizeof(*run)) == 0)
			return pp->loc[o].id;
	}
	for (i = 0; i < n; i++)
		if (!pp_function(pp, run[i]))
			return 0;
	if ((map = pp_mapping(pp, &pp->v->frames[run[n - 1]])) < 0)
		return 0;
	if (pp_loc_reserve(pp, n))
		return 0;
	memcpy(pp->pool + pp->n_pool, run, n * sizeof(*run));
	for (i = 0; i < n; i++)
		pp->pool_line[pp->n_pool + i] = pp->v->frames[run[i]].line;
	pp->loc_off[pp->n_loc] = (uint32_t)pp->n_pool;
	pp->loc_len[pp->n_loc] = n;
	pp->n_pool += n;
	if (map && !pview_module(pp->v, pp->v->frames[run[n - 1]].module))
		pp_mapping_flags(pp, (uint64_t)map, run, n);
	init.id = pp->n_loc + 1;
	init.mapping_id = (uint64_t)map;
	pp->loc[pp->n_loc] = init;
	pp->loc_tab.slot[j] = (uint32_t)pp->n_loc++;
	return init.id;
}

/* ------------------------------------------------------------------------
 * Samples
 * ------------------------------------------------------------------------ */

/* The pid a process frame stands for: "PID comm" (--children, -a: one
 * process frame per process) says it; the target's name alone is the
 * target's, which the run tells. 0 when unknown. */
static int64_t
pp_pid_of(const struct pp *pp, uint32_t proc)
{
	const char *name = proc != PROFILE_NO_FRAME ?
	    pp->v->frames[proc].name : NULL;
	char *end;
	long pid;

	if (name && name[0] >= '1' && name[0] <= '9') {
		pid = strtol(name, &end, 10);
		if (*end == ' ' && pid > 0 && pid <= INT32_MAX)
			return pid;
	}
	if (pp->meta && pp->meta->pid > 0)
		return pp->meta->pid;
	return pp->v->run ? pp->v->run->pid : 0;
}

static uint32_t
lset_hash(uint32_t ti, uint32_t proc)
{
	uint32_t k[2] = { ti, proc };

	return hash_bytes(k, sizeof(k), 3);
}

static uint32_t
lset_rehash(struct pp *pp, uint32_t i)
{
	return lset_hash(pp->lsets[i]->ti, pp->lsets[i]->proc);
}

/* Fills a new label set: the thread (name, thread_id) when known, the
 * process frame as the label "process" (its name, which reading the
 * file turns back into that frame) and the pid. */
static int
lset_fill(struct pp *pp, struct lset *ls)
{
	pb_label init = PERFTOOLS__PROFILES__LABEL__INIT;
	const struct pview_thread *t = ls->ti != UINT32_MAX ?
	    &pp->v->threads[ls->ti] : NULL;
	int64_t pid = pp_pid_of(pp, ls->proc);
	size_t n = 0, i;

	if (t) {
		ls->l[n] = init;
		ls->l[n].key = pp_str(pp, "thread");
		ls->l[n++].str = pp_str(pp, t->name[0] ? t->name : "?");
		ls->l[n] = init;
		ls->l[n].key = pp_str(pp, "thread_id");
		ls->l[n++].num = t->tid;
	}
	if (ls->proc != PROFILE_NO_FRAME) {
		ls->l[n] = init;
		ls->l[n].key = pp_str(pp, "process");
		ls->l[n++].str = pp_str(pp, pp->v->frames[ls->proc].name);
	}
	if (pid) {
		ls->l[n] = init;
		ls->l[n].key = pp_str(pp, "pid");
		ls->l[n++].num = pid;
	}
	for (i = 0; i < n; i++) {
		if (ls->l[i].key < 0 || ls->l[i].str < 0)
			return -ENOMEM;
		ls->ptr[i] = &ls->l[i];
	}
	ls->n = n;
	return 0;
}

/* The labels of a sample of thread index ti (UINT32_MAX: unknown) whose
 * stack began with the process frame proc (PROFILE_NO_FRAME: none); one
 * set per pair, shared by its samples. NULL when out of memory. */
static struct lset *
pp_labels(struct pp *pp, uint32_t ti, uint32_t proc)
{
	uint32_t j, mask;
	struct lset *ls;

	if (itab_reserve(&pp->lset_tab, pp->n_lsets, lset_rehash, pp))
		return NULL;
	mask = pp->lset_tab.cap - 1;
	for (j = lset_hash(ti, proc) & mask; pp->lset_tab.slot[j] !=
	    UINT32_MAX; j = (j + 1) & mask) {
		ls = pp->lsets[pp->lset_tab.slot[j]];
		if (ls->ti == ti && ls->proc == proc)
			return ls;
	}
	if (util_grow(&pp->lsets, &pp->cap_lsets, pp->n_lsets + 1,
	    sizeof(*pp->lsets), 16) || !(ls = calloc(1, sizeof(*ls))))
		return NULL;
	pp->lsets[pp->n_lsets++] = ls;	/* freed with the others */
	ls->ti = ti;
	ls->proc = proc;
	if (lset_fill(pp, ls))
		return NULL;
	pp->lset_tab.slot[j] = (uint32_t)(pp->n_lsets - 1);
	return ls;
}

/* The index in v->threads of tid, or UINT32_MAX (also for tid 0, a
 * thread that is not known, as in a folded file). */
static uint32_t
pp_thread_index(struct pp *pp, int32_t tid)
{
	const struct pview *v = pp->v;
	uint32_t i;

	if (!tid)
		return UINT32_MAX;
	/* Most profiles have few threads, and a stack's leaves come in a
	 * run (sorted by node): the last answer is usually right. */
	if (pp->last_ti < v->n_threads && v->threads[pp->last_ti].tid == tid)
		return pp->last_ti;
	for (i = 0; i < v->n_threads; i++)
		if (v->threads[i].tid == tid)
			return pp->last_ti = i;
	return UINT32_MAX;
}

/* A sample's frames (and, given its pcnode, their locations) innermost
 * first into frames[] (and pp->stack_locs); returns how many. */
static uint32_t
pp_stack(struct pp *pp, uint32_t node, uint32_t pcnode, uint32_t *frames)
{
	const struct pview *v = pp->v;
	uint32_t n = 0, at;

	if (pcnode && pcnode < v->n_pcnodes) {
		for (at = pcnode; at && v->pcnodes[at].frame !=
		    PROFILE_NO_FRAME; at = v->pcnodes[at].parent) {
			pp->stack_locs[n] = v->pcnodes[at].loc;
			frames[n++] = v->pcnodes[at].frame;
		}
		return n;
	}
	for (; node != PROFILE_NO_NODE && v->nodes[node].parent !=
	    PROFILE_NO_NODE; node = v->nodes[node].parent)
		frames[n++] = v->nodes[node].frame;
	return n;
}

/* One sample: count samples of thread tid whose stack ends at node (by
 * address: at pcnode, 0 when unknown). frames[] is scratch of depth + 1
 * entries. */
static int
pp_sample(struct pp *pp, uint32_t node, uint32_t pcnode, int32_t tid,
    uint64_t count, uint32_t *frames)
{
	pb_sample init = PERFTOOLS__PROFILES__SAMPLE__INIT;
	const struct pview *v = pp->v;
	const uint32_t *locs = pcnode ? pp->stack_locs : NULL;
	uint32_t n, start = 0, i, ti, run, proc = PROFILE_NO_FRAME;
	struct lset *ls;
	uint64_t id;

	/* pprof's values are int64: a folded count past that cannot go. */
	if (count > INT64_MAX)
		return -ERANGE;
	n = pp_stack(pp, node, pcnode, frames);
	/* The process frame, first of every stack in the tree, is no code
	 * of the program: pprof would show it as a function at 100%. It
	 * goes to the labels. */
	if (n && v->frames[frames[n - 1]].kind == FRAME_PROCESS)
		proc = frames[--n];
	if (util_grow(&pp->smp, &pp->cap_smp, pp->n_smp + 1,
	    sizeof(*pp->smp), 256) ||
	    util_grow(&pp->ids_at, &pp->cap_ids_at, pp->n_smp + 2,
	    sizeof(*pp->ids_at), 256) ||
	    util_grow(&pp->ids, &pp->cap_ids, pp->n_ids + n + 1,
	    sizeof(*pp->ids), 1024) ||
	    util_grow(&pp->values, &pp->cap_values, (pp->n_smp + 1) *
	    pp->n_values, sizeof(*pp->values), 256))
		return -ENOMEM;
	pp->ids_at[pp->n_smp] = pp->n_ids;
	/* Innermost first: a frame with an address is its location's,
	 * with the frames inlined there. Else a location ends at the first
	 * frame that is not inlined (the function the ones before it were
	 * inlined into); the process frame and markers stay locations of
	 * their own. */
	for (i = 0; i < n; i++) {
		if (start == i && (run = pp_loc_run(pp, frames, locs, i, n))) {
			if (!(id = pp_location_addr(pp, locs[i])))
				return -ENOMEM;
			pp->ids[pp->n_ids++] = id;
			i += run - 1;
			start = i + 1;
			continue;
		}
		if (v->frames[frames[i]].kind == FRAME_INLINE && i + 1 < n &&
		    v->frames[frames[i + 1]].kind != FRAME_PROCESS &&
		    v->frames[frames[i + 1]].kind != FRAME_MARKER)
			continue;
		if (!(id = pp_location(pp, frames + start, i + 1 - start)))
			return -ENOMEM;
		pp->ids[pp->n_ids++] = id;
		start = i + 1;
	}
	pp->values[pp->n_smp * pp->n_values] = (int64_t)count;
	if (pp->n_values > 1)	/* saturated rather than wrapped */
		pp->values[pp->n_smp * pp->n_values + 1] = count >
		    (uint64_t)(INT64_MAX / pp->period_ns) ? INT64_MAX :
		    (int64_t)count * pp->period_ns;
	ti = pp_thread_index(pp, tid);
	if (ti != UINT32_MAX || proc != PROFILE_NO_FRAME) {
		if (!(ls = pp_labels(pp, ti, proc)))
			return -ENOMEM;
		init.label = ls->ptr;
		init.n_label = ls->n;
	}
	pp->smp[pp->n_smp++] = init;
	return 0;
}

/* Every sample of the view through node (0 = all): the leaves, or, in a
 * view without them, each node's self count with no thread. */
static int
pp_samples(struct pp *pp, uint32_t node)
{
	const struct pview *v = pp->v;
	uint32_t end = node + 1, i, *frames, max = 0;
	int err = 0;

	while (end < v->n_nodes && v->nodes[end].depth > v->nodes[node].depth)
		end++;
	if (node == 0)
		end = v->n_nodes;
	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].depth > max)
			max = v->nodes[i].depth;
	/* A stack by address is as deep as by frame: merging keeps depth. */
	frames = malloc(((size_t)max + 1) * sizeof(*frames));
	pp->stack_locs = malloc(((size_t)max + 1) * sizeof(*pp->stack_locs));
	if (!frames || !pp->stack_locs) {
		free(frames);
		return -ENOMEM;
	}
	if (v->leaves) {
		for (i = 0; i < v->n_leaves && !err; i++)
			if (v->leaves[i].node >= node &&
			    v->leaves[i].node < end && v->leaves[i].node)
				err = pp_sample(pp, v->leaves[i].node,
				    v->pcnodes ? v->leaves[i].pcnode : 0,
				    v->leaves[i].tid, v->leaves[i].count,
				    frames);
	} else {
		for (i = node ? node : 1; i < end && !err; i++)
			if (v->nodes[i].self)
				err = pp_sample(pp, i, 0, 0, v->nodes[i].self,
				    frames);
	}
	free(frames);
	return err;
}

/* ------------------------------------------------------------------------
 * The profile
 * ------------------------------------------------------------------------ */

static int
pp_init(struct pp *pp, const struct pview *v, const struct export_meta *meta)
{
	memset(pp, 0, sizeof(*pp));
	pp->v = v;
	pp->meta = meta;
	if (v->run && v->run->time_type)
		pp->period_ns = v->run->period;
	else if (!v->run && meta && meta->hz)
		pp->period_ns = 1000000000 / meta->hz;
	pp->n_values = pp->period_ns ? 2 : 1;
	pp->fn_of_frame = calloc(v->n_frames ? v->n_frames : 1,
	    sizeof(*pp->fn_of_frame));
	pp->loc_of_addr = calloc(v->n_locs ? v->n_locs : 1,
	    sizeof(*pp->loc_of_addr));
	if (!pp->fn_of_frame || !pp->loc_of_addr || itab_init(&pp->str_tab) ||
	    itab_init(&pp->fn_tab) || itab_init(&pp->loc_tab) ||
	    itab_init(&pp->lset_tab))
		return -ENOMEM;
	/* string_table[0] must be "". */
	return pp_str(pp, "") == 0 ? 0 : -ENOMEM;
}

static void
pp_fini(struct pp *pp)
{
	size_t i;

	for (i = 0; i < pp->n_str; i++)
		if (pp->owned[i])
			free(pp->str[i]);
	free(pp->str);
	free(pp->owned);
	free(pp->str_tab.slot);
	free(pp->fn);
	free(pp->fn_tab.slot);
	free(pp->fn_of_frame);
	free(pp->map);
	free(pp->map_of_str);
	free(pp->loc);
	free(pp->loc_off);
	free(pp->loc_len);
	free(pp->pool);
	free(pp->pool_line);
	free(pp->loc_of_addr);
	free(pp->stack_locs);
	free(pp->loc_tab.slot);
	free(pp->smp);
	free(pp->ids);
	free(pp->ids_at);
	free(pp->values);
	for (i = 0; i < pp->n_lsets; i++)
		free(pp->lsets[i]);
	free(pp->lsets);
	free(pp->lset_tab.slot);
}

/* A loaded file's comments as they were; ours first when it had none. */
static int
pp_run_comments(struct pp *pp, int64_t **out, size_t *n)
{
	const struct profile_run *r = pp->v->run;
	size_t k = 0, i;

	if (!(*out = malloc((r->n_comments + 1) * sizeof(**out))))
		return -ENOMEM;
	if (!r->n_comments)
		(*out)[k++] = pp_str(pp, PACKAGE_STRING);
	for (i = 0; i < r->n_comments; i++)
		(*out)[k++] = pp_str(pp, r->comments[i]);
	for (i = 0; i < k; i++)
		if ((*out)[i] < 0)
			return -ENOMEM;
	*n = k;
	return 0;
}

/* The comments: what the view does not say about the run (*out is the
 * caller's to free). */
static int
pp_comments(struct pp *pp, int64_t **out, size_t *n)
{
	const struct export_meta *m = pp->meta;
	int64_t c[9];
	size_t k = 0, i;

	if (pp->v->run)
		return pp_run_comments(pp, out, n);
	if (!(*out = malloc(sizeof(c))))
		return -ENOMEM;
	c[k++] = pp_str(pp, PACKAGE_STRING);
	if (m && m->command)
		c[k++] = pp_strf(pp, "command: %s", m->command);
	if (m && m->pid > 0)
		c[k++] = pp_strf(pp, "pid: %ld", (long)m->pid);
	if (m && m->backend)
		c[k++] = pp_strf(pp, "backend: %s", m->backend);
	if (m && m->mode)
		c[k++] = pp_strf(pp, "mode: %s", m->mode);
	if (m && m->unwind)
		c[k++] = pp_strf(pp, "unwind: %s", m->unwind);
	if (m && m->hz)
		c[k++] = pp_strf(pp, "rate: %u Hz per thread", m->hz);
	if (m && m->backend) {	/* a sampling run: its losses */
		c[k++] = pp_strf(pp, "lost: %llu", (unsigned long long)m->lost);
		c[k++] = pp_strf(pp, "truncated: %llu",
		    (unsigned long long)m->truncated);
	}
	for (i = 0; i < k; i++)
		if (((*out)[i] = c[i]) < 0)
			return -ENOMEM;
	*n = k;
	return 0;
}

/* A loaded file's sample types, period and times, as it had them: its
 * count (and the time each stands for, when it had that), its period. */
static int
pp_run_header(struct pp *pp, pb_profile *prof, pb_vtype *vt)
{
	const struct profile_run *r = pp->v->run;
	pb_vtype init = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;

	vt[0] = vt[1] = vt[2] = init;
	vt[0].type = pp_str(pp, r->count_type ? r->count_type : "samples");
	vt[0].unit = pp_str(pp, r->count_unit ? r->count_unit : "count");
	vt[1].type = pp_str(pp, r->time_type);
	vt[1].unit = pp_str(pp, "nanoseconds");
	vt[2].type = pp_str(pp, r->period_type);
	vt[2].unit = pp_str(pp, r->period_unit);
	if (vt[0].type < 0 || vt[0].unit < 0 || vt[1].type < 0 ||
	    vt[1].unit < 0 || vt[2].type < 0 || vt[2].unit < 0)
		return -ENOMEM;
	if (r->period_type || r->period_unit)
		prof->period_type = &vt[2];
	prof->period = r->period;
	if (r->time_type)
		prof->default_sample_type = vt[1].type;
	prof->time_nanos = r->time_nanos;
	prof->duration_nanos = r->duration_nanos;
	return 0;
}

/* Sample types, period and times. vt[0..2] are filled, vt[2] being the
 * period type. */
static int
pp_header(struct pp *pp, pb_profile *prof, pb_vtype *vt)
{
	const struct export_meta *m = pp->meta;
	const char *kind = m && m->mode && strcmp(m->mode, "wall") == 0 ?
	    "wall" : "cpu";
	pb_vtype init = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;

	if (pp->v->run)
		return pp_run_header(pp, prof, vt);
	vt[0] = vt[1] = vt[2] = init;
	vt[0].type = pp_str(pp, "samples");
	vt[0].unit = pp_str(pp, "count");
	vt[1].type = vt[2].type = pp_str(pp, kind);
	vt[1].unit = vt[2].unit = pp_str(pp, "nanoseconds");
	if (vt[0].type < 0 || vt[0].unit < 0 || vt[1].type < 0 ||
	    vt[1].unit < 0)
		return -ENOMEM;
	if (pp->period_ns) {
		prof->period_type = &vt[2];
		prof->period = pp->period_ns;
		prof->default_sample_type = vt[1].type;
	} else {
		/* Without a rate there is no time: counts only. */
		vt[2] = vt[0];
		prof->period_type = &vt[2];
		prof->period = 1;
	}
	if (m && m->elapsed_s > 0) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		prof->duration_nanos = (int64_t)(m->elapsed_s * 1e9);
		prof->time_nanos = (int64_t)now.tv_sec * 1000000000 +
		    now.tv_nsec - prof->duration_nanos;
	}
	return 0;
}

/* Points every message at its parts; the arrays no longer move. */
static int
pp_link(struct pp *pp, pb_profile *prof, pb_line **lines_out)
{
	pb_line init = PERFTOOLS__PROFILES__LINE__INIT, *lines;
	void **ptrs;
	size_t i, k, np;

	np = pp->n_smp + pp->n_map + pp->n_loc + pp->n_fn + pp->n_pool;
	lines = malloc((pp->n_pool ? pp->n_pool : 1) * sizeof(*lines));
	ptrs = malloc((np ? np : 1) * sizeof(*ptrs));
	if (!lines || !ptrs) {
		free(lines);
		free(ptrs);
		return -ENOMEM;
	}
	*lines_out = lines;
	pp->ids_at[pp->n_smp] = pp->n_ids;
	prof->sample = (pb_sample **)ptrs;
	for (i = 0; i < pp->n_smp; i++) {
		pp->smp[i].location_id = pp->ids + pp->ids_at[i];
		pp->smp[i].n_location_id = pp->ids_at[i + 1] - pp->ids_at[i];
		pp->smp[i].value = pp->values + i * pp->n_values;
		pp->smp[i].n_value = pp->n_values;
		prof->sample[i] = &pp->smp[i];
	}
	prof->n_sample = pp->n_smp;
	prof->mapping = (pb_mapping **)(ptrs + pp->n_smp);
	for (i = 0; i < pp->n_map; i++)
		prof->mapping[i] = &pp->map[i];
	prof->n_mapping = pp->n_map;
	prof->function = (pb_function **)(ptrs + pp->n_smp + pp->n_map);
	for (i = 0; i < pp->n_fn; i++)
		prof->function[i] = &pp->fn[i];
	prof->n_function = pp->n_fn;
	prof->location = (pb_location **)(ptrs + pp->n_smp + pp->n_map +
	    pp->n_fn);
	ptrs += pp->n_smp + pp->n_map + pp->n_fn + pp->n_loc;
	for (i = 0; i < pp->n_loc; i++) {
		pb_location *l = &pp->loc[i];
		const uint32_t *run = pp->pool + pp->loc_off[i];

		l->line = (pb_line **)ptrs + pp->loc_off[i];
		l->n_line = pp->loc_len[i];
		for (k = 0; k < l->n_line; k++) {
			pb_line *ln = &lines[pp->loc_off[i] + k];

			*ln = init;
			ln->function_id = pp->fn_of_frame[run[k]];
			ln->line = pp->pool_line[pp->loc_off[i] + k];
			l->line[k] = ln;
		}
		prof->location[i] = l;
	}
	prof->n_location = pp->n_loc;
	prof->string_table = pp->str;
	prof->n_string_table = pp->n_str;
	return 0;
}

/* The serialized (not yet gzipped) profile in *raw (caller frees). */
static int
pp_encode_raw(const struct pview *v, uint32_t node,
    const struct export_meta *meta, uint8_t **raw, size_t *len)
{
	pb_profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_vtype vt[3], *types[2] = { &vt[0], &vt[1] };
	pb_line *lines = NULL;
	int64_t *comments = NULL;
	struct pp pp;
	int err;

	if (node >= v->n_nodes)
		return -EINVAL;
	if ((err = pp_init(&pp, v, meta)) ||
	    (err = pp_header(&pp, &prof, vt)) ||
	    (err = pp_comments(&pp, &comments, &prof.n_comment)) ||
	    (err = pp_samples(&pp, node)) ||
	    util_grow(&pp.ids_at, &pp.cap_ids_at, pp.n_smp + 1,
	    sizeof(*pp.ids_at), 256) ||
	    (err = pp_link(&pp, &prof, &lines)))
		goto out;
	prof.sample_type = types;
	prof.n_sample_type = pp.n_values;
	prof.comment = comments;
	*len = perftools__profiles__profile__get_packed_size(&prof);
	*raw = malloc(*len ? *len : 1);
	if (!*raw)
		err = -ENOMEM;
	else
		perftools__profiles__profile__pack(&prof, *raw);
out:
	if (prof.sample)
		free(prof.sample);
	free(lines);
	free(comments);
	pp_fini(&pp);
	return err ? (err < 0 ? err : -ENOMEM) : 0;
}

/* gzip (RFC 1952) of in, as pprof files are stored. */
static int
gzip_bytes(const uint8_t *in, size_t n, unsigned char **out, size_t *len)
{
	z_stream zs;
	uLong bound;

	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip header and trailer, not zlib's. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, (uLong)n) + 32;
	*out = malloc(bound);
	if (!*out || n > UINT32_MAX) {
		deflateEnd(&zs);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = *out;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(*out);
		*out = NULL;
		return -EIO;
	}
	*len = zs.total_out;
	deflateEnd(&zs);
	return 0;
}

int
export_pprof_encode(const struct pview *v, uint32_t node,
    const struct export_meta *meta, unsigned char **buf, size_t *len)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	int err;

	*buf = NULL;
	*len = 0;
	if ((err = pp_encode_raw(v, node, meta, &raw, &n)))
		return err;
	err = gzip_bytes(raw, n, buf, len);
	free(raw);
	return err;
}

int
pprof_write(FILE *out, const struct pview *v, uint32_t node,
    const struct export_meta *meta)
{
	unsigned char *buf;
	size_t len;
	int err;

	if ((err = export_pprof_encode(v, node, meta, &buf, &len)))
		return err;
	if (len && fwrite(buf, 1, len, out) != len)
		err = -EIO;
	free(buf);
	return err;
}
