/* SPDX-License-Identifier: MIT */
/* worker: the ring's only consumer. It unwinds each raw sample (unwind),
 * names its frames (symbols), adds the stack to the profile, and publishes
 * immutable views of the profile for main (the UI, the batch printer or a
 * recording). It owns the libunwind and libdwfl state and the profile.
 * Main talks to it through struct source (worker_source()) and the calls
 * below; they take a mutex, never on the sampler's path. */
#ifndef CTOP_WORKER_H
#define CTOP_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/profile.h"
#include "ctop/ring.h"
#include "ctop/sampler.h"
#include "ctop/source.h"
#include "ctop/unwind.h"

struct worker_opts {
	pid_t pid;
	unsigned hz;
	const char *mode_name;		/* "cpu" or "wall" */
	bool debuginfod;
	enum unwind_method unwind;	/* for samples with a stack copy */
	double publish_s;		/* how often views are rebuilt */
	const char *snapshot_dir;	/* for source save; NULL = cwd */
	const char *output_note;	/* shown in the status (launch mode:
					 * where the command's output goes) */
};

/* End-of-run figures for the summary line. */
struct worker_summary {
	uint64_t samples;		/* stacks added to the profile */
	uint64_t ends[UNWIND_END_COUNT];/* how the walks ended */
	uint64_t records;		/* ring records consumed */
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
};

struct worker;

/* Creates the worker (no thread yet). The sampler is only read (stats).
 * NULL with *cause on failure. */
struct worker *worker_new(struct ring *ring, struct sampler *sampler,
    const struct worker_opts *opts, char **cause);

/* Starts the worker thread. Returns 0 or -errno. Thread: main. */
int worker_start(struct worker *w);

/* Stops the thread after it has drained the ring. Call after
 * sampler_stop() so that nothing is left behind. Thread: main. */
void worker_stop(struct worker *w);

/* A live source for the UI and the batch printer. Views are built (every
 * publish_s) only once a source was asked for: a recording builds none. */
struct source worker_source(struct worker *w);

/* A view of the whole cumulative profile (for --output), built by the
 * calling thread: only after worker_stop(). */
struct pview *worker_final_view(struct worker *w);

void worker_get_summary(struct worker *w, struct worker_summary *out);

void worker_free(struct worker *w);

#endif
