/* SPDX-License-Identifier: MIT */
/* source: what the UI, the batch printer and a recording draw from. A live
 * source (source_open_live) runs the worker thread, which turns the
 * sampler's ring into a profile and publishes views of it; a file source
 * (source_open_file) is a snapshot read once (--load). The UI never
 * touches a profile directly.
 * Thread: the functions are called from main; implementations synchronise
 * with their own threads. */
#ifndef CTOP_SOURCE_H
#define CTOP_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/export.h"
#include "ctop/profile.h"
#include "ctop/stack_need.h"
#include "ctop/unwind.h"

struct ring;
struct sampler;

struct source_live_opts {
	pid_t pid;
	unsigned hz;
	const char *mode_name;		/* "cpu" or "wall" */
	bool debuginfod;
	const char *debug_cache;	/* symbols_opts.debug_cache */
	bool children;			/* --children: samples of other
					 * processes than pid come too */
	bool all;			/* -a: every process's, pid 0 */
	enum unwind_method unwind;	/* for samples with a stack copy */
	struct stack_need *stack_need;	/* --stack-size auto: each walk of
					 * a copy is told to it (how deep it
					 * read), or NULL */
	double publish_s;		/* how often views are rebuilt */
	bool views;			/* someone reads views (UI, batch,
					 * checkpoints): else none are built */
	bool unhurried;			/* a recording: no one reads the
					 * samples before a view is asked for
					 * or the end, so the worker may nap
					 * long (worker.c says when) */
	const char *snapshot_dir;	/* for save; NULL = cwd */
	enum export_format snapshot_format;	/* what save writes */
	const char *output_note;	/* shown in the status (launch mode:
					 * where the command's output goes) */
	const char *command;		/* the launched command line, for
					 * the snapshots that say it (pprof's
					 * comments), or NULL; borrowed */
	/* --push: at every multiple of cut_s seconds of CLOCK_REALTIME, and
	 * before the counts are reset, the worker builds a cumulative view
	 * of all threads and hands it to cut (which takes the reference).
	 * Called on the worker thread; it must not block. 0 = never. */
	unsigned cut_s;
	void (*cut)(void *arg, struct pview *v, uint64_t wall_ns,
	    bool reset_after);
	void *cut_arg;
	/* Words for the status line (push health), or NULL. Any thread. */
	void (*status_note)(void *arg, char *buf, size_t size);
	void *status_arg;
	/* After stop, how long the worker may go on turning the ring's
	 * queued samples into the profile: 0 = until the ring is empty (a
	 * recording's file wants every one); the TUI's q wants to quit now,
	 * even when the worker is seconds behind a busy machine. */
	double exit_drain_s;
};

/* End-of-run figures of a live source, for the summary line. */
struct source_summary {
	uint64_t samples;		/* stacks added to the profile, by
					 * weight */
	double weight_sq;		/* the sum of their weights' squares */
	uint64_t ends[UNWIND_END_COUNT];/* how the walks ended */
	uint64_t records;		/* ring records consumed */
	uint64_t unprocessed;		/* samples still queued when the exit
					 * drain's time ran out (exit_drain_s) */
	double cpu_s;			/* worker thread CPU time */
	uint64_t fp_frames;		/* frames found by frame pointer */
	uint64_t dwarf_frames;		/* ... and by DWARF */
	char fp_note[160];		/* auto: the modules whose frame
					 * pointers are used (at the end) */
	uint64_t py_samples;		/* stacks of a CPython process whose
					 * chain the sampler tried to read */
	uint64_t py_chains;		/* stacks that came with a chain */
	uint64_t py_merged;		/* ... merged with the native stack */
	uint64_t py_mismatch;		/* ... not: the chain did not fit
					 * the native stack, or was cut */
	uint64_t py_unnamed;		/* ... not: a code object could not
					 * be read (the process ended before
					 * the worker named it) */
	/* -a: processes with samples (by "PID comm" frame), states (symbols
	 * and unwinder) held now and their bound, made in all, evicted. */
	unsigned procs;
	unsigned states, states_max;
	uint64_t states_made, evicted;
	/* -a: debug files decompressed once for every state, how often a
	 * state used one again, their bytes (symbols_debug_stats). */
	uint64_t debug_files, debug_reused, debug_bytes;
	/* Walks of stack copies: how many, the copies' bytes in all, and
	 * the median of how deep they read (unwind_last_reach; the top of
	 * a 256-byte step). */
	uint64_t copies, copy_bytes;
	uint32_t reach_p50;
	uint64_t remembered;		/* walks answered from the unwinder's
					 * memo: no walk done */
	uint64_t join_checks, join_fails;	/* unwind_stats' */
};

