/* SPDX-License-Identifier: MIT */
/* worker: the live source's thread (internal to src/source/; bench/
 * drives it directly). The ring's only consumer: it unwinds each raw
 * sample (unwind), names its frames (symbols), adds the stack to the
 * profile, and publishes immutable views of the profile for main (the UI,
 * the batch printer or a recording). It owns the libunwind and libdwfl
 * state and the profile. Main reaches it through struct source
 * (source_open_live()); the calls take a mutex, never on the sampler's
 * path. */
#ifndef CTOP_SOURCE_WORKER_H
#define CTOP_SOURCE_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/profile.h"
#include "ctop/ring.h"
#include "ctop/sampler.h"
#include "ctop/source.h"
#include "ctop/unwind.h"

struct worker;

/* Creates the worker (no thread yet). The sampler is only read (stats).
 * NULL with *cause on failure. */
struct worker *worker_new(struct ring *ring, struct sampler *sampler,
    const struct source_live_opts *opts, char **cause);

/* Starts the worker thread. Returns 0 or -errno. Thread: main. */
int worker_start(struct worker *w);

/* Stops the thread after it has drained the ring. Call after
 * sampler_stop() so that nothing is left behind. Thread: main. */
void worker_stop(struct worker *w);

/* Views are built (every publish_s) only once someone reads them: a
 * recording without checkpoints builds none. */
void worker_want_views(struct worker *w);

pid_t worker_pid(const struct worker *w);
const char *worker_snapshot_dir(const struct worker *w);
enum export_format worker_snapshot_format(const struct worker *w);
/* The options it was made with (for what snapshots say of the run). */
const struct source_live_opts *worker_opts(const struct worker *w);

/* The newest published view (a new reference) after asking for params. */
struct pview *worker_view(struct worker *w, const struct pview_params *p);
void worker_status(struct worker *w, struct source_status *out);
void worker_reset(struct worker *w);
void worker_refresh(struct worker *w);

/* A view of the whole cumulative profile (for --output), built by the
 * calling thread: only after worker_stop(). */
struct pview *worker_final_view(struct worker *w);

void worker_get_summary(struct worker *w, struct source_summary *out);

void worker_free(struct worker *w);

#endif
