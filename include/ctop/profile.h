/* SPDX-License-Identifier: MIT */
/* profile: interned frames, a call tree per thread with self and total
 * counts, a log of recent samples for time windows, and immutable views
 * (struct pview) that the UI, the batch printer and the exporters read.
 *
 * Threads: a struct profile belongs to one thread (the worker, or main for
 * --load). A struct pview is immutable once built and may be read by any
 * thread; it is reference counted. A view borrows the frame strings of its
 * profile: release every view before profile_free(). */
#ifndef CTOP_PROFILE_H
#define CTOP_PROFILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROFILE_NO_FRAME UINT32_MAX
#define PROFILE_NO_NODE UINT32_MAX
#define PROFILE_NO_LOC UINT32_MAX
/* The tid of "[other threads]": every thread first seen once max_threads
 * threads have their own entry (no real tid is negative). */
#define PROFILE_OTHER_THREADS (-1)

enum frame_kind {
	FRAME_FUNC,		/* a function (or module+0xOFFSET without one) */
	FRAME_INLINE,		/* an inlined function: folded suffix _[i] */
	FRAME_KERNEL,		/* kernel: _[k] */
	FRAME_JIT,		/* JIT code (perf map): _[j] */
	FRAME_PROCESS,		/* the process name, first frame of a stack */
	FRAME_MARKER,		/* [truncated], [unknown] and similar */
};

/* A frame's identity in the tree is (kind, name, module); file and line
 * describe it: the source line first seen executing in it (the sampled
 * line, or the call site for a caller), kept from the first time it was
 * interned, as are start_line and system_name. Interning the same
 * function at another file:line gives a line frame of its own:
 * profile_add() counts the samples of that line (pview_lines()) and puts
 * the function frame in the tree, so call tree nodes and table rows only
 * carry function frames. */
struct frame {
	const char *name;	/* demangled name, or "module+0x1f0" */
	const char *module;	/* file name of the ELF object, or NULL */
	const char *file;	/* source file, or NULL; from DWARF, joined
				 * with an absolute compilation directory
				 * when relative to it */
	uint32_t line;		/* 0 when unknown */
	uint8_t kind;		/* enum frame_kind */
	uint32_t start_line;	/* the function's declaration line (DWARF
				 * DW_AT_decl_line), 0 when unknown */
	const char *system_name; /* the symbol as linked (C++: mangled)
				 * where it differs from name, else NULL */
};

/* What a module (an ELF object mapped into the target) is, for the
 * formats that keep it (pprof's Mapping): frames name their module by
 * its file's basename, which is the key here. */
#define PROFILE_MOD_FUNCTIONS	0x1	/* it has a symbol table */
#define PROFILE_MOD_LINES	0x2	/* DWARF: files, lines, inline frames */
struct profile_module {
	const char *name;	/* the basename frames' module holds */
	const char *path;	/* as mapped ("[vdso]" for the vDSO) */
	uint64_t start, limit;	/* its executable mapping [start, limit) */
	uint64_t offset;	/* the file offset mapped at start */
	const char *build_id;	/* GNU build id in hex, or NULL */
	uint8_t flags;		/* PROFILE_MOD_* */
};

/* What a loaded file said of the run that made it besides the stacks
 * (pprof's sample types, period, times and comments), kept so that the
 * file converted, or a view of it saved, says it again. A live profile
 * has none: its run is what the caller knows (export_meta). Zero or NULL:
 * unknown. */
struct profile_run {
	const char *count_type;	/* what a count is (pprof's sample type and */
	const char *count_unit;	/* unit: "samples", "count"); NULL: that */
	const char *time_type;	/* "cpu", "wall": each count stands for
				 * period nanoseconds of it (a second value,
				 * count * period); NULL: no such value */
	const char *period_type, *period_unit;	/* NULL: none said */
	int64_t period;
	int64_t time_nanos;	/* when it began (Unix ns) */
	int64_t duration_nanos;
	int32_t pid;		/* the one process its samples were of */
	const char *const *comments;
	uint32_t n_comments;
};

/* A location: one code address and the frames it names, innermost first
 * (inlined callees, then the function holding them), each with the line
 * executing at that address (for a caller: its call site). The frames'
 * own file and line are the first seen over all addresses; these are the
 * address's. */
struct profile_line {
	uint32_t frame;
	uint32_t line;		/* 0 when unknown */
};

struct profile_loc {
	uint64_t address;	/* the sampled pc; a return address less 1
				 * (inside its call instruction) */
	uint32_t first, n;	/* its lines: lines[first .. first + n) */
};

