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
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_vtype;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

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

/* ------------------------------------------------------------------------
 * Reader: a perftools.profiles.Profile (ours, Go's runtime/pprof, ...)
 * into a profile. Every index and id is checked before it is used: the
 * file comes from outside.
 * ------------------------------------------------------------------------ */

struct pr {
	const pb_profile *pb;
	const char *path;
	struct profile *p;
	uint32_t *loc_frames;		/* per location: where its run of
					 * frames starts in frames[] */
	uint32_t *frames;		/* frame ids, innermost first */
	uint32_t proc_frame;		/* the process frame to prepend */
	uint32_t *proc_of_loc;		/* location -> its frame as the
					 * process frame + 1 (0: not yet) */
	uint8_t *bare;			/* location: no mapping, one line, a
					 * function without file or line */
	uint32_t *loc_ids;		/* location -> ours (PROFILE_NO_LOC:
					 * no address) */
	size_t vi;			/* the value used as the count */
	size_t ti;			/* the value that is count * period
					 * (run.time_type), if any */
	struct profile_run run;		/* what the file says of its run */
	int64_t pid;			/* its samples' pid label: 0 none yet,
					 * -1 several */
};

static int
pr_fail(const struct pr *r, char **cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
pr_fail(const struct pr *r, char **cause, const char *fmt, ...)
{
	va_list ap;
	char *what = NULL;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (cause && asprintf(cause, "%s: pprof: %s", r->path, what ? what :
	    "malformed") < 0)
		*cause = NULL;
	free(what);
	return -EINVAL;
}

/* A string of the table, or NULL when the index is out of range. */
static const char *
pr_str(const struct pr *r, int64_t i)
{
	if (i < 0 || (uint64_t)i >= r->pb->n_string_table)
		return NULL;
	return r->pb->string_table[i];
}

struct id_at {
	uint64_t id;
	uint32_t at;
};

static int
id_cmp(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The index of id in the sorted table, or UINT32_MAX. */
static uint32_t
id_find(const struct id_at *t, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && t[lo].id == id ? t[lo].at : UINT32_MAX;
}

static struct id_at *
id_table(size_t n, uint64_t (*id_of)(const pb_profile *, size_t),
    const pb_profile *pb)
{
	struct id_at *t = malloc((n ? n : 1) * sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = (struct id_at){ id_of(pb, i), (uint32_t)i };
	qsort(t, n, sizeof(*t), id_cmp);
	return t;
}

static uint64_t
loc_id_of(const pb_profile *pb, size_t i)
{
	return pb->location[i]->id;
}

static uint64_t
fn_id_of(const pb_profile *pb, size_t i)
{
	return pb->function[i]->id;
}

static uint64_t
map_id_of(const pb_profile *pb, size_t i)
{
	return pb->mapping[i]->id;
}

/* The value index to count: "samples" when there is one (ours, Go's CPU
 * profiles), else the default type, else the last. */
static size_t
pr_value_index(const struct pr *r)
{
	const pb_profile *pb = r->pb;
	size_t i;

	for (i = 0; i < pb->n_sample_type; i++) {
		const char *t = pr_str(r, pb->sample_type[i]->type);

		if (t && strcmp(t, "samples") == 0)
			return i;
	}
	for (i = 0; i < pb->n_sample_type; i++)
		if (pb->default_sample_type &&
		    pb->sample_type[i]->type == pb->default_sample_type)
			return i;
	return pb->n_sample_type ? pb->n_sample_type - 1 : 0;
}

/* The basename of a path, for the process frame. */
static const char *
base_name(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	return slash ? slash + 1 : s;
}

/* Location i as ours, where it has an address: its frames (innermost
 * first) with the line each has there, so that a function sampled at
 * several lines keeps them apart (its frame has only the first). */
static int
pr_loc_address(struct pr *r, size_t i)
{
	const pb_location *l = r->pb->location[i];
	uint32_t first = r->loc_frames[i], n = r->loc_frames[i + 1] - first;
	struct profile_line *lines;
	uint32_t k;

	r->loc_ids[i] = PROFILE_NO_LOC;
	if (!l->address || !n)
		return 0;
	if (!(lines = malloc(n * sizeof(*lines))))
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		int64_t ln = k < l->n_line ? l->line[k]->line : 0;

		lines[k].frame = r->frames[first + k];
		lines[k].line = ln > 0 && ln <= INT32_MAX ? (uint32_t)ln : 0;
	}
	r->loc_ids[i] = profile_intern_loc(r->p, l->address, lines, n);
	free(lines);
	return r->loc_ids[i] == PROFILE_NO_LOC ? -ENOMEM : 0;
}

/* Every named mapping as a module of the profile, keyed by its file as
 * the frames' module is: its range, offset and build id stay. */
static int
pr_modules(struct pr *r)
{
	const pb_profile *pb = r->pb;
	size_t i;

	for (i = 0; i < pb->n_mapping; i++) {
		const pb_mapping *m = pb->mapping[i];
		const char *file = pr_str(r, m->filename);
		const char *bid = pr_str(r, m->build_id);
		struct profile_module pm = { file, file, m->memory_start,
		    m->memory_limit, m->file_offset, bid && *bid ? bid : NULL,
		    0 };

		if (!file || !*file)
			continue;
		if (m->has_functions)
			pm.flags |= PROFILE_MOD_FUNCTIONS;
		if (m->has_filenames || m->has_line_numbers)
			pm.flags |= PROFILE_MOD_LINES;
		if (profile_set_module(r->p, &pm))
			return -ENOMEM;
	}
	return 0;
}

/* Interns the frames of every location (innermost first, as its lines),
 * and remembers where each location's run starts in r->frames. */
static int
pr_locations(struct pr *r, struct id_at *fns, struct id_at *maps,
    char **cause)
{
	const pb_profile *pb = r->pb;
	size_t i, k, nf = 0;
	int err;

	for (i = 0; i < pb->n_location; i++)
		nf += pb->location[i]->n_line ? pb->location[i]->n_line : 1;
	r->frames = malloc((nf ? nf : 1) * sizeof(*r->frames));
	r->loc_frames = malloc((pb->n_location + 1) * sizeof(*r->loc_frames));
	if (!r->frames || !r->loc_frames)
		return -ENOMEM;
	nf = 0;
	for (i = 0; i < pb->n_location; i++) {
		const pb_location *l = pb->location[i];
		const char *module = NULL;
		uint32_t m = l->mapping_id ? id_find(maps, pb->n_mapping,
		    l->mapping_id) : UINT32_MAX;
		char addr[32];

		if (l->mapping_id && m == UINT32_MAX)
			return pr_fail(r, cause, "location %llu: no mapping %llu",
			    (unsigned long long)l->id,
			    (unsigned long long)l->mapping_id);
		/* The mapping's file as the module: a path in ours (where
		 * the worker knew it) and Go's, so two files of one name
		 * stay apart. */
		if (m != UINT32_MAX)
			module = pr_str(r, pb->mapping[m]->filename);
		r->loc_frames[i] = (uint32_t)nf;
		if (!l->n_line) {
			/* No symbol: named by its address, as folded does. */
			struct frame f = { addr, module && *module ? module :
			    NULL, NULL, 0, FRAME_FUNC, 0, NULL };

			snprintf(addr, sizeof(addr), "0x%llx",
			    (unsigned long long)l->address);
			if ((r->frames[nf++] = profile_intern(r->p, &f)) ==
			    PROFILE_NO_FRAME)
				return -ENOMEM;
			continue;
		}
		for (k = 0; k < l->n_line; k++) {
			uint32_t fi = id_find(fns, pb->n_function,
			    l->line[k]->function_id);
			const pb_function *fn;
			struct frame f = { NULL, module && *module ? module :
			    NULL, NULL, 0, FRAME_FUNC, 0, NULL };

			if (fi == UINT32_MAX)
				return pr_fail(r, cause, "location %llu: no "
				    "function %llu", (unsigned long long)l->id,
				    (unsigned long long)l->line[k]->function_id);
			fn = pb->function[fi];
			f.name = pr_str(r, fn->name);
			f.file = pr_str(r, fn->filename);
			f.system_name = pr_str(r, fn->system_name);
			if (!f.name || !f.file || !f.system_name)
				return pr_fail(r, cause, "function %llu: string "
				    "index out of range",
				    (unsigned long long)fn->id);
			if (!*f.file)
				f.file = NULL;
			if (!*f.system_name || strcmp(f.system_name,
			    f.name) == 0)
				f.system_name = NULL;
			f.start_line = fn->start_line > 0 &&
			    fn->start_line <= INT32_MAX ?
			    (uint32_t)fn->start_line : 0;
			if (!*f.name)
				f.name = "[unknown]";
			f.line = l->line[k]->line > 0 && l->line[k]->line <=
			    INT32_MAX ? (uint32_t)l->line[k]->line : 0;
			/* Lines before the last were inlined into it. */
			if (k + 1 < l->n_line)
				f.kind = FRAME_INLINE;
			else if (module && strncmp(module, "[kernel", 7) == 0)
				f.kind = FRAME_KERNEL;
			else if (module && (strcmp(module, "[jit]") == 0 ||
			    (strstr(module, "/perf-") &&
			    strstr(module, ".map"))))
				f.kind = FRAME_JIT;
			else if (!module && f.name[0] == '[' &&
			    f.name[strlen(f.name) - 1] == ']')
				f.kind = FRAME_MARKER;
			if ((r->frames[nf++] = profile_intern(r->p, &f)) ==
			    PROFILE_NO_FRAME)
				return -ENOMEM;
			r->bare[i] = !l->mapping_id && l->n_line == 1 &&
			    !f.file && !f.line;
		}
	}
	r->loc_frames[pb->n_location] = (uint32_t)nf;
	for (i = 0; i < pb->n_location; i++)
		if ((err = pr_loc_address(r, i)))
			return err;
	return 0;
}

/* The process frame of a sample whose outermost location l is one: no
 * mapping, one line, no file or line (how ctop-prof writes its root).
 * Returns its frame id, PROFILE_NO_FRAME when l is not one (or ENOMEM). */
static uint32_t
pr_process(struct pr *r, uint32_t l)
{
	const struct frame *f = profile_frame(r->p, r->frames[r->loc_frames[l]]);
	struct frame pf;

	if (r->proc_of_loc[l])
		return r->proc_of_loc[l] - 1;
	/* Asked of the file, not of the interned frame, which may be a
	 * function of the same name seen elsewhere with a file. */
	if (!r->bare[l])
		return PROFILE_NO_FRAME;
	pf = (struct frame){ f->name, NULL, NULL, 0, FRAME_PROCESS, 0, NULL };
	r->proc_of_loc[l] = profile_intern(r->p, &pf) + 1;
	return r->proc_of_loc[l] - 1;
}

/* The sample's thread, from the labels thread_id and thread, and in
 * *proc its process frame as our files keep it (the label "process"),
 * else PROFILE_NO_FRAME (or ENOMEM). */
static int32_t
pr_thread(struct pr *r, const pb_sample *s, uint32_t *proc)
{
	const char *name = NULL, *pname = NULL;
	int32_t tid = 0;
	size_t i;

	for (i = 0; i < s->n_label; i++) {
		const char *key = pr_str(r, s->label[i]->key);

		if (!key)
			continue;
		if (strcmp(key, "thread_id") == 0 && s->label[i]->num > 0 &&
		    s->label[i]->num <= INT32_MAX)
			tid = (int32_t)s->label[i]->num;
		else if (strcmp(key, "thread") == 0)
			name = pr_str(r, s->label[i]->str);
		else if (strcmp(key, "process") == 0)
			pname = pr_str(r, s->label[i]->str);
		else if (strcmp(key, "pid") == 0 && r->pid != -1)
			r->pid = !r->pid || r->pid == s->label[i]->num ?
			    s->label[i]->num : -1;
	}
	if (tid && name && *name)
		profile_set_thread_name(r->p, tid, name);
	*proc = PROFILE_NO_FRAME;
	if (pname && *pname) {
		struct frame pf = { pname, NULL, NULL, 0, FRAME_PROCESS, 0,
		    NULL };

		*proc = profile_intern(r->p, &pf);
	}
	return tid;
}

/* The second value is kept as count * period only while every sample
 * says so (Go's CPU profiles, ours): else writing it so would lie. */
static void
pr_check_time(struct pr *r, const pb_sample *s, int64_t count)
{
	int64_t want;

	if (r->run.time_type && (__builtin_mul_overflow(count,
	    r->run.period, &want) || s->value[r->ti] != want))
		r->run.time_type = NULL;
}

/* What the file says of its run: the counted value's type, a second
 * value in nanoseconds that is count * period (checked by the samples),
 * the period, times and comments. */
static int
pr_run(struct pr *r)
{
	const pb_profile *pb = r->pb;
	const pb_vtype *pt = pb->period_type;
	size_t i;

	if (r->vi < pb->n_sample_type) {
		r->run.count_type = pr_str(r, pb->sample_type[r->vi]->type);
		r->run.count_unit = pr_str(r, pb->sample_type[r->vi]->unit);
	}
	r->run.period = pb->period;
	if (pt) {
		r->run.period_type = pr_str(r, pt->type);
		r->run.period_unit = pr_str(r, pt->unit);
	}
	r->ti = r->vi ? 0 : 1;
	if (pb->n_sample_type == 2 && pb->period > 0 && r->run.period_unit &&
	    strcmp(r->run.period_unit, "nanoseconds") == 0 &&
	    pb->sample_type[r->ti]->type == pt->type &&
	    pb->sample_type[r->ti]->unit == pt->unit)
		r->run.time_type = r->run.period_type;
	r->run.time_nanos = pb->time_nanos;
	r->run.duration_nanos = pb->duration_nanos;
	if (pb->n_comment && !(r->run.comments = calloc(pb->n_comment,
	    sizeof(*r->run.comments))))
		return -ENOMEM;
	for (i = 0; i < pb->n_comment; i++) {
		const char *c = pr_str(r, pb->comment[i]);

		if (c)
			((const char **)r->run.comments)[r->run.n_comments++] = c;
	}
	return 0;
}

static int
pr_samples(struct pr *r, struct id_at *locs, char **cause)
{
	const pb_profile *pb = r->pb;
	uint32_t *stack = NULL, *lids = NULL;
	size_t cap = 0, i, k, n;
	int32_t tid;
	int err = 0;

	for (i = 0; i < pb->n_sample && !err; i++) {
		const pb_sample *s = pb->sample[i];
		int64_t count = r->vi < s->n_value ? s->value[r->vi] : 0;

		if (s->n_value != pb->n_sample_type) {
			err = pr_fail(r, cause, "sample %zu: %zu values for "
			    "%zu sample types", i, s->n_value,
			    pb->n_sample_type);
			break;
		}
		if (count <= 0)
			continue;
		pr_check_time(r, s, count);
		n = 1;
		for (k = 0; k < s->n_location_id && !err; k++) {
			uint32_t l = id_find(locs, pb->n_location,
			    s->location_id[k]);

			if (l == UINT32_MAX)
				err = pr_fail(r, cause, "sample %zu: no "
				    "location %llu", i, (unsigned long long)
				    s->location_id[k]);
			else
				n += r->loc_frames[l + 1] - r->loc_frames[l];
		}
		if (err)
			break;
		if (n > cap) {
			free(stack);
			cap = n * 2;
			if (!(stack = malloc(2 * cap * sizeof(*stack)))) {
				err = -ENOMEM;
				break;
			}
			lids = stack + cap;
		}
		/* Root first: the last location's last line first. Our own
		 * files name the process frame in a label (older ones as the
		 * outermost location); others get one. */
		k = s->n_location_id;
		tid = pr_thread(r, s, &stack[0]);
		if (stack[0] == PROFILE_NO_FRAME && k && (stack[0] =
		    pr_process(r, id_find(locs, pb->n_location,
		    s->location_id[k - 1]))) != PROFILE_NO_FRAME)
			k--;
		if (stack[0] == PROFILE_NO_FRAME)
			stack[0] = r->proc_frame;
		lids[0] = PROFILE_NO_LOC;
		n = 1;
		while (k-- > 0) {
			uint32_t l = id_find(locs, pb->n_location,
			    s->location_id[k]), j;

			for (j = r->loc_frames[l + 1]; j-- > r->loc_frames[l];) {
				lids[n] = r->loc_ids[l];
				stack[n++] = r->frames[j];
			}
		}
		err = profile_add_locs(r->p, tid, 0, stack, lids, n,
		    (uint64_t)count);
	}
	free(stack);
	return err;
}

int
export__pprof_read(struct profile *p, const uint8_t *buf, size_t len,
    const char *path, char **cause)
{
	struct pr r = { .path = path, .p = p };
	struct id_at *locs = NULL, *fns = NULL, *maps = NULL;
	pb_profile *pb;
	struct frame proc = { "pprof", NULL, NULL, 0, FRAME_PROCESS, 0, NULL };
	int err;

	pb = perftools__profiles__profile__unpack(NULL, len, buf);
	if (!pb)
		return pr_fail(&r, cause, "the protobuf message of %zu bytes "
		    "does not parse (truncated or not a profile)", len);
	r.pb = pb;
	if (!pb->n_string_table || pb->string_table[0][0]) {
		err = pr_fail(&r, cause, "string_table[0] is not \"\"");
		goto out;
	}
	locs = id_table(pb->n_location, loc_id_of, pb);
	fns = id_table(pb->n_function, fn_id_of, pb);
	maps = id_table(pb->n_mapping, map_id_of, pb);
	err = !locs || !fns || !maps ? -ENOMEM : 0;
	if (!err && pb->n_mapping)
		proc.name = base_name(pr_str(&r, pb->mapping[0]->filename));
	if (!proc.name || !*proc.name)
		proc.name = "pprof";
	r.vi = pr_value_index(&r);
	if (!err && (r.proc_frame = profile_intern(p, &proc)) ==
	    PROFILE_NO_FRAME)
		err = -ENOMEM;
	if (!err && (!(r.proc_of_loc = calloc(pb->n_location + 1,
	    sizeof(*r.proc_of_loc))) || !(r.bare = calloc(pb->n_location + 1,
	    1))))
		err = -ENOMEM;
	if (!err && !(r.loc_ids = malloc((pb->n_location + 1) *
	    sizeof(*r.loc_ids))))
		err = -ENOMEM;
	if (!err)
		err = pr_modules(&r);
	if (!err)
		err = pr_run(&r);
	if (!err)
		err = pr_locations(&r, fns, maps, cause);
	if (!err)
		err = pr_samples(&r, locs, cause);
	if (!err) {
		r.run.pid = r.pid > 0 && r.pid <= INT32_MAX ? (int32_t)r.pid :
		    0;
		err = profile_set_run(p, &r.run);
	}
	if (err == -ENOMEM && cause && !*cause)
		pr_fail(&r, cause, "out of memory");
out:
	free(locs);
	free(fns);
	free(maps);
	free(r.frames);
	free(r.loc_frames);
	free(r.proc_of_loc);
	free(r.bare);
	free(r.loc_ids);
	free((void *)r.run.comments);
	perftools__profiles__profile__free_unpacked(pb, NULL);
	return err;
}
