/* SPDX-License-Identifier: MIT */
/* profile: the layout of struct profile and the hash helpers shared by
 * profile.c (interning, aggregation) and view.c (immutable views). */
#ifndef CTOP_PROFILE_INTERNAL_H
#define CTOP_PROFILE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ctop/profile.h"

/* One call tree node of one thread. The path hash (the stable id) is not
 * stored: views compute it top down, which keeps a node at 24 bytes. */
struct pnode {
	uint64_t self;
	uint64_t total;
	uint32_t parent;	/* PROFILE_NO_NODE for a thread's root */
	uint32_t frame;		/* PROFILE_NO_FRAME for a thread's root */
};

struct pthread {
	int32_t tid;
	char name[32];
	uint32_t root;		/* index of its root in profile.nodes */
	uint64_t last_time;	/* newest sample time since the last reset */
};

/* The window log: one entry per profile_add with a known time. */
struct plog_entry {
	uint64_t time_ns;
	uint64_t count;
	int32_t tid;
	uint32_t leaf;		/* node the stack ended at */
};

struct arena_chunk;

struct profile {
	struct profile_limits lim;
	struct arena_chunk *arena;	/* strings; chunks never move */
	size_t arena_bytes;

	struct frame *frames;
	uint32_t *frame_hash;		/* hash of each frame, for rehashing */
	uint32_t n_frames, cap_frames;
	uint32_t *ftab;			/* frame ids, open addressing */
	uint32_t ftab_cap;		/* power of two */
	/* Line frames: one per (function, file, line); the tree uses only
	 * each function's first frame (canon), the per-line counts the rest. */
	uint32_t *lntab;		/* every frame id, keyed by line_hash */
	uint32_t lntab_cap;
	uint32_t *line_hash;		/* full-key hash of each frame */
	uint32_t *canon;		/* each frame's function frame */
	uint64_t *line_self, *line_total;	/* since the last reset */
	uint32_t *line_seen, line_stamp;	/* once per stack */
	uint32_t *line_callee;		/* function last called there */
	uint32_t *scratch;		/* canonical stack of profile_add */
	size_t scratch_cap;

	struct profile_module *mods;	/* few (one per ELF object): a
					 * linear search is enough */
	uint32_t n_mods, cap_mods;

	struct profile_run run;		/* strings in the arena */
	const char **run_comments;	/* run.comments, ours to free */
	bool has_run;

	struct profile_loc *locs;
	uint32_t n_locs, cap_locs;
	uint32_t *ltab, ltab_cap;	/* location ids keyed by (address,
					 * outermost frame) */
	struct profile_line *lines;
	uint32_t n_lines, cap_lines;

	struct pnode *nodes;
	uint32_t *node_loc;		/* each node's location, beside
					 * nodes[] (no padding in pnode) */
	uint32_t n_nodes, cap_nodes, cap_node_loc;
	uint32_t *ntab;			/* node indices keyed by (parent, frame) */
	uint32_t ntab_cap;

	struct pthread *threads;
	uint32_t n_threads, cap_threads;
	uint32_t *ttab;			/* thread indices keyed by tid */
	uint32_t ttab_cap;
	uint32_t has_other;		/* 1 once "[other threads]" exists */

	struct plog_entry *log;		/* ring: oldest at log_head */
	uint32_t log_cap, log_head, log_len;

	uint64_t samples, collapsed, last_time;
};

#define PROFILE__EMPTY UINT32_MAX	/* a free hash slot */
#define PROFILE__ROOT_ID UINT64_C(0x63746f7070726f66)	/* "ctopprof" */

/* SplitMix64's finalizer: a cheap full-avalanche 64-bit mix. */
static inline uint64_t
profile__mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* The stable id of a child: a function of its parent's id and its frame
 * only, so one path gets one id in every view and every thread. */
static inline uint64_t
profile__child_id(uint64_t parent_id, uint32_t frame)
{
	uint64_t rot = (parent_id << 17) | (parent_id >> 47);

	return profile__mix64(rot ^ ((uint64_t)frame + 1) *
	    UINT64_C(0x9e3779b97f4a7c15));
}

static inline uint32_t
profile__pair_hash(uint32_t a, uint32_t b)
{
	return (uint32_t)profile__mix64(((uint64_t)a << 32) | b);
}

/* The entry at position i (0 = oldest) of the window log. */
static inline const struct plog_entry *
profile__log_at(const struct profile *p, uint32_t i)
{
	return &p->log[(p->log_head + i) & (p->log_cap - 1)];
}

/* A copy of v with n_extra more frames (ids from v->n_frames on; their
 * strings borrowed from keep, which the copy holds a reference to) and a
 * function row with zero counts for each, after v's rows. NULL when out
 * of memory. */
struct pview *profile__view_extend(const struct pview *v,
    const struct frame *extra, uint32_t n_extra, struct pview *keep);

/* The thread index of tid, or PROFILE__EMPTY. */
uint32_t profile__thread_find(const struct profile *p, int32_t tid);

#endif