struct profile_limits {
	uint32_t max_nodes;	/* call tree nodes over all threads; past it a
				 * new stack is cut at its deepest known node
				 * and counted in stats.collapsed (0 = default,
				 * 4 M nodes) */
	uint32_t window_s;	/* seconds of samples kept for windows (0 =
				 * default 30) */
	uint32_t max_threads;	/* threads with their own entry (and tree);
				 * past it a new thread's samples go to the
				 * one entry PROFILE_OTHER_THREADS, named
				 * "[other threads]" (0 = default 65536) */
};

struct profile_stats {
	uint64_t samples;	/* sum of counts added since the last reset */
	uint64_t collapsed;	/* samples whose stack hit max_nodes */
	uint32_t nodes;
	uint32_t frames;
	uint32_t threads;	/* entries, "[other threads]" included */
	size_t bytes;		/* memory held, approximately */
};

struct profile;

/* Returns a new empty profile, or NULL when out of memory. limits may be
 * NULL for defaults. */
struct profile *profile_new(const struct profile_limits *limits);
void profile_free(struct profile *p);

/* Interns a frame (strings are copied) and returns its id: ids are dense,
 * start at 0, and never change for the life of the profile. Returns
 * PROFILE_NO_FRAME when out of memory. */
uint32_t profile_intern(struct profile *p, const struct frame *f);

/* Records what a loaded file said of its run (strings are copied; a
 * second call replaces the first). Call it before building views.
 * Returns 0 or -ENOMEM. */
int profile_set_run(struct profile *p, const struct profile_run *r);

/* Records a module (strings are copied); the first record of a name
 * stays (two files of one basename: the first one sampled). Returns 0 or
 * -ENOMEM. */
int profile_set_module(struct profile *p, const struct profile_module *m);

/* The module frames call `name`, or NULL when none was recorded. */
const struct profile_module *profile_module(const struct profile *p,
    const char *name);

/* Looks up an interned frame; NULL for an unknown id. */
const struct frame *profile_frame(const struct profile *p, uint32_t id);

/* Adds `count` samples of one stack of thread `tid` (0 when unknown) taken
 * at `time_ns` (CLOCK_MONOTONIC; 0 when unknown). frames[] holds frame ids
 * root first; by convention frames[0] is the process (FRAME_PROCESS).
 * Returns 0, or -ENOMEM (nothing added). */
int profile_add(struct profile *p, int32_t tid, uint64_t time_ns,
    const uint32_t *frames, size_t n, uint64_t count);

/* Interns the location of address naming lines[0..n) (innermost first);
 * its key is (address, the outermost frame), which fixes the module.
 * Returns its id (dense, from 0, stable), or PROFILE_NO_LOC when out of
 * memory or n is 0. */
uint32_t profile_intern_loc(struct profile *p, uint64_t address,
    const struct profile_line *lines, uint32_t n);

/* profile_add where frame i came from location locs[i] (PROFILE_NO_LOC:
 * none, as for the process frame, markers, interpreted frames); locs
 * NULL: none at all. The frames of one location come together, function
 * first (root first as frames[] is). Two samples through one frame from
 * different addresses take different tree nodes, which views merge; a
 * view's pcnodes keep them apart for the formats that want addresses. */
int profile_add_locs(struct profile *p, int32_t tid, uint64_t time_ns,
    const uint32_t *frames, const uint32_t *locs, size_t n, uint64_t count);

/* Names a thread (copied; at most 15 bytes kept). Naming a new thread
 * makes its entry; past max_threads the name is dropped. */
void profile_set_thread_name(struct profile *p, int32_t tid, const char *name);

/* Sets every count to zero and empties the window log; frames stay. */
void profile_reset(struct profile *p);

void profile_get_stats(const struct profile *p, struct profile_stats *out);

/* ------------------------------------------------------------------------
 * Views
 * ------------------------------------------------------------------------ */

struct pview_params {
	int32_t tid;		/* 0 = all threads merged, else one thread */
	uint32_t window_s;	/* 0 = cumulative, else the last N seconds */
	uint32_t spark;		/* 1 + the frame id whose share per second
				 * the view's spark counts (0 = none) */
};

/* One call tree node. nodes[0] is the root: no frame, total = all samples.
 * A node's children are linked through first_child/next_sibling in order of
 * decreasing total (ties: by frame name). */
struct pview_node {
	uint64_t id;		/* stable: hash of the path of frame ids from
				 * the root; the same in every view of one
				 * profile, whatever the thread or window */
	uint32_t frame;		/* frame id (PROFILE_NO_FRAME at the root) */
	uint32_t parent;	/* PROFILE_NO_NODE at the root */
	uint32_t first_child;	/* PROFILE_NO_NODE when a leaf */
	uint32_t next_sibling;	/* PROFILE_NO_NODE when last */
	uint32_t depth;		/* 0 at the root */
	uint64_t self;		/* samples that ended here */
	uint64_t total;		/* samples that passed through here */
};