struct source_status {
	bool live;		/* sampling (false: a loaded file) */
	pid_t pid;
	char comm[64];		/* process name, or the loaded file's name */
	const char *backend;	/* "ptrace", "perf", or "file" */
	const char *mode;	/* "cpu" or "wall" */
	unsigned hz_requested;
	double hz_achieved;	/* sampler_stats.rate_hz */
	double hz_now;		/* the rate asked now: hz_requested, or
				 * lower under an overhead budget */
	double budget_pct;	/* --max-overhead, 0: none */
	unsigned procs;		/* --children: processes followed besides
				 * the target; -a: processes with samples */
	bool all;		/* -a: the machine (pid 0) */
	unsigned states, states_max;	/* -a: per-process states */
	uint64_t evicted;	/* -a: states evicted (least recently used) */
	uint64_t samples;	/* named and in the profile */
	uint64_t taken;		/* taken by the sampler (live: some may
				 * not be named yet) */
	uint64_t dropped;	/* ring full + lost upstream */
	uint64_t unwind_failed;	/* stacks that did not reach their root */
	uint64_t truncated;	/* stacks cut short by the stack copy */
	uint32_t threads;
	double elapsed_s;
	bool target_exited;
	int exit_status;	/* wait status, -1 if unknown */
	char message[256];	/* latest notice or error, "" if none */
	char output_note[160];	/* e.g. where a launched command's output
				 * goes; "" if nothing to say */
	char python[48];	/* "python 3.12 99%" (share of samples with
				 * Python frames merged), "python off" (the
				 * message says why), "" when not Python */
	char push[64];		/* "push ok 3s ago", "" without --push */
};

struct source_ops {
	/* The newest view built for params (a new reference; the caller
	 * unrefs it), or NULL before the first one. A live source may return
	 * a view for older params while it builds the new one: compare
	 * view->params. */
	struct pview *(*view)(void *ctx, const struct pview_params *params);
	void (*status)(void *ctx, struct source_status *out);
	/* Zeroes the counts (live only; no-op for a file). */
	void (*reset)(void *ctx);
	/* Saves the stacks of view v through node as a new snapshot file.
	 * Returns 0 and sets *path, or -errno and sets *cause. */
	int (*save)(void *ctx, const struct pview *v, uint32_t node,
	    char **path, char **cause);
	/* Saves a diff of a view against a baseline (d->after through node)
	 * beside the snapshots save makes, as two-count folded stacks. */
	int (*save_diff)(void *ctx, const struct pdiff *d, uint32_t node,
	    char **path, char **cause);
	/* Asks for a view built now rather than at the next period (live
	 * only; NULL for a file): view() returns it once it is built. */
	void (*refresh)(void *ctx);
	/* Live: drains the ring and ends the worker thread (after
	 * sampler_stop(), so nothing is left behind). NULL for a file. */
	void (*stop)(void *ctx);
	/* A view of the whole profile (for --output), built by the caller:
	 * for a live source only after stop. NULL when out of memory. */
	struct pview *(*final_view)(void *ctx);
	/* Live only (NULL for a file). */
	void (*summary)(void *ctx, struct source_summary *out);
	void (*close)(void *ctx);
};

struct source {
	const struct source_ops *ops;
	void *ctx;
};

/* Starts the worker thread over ring, which the sampler fills (and whose
 * statistics it reads). Returns 0, or -errno with *cause (caller frees). */
int source_open_live(struct source *src, struct ring *ring,
    struct sampler *sampler, const struct source_live_opts *opts,
    char **cause);

/* Reads a snapshot file; save writes snapshot_format into snapshot_dir.
 * Returns 0, or -errno with *cause ("PATH:LINE: what", caller frees). */
int source_open_file(struct source *src, const char *path,
    const char *snapshot_dir, enum export_format snapshot_format,
    char **cause);

/* Live: stops the worker (see ops.stop); no-op for a file. */
void source_stop(struct source *src);
struct pview *source_final_view(struct source *src);
/* Zeroes *out for a file. */
void source_summary(struct source *src, struct source_summary *out);
/* The run's figures a live status gives a snapshot's meta (pid, backend,
 * mode, rate, lost, truncated, elapsed); the rest of *m is left as it is. */
void source_status_meta(const struct source_status *st,
    struct export_meta *m);
/* Frees everything; src is empty afterwards. NULL ops: nothing. */
void source_close(struct source *src);

#endif
