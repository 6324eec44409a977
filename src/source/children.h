/* SPDX-License-Identifier: MIT */
/* The processes a --children run follows besides the target: each with
 * its top-level frame ("PID comm") and the symbols and unwinder its
 * samples are named with. A child forked after the attach has its
 * parent's image until it execs (or maps a file of its own), so it
 * borrows its parent's state, which costs nothing: 500 short-lived
 * children a second would otherwise each read their maps and load every
 * library again, or, gone before the worker gets to them, be nameless.
 * One found some other way (a descendant at attach) gets its own, read
 * from its maps. Freed when it exits; at most CHILDREN_MAX at once, and
 * at most max_own with state of their own (-a: the whole machine; the
 * least recently used state is evicted, and counted; one sampled again
 * later reads its maps again, its entry and Python namer kept). Worker
 * thread only. */
#ifndef CTOP_SOURCE_CHILDREN_H
#define CTOP_SOURCE_CHILDREN_H

#include <stdint.h>
#include <sys/types.h>

#include "ctop/profile.h"
#include "ctop/python.h"
#include "ctop/symbols.h"
#include "ctop/unwind.h"

#define CHILDREN_MAX 256

struct child {
	pid_t pid;
	struct symbols *symbols;
	struct unwinder *unwinder;
	bool own;			/* symbols and unwinder are its own
					 * (else its parent's or the target's) */
	struct python_namer *namer;	/* its code objects' names, read
					 * from its own memory and learnt
					 * from the sampler's captures; NULL:
					 * not CPython (yet) */
	uint32_t process_frame;
	uint64_t used;			/* LRU stamp */
};

struct children {
	struct child v[CHILDREN_MAX];
	size_t n;
	size_t n_own, max_own;		/* with state of their own; the
					 * most (0: CHILDREN_MAX) */
	uint64_t clock;
	uint64_t seen, evicted, failed;
	uint64_t made;			/* states of their own made */
	struct profile *profile;
	struct symbols_opts so;
	enum unwind_method method;
	struct symbols *target_symbols;	/* the target's: lent to children */
	struct unwinder *target_unwinder;
};

/* target_symbols, target_unwinder: NULL with -a (no target: a process
 * whose parent has no state makes its own). max_own: see above. */
void children_init(struct children *c, struct profile *p,
    const struct symbols_opts *so, enum unwind_method method,
    struct symbols *target_symbols, struct unwinder *target_unwinder,
    size_t max_own);
/* pid was forked by ppid (its name then: comm): ppid lends pid its state
 * (or the target's). */
void children_forked(struct children *c, pid_t pid, pid_t ppid,
    const char *comm);
/* pid's state, its own made (its maps read) when it has none; NULL when
 * it cannot be. */
struct child *children_get(struct children *c, pid_t pid);
/* pid's state, its own from now on (it maps a file: its image is no
 * longer its parent's); NULL when it cannot be made. */
struct child *children_own(struct children *c, pid_t pid);
/* pid's probe answer (l: its CPython layout, NULL: not CPython): a namer
 * of its own, whatever state it borrows (a forked child's memory is its
 * own from the fork; one gone by now is named from the captures). NULL
 * when pid has no entry and none can be made. */
struct child *children_python(struct children *c, pid_t pid,
    const struct python_layout *l);
/* pid exec'd: its own modules, read again, and its frame's name (comm:
 * the exec's, from the record; NULL or "": read from /proc, which a
 * process gone by then no longer has). */
void children_exec(struct children *c, pid_t pid, const char *comm);
/* pid exited: every record of it came before. */
void children_gone(struct children *c, pid_t pid);
void children_fini(struct children *c);

/* "PID comm": the top-level frame of a process in a --children run; comm
 * read from /proc when `known` is NULL or empty. */
uint32_t children_process_frame(struct profile *p, pid_t pid,
    const char *known);

#endif