/* One row of the top table: a function over the whole tree. total counts a
 * sample once even when the function appears several times in its stack
 * (recursion). */
struct pview_func {
	uint32_t frame;
	uint64_t self;
	uint64_t total;
	uint32_t proc;		/* the process frame (FRAME_PROCESS) its
				 * stacks start with; PROFILE_NO_FRAME when
				 * several processes share it, or none */
};

struct pview_thread {
	int32_t tid;
	char name[32];
	uint64_t samples;	/* in this view's window */
};

/* Where one thread's samples ended: the formats that keep threads apart
 * (pprof's thread labels, speedscope's per-thread profiles) read these. */
struct pview_leaf {
	uint32_t node;		/* the view node the stacks ended at */
	int32_t tid;		/* the thread (0 when unknown) */
	uint64_t count;		/* its samples there */
	uint32_t pcnode;	/* the same stack by address: an index in
				 * pcnodes */
};

/* One node of the profile's own tree, where a frame reached from two
 * addresses is two nodes: a leaf's pcnode and its parents are the stack
 * with the location of every frame. pcnodes[0] is no node (the root). */
struct pview_pcnode {
	uint32_t parent;	/* 0 at a thread's first frame */
	uint32_t frame;
	uint32_t loc;		/* PROFILE_NO_LOC: none */
};

/* The last PVIEW_SPARK_S seconds before the view's anchor (now_ns of
 * profile_view), second by second, oldest first, whatever the window:
 * the samples of the view's thread(s), and of those the ones whose stack
 * holds the frame params.spark names. secs is 0 when the profile holds
 * no times (a loaded file). */
#define PVIEW_SPARK_S 60
struct pview_spark {
	uint32_t secs;
	uint64_t samples[PVIEW_SPARK_S];
	uint64_t sel[PVIEW_SPARK_S];
};

struct pview {
	struct pview_params params;	/* what it was built for */
	uint64_t time_ns;		/* newest sample it holds (0 if none) */
	uint64_t total;			/* samples in the view */

	const struct frame *frames;	/* indexed by frame id */
	uint32_t n_frames;

	const struct profile_module *modules;	/* as recorded so far */
	uint32_t n_modules;

	const struct profile_run *run;	/* a loaded file's; NULL: none */

	const struct profile_loc *locs;		/* indexed by location id */
	uint32_t n_locs;
	const struct profile_line *lines;	/* the locations' lines */
	struct pview_pcnode *pcnodes;	/* NULL in a focus view */
	uint32_t n_pcnodes;

	struct pview_node *nodes;
	uint32_t n_nodes;

	struct pview_func *funcs;	/* one per frame with samples, by
					 * decreasing self, then total */
	uint32_t n_funcs;
	uint32_t n_procs;		/* process frames right under the
					 * root (--children, -a: more than 1) */

	struct pview_thread *threads;	/* every thread with samples in the
					 * window, by decreasing samples
					 * (regardless of params.tid) */
	uint32_t n_threads;

	struct pview_leaf *leaves;	/* by node, then tid; the counts of
					 * one node add up to its self. NULL
					 * in a focus view (pview_focus) */
	uint32_t n_leaves;

	struct pview_spark spark;	/* the last minute, per second */

	_Atomic int refs;
	void *priv;
};

/* Whether function i of v is a process frame ("PID comm", rooting the
 * stacks under --children and -a): not a function a table lists. */
static inline bool
pview_func_is_process(const struct pview *v, uint32_t i)
{
	uint32_t f = v->funcs[i].frame;

	return f < v->n_frames && v->frames[f].kind == FRAME_PROCESS;
}

/* Builds an immutable view. now_ns anchors the window (samples with time
 * in (now_ns - window, now_ns]). Returns NULL when out of memory. The view
 * has one reference. */
struct pview *profile_view(const struct profile *p,
    const struct pview_params *params, uint64_t now_ns);

/* The callee tree of function `frame` merged over all its callers: the
 * root's single child is `frame`, below it every callee path of each
 * outermost occurrence. Frames are shared with v. Returns NULL when out
 * of memory or the frame has no samples. */
struct pview *pview_focus(const struct pview *v, uint32_t frame);

/* One source line of a function: `frame` is a frame of the function
 * (its file and line are the line's), self the samples whose leaf pc is on
 * it, total the samples with it anywhere in the stack (once per stack),
 * callee what the line called in the newest stack through it. */
struct pview_line {
	uint32_t frame;
	uint32_t callee;	/* the function frame it last called, or
				 * PROFILE_NO_FRAME (a leaf line) */
	uint64_t self;
	uint64_t total;
};

/* The lines with samples of the function of `frame`, cumulative since the
 * last reset over all threads (whatever v's thread and window), in frame
 * id order. Returns the count and a malloc'd array in *out (NULL when 0),
 * or -1 when out of memory. */
long pview_lines(const struct pview *v, uint32_t frame,
    struct pview_line **out);

/* The function frame of any frame id (itself for a function frame). */
uint32_t pview_func_frame(const struct pview *v, uint32_t frame);

/* Adds a reference; drops one and frees on the last. NULL is ignored.
 * Thread: any. */
struct pview *pview_ref(struct pview *v);
void pview_unref(struct pview *v);

/* Finds the node with a stable id; PROFILE_NO_NODE when absent. */
uint32_t pview_find(const struct pview *v, uint64_t id);

/* The module frames of v call `name`, or NULL. */
const struct profile_module *pview_module(const struct pview *v,
    const char *name);

/* The frame of a node, or NULL at the root. */
const struct frame *pview_node_frame(const struct pview *v, uint32_t node);

/* ------------------------------------------------------------------------
 * Diffs: a view against a baseline view
 * ------------------------------------------------------------------------ */

/* What happened to a function or a call path since the baseline. */
enum pdiff_change {
	PDIFF_SAME,	/* within sampling noise (pdiff_noise) */
	PDIFF_GREW,
	PDIFF_SHRANK,
	PDIFF_NEW,	/* the baseline has no samples of it */
	PDIFF_GONE,	/* only the baseline has samples of it */
};

/* A view ("after") compared with a baseline view ("before") of the same
 * profile (the b key) or of another one (a loaded snapshot). Frames are
 * matched by kind and name, what every snapshot format keeps (a folded
 * file has no modules), and the process frames of two views with one
 * process each with each other whatever their names (two runs of one
 * program may be named differently); nodes by the matched frames of
 * their path from the root. Shares are per sample of each side
 * (after_all, before_all), so that runs of different lengths compare.
 * Immutable once built; it holds references to both views. */
struct pdiff {
	struct pview *after;	/* the compared view */
	struct pview *before;	/* the baseline; NULL = empty */
	/* after with one more function row (self = total = 0) per function
	 * that only the baseline has (its frame copied from the baseline):
	 * the diff's table rows; its nodes are after's. */
	struct pview *view;
	uint64_t after_all, before_all;	/* samples each share is of */
	uint32_t n_after_funcs;	/* view->funcs[n_after_funcs..] are gone */
	uint64_t *base_self;	/* by view->funcs index: the baseline's */
	uint64_t *base_total;	/* counts of that function */
	uint32_t *node_base;	/* by after node: the baseline's node, or
				 * PROFILE_NO_NODE when the path is new */
	uint32_t *base_node;	/* by before node: after's, or NO_NODE */
};

/* Builds the diff of after against before (NULL: an empty baseline);
 * after_all and before_all are the samples shares are of (0: each view's
 * total; a focused view passes its whole view's). Returns NULL when out
 * of memory. */
struct pdiff *pview_diff(struct pview *after, struct pview *before,
    uint64_t after_all, uint64_t before_all);
void pdiff_free(struct pdiff *d);

/* The change of row i of d->view->funcs, in percentage points of each
 * side's samples, of its self share (total false) or its total share;
 * *delta gets the points (may be NULL). */
enum pdiff_change pdiff_func(const struct pdiff *d, uint32_t i, bool total,
    double *delta);
/* The change of the total share of after's node n; *before_pct gets the
 * baseline's share in percent (may be NULL). */
enum pdiff_change pdiff_node(const struct pdiff *d, uint32_t n,
    double *delta, double *before_pct);
/* The baseline's share (percent) of the callees of after's node n that
 * after lacks: gone paths, which a tree drawn to after's widths cannot
 * show. 0 when n has no match. */
double pdiff_gone_below(const struct pdiff *d, uint32_t n);
/* Sampling noise of a share difference, in points: three standard
 * deviations of a/na - b/nb for binomial counts, at least 0.05 points.
 * A change within it is PDIFF_SAME. */
double pdiff_noise(uint64_t a, uint64_t na, uint64_t b, uint64_t nb);
/* The id of a frame of v with f's kind and name, PROFILE_NO_FRAME when
 * none (to focus a baseline on the function focused in a view). */
uint32_t pview_frame_lookup(const struct pview *v, const struct frame *f);

#endif
